"""The composition root (not a stage): the run configuration, which names every stage's settings and so imports
their config types; no stage imports it. Typed sections Hydra checks (:mod:`.schema`), composition outside a Hydra app
(:mod:`.compose`), one-line config errors (:mod:`.messages`), and the plan of cells an experiment asks for
(:mod:`.plan`). Importing this package registers the schemas in Hydra's ConfigStore."""

from s0repro.conf.compose import (
    LORA_PRESET,
    compose,
    expand_suite,
    method_preset,
    scale_extra,
    to_settings,
    without_progress,
)
from s0repro.conf.messages import CONF_DIR, config_error_line, group_options
from s0repro.conf.plan import (
    NotInExperiment,
    RunSpec,
    arm_label,
    arm_labels,
    check_cell_count,
    parse_seeds,
    plan_runs,
)
from s0repro.conf.schema import (
    GROUPS,
    ArmConfig,
    Config,
    EvalConfig,
    TaskConfig,
    TrainSettings,
    register_configs,
)

register_configs()

__all__ = [
    "LORA_PRESET",
    "CONF_DIR",
    "GROUPS",
    "ArmConfig",
    "Config",
    "EvalConfig",
    "NotInExperiment",
    "arm_labels",
    "RunSpec",
    "TaskConfig",
    "TrainSettings",
    "arm_label",
    "check_cell_count",
    "compose",
    "config_error_line",
    "expand_suite",
    "group_options",
    "method_preset",
    "parse_seeds",
    "plan_runs",
    "register_configs",
    "scale_extra",
    "to_settings",
    "without_progress",
]
