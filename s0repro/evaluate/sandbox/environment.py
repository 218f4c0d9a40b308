"""What a program sees of the harness: an allow-listed environment, private world-writable directories, and the
harness's own Python installation (never its working tree)."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

# World-writable places that get a private, throw-away tmpfs inside the mount namespace.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
# Names a program may see from the harness's environment; everything else (tokens, keys, paths) stays out.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
SECRET_NAME = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)", re.IGNORECASE)


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
def installation_path() -> list[str]:
    """The harness's module path within its Python installation (stdlib, lib-dynload, site-packages); entries
    elsewhere (the working tree, editable installs) are not the program's business."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    return [p for p in sys.path if os.path.isabs(p) and os.path.isdir(p)
            and any(os.path.realpath(p).startswith(r + os.sep) for r in roots)]
