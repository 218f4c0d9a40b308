"""``python -m s0repro.tools.kl_profile [--results results] [--problems N]``: S0's KL profile across the prompt,
measured once and written beside the result it comes from, so the mechanistic table only reads numbers.

For each (experiment, task), the first S0 seed (label ``s0``) that kept its artefact: the model is loaded, the
artefact attached, and KL(tuned || base) of the next-token distribution is taken at every prompt position of the
first ``N`` eval problems (all by default), as a ratio to the first position (:mod:`.influence`). Two forwards per
prompt, no generation. Writes ``<cell>/kl_profile.json``: the seed, the problems and one ratio list per problem
(problems whose state changed nothing at the first position are left out).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from s0repro.data import load_task, render_prompt
from s0repro.errors import UserError
from s0repro.methods import build_method
from s0repro.models import ModelConfig, load_model
from s0repro.results import CorruptResultError, iter_results, result_dir
from s0repro.results.schema import KL_PROFILE_FILE
from s0repro.results.store import atomic_write_json
from s0repro.tools.influence import kl_ratio, prompt_kl


def measure(root: Path, result: Mapping[str, Any], n_problems: int | None) -> dict[str, Any]:
    """The KL ratios of one S0 result's artefact on its task's eval problems."""
    folder = result_dir(root, result["exp"], result["task"], result["method"], result["seed"]) / result["artefact"]
    config = result["run"]["config"]
    loaded = load_model(ModelConfig(**config["model"]))
    task = load_task(config["task"]["name"], **(config["task"].get("args") or {}))
    method = build_method("s0", json.loads((folder / "s0_config.json").read_text())["config"])
    method.attach(loaded.model)
    method.load(folder)
    task_ids, ratios = [], []
    try:
        for problem in task.eval[:n_problems]:
            text = render_prompt(loaded.tokenizer, task, problem)
            ratio = kl_ratio(prompt_kl(loaded.model, loaded.tokenizer, method, text))
            if ratio is not None:
                task_ids.append(problem.task_id)
                ratios.append(ratio.tolist())
    finally:
        method.detach()
    return {"seed": result["seed"], "task_ids": task_ids, "ratios": ratios}


def s0_with_artefact(results: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Per (experiment, task), the S0 result of the lowest seed that kept its artefact."""
    chosen: dict[tuple[str, str], Mapping[str, Any]] = {}
    for result in sorted(results, key=lambda r: (r["exp"], r["task"], r["seed"])):
        if result["method"] == "s0" and result.get("artefact"):
            chosen.setdefault((result["exp"], result["task"]), result)
    return list(chosen.values())


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(prog="python -m s0repro.tools.kl_profile", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--problems", type=int, default=None, help="the first N eval problems (default: all)")
    args = parser.parse_args(argv)
    try:
        results = iter_results(args.results)
    except CorruptResultError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    written = []
    for result in s0_with_artefact(results):
        path = result_dir(args.results, result["exp"], result["task"], result["method"], result["seed"])
        atomic_write_json(path / KL_PROFILE_FILE, measure(args.results, result, args.problems))
        written.append(path / KL_PROFILE_FILE)
    if not written:
        raise UserError(f"no S0 result with a saved artefact under {args.results}")
    print(*written, sep="\n")
    return written


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
