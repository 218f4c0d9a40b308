# Real kernels on one CUDA GPU (issues 15, 25): fla / mamba-ssm vs the torch fallback for S0 and the state offset,
# decode tokens/s of base, S0 and LoRA at batch 1 and 8, one S0 training step. Random weights at real width and
# reduced depth, so no network is needed. docs/gpu.md says what it measures and how to read the result.
#   make gpu-check      here, on a CUDA machine with the gpu extra installed; writes results/gpu_check.json
#   make gpu-bundle     fill the git-ignored .whl/ with the wheels the lent GPU machine lacks (checks 64 MiB)
#   make gpu-command    print the one command that installs .whl/ there and runs the check (carry .whl);
#                       GPU_CHECK_ARGS="--models falcon_h1" puts arguments for the check into it (a partial rerun)
# Without CUDA the check stops with one line (exit 2). Not in CI.
GPU_CHECK_ARGS ?=
GPU_BUNDLE_EXTRA ?=

.PHONY: gpu-check gpu-bundle gpu-command

gpu-check:
	$(PY) -m benchmarks.gpu_check $(GPU_CHECK_ARGS)

gpu-bundle:
	$(PY) -m benchmarks.gpu_bundle $(if $(GPU_BUNDLE_EXTRA),--extra $(GPU_BUNDLE_EXTRA),)

gpu-command:
	@$(PY) -m benchmarks.gpu_bundle --command $(if $(GPU_CHECK_ARGS),--check-args "$(GPU_CHECK_ARGS)",)
