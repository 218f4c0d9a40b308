"""`make gpu-check`: the recurrent kernels on one CUDA GPU, with random weights at real width (no network needed).

    python -m benchmarks.gpu_check --out results/gpu_check.json      # from the repo root, on a CUDA machine
    make gpu-bundle && make gpu-command                               # the same check on the lent GPU machine

Models are data (``MODELS``): the paper's two families, Qwen3.5-4B (GatedDeltaNet, fla) and Falcon-H1-7B (Mamba-2,
mamba-ssm), built from their conf/model dims; and Falcon-Mamba-7B (Mamba-1, mamba-ssm's decode step) and
Kimi-Linear-48B-A3B (KDA, fla), built from the support table's structure at the published width
(s0repro/models/real_shape.py). All at real width, head layout, vocabulary and bf16, depth cut to one layer pattern
(``--layers`` for more). Two halves, about 5-6.5 minutes on an H100 (an estimate):

(a) for S0 and the state offset, kernel vs torch fallback on the same GPU, same weights, same random non-zero state:
    the logits of a 128-token prompt (the chunked scans) and of a one-token prompt (the single-step updates, which
    take the state as it is), and the gradient with respect to the state (the fallback swaps transformers'
    kernelized module-level functions back to their torch bodies, s0repro/models/kernels.py); and on the kernel
    path, left-padded batched greedy generation against each prompt alone. Pass: for both prompts
    ||logits_kernel - logits_fallback|| <= 0.1 x the state's own effect on the fallback logits (a kernel that ignored
    the state, e.g. because transformers dropped an initial-state keyword it does not declare, gives about 1 and
    fails), the gradient's relative error <= 0.1, and the padded rows give the tokens of the lone runs.
(b) greedy decode tokens/s of base, S0 and LoRA unmerged at batch 1 and 8, ratios to base measured side by side
    (benchmarks/common.py's pairing); then seconds per S0 training step (one example, batch 1) and the allocator's
    peak memory.

The JSON (``--out``) is rewritten as soon as each piece is measured, so a timeout keeps what was measured; its
``status`` says how far it got. Without CUDA it stops with one line (exit 2) after every import has succeeded.
docs/gpu.md explains the fields and the expected ranges. Not part of CI.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from benchmarks.common import Arm, method_config, throughput
from benchmarks.overhead import train_cost
from s0repro.conf import LORA_PRESET
from s0repro.errors import UserError, one_line
from s0repro.methods import build_method
from s0repro.models import ModelConfig
from s0repro.models.architectures import CONFIG_CLASSES
from s0repro.models.kernels import KERNELIZED, kernels_selected, torch_fallback
from s0repro.models.real_shape import build_real_shape, build_support_shape, pattern_depth
from s0repro.models.recurrent import SUPPORTED_TYPES
from s0repro.models.tokenizer import build_char_tokenizer
from s0repro.paths import REPO_ROOT
from s0repro.provenance import hardware, package_versions

LOGITS_VS_EFFECT = 0.1  # kernel-vs-fallback logits gap, as a fraction of the state's effect on the logits
GRAD_REL = 0.1  # relative error of the gradient with respect to the state
STATE_METHODS = {"s0": {"alpha": 1.0}, "state_offset": {}}
CHECK_TOKENS = 128
PADDED_PROMPTS = ("def add(a, b):\n    return", "x = [1, 2, 3]\nprint(len(x))\n# the answer is")
PADDED_NEW_TOKENS = 16
# Distributions the bundle carries (benchmarks/gpu_bundle.py) or the machine must have; recorded with their paths.
KERNEL_DISTS = ("torch", "triton", "transformers", "peft", "hydra-core", "omegaconf", "flash-linear-attention",
                "fla-core", "mamba-ssm", "causal-conv1d")


@dataclass(frozen=True)
class ModelEntry:
    """One model the check builds and the kernelized functions that must run a kernel for it.

    Built from ``conf/model/<config>.yaml`` (a hub model's recorded dims), or, with ``config=None``, from the support
    table's ``arch`` model type at real width with ``overrides`` (the published checkpoint's dims and a cut depth).
    """

    key: str
    arch: str  # the family's key in s0repro.models.kernels.KERNELIZED (and, for support builds, its model type)
    kernels: tuple[str, ...]  # names in KERNELIZED[arch] that must be bound to a kernel
    config: str | None = None
    name: str = ""  # what the result file calls a support build
    overrides: dict[str, Any] = field(default_factory=dict)


# Falcon-Mamba-7B (tiiuae/falcon-mamba-7b): 64 Mamba-1 layers, width 4096, expand 2, state 16, dt rank 256, vocab
# 65024; two layers here. Kimi-Linear-48B-A3B (moonshotai/Kimi-Linear-48B-A3B-Instruct): width 2304, 32 KDA heads of
# 128, MLA every 4th layer, vocab 163840 (transformers' KimiLinearConfig defaults are this checkpoint's); one pattern,
# 3 KDA + 1 MLA, with dense MLPs in place of its 256 experts (the MLP does not touch the state, the experts would
# cost 3.6 GB a layer).
FALCON_MAMBA_7B = {"hidden_size": 4096, "expand": 2, "state_size": 16, "conv_kernel": 4, "time_step_rank": 256,
                   "num_hidden_layers": 2}
KIMI_LINEAR_48B = {"num_hidden_layers": 4, "layer_types": ["linear_attention"] * 3 + ["full_attention"],
                   "mlp_layer_types": ["dense"] * 4}
REAL_VOCAB = {"falcon_mamba": 65024, "kimi_linear": 163840}

# causal-conv1d (CUDA-compiled) is not carried, so the convolutions are never required; Mamba-1's full-sequence
# scan (selective_scan_fn) needs mamba-ssm's CUDA extension, so only its decode step is a Triton kernel, which the
# one-token prompt of half (a) runs with the state.
MODELS = (
    ModelEntry("qwen3_5", "qwen3_5", ("torch_chunk_gated_delta_rule", "torch_recurrent_gated_delta_rule"),
               config="qwen3_5_4b"),
    ModelEntry("falcon_h1", "falcon_h1", ("mamba2_chunk_scan", "mamba2_selective_state_update"),
               config="falcon_h1_7b"),
    ModelEntry("mamba1", "falcon_mamba", ("mamba_selective_state_update",), name="falcon_mamba_7b",
               overrides=FALCON_MAMBA_7B),
    ModelEntry("kda", "kimi_linear", ("chunk_kimi_delta_attention", "recurrent_kimi_delta_attention"),
               name="kimi_linear_48b_a3b", overrides=KIMI_LINEAR_48B),
)


@dataclass
class Built:
    """A model the check runs: frozen, random, on its device, with the char tokenizer and its kernel-table key."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    arch: str
    name: str

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


