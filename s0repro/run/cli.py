"""The command line of ``python -m s0repro.run``: argv rewriting, a pre-check, then Hydra and the run loop.

Bad input is one line on stderr and exit status 2 before Hydra (or a model) starts: :func:`precheck` composes the
config the way Hydra will (the first job of a sweep), types it and plans its cells. A seed list outside a multirun
(``seed=42,7,123``) is one run over three seeds, not a Hydra sweep (:func:`normalise_argv`). Cells that crash give
exit status 1 at the end, after the others ran. Ctrl-C is one line saying how many cells are finished and kept, and
exit status 130: the cell in progress leaves no result (the store removes its attempt folder), so re-running the same
command resumes.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from s0repro.conf import (
    CONF_DIR,
    GROUPS,
    NotInExperiment,
    arm_labels,
    check_cell_count,
    compose,
    config_error_line,
    expand_suite,
    group_options,
    parse_seeds,
    plan_runs,
    scale_extra,
    to_settings,
)
from s0repro.errors import UserError
from s0repro.models import fallback_note
from s0repro.results.schema import CorruptResultError
from s0repro.results.store import ResultStore
from s0repro.run.cells import run
from s0repro.run.jobs import job_error_line, job_folder, remove_empty_template
from s0repro.run.session import Evaluator
from s0repro.run.status import CellsFailed

EXIT_USER_ERROR, EXIT_CELLS_FAILED, EXIT_INTERRUPTED = 2, 1, 130  # 130 = 128 + SIGINT, as a shell reports Ctrl-C


def _is_multirun(argv: list[str]) -> bool:
    return "-m" in argv or "--multirun" in argv


def normalise_argv(argv: list[str]) -> list[str]:
    """Outside a multirun, ``seed=42,7,123`` means a list of seeds (``arm=a,b`` a list of arms): quote it so Hydra
    does not call it a sweep."""
    if _is_multirun(argv):
        return list(argv)
    out = []
    for arg in argv:
        key, _, value = arg.partition("=")
        if key in ("seed", "arm") and "," in value and not value.startswith(("[", "'", '"')):
            arg = f"{key}='{value}'"
        out.append(arg)
    return out


def _group_choices(argv: list[str]) -> list[tuple[str, str]]:
    choices = []
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if sep and key in GROUPS and value not in ("null", ""):
            choices.extend((key, v.strip()) for v in value.split(","))
    return choices


def _arm_hint(group: str, value: str, choices: list[tuple[str, str]]) -> str:
    """``+exp=layer_groups method=s0_late``: the user meant an arm; name ``arm=`` and the experiment's labels."""
    exps = [v for g, v in choices if g == "exp" and v in group_options("exp")]
    if group != "method" or not exps:
        return ""
    labels = arm_labels(compose([f"+exp={exps[0]}"]))
    pick = f"arm={value} runs that arm" if value in labels else "arm=<label> runs one arm"
    return f"; {pick} (arms of {exps[0]}: {', '.join(labels)})"


def precheck(argv: list[str]) -> None:
    """Unknown group options, typos and wrong types, bad seeds: one line before Hydra (or a model) starts."""
    choices = _group_choices(argv)
    for group, value in choices:
        options = group_options(group)
        if value not in options:
            raise UserError(f"unknown {group} {value!r}; choose one of: {', '.join(options)}"
                            + _arm_hint(group, value, choices))
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return  # --cfg, --info, --config-name ...: Hydra's own options, left to Hydra
    overrides = [a for a in argv if not a.startswith("-") and not a.lstrip("+").startswith("hydra")]
    jobs = 1
    if _is_multirun(argv):
        jobs = sweep_jobs(overrides)
        overrides = first_of_each_sweep(overrides)
    members = expand_suite(compose(overrides), overrides)
    for cfg, member_overrides in members:
        to_settings(cfg)
        try:
            cells = len(plan_runs(cfg, member_overrides))
        except NotInExperiment:
            if len(members) == 1:  # in a suite, a member without that method is skipped instead
                raise
            continue
        if jobs > 1:  # each job is under max_cells; the sweep as a whole must be too
            check_cell_count(jobs * cells, cfg.max_cells, f"{jobs:,} sweep jobs of {cells} cells like the first")


def _parse_overrides(overrides: list[str]) -> list:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_overrides(overrides)
    except Exception as err:  # noqa: BLE001
        raise UserError(config_error_line(err)) from None


