"""eval=paper (one prompt at a time, the authors' HumanEval setting) against eval=fast (batched, left padding):
do the greedy completions agree, and how much faster is batching?

    python -m benchmarks.eval_parity                                  # tiny GatedDeltaNet on minicode, CPU
    python -m benchmarks.eval_parity --model qwen3_5_4b --task humaneval --device cuda --batch 8 --problems 84

Each model is measured as the base model and with an S0 state attached (random, ``--state-scale``, or the artefact
given by ``--artefact``), because S0's agreement under padding is the one that can break (pad positions must not
decay the state). Greedy decoding, the same prompts, the eval settings' token budget; clock: CPU time of this
process on CPU (``time.process_time``, one thread), synchronised wall time on CUDA. The two orders alternate over
``--repeats`` so drift hits both. Writes ``results/bench/eval_parity.json`` and prints agreement and speed-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from s0repro.data import load_task, render_prompt
from s0repro.evaluate.generation import GenerationConfig, generate
from s0repro.methods import build_method
from s0repro.models import ModelConfig, load_model
from s0repro.paths import REPO_ROOT


def _timed(model, tokenizer, prompts: list[str], cfg: GenerationConfig, method) -> tuple[list[str], float]:
    cuda = next(model.parameters()).is_cuda
    clock = time.perf_counter if cuda else time.process_time
    if cuda:
        torch.cuda.synchronize()
    start = clock()
    out = generate(model, tokenizer, prompts, cfg, method=method, progress=False)
    if cuda:
        torch.cuda.synchronize()
    return [o[0] for o in out], clock() - start


def compare(model, tokenizer, prompts: list[str], batch: int, max_new_tokens: int, method, repeats: int) -> dict[str, Any]:
    """Agreement of batch-``batch`` with batch-1 greedy completions, and the speed-up (median over repeats)."""
    one = GenerationConfig(batch_size=1, max_new_tokens=max_new_tokens)
    many = GenerationConfig(batch_size=batch, max_new_tokens=max_new_tokens)
    seconds: dict[int, list[float]] = {1: [], batch: []}
    texts: dict[int, list[str]] = {}
    for r in range(repeats):
        for cfg in ((one, many) if r % 2 == 0 else (many, one)):
            texts[cfg.batch_size], s = _timed(model, tokenizer, prompts, cfg, method)
            seconds[cfg.batch_size].append(s)
    same = [a == b for a, b in zip(texts[1], texts[batch], strict=True)]
    return {"problems": len(prompts), "identical": sum(same), "agreement": sum(same) / len(same),
            "differing_indices": [i for i, s in enumerate(same) if not s],
            "seconds_batch_1": statistics.median(seconds[1]), f"seconds_batch_{batch}": statistics.median(seconds[batch]),
            "speedup": statistics.median(seconds[1]) / statistics.median(seconds[batch])}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minicode_gdn", help="conf/model/<name>.yaml")
    parser.add_argument("--task", default="minicode")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--problems", type=int, default=24, help="first N eval problems")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--state-scale", type=float, default=1.0, help="random S0 state of this scale (alpha 1)")
    parser.add_argument("--artefact", type=Path, default=None, help="a saved S0 artefact instead of a random state")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "bench")
    args = parser.parse_args(argv)
    if args.device == "cpu":
        torch.set_num_threads(1)
    loaded = load_model(ModelConfig.from_yaml(REPO_ROOT / "conf" / "model" / f"{args.model}.yaml", device=args.device))
    task = load_task(args.task)
    prompts = [render_prompt(loaded.tokenizer, task, p) for p in task.eval[: args.problems]]
    results = {"base": compare(loaded.model, loaded.tokenizer, prompts, args.batch, args.max_new_tokens, None,
                               args.repeats)}
    method = build_method("s0", json.loads((args.artefact / "s0_config.json").read_text())["config"]
                          if args.artefact else {"alpha": 1.0})
    method.attach(loaded.model)
    if args.artefact:
        method.load(args.artefact)
    else:
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for p in method.trainable_parameters():
                p.copy_((args.state_scale * torch.randn(p.shape, generator=gen)).to(p))
    results["s0"] = compare(loaded.model, loaded.tokenizer, prompts, args.batch, args.max_new_tokens, method,
                            args.repeats)
    method.detach()
    payload = {"model": args.model, "task": args.task, "device": args.device, "batch": args.batch,
               "max_new_tokens": args.max_new_tokens, "repeats": args.repeats, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval_parity.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    for arm, r in results.items():
        print(f"{args.model} {arm:<5} batch {args.batch} vs 1: {r['identical']}/{r['problems']} identical, "
              f"speed-up {r['speedup']:.2f}x")
    return payload


if __name__ == "__main__":
    main()
