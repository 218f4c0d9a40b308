"""The eval=paper vs eval=fast benchmark runs and records agreement (timings are printed, never asserted)."""

from __future__ import annotations

import json
import sys

from s0repro.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))

from benchmarks import eval_parity  # noqa: E402


def test_batched_greedy_agrees_with_one_at_a_time(tmp_path):
    eval_parity.main(["--model", "tiny_gdn", "--problems", "5", "--batch", "2", "--max-new-tokens", "6",
                      "--repeats", "1", "--out", str(tmp_path)])
    payload = json.loads((tmp_path / "eval_parity.json").read_text())
    for arm in ("base", "s0"):
        r = payload["results"][arm]
        assert (r["problems"], r["identical"], r["differing_indices"]) == (5, 5, [])
        assert r["speedup"] > 0 and r["seconds_batch_2"] > 0
