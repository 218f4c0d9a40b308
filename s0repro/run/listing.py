"""What a run says before it starts: the experiment's cell count, how many are finished, and (``dry_run=true``) the
state of every cell."""

from __future__ import annotations

from pathlib import Path

from s0repro.conf import RunSpec


def print_plan(exp_name: str, specs: list[RunSpec], todo: list[RunSpec], root: Path, *, listing: bool) -> None:
    print(f"{exp_name}: {len(specs)} cells ({len({s.label for s in specs})} methods x "
          f"{len({s.seed for s in specs})} seeds), {len(specs) - len(todo)} finished, {len(todo)} to run "
          f"-> {root}", flush=True)
    if not listing:
        return
    pending = set(todo)
    for spec in specs:
        state = "to run" if spec in pending else "finished"
        print(f"  {'/'.join(map(str, spec.key[:3]))} seed={spec.seed}: {state}", flush=True)