class GpuCheckError(UserError):
    """This machine cannot run the GPU check (no CUDA device)."""


def model_config(name: str) -> ModelConfig:
    return ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{name}.yaml")


def unsupported(entry: ModelEntry) -> str | None:
    """Why this s0repro cannot build ``entry`` at real width (None: it can)."""
    if entry.arch not in KERNELIZED:
        return f"architecture {entry.arch!r} is not in s0repro.models.kernels.KERNELIZED"
    if entry.config is None:
        ok = entry.arch in SUPPORTED_TYPES
        return None if ok else f"model type {entry.arch!r} is not in s0repro's support table"
    path = REPO_ROOT / "conf" / "model" / f"{entry.config}.yaml"
    if not path.is_file():
        return f"{path.relative_to(REPO_ROOT)} not found: this s0repro does not support the family yet"
    cfg = model_config(entry.config)
    if cfg.arch not in CONFIG_CLASSES:
        return f"architecture {cfg.arch!r} is not in s0repro's config builder"
    try:
        pattern_depth(cfg)
    except KeyError:
        return f"architecture {cfg.arch!r} has no layer pattern in s0repro.models.real_shape"
    return None


def preflight(*, cuda: bool | None = None) -> None:
    """One clear line when there is no CUDA device (every import has already succeeded by then)."""
    if not (torch.cuda.is_available() if cuda is None else cuda):
        raise GpuCheckError("needs a CUDA GPU and this machine has none (torch sees no CUDA device); "
                            "the imports succeeded; it is not part of CI")


def _random_state(method, scale: float, seed: int = 0) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in method.trainable_parameters():
            p.copy_((scale * torch.randn(p.shape, generator=gen)).to(p))


def _state_run(loaded: Built, method_name: str, ids: torch.Tensor, scale: float):
    """Logits and the state's gradient for one forward with a random state of ``scale`` (0 = no state).

    A path that lost the state gives it a zero gradient (not an autograd error), so the verdict says FAIL."""
    method = build_method(method_name, STATE_METHODS[method_name])
    model = method.attach(loaded.model)
    _random_state(method, scale)
    try:
        logits = model(input_ids=ids, **method.model_kwargs(ids.shape[0], training=True)).logits.float()
        loss, params = logits.square().mean(), list(method.trainable_parameters())
        grads = torch.autograd.grad(loss, params, allow_unused=True) if loss.requires_grad else [None] * len(params)
        flat = torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                          for p, g in zip(params, grads, strict=True)])
        return logits.detach(), flat
    finally:
        method.detach()