def sweep_jobs(overrides: list[str]) -> int:
    """How many jobs a multirun launches: the product of its sweeps' lengths (``seed=range(0,100)`` is 100)."""
    jobs = 1
    for item in _parse_overrides(overrides):
        if item.is_sweep_override():
            jobs *= sum(1 for _ in item.sweep_string_iterator())
    return jobs


def first_of_each_sweep(overrides: list[str]) -> list[str]:
    """A multirun's first job (``seed=0,1`` -> ``seed=0``), so its config can be checked before Hydra launches."""
    out = []
    for item in _parse_overrides(overrides):
        if item.is_sweep_override():
            key = item.input_line.split("=", 1)[0]
            values = list(item.sweep_string_iterator())
            if item.key_or_group == "seed":
                for value in values:
                    parse_seeds(value.strip("'\""))
            out.append(f"{key}={values[0]}")
        else:
            out.append(item.input_line)
    return out


def with_scale(argv: list[str]) -> list[str]:
    """``scale=tiny`` spelled out (:mod:`s0repro.conf.scale`) before the user's overrides, so that Hydra composes,
    and writes to its output folder, the config that runs."""
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return argv
    overrides = [a for a in argv if not a.startswith("-") and not a.lstrip("+").startswith("hydra")]
    first = first_of_each_sweep(overrides) if _is_multirun(argv) else overrides
    extra = scale_extra(first)
    flags = [a for a in argv if a.startswith("-")]
    return [*flags, *extra, *(a for a in argv if not a.startswith("-"))]


def main(argv: list[str] | None = None, *, evaluator: Evaluator | None = None) -> None:
    """The command line; ``evaluator``: the data and evaluate stages every cell drives (default: the real ones; the
    runner's child-process tests hand in a fast stand-in)."""
    argv = normalise_argv(list(sys.argv[1:] if argv is None else argv))
    if any(a.startswith("hydra/launcher=submitit") for a in argv):
        os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # a failed job reaches us, to be reduced to its own line
    try:
        precheck(argv)
        argv = with_scale(argv)
        sys.argv = [sys.argv[0], *argv]
        hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")(
            lambda cfg: _run_job(cfg, evaluator))()
    except UserError as err:
        _fail(err)
    except Exception as err:
        line, folder = job_error_line(err), job_folder(err)
        if line is None:
            raise
        if folder is not None:
            remove_empty_template(folder.parents[1])
        _fail(UserError(line))
    except KeyboardInterrupt:  # before a plan exists (pre-check, Hydra starting) or during the count below
        _interrupted("interrupted; re-run the same command to resume")


def _fail(err: BaseException) -> None:
    print(f"error: {err}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USER_ERROR)


def _interrupted(line: str) -> None:
    fresh_line = "\n" if sys.stderr.isatty() else ""  # a terminal shows ^C (or a progress bar) on the current line
    print(f"{fresh_line}{line}", file=sys.stderr, flush=True)
    sys.exit(EXIT_INTERRUPTED)


def finished_cells(cfg: DictConfig, overrides: list[str]) -> tuple[int, int]:
    """(finished, planned) cells of the command: what an interrupted run keeps, and what it had to do."""
    finished = planned = 0
    for member, member_overrides in expand_suite(cfg, overrides):
        try:
            specs = plan_runs(member, member_overrides)
        except NotInExperiment:
            continue
        store = ResultStore(Path(member.results_dir).expanduser().absolute())
        for spec in specs:
            planned += 1
            with contextlib.suppress(CorruptResultError):  # not finished; the next run says so
                finished += store.existing(*spec.key) is not None
    return finished, planned


def _run_job(cfg: DictConfig, evaluator: Evaluator | None) -> None:
    """One Hydra job (the only one, or one of a sweep): its cells, with the exit status the user should see."""
    overrides = list(HydraConfig.get().overrides.task)
    note = fallback_note()
    if note and not cfg.dry_run:
        print(note, flush=True)
    try:
        run(cfg, overrides, evaluator=evaluator)
    except UserError as err:
        _fail(err)
    except CellsFailed as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CELLS_FAILED)
    except KeyboardInterrupt:
        finished, planned = finished_cells(cfg, overrides)
        _interrupted(f"interrupted; {finished} finished cells kept ({planned - finished} of {planned} to go); "
                     "re-run the same command to resume")
