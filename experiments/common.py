"""What every table script shares: the command line, loading result files into cells, and finding a cell.

A table names the experiments it reads (``qwen3_5``, ``falcon_h1``...); ``--scale tiny`` reads the ``tiny_``
experiments instead (and ``tiny_table1`` for Table 1), whose rows are smoke tests, not comparable with the paper.
A column is further filtered by model family (``meta.model.arch``), so one experiment may hold several models.
Missing cells come back as None and the table prints "not run".
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s0repro.errors import UserError
from s0repro.results import CorruptResultError, iter_results
from s0repro.stats import Cell, SeedComparison, group_cells, seed_level

RESULTS_ENV = "S0REPRO_RESULTS"
CODE_TASKS = ("humaneval", "humaneval_plus", "minicode")
SCALES = ("full", "tiny")
TINY_NOTE = "SCALE=tiny: tiny random-init models on minicode; a smoke test of the pipeline, not the paper's numbers."


@dataclass(frozen=True)
class Options:
    results: Path
    out: Path
    scale: str = "full"

    def exps(self, name: str) -> list[str]:
        """Experiment names to read for a paper experiment at this scale, most specific first."""
        if self.scale == "tiny":
            return [f"tiny_{name}", "tiny_table1"] if name in ("qwen3_5", "falcon_h1") else [f"tiny_{name}"]
        return [name]


def parse_options(description: str, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--results", type=Path, default=Path(os.environ.get(RESULTS_ENV, "results")),
                        help=f"results root (default: ${RESULTS_ENV} or ./results)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <results>/tables)")
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("SCALE", "full"))
    args = parser.parse_args(argv)
    scale = args.scale if args.scale in SCALES else "full"
    return Options(args.results, args.out or args.results / "tables", scale)


class Cells:
    """Every cell under a results root, searchable by experiment, task, method label and model family."""

    def __init__(self, root: Path) -> None:
        try:
            results = iter_results(root)
        except CorruptResultError as err:
            raise UserError(f"cannot render tables: {err}") from None
        self.by_key: dict[tuple[str, str, str], Cell] = {}
        for r in results:  # split by model family so one experiment can hold several models
            arch = ((r.get("meta") or {}).get("model") or {}).get("arch") or ""
            r_key = (r["exp"], r["task"], r["method"], arch)
            self._raw.setdefault(r_key, []).append(r) if hasattr(self, "_raw") else setattr(self, "_raw", {r_key: [r]})
        self.cells: list[Cell] = []
        for group in getattr(self, "_raw", {}).values():
            self.cells.extend(group_cells(group).values())

    def find(self, exps: Sequence[str], method: str, tasks: Sequence[str] | None = None,
             arch: str | None = None) -> Cell | None:
        """The first cell matching, in the order of ``exps`` then ``tasks``; None if nothing ran."""
        for exp in exps:
            for task in tasks or [None]:
                for cell in self.cells:
                    if (cell.exp == exp and cell.method == method and (task is None or cell.task == task)
                            and (arch is None or cell.model in (arch, None))):
                        return cell
        return None

    def methods(self, exps: Sequence[str], prefix: str) -> list[Cell]:
        """All cells of the first experiment that has any method label starting with ``prefix``."""
        for exp in exps:
            found = [c for c in self.cells if c.exp == exp and c.method.startswith(prefix)]
            if found:
                return found
        return []


def compare(tuned: Cell | None, base: Cell | None) -> SeedComparison | None:
    return seed_level(tuned, base) if tuned is not None and base is not None else None


def percent(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(100.0 * v for v in values)
