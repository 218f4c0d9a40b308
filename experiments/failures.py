"""Format vs skill: why each method's samples fail, under both clean-ups, how much of its gain is format, and which
form its answers come in.

One table per experiment (and task, and model): rows are methods, columns the failure classes of
:mod:`s0repro.evaluate.failures` (mean count over seeds), then the gain over base in problems and the part of it that
fewer format failures (``no_code`` + ``format``) account for. Gain split: passes = n - failures, so the gain is the sum
over classes of (base failures - method failures); a share above 100 % means the method fixed format and lost
elsewhere. The share is printed only when the gain is clearly non-zero (every seed's gain has the same sign and the
mean is at least 2 problems); otherwise a share of a near-zero gain means nothing (-2150 %), and the column gives the
signed change of each class in pp instead (positive: fewer failures of that class). A seed is compared with the base
run of the same seed, else with the single base run.

A third table per experiment gives the form mix of each method's answers (:mod:`s0repro.evaluate.forms`: a fenced or
bare whole function, a body, a fenced body, prose around a fence, other; % of its samples, seeds pooled): under the
authors' clean-up only whole functions can pass, so a method can gain there by switching form alone.

Reads, per result, ``eval.by_cleanup.<mode>.failure_class`` (one class per problem, in ``eval.task_ids`` order) for
``mode`` in ``authors`` and ``lenient``; results without it are listed as "not scored".

    python -m experiments.failures [--results results] [--out results/tables]
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from experiments.common import Options, cli, readable_results
from experiments.render import DASH, Table, write_tables
from s0repro.errors import UserError
from s0repro.evaluate.failures import FAILURE_CLASSES, GainSplit, class_counts, split_gain
from s0repro.evaluate.forms import FORM_CLASSES, form_mix
from s0repro.results import eval_records

NAME = "failures"
CLEANUPS = ("authors", "lenient")
NOT_SCORED = "not scored"
CLEAR_GAIN = 2.0  # problems: a mean gain smaller than this (or seeds that disagree in sign) gets no format share


def classes_of(result: Mapping[str, Any], cleanup: str) -> list[str] | None:
    """The per-problem failure classes a result recorded under ``cleanup``, or None."""
    view = ((result.get("eval") or {}).get("by_cleanup") or {}).get(cleanup) or {}
    classes = view.get("failure_class")
    if classes is None:
        return None
    if len(classes) != result["eval"]["n"]:
        raise UserError(f"{result['exp']}/{result['task']}/{result['method']} seed {result['seed']}: "
                        f"eval.by_cleanup.{cleanup}.failure_class has {len(classes)} entries for {result['eval']['n']} "
                        "problems")
    return list(classes)


def by_experiment(results: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, dict[int, dict[str, Any]]]]:
    """(exp, task, model) -> method label -> seed -> result."""
    out: dict[tuple[str, str, str], dict[str, dict[int, dict[str, Any]]]] = defaultdict(lambda: defaultdict(dict))
    for r in results:
        model = (r.get("meta") or {}).get("model") or {}
        out[(r["exp"], r["task"], model.get("name") or model.get("arch") or "")][r["method"]][int(r["seed"])] = r
    return out


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.1f}" if values else DASH


def share_text(splits: Sequence[GainSplit], n: int) -> str:
    """The format share of a clearly non-zero gain, else each class's signed change in pp (mean over seeds)."""
    if not splits:
        return DASH
    gains = [s.gain for s in splits]
    mean = statistics.fmean(gains)
    if abs(mean) >= CLEAR_GAIN and (all(g > 0 for g in gains) or all(g < 0 for g in gains)):
        return f"{100 * sum(s.from_format for s in splits) / sum(gains):.0f} %"
    per_class = {c: 100 * statistics.fmean(s.by_class[c] for s in splits) / n for c in splits[0].by_class}
    moved = [f"{c} {v:+.1f}" for c, v in per_class.items() if round(v, 1)]
    return "gain ≈ 0, no share; pp by class: " + (", ".join(moved) if moved else "none moved")


def experiment_table(key: tuple[str, str, str], methods: Mapping[str, Mapping[int, dict[str, Any]]],
                     cleanup: str) -> Table:
    exp, task, model = key
    table = Table(f"Failure classes: {exp} / {task} / {model}, clean-up '{cleanup}' (mean count over seeds)",
                  ["method", "seeds", *FAILURE_CLASSES, "gain (problems)", "from format classes", "format share"])
    base = methods.get("none", {})
    for label in sorted(methods, key=lambda m: (m != "none", m)):
        per_seed = {s: classes_of(r, cleanup) for s, r in methods[label].items()}
        scored = {s: class_counts(c) for s, c in per_seed.items() if c is not None}
        if not scored:
            table.add(label, str(len(per_seed)), *[NOT_SCORED] + [DASH] * (len(FAILURE_CLASSES) + 2))
            continue
        means = [_mean([c[k] for c in scored.values()]) for k in FAILURE_CLASSES]
        splits = []
        if label != "none":
            for seed, counts in scored.items():
                ref = base.get(seed) or (next(iter(base.values())) if len(base) == 1 else None)
                ref_classes = classes_of(ref, cleanup) if ref else None
                if ref_classes is not None:
                    splits.append(split_gain(class_counts(ref_classes), counts))
        n = next(iter(methods[label].values()))["eval"]["n"]
        table.add(label, str(len(scored)), *means, _mean([s.gain for s in splits]),
                  _mean([s.from_format for s in splits]), share_text(splits, n))
    table.notes.append(__doc__.split("\n\n")[1].replace("\n", " "))
    return table


def form_table(root: Path, key: tuple[str, str, str], methods: Mapping[str, Mapping[int, dict[str, Any]]]) -> Table:
    """Each method's form mix, % of its recorded answers (seeds pooled); "not recorded" without eval records."""
    exp, task, model = key
    table = Table(f"Answer forms: {exp} / {task} / {model} (% of each method's greedy answers, seeds pooled)",
                  ["method", "answers", *FORM_CLASSES])
    for label in sorted(methods, key=lambda m: (m != "none", m)):
        raws = [[r.get("raw", "") for r in records] for records in
                (eval_records(root, result) for result in methods[label].values()) if records is not None]
        mix = form_mix(raw for seed in raws for raw in seed)
        n = sum(mix.values())
        if not n:
            table.add(label, "not recorded", *[DASH] * len(FORM_CLASSES))
            continue
        table.add(label, str(n), *(f"{100 * mix[f] / n:.1f}" for f in FORM_CLASSES))
    return table


def render(opts: Options) -> list[Path]:
    results = readable_results(opts.results)
    tables = [table for key, methods in sorted(by_experiment(results).items())
              for table in (*(experiment_table(key, methods, cleanup) for cleanup in CLEANUPS),
                            form_table(opts.results, key, methods))]
    md, tex = write_tables(opts.out, NAME, tables or [Table("Failure classes: no results", ["method"])])
    return [md, tex]


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
