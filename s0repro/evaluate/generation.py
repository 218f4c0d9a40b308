"""Batched generation with a fixed, recorded batch size and padding side, resumable through a JSONL cache.

Greedy results can change with batch size and padding side (a common complaint about evaluation harnesses), so both
are fields of :class:`GenerationConfig` and land in every result. Left padding is safe for S0 because the method
installs padding-neutral decay (:mod:`s0repro.models.padding`); a test checks batched == one-at-a-time.
``pads="decay"`` switches that off for the generation: pad positions then decay the injected state, as in the authors'
batched transfer evaluation (GSM8K 8, MATH-500 16, Spider 8 prompts a batch), whose S0 reached each row weakened by
as many decay steps as the row had pads. Their reported transfer numbers include that weakening.

Generation stops at the tokenizer's EOS and at ``<|im_end|>`` (the chat end-of-turn), or after ``max_new_tokens``.
The raw completion is the decoded text up to (not including) the stop token, special tokens kept, so nothing the
model wrote is lost before sanitising. With ``cache_path``, every finished batch is appended to a JSONL file whose
header names the configuration; a rerun skips finished batches, so an interrupted run continues where it stopped and
(because batches and sampling seeds are fixed by position) ends exactly as an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from s0repro.errors import UserError

STOP_TOKENS = ("<|im_end|>",)
PAD_MODES = ("neutral", "decay")  # what a left pad does to an injected state (s0repro.models.padding)


@dataclass
class GenerationConfig:
    batch_size: int = 8  # prompts per generate() call; recorded, since greedy outputs can depend on it
    max_new_tokens: int = 512  # the paper's budget
    padding_side: str = "left"  # decoder-only generation pads on the left
    do_sample: bool = False  # greedy for pass@1; sampling for the verified training set
    temperature: float = 0.7  # paper's sampling temperature (used only when do_sample)
    top_p: float = 0.95  # paper's nucleus (used only when do_sample); the checkpoint's other settings (top_k...) stay
    num_samples: int = 1  # completions per prompt
    pads: str = "neutral"  # neutral: pads leave the state untouched (ours) | decay: pads decay S0 (the authors')

    def __post_init__(self) -> None:
        if self.padding_side not in ("left", "right"):
            raise UserError(f"generation.padding_side={self.padding_side!r} must be 'left' or 'right'")
        if self.pads not in PAD_MODES:
            raise UserError(f"generation.pads={self.pads!r} must be one of {PAD_MODES}")
        if self.batch_size <= 0 or self.max_new_tokens <= 0 or self.num_samples <= 0:
            raise UserError("generation: batch_size, max_new_tokens and num_samples must be positive")


# What decides which token is sampled: the keys of a model's generation config reported in a result.
SAMPLING_KEYS = ("do_sample", "temperature", "top_p", "top_k", "min_p", "typical_p", "repetition_penalty",
                 "no_repeat_ngram_size", "max_new_tokens")


def sampling_arguments(cfg: GenerationConfig) -> dict[str, Any]:
    """What :func:`generate` passes to ``model.generate``: only what the authors set (temperature, top_p, the token
    budget); everything else comes from the checkpoint's generation config, as in their sampling helper."""
    if not cfg.do_sample:
        return {"do_sample": False, "max_new_tokens": cfg.max_new_tokens}
    return {"do_sample": True, "temperature": cfg.temperature, "top_p": cfg.top_p, "max_new_tokens": cfg.max_new_tokens}


def effective_sampling(model, cfg: GenerationConfig) -> dict[str, Any]:
    """The sampling parameters in force: the model's generation config merged with what :func:`generate` passes.
    A field the checkpoint leaves unset (None) takes transformers' global default, as ``generate`` does (top_k 50)."""
    config = getattr(model, "generation_config", None)
    own = config.to_dict() if config is not None else {}
    defaults = config._get_default_generation_params() if hasattr(config, "_get_default_generation_params") else {}
    merged = {key: own.get(key) if own.get(key) is not None else defaults.get(key) for key in SAMPLING_KEYS}
    merged |= sampling_arguments(cfg)
    return {key: merged[key] for key in SAMPLING_KEYS}


def stop_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    ids = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    vocab = tokenizer.get_vocab()
    ids += [vocab[t] for t in STOP_TOKENS if t in vocab and vocab[t] not in ids]
    return ids


def tensor_fingerprint(tensors: list[torch.Tensor], sample: int = 4096) -> str:
    """A cheap digest of tensors: shapes plus their first ``sample`` values (enough to tell models/states apart)."""
    digest = hashlib.sha256()
    for t in tensors:
        flat = t.detach().reshape(-1)[:sample].float().cpu()
        digest.update(str(tuple(t.shape)).encode())
        digest.update(flat.numpy().tobytes())
    return digest.hexdigest()[:16]


