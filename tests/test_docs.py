"""The README and docs/ as written: every command in them runs or is checked, and every output shown is compared.

A fenced block's info string says what happens to it:

- ```` ```python ````: executed in a temporary directory; the fast suite shrinks ``steps=N`` to 2, the slow suite runs
  it as written. ```` ```python slow ````: the slow suite only. A ```` ```text output ```` block right after a python
  block is what it prints, compared line for line (so such a block must be ``slow``: it runs as written).
- ```` ```bash ````: every command is checked without doing its work. ``python <script>.py ...``: the script exists
  and declares each ``--option`` used; as ```` ```bash slow ```` followed by a ```` ```text output ```` block, the
  slow suite runs it from the repository root and compares what it prints. ``make T ...`` by ``make -n`` and a dry run of
  every ``python -m s0repro.run`` line that prints; ``python -m s0repro.run ...`` by a dry run (``dry_run=true``,
  results in a temporary folder); ``python -m pytest <file> -m <marker>`` by its file carrying that marker; any other ``python -m M ...`` by
  ``M --help``, which must name each ``--option`` the command uses (or the module declares it).
- ```` ```bash gpu ```` / ```` ```bash no-ci ````: not run in CI (a GPU, a network or an account).

Inline commands (```` `make reproduce-table2` ````, ```` `python -m experiments.mechanistic --kl` ````) are checked the
same way: their make targets exist, their modules' ``--help`` names their options.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import re
import runpy
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from s0repro.paths import REPO_ROOT

REPO = REPO_ROOT
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMMAND_LANGUAGES = {"bash", "python"}
OTHER_LANGUAGES = {"text", "yaml", "json"}
NOT_RUN_TAGS = {"gpu", "no-ci"}
TAGS = {"slow", "output", *NOT_RUN_TAGS}
INLINE = re.compile(r"`((?:make [\w-]+|python -m [\w.]+)(?: [^`]*)?)`")  # not `make reproduce-<name>`


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    tags: frozenset[str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one markdown file, in order."""
    found, info, start, body = [], None, 0, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if info is None and line.startswith("```"):
            info, start, body = line[3:].split(), number, []
        elif info is not None and line == "```":
            language, *tags = info or [""]
            found.append(Block(path, start, language, frozenset(tags), "\n".join(body) + "\n"))
            info = None
        elif info is not None:
            body.append(line)
    assert info is None, f"{path}: a fence opened at line {start} is never closed"
    return found


ALL = [b for path in DOCS for b in blocks(path)]
PYTHON = [b for b in ALL if b.language == "python"]
CHECKED_SHELL = [b for b in ALL if b.language == "bash" and not b.tags & NOT_RUN_TAGS]


def output_of(block: Block) -> Block | None:
    """The ```text output block that follows ``block`` in its file, if any."""
    same_file = [b for b in ALL if b.path == block.path]
    following = same_file[same_file.index(block) + 1:]
    return following[0] if following and following[0].tags == {"output"} else None


def commands(block: Block) -> list[list[str]]:
    """A shell block's commands as argv lists (comments dropped); one command a line."""
    argvs = [shlex.split(line, comments=True) for line in block.text.splitlines()]
    return [argv for argv in argvs if argv]


def clean_env() -> dict[str, str]:
    # Under `make test` the inherited MAKELEVEL/MAKEFLAGS would add "Entering directory" lines to make's output.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    return dict(env, PYTHONPATH=str(REPO), WANDB_MODE="disabled", OMP_NUM_THREADS="1")


