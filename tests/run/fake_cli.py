"""``python -m tests.run.fake_cli ARGS``: the runner's command line with the fake evaluation stage handed in
(tests/results/fake_evaluate.py), for the tests that run the CLI as a child process."""

from s0repro.run import main
from tests.results.fake_evaluate import FakeEvaluator

if __name__ == "__main__":
    main(evaluator=FakeEvaluator())
