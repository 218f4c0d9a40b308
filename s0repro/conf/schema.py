"""The run configuration's types, registered in Hydra's ConfigStore so Hydra checks every YAML and override.

Why typed: a typo in a key (``train.stpes=5``) or a value of the wrong type (``train.batch=abc``) must stop the run
before a model is loaded, as one line that names the key and what it accepts. ``config_schema`` types the root
(conf/config.yaml names it first in its defaults); each method's config dataclass is stored as
``method/<name>_schema``, which that method's ``conf/method/<name>.yaml`` extends (``defaults: [<name>_schema,
_self_]``). :class:`~s0repro.models.ModelConfig`, :class:`~s0repro.train.TrainConfig`, the sandbox's
:class:`~s0repro.evaluate.sandbox.SandboxConfig` and the tracker's
:class:`~s0repro.results.tracking.LoggerConfig` are reused, not copied.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from s0repro.errors import UserError
from s0repro.evaluate.sampled import SampledConfig
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.methods import discover
from s0repro.models import ModelConfig
from s0repro.results.tracking import LoggerConfig
from s0repro.train import TrainConfig

GROUPS = ("model", "method", "task", "train", "eval", "logger", "exp", "scale", "protocol")
PADDING_SIDES = ("left", "right")
PAD_MODES = ("neutral", "decay")  # what a left pad does to S0: nothing (ours) | decays it (the authors' batched runs)
BASELINES = ("shared", "per_seed")  # one cached base evaluation for every seed | re-evaluated per seed (the authors')
SCORED_CLEANUPS = ("authors", "lenient")  # every cell is scored under both, beside eval.cleanup (the primary)
SCHEMA_SUFFIX = "_schema"  # method/<name>_schema: the ConfigStore entry a method's YAML extends


@dataclass
class TaskConfig:
    """Which task to load. ``args`` are the loader's keyword arguments (``load_task(name, **args)``)."""

    name: str = "minicode"
    args: dict[str, Any] = field(default_factory=dict)  # e.g. minicode: {seed: 0} fixes the problems, not the run
    limit_train: int | None = None  # keep only the first N train problems (smoke runs); None = all
    limit_eval: int | None = None  # keep only the first N eval problems (smoke runs); None = all
    tiny: str | None = None  # the task standing for this one at scale=tiny (conf/task/<tiny>.yaml); None: none


@dataclass
class ProtocolConfig:
    """The paper's protocol (conf/protocol/paper.yaml): its name and its seed lists by role, which experiments
    name (``seed: ${protocol.seeds.qwen}``) so that each list is written once."""

    name: str = "none"
    seeds: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class ScaleConfig:
    """What ``scale=<name>`` changes (conf/scale/<name>.yaml; applied by :mod:`s0repro.conf.scale`), recorded in
    every result: the sizes, and the full-scale model and task it stood in for (each arm records its method's values)."""

    name: str = "full"
    prefix: str = ""  # results/<prefix><exp_name>
    set: dict[str, Any] = field(default_factory=dict)  # overrides of the run's sizes (seed, eval.*, train.*)
    model_from: str | None = None  # the experiment's own model, replaced by its tiny counterpart
    task_from: str | None = None  # the experiment's own task, replaced by its tiny counterpart


