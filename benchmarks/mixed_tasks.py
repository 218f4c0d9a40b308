"""Many tasks in one batch, and switching the whole model to another task: S0 bank vs peft LoRA vs base (issue 16).

Mixed batches. A batch of ``batch`` copies of the prompt whose row i belongs to task ``i mod k``, for k = 1, 2, 4, 8
tasks: the S0 bank starts each row from its task's state (:class:`s0repro.methods.bank.S0Bank`); LoRA serves the
rows with peft's mixed-adapter inference (``generate(adapter_names=[...])``, k adapters loaded side by side, every
adapted layer runs one low-rank product per task present in the batch); base is the model alone. Each arm has its
own model copy and is timed side by side with base (``common.throughput``): ratios to base, median and IQR.

Task switch. The time to move a model that serves one task at a time to another task, read from disk: S0 = load the
state file and swap it in (``S0Method.load``); LoRA = unmerge the current adapter, load the next, merge it (the
zero-overhead way to serve one LoRA task). The two are timed alternately, each switching between two saved tasks.
States and adapters are random non-zero values: cost does not depend on them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
from peft import get_peft_model

from benchmarks.common import Arm, clock, load, method_config, randomise, summary, throughput
from s0repro.conf import LORA_PRESET
from s0repro.methods import LoraMethodConfig, build_method
from s0repro.methods.bank import S0Bank

TASK_COUNTS = (1, 2, 4, 8)


def _row_tasks(batch: int, tasks: int) -> list[str]:
    return [f"t{i % tasks}" for i in range(batch)]


def _bank_arm(name: str, device: str, tasks: int) -> tuple[Any, S0Bank]:
    """A model copy with an S0 bank of ``tasks`` random states."""
    loaded = load(name, device)
    bank = S0Bank(loaded.model)
    for t in range(tasks):
        method = build_method("s0", method_config("s0"))
        method.attach(loaded.model)
        randomise(method.trainable_parameters(), seed=t)
        bank.add(f"t{t}", method)
        method.detach()
    return loaded, bank


def _lora_arm(name: str, device: str, tasks: int) -> tuple[Any, torch.nn.Module]:
    """A model copy under peft with ``tasks`` random LoRA adapters of the paper's preset, named t0, t1, ..."""
    loaded = load(name, device)
    config = LoraMethodConfig(**method_config(LORA_PRESET[loaded.config.arch])).peft_config()
    peft_model = get_peft_model(loaded.model, config, adapter_name="t0")
    for t in range(1, tasks):
        peft_model.add_adapter(f"t{t}", config)
    randomise([p for n, p in peft_model.named_parameters() if "lora_" in n], seed=1)
    peft_model.eval()  # peft refuses adapter_names in training mode
    return loaded, peft_model


def _mixed_throughput(name: str, device: str, batch: int, counts: list[int], new_tokens: int, repeats: int,
                      warmup: int) -> dict[str, Any]:
    base = load(name, device)
    banked, bank = _bank_arm(name, device, max(counts))
    lora, peft_model = _lora_arm(name, device, max(counts))
    arms = [Arm("base", None, base.model, base.tokenizer)]
    for k in counts:
        ids = _row_tasks(batch, k)
        arms.append(Arm(f"s0_bank_{k}", None, banked.model, banked.tokenizer,
                        extra=lambda _b, ids=ids: bank.model_kwargs(ids)))
        arms.append(Arm(f"lora_mixed_{k}", None, peft_model, lora.tokenizer,
                        extra=lambda _b, ids=ids: {"adapter_names": ids}))
    timed = throughput(arms, batch, new_tokens, repeats, warmup)
    bank.close()
    return {"batch": batch, "rows": "row i -> task i mod k", "base_tokens_per_s": timed["base"]["tokens_per_s"],
            "tasks": {str(k): {"s0_bank": timed[f"s0_bank_{k}"], "lora_mixed": timed[f"lora_mixed_{k}"]}
                      for k in counts}}


