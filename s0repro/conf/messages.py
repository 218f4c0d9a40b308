"""Hydra / OmegaConf composition errors as one line naming the key and what it accepts (or the options of a group)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

from s0repro.paths import REPO_ROOT

CONF_DIR = REPO_ROOT / "conf"


def allowed_keys(object_type: Any) -> str:
    """The field names of a config dataclass, for 'allowed keys there: ...'."""
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
        allowed = allowed_keys(cause.object_type)
        key = str(cause.full_key)
        if key.startswith("method.") and not allowed:  # no method chosen: ``method`` is still null
            return needs_a_method(key)
        return f"unknown config key {key!r}" + (f"; allowed keys there: {allowed}" if allowed else "")
    if isinstance(cause, ValidationError) and cause.full_key:
        first = str(cause).splitlines()[0]
        return f"bad value for {cause.full_key}: {first}"
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(err).__name__


def needs_a_method(key: str) -> str:
    """``method.lr=0.1`` without ``method=<name>``: the key belongs to a method's config, and none was chosen."""
    return (f"{key} needs a method: add method=<name> before it (one of: {', '.join(group_options('method'))}); "
            "with +exp=..., method=<name> also picks the arm it changes")


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
    """The options of a config group: its YAML files (ConfigStore schemas are not choices)."""
    return sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))


