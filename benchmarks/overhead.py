"""Inference overhead of every method, measured side by side: the paper's "zero overhead" claim for S0.

    python -m benchmarks.overhead                       # tiny models on CPU (``make bench``, 5-8 minutes)
    python -m benchmarks.overhead --models qwen3_5_4b falcon_h1_7b qwen2_5_3b --device cuda   # the headline, GPU

Greedy decoding of a fixed prompt for a fixed number of new tokens (EOS suppressed), at batch 1 and batch 8, for
base and every registered method that attaches to the model (on each hybrid: LoRA unmerged and merged, S0, the
per-step state offset; on the pure Transformer: LoRA and prefix tuning). Every method gets its own copy of the model, so all stay attached and the repeats
are interleaved, each method timed right next to a fresh base run (``common.throughput``: medians and IQR of the
ratio to base). The state offset wraps module-level scan functions of its model family while attached, so it is
attached only for its own runs and the others are timed unpatched (``--one-copy`` does that for every method, so
real-size models fit on one GPU: one copy per family, attach / detach around each timed run, outside the clock).
Method weights are random non-zero values: cost does not depend on them.

Also per method: trainable parameters, seconds per training step (one example, batch 1) and peak memory of that
step (CUDA: torch's allocator peak; CPU: the process's RSS high-water mark, which only grows, so read it as an
upper bound). On each hybrid model, also many tasks in one batch (S0 bank vs peft LoRA with mixed adapters) and the
time to switch a model to another task (``mixed_tasks.py``; ``--task-counts`` with no value skips it).

Writes ``results/bench/overhead.json`` ({model: {method: {tokens_per_s, ratio_to_base, ...}}}, the top-level numbers
at batch 1, the paper's one-prompt-at-a-time setting; plus ``"mixed_tasks": {model: {tasks: {k: {s0_bank,
lora_mixed}}, switch}}``), ``overhead_meta.json`` and ``overhead.png``, and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import PROMPT, Arm, load, method_config, randomise, throughput
from benchmarks.mixed_tasks import TASK_COUNTS, measure_mixed, plot_mixed, print_mixed
from s0repro.conf import LORA_PRESET
from s0repro.errors import UserError
from s0repro.methods import build_method, discover
from s0repro.models import NoRecurrentLayersError
from s0repro.paths import REPO_ROOT
from s0repro.provenance import hardware, package_versions
from s0repro.train import TrainConfig, TrainExample, train


def _plans(probe: Any) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Base, then every registered method that attaches to this model, at its preset (LoRA: the architecture's);
    a method whose config can merge into the weights is timed both ways (``<name>_unmerged``, ``<name>_merged``).
    A new method is benchmarked by being registered: no list here to edit."""
    plans: list[tuple[str, str | None, dict[str, Any]]] = [("base", None, {})]
    for name in sorted(discover()):
        if name == "none":  # the base row above
            continue
        config = method_config(LORA_PRESET[probe.config.arch] if name == "lora" else name)
        method = build_method(name, config)
        try:
            method.attach(probe.model)
        except (NoRecurrentLayersError, UserError):  # S0 on a Transformer, prefix on a hybrid: not this model's
            continue
        method.detach()
        if "merge" in config:
            plans += [(f"{name}_unmerged", name, {**config, "merge": False}),
                      (f"{name}_merged", name, {**config, "merge": True})]
        else:
            plans.append((name, name, config))
    return plans


def _arms_for(name: str, device: str, one_copy: bool) -> list[Arm]:
    """Base and every applicable method, each on its own copy of ``name`` (or all on one, attached per run)."""
    probe = load(name, device)
    plans = _plans(probe)
    arms = []
    for label, method_name, config in plans:
        loaded = probe if label == "base" or one_copy else load(name, device)
        if method_name is None:
            arms.append(Arm(label, None, loaded.model, loaded.tokenizer))
            continue
        method = build_method(method_name, config)
        model = method.attach(loaded.model)
        randomise(method.trainable_parameters())
        arm = Arm(label, method, model, loaded.tokenizer, scoped=one_copy or method_name == "state_offset",
                  params=method.num_trainable_parameters())
        if arm.scoped:
            arm.model = method.detach()
        arms.append(arm)
    return arms


def train_cost(arm: Arm, steps: int) -> dict[str, Any]:
    """Seconds per optimiser step and peak memory for one example at batch 1 (methods that train)."""
    method = arm.method
    if method is None or arm.label.endswith("_merged"):
        return {}
    if arm.scoped:
        arm.model = method.attach(arm.model)
    example = TrainExample(prompt=PROMPT, completion="    if n < 2:\n        return n\n")
    device = next(arm.model.parameters()).device
    if device.type == "cuda":
        torch.cuda.synchronize()
    result = train(method, arm.tokenizer, [example], TrainConfig(steps=steps, lr=1e-4, batch=1, progress=False))
    if arm.scoped:
        arm.model = method.detach()
    return {"train_step_s": result.seconds / result.steps, "peak_memory_mb": result.peak_memory_mb,
            "trainable_params": result.trainable_params}


