"""Render tables to Markdown and LaTeX and bar charts to PNG, and format the numbers the same way everywhere.

Tables are lists of strings (already formatted), so Markdown and LaTeX show the same digits. A missing cell is
``NOT_RUN``; figures skip it. Figures are bars (mean over seeds) with one dot per seed and a 95% CI whisker.
"""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from s0repro.stats import MeanCI  # noqa: E402

NOT_RUN = "not run"
ROUNDING = 0.1  # the paper's numbers are printed to one decimal (percent)
DASH = "–"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"row has {len(cells)} cells, table {self.title!r} has {len(self.columns)} columns")
        self.rows.append([str(c) for c in cells])

    def to_markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        spec = "l" * len(self.columns)
        lines = ["\\begin{table}[t]", "\\centering", f"\\caption{{{latex_escape(self.title)}}}",
                 f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
                 " & ".join(latex_escape(c) for c in self.columns) + " \\\\", "\\midrule"]
        lines += [" & ".join(latex_escape(c) for c in r) + " \\\\" for r in self.rows]
        lines += ["\\bottomrule", "\\end{tabular}"]
        if self.notes:
            lines += ["\\par\\footnotesize " + " ".join(latex_escape(n) for n in self.notes)]
        lines += ["\\end{table}"]
        return "\n".join(lines) + "\n"


_LATEX = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
          "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
          "±": "$\\pm$", "–": "--", "→": "$\\rightarrow$", "≤": "$\\leq$", "≥": "$\\geq$", "×": "$\\times$",
          "<": "$<$", ">": "$>$"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


# ---- numbers -------------------------------------------------------------------------------------------------

