"""One S0 training step (a full pass over the training examples) as the loop runs it now, against the plain reference.

    python -m benchmarks.train_step                          # tiny GatedDeltaNet, 55 minicode examples, micro-batch 16
    python -m benchmarks.train_step --model minicode_mamba2 --rounds 5
    python -m benchmarks.train_step --sizes 16 8 4 2       # the loop's path at several micro-batch sizes

Arms: ``reference`` (micro-batches in the given order, logits at every position, masked afterwards), ``sorted``
(micro-batches of similar length, :func:`s0repro.train.loop.micro_batches`) and ``fast`` (sorted, and the LM head
only at positions that predict a completion token: the loop's path). The examples are the task's training problems
with their reference solutions, rendered as the verified set renders them. Clock: this process's CPU time on one
torch thread (wall time on a shared box measures the neighbours); each round times every arm once, the order rotating,
and the ratio is the median over rounds of reference seconds / arm seconds, quartiles beside it.

``--sizes A B ...`` times the loop's path (``fast``) at each micro-batch size instead, the order rotating each
round, as ratios to the first size: the gradient is the same at every size, only the speed differs (on a 2-core CPU
smaller forwards stay in cache; with two workers the cores also share it, so run two copies at once to see that).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.common import load, method_config, summary
from s0repro.data import load_task, render_prompt
from s0repro.methods import build_method
from s0repro.train import TrainExample, completion_loss
from s0repro.train.loop import _collate, _encode, micro_batches

ARMS = {"reference": (False, True), "sorted": (True, True), "fast": (True, False)}  # (sort, all logits)


def step_seconds(method, encoded, pad_id: int, size: int, *, sort: bool, all_logits: bool) -> float:
    """CPU seconds of one full-pass step's forward and backward (the optimiser's update is the same for all arms)."""
    order = list(range(len(encoded)))
    groups = micro_batches(order, [len(ids) for ids, _ in encoded], size) if sort else \
        [order[at : at + size] for at in range(0, len(order), size)]
    for p in method.trainable_parameters():
        p.grad = None
    start = time.process_time()
    for group in groups:
        batch = _collate([encoded[i] for i in group], pad_id, torch.device("cpu"))
        (completion_loss(method, *batch, all_logits=all_logits).sum() / len(order)).backward()
    return time.process_time() - start


def compare_sizes(method, encoded, pad_id: int, sizes: list[int], rounds: int) -> None:
    """The loop's path at each micro-batch size, rotating; ratio = first size's seconds / this size's, per round."""
    for size in sizes:  # warm-up
        step_seconds(method, encoded, pad_id, size, sort=True, all_logits=False)
    seconds: dict[int, list[float]] = {size: [] for size in sizes}
    for round_ in range(rounds):
        shift = round_ % len(sizes)
        for size in sizes[shift:] + sizes[:shift]:
            seconds[size].append(step_seconds(method, encoded, pad_id, size, sort=True, all_logits=False))
    for size in sizes:
        ratios = [a / b for a, b in zip(seconds[sizes[0]], seconds[size], strict=True)]
        s = summary(ratios, "median", "q")
        print(f"  micro-batch {size:3d} {statistics.median(seconds[size]):.3f} s/step (CPU, median of {rounds})  "
              f"speed-up vs {sizes[0]} x{s['median']:.2f} (quartiles {s['q_q1']:.2f}-{s['q_q3']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minicode_gdn")
    parser.add_argument("--task", default="minicode")
    parser.add_argument("--examples", type=int, default=55)
    parser.add_argument("--micro-batch", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", help="compare the loop's path at these micro-batch sizes")
    args = parser.parse_args()
    torch.set_num_threads(1)
    loaded = load(args.model, "cpu")
    task = load_task(args.task)
    tok = loaded.tokenizer
    examples = [TrainExample(render_prompt(tok, task, p), p.answer, p.task_id) for p in task.train[: args.examples]]
    encoded = [_encode(tok, ex) for ex in examples]
    lengths = [len(ids) for ids, _ in encoded]
    method = build_method("s0", method_config("s0"))
    method.attach(loaded.model)
    with torch.no_grad():  # a non-zero state, as after the first step
        for p in method.trainable_parameters():
            p.normal_(0, 0.02, generator=torch.Generator().manual_seed(0))
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    print(f"{args.model}: {len(encoded)} examples, {sum(lengths)} tokens "
          f"({sum(len(ids) - labels.count(-100) for ids, labels in encoded)} completion), micro-batch {args.micro_batch}")
    if args.sizes:
        compare_sizes(method, encoded, pad, args.sizes, args.rounds)
        return
    names = list(ARMS)
    for name in names:  # warm-up: allocator, first-call costs
        step_seconds(method, encoded, pad, args.micro_batch, sort=ARMS[name][0], all_logits=ARMS[name][1])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names[1:]}
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        times = {name: step_seconds(method, encoded, pad, args.micro_batch, sort=ARMS[name][0],
                                    all_logits=ARMS[name][1]) for name in names[shift:] + names[:shift]}
        for name, s in times.items():
            seconds[name].append(s)
        for name in names[1:]:
            ratios[name].append(times["reference"] / times[name])
    for name in names:
        line = f"  {name:10s} {statistics.median(seconds[name]):.3f} s/step (CPU, median of {args.rounds})"
        if name in ratios:
            s = summary(ratios[name], "median", "q")
            line += f"  speed-up x{s['median']:.2f} (quartiles {s['q_q1']:.2f}-{s['q_q3']:.2f})"
        print(line)


if __name__ == "__main__":
    main()
