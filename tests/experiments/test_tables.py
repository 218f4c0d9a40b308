"""Tables 2 and 3, transfer, prefix control and scaling rendered from a synthetic paper-like results tree."""

import numpy as np
import pytest
from scipy import stats as st

from experiments import prefix_control, scaling, table2, table3, transfer
from experiments.render import p_text


def _render(module, results, tmp_path):
    md, tex, png = module.main(["--results", str(results), "--out", str(tmp_path / "tables")])
    assert png.read_bytes()[:4] == b"\x89PNG" and "\\begin{tabular}" in tex.read_text()
    return md.read_text()


def test_table2_changes_and_negative_seeds(paper_like, tmp_path, md_row):
    text = _render(table2, paper_like, tmp_path)
    # r24: changes 9, 11, 14 of 84 -> mean 13.5 pp, sd 3.0 pp
    assert md_row(text, "LoRA r24") == ["LoRA r24", "4.7M", "+13.5 ± 3.0", "3", "0/3", "59.5", "+12.7 ± 5.1"]
    assert md_row(text, "LoRA r48")[5] == "4.8"  # the collapsed seed: 4 of 84
    assert md_row(text, "LoRA r64")[4] == "3/3"
    assert md_row(text, "S0")[2] == "+23.8 ± 1.2"
    vs = md_row(text, "S0 change (pp)")
    assert vs[1:4] == ["23.6", "23.8", "+0.2"] and vs[5] == "yes"


def test_table3_paired_test(paper_like, tmp_path, md_row):
    text = _render(table3, paper_like, tmp_path)
    assert md_row(text, "state offset")[1:4] == ["+27.8 ± 1.8", "3", "per step"]
    offset, s0 = np.array([64, 63, 66]) / 84, np.array([61, 60, 62]) / 84  # seed order 7, 42, 123
    row = md_row(text, "state offset - S0")
    assert row[1:4] == ["3", "+4.0", p_text(st.ttest_rel(offset, s0).pvalue)]  # differences 3, 3, 4 of 84
    vs = md_row(text, "state offset - S0 (pp)")
    assert vs[1:3] == ["3.6", "4.0"] and vs[4].startswith("[2.3, 5.7]") and vs[5] == "yes"


def test_transfer_rows_and_spider_alphas(paper_like, tmp_path, md_row):
    text = _render(transfer, paper_like, tmp_path)
    gsm = md_row(text, "GSM8K")
    want_p = st.ttest_1samp(np.array([72, 73, 73]) / 84, 70 / 84).pvalue  # base seeds equal: Welch -> one-sample
    assert gsm[1:6] == ["83.3 ± 0.0", "86.5 ± 0.7", "+3.2 ± 0.7", "3", p_text(want_p)]
    assert md_row(text, "MATH-500")[1:3] == ["not run", "not run"]
    assert md_row(text, "Spider (s0_a003)")[3] == "-1.2"
    assert md_row(text, "Spider (s0_a007)")[5] == "–"  # one seed each: no seed-level test
    assert md_row(text, "Spider (s0_a007): S0 vs baseline")[8] == "0/1"


def test_transfer_shows_ours_exact_beside_the_authors_batched_scores(results_dir, tmp_path, md_row):
    from tests.experiments.conftest import write_result

    for seed, (k, exact) in enumerate([(72, 75), (73, 77)]):
        write_result(results_dir, "transfer_gsm8k", "gsm8k", "none", seed, 70, exact=70)
        write_result(results_dir, "transfer_gsm8k", "gsm8k", "s0", seed, k, exact=exact)
    text = _render(transfer, results_dir, tmp_path)
    row = md_row(text, "GSM8K")
    assert row[6:8] == ["83.3 ± 0.0", f"{100 * 76 / 84:.1f} ± {100 * np.std([75, 77], ddof=1) / 84:.1f}"]
    assert md_row(text, "Spider")[6:8] == ["–", "–"]  # not run: no exact scores either
    assert "pads decay S0" in text


def test_prefix_control_counts_runs_below_base(paper_like, tmp_path, md_row):
    text = _render(prefix_control, paper_like, tmp_path)
    assert md_row(text, "baseline")[2] == "47.6 ± 0.0"
    assert md_row(text, "prefix_lr1e-3")[3:6] == ["-13.5 ± 4.8", "3", "3/3"]  # changes -12, -15, -7 of 84
    assert "All runs: 6 of 6 below base" in text
    pooled = np.array([35 - 40, 36 - 40, 30 - 40, 28 - 40, 25 - 40, 33 - 40]).mean() / 84 * 100
    assert md_row(text, "prefix tuning change, mean over configurations (pp)")[2] == f"{pooled:.1f}"