@functools.cache
def make_n(args: tuple[str, ...]) -> str:
    done = subprocess.run(["make", "--no-print-directory", "-n", *args, f"PY={sys.executable}"], cwd=REPO,
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"make -n {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


DRY_RUNS: dict[tuple[str, ...], str] = {}  # the same command in several places is checked once


def dry_run(args: list[str], tmp_path: Path, monkeypatch, capsys) -> str:
    """``python -m s0repro.run <args>`` as a dry run, in-process: the overrides compose, type-check and plan."""
    from s0repro.run import main

    kept = [a for a in args if not a.startswith(("results_dir=", "dry_run=", "logger="))]
    if tuple(kept) in DRY_RUNS:
        return DRY_RUNS[tuple(kept)]
    tmp_path.mkdir(parents=True, exist_ok=True)
    results = tmp_path / "results"
    argv = [*kept, "dry_run=true", "logger=none", f"results_dir={results}", f"hydra.run.dir={tmp_path / 'hydra'}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["s0repro.run", *argv])
    capsys.readouterr()
    try:
        main(argv)
    except SystemExit as exit_:
        assert exit_.code in (None, 0), f"python -m s0repro.run {' '.join(args)}: {capsys.readouterr().err}"
    out = capsys.readouterr().out
    assert " cells (" in out, out
    assert not results.exists(), "a dry run wrote results"
    DRY_RUNS[tuple(kept)] = out
    return out


def run_lines(make_output: str) -> list[list[str]]:
    """The ``s0repro.run`` argv of every command ``make -n`` printed."""
    found = []
    for line in make_output.replace("\\\n", " ").splitlines():  # a recipe's continued lines are one command
        argv = shlex.split(line)
        if "s0repro.run" in argv:
            found.append(argv[argv.index("s0repro.run") + 1:])
    return found


@functools.cache
def help_text(module: str) -> str:
    """``python -m M --help``, in-process: a subprocess would import torch again, seconds apiece on a busy box."""
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [module, "--help"]
    try:
        with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as exit_:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        sys.argv = argv
    assert exit_.value.code in (None, 0), f"python -m {module} --help exits {exit_.value.code}"
    return printed.getvalue()


def has_option(module: str, option: str) -> bool:
    """``--help`` names the option, or the module declares it (a parser of its own in front of a shared one)."""
    source = Path(importlib.util.find_spec(module).origin).read_text()
    return option in help_text(module) or f'add_argument("{option}"' in source


def check_pytest(args: list[str], where: str) -> None:
    """``python -m pytest <paths> -m <marker>``: the paths exist and each carries the marker it is selected by."""
    paths = [REPO / a for a in args if not a.startswith("-") and (REPO / a).suffix == ".py"]
    assert paths, f"{where}: pytest without a test file"
    markers = [args[i + 1] for i, a in enumerate(args) if a == "-m"]
    for path in paths:
        assert path.is_file(), f"{where}: no {path.relative_to(REPO)}"
        for marker in markers:
            assert f"pytest.mark.{marker}" in path.read_text(), f"{where}: {path.name} has no {marker} test"


def options(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]


def inline_commands() -> list[tuple[Path, list[str]]]:
    return [(path, shlex.split(span)) for path in DOCS for span in INLINE.findall(path.read_text())]


def test_every_block_says_what_it_is_and_every_output_follows_a_run_python_block():
    for block in ALL:
        assert block.language in COMMAND_LANGUAGES | OTHER_LANGUAGES, f"{block.where}: unknown ```{block.language}"
        assert block.tags <= TAGS, f"{block.where}: unknown tags {sorted(block.tags - TAGS)}"
        if "output" in block.tags:
            previous = [b for b in ALL if b.path == block.path and b.line < block.line][-1]
            assert previous.language in ("python", "bash") and "slow" in previous.tags, (
                f"{block.where}: output must follow a ```python slow or ```bash slow block (it runs as written)")
    assert PYTHON and CHECKED_SHELL  # the README's own snippet and commands are among them


@pytest.mark.parametrize("block", CHECKED_SHELL, ids=lambda b: b.where)
def test_every_shell_command_is_valid_as_written(block, tmp_path, monkeypatch, capsys):
    for argv in commands(block):
        if argv[0] == "make":
            for n, run_args in enumerate(run_lines(make_n(tuple(argv[1:])))):
                dry_run(run_args, tmp_path / f"make{n}", monkeypatch, capsys)
            continue
        if argv[0] == "python" and argv[1].endswith(".py"):
            script = REPO / argv[1]
            assert script.is_file(), f"{block.where}: no {argv[1]}"
            for option in options(argv[2:]):
                assert f'add_argument("{option}"' in script.read_text(), f"{block.where}: {argv[1]} has no {option}"
            continue
        assert argv[:2] == ["python", "-m"], f"{block.where}: {shlex.join(argv)} is neither make nor python -m; " \
                                             "check it here or mark the block no-ci"
        module, args = argv[2], argv[3:]
        if module == "s0repro.run":
            dry_run(args, tmp_path / "run", monkeypatch, capsys)
        elif module == "pytest":
            check_pytest(args, block.where)
        else:
            for option in options(args):
                assert has_option(module, option), f"{block.where}: python -m {module} has no option {option}"


def test_every_inline_command_names_a_real_target_or_option():
    targets = sorted({argv[1] for _, argv in inline_commands() if argv[0] == "make"})
    assert make_n(("SCALE=tiny", *targets)).strip()  # SCALE=tiny: no CUDA probe, the same targets
    for path, argv in inline_commands():
        if argv[0] == "python" and argv[2] != "s0repro.run":
            for option in options(argv[3:]):
                assert has_option(argv[2], option), f"{path.name}: python -m {argv[2]} has no option {option}"


def run_snippet(block: Block, tmp_path: Path, monkeypatch, shrink: bool) -> str:
    code = re.sub(r"\bsteps=\d+", "steps=2", block.text) if shrink else block.text
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, block.where, "exec"), {"__name__": "__snippet__"})  # noqa: S102
    for saved in re.findall(r"\.save\(\"([^\"{]+)\"\)", code):  # what a snippet saves is there afterwards
        assert any((tmp_path / saved).iterdir()), f"{block.where}: nothing saved in {saved}"
    return printed.getvalue()


