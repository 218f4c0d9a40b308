"""`make gpu-bundle` / `make gpu-command`: the wheels the lent GPU machine lacks, and the one command run there.

    python -m benchmarks.gpu_bundle             # fill .whl/ (skips wheels already there), check sizes, print the command
    python -m benchmarks.gpu_bundle --command   # print the command only

The lent machine (one H100 or H200) has Python 3.12, torch 2.11 with CUDA, triton 3.6, transformers 5.17, peft,
safetensors, scipy and the rest of a scientific stack, and no network. What it lacks travels as py3.12 wheels in
the git-ignored ``.whl/`` beside the working tree; together they must stay under 64 MiB, with at most 8 extra paths
named (we name one: ``.whl``). The bundle, at this project's versions:

- transformers (carried at our pin: the S0 cache seam and the padding hooks rely on 5.24's hybrid-cache internals;
  its runtime dependencies tokenizers 0.23, huggingface-hub 1.3x and safetensors 0.8 are already there), peft, and
  regex (transformers checks its version at import; the image's is not known);
- hydra-core, omegaconf and antlr4-python3-runtime (sdist only: built into a wheel here), because method presets are
  composed by Hydra;
- flash-linear-attention and fla-core (pure Python, Triton kernels);
- mamba-ssm built here without its CUDA extension. Its Triton SSD kernels (``mamba_chunk_scan_combined``,
  ``selective_state_update``) need no compiled code, but the package root imports the extension
  (``selective_scan_cuda``) unconditionally, and transformers binds a mamba-ssm kernel by importing that root
  first -- so an unpatched build makes transformers fall back to torch for every mamba-ssm function. The wheel is
  therefore built with its root imports made optional (version ``+noext``). Without causal-conv1d (CUDA-compiled,
  not carried) the convolutions and the fused training-mode ``mamba_split_conv1d_scan_combined`` stay on torch.

Versions: those installed in this project's venv for the packages it has (so the rehearsal runs what the tests run),
and the pins below for the GPU-only ones. ``EXTRA`` (``make gpu-bundle GPU_BUNDLE_EXTRA="NAME==VERSION"``) adds
a wheel if the machine turns out to lack one.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from s0repro.errors import UserError
from s0repro.paths import REPO_ROOT

BUNDLE = REPO_ROOT / ".whl"
TREE_LIMIT = 64 * 2**20  # working tree + carried paths, per call
COMMAND_LIMIT = 2000  # characters of one device command
CARRY = (".whl",)  # the extra paths the command needs (at most 8)
CHECK_SECONDS = 450  # the check's own limit: with the install it ends inside 8 minutes
# regex: transformers 5.24 checks regex>=2025.10.22 at import, and the image's version is not known.
FROM_VENV = ("transformers", "peft", "regex", "hydra-core", "omegaconf", "antlr4-python3-runtime")
GPU_PINS = {"flash-linear-attention": "0.6.0", "fla-core": "0.6.0", "mamba-ssm": "2.3.2.post1"}
SDIST_ONLY = ("antlr4-python3-runtime", "mamba-ssm")  # built into wheels here
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")
MAMBA_ENV = {"MAMBA_SKIP_CUDA_BUILD": "TRUE", "MAMBA_FORCE_BUILD": "TRUE", "MAMBA_LOCAL_VERSION": "noext"}
# The package root's convenience imports, each made optional: they need the CUDA extension or Mamba-3's extras.
MAMBA_ROOT = '''__version__ = "{version}"

# Built by s0repro's gpu-bundle without the CUDA extension (selective_scan_cuda): the Triton kernels under
# mamba_ssm.ops.triton import without it, so the package root must not fail when it is absent.
try:
    from mamba_ssm.ops.selective_scan_interface import selective_scan_fn, mamba_inner_fn
    from mamba_ssm.modules.mamba_simple import Mamba
    from mamba_ssm.modules.mamba2 import Mamba2
    from mamba_ssm.modules.mamba3 import Mamba3
    from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel
except ImportError:
    pass
'''


class BundleError(UserError):
    """The bundle cannot be built or does not fit the device's limits."""


