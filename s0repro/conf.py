"""The run configuration: typed sections registered in Hydra's ConfigStore, and the plan of runs they describe.

Why typed: a typo in a key (``train.stpes=5``) or a value of the wrong type (``train.batch=abc``) must stop the run
before a model is loaded, as one line that names the key and what it accepts. Hydra checks every YAML and command
line override against these dataclasses; :func:`config_error_line` turns its exceptions into that one line.
:class:`~s0repro.models.ModelConfig`, :class:`~s0repro.train.TrainConfig` and the sandbox's
:class:`~s0repro.evaluate.sandbox.SandboxConfig` are reused, not copied.

Why a plan: an experiment (``+exp=falcon_h1``) names *arms*, one per method it compares (``arms.<label>.method`` is
that method's ``conf/method/<name>.yaml`` plus the experiment's changes; ``arms.<label>.train`` changes the training
settings for that arm). :func:`plan_runs` expands arms x seeds into :class:`RunSpec` cells, one per result file,
applying command-line ``method.*``/``train.*`` overrides last, so the user always has the final word.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

from s0repro.errors import UserError
from s0repro.evaluate.sandbox import SandboxConfig
from s0repro.models import ModelConfig
from s0repro.train import TrainConfig

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
GROUPS = ("model", "method", "task", "train", "eval", "logger", "exp")
UNVERIFIED_SUFFIX = "_unverified"
LOGGER_KINDS = ("wandb", "none")
LOGGER_MODES = ("auto", "online", "offline", "disabled")
PADDING_SIDES = ("left", "right")


@dataclass
class TaskConfig:
    """Which task to load. ``args`` are the loader's keyword arguments (``load_task(name, **args)``)."""

    name: str = "minicode"
    args: dict[str, Any] = field(default_factory=dict)  # e.g. minicode: {seed: 0} fixes the problems, not the run
    limit_train: int | None = None  # keep only the first N train problems (smoke runs); None = all
    limit_eval: int | None = None  # keep only the first N eval problems (smoke runs); None = all


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

    def __post_init__(self) -> None:
        if self.samples_per_problem < 1:
            raise UserError(f"train.samples_per_problem={self.samples_per_problem} must be >= 1")
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
    """Greedy evaluation. Batch size and padding side are recorded in every result (they change greedy output)."""

    batch_size: int = 8
    max_new_tokens: int = 512  # the paper's budget
    padding_side: str = "left"
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)  # the evaluate stage's own config
    cleanup: str = "lenient"  # code clean-up before execution: authors | lenient | evalplus | none (evaluate/sanitize)

    def __post_init__(self) -> None:
        if self.padding_side not in PADDING_SIDES:
            raise UserError(f"eval.padding_side={self.padding_side!r} is not one of {PADDING_SIDES}")
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise UserError("eval.batch_size and eval.max_new_tokens must be >= 1")


@dataclass
class LoggerConfig:
    kind: str = "wandb"  # wandb | none
    project: str = "s0repro"
    entity: str | None = None
    mode: str = "auto"  # auto: online when WANDB_API_KEY is set, else offline (``wandb sync`` later)
    dir: str | None = None  # where wandb writes its run folders; None: ./wandb
    tags: list[str] = field(default_factory=list)
    log_table: bool = True  # the per-problem table
    log_artifact: bool = True  # the tuned state as a W&B artifact

    def __post_init__(self) -> None:
        if self.kind not in LOGGER_KINDS:
            raise UserError(f"logger.kind={self.kind!r} is not one of {LOGGER_KINDS} (logger=none turns it off)")
        if self.mode not in LOGGER_MODES:
            raise UserError(f"logger.mode={self.mode!r} is not one of {LOGGER_MODES}")


# An arm's changes to ``train``: the same keys, each None (= as in ``train``) unless the experiment sets it.
_TRAIN_HINTS = typing.get_type_hints(TrainSettings)
ArmTrain = dataclasses.make_dataclass(
    "ArmTrain", [(f.name, _TRAIN_HINTS[f.name] | None, None) for f in dataclasses.fields(TrainSettings)])


@dataclass
class ArmConfig:
    """One method an experiment compares: its method config and its changes to ``train``."""

    method: Any = None  # conf/method/<name>.yaml (+ the experiment's overrides); must have ``name``
    train: ArmTrain = field(default_factory=ArmTrain)  # e.g. the unverified control: {verified: false}