@pytest.mark.parametrize("block", [b for b in PYTHON if "slow" not in b.tags], ids=lambda b: b.where)
def test_python_snippets_run_from_any_directory(block, tmp_path, monkeypatch):
    run_snippet(block, tmp_path, monkeypatch, shrink=True)


@pytest.mark.slow
@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.where)
def test_python_snippets_run_as_written_and_print_what_the_docs_show(block, tmp_path, monkeypatch):
    printed = run_snippet(block, tmp_path, monkeypatch, shrink=False)
    shown = output_of(block)
    if shown is not None:
        assert printed.splitlines() == shown.text.splitlines(), f"{block.where} prints:\n{printed}"


@pytest.mark.slow
@pytest.mark.parametrize("block", [b for b in CHECKED_SHELL if "slow" in b.tags and output_of(b)],
                         ids=lambda b: b.where)
def test_scripts_print_what_the_docs_show(block):
    """A ```bash slow block's ``python <script>.py`` lines, run from the repository root as a reader would."""
    printed = []
    for argv in commands(block):
        assert argv[0] == "python" and argv[1].endswith(".py"), f"{block.where}: only scripts are run here"
        done = subprocess.run([sys.executable, *argv[1:]], cwd=REPO, env=clean_env(), capture_output=True,
                              text=True, timeout=1800)
        assert done.returncode == 0, f"{block.where}: {done.stderr[-2000:]}"
        printed += done.stdout.splitlines()
    assert printed == output_of(block).text.splitlines(), f"{block.where} prints:\n" + "\n".join(printed)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_docs_reaches_a_file_and_a_heading():
    for path in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            assert linked.is_file(), f"{path.name}: no {file}"
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.M)
            assert not anchor or anchor in {slug(h) for h in headings}, f"{path.name}: no heading #{anchor} in {file}"
