"""The plan of an experiment: its arms x seeds as :class:`RunSpec` cells, one per result file.

An experiment (``+exp=falcon_h1``) names *arms*, one per method it compares (``arms.<label>.method`` is that
method's ``conf/method/<name>.yaml`` plus the experiment's changes; ``arms.<label>.train`` changes the training
settings for that arm). :func:`plan_runs` expands arms x seeds into cells, seeds outermost, applying command-line
``method.*``/``train.*`` overrides last, so the user always has the final word. ``arm=<label>`` (or a list) runs only
those arms, by the labels results/ and the dry run show; ``method=<preset>`` runs the arm built from that preset. Seeds parse from ``3``, ``0..2``
(inclusive), ``42,7,123`` or a list.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

from s0repro.conf.messages import allowed_keys, needs_a_method
from s0repro.conf.schema import TrainSettings
from s0repro.errors import UserError
from s0repro.methods import MethodConfig, method_config

UNVERIFIED_SUFFIX = "_unverified"


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



Arms = dict[str, tuple[str, dict[str, Any], "TrainSettings"]]  # label -> (method name, method values, train)


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
    ours: bool = field(default=False, hash=False, compare=False)  # an arm of ours, not the paper's

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.exp, self.task, self.label, self.seed)


def typed_train(*layers: Any, where: str = "train") -> TrainSettings:
    try:
        merged = OmegaConf.merge(OmegaConf.structured(TrainSettings), *layers)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        key = f"{where}.{err.full_key}" if getattr(err, "full_key", None) else where
        if isinstance(err, ConfigKeyError):
            raise UserError(f"unknown config key {key!r}; allowed: {allowed_keys(TrainSettings)}") from None
        raise UserError(f"bad value for {key}: {str(err).splitlines()[0]}") from None


def typed_method_config(name: str, values: dict[str, Any], where: str) -> MethodConfig:
    """A cell's method config as its dataclass: Hydra has typed the values; the dataclass's own checks run here."""
    try:
        return method_config(name, values)
    except (TypeError, ValueError) as err:
        raise UserError(f"bad config for {where} (method {name}): {err}") from None


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
    """``method=<name>`` or ``arm=<label>`` names nothing the experiment compares."""


def plan_runs(cfg: DictConfig, cli_overrides: Sequence[str] = ()) -> list[RunSpec]:
    """Every (arm, seed) cell the config asks for, seeds outermost (one training set per seed serves every arm).

    Each arm is typed once and its cells are stamped from it (they share its method config and training settings,
    read-only), so planning 100,000 cells takes a second, not minutes. More than ``max_cells`` cells is refused
    before anything is typed: a stray ``seed=0..100000`` should not start a week of runs.
    """
    seeds = parse_seeds(_container(cfg.seed))
    built = _arms(cfg, cli_overrides)
    check_cell_count(len(built) * len(seeds), cfg.get("max_cells"), f"{len(built)} methods x {len(seeds):,} seeds")
    exp, task = str(cfg.exp_name), str(cfg.task.name)
    where = "arms.{}.method" if cfg.arms else "method"
    typed = {label: (name, dataclasses.asdict(typed_method_config(name, values, where.format(label))), train)
             for label, (name, values, train) in built.items()}
    ours = {str(key) for key, arm in (cfg.arms or {}).items() if arm.get("ours")}
    return [RunSpec(exp=exp, task=task, label=label, method=name, seed=seed, method_config=values, train=train,
                    ours=label in ours) for seed in seeds for label, (name, values, train) in typed.items()]


def check_cell_count(cells: int, max_cells: int | None, how: str) -> None:
    """Refuse more than ``max_cells`` cells, saying how many (``how``: "5 methods x 1,001 seeds") and how to insist."""
    if max_cells is not None and cells > max_cells:
        raise UserError(f"this asks for {cells:,} cells ({how}), more than max_cells={max_cells}; "
                        f"add max_cells={cells} to run them all (or choose fewer seeds)")


def _arms(cfg: DictConfig, cli_overrides: Sequence[str]) -> Arms:
    """The arms to run, by result label: (method name, method values with the command line's last, train)."""
    chosen_method = _container(cfg.method)
    if chosen_method is not None and not chosen_method.get("name"):  # +method.lr=0.1 alone: keys, but no method
        raise UserError(needs_a_method(f"method.{next(iter(chosen_method), 'name')}"))
    cli_train = OmegaConf.create(_select_overrides(cfg.train, override_keys(cli_overrides, "train")))
    cli_method = _select_overrides(cfg.method, override_keys(cli_overrides, "method"))
    arms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for key, arm in (cfg.arms or {}).items():
        changes = {k: v for k, v in (_container(arm.train) or {}).items() if v is not None}
        arms[str(key)] = (_container(arm.method) or {}, changes)
    if not arms:
        if cfg.method is None:
            raise UserError("nothing to run: choose an experiment (+exp=qwen3_5 scale=tiny) or a method (method=s0)")
        method = _container(cfg.method)
        arms[str(method.get("name", "?"))] = (method, {})

    built: Arms = {}
    for key, (method_values, train_values) in arms.items():
        name = method_values.get("name")
        if not name:
            raise UserError(f"arms.{key}.method has no 'name'; its conf/method file must say which method it is")
        train = typed_train(cfg.train, train_values, cli_train, where=f"arms.{key}.train")
        label = arm_label(key, name, train.verified)
        built.setdefault(label, (name, method_values, train))
    if cfg.get("arm") is not None:
        built = _by_label(str(cfg.exp_name), built, _container(cfg.arm))
    if cfg.method is None or not cfg.arms:
        return built
    chosen = _by_method(cfg, built, cli_overrides, cli_train, cli_method)
    return {k: (n, {**m, **cli_method}, t) for k, (n, m, t) in chosen.items()}


def arm_labels(cfg: DictConfig) -> list[str]:
    """The labels of an experiment's arms, as results/ and ``arm=`` name them."""
    return list(_arms(cfg, ()))


def _by_label(exp: str, built: Arms, wanted: Any) -> Arms:
    """``arm=s0_late`` / ``arm=[lora_r64,none]``: those arms, by the label the dry run and results/ show."""
    labels = [str(x) for x in (wanted if isinstance(wanted, list | tuple) else str(wanted).split(","))]
    unknown = [label.strip() for label in labels if label.strip() not in built]
    if unknown or not labels:
        raise NotInExperiment(f"experiment {exp} has no arm {unknown[0] if unknown else ''!r}; its arms are "
                              f"{', '.join(built)} (arm=<label> or arm=[<label>,<label>] picks them)")
    return {label.strip(): built[label.strip()] for label in labels}


def _by_method(cfg: DictConfig, built: Arms, cli_overrides: Sequence[str], cli_train: Any,
               cli_method: dict[str, Any]) -> Arms:
    """``method=<preset>`` with an experiment: the arm labelled like the preset (``method=lora_r64``), else the arms
    built from that preset unchanged (``method=lora``: r24, not r48/r64), else every arm of that method."""
    preset = next((o.split("=", 1)[1].strip() for o in cli_overrides
                   if o.lstrip("+").split("=", 1)[0].strip() == "method"), None)
    values = {k: v for k, v in _container(cfg.method).items() if k not in cli_method}
    wanted = values.get("name")
    verified = typed_train(cfg.train, cli_train).verified
    for candidate in dict.fromkeys([preset, wanted]):
        if candidate and (label := arm_label(candidate, wanted, verified)) in built:
            return {label: built[label]}
    chosen = {k: v for k, v in built.items() if v[1] == values} or {k: v for k, v in built.items() if v[0] == wanted}
    if not chosen:
        raise NotInExperiment(f"experiment {cfg.exp_name} does not compare method {wanted!r}; its arms are "
                              f"{', '.join(built)} (arm=<label> picks arms by label; leave both out to run all)")
    return chosen