def model_fingerprint(model: torch.nn.Module) -> str:
    return tensor_fingerprint([p for _, p in sorted(model.named_parameters(), key=lambda kv: kv[0])])


def _header(model, prompts: list[str], cfg: GenerationConfig, method, seed: int) -> dict[str, Any]:
    prompts_hash = hashlib.sha256("\x00".join(prompts).encode()).hexdigest()[:16]
    method_id = None
    if method is not None:
        method_id = {"name": method.name, "params": tensor_fingerprint(list(method.trainable_parameters()))}
    return {"kind": "header", "config": asdict(cfg), "seed": seed, "prompts_sha256": prompts_hash,
            "n_prompts": len(prompts), "model": getattr(model.config, "_name_or_path", "") or model.config.model_type,
            "model_fingerprint": model_fingerprint(model), "method": method_id}


class _Cache:
    """Finished rows of a generation, appended batch by batch to a JSONL file."""

    def __init__(self, path: Path | None, header: dict[str, Any]) -> None:
        self.path, self.rows = path, {}
        if path is None:
            return
        if path.is_file() and path.stat().st_size:
            lines = path.read_text().splitlines()
            try:
                first = json.loads(lines[0])
            except ValueError:
                first = None
            if first != header:
                raise UserError(f"generation cache {path} was written for another model, method, config or prompt "
                                "set; delete it or choose another cache_path")
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except ValueError:  # a line cut short by an interruption
                    continue
                self.rows[(rec["index"], rec["sample"])] = rec["raw"]
            if not path.read_bytes().endswith(b"\n"):
                with open(path, "a") as f:
                    f.write("\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(header) + "\n")

    def add(self, batch: list[tuple[int, int]], texts: list[str], prompts: list[str]) -> None:
        for key, text in zip(batch, texts, strict=True):
            self.rows[key] = text
        if self.path is not None:
            lines = [json.dumps({"index": i, "sample": j, "prompt_sha256": hashlib.sha256(prompts[i].encode())
                                 .hexdigest()[:16], "raw": t}) for (i, j), t in zip(batch, texts, strict=True)]
            with open(self.path, "a") as f:
                f.write("\n".join(lines) + "\n")


def _decode(tokenizer: PreTrainedTokenizerBase, ids: list[int], stops: set[int]) -> str:
    cut = next((k for k, t in enumerate(ids) if t in stops), len(ids))
    return tokenizer.decode(ids[:cut], skip_special_tokens=False)


@torch.no_grad()
def generate(model, tokenizer: PreTrainedTokenizerBase, prompts: list[str], cfg: GenerationConfig, *, method=None,
             seed: int = 0, cache_path: str | Path | None = None, progress: bool = True,
             desc: str = "generate") -> list[list[str]]:
    """Raw completions, ``cfg.num_samples`` per prompt. Prompts are fully rendered (chat template applied).

    ``desc`` labels the progress bar: a run generates in several phases (baseline eval, sampling the training set,
    the tuned model's eval), and one unnamed ``generate`` bar after another does not say which is running."""
    rows = [(i, j) for i in range(len(prompts)) for j in range(cfg.num_samples)]
    batches = [rows[k : k + cfg.batch_size] for k in range(0, len(rows), cfg.batch_size)]
    cache = _Cache(Path(cache_path) if cache_path else None, _header(model, prompts, cfg, method, seed))
    stops = stop_token_ids(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    device = next(model.parameters()).device
    old_side = tokenizer.padding_side
    tokenizer.padding_side = cfg.padding_side
    sampling = sampling_arguments(cfg)
    hooks = getattr(method, "padding_hooks", None)
    decaying = hooks.pads_decay() if cfg.pads == "decay" and hooks is not None else nullcontext()
    try:
        with decaying:
            for b, batch in enumerate(tqdm(batches, desc=desc, disable=not progress, leave=False)):
                if all(key in cache.rows for key in batch):
                    continue
                enc = tokenizer([prompts[i] for i, _ in batch], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(device)
                if cfg.do_sample:
                    torch.manual_seed(seed * 1_000_003 + b)  # fixed by batch position: a resumed run samples the same
                extra = method.model_kwargs(len(batch)) if method is not None else {}
                out = model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                     eos_token_id=stops, pad_token_id=pad_id, **sampling, **extra)
                new = out[:, enc["input_ids"].shape[1] :].tolist()
                cache.add(batch, [_decode(tokenizer, ids, set(stops)) for ids in new], prompts)
    finally:
        tokenizer.padding_side = old_side
    return [[cache.rows[(i, j)] for j in range(cfg.num_samples)] for i in range(len(prompts))]
