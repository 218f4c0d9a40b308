"""Each fact is written once: a second definition would drift from the first without any test noticing."""

from __future__ import annotations

import re

import pytest

from s0repro.paths import REPO_ROOT

TREES = ("s0repro", "benchmarks", "experiments", "tests")


def _sources() -> dict[str, str]:
    found = {str(p.relative_to(REPO_ROOT)): p.read_text() for tree in TREES for p in (REPO_ROOT / tree).rglob("*.py")}
    found.pop("tests/test_single_facts.py")  # its patterns, not facts
    return found


def _where(pattern: str) -> list[str]:
    compiled = re.compile(pattern, re.MULTILINE)
    return sorted(path for path, text in _sources().items() if compiled.search(text))


@pytest.mark.parametrize(("name", "home"), [
    ("LORA_PRESET", "s0repro/conf/compose.py"),
    ("FORMAT_VERSION", "s0repro/methods/artefact.py"),
    ("PROGRAM_NAME", "s0repro/evaluate/sandbox/server.py"),
    ("REPO_ROOT", "s0repro/paths.py"),
])
def test_a_constant_is_defined_in_one_module(name: str, home: str) -> None:
    assert _where(rf"^{name}\s*=") == [home]


def test_the_repository_root_is_computed_in_one_place() -> None:
    assert _where(r"Path\(__file__\)(\.resolve\(\))?\.(parents\[|parent\.parent)") == []


def test_artefact_metadata_is_written_in_one_place() -> None:
    assert _where(r'"format_version":') == ["s0repro/methods/artefact.py"]