def _plot(results: dict[str, dict], batches: list[int], mixed: dict[str, dict], path: Path) -> None:
    """Top row: every method's ratio to base per model and batch; bottom row (if measured): mixed-task batches."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if mixed else 1
    fig, axes = plt.subplots(rows, len(results), figsize=(4.5 * len(results), 3.6 * rows), squeeze=False)
    for ax, (model, methods) in zip(axes[0], results.items(), strict=True):
        labels = [m for m in methods if m != "base"]
        width = 0.8 / len(batches)
        lowest = 1.0
        for i, b in enumerate(batches):
            rows = [methods[m]["batch"][str(b)] for m in labels]
            values = [r["ratio_to_base"] for r in rows]
            spread = [[r["ratio_to_base"] - r["ratio_q1"] for r in rows], [r["ratio_q3"] - r["ratio_to_base"] for r in rows]]
            ax.bar([x + i * width for x in range(len(labels))], values, width, yerr=spread, capsize=3,
                   label=f"batch {b}")
            lowest = min([lowest] + [r["ratio_q1"] for r in rows])
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(0.98, color="grey", linewidth=0.8, linestyle="--")
        ax.set_ylim(max(0.0, lowest - 0.1), 1.15)
        ax.set_xticks([x + width * (len(batches) - 1) / 2 for x in range(len(labels))], labels, rotation=30,
                      ha="right")
        ax.set_title(model)
        ax.set_ylabel("decode tokens/s / base (median, IQR)")
        ax.legend(fontsize=8)
    if mixed:
        plot_mixed(list(axes[1]), mixed)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny_gdn", "tiny_mamba2", "tiny_transformer"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 = steadier timings on a shared box)")
    parser.add_argument("--one-copy", action="store_true",
                        help="one model per family, each method attached around its own runs (real sizes on a GPU)")
    parser.add_argument("--task-counts", nargs="*", type=int, default=list(TASK_COUNTS),
                        help="mixed-task batches: tasks per batch of --mixed-batch rows (none: skip them)")
    parser.add_argument("--mixed-batch", type=int, default=8)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "bench")
    args = parser.parse_args(argv)
    if args.device == "cpu":
        torch.set_num_threads(args.threads)

    results: dict[str, dict] = {}
    mixed: dict[str, dict] = {}
    started = time.perf_counter()
    for name in args.models:
        arms = _arms_for(name, args.device, args.one_copy)
        per_batch = {b: throughput(arms, b, args.new_tokens, args.repeats, args.warmup) for b in args.batches}
        results[name] = {}
        for arm in arms:
            head = per_batch[args.batches[0]][arm.label]
            results[name][arm.label] = {
                "tokens_per_s": head["tokens_per_s"],
                "ratio_to_base": head["ratio_to_base"],
                "batch": {str(b): per_batch[b][arm.label] for b in args.batches},
                "inference_cost": str(arm.method.inference_cost) if arm.method else "none",
                "trainable_params": arm.params,
                **train_cost(arm, args.train_steps),
            }
        for arm in arms:
            if arm.method is not None and not arm.scoped:
                arm.method.detach()
        if args.task_counts and "s0" in results[name]:  # mixed-task batches need recurrent layers
            del arms
            mixed[name] = measure_mixed(name, args.device, args.mixed_batch, args.task_counts, args.new_tokens,
                                        args.repeats, args.warmup)

    args.out.mkdir(parents=True, exist_ok=True)
    payload = {**results, "mixed_tasks": mixed} if mixed else results
    (args.out / "overhead.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    meta = {"prompt": PROMPT, "new_tokens": args.new_tokens, "batches": args.batches, "repeats": args.repeats,
            "warmup": args.warmup, "task_counts": args.task_counts,
            "mixed_batch": args.mixed_batch, "device": args.device, "one_copy": args.one_copy,
            "clock": "process_time (CPU seconds)" if args.device == "cpu" else "wall (perf_counter, synchronised)", "threads": torch.get_num_threads(),
            "seconds": round(time.perf_counter() - started, 1), "hardware": hardware(), "versions": package_versions()}
    (args.out / "overhead_meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    _plot(results, args.batches, mixed, args.out / "overhead.png")
    _print_table(results, args.batches)
    if mixed:
        print_mixed(mixed)
    print(f"wrote {args.out / 'overhead.json'} and overhead.png in {meta['seconds']} s")
    return results


def _print_table(results: dict[str, dict], batches: list[int]) -> None:
    cols = "".join(f"{f'tok/s b{b}':>11}{f'ratio b{b}':>10}" for b in batches)
    print(f"{'model':<17}{'method':<15}{cols}{'params':>11}{'step s':>9}{'peak MB':>9}  cost")
    for model, methods in results.items():
        for label, row in methods.items():
            cells = "".join(f"{row['batch'][str(b)]['tokens_per_s']:>11.1f}{row['batch'][str(b)]['ratio_to_base']:>10.3f}"
                            for b in batches)
            step = f"{row['train_step_s']:.3f}" if "train_step_s" in row else "-"
            peak = f"{row['peak_memory_mb']:.0f}" if "peak_memory_mb" in row else "-"
            print(f"{model:<17}{label:<15}{cells}{row['trainable_params']:>11,}{step:>9}{peak:>9}  "
                  f"{row['inference_cost']}")


if __name__ == "__main__":
    main()