@dataclass
class Config:
    exp_name: str = "adhoc"  # results/<exp_name>/...; every conf/exp file sets its own
    seed: Any = 0  # 3, [42, 7], "0..2" (inclusive), "42,7,123"
    force: bool = False  # re-run cells whose result already exists
    dry_run: bool = False  # print the cells and whether they are finished; load nothing, run nothing
    results_dir: str = "results"
    cache_dir: str | None = None  # baseline evaluations and sampled training sets; None: <results_dir>/.cache
    progress: bool = True
    threads: int | None = None  # torch CPU threads; None: 1 for tiny models (10x faster on a busy 2-core box), else torch's
    model: ModelConfig = field(default_factory=ModelConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    method: Any = None  # one method config (conf/method/<name>.yaml); with an exp it narrows the arms
    arms: dict[str, ArmConfig] = field(default_factory=dict)
    suite: list[str] = field(default_factory=list)  # a convenience exp: run these experiments one after another
    train: TrainSettings = field(default_factory=TrainSettings)
    eval: EvalConfig = field(default_factory=EvalConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)


def register_configs() -> None:
    """Put the schema in Hydra's ConfigStore; conf/config.yaml names it first in its defaults."""
    ConfigStore.instance().store(name="config_schema", node=Config)


register_configs()


# -- one-line errors -------------------------------------------------------------------------------------------------
def _allowed(object_type: Any) -> str:
    if isinstance(object_type, type) and dataclasses.is_dataclass(object_type):
        return ", ".join(f.name for f in dataclasses.fields(object_type))
    return ""


def config_error_line(err: BaseException) -> str:
    """Hydra / OmegaConf composition errors as one line naming the key and what it accepts."""
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, OmegaConfBaseException):
        cause = cause.__cause__ or cause.__context__
    missing = _missing_option(err)
    if missing:
        return missing
    if isinstance(cause, ConfigKeyError | ConfigAttributeError) and cause.full_key:
        allowed = _allowed(cause.object_type)
        key = str(cause.full_key)
        return f"unknown config key {key!r}" + (f"; allowed keys there: {allowed}" if allowed else "")
    if isinstance(cause, ValidationError) and cause.full_key:
        first = str(cause).splitlines()[0]
        return f"bad value for {cause.full_key}: {first}"
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(err).__name__


def _missing_option(err: BaseException) -> str | None:
    from hydra.errors import MissingConfigException

    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, MissingConfigException):
        cause = cause.__cause__ or cause.__context__
    if cause is None or not cause.missing_cfg_file:
        return None
    group, _, name = str(cause.missing_cfg_file).rpartition("/")
    where = re.search(r"In '([^']+)'", str(cause))
    source = f" (asked for by {where.group(1)})" if where and where.group(1) != "config" else ""
    options = ", ".join(cause.options or group_options(group))
    return f"unknown {group or 'config'} {name!r}{source}; choose one of: {options}"


def group_options(group: str, conf_dir: Path = CONF_DIR) -> list[str]:
    return sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))


# -- seeds -----------------------------------------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")


def _one_seed(value: Any, spec: Any) -> int:
    if isinstance(value, bool):
        raise UserError(f"seed={spec!r}: {value!r} is not an integer")
    if isinstance(value, int):
        seed = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        seed = int(value)
    else:
        raise UserError(f"seed={spec!r}: {value!r} is not an integer; use seed=3, seed=0..2 or seed=42,7,123")
    if seed < 0:
        raise UserError(f"seed={spec!r}: seeds must be >= 0")
    return seed


def parse_seeds(spec: Any) -> list[int]:
    """``3`` -> [3]; ``"0..2"`` -> [0, 1, 2] (inclusive); ``"42,7,123"`` or ``[42, 7, 123]`` -> that list.

    Seed 0 is a seed like any other. Duplicates are dropped, order is kept.
    """
    if isinstance(spec, ListConfig):
        spec = list(spec)
    if isinstance(spec, str) and (match := _RANGE.match(spec)):
        low, high = int(match.group(1)), int(match.group(2))
        if low < 0 or high < low:
            raise UserError(f"seed={spec!r}: a range a..b needs 0 <= a <= b (it is inclusive: 0..2 is 0, 1, 2)")
        seeds = list(range(low, high + 1))
    elif isinstance(spec, str) and "," in spec:
        seeds = [_one_seed(part.strip(), spec) for part in spec.split(",")]
    elif isinstance(spec, list | tuple):
        if not spec:
            raise UserError("seed=[]: give at least one seed")
        seeds = [_one_seed(value, spec) for value in spec]
    else:
        seeds = [_one_seed(spec, spec)]
    return list(dict.fromkeys(seeds))


# -- the plan ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSpec:
    """One cell of an experiment: one result file."""

    exp: str
    task: str
    label: str  # method label in the result path: s0, lora_r48, s0_unverified, ...
    method: str  # registered method name
    seed: int
    method_config: dict[str, Any] = field(hash=False, compare=False)
    train: TrainSettings = field(hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.exp, self.task, self.label, self.seed)


