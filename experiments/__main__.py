"""Render every table, figure and the claims report from existing result files: ``python -m experiments``.

Takes the same options as each table (``--results``, ``--out``, ``--scale``); never runs a model (the mechanistic
analysis renders its first-divergence part from stored generations; its KL part reads the numbers
``python -m s0repro.tools.kl_profile`` wrote).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from experiments import (
    alpha,
    claims,
    data_size,
    failures,
    layer_groups,
    mechanistic,
    passk,
    prefix_control,
    scaling,
    table1,
    table2,
    table3,
    transfer,
)
from experiments.common import Options, cli

MODULES = (table1, table2, table3, transfer, prefix_control, scaling, passk, layer_groups, data_size, alpha, failures,
           mechanistic, claims)


def render(opts: Options) -> list[Path]:
    return [p for module in MODULES for p in module.render(opts)]


def main(argv: Sequence[str] | None = None) -> list[Path]:
    return cli(render, __doc__, argv)


if __name__ == "__main__":
    main()