def pct(x: float | None, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage string; NaN/None -> dash."""
    if x is None or math.isnan(x):
        return DASH
    v = round(100 * x, digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def mean_sd(summary: MeanCI | None, signed: bool = False) -> str:
    """'72.2 ± 1.7' (percent); one seed shows the mean only; None -> 'not run'."""
    if summary is None or summary.n == 0:
        return NOT_RUN
    if math.isnan(summary.sd):
        return pct(summary.mean, signed=signed)
    return f"{pct(summary.mean, signed=signed)} ± {pct(summary.sd)}"


def ci_text(low: float, high: float, signed: bool = False) -> str:
    if math.isnan(low):
        return DASH
    return f"[{pct(low, signed=signed)}, {pct(high, signed=signed)}]"


def p_text(p: float | None) -> str:
    if p is None or math.isnan(p):
        return DASH
    if p == 0.0:  # a defined test whose p underflowed (zero variance gives no p at all: NaN, a dash)
        return "< 1e-300"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def params_text(n: int | None) -> str:
    if n is None:
        return DASH
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e3:
        return f"{n / 1e3:.1f}K"
    return str(n)


OVERHEAD = {"none": "none", "merge": "merge", "per_step": "per step", "per_token_prefix": "per token (prefix)"}


def overhead_text(cost: str | None) -> str:
    return OVERHEAD.get(cost, cost) if cost else DASH


# ---- paper vs ours -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VsRow:
    """One reported number against ours. Values in percent (pp for deltas); CI in percent, None if undefined."""

    quantity: str
    paper: float | None
    ours: float | None
    ci: tuple[float, float] | None = None
    ci_kind: str = ""  # which interval: "t over seeds", "Welch", "paired t", "bootstrap over problems"


def vs_table(title: str, rows: Sequence[VsRow]) -> Table:
    table = Table(title, ["quantity", "paper", "ours", "difference", "ours 95% CI", "paper in our CI"])
    for r in rows:
        if r.ours is None or math.isnan(r.ours):
            table.add(r.quantity, _num(r.paper), NOT_RUN, DASH, DASH, DASH)
            continue
        diff = _num(r.ours - r.paper, signed=True) if r.paper is not None else DASH
        if r.ci is None or math.isnan(r.ci[0]):
            ci, inside = DASH, "n/a (n < 2)"
        else:
            ci = f"[{r.ci[0]:.1f}, {r.ci[1]:.1f}] ({r.ci_kind})"
            tol = ROUNDING / 2  # the paper prints one decimal: 48.8 lies in [48.81, 48.81]
            inside = DASH if r.paper is None else ("yes" if r.ci[0] - tol <= r.paper <= r.ci[1] + tol else "no")
        table.add(r.quantity, _num(r.paper), _num(r.ours), diff, ci, inside)
    table.notes.append("paper and ours in percent (pp for changes); difference = ours - paper; 'paper in our CI' "
                       "allows for the paper's rounding to one decimal (+/- 0.05).")
    return table


def _num(x: float | None, signed: bool = False) -> str:
    if x is None or math.isnan(x):
        return DASH
    v = round(x, 1) + 0.0
    return f"{v:+.1f}" if signed else f"{v:.1f}"


# ---- figures -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    group: str  # x-axis group (model or task)
    label: str  # method (legend)
    values: tuple[float, ...]  # per-seed values in percent
    ci: tuple[float, float] | None = None  # percent


CHANGE_YLABEL = "change in pass@1 (pp)"  # the y axis of every change-over-base figure


def bars_figure(title: str, bars: Sequence[Bar], ylabel: str = "pass@1 (%)") -> plt.Figure:
    """Grouped bars of the seed mean, a dot per seed and a CI whisker; an empty figure says 'not run'.

    The legend sits outside the axes (right), so it never covers a seed's dot, and the title wraps to the figure's
    width, so it is never cut.
    """
    width_in = max(5.0, 0.9 * len(bars) + 3.0)
    fig, ax = plt.subplots(figsize=(width_in, 3.8), dpi=120)
    groups = list(dict.fromkeys(b.group for b in bars))
    labels = list(dict.fromkeys(b.label for b in bars))
    width = 0.8 / max(1, len(labels))
    colors = plt.get_cmap("tab10")
    labelled: set[str] = set()
    for b in bars:
        x = groups.index(b.group) + (labels.index(b.label) - (len(labels) - 1) / 2) * width
        color = colors(labels.index(b.label) % 10)
        mean = sum(b.values) / len(b.values)
        ax.bar(x, mean, width * 0.9, color=color, alpha=0.6, label=None if b.label in labelled else b.label)
        labelled.add(b.label)
        offsets = [(i - (len(b.values) - 1) / 2) * width * 0.5 / max(1, len(b.values)) for i in range(len(b.values))]
        ax.scatter([x + o for o in offsets], b.values, s=10, color="black", zorder=3)
        if b.ci is not None and not math.isnan(b.ci[0]):
            ax.errorbar(x, mean, yerr=[[max(0.0, mean - b.ci[0])], [max(0.0, b.ci[1] - mean)]], color="black", capsize=3, lw=1)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_title("\n".join(textwrap.wrap(title, width=int(11 * width_in))), fontsize=9)
    ax.axhline(0, color="grey", lw=0.5)
    if bars:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, NOT_RUN, ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def plot_bars(path: Path, title: str, bars: Sequence[Bar], ylabel: str = "pass@1 (%)") -> Path:
    """:func:`bars_figure` saved as PNG, cropped to everything drawn (title, legend, labels)."""
    fig = bars_figure(title, bars, ylabel)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
    return path


# ---- output --------------------------------------------------------------------------------------------------

UNREADABLE: dict[str, None] = {}  # result files this process could not read (in order, once each): every table says so


def mark_unreadable(line: str) -> None:
    """Note an unreadable result file (``left_alone``'s line): one warning now, a line under every table after."""
    if line not in UNREADABLE:
        UNREADABLE[line] = None
        print(f"warning: {line}", file=sys.stderr, flush=True)


def write_tables(out_dir: Path, name: str, tables: Sequence[Table], header: str = "") -> tuple[Path, Path]:
    """``<name>.md`` and ``<name>.tex`` holding every table in order, then the unreadable result files left out."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{name}.md"
    tex = out_dir / f"{name}.tex"
    left_out = [f"unreadable, left out: {line}" for line in UNREADABLE]
    md.write_text((header + "\n\n" if header else "") + "\n".join(t.to_markdown() for t in tables)
                  + "".join(f"\n> {line}\n" for line in left_out))
    tex.write_text("% generated by experiments/" + name + ".py from result files; do not edit. Needs \\usepackage{booktabs}.\n"
                   + "\n".join(t.to_latex() for t in tables) + "".join(f"\n% {line}" for line in left_out))
    return md, tex


def write_report(out_dir: Path, name: str, tables: Sequence[Table], plot_title: str, bars: Sequence[Bar],
                 ylabel: str = "pass@1 (%)") -> list[Path]:
    """A table script's outputs: ``<name>.md`` and ``<name>.tex`` (every table), ``<name>.png`` (the bars)."""
    md, tex = write_tables(out_dir, name, tables)
    return [md, tex, plot_bars(out_dir / f"{name}.png", plot_title, bars, ylabel=ylabel)]
