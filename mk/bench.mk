# Inference-overhead benchmark (issues 3, 16): decode tokens/s of every method relative to the base model, and on the
# hybrid models mixed-task batches (S0 bank vs peft LoRA adapter_names vs base, 1/2/4/8 tasks in a batch of 8) and
# the time to switch a model to another task (S0 load + swap vs LoRA unmerge + load + merge).
#   make bench                          tiny models on CPU, 5-8 minutes on 2 busy cores
#   make bench BENCH_ARGS="--models qwen3_5_4b falcon_h1_7b qwen2_5_3b --device cuda --one-copy"   the GPU headline
#   make bench BENCH_ARGS="--task-counts"                                                          skip mixed tasks
# Writes results/bench/overhead.json (mixed tasks under "mixed_tasks"), overhead_meta.json and overhead.png, and
# prints the tables.
BENCH_ARGS ?=

.PHONY: bench

bench:
	$(PY) -m benchmarks.overhead $(BENCH_ARGS)
