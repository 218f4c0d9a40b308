# Inference-overhead benchmark (issue 3): decode tokens/s of every method relative to the base model.
#   make bench                          tiny models on CPU, about 2-3 minutes on 2 cores
#   make bench BENCH_ARGS="--models qwen3_5_4b falcon_h1_7b qwen2_5_3b --device cuda --one-copy"   the GPU headline
# Writes results/bench/overhead.json, overhead_meta.json and overhead.png, and prints a table.
BENCH_ARGS ?=

.PHONY: bench

bench:
	$(PY) benchmarks/overhead.py $(BENCH_ARGS)
