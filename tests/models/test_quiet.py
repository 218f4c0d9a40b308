"""transformers' per-process kernel notices and peft's FutureWarning are silenced; a run says it in one line."""

from __future__ import annotations

import importlib.util
import warnings

import s0repro.models  # noqa: F401 - importing the stage installs the filters, as in every worker process
from s0repro.models import quiet
from tests.conftest import tiny


def test_the_kernel_fallback_notice_is_not_printed(monkeypatch):
    import logging

    logger = logging.getLogger("transformers.integrations.hub_kernels")  # where transformers says it
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.WARNING)
    try:
        logger.warning("`chunk_gated_delta_rule` is falling back to its reference PyTorch implementation because "
                       "`flash-linear-attention` is not installed.")
        logger.warning("another hub_kernels warning")  # anything else still shows
    finally:
        logger.removeHandler(handler)
    assert seen == ["another hub_kernels warning"]


def test_the_gradient_checkpointing_future_warning_is_not_shown():
    model = tiny("tiny_gdn").model
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # as in a fresh process: not hidden by an earlier "once"
        quiet.install_filters()
        assert model.is_gradient_checkpointing is False  # what peft reads on every attach
    assert not [w for w in caught if issubclass(w.category, FutureWarning)]


def test_the_one_line_names_the_missing_kernels(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "fla" else object())
    note = quiet.fallback_note()
    assert note.startswith("note: torch reference kernels in use (flash-linear-attention not installed)")
    assert "\n" not in note
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    assert quiet.fallback_note() is None
