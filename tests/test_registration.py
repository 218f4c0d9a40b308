"""One registration path: a new method is one module + one config, a new task one module + one config, found without
editing a list. The throw-away ones here live in a temporary folder that extends the packages' ``__path__``."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import s0repro.data
import s0repro.methods
from s0repro.conf import CONF_DIR, compose, plan_runs, register_configs
from s0repro.data import TASK_LOADERS, load_task
from s0repro.errors import UserError
from s0repro.methods import REGISTRY, build_method
from s0repro.run import run

METHOD = '''
from dataclasses import dataclass

from s0repro.methods.base import InferenceCost, MethodConfig, register
from s0repro.methods.none import NoneMethod


@dataclass
class ScratchConfig(MethodConfig):
    name: str = "scratch"
    width: int = 3


@register
class ScratchMethod(NoneMethod):
    name = "scratch"
    inference_cost = InferenceCost.NONE
    config_class = ScratchConfig
'''

TASK = '''
from s0repro.data.base import Problem, TaskData, register_task


@register_task("scratch_task")
def load_scratch(n: int = 2) -> TaskData:
    problems = [Problem(f"scratch/{i}", f"def f{i}():\\n", "    return 1\\n") for i in range(2 * n)]
    return TaskData("scratch_task", "code", problems[:n], problems[n:], prompt_template="Do: {prompt}")
'''


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch):
    """A methods folder, a data folder and a copy of conf/ with one file added to each of two groups."""
    for package, name, source in ((s0repro.methods, "scratch_method", METHOD), (s0repro.data, "scratch_task", TASK)):
        folder = tmp_path / package.__name__.rpartition(".")[2]
        folder.mkdir()
        (folder / f"{name}.py").write_text(source)
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    (conf / "method" / "scratch.yaml").write_text(
        textwrap.dedent("""\
            defaults:
              - scratch_schema
              - _self_
            name: scratch
            width: 5
            """))
    (conf / "task" / "scratch_task.yaml").write_text("name: scratch_task\nargs:\n  n: 3\n")
    yield conf
    REGISTRY.pop("scratch", None)
    TASK_LOADERS.pop("scratch_task", None)
    for module in ("s0repro.methods.scratch_method", "s0repro.data.scratch_task"):
        sys.modules.pop(module, None)


def test_a_new_method_and_task_need_one_module_and_one_config_each(plugins: Path, tmp_path: Path, capsys):
    args = ["model=tiny_gdn", "task=scratch_task", "method=scratch", "seed=0..1", "dry_run=true", "logger=none",
            f"results_dir={tmp_path / 'results'}"]
    register_configs()  # what importing s0repro.conf does, now that the new method's module is on the path
    cfg = compose(args, plugins)
    assert [(s.label, s.seed, s.method_config["width"]) for s in plan_runs(cfg, args)] == [
        ("scratch", 0, 5), ("scratch", 1, 5)]
    assert run(cfg, args) == []
    out = capsys.readouterr().out
    assert "adhoc/scratch_task/scratch seed=0: to run" in out and "adhoc/scratch_task/scratch seed=1: to run" in out
    with pytest.raises(UserError, match="width"):  # Hydra types the new method's YAML by its dataclass
        compose([*args, "method.width=wide"], plugins)
    task = load_task("scratch_task", n=3)
    assert (len(task.train), len(task.eval)) == (3, 3) and task.user_message(task.eval[0]) == "Do: def f3():\n"
    assert build_method("scratch", {"width": 7}).config.width == 7
