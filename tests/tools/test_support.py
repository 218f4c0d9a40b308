"""The support table: every supported model type passes the seven checks, and docs/architectures.md shows that table."""

from __future__ import annotations

import functools
import re

import pytest

from s0repro.models.recurrent import REFUSED, SUPPORTED_TYPES
from s0repro.paths import REPO_ROOT as REPO
from s0repro.tools.support import CHECKS, Row, render, run_checks

DOC = REPO / "docs" / "architectures.md"


@functools.cache
def checked(model_type: str) -> Row:
    return run_checks(model_type)


@pytest.mark.parametrize("model_type", SUPPORTED_TYPES)
def test_every_check_passes(model_type):
    row = checked(model_type)
    assert row.passed == dict.fromkeys(CHECKS, True)


def test_the_rows_name_each_kind_and_state_shape():
    kinds = {t: checked(t).kind for t in ("qwen3_next", "olmo_hybrid", "nemotron_h", "kimi_linear", "jamba")}
    assert kinds == {"qwen3_next": "gated_deltanet", "olmo_hybrid": "gated_deltanet", "nemotron_h": "mamba2",
                     "kimi_linear": "kda", "jamba": "mamba1"}
    assert checked("mamba").shape == "128x8"  # [channels = expand * hidden, state size]: a 2-d state


def test_the_docs_hold_the_table_the_command_prints():
    text = DOC.read_text()
    table = render([checked(t) for t in SUPPORTED_TYPES])
    block = re.search(r"<!-- support table -->\n(.*?)\n<!-- end support table -->", text, re.S)
    assert block is not None, "docs/architectures.md lost its <!-- support table --> markers"
    assert block.group(1) == table
    assert all(t in table for t in REFUSED)
