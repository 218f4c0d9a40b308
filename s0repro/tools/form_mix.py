"""Print the form mix of a run's outputs, per method: how often each method answers with a fenced function, a bare
function, a body, a fenced body, prose around a fence, or something else (:mod:`s0repro.evaluate.forms`).

Run: ``python -m s0repro.tools.form_mix [--results results] [--exp EXP]``. Reads every ``result.json`` under the
results folder and the raw completions of its ``eval.jsonl``; one table per (experiment, task, model), one row per
method label, seeds pooled, percentages of that method's samples.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from s0repro.errors import UserError
from s0repro.evaluate.forms import FORM_CLASSES, form_mix
from s0repro.results import CorruptResultError, eval_records, iter_results
from s0repro.results.schema import RESULT_FILE

Key = tuple[str, str, str]


def raw_completions(root: Path, result: dict) -> list[str]:
    """The raw completions a result's evaluation recorded (its ``files.eval_records``)."""
    records = eval_records(root, result)
    if records is None:
        cell = f"{result['exp']}/{result['task']}/{result['method']} seed {result['seed']}"
        raise UserError(f"{cell}: its evaluation records are missing; re-run the cell (force=true) to record them")
    return [record["raw"] for record in records]


def collect(root: Path, exp: str | None = None) -> dict[Key, dict[str, Counter]]:
    """(exp, task, model) -> method label -> form counts, seeds pooled."""
    base = root / exp if exp else root
    if not base.is_dir():
        raise UserError(f"no results folder {base}; give --results (and --exp) of a run")
    try:
        results = iter_results(root, exp)
    except CorruptResultError as err:
        raise UserError(str(err)) from None
    mixes: dict[Key, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for result in results:
        model = ((result.get("meta") or {}).get("model") or {}).get("name") or ""
        mixes[(result["exp"], result["task"], model)][result["method"]].update(form_mix(raw_completions(root, result)))
    return mixes


def table(key: Key, methods: dict[str, Counter]) -> str:
    """A fixed-width table: method, samples, then the percentage in each form."""
    head = ["method", "n", *FORM_CLASSES]
    rows = []
    for method in sorted(methods):
        counts = methods[method]
        n = sum(counts.values())
        rows.append([method, str(n), *(f"{100 * counts[f] / n:.1f}" if n else "-" for f in FORM_CLASSES)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [head, *rows]]
    return f"form mix (% of samples): {key[0]} / {key[1]} / {key[2] or 'model ?'}\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="results folder of a run")
    parser.add_argument("--exp", default=None, help="one experiment only")
    args = parser.parse_args(argv)
    try:
        mixes = collect(Path(args.results), args.exp)
        if not mixes:
            raise UserError(f"no {RESULT_FILE} under {args.results}" + (f"/{args.exp}" if args.exp else ""))
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n\n".join(table(key, methods) for key, methods in sorted(mixes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
