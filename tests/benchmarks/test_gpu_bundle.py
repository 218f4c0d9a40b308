"""`make gpu-bundle` and the one device command: the limits it must fit, and a rehearsal of it here without CUDA.

The rehearsal (slow) builds the bundle (or keeps the wheels already in .whl/), makes a plain venv, and runs the very
command string the device gets, with only SITE (the target folder) and OUT pointing into a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from importlib import metadata
from pathlib import Path

import pytest

from benchmarks import gpu_bundle
from s0repro.paths import REPO_ROOT

DEVICE_PACKAGES = Path(__file__).with_name("device_packages.txt")
CARRIED = ("transformers", "peft", "hydra-core", "omegaconf", "flash-linear-attention", "fla-core", "mamba-ssm")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_command_fits_the_device_limits():
    cmd = gpu_bundle.command()
    assert len(cmd) <= gpu_bundle.COMMAND_LIMIT and len(gpu_bundle.CARRY) <= 8
    assert "--no-index --no-deps" in cmd and "--target ${SITE:-/tmp/s0site} .whl/*.whl" in cmd
    assert "PYTHONPATH=${SITE:-/tmp/s0site}:$PWD" in cmd and "set -o pipefail" in cmd
    # what comes back: plain files at the top of $OUT (at most 8, at most 2 folders down)
    outs = re.findall(r"\$OUT/(\S+)", cmd)
    assert set(outs) == {"gpu_check.json", "gpu_check.log"} and all("/" not in o for o in outs)
    # the check's own limit leaves the install a minute inside the 8 minutes, and the rerun inside the 10 of a call
    assert gpu_bundle.CHECK_SECONDS + 30 <= 8 * 60
    assert f"timeout {gpu_bundle.CHECK_SECONDS} python3 -m benchmarks.gpu_check" in cmd


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_gpu_command_prints_exactly_the_command():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-s", "gpu-command", f"PY={sys.executable}"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == gpu_bundle.command()
    rerun = subprocess.run(["make", "--no-print-directory", "-s", "gpu-command", f"PY={sys.executable}",
                            "GPU_CHECK_ARGS=--models falcon_h1 --repeats 3"], cwd=REPO_ROOT, capture_output=True,
                           text=True, timeout=120, env=env).stdout.strip()
    assert "gpu_check.json --models falcon_h1 --repeats 3 2>&1 | tee" in rerun and len(rerun) <= 2000


def test_versions_come_from_this_venv_and_the_gpu_pins():
    pins = gpu_bundle.wanted(["regex==2026.12.2"])
    assert pins["transformers"] == metadata.version("transformers") and pins["mamba-ssm"] == "2.3.2.post1"
    assert pins["regex"] == "2026.12.2"
    with pytest.raises(gpu_bundle.BundleError, match="NAME==VERSION"):
        gpu_bundle.wanted(["regex"])


def test_fill_keeps_wheels_there_replaces_other_versions_and_refuses_strangers(tmp_path, monkeypatch):
    made = []

    def fake(dist, version, dest):
        made.append(dist)
        (dest / f"{dist.replace('-', '_')}-{version}-py3-none-any.whl").write_bytes(b"x")

    monkeypatch.setattr(gpu_bundle, "download", fake)
    monkeypatch.setattr(gpu_bundle, "build", fake)
    (tmp_path / "omegaconf-2.3.1-py3-none-any.whl").write_bytes(b"kept")
    (tmp_path / "hydra_core-1.3.0-py3-none-any.whl").write_bytes(b"old")
    (tmp_path / "mamba_ssm-2.3.2.post1+noext-py3-none-any.whl").write_bytes(b"built")
    pins = {"omegaconf": "2.3.1", "hydra-core": "1.3.8", "mamba-ssm": "2.3.2.post1", "fla-core": "0.6.0"}
    wheels = gpu_bundle.fill(tmp_path, pins)
    assert made == ["hydra-core", "fla-core"]  # present ones (the local +noext label included) are kept
    assert sorted(p.name for p in wheels) == ["fla_core-0.6.0-py3-none-any.whl", "hydra_core-1.3.8-py3-none-any.whl",
                                              "mamba_ssm-2.3.2.post1+noext-py3-none-any.whl",
                                              "omegaconf-2.3.1-py3-none-any.whl"]
    (tmp_path / "numpy-2.0.0-cp312-cp312-manylinux_2_28_x86_64.whl").write_bytes(b"?")
    with pytest.raises(gpu_bundle.BundleError, match="numpy-2.0.0"):
        gpu_bundle.fill(tmp_path, pins)


def test_patched_mamba_root_imports_without_the_cuda_extension(tmp_path):
    """The unpatched root fails on the missing extension; the patched one imports, Triton modules reachable."""
    pkg = tmp_path / "mamba_ssm"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "selective_scan_interface.py").write_text("import selective_scan_cuda\n")
    (pkg / "ops" / "ssd.py").write_text("KERNEL = 'triton'\n")
    (pkg / "__init__.py").write_text('__version__ = "2.3.2.post1"\n\n'
                                     "from mamba_ssm.ops.selective_scan_interface import selective_scan_fn\n")
    probe = "import mamba_ssm, mamba_ssm.ops.ssd as s; print(mamba_ssm.__version__, s.KERNEL)"

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, env={**os.environ, "PYTHONPATH": str(tmp_path)})

    assert "selective_scan_cuda" in run().stderr
    gpu_bundle.patch_mamba_root(tmp_path)
    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2.3.2.post1", "triton"]


def test_tree_size_counts_what_travels(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("/.whl/\n")
    (tmp_path / "a.py").write_bytes(b"x" * 1000)
    (tmp_path / ".whl").mkdir()
    (tmp_path / ".whl" / "big.whl").write_bytes(b"x" * 10_000)
    assert gpu_bundle.tree_bytes(tmp_path) == 1000 + len("/.whl/\n")  # the ignored bundle is counted apart


def test_an_oversized_bundle_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    wheel = tmp_path / "transformers-5.24.0-py3-none-any.whl"
    wheel.write_bytes(b"x" * 2048)
    monkeypatch.setattr(gpu_bundle, "fill", lambda folder, pins: [wheel])
    monkeypatch.setattr(gpu_bundle, "TREE_LIMIT", 1024)
    assert gpu_bundle.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu-bundle: working tree + bundle is") and "\n" not in err


# Run in the rehearsal's environment: every module the check's import chain loads, its file, and for each top-level
# name the module that first imported it (a package the device has brings its own dependencies there).
PROBE = """
import builtins, json, sys
first, plain_import = {}, builtins.__import__
def spy(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0:
        first.setdefault(name.split(".")[0], ((globals or {}).get("__name__") or "").split(".")[0])
    return plain_import(name, globals, locals, fromlist, level)
builtins.__import__ = spy
import benchmarks.gpu_check
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
print(json.dumps({"files": files, "importers": first}))
"""
OURS_AND_CARRIED = {"benchmarks", "s0repro", "transformers", "peft", "hydra", "omegaconf", "antlr4", "fla",
                    "mamba_ssm"}


def _import_chain(python: Path, env: dict[str, str]) -> dict[str, dict[str, str]]:
    done = subprocess.run([str(python), "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _owner(path: Path, owners: dict[str, list[str]]) -> set[str]:
    """The distributions that ship the top-level package holding ``path`` (by its folder under site-packages)."""
    parts = path.parts
    if "site-packages" not in parts:
        return set()
    top = parts[parts.index("site-packages") + 1].split(".")[0]
    return {normal(d) for d in owners.get(top, [])}


def _tree_for_this_python(tree: Path, wheels: list[Path]) -> Path:
    """The working tree as the device sees it (links to the repository's folders), with the bundle's wheels that this
    interpreter can install: a compiled wheel for the device's Python 3.12 (regex) cannot go into a 3.11 venv here,
    and this venv's own build of it serves instead. Only such wheels are set aside."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    tree.mkdir()
    for name in ("s0repro", "benchmarks", "conf", "assets"):
        (tree / name).symlink_to(REPO_ROOT / name)
    (tree / ".whl").mkdir()
    here = set(sys_tags())
    aside = []
    for wheel in wheels:
        if here & set(parse_wheel_filename(wheel.name)[3]):
            (tree / ".whl" / wheel.name).symlink_to(wheel)
        else:
            aside.append(parse_wheel_filename(wheel.name)[0])
    assert set(aside) <= {"regex"}, aside  # pure-Python wheels must all install here, as they will there
    return tree


@pytest.mark.slow
def test_rehearsal_the_device_command_in_a_plain_venv_fails_only_at_no_cuda(tmp_path):
    """Exactly the command's steps, CUDA absent: the bundle installs, every import succeeds, one line says no CUDA."""
    pytest.importorskip("torch")
    wheels = gpu_bundle.fill(gpu_bundle.BUNDLE, gpu_bundle.wanted())
    assert sum(p.stat().st_size for p in wheels) + gpu_bundle.tree_bytes() <= gpu_bundle.TREE_LIMIT
    plain = tmp_path / "venv"
    venv.create(plain, with_pip=True)
    # The plain venv sees this venv's packages (torch and the image's stack) the way the device's python3 sees its own.
    purelib = sysconfig.get_paths()["purelib"]
    plain_lib = next((plain / "lib").glob("python3*/site-packages"))
    (plain_lib / "project_venv.pth").write_text(purelib + "\n")
    site, out = tmp_path / "site", tmp_path / "out"
    out.mkdir()
    tree = _tree_for_this_python(tmp_path / "tree", wheels)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{plain / 'bin'}:{env['PATH']}", SITE=str(site), OUT=str(out), CUDA_VISIBLE_DEVICES="")
    done = subprocess.run(["bash", "-c", gpu_bundle.command()], cwd=tree, capture_output=True, text=True, timeout=900,
                          env=env)
    log = (out / "gpu_check.log").read_text().strip().splitlines()
    assert done.returncode == 2, (done.stdout + done.stderr)[-3000:]
    assert len(log) == 1 and log[0].startswith("gpu-check: needs a CUDA GPU") and "imports succeeded" in log[0]
    result = json.loads((out / "gpu_check.json").read_text())
    assert result["status"] == "no CUDA"
    installed = result["meta"]["installed"]
    for dist in CARRIED:  # each carried package was imported from the target folder, at the bundle's version
        assert Path(installed[dist]["location"]) == site.resolve(), dist
    assert installed["transformers"]["version"] == gpu_bundle.wanted()["transformers"]
    assert installed["mamba-ssm"]["version"].endswith("+noext")
    assert Path(installed["torch"]["location"]) != site.resolve()
    # Nothing the check imports comes from outside the standard library, the bundle and the device's image.
    env["PYTHONPATH"] = f"{site}:{REPO_ROOT}"
    allowed = {normal(line) for line in DEVICE_PACKAGES.read_text().splitlines() if line and not line.startswith("#")}
    owners = metadata.packages_distributions()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    leaks = set()
    chain = _import_chain(plain / "bin" / "python3", env)
    for name, file in chain["files"].items():
        if file is None:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(site.resolve()) or path.is_relative_to(REPO_ROOT) or (
                path.is_relative_to(stdlib) and "site-packages" not in path.parts):
            continue
        top = name.split(".")[0]
        if _owner(path, owners) & allowed or chain["importers"].get(top) not in OURS_AND_CARRIED:
            continue  # on the image, or a dependency an image package brings (its own version there)
        leaks.add(f"{top} ({', '.join(sorted(_owner(path, owners))) or 'no distribution'})")
    assert not leaks, f"the check imports, from neither the bundle nor the device image: {sorted(leaks)}"