def _step_run(loaded: Built, method_name: str, ids: torch.Tensor, scale: float) -> torch.Tensor:
    """The logits of one decode step (the single-step update, fed the cached state) after a prefill of all but the
    last token, with a random state of ``scale``. No grad: the single-step kernels are inference kernels."""
    method = build_method(method_name, STATE_METHODS[method_name])
    model = method.attach(loaded.model)
    _random_state(method, scale)
    try:
        with torch.no_grad():
            out = model(input_ids=ids[:, :-1], **{"use_cache": True, **method.model_kwargs(ids.shape[0])})
            cache = getattr(out, "cache", None) or out.past_key_values  # Mamba-1 models name it ``cache``
            return model(input_ids=ids[:, -1:], cache=cache, use_cache=True).logits.float()
    finally:
        method.detach()


def _gaps(kernel: torch.Tensor, ref: torch.Tensor, zero: torch.Tensor) -> dict[str, float]:
    """The kernel-vs-fallback logits gap, judged against what the state does to the fallback logits."""
    effect = (ref - zero).norm().item()
    gap = (kernel - ref).norm().item()
    return {"logits_gap": gap, "state_effect": effect, "gap_over_effect": gap / max(effect, 1e-30),
            "logits_rel": gap / ref.norm().item()}


def compare_paths(loaded: Built, method_name: str) -> dict[str, Any]:
    """Kernel vs torch fallback for one state method on the same device, judged against the state's effect.

    A ``CHECK_TOKENS`` prompt runs the chunked scans (logits and the state's gradient); one decode step after it
    (under ``step``) runs the single-step updates on the cached state -- for Mamba-1 the only kernel with a state.
    """
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, len(loaded.tokenizer), (1, CHECK_TOKENS), generator=gen).to(loaded.device)
    kernel_logits, kernel_grad = _state_run(loaded, method_name, ids, 1.0)
    kernel_step = _step_run(loaded, method_name, ids, 1.0)
    with torch_fallback(loaded.arch):  # attached inside the block: the state offset wraps the fallback functions
        ref_logits, ref_grad = _state_run(loaded, method_name, ids, 1.0)
        zero_logits, _ = _state_run(loaded, method_name, ids, 0.0)
        ref_step, zero_step = (_step_run(loaded, method_name, ids, scale) for scale in (1.0, 0.0))
    result = _gaps(kernel_logits, ref_logits, zero_logits)
    result["grad_rel"] = ((kernel_grad - ref_grad).norm() / ref_grad.norm().clamp_min(1e-30)).item()
    result["step"] = _gaps(kernel_step, ref_step, zero_step)
    result["passed"] = (result["gap_over_effect"] <= LOGITS_VS_EFFECT and result["grad_rel"] <= GRAD_REL
                        and result["step"]["gap_over_effect"] <= LOGITS_VS_EFFECT)
    return result


