"""Many programs on a few sandbox servers, ``workers`` at a time (one server each); results in order."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

from tqdm.auto import tqdm

from s0repro.evaluate.sandbox.client import Server
from s0repro.evaluate.sandbox.config import ExecResult, SandboxConfig
from s0repro.evaluate.sandbox.isolation import isolation_plan
from s0repro.evaluate.sandbox.limits import count_own_processes


def run_programs(programs: list[str], cfg: SandboxConfig | None = None, *, progress: bool = False,
                 desc: str = "sandbox") -> list[ExecResult]:
    """Run each program in its own sandbox, ``cfg.effective_workers`` at a time (one server each); results in order.
    ``progress``: a tqdm bar on stderr labelled ``desc`` (minutes of silence otherwise at full scale)."""
    cfg = cfg or SandboxConfig()
    if not programs:
        return []
    plan = isolation_plan(cfg)
    workers = min(cfg.effective_workers, len(programs))
    # Without the uid drop RLIMIT_NPROC counts the user's processes: room for every worker's server and program.
    nproc = None if plan.drop_uid else count_own_processes() + (cfg.max_processes + 4) * workers
    idle: queue.SimpleQueue[Server] = queue.SimpleQueue()
    servers = [Server(plan, cfg, nproc) for _ in range(workers)]
    for server in servers:
        idle.put(server)
    with ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(programs), desc=desc, unit="program", disable=not progress) as bar:
        def run_and_count(program: str) -> ExecResult:
            server = idle.get()
            try:
                return server.run(program)
            finally:
                idle.put(server)
                bar.update()

        try:
            return list(pool.map(run_and_count, programs))
        finally:
            for server in servers:
                server.close()
