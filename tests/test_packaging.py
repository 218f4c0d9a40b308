"""Installing prints no setuptools deprecation: pyproject.toml is read as setuptools reads it, warnings as errors."""

from __future__ import annotations

import warnings

from s0repro.paths import REPO_ROOT

REPO = REPO_ROOT


def test_pyproject_reads_without_a_setuptools_deprecation(monkeypatch):
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    monkeypatch.chdir(REPO)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "project.license as a TOML table is deprecated" among them
        dist = apply_configuration(Distribution(), REPO / "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"
