"""One sandbox server (:mod:`.server`), driven from the harness: started on first use, handed one program at a
time over its control socket, killed with all it holds when a program runs into a time limit."""

from __future__ import annotations

import contextlib
import marshal
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from s0repro.evaluate.sandbox.clock import ChargedClock, process_tree
from s0repro.evaluate.sandbox.config import ExecResult, Plan, SandboxConfig
from s0repro.evaluate.sandbox.environment import PRIVATE_DIRS, installation_path, sandbox_env
from s0repro.evaluate.sandbox.limits import count_own_processes, rlimits
from s0repro.evaluate.sandbox.output import collect, write_all
from s0repro.evaluate.sandbox.verdicts import classify, main_report

UID_RANGE = (200_000, 2_000_000_000)  # random unprivileged uid per program when running as root

# The server runs inside the sandbox, in the interpreter given by the plan; its text is passed with ``-c``, or, for
# the harness's own interpreter, its compiled code (marshal data in hex as the last argument).
SERVER = Path(__file__).with_name("server.py").read_text()
SERVER_CODE = marshal.dumps(compile(SERVER, "sandbox_server.py", "exec")).hex()  # the name its frames always had
LOAD_SERVER = "import marshal, sys; exec(marshal.loads(bytes.fromhex(sys.argv.pop())))"


class Server:
    """One sandbox server (:mod:`.server`) per harness worker, started on first use; a program it could not
    finish in time costs the whole server (killed with everything in it) and the next program starts a new one."""

    def __init__(self, plan: Plan, cfg: SandboxConfig, nproc: int | None) -> None:
        self.plan, self.cfg, self.nproc = plan, cfg, nproc
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.log = None  # the server's own stderr, for the reason it could not start

    def _start(self) -> None:
        plan, own = self.plan, self.plan.is_harness_python
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server_cfg = marshal.dumps({"sys_path": installation_path() if own else [],
                                    "prefixes": [sys.base_prefix, sys.prefix] if own else [],
                                    "private": list(PRIVATE_DIRS) if plan.prefix else [],
                                    "userns": "-r" in plan.prefix,
                                    "host_tmp": tempfile.gettempdir()}).hex()
        flags = ("-I", "-S", "-B") if own else ("-I", "-B")
        args = [str(theirs.fileno()), server_cfg]
        code = ["-c", LOAD_SERVER, *args, SERVER_CODE] if own else ["-c", SERVER, *args]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        try:
            self.proc = subprocess.Popen([*plan.prefix, plan.python, *flags, *code], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self.log, cwd="/", env=sandbox_env("/"),
                                         pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()

    def _server_said(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return " ".join(self.log.read().decode(errors="replace").split()[-12:])

    def run(self, program: str) -> ExecResult:
        start = time.perf_counter()
        token = secrets.token_hex(16)
        uid = random.SystemRandom().randrange(*UID_RANGE) if self.plan.drop_uid else None
        if self.plan.drop_uid:  # a fresh uid: the program's own processes are all that count
            nproc = self.cfg.max_processes
        else:  # RLIMIT_NPROC counts every process of the user, so leave room for what already runs
            nproc = self.nproc if self.nproc is not None else count_own_processes() + self.cfg.max_processes + 4
        request = marshal.dumps({"token": token, "uid": uid, "rlimits": rlimits(self.cfg, nproc),
                                 "wall": math.ceil(self.cfg.wall_limit_s) + 2})
        source, report = os.memfd_create("program"), os.memfd_create("report")
        (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
        try:
            write_all(source, program.encode())
            try:
                launched, clock = self._send(request, [source, out_w, err_w, report])
            except OSError as e:
                return ExecResult("error", None, "", "", time.perf_counter() - start, f"cannot start: {e}")
            finally:
                for fd in (source, out_w, err_w):
                    os.close(fd)
            out, err, hit, rc = collect((out_r, err_r), self.control, self.cfg.output_bytes, self.cfg, launched,
                                         clock)
            if hit or rc is None:
                said = self._server_said() if rc is None and not hit else ""
                self.kill()
                if said:
                    err += f"\n[sandbox server: {said}]"
            text = os.pread(report, 1 << 20, 0).decode("utf-8", errors="replace")
        finally:
            for fd in (out_r, err_r, report):
                os.close(fd)
        found = main_report(text, token)
        status, detail = classify(found, rc, hit)
        return ExecResult(status, rc, out, err, time.perf_counter() - start, detail, (found or {}).get("exc", ""),
                          {"compile": "compile", "exception": "run"}.get((found or {}).get("kind"), ""))

    def _send(self, request: bytes, fds: list[int]) -> tuple[float, ChargedClock | None]:
        """Hand the request to the server (a new one if there is none, or if the last one died between programs:
        once more, on a fresh server); returns when it was sent and the program's clock."""
        try:
            return self._send_once(request, fds)
        except OSError:
            self.kill()
        try:
            return self._send_once(request, fds)
        except OSError:
            self.kill()
            raise

    def _send_once(self, request: bytes, fds: list[int]) -> tuple[float, ChargedClock | None]:
        if self.proc is None:
            self._start()
        launched = time.monotonic()
        clock = ChargedClock(self.proc.pid, launched) if self.cfg.charged_limit_s is not None else None
        socket.send_fds(self.control, [request], fds)
        return launched, clock

    def kill(self) -> None:
        """End the server and everything it started (inside a pid namespace killing ``unshare`` suffices; without
        one, each process of the tree and its process group)."""
        if self.proc is not None:
            for pid in process_tree(self.proc.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait()
        self._forget()

    def close(self) -> None:
        """End of file on the control socket: the server exits, and with it its namespace."""
        if self.proc is not None:
            self.control.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        self._forget()

    def _forget(self) -> None:
        if self.control is not None:
            self.control.close()
        if self.log is not None:
            self.log.close()
        self.proc = self.control = self.log = None


def run_one(program: str, cfg: SandboxConfig, plan: Plan, nproc_hint: int | None = None) -> ExecResult:
    """One program on a server of its own (the isolation probe, tests)."""
    server = Server(plan, cfg, nproc_hint)
    try:
        return server.run(program)
    finally:
        server.close()

