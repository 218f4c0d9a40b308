"""`make gpu-check`: the paper's kernel path on one CUDA GPU, with random weights at real width (no network needed).

    python -m benchmarks.gpu_check            # from the repo root, after `pip install -e '.[gpu]' --no-build-isolation`

Models: Qwen3.5-4B (GatedDeltaNet, fla kernels) and Falcon-H1-7B (Mamba-2, mamba-ssm kernels) built from their
recorded dims at real width, head layout, vocabulary and bf16, depth cut to one layer pattern
(s0repro/models/real_shape.py; ``--layers`` for more). Three checks, about 2-4 minutes on one GPU:

(a) kernel vs torch fallback, both on the GPU, same weights and the same random state (fp32): logits and the
    gradient with respect to the state, for S0 and for the state offset. transformers binds the kernels into the
    module-level scan functions at import; the fallback run swaps those names back to the torch reference functions
    (s0repro/models/kernels.py).
    Pass: ||logits_kernel - logits_fallback|| <= 0.1 x ||logits_fallback(state) - logits_fallback(no state)|| (the
    paths agree far better than the state's own effect, so a path that ignored the state would fail), and the
    gradient's relative error <= 0.1 (bf16 weights on both paths; the number itself is recorded).
(b) greedy decode tokens/s of base, S0, LoRA unmerged / merged and the state offset at batch 1 and 8, ratios to base
    measured side by side (benchmarks/overhead.py's pairing: each round a method next to a fresh base run).
(c) seconds per S0 training step (one example, batch 1) and the allocator's peak memory.

Writes ``results/gpu_check.json`` and prints a table. Without CUDA or without the kernels it stops with one line
(exit 2). Not part of CI.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import Arm, method_config, throughput
from benchmarks.overhead import train_cost
from s0repro.conf import LORA_PRESET
from s0repro.errors import UserError
from s0repro.methods import build_method
from s0repro.models import ModelConfig
from s0repro.models.kernels import kernels_selected, torch_fallback
from s0repro.models.loading import LoadedModel
from s0repro.models.real_shape import build_real_shape
from s0repro.paths import REPO_ROOT
from s0repro.provenance import hardware, package_versions

FAMILIES = {"qwen3_5": "qwen3_5_4b", "falcon_h1": "falcon_h1_7b"}  # conf/model/<name>.yaml
KERNEL_PACKAGES = {"fla": "flash-linear-attention", "mamba_ssm": "mamba-ssm", "causal_conv1d": "causal-conv1d"}
LOGITS_VS_EFFECT = 0.1  # kernel-vs-fallback logits gap, as a fraction of the state's effect on the logits
GRAD_REL = 0.1  # relative error of the gradient with respect to the state
STATE_METHODS = {"s0": {"alpha": 1.0}, "state_offset": {}}
CHECK_TOKENS = 128


class GpuCheckError(UserError):
    """This machine cannot run the GPU check (no CUDA, or the kernels are not installed)."""


def preflight(*, cuda: bool | None = None, find_spec: Callable[[str], Any] = importlib.util.find_spec) -> None:
    """One clear line when there is no CUDA device or a kernel package is missing."""
    if not (torch.cuda.is_available() if cuda is None else cuda):
        raise GpuCheckError("needs a CUDA GPU and this machine has none (torch sees no CUDA device); it is not part of CI")
    missing = [dist for module, dist in KERNEL_PACKAGES.items() if find_spec(module) is None]
    if missing:
        raise GpuCheckError(f"needs the GPU kernels; missing {', '.join(missing)}: "
                            "pip install -e '.[gpu]' --no-build-isolation")


def _state_run(loaded: LoadedModel, method_name: str, ids: torch.Tensor, scale: float, seed: int = 0):
    """Logits and the state's gradient for one forward with a random state of ``scale`` (0 = no state)."""
    method = build_method(method_name, STATE_METHODS[method_name])
    model = method.attach(loaded.model)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_((scale * torch.randn(p.shape, generator=gen)).to(p))
    logits = model(input_ids=ids, **method.model_kwargs(ids.shape[0], training=True)).logits.float()
    logits.square().mean().backward()
    grads = torch.cat([p.grad.flatten() for p in method.trainable_parameters()])
    method.detach()
    return logits.detach(), grads


def compare_paths(loaded: LoadedModel, method_name: str) -> dict[str, Any]:
    """(a) for one state method: kernel vs torch fallback on the same GPU, judged against the state's effect."""
    arch = loaded.config.arch
    ids = torch.randint(0, len(loaded.tokenizer), (1, CHECK_TOKENS), generator=torch.Generator().manual_seed(0))
    ids = ids.to(loaded.device)
    kernel_logits, kernel_grad = _state_run(loaded, method_name, ids, 1.0)
    with torch_fallback(arch):
        ref_logits, ref_grad = _state_run(loaded, method_name, ids, 1.0)
        zero_logits, _ = _state_run(loaded, method_name, ids, 0.0)
    effect = (ref_logits - zero_logits).norm().item()
    gap = (kernel_logits - ref_logits).norm().item()
    grad_rel = ((kernel_grad - ref_grad).norm() / ref_grad.norm().clamp_min(1e-30)).item()
    return {"logits_gap": gap, "state_effect": effect, "gap_over_effect": gap / max(effect, 1e-30),
            "logits_rel": gap / ref_logits.norm().item(), "grad_rel": grad_rel,
            "passed": gap <= LOGITS_VS_EFFECT * effect and grad_rel <= GRAD_REL}


