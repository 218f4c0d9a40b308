# Evaluation (issue 4): sandbox health check and the evaluation tests.
#   make sandbox-check    score HumanEval's 164 canonical solutions in the sandbox (all must pass); prints isolation
#   make test-evaluate    the evaluation and data tests, slow ones included
.PHONY: sandbox-check test-evaluate

sandbox-check:
	$(PY) -m s0repro.evaluate humaneval --canonical --out /tmp/humaneval_canonical_results.jsonl

test-evaluate:
	$(PY) -m pytest -q -m "not gpu" tests/evaluate tests/data/test_humaneval.py tests/data/test_hub_tasks.py
