"""The config Hydra would build for a list of overrides, a suite's member configs, and the typed settings.

Used before Hydra starts (the command line's pre-check, tests, notebooks) and inside a running Hydra app (a suite
composes each member with the same overrides). Every composition error is one line (:mod:`.messages`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from s0repro.conf.messages import CONF_DIR, config_error_line
from s0repro.conf.scale import scale_overrides
from s0repro.conf.schema import Config
from s0repro.errors import UserError

# The LoRA preset (conf/method/<file>.yaml) the experiments use on each architecture.
LORA_PRESET = {"qwen3_5": "lora", "qwen2": "lora", "falcon_h1": "lora_falcon"}


def compose(overrides: list[str], conf_dir: Path = CONF_DIR) -> DictConfig:
    """The config Hydra would build for ``overrides`` (no run directory, no logging set-up), at the scale they name
    (``scale=tiny``: with the overrides it stands for, :func:`scale_extra`)."""
    cfg = _compose(overrides, conf_dir)
    extra = scale_overrides(cfg, overrides)
    return _compose([*extra, *overrides], conf_dir) if extra else cfg


def scale_extra(overrides: list[str], conf_dir: Path = CONF_DIR) -> list[str]:
    """The overrides that ``scale=`` in ``overrides`` stands for (the command line puts them before the user's)."""
    return scale_overrides(_compose(overrides, conf_dir), overrides)


def _compose(overrides: list[str], conf_dir: Path) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():  # inside a running Hydra app (a suite): its search path is ours
        context: Any = contextlib.nullcontext()
    else:
        context = initialize_config_dir(version_base=None, config_dir=str(conf_dir))
    with context:
        try:
            return hydra_compose(config_name="config", overrides=list(overrides))
        except Exception as err:  # noqa: BLE001 - every composition error becomes one line
            raise UserError(config_error_line(err)) from None


def method_preset(name: str, conf_dir: Path = CONF_DIR) -> dict[str, Any]:
    """``conf/method/<name>.yaml`` as Hydra composes it (its schema and the preset it inherits included), as a dict
    for :func:`~s0repro.methods.build_method`: the one way to read a method preset outside a run."""
    return OmegaConf.to_container(compose([f"method={name}"], conf_dir).method, resolve=True)


def expand_suite(cfg: DictConfig, overrides: list[str] | tuple[str, ...],
                 conf_dir: Path = CONF_DIR) -> list[tuple[DictConfig, list[str]]]:
    """A suite experiment (``suite: [a, b]``) as its members' configs, each with the same command-line overrides."""
    if not cfg.get("suite"):
        return [(cfg, list(overrides))]
    rest = [o for o in overrides if o.lstrip("+").split("=", 1)[0] != "exp"]
    members = []
    for name in cfg.suite:
        member = [f"+exp={name}", *rest]
        members.append((compose(member, conf_dir), member))
    return members


def to_settings(cfg: DictConfig) -> Config:
    """The typed settings; dataclass checks (ModelConfig.arch, logger.kind, ...) fail here as one line."""
    allowed = {f.name for f in dataclasses.fields(Config)} | {"hydra"}
    unknown = sorted(set(cfg.keys()) - allowed)
    if unknown:
        raise UserError(f"unknown config key {unknown[0]!r}; top-level keys: {', '.join(sorted(allowed - {'hydra'}))}")
    try:
        return OmegaConf.to_object(cfg)
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - dataclass validation (ModelConfig.__post_init__ etc.)
        raise UserError(config_error_line(err)) from None


def without_progress(cfg: DictConfig) -> DictConfig:
    """``cfg`` with ``progress=false``: in a pool's worker, so the pool's one display is the parent's line per cell,
    not every worker's bars interleaving on one terminal line."""
    return OmegaConf.merge(cfg, {"progress": False})