def method_class(name: str) -> type:
    """The registered method class; a method's module (``s0repro.methods.<name>``) is imported on first use."""
    from s0repro.methods import REGISTRY

    if name not in REGISTRY and re.fullmatch(r"[a-z0-9_]+", name or ""):
        try:
            importlib.import_module(f"s0repro.methods.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"s0repro.methods.{name}":  # the module exists but one of its imports does not
                raise
    try:
        return REGISTRY[name]
    except KeyError:
        raise UserError(f"unknown method {name!r}; registered methods: {', '.join(sorted(REGISTRY))}") from None


def method_config_class(name: str) -> type:
    return method_class(name).config_class


def typed_method_config(name: str, values: dict[str, Any], where: str) -> Any:
    """``values`` checked against the method's config dataclass (typos and types), as that dataclass."""
    cls = method_config_class(name)
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), {k: v for k, v in values.items() if k != "_target_"})
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        key = f"{where}.{err.full_key}" if getattr(err, "full_key", None) else where
        if isinstance(err, ConfigKeyError):
            raise UserError(f"unknown config key {key!r} for method {name}; allowed: {_allowed(cls)}") from None
        raise UserError(f"bad value for {key}: {str(err).splitlines()[0]}") from None
    except (TypeError, ValueError) as err:
        raise UserError(f"bad config for {where} (method {name}): {err}") from None


def typed_train(*layers: Any, where: str = "train") -> TrainSettings:
    try:
        merged = OmegaConf.merge(OmegaConf.structured(TrainSettings), *layers)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        key = f"{where}.{err.full_key}" if getattr(err, "full_key", None) else where
        if isinstance(err, ConfigKeyError):
            raise UserError(f"unknown config key {key!r}; allowed: {_allowed(TrainSettings)}") from None
        raise UserError(f"bad value for {key}: {str(err).splitlines()[0]}") from None


def arm_label(key: str, method: str, verified: bool) -> str:
    if verified or method == "none" or key.endswith(UNVERIFIED_SUFFIX):
        return key
    return key + UNVERIFIED_SUFFIX


def override_keys(overrides: Sequence[str], section: str) -> list[str]:
    """Keys below ``section`` that the command line set (``train.batch=4`` -> ``batch``)."""
    keys = []
    for item in overrides:
        key = item.lstrip("+~").split("=", 1)[0].strip()
        if key.startswith(section + ".") and "/" not in key:
            keys.append(key[len(section) + 1:])
    return keys


def _select_overrides(node: Any, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = OmegaConf.select(node, key, throw_on_missing=False) if node is not None else None
        target = out
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    return out


def _container(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


class NotInExperiment(UserError):
    """``method=<name>`` names a method the experiment does not compare."""


def plan_runs(cfg: DictConfig, cli_overrides: Sequence[str] = ()) -> list[RunSpec]:
    """Every (arm, seed) cell the config asks for, seeds outermost (one training set per seed serves every arm)."""
    seeds = parse_seeds(_container(cfg.seed))
    cli_train = OmegaConf.create(_select_overrides(cfg.train, override_keys(cli_overrides, "train")))
    cli_method = _select_overrides(cfg.method, override_keys(cli_overrides, "method"))
    arms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for key, arm in (cfg.arms or {}).items():
        changes = {k: v for k, v in (_container(arm.train) or {}).items() if v is not None}
        arms[str(key)] = (_container(arm.method) or {}, changes)
    if not arms:
        if cfg.method is None:
            raise UserError("nothing to run: choose an experiment (+exp=tiny_qwen3_5) or a method (method=s0)")
        method = _container(cfg.method)
        arms[str(method.get("name", "?"))] = (method, {})
    narrowing = cfg.method is not None and bool(cfg.arms)

    built: dict[str, tuple[str, dict[str, Any], TrainSettings]] = {}
    for key, (method_values, train_values) in arms.items():
        name = method_values.get("name")
        if not name:
            raise UserError(f"arms.{key}.method has no 'name'; its conf/method file must say which method it is")
        train = typed_train(cfg.train, train_values, cli_train, where=f"arms.{key}.train")
        label = arm_label(key, name, train.verified)
        built.setdefault(label, (name, method_values, train))
    if narrowing:
        wanted = _container(cfg.method).get("name")
        want_label = arm_label(wanted, wanted, typed_train(cfg.train, cli_train).verified)
        chosen = {k: v for k, v in built.items() if k == want_label} or {
            k: v for k, v in built.items() if v[0] == wanted}
        if not chosen:
            raise NotInExperiment(f"experiment {cfg.exp_name} does not compare method {wanted!r}; its arms are "
                            f"{', '.join(built)} (method=<one of them> narrows, leave it out to run all)")
        built = {k: (n, {**m, **cli_method}, t) for k, (n, m, t) in chosen.items()}
    specs = []
    for seed in seeds:
        for label, (name, method_values, train) in built.items():
            typed = typed_method_config(name, method_values, f"arms.{label}.method" if cfg.arms else "method")
            specs.append(RunSpec(exp=cfg.exp_name, task=cfg.task.name, label=label, method=name, seed=seed,
                                 method_config=dataclasses.asdict(typed), train=train))
    return specs
