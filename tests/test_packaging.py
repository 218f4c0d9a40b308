"""Installing prints no setuptools deprecation: pyproject.toml is read as setuptools reads it, warnings as errors."""

from __future__ import annotations

import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_reads_without_a_setuptools_deprecation(monkeypatch):
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    monkeypatch.chdir(REPO)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "project.license as a TOML table is deprecated" among them
        dist = apply_configuration(Distribution(), REPO / "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"