def test_scaling_sizes_and_trend(paper_like, tmp_path, md_row):
    text = _render(scaling, paper_like, tmp_path)
    assert md_row(text, "0.8B")[1:4] == ["14.3 ± 0.0", "16.7 ± 1.2", "+2.4 ± 1.2"]
    assert md_row(text, "4B")[3] == "+23.8 ± 1.2"  # taken from experiment qwen3_5
    assert md_row(text, "9B")[3] == "+44.0 ± 1.2"
    assert "Gain grows with size (regression of per-seed gain on log10 parameters, alpha 0.05): yes: slope +" in text


def test_scaling_trend_is_the_slope_test_not_an_ordering(results_dir, write, tmp_path):
    """Means that rise with size but gains that scatter across seeds: the note says the trend is not shown."""
    for size, base, gains in (("0.8B", 12, (0, 9, 3)), ("2B", 14, (1, 10, 4)), ("9B", 27, (2, 11, 5))):
        exp = "scaling_qwen3_5_" + size.lower().replace(".", "_")
        for s, g in enumerate(gains):
            write(results_dir, exp, "humaneval", "none", s, base, hub_id=f"Qwen/Qwen3.5-{size}")
            write(results_dir, exp, "humaneval", "s0", s, base + g, hub_id=f"Qwen/Qwen3.5-{size}")
    text = _render(scaling, results_dir, tmp_path)
    assert "alpha 0.05): not shown: slope +" in text and "9 seed gains" in text


@pytest.mark.parametrize("model_id,size", [("Qwen/Qwen3.5-0.8B", "0.8B"), ("qwen3_5_0_8b", "0.8B"),
                                           ("qwen3_5_2b", "2B"), ("scaling_qwen3_5_9b", "9B"), ("tiny_gdn", None)])
def test_model_size(model_id, size):
    assert scaling.model_size(model_id) == size


def test_tiny_tables_name_what_ran_and_leave_out_paper_vs_ours(results_dir, tmp_path, md_row):
    """Issue 22 item 6: an r = 4 tiny LoRA is 'LoRA r4' on the tiny model and task the results name, not 'LoRA r24
    under matched budget on Qwen3.5-4B'; no paper-vs-ours table, no 'paper in our CI' at tiny scale."""
    import json

    from experiments import claims
    from tests.experiments.conftest import write_result

    for s in (0, 1):
        for exp in ("tiny_lora_budget", "tiny_qwen3_5"):
            write_result(results_dir, exp, "minicode", "none", s, 8, n=20, model_name="minicode_gdn")
        write_result(results_dir, "tiny_qwen3_5", "minicode", "s0", s, 12 + s, n=20, model_name="minicode_gdn")
        path = write_result(results_dir, "tiny_lora_budget", "minicode", "lora_r24", s, 9, n=20,
                            model_name="minicode_gdn")
        r = json.loads(path.read_text())
        r["method_info"]["config"] = {"r": 4}
        path.write_text(json.dumps(r))
    text = _render(table2, results_dir, tmp_path).replace("\\_", "_")
    assert "Table 2: LoRA ranks vs S0 on minicode_gdn on minicode (CPU-sized, not the paper's models)" in text
    assert md_row(text, "LoRA r4")[3] == "2" and "LoRA r24" not in text and "Qwen3.5-4B" not in text
    assert "paper vs ours" not in text and "paper in our CI" not in text
    assert "paper (pp): the paper's models (not this CPU-sized world)" in text
    md, _ = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "c"), "--scale", "tiny"])
    claim_text = md.read_text().replace("\\_", "_")
    assert "tested in a CPU-sized world" in claim_text and "paper's number in our 95% CI" not in claim_text
    row = md_row(claim_text, "S0 improves Qwen3.5-4B HumanEval pass@1 over the base model")
    assert row[2] == "minicode_gdn / minicode / s0 (2 seeds); minicode_gdn / minicode / none (2 seeds)"


def test_the_scale_comes_from_what_a_result_recorded(results_dir):
    """run.config.scale.name where recorded (scale=tiny), else a tiny model source, else the experiment's name."""
    import json

    from experiments.common import result_scale, scales_on_disk
    from tests.experiments.conftest import write_result

    path = write_result(results_dir, "qwen3_5", "minicode", "s0", 0, 10, n=20)
    assert scales_on_disk(results_dir) == ["full"]
    r = json.loads(path.read_text())
    r["run"]["config"] = {"scale": {"name": "tiny"}}
    path.write_text(json.dumps(r))
    assert scales_on_disk(results_dir) == ["tiny"]
    assert result_scale({"exp": "adhoc", "run": {"config": {"model": {"source": "tiny"}}}}) == "tiny"
    assert result_scale({"exp": "tiny_qwen3_5", "run": {"config": {}}}) == "tiny"
    assert result_scale({"exp": "qwen3_5", "run": {"config": {"model": {"source": "hub"}}}}) == "full"