def _switch_times(name: str, device: str, repeats: int) -> dict[str, Any]:
    """Median seconds to switch one model to another saved task: S0 load + swap vs LoRA unmerge + load + merge."""
    s0_copy, lora_copy = load(name, device), load(name, device)
    s0 = build_method("s0", method_config("s0"))
    s0.attach(s0_copy.model)
    lora = build_method("lora", {**method_config(LORA_PRESET[lora_copy.config.arch]), "merge": True})
    lora.attach(lora_copy.model)
    now, sync = clock(next(s0_copy.model.parameters()).device)
    times: dict[str, list[float]] = {"s0": [], "lora": []}

    def s0_switch(directory: Path) -> None:
        s0.load(directory)

    def lora_switch(directory: Path) -> None:
        lora.unmerge()
        lora.load(directory)
        lora.merge()

    with tempfile.TemporaryDirectory() as tmp:
        dirs: dict[str, list[Path]] = {"s0": [], "lora": []}
        for seed in (0, 1):
            for label, method in (("s0", s0), ("lora", lora)):
                randomise(method.trainable_parameters(), seed=seed)
                dirs[label].append(method.save(Path(tmp) / f"{label}_{seed}"))
        lora.merge()
        switches = {"s0": s0_switch, "lora": lora_switch}
        for round_ in range(repeats + 1):  # round 0 warms up
            order = ("s0", "lora") if round_ % 2 == 0 else ("lora", "s0")
            for label in order:
                sync()
                start = now()
                switches[label](dirs[label][round_ % 2])
                sync()
                if round_:
                    times[label].append(now() - start)
    lora.detach()
    s0.detach()
    ratios = [b / a for a, b in zip(times["s0"], times["lora"], strict=True)]
    return {"s0_seconds": summary(times["s0"], "median", "seconds"),
            "lora_seconds": summary(times["lora"], "median", "seconds"),
            "lora_over_s0": summary(ratios, "median", "ratio"), "runs": repeats}


def measure_mixed(name: str, device: str, batch: int, counts: list[int], new_tokens: int, repeats: int,
                  warmup: int) -> dict[str, Any]:
    """Mixed-task throughput and task-switch time for one hybrid model."""
    return {**_mixed_throughput(name, device, batch, counts, new_tokens, repeats, warmup),
            "switch": _switch_times(name, device, repeats)}


def plot_mixed(axes: list[Any], mixed: dict[str, dict]) -> None:
    """One panel per model: ratio to base against the number of tasks in the batch, S0 bank and LoRA mixed."""
    for ax, (model, row) in zip(axes, mixed.items(), strict=False):
        counts = [int(k) for k in row["tasks"]]
        for label, marker in (("s0_bank", "o"), ("lora_mixed", "s")):
            cells = [row["tasks"][str(k)][label] for k in counts]
            mid = [c["ratio_to_base"] for c in cells]
            spread = [[c["ratio_to_base"] - c["ratio_q1"] for c in cells], [c["ratio_q3"] - c["ratio_to_base"]
                                                                            for c in cells]]
            ax.errorbar(counts, mid, yerr=spread, marker=marker, capsize=3, label=label)
        switch = row["switch"]
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(counts, [str(k) for k in counts])
        ax.set_xlabel(f"tasks in a batch of {row['batch']}")
        ax.set_ylabel("decode tokens/s / base (median, IQR)")
        ax.set_title(f"{model}: switch S0 {1e3 * switch['s0_seconds']['median']:.1f} ms, "
                     f"LoRA {1e3 * switch['lora_seconds']['median']:.1f} ms", fontsize=9)
        ax.legend(fontsize=8)
    for ax in axes[len(mixed):]:
        ax.axis("off")


def print_mixed(mixed: dict[str, dict]) -> None:
    """The mixed-task table and the task-switch times."""
    print("\nmixed-task batches: decode tokens/s / base, median [IQR] (row i -> task i mod k)")
    print(f"{'model':<17}{'tasks':>6}{'s0_bank':>24}{'lora_mixed':>24}")
    for model, row in mixed.items():
        for k, cell in row["tasks"].items():
            text = [f"{c['ratio_to_base']:.3f} [{c['ratio_q1']:.3f}, {c['ratio_q3']:.3f}]"
                    for c in (cell["s0_bank"], cell["lora_mixed"])]
            print(f"{model:<17}{k:>6}{text[0]:>24}{text[1]:>24}")
    print("\ntask switch, median seconds [IQR]: S0 load file + swap | LoRA unmerge + load + merge | LoRA / S0")
    for model, row in mixed.items():
        s = row["switch"]
        cells = [f"{c['median']:.4f} [{c['seconds_q1']:.4f}, {c['seconds_q3']:.4f}]"
                 for c in (s["s0_seconds"], s["lora_seconds"])]
        print(f"{model:<17}{cells[0]:>28}{cells[1]:>28}{s['lora_over_s0']['median']:>10.2f}")
