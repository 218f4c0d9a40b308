"""Formatting and rendering helpers: the digits, LaTeX escaping, the paper-vs-ours verdict, 'not run' figures."""

import math

import pytest
from matplotlib.collections import PathCollection

from experiments.render import (
    Bar,
    Table,
    VsRow,
    bars_figure,
    latex_escape,
    mean_sd,
    p_text,
    pct,
    plot_bars,
    vs_table,
)
from s0repro.stats import mean_ci


def test_number_formats():
    assert pct(0.7262) == "72.6" and pct(0.0238, signed=True) == "+2.4"
    assert pct(-1e-12, signed=True) == "+0.0"  # no negative zero
    assert pct(float("nan")) == "–" and pct(None) == "–"
    assert mean_sd(mean_ci([0.70, 0.72, 0.74])) == "72.0 ± 2.0"
    assert mean_sd(mean_ci([0.5])) == "50.0" and mean_sd(None) == "not run"
    assert p_text(0.000056) == "5.6e-05" and p_text(0.0123) == "0.012" and p_text(0.0) == "< 1e-300"
    assert p_text(math.nan) == "–"


def test_latex_escape_and_table():
    assert latex_escape("72.6 ± 1.2 & 5% s0_a") == "72.6 $\\pm$ 1.2 \\& 5\\% s0\\_a"
    t = Table("T", ["a", "b"])
    t.add("x_1", "±")
    assert "x\\_1 & $\\pm$ \\\\" in t.to_latex()
    assert t.to_markdown().splitlines()[2:5] == ["| a | b |", "|---|---|", "| x_1 | ± |"]


def test_paper_in_ci_allows_for_rounding():
    table = vs_table("v", [VsRow("q", 48.8, 48.81, (48.81, 48.81), "t"), VsRow("r", 48.7, 48.81, (48.81, 48.81), "t"),
                           VsRow("s", 1.0, 2.0), VsRow("u", 1.0, None)])
    assert [r[5] for r in table.rows] == ["yes", "no", "n/a (n < 2)", "–"]
    assert table.rows[3][2] == "not run" and table.rows[1][3] == "+0.1"


def test_plot_bars_empty_and_full(tmp_path):
    assert plot_bars(tmp_path / "e.png", "empty", []).read_bytes()[:4] == b"\x89PNG"
    bars = [Bar("g", "S0", (70.0, 72.0, 74.0), (67.0, 77.0)), Bar("g", "base", (48.8,), None)]
    assert plot_bars(tmp_path / "f.png", "full", bars).stat().st_size > 1000


@pytest.mark.parametrize("n_methods", [1, 5])
def test_bar_figure_title_is_whole_and_legend_covers_no_seed_dot(n_methods):
    import matplotlib.pyplot as plt

    labels = ["baseline", "LoRA (best config)", "state offset", "S0", "S0, unverified data (control)"][:n_methods]
    bars = [Bar(group, label, (40.0 + i, 55.0, 70.0 - i), (30.0, 80.0))
            for group in ("tiny GDN (Qwen3.5 family)", "tiny Mamba-2 (Falcon-H1 family)")
            for i, label in enumerate(labels)]
    fig = bars_figure("Table 1: minicode pass@1 (bars: mean; dots: seeds; whiskers: 95% CI)", bars)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    title = ax.title.get_window_extent(renderer)
    figure = fig.bbox
    assert figure.x0 <= title.x0 and title.x1 <= figure.x1  # not cut at either edge
    legend = ax.get_legend().get_window_extent(renderer)
    dots = [ax.transData.transform(xy) for coll in ax.collections if isinstance(coll, PathCollection)
            for xy in coll.get_offsets()]
    assert len(dots) == 3 * len(bars)
    assert not any(legend.contains(x, y) for x, y in dots)
    plt.close(fig)
