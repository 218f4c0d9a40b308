"""``scale=tiny``: the same experiment file at CPU size, as the ordinary overrides it stands for.

Why not in the defaults list alone: the tiny model of an experiment depends on the model the experiment chose
(Qwen3.5 -> GatedDeltaNet, Falcon-H1 -> Mamba-2, Qwen2.5 -> the Transformer), and Hydra cannot choose a group option
from a value (an interpolated default may not override a group). So each model and task config names its own tiny
counterpart (``tiny: minicode_gdn``), so does each method preset (its values for a tiny model: ``tiny: {r: 4}``),
``conf/scale/<name>.yaml`` holds the sizes, and :func:`scale_overrides` turns
the composed config into the overrides a user would type: ``model=minicode_gdn task=minicode seed=[0,1,2]
eval.batch_size=16 ... arms.s0.method.alpha=1.0 exp_name=tiny_qwen3_5``. They go before the command line's own,
and a key the command line sets is left to it, so the user has the last word, as everywhere else. The run then
records ``scale`` (the group's node plus where the model and task came from) in every result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from s0repro.errors import UserError

FULL = "full"


def _flatten(values: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _value(value: Any) -> str:
    """A value as Hydra's override grammar reads it back (lists in brackets, strings quoted)."""
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return "null" if value is None else str(value)


def _user_keys(overrides: Sequence[str]) -> set[str]:
    """Keys and groups the command line sets (``+exp=x`` -> ``exp``, ``~arms.s0`` -> ``arms.s0``)."""
    return {item.lstrip("+~").split("=", 1)[0].strip() for item in overrides}


def _set_by_user(key: str, user: set[str]) -> bool:
    """True when the command line sets ``key`` or a section above it (``eval=paper`` keeps ``eval.batch_size``)."""
    parts = key.split(".")
    return any(".".join(parts[:i]) in user for i in range(1, len(parts) + 1))


def _counterpart(kind: str, node: Any, scale: str) -> str | None:
    """The option of group ``kind`` that stands for ``node`` at ``scale`` (None: ``node`` is already that size)."""
    name = str(node.name)
    if node.get("source") == "tiny" or node.get(scale) == name:
        return None
    mapped = node.get(scale)
    if not mapped:
        raise UserError(f"{kind} {name} has no {scale} counterpart (no `{scale}:` in conf/{kind}/{name}.yaml); "
                        f"scale={scale} runs only experiments whose {kind} has one")
    return str(mapped)


def scale_overrides(cfg: DictConfig, overrides: Sequence[str]) -> list[str]:
    """The overrides ``scale=<name>`` stands for in this composed config, minus what the command line sets."""
    scale = cfg.get("scale")
    if scale is None or scale.name == FULL or cfg.get("suite"):
        return []  # a suite's members are scaled one by one (compose.expand_suite)
    user = _user_keys(overrides)
    out: list[str] = []
    for kind in ("model", "task"):
        target = None if kind in user else _counterpart(kind, cfg[kind], str(scale.name))
        if target is not None:
            out += [f"{kind}={target}", f"scale.{kind}_from={cfg[kind].name}"]
    sizes = OmegaConf.to_container(scale.set, resolve=True)
    out += [f"{key}={_value(v)}" for key, v in _flatten(sizes) if not _set_by_user(key, user)]
    for label, arm in (cfg.get("arms") or {}).items():
        own = OmegaConf.select(arm, f"method.{scale.name}", default=None)
        for key, v in _flatten(OmegaConf.to_container(own, resolve=True) if own is not None else {}):
            full_key = f"arms.{label}.method.{key}"
            if not _set_by_user(full_key, user):
                out.append(f"{full_key}={_value(v)}")
    if scale.get("prefix") and "exp_name" not in user:
        raw = OmegaConf.to_container(cfg, resolve=False)["exp_name"]  # keep a sweep's ${...} in the name
        out.append(f"exp_name='{scale.prefix}{raw}'")
    return out
