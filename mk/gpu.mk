# Real kernels on one CUDA GPU (issue 15): fla / mamba-ssm vs the torch fallback for S0 and the state offset, decode
# tokens/s of every method against base at batch 1 and 8, one S0 training step. Random weights at real width and
# reduced depth, so no network is needed; a few minutes. Needs `pip install -e '.[gpu]' --no-build-isolation`.
# Writes results/gpu_check.json and prints a table; without CUDA or the kernels it stops with one line. Not in CI.
GPU_CHECK_ARGS ?=

.PHONY: gpu-check

gpu-check:
	$(PY) -m benchmarks.gpu_check $(GPU_CHECK_ARGS)
