"""The serial loop: one experiment's cells one after the other in this process, a crashed cell costing only
itself (bad input still stops the run at once)."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from s0repro.errors import CellSkipped, UserError, one_line
from s0repro.run.cell import cell_name, run_cell
from s0repro.run.prepare import Experiment
from s0repro.run.session import Session
from s0repro.run.status import print_busy, print_failed, print_finished, raise_failed

log = logging.getLogger(__name__)


def run_serially(experiment: Experiment, session: Session) -> list[dict[str, Any]]:
    """Every cell of ``experiment`` on ``session``; the payloads of those that finished, then :class:`CellsFailed`
    naming the others if any crashed."""
    todo, ctx = experiment.todo, experiment.context
    payloads, failed = [], []
    for i, spec in enumerate(todo, start=1):
        clock = time.perf_counter()
        name = cell_name(spec)
        try:
            payload = run_cell(session, spec, experiment.store, ctx.full_config, ctx.wandb_dir)
        except CellSkipped as err:  # busy elsewhere, or nothing to train on
            print_busy(i, len(todo), name, str(err))
            continue
        except UserError:
            raise
        except Exception as err:  # noqa: BLE001 - one failed cell must not cost the others; reported below
            failed.append(name)
            print_failed(i, len(todo), name, one_line(err, with_type=True), traceback.format_exc())
            continue
        payloads.append(payload)
        print_finished(i, len(todo), payload, time.perf_counter() - clock)
    raise_failed(failed, len(todo))
    return payloads
