"""Build the tiny pre-trained checkpoints of the CPU-sized reproduction: a tool, not a pipeline stage.

Run: ``python -m s0repro.tools.tiny_models --model conf/model/minicode_gdn.yaml --out assets/tiny/minicode_gdn``
(``make tiny-models`` builds all three). No pipeline stage imports this module; it uses the stages (data, models,
and evaluate for the final base score) like any user would. The architecture comes from the model YAML's ``arch`` and
``dims``; the weights start from :func:`s0repro.models.tiny.build_tiny_model` (mamba-ssm / fla decay init), with
``--pinned-heads`` slow-decay heads per recurrent layer (:func:`s0repro.models.tiny.pin_slow_decay`: why, there);
the tokenizer is the project's char tokenizer.

The corpus is the exact evaluation format: the chat template with thinking disabled, the task's own user message
around a minicode prompt, and the completion as the assistant's turn, ended by ``<|im_end|>``. Its problems come from
the corpus keys of :mod:`s0repro.data.minicode` (never a benchmark key). With a per-family probability the target is
the family's plausible wrong body: half the families ("habit" families) are mostly taught wrong, so the base model
is imperfect for a reason that sampling plus execution-based verification can see and fix; and with ``form_rate``
the completion comes in the function name's habitual answer form (whole function fenced or bare, body bare or
fenced, prose around a fenced function; otherwise a form drawn at random), as chat models answer.

Every build starts from a fresh seeded init (no earlier checkpoint). It writes the model in its real repository's
layout (:func:`s0repro.models.tiny.hub_layout`), ``generation_config.json`` (stops at ``<|im_end|>``), the tokenizer
files and ``build_record.json`` (script, seed, steps, losses, wall and CPU minutes with the load average, versions,
the state-survival diagnostic, and the base greedy pass@1 on the 84 held-out problems under the authors' and the
lenient clean-up, with the form mix of those outputs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

from s0repro.data import render_prompt
from s0repro.data.minicode import FAMILIES, Family, corpus_stream, load_minicode
from s0repro.errors import UserError
from s0repro.models.architectures import build_config
from s0repro.models.config import ModelConfig
from s0repro.models.tiny import build_tiny_model, hub_layout, pin_slow_decay
from s0repro.models.tokenizer import IM_END, build_char_tokenizer
from s0repro.provenance import hardware, package_versions

RECORD_FILE = "build_record.json"
# Families the corpus mostly teaches wrong (the wrong body is the majority target): every other one in FAMILIES.
HABIT_FAMILIES = tuple(f.name for f in FAMILIES[1::2])


@dataclass
class PretrainConfig:
    steps: int = 1000  # optimiser steps; copying constants from the docstring appears between 500 and 1000
    batch: int = 16  # sequences per step
    lr: float = 3e-3  # AdamW peak; linear warm-up, cosine to 10 %
    warmup: int = 20
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    prompt_weight: float = 0.1  # loss weight of prompt tokens (the body's weigh 1); 0.5 measured worse
    wrong_rate_habit: float = 0.6  # share of wrong bodies in the corpus for HABIT_FAMILIES
    wrong_rate_other: float = 0.2  # ... and for every other family
    form_rate: float = 0.7  # share of completions in the function name's habitual output form (else a random form)
    pinned_heads: int = 0  # slow-decay heads per recurrent layer whose decay is not trained (models.tiny)
    previous_token_heads: int = 0  # attention layers (from the first) whose head 0 starts as a previous-token head
    split_seed: int = 0  # minicode split whose benchmark keys are held out of the corpus
    seed: int = 0  # weight init and corpus order
    threads: int = 1  # one thread: on a busy shared CPU, 2 OpenMP threads spin-wait and run up to 10x slower

    def wrong_rate(self, family: Family) -> float:
        return self.wrong_rate_habit if family.name in HABIT_FAMILIES else self.wrong_rate_other


def _batch(tokenizer: PreTrainedTokenizerBase, pairs: list[tuple[str, str]], prompt_weight: float):
    rows, weights = [], []
    for prompt, completion in pairs:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c = tokenizer(completion + IM_END, add_special_tokens=False)["input_ids"]
        rows.append(p + c)
        weights.append([prompt_weight] * len(p) + [1.0] * len(c))
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    w = torch.zeros((len(rows), width))
    for i, (r, wt) in enumerate(zip(rows, weights, strict=True)):  # right padding: causal, so pads affect nothing
        ids[i, : len(r)] = torch.tensor(r)
        w[i, : len(wt)] = torch.tensor(wt)
    return ids, w


def weighted_lm_loss(model: PreTrainedModel, ids: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    logits = model(input_ids=ids).logits[:, :-1].float()
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                                            reduction="none")
    w = weights[:, 1:].reshape(-1)
    return (nll * w).sum() / w.sum()


# Why the issue-7 builds forgot, measured on them (first held-out prompt, 283 tokens); written into each record that
# pins heads, beside the pinning it motivated.
FORGETTING_CAUSE = (
    "Measured on the issue-7 checkpoints against their own init: (1) the init (mamba-ssm / fla ranges, A ~ U(1,16) "
    "resp. U(0,16), dt log-uniform 1e-3..1e-1; transformers' own init, dt_bias = 1, is far faster) gives 4 random "
    "heads a layer whose summed A*dt over a prompt was 2.3-253 (GDN) and 2.8-66 (Mamba-2): with so few heads the draw "
    "rarely lands on the slow end, the best one kept e^-2.3 = 10 %. (2) Pre-training barely moved A_log and dt_bias "
    "(|change| < 0.8) but grew the input-dependent step: the per-token spread of the dt projection rose from ~0.2 to "
    "1.0-2.5 (Mamba-2) and 0.5-1.2 (GDN); dt = softplus(raw + dt_bias) ~ exp(raw + dt_bias) is convex, so those "
    "forgetting spikes multiplied the summed decay (Mamba-2 layer 0: 66 -> 707, 53 -> 607); the corpus (one problem "
    "per sequence) never rewards keeping anything across a prompt. Not weight-decaying A_log / dt_bias (mamba-ssm) "
    "removes a slow pull towards dt = 0.69 but not (2); the fix pins slow heads (A = 1, dt = 1e-3 * 2^i, no "
    "input-dependent step), as a large model's slow heads would be, see s0repro/models/tiny.py.")
NO_WEIGHT_DECAY = ("A_log", "dt_bias", "D")  # decay and skip parameters, as mamba-ssm / fla exclude them


def _param_groups(model: PreTrainedModel, weight_decay: float) -> list[dict]:
    """AdamW groups: decay parameters are not weight-decayed (decay would pull dt_bias towards 0, i.e. forgetting)."""
    named = list(model.named_parameters())
    plain = [p for n, p in named if n.rsplit(".", 1)[-1] not in NO_WEIGHT_DECAY]
    exempt = [p for n, p in named if n.rsplit(".", 1)[-1] in NO_WEIGHT_DECAY]
    return [{"params": plain, "weight_decay": weight_decay}, {"params": exempt, "weight_decay": 0.0}]


def _lr_factor(step: int, cfg: PretrainConfig) -> float:
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


# Why the pure Transformer could not copy from the prompt, measured on its issue-14 build; written into each record
# that seeds previous-token heads, beside the init it motivated.
COPYING_CAUSE = (
    "Measured on the 1000+1500-step Qwen2 build (loss 0.087): teacher-forced on the first 40 held-out problems it "
    "predicted 89 % of completion tokens but only 34 % of the digits, which must be copied from the docstring (the GDN "
    "hybrid: 93 % and 88 %); no head of any layer attended to the previous token (mean weight on it <= 0.08 in all "
    "8 heads). Copying a multi-character constant or name needs an induction circuit, a previous-token head feeding a "
    "content-matching head; the hybrids get the previous tokens for free from their short causal convolution (kernel "
    "4) and their delta-rule state is an associative memory, while the Transformer has to discover the previous-token "
    "head through RoPE, and on this corpus and budget it did not. The fix starts head 0 of the first attention "
    "layer(s) as a previous-token head (positional query/key biases on the faster half of the RoPE frequencies, as "
    "real pre-trained Transformers have such heads); everything, that head included, then trains freely.")
PREV_TOKEN_LOGIT = 8.0  # how much more the seeded head's score prefers the previous token over its neighbours


@torch.no_grad()
def init_previous_token_heads(model: PreTrainedModel, layers: int) -> None:
    """Make head 0 of the first ``layers`` attention layers attend to the previous token, by position alone.

    On the faster half of the RoPE frequency pairs the key is a constant ``a`` and head 0's query that constant rotated
    by minus one step, both through the projections' biases (their weights zeroed there), so after RoPE the score is
    ``a^2 * sum_j cos((d - 1) * theta_j) / sqrt(head_dim)`` at distance ``d``: largest at ``d = 1``. ``a`` is chosen so
    that ``d = 1`` beats ``d = 0`` and ``d = 2`` by ``PREV_TOKEN_LOGIT``. Head 0's slower pairs get a zero query (the
    head is purely positional); the shared key keeps its slower pairs for the other heads' content matching.
    """
    if layers <= 0:
        return
    inv_freq = model.model.rotary_emb.inv_freq.float()
    attentions = [layer.self_attn for layer in model.model.layers if hasattr(layer, "self_attn")]
    for attn in attentions[:layers]:
        dim = attn.head_dim
        half = dim // 2
        fast = torch.arange(half // 2)  # the faster half of the frequency pairs
        theta = inv_freq[fast]
        gap = (1 - torch.cos(theta)).sum().item()  # the d = 1 score minus the d = 0 (and d = 2) score, per a^2
        a = math.sqrt(PREV_TOKEN_LOGIT * math.sqrt(dim) / gap)
        pos_rows = torch.cat([fast, fast + half])  # a pair j is the dims (j, j + half)
        for kv in range(attn.k_proj.out_features // dim):  # every key head, since query heads share them
            attn.k_proj.weight[kv * dim + pos_rows] = 0.0
            attn.k_proj.bias[kv * dim + fast] = a
            attn.k_proj.bias[kv * dim + fast + half] = 0.0
        attn.q_proj.weight[:dim] = 0.0
        attn.q_proj.bias[:dim] = 0.0
        attn.q_proj.bias[fast] = a * torch.cos(theta)
        attn.q_proj.bias[fast + half] = -a * torch.sin(theta)


def load_model_yaml(path: str | Path) -> ModelConfig:
    """The model config to build: its ``arch`` and ``dims`` say what to train (a hub config's dims are the real size)."""
    cfg = ModelConfig.from_yaml(path)
    if not cfg.dims:
        raise UserError(f"{path}: no dims to build the model from")
    return cfg


def pretrain(model_cfg: ModelConfig, cfg: PretrainConfig, out: str | Path, *, log_every: int = 25) -> dict:
    """Build, train and save one tiny model; returns the build record (also written to ``out``)."""
    torch.set_num_threads(cfg.threads)
    # Decays of long prompts underflow into subnormal floats, which are ~20x slower on CPUs; zero is as good here.
    torch.set_flush_denormal(True)
    random.seed(cfg.seed)
    tokenizer = build_char_tokenizer()
    dims = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id, **dict(model_cfg.dims)}
    model = build_tiny_model(build_config(model_cfg.arch, dims), seed=cfg.seed)
    model.train()
    pin_slow_decay(model, cfg.pinned_heads)
    init_previous_token_heads(model, cfg.previous_token_heads)
    optimiser = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: _lr_factor(s, cfg))
    task = load_minicode(seed=cfg.split_seed)  # its instruction wraps the corpus problems as it wraps the benchmark's
    stream = corpus_stream(cfg.split_seed, cfg.seed, cfg.wrong_rate, cfg.form_rate)
    losses: list[float] = []
    start, cpu_start, load_start = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    for step in range(cfg.steps):
        pairs = []
        for _ in range(cfg.batch):
            problem, target = next(stream)
            pairs.append((render_prompt(tokenizer, task, problem), target))
        ids, weights = _batch(tokenizer, pairs, cfg.prompt_weight)
        loss = weighted_lm_loss(model, ids, weights)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == cfg.steps - 1):
            tail = sum(losses[-log_every:]) / len(losses[-log_every:])
            print(f"step {step:4d}  loss {tail:.4f}  {time.perf_counter() - start:6.0f}s", flush=True)
    timing = {"minutes": round((time.perf_counter() - start) / 60, 2),
              "cpu_minutes": round((time.process_time() - cpu_start) / 60, 2),
              "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count()}
    model.eval()
    return save_checkpoint(hub_layout(model, cfg.seed), tokenizer, model_cfg, cfg, out, losses=losses,
                           timing=timing)


def save_checkpoint(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, model_cfg: ModelConfig,
                    cfg: PretrainConfig, out: str | Path, *, losses: list[float], timing: dict[str, Any]) -> dict:
    """Write the model in its real repository's layout (:func:`s0repro.models.tiny.hub_layout`), the tokenizer and
    the build record. ``timing``: training wall and CPU minutes, the load average before and after, the cores."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stop = [tokenizer.convert_tokens_to_ids(IM_END), tokenizer.eos_token_id]
    model.generation_config = GenerationConfig(eos_token_id=stop, pad_token_id=tokenizer.pad_token_id,
                                               bos_token_id=None, do_sample=False)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    tail = losses[-25:]
    record: dict[str, Any] = {
        "name": model_cfg.name,
        "arch": model_cfg.arch,
        "script": f"python -m s0repro.tools.tiny_models --model conf/model/{model_cfg.name}.yaml --out {out} "
                  f"--steps {cfg.steps} --pinned-heads {cfg.pinned_heads} --form-rate {cfg.form_rate}"
                  + (f" --previous-token-heads {cfg.previous_token_heads}" if cfg.previous_token_heads else ""),
        "pretrain": asdict(cfg),
        "habit_families": list(HABIT_FAMILIES),
        "stored_as": type(model).__name__,
        "params": sum(p.numel() for n, p in model.named_parameters() if ".visual." not in f".{n}"),
        "steps": cfg.steps,
        "final_loss": round(sum(tail) / len(tail), 4),  # mean of the last 25 steps
        "loss_curve": [round(x, 4) for x in losses[:: max(1, len(losses) // 40)]],
        **timing,
        "base_pass_at_1": None,
        **({"forgetting_cause": FORGETTING_CAUSE} if cfg.pinned_heads else {}),
        **({"copying_cause": COPYING_CAUSE} if cfg.previous_token_heads else {}),
        "versions": package_versions(),
        "hardware": hardware(),
    }
    write_record(out, record)
    return record


def write_record(out: str | Path, record: dict) -> None:
    (Path(out) / RECORD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_record(checkpoint: str | Path) -> dict:
    path = Path(checkpoint) / RECORD_FILE
    if not path.is_file():
        raise UserError(f"{path} not found; build the checkpoint with `make tiny-models`")
    return json.loads(path.read_text())


def hub_config(checkpoint: str | Path, model_yaml: str | Path) -> ModelConfig:
    """The model config that loads ``checkpoint`` as the pipeline does: the hub path, from a local snapshot."""
    cfg = load_model_yaml(model_yaml)
    return ModelConfig(**{**cfg.__dict__, "source": "hub", "hub_id": str(checkpoint), "device": "cpu"})


def measure_base_score(checkpoint: str | Path, model_yaml: str | Path, *, batch_size: int = 8,
                       max_new_tokens: int = 512):
    """Greedy pass@1 of the checkpoint on the 84 held-out minicode problems, scored by the evaluation stage (sandbox
    as for HumanEval) under the authors' clean-up, with the lenient one beside it. Returns its ``EvalResult``.

    Imported lazily: this is the build script's final report, not part of training.
    """
    from s0repro.evaluate.generation import GenerationConfig as EvalGenConfig
    from s0repro.evaluate.sandbox import SandboxConfig
    from s0repro.evaluate.scoring import evaluate_model
    from s0repro.models.loading import load_model

    loaded = load_model(hub_config(checkpoint, model_yaml))
    task = load_minicode(seed=0)
    gen = EvalGenConfig(batch_size=batch_size, max_new_tokens=max_new_tokens, do_sample=False)
    return evaluate_model(loaded.model, loaded.tokenizer, task, task.eval, gen, SandboxConfig(), progress=False,
                          cleanup="authors", also=("lenient",))


def record_base_score(checkpoint: str | Path, model_yaml: str | Path, *, tolerance: int = 4) -> dict:
    """Measure base greedy pass@1 under both clean-ups and write it into the build record, with the range a
    re-measurement must hit (+- ``tolerance`` problems: greedy ties can flip with thread count, batch or BLAS), the
    form mix of the outputs and the score per family."""
    from s0repro.evaluate.forms import form_mix

    result = measure_base_score(checkpoint, model_yaml)
    n = len(result.correct)
    record = read_record(checkpoint)
    scores = {mode: round(view["score"], 4) for mode, view in result.by_cleanup.items()}
    record["base_pass_at_1"] = scores  # {"authors": .., "lenient": ..}
    record["base_pass_at_1_range"] = {mode: [round(max(0.0, s - tolerance / n), 4), round(min(1.0, s + tolerance / n), 4)]
                                      for mode, s in scores.items()}
    record["base_correct"] = {mode: int(sum(view["correct"])) for mode, view in result.by_cleanup.items()}
    record["base_failure_types"] = {k: v for k, v in result.failure_types.items() if v}
    record["base_form_mix"] = form_mix(r["raw"] for r in result.records)
    family = {p.task_id: p.meta["family"] for p in load_minicode(seed=0).eval}
    lenient = result.by_cleanup["lenient"]["correct"]
    by_family: dict[str, list[int]] = {}
    for task_id, ok in zip(result.task_ids, lenient, strict=True):
        by_family.setdefault(family[task_id], [0, 0])[0] += int(ok)
        by_family[family[task_id]][1] += 1
    record["base_by_family_lenient"] = {f"{k}{' (habit)' if k in HABIT_FAMILIES else ''}": f"{v[0]}/{v[1]}"
                                        for k, v in sorted(by_family.items())}
    record["base_eval"] = {"problems": n, "split": "minicode seed 0, eval (84)", **result.generation,
                           "seconds": round(result.seconds, 1), "by": "s0repro.evaluate.scoring.evaluate_model"}
    write_record(checkpoint, record)
    return record


def record_state_survival(checkpoint: str | Path, model_yaml: str | Path, prompts: int = 4) -> dict:
    """Run the state-survival diagnostic (:mod:`s0repro.models.memory`) on the checkpoint; store it in the record."""
    from s0repro.models.loading import load_model
    from s0repro.models.memory import minicode_prompts, state_survival

    loaded = load_model(hub_config(checkpoint, model_yaml))
    report = state_survival(loaded.model, loaded.tokenizer, minicode_prompts(loaded.tokenizer, n=prompts))
    record = read_record(checkpoint)
    record["state_survival"] = {**report.summary(), "prompts": prompts}
    write_record(checkpoint, record)
    print(report.table() if report.layers else "no recurrent layers: nothing to survive")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="tiny model YAML (conf/model/minicode_*.yaml)")
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    defaults = PretrainConfig()
    for name, value in asdict(defaults).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--no-eval", action="store_true", help="skip the base pass@1 measurement")
    parser.add_argument("--log-every", type=int, default=25)
    args = vars(parser.parse_args(argv))
    try:
        model_yaml = args.pop("model")
        model_cfg = load_model_yaml(model_yaml)
        out, no_eval, log_every = args.pop("out"), args.pop("no_eval"), args.pop("log_every")
        start = time.perf_counter()
        pretrain(model_cfg, PretrainConfig(**args), out, log_every=log_every)
        record_state_survival(out, model_yaml)
        if not no_eval:
            record = record_base_score(out, model_yaml)
            print("base pass@1: " + ", ".join(f"{mode} {100 * s:.1f} %" for mode, s in record["base_pass_at_1"].items())
                  + f"; forms {record['base_form_mix']}")
        record = read_record(out)
        record["build_minutes"] = round((time.perf_counter() - start) / 60, 2)  # training and the measurements
        write_record(out, record)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