def padded_generation(loaded: Built, method_name: str) -> dict[str, Any]:
    """Left-padded batched greedy generation with a random state vs each prompt alone (the kernel path)."""
    tok, model = loaded.tokenizer, loaded.model
    method = build_method(method_name, STATE_METHODS[method_name])
    method.attach(model)
    _random_state(method, 1.0)
    greedy = dict(max_new_tokens=PADDED_NEW_TOKENS, min_new_tokens=PADDED_NEW_TOKENS, do_sample=False,
                  pad_token_id=tok.pad_token_id)

    def run(prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        enc = tok(prompts, return_tensors="pt", padding=True).to(loaded.device)
        with torch.no_grad():
            out = model.generate(**enc, **greedy, **method.model_kwargs(len(prompts)), return_dict_in_generate=True,
                                 output_logits=True)
        return out.sequences[:, -PADDED_NEW_TOKENS:], out.logits[0].float()

    try:
        batched, batched_first = run(list(PADDED_PROMPTS))
        alone = [run([p]) for p in PADDED_PROMPTS]
    finally:
        method.detach()
    equal = [bool(torch.equal(batched[i], tokens[0])) for i, (tokens, _) in enumerate(alone)]
    first_rel = max(((batched_first[i] - first[0]).norm() / first[0].norm()).item()
                    for i, (_, first) in enumerate(alone))
    return {"tokens_equal": equal, "first_step_logits_rel": first_rel, "passed": all(equal)}


def decode_arms(loaded: Built) -> tuple[list[Arm], dict[str, str]]:
    """Base, S0 and LoRA unmerged on one model copy, each method attached only around its own timed runs."""
    plans = [("s0", "s0", method_config("s0"))]
    skipped = {}
    preset = LORA_PRESET.get(loaded.arch)
    if preset is None:
        skipped["lora_unmerged"] = f"no LoRA preset for {loaded.arch} in s0repro.conf.LORA_PRESET"
    else:
        plans.append(("lora_unmerged", "lora", {**method_config(preset), "merge": False}))
    arms = [Arm("base", None, loaded.model, loaded.tokenizer)]
    for label, name, config in plans:
        method = build_method(name, config)
        method.attach(loaded.model)
        params = method.num_trainable_parameters()
        arms.append(Arm(label, method, method.detach(), loaded.tokenizer, scoped=True, params=params))
    return arms, skipped


class Report:
    """The result file, rewritten (atomically) after every measured piece."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.started = time.perf_counter()
        self.data: dict[str, Any] = {"status": "started", "models": {}, "meta": {}}

    def model(self, key: str) -> dict[str, Any]:
        return self.data["models"].setdefault(key, {})

    def save(self, status: str | None = None) -> None:
        if status is not None:
            self.data["status"] = status
        self.data["elapsed_s"] = round(time.perf_counter() - self.started, 1)  # at this save: where the time went
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.out)


def installed() -> dict[str, dict[str, str]]:
    """Version and install folder of each package the check depends on (the bundle's target folder or the image)."""
    found = {}
    for name in KERNEL_DISTS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[name] = {"version": dist.version, "location": str(Path(str(dist.locate_file(""))).resolve())}
    return found


def build(entry: ModelEntry, layers: int | None) -> Built:
    """``entry`` at real width on the GPU, one layer pattern deep unless ``layers`` says otherwise."""
    if entry.config is not None:
        cfg = model_config(entry.config)
        loaded = build_real_shape(cfg, layers=layers, vocab_size=cfg.dims["vocab_size"], device="cuda")
        return Built(loaded.model, loaded.tokenizer, entry.arch, cfg.name)
    model = build_support_shape(entry.arch, vocab_size=REAL_VOCAB[entry.arch], device="cuda",
                                **support_overrides(entry, layers))
    return Built(model, build_char_tokenizer(), entry.arch, entry.name)


def support_overrides(entry: ModelEntry, layers: int | None) -> dict[str, Any]:
    """A support build's config keywords at ``layers`` depth: per-layer lists repeat the pattern."""
    if layers is None:
        return dict(entry.overrides)
    repeated = {k: (v * layers)[:layers] for k, v in entry.overrides.items() if isinstance(v, list)}
    return {**entry.overrides, **repeated, "num_hidden_layers": layers}


def release() -> None:
    """Return a finished half's model to the allocator before the next one is built."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def half_a(entry: ModelEntry, args: argparse.Namespace, report: Report) -> None:
    """Kernel vs fallback and padded generation for one model, each method saved as soon as it is measured."""
    loaded = build(entry, args.layers)
    result = report.model(entry.key)
    result.update(model=loaded.name, arch=loaded.arch, layers=loaded.model.config.num_hidden_layers)
    off = [name for name in entry.kernels if not result["kernels"].get(name)]
    if off:
        result["error"] = f"transformers runs the torch fallback for {', '.join(off)}: the bundle's kernels are missing"
        report.save()
        return
    for method in STATE_METHODS:
        result.setdefault("kernel_vs_fallback", {})[method] = compare_paths(loaded, method)
        report.save()
        result.setdefault("padded_generation", {})[method] = padded_generation(loaded, method)
        report.save()


def half_b(entry: ModelEntry, args: argparse.Namespace, report: Report) -> None:
    """Decode tokens/s of base, S0 and LoRA unmerged per batch, then one S0 training step's time and peak memory."""
    loaded = build(entry, args.layers)
    result = report.model(entry.key)
    arms, skipped = decode_arms(loaded)
    result["decode_skipped"] = skipped
    for batch in args.batches:
        result.setdefault("decode", {})[str(batch)] = throughput(arms, batch, args.new_tokens, args.repeats,
                                                                 args.warmup)
        report.save()
    result["s0_train"] = train_cost(next(a for a in arms if a.label == "s0"), args.train_steps)
    report.save()


def passed(results: dict[str, Any]) -> bool:
    """Every measured model's kernel-vs-fallback and padded-generation verdicts, and no model with an error."""
    verdicts = [r["passed"] for fam in results["models"].values()
                for part in ("kernel_vs_fallback", "padded_generation") for r in fam.get(part, {}).values()]
    errors = [fam for fam in results["models"].values() if "error" in fam]
    return bool(verdicts) and all(verdicts) and not errors


def format_report(results: dict[str, Any]) -> str:
    """The printed table: (a) per model and method, (b) tokens/s and ratios, step time and peak memory."""
    lines = [f"(a) kernel vs torch fallback (pass: gap <= {LOGITS_VS_EFFECT} x state effect on the prompt and on one "
             f"token, grad rel <= {GRAD_REL}; padded batch == alone)",
             f"{'model':<12}{'method':<14}{'gap/effect':>11}{'step g/e':>10}{'logits rel':>12}{'grad rel':>10}  "
             f"{'padded':<8}result"]
    for key, fam in results["models"].items():
        if "skipped" in fam or "error" in fam:
            lines.append(f"{key:<12}{fam.get('skipped') or fam['error']}")
            continue
        for method, r in fam.get("kernel_vs_fallback", {}).items():
            pad = fam.get("padded_generation", {}).get(method, {})
            ok = r["passed"] and pad.get("passed", False)
            lines.append(f"{key:<12}{method:<14}{r['gap_over_effect']:>11.2e}{r['step']['gap_over_effect']:>10.2e}"
                         f"{r['logits_rel']:>12.2e}"
                         f"{r['grad_rel']:>10.2e}  {str(pad.get('passed', '-')):<8}{'pass' if ok else 'FAIL'}")
    lines.append("(b) greedy decode, bf16: tokens/s (ratio to base, median of side-by-side pairs)")
    for key, fam in results["models"].items():
        if "decode" not in fam:
            continue
        batches = list(fam["decode"])
        lines.append(f"{key} ({fam['layers']} layers)  " + "  ".join(f"batch {b}" for b in batches))
        for label in fam["decode"][batches[0]]:
            cells = "  ".join(f"{fam['decode'][b][label]['tokens_per_s']:8.1f} "
                              f"({fam['decode'][b][label]['ratio_to_base']:.3f})" for b in batches)
            lines.append(f"  {label:<15}{cells}")
        if fam.get("s0_train"):
            t = fam["s0_train"]
            lines.append(f"  S0 train step  {t['train_step_s']:.3f} s  peak {t['peak_memory_mb']:.0f} MB")
    return "\n".join(lines)


def run_halves(entries: list[ModelEntry], args: argparse.Namespace, report: Report,
               halves: tuple[Callable[..., None], ...] = (half_a, half_b)) -> None:
    """Each half over every model, in order; a model that fails records its one-line error and the rest go on."""
    for half, status in zip(halves, ("half (a) done", "half (b) done"), strict=True):
        for entry in entries:
            if "error" in report.model(entry.key):
                continue
            try:
                half(entry, args, report)
            except Exception as err:  # noqa: BLE001 -- a diagnostic run: record one model's failure, go on
                traceback.print_exc()  # into the log: on the lent machine it is the only place to learn the cause
                report.model(entry.key)["error"] = f"{half.__name__}: {one_line(err, with_type=True)}"
                report.save()
            release()
        report.save(status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=[m.key for m in MODELS], choices=[m.key for m in MODELS])
    parser.add_argument("--layers", type=int, default=None, help="depth (default: one layer pattern)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "gpu_check.json")
    args = parser.parse_args(argv)
    report = Report(args.out)
    report.data["meta"] = {"hardware": hardware(), "versions": package_versions(), "installed": installed(),
                           "check_tokens": CHECK_TOKENS, "new_tokens": args.new_tokens, "repeats": args.repeats,
                           "tolerances": {"logits_vs_effect": LOGITS_VS_EFFECT, "grad_rel": GRAD_REL}}
    entries = []
    for entry in (m for m in MODELS if m.key in args.models):
        reason = unsupported(entry)
        if reason:
            report.model(entry.key)["skipped"] = reason
        else:  # which functions transformers bound to a kernel is known at import, before any GPU work
            report.model(entry.key)["kernels"] = kernels_selected(entry.arch)
            entries.append(entry)
    try:
        preflight()
    except GpuCheckError as err:
        report.save("no CUDA")
        print(f"gpu-check: {err}", file=sys.stderr)
        return 2
    report.save("running")
    run_halves(entries, args, report)
    report.data["passed"] = passed(report.data)
    report.save("done")
    print(format_report(report.data))
    print(f"wrote {args.out} in {report.data['elapsed_s']} s")
    return 0 if report.data["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
