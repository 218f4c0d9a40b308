"""The pipeline runs one way: a stage imports earlier stages only, and no two modules import each other.

conf -> models -> methods -> train -> evaluate -> results -> stats -> tables (experiments/). ``data`` holds the shapes
every stage reads, so it comes first; ``conf`` is the composition root (it knows every stage, no stage knows it);
``run`` drives the stages and ``tools`` are command-line tools beside them: no stage imports either. Imports inside
functions count too: a deferred import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast

import pytest

from s0repro.paths import PACKAGE_DIR

STAGES = ("data", "models", "methods", "train", "evaluate", "results", "stats")
ABOVE_THE_STAGES = ("conf", "run", "tools")


def _module(path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every s0repro module and the s0repro modules it imports (anywhere in its body)."""
    found = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        name, targets = _module(path), set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("s0repro"):
                targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("s0repro")}
        found[name] = targets
    return found


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES + ABOVE_THE_STAGES) else None


def test_a_stage_imports_only_earlier_stages():
    wrong = []
    for module, targets in _imports().items():
        here = _stage(module)
        if here not in STAGES:
            continue
        for target in targets:
            there = _stage(target)
            if there in ABOVE_THE_STAGES or (there in STAGES and STAGES.index(there) > STAGES.index(here)):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_two_modules_import_each_other_even_through_others():
    graph = _imports()
    # A module that imports its own package only to read its ``__path__`` (plug-in discovery: data/base.py,
    # methods/base.py) is asking where its siblings are, not using them: that edge is left out.
    edges = {m: {t for t in targets if t in graph and t != m and not m.startswith(t + ".")}
             for m, targets in graph.items()}
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_is_a_package_here(stage):
    assert (PACKAGE_DIR / stage / "__init__.py").is_file()