def wanted(extra: list[str] | None = None) -> dict[str, str]:
    """Distribution -> version the bundle carries."""
    pins = {}
    for dist in FROM_VENV:
        try:
            pins[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            raise BundleError(f"{dist} is not installed in this venv; run `make install` first") from None
    pins.update(GPU_PINS)
    for spec in extra or []:
        name, sep, version = spec.partition("==")
        if not sep or not name or not version:
            raise BundleError(f"extra wheel {spec!r} must read NAME==VERSION")
        pins[name] = version
    return pins


def wheel_key(filename: str) -> tuple[str, str]:
    """(normalised distribution, version without local label) of a wheel file name."""
    name, version = filename.split("-")[:2]
    return re.sub(r"[-_.]+", "-", name).lower(), version.split("+")[0]


def present(folder: Path) -> dict[tuple[str, str], Path]:
    return {wheel_key(p.name): p for p in folder.glob("*.whl")}


def _pip(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=900)
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise BundleError(f"pip {args[0]} {args[-1]} failed: {tail[0]}")


def download(dist: str, version: str, dest: Path) -> None:
    """The py3.12 manylinux / pure-Python wheel of ``dist``, as the device README fetches it."""
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    _pip("download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
         *platforms, "-d", str(dest), f"{dist}=={version}")


def patch_mamba_root(source: Path) -> None:
    """Make the package root's imports optional (see the module docstring); its version line is kept."""
    init = source / "mamba_ssm" / "__init__.py"
    version = re.search(r'^__version__\s*=\s*"([^"]+)"', init.read_text(), re.MULTILINE)
    if version is None:
        raise BundleError(f"{init} has no __version__ line; the mamba-ssm layout changed")
    init.write_text(MAMBA_ROOT.format(version=version.group(1)))


def build(dist: str, version: str, dest: Path) -> None:
    """A wheel built here from the sdist (no compiled extension; torch from this venv for mamba-ssm's setup.py)."""
    env = MAMBA_ENV if dist == "mamba-ssm" else {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # metadata is prepared without the local label, which ==version would not match
        _pip("download", "-q", "--no-deps", "--no-binary=:all:", "--no-build-isolation", "-d", str(work),
             f"{dist}=={version}", env={k: v for k, v in env.items() if k != "MAMBA_LOCAL_VERSION"})
        archive = next(work.glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        source = next(p for p in work.iterdir() if p.is_dir())
        if dist == "mamba-ssm":
            patch_mamba_root(source)
        _pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dest), str(source), env=env)


def fill(folder: Path, pins: dict[str, str]) -> list[Path]:
    """Every wanted wheel in ``folder`` (kept if there, other versions of the same package removed)."""
    folder.mkdir(exist_ok=True)
    for dist, version in pins.items():
        key = (re.sub(r"[-_.]+", "-", dist).lower(), version)
        for (name, have), path in present(folder).items():
            if name == key[0] and have != version:
                path.unlink()  # one version of each: two stop the whole install there
        if key in present(folder):
            continue
        print(f"gpu-bundle: {'building' if dist in SDIST_ONLY else 'fetching'} {dist}=={version}", flush=True)
        (build if dist in SDIST_ONLY else download)(dist, version, folder)
    names = {(re.sub(r"[-_.]+", "-", d).lower(), v) for d, v in pins.items()}
    unknown = [p.name for k, p in present(folder).items() if k not in names]
    if unknown:
        raise BundleError(f"{folder} holds wheels the bundle does not name ({', '.join(unknown)}); remove them")
    return sorted(present(folder).values())


def tree_bytes(repo: Path = REPO_ROOT) -> int:
    """Bytes of what travels without carry: tracked and untracked-not-ignored files."""
    done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                          capture_output=True, check=True)
    files = [repo / name for name in done.stdout.decode().split("\0") if name]
    return sum(p.stat().st_size for p in files if p.is_file())


def command(check_args: str = "") -> str:
    """The one command for the device tool: install the bundle, run the check, keep its JSON and log in $OUT.

    ``check_args`` go to the check (a rerun of part of it, e.g. ``--models falcon_h1 --repeats 3``)."""
    site = "${SITE:-/tmp/s0site}"  # the rehearsal sets SITE to a fresh folder; the device uses the default
    return (f"python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target {site} "
            f".whl/*.whl || exit 3; export PYTHONPATH={site}:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1; "
            f"set -o pipefail; timeout {CHECK_SECONDS} python3 -m benchmarks.gpu_check --out $OUT/gpu_check.json "
            f"{check_args + ' ' if check_args else ''}2>&1 | tee $OUT/gpu_check.log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", action="store_true", help="print the device command only")
    parser.add_argument("--extra", nargs="*", default=[], help="more wheels, NAME==VERSION")
    parser.add_argument("--check-args", default="", help="arguments for the check in the printed command")
    args = parser.parse_args(argv)
    if args.command:
        print(command(args.check_args))
        return 0
    try:
        wheels = fill(BUNDLE, wanted(args.extra))
        bundle = sum(p.stat().st_size for p in wheels)
        total = tree_bytes() + bundle
        print(f"gpu-bundle: {len(wheels)} wheels, {bundle / 2**20:.1f} MiB in {BUNDLE.name}/; with the working tree "
              f"{total / 2**20:.1f} MiB of {TREE_LIMIT // 2**20} MiB")
        if total > TREE_LIMIT:
            raise BundleError(f"working tree + bundle is {total / 2**20:.1f} MiB, over the device's "
                              f"{TREE_LIMIT // 2**20} MiB; ignore large untracked files or carry less")
    except BundleError as err:
        print(f"gpu-bundle: {err}", file=sys.stderr)
        return 2
    print(f"run it with the device tool, carry={list(CARRY)}, timeout_s=600:")
    print(command(args.check_args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