@dataclass
class TrainSettings(TrainConfig):
    """TrainConfig plus how the training set is made. ``None`` for steps/lr/batch means the method's preset."""

    steps: int | None = None  # None: method.steps (S0 20, LoRA 50)
    lr: float | None = None  # None: method.lr
    batch: int | None = None  # None: method.batch when the method has one, else 0 (a full pass per step)
    verified: bool = True  # false: the unverified control (first sample per problem, same count); label +_unverified
    samples_per_problem: int = 4  # k samples per train problem when building the verified set (authors' scripts: 4)
    sample_temperature: float = 0.7  # sampling for the verified set (paper: T 0.7, top_p 0.95)
    sample_top_p: float = 0.95
    sample_max_new_tokens: int | None = None  # verified-set sampling budget; None: eval.max_new_tokens
    data_size: int | None = None  # train on this many of the seed's verified solutions (nested per seed); None: all

    def __post_init__(self) -> None:
        if self.data_size is not None and self.data_size < 1:
            raise UserError(f"train.data_size={self.data_size} must be >= 1 (or null for every verified solution)")
        if self.samples_per_problem < 1:
            raise UserError(f"train.samples_per_problem={self.samples_per_problem} must be >= 1")
        if self.sample_max_new_tokens is not None and self.sample_max_new_tokens < 1:
            raise UserError(f"train.sample_max_new_tokens={self.sample_max_new_tokens} must be >= 1 (or null)")
        if self.steps is not None and self.steps < 0:
            raise UserError(f"train.steps={self.steps} must be >= 0 (or null for the method's preset)")

    def resolve(self, method_config: Any, seed: int, progress: bool) -> TrainConfig:
        """The plain TrainConfig for one run: method presets fill what this section leaves at None."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(TrainConfig)}
        for key, fallback in (("steps", 20), ("lr", 1e-3), ("batch", 0)):
            if fields[key] is None:
                fields[key] = getattr(method_config, key, fallback)
        return TrainConfig(**{**fields, "seed": seed, "progress": progress})


@dataclass
class EvalConfig:
    """Greedy evaluation (and, with ``sampled.n > 0``, a sampled one after it). Batch size and padding side are
    recorded in every result (they change greedy output)."""

    batch_size: int = 8
    max_new_tokens: int = 512  # the paper's budget
    padding_side: str = "left"
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)  # the evaluate stage's own config
    cleanup: str = "lenient"  # the primary clean-up: authors | lenient | evalplus | none (evaluate/sanitize)
    baseline: str = "shared"  # shared: one cached base evaluation for every seed | per_seed: re-evaluated per seed
    sampled: SampledConfig = field(default_factory=SampledConfig)  # n > 0: also n samples a problem, for pass@k
    pads: str = "neutral"  # decay: pad positions decay S0, as in the authors' batched transfer evaluation
    exact_beside: bool = False  # also evaluate one prompt at a time (exact, ours) and record it beside the primary

    def __post_init__(self) -> None:
        if self.padding_side not in PADDING_SIDES:
            raise UserError(f"eval.padding_side={self.padding_side!r} is not one of {PADDING_SIDES}")
        if self.pads not in PAD_MODES:
            raise UserError(f"eval.pads={self.pads!r} is not one of {PAD_MODES}")
        if self.baseline not in BASELINES:
            raise UserError(f"eval.baseline={self.baseline!r} is not one of {BASELINES}")
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise UserError("eval.batch_size and eval.max_new_tokens must be >= 1")


# An arm's changes to ``train``: the same keys, each None (= as in ``train``) unless the experiment sets it.
_TRAIN_HINTS = typing.get_type_hints(TrainSettings)
ArmTrain = dataclasses.make_dataclass(
    "ArmTrain", [(f.name, _TRAIN_HINTS[f.name] | None, None) for f in dataclasses.fields(TrainSettings)])
ArmTrain.__module__ = __name__  # picklable by name: worker processes receive run specs


@dataclass
class ArmConfig:
    """One method an experiment compares: its method config and its changes to ``train``."""

    method: Any = None  # conf/method/<name>.yaml (+ the experiment's overrides); must have ``name``
    train: ArmTrain = field(default_factory=ArmTrain)  # e.g. the unverified control: {verified: false}
    ours: bool = False  # an arm of ours beside the paper's (the unverified control); recorded in its results


@dataclass
class Config:
    exp_name: str = "adhoc"  # results/<exp_name>/...; every conf/exp file sets its own
    seed: Any = 0  # 3, [42, 7], "0..2" (inclusive), "42,7,123"
    max_cells: int = 1000  # a plan of more cells (arms x seeds) is refused unless this is raised: max_cells=N
    force: bool = False  # re-run cells whose result already exists
    dry_run: bool = False  # print the cells and whether they are finished; load nothing, run nothing
    results_dir: str = "results"
    cache_dir: str | None = None  # baseline evaluations and sampled training sets; None: <results_dir>/.cache
    progress: bool = True
    threads: int | None = None  # torch CPU threads; None: 1 for tiny models (10x faster on a busy 2-core box), else torch's
    workers: int | None = None  # cells run at once, each in its own process; None: one per core for tiny CPU runs, else 1
    model: ModelConfig = field(default_factory=ModelConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    method: Any = None  # one method config (conf/method/<name>.yaml); with an exp it narrows the arms
    arm: Any = None  # with an exp: the arm(s) to run by label, as in results/ (arm=s0_late, arm=[lora_r64,none])
    arms: dict[str, ArmConfig] = field(default_factory=dict)
    suite: list[str] = field(default_factory=list)  # a convenience exp: run these experiments one after another
    train: TrainSettings = field(default_factory=TrainSettings)
    eval: EvalConfig = field(default_factory=EvalConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)


def _all_if_null(value: Any) -> Any:
    return "all" if value is None else value


def register_configs() -> None:
    """Put the root schema and every registered method's config dataclass in Hydra's ConfigStore, and register
    ``${all_if_null:key}`` (a sweep's experiment name: ``data_size_n${all_if_null:${train.data_size}}`` is
    ``data_size_nall`` while the key is null; ``oc.select``'s default covers only a missing key, not a null one)."""
    OmegaConf.register_new_resolver("all_if_null", _all_if_null, replace=True)
    store = ConfigStore.instance()
    store.store(name="config_schema", node=Config)
    for name, cls in discover().items():
        store.store(group="method", name=name + SCHEMA_SUFFIX, node=cls.config_class)