def decode_arms(loaded: LoadedModel) -> list[Arm]:
    """(b) base and every method on one model copy, each attached only around its own timed runs."""
    plans = [("s0", "s0", method_config("s0"))]
    lora = method_config(LORA_PRESET[loaded.config.arch])
    plans += [("lora_unmerged", "lora", {**lora, "merge": False}), ("lora_merged", "lora", {**lora, "merge": True}),
              ("state_offset", "state_offset", method_config("state_offset"))]
    arms = [Arm("base", None, loaded.model, loaded.tokenizer)]
    for label, name, config in plans:
        method = build_method(name, config)
        method.attach(loaded.model)
        params = method.num_trainable_parameters()
        arms.append(Arm(label, method, method.detach(), loaded.tokenizer, scoped=True, params=params))
    return arms


def model_config(name: str) -> ModelConfig:
    return ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{name}.yaml")


def check_family(arch: str, args: argparse.Namespace) -> dict[str, Any]:
    cfg = model_config(FAMILIES[arch])
    loaded = build_real_shape(cfg, layers=args.layers, vocab_size=cfg.dims["vocab_size"], device="cuda")
    kernels = kernels_selected(arch)
    off = [name for name, chosen in kernels.items() if chosen is False]
    if off:
        raise GpuCheckError(f"transformers runs the torch fallback for {', '.join(off)} ({arch}); "
                            "reinstall the gpu extra against this CUDA torch")
    paths = {m: compare_paths(loaded, m) for m in STATE_METHODS}
    arms = decode_arms(loaded)
    decode = {str(b): throughput(arms, b, args.new_tokens, args.repeats, args.warmup) for b in args.batches}
    s0_arm = next(a for a in arms if a.label == "s0")
    return {"model": cfg.name, "layers": loaded.model.config.num_hidden_layers, "kernels": kernels,
            "kernel_vs_fallback": paths, "decode": decode, "s0_train": train_cost(s0_arm, args.train_steps)}


def format_report(results: dict[str, Any]) -> str:
    """The printed table: (a) per family and method, (b) tokens/s and ratios, (c) step time."""
    lines = ["(a) kernel vs torch fallback (pass: gap <= "
             f"{LOGITS_VS_EFFECT} x state effect, grad rel <= {GRAD_REL})",
             f"{'family':<12}{'method':<14}{'gap/effect':>11}{'logits rel':>12}{'grad rel':>10}  result"]
    for arch, fam in results["families"].items():
        for method, r in fam["kernel_vs_fallback"].items():
            lines.append(f"{arch:<12}{method:<14}{r['gap_over_effect']:>11.2e}{r['logits_rel']:>12.2e}"
                         f"{r['grad_rel']:>10.2e}  {'pass' if r['passed'] else 'FAIL'}")
    lines.append("(b) greedy decode, bf16: tokens/s (ratio to base, median of side-by-side pairs)")
    for fam in results["families"].values():
        batches = list(fam["decode"])
        lines.append(f"{fam['model']} ({fam['layers']} layers)  " + "  ".join(f"batch {b}" for b in batches))
        for label in fam["decode"][batches[0]]:
            cells = "  ".join(f"{fam['decode'][b][label]['tokens_per_s']:8.1f} "
                              f"({fam['decode'][b][label]['ratio_to_base']:.3f})" for b in batches)
            lines.append(f"  {label:<15}{cells}")
    lines.append("(c) S0 training step (one example, batch 1)")
    for fam in results["families"].values():
        t = fam["s0_train"]
        lines.append(f"  {fam['model']:<15}{t['train_step_s']:.3f} s/step  peak {t['peak_memory_mb']:.0f} MB")
    return "\n".join(lines)


def passed(results: dict[str, Any]) -> bool:
    return all(r["passed"] for fam in results["families"].values() for r in fam["kernel_vs_fallback"].values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--layers", type=int, default=None, help="depth (default: one layer pattern)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "gpu_check.json")
    args = parser.parse_args(argv)
    try:
        preflight()
        started = time.perf_counter()
        results = {"families": {arch: check_family(arch, args) for arch in args.families}}
    except GpuCheckError as err:
        print(f"gpu-check: {err}", file=sys.stderr)
        return 2
    results["meta"] = {"seconds": round(time.perf_counter() - started, 1), "check_tokens": CHECK_TOKENS,
                       "tolerances": {"logits_vs_effect": LOGITS_VS_EFFECT, "grad_rel": GRAD_REL},
                       "new_tokens": args.new_tokens, "repeats": args.repeats, "hardware": hardware(),
                       "versions": package_versions()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(format_report(results))
    print(f"wrote {args.out} in {results['meta']['seconds']} s")
    return 0 if passed(results) else 1


if __name__ == "__main__":
    sys.exit(main())
