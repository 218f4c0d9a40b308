"""The claims report: verdicts on a paper-like tree, on contradicting data, and with nothing run."""

import json

import pytest

from experiments import claims
from experiments.common import Cells, parse_options


def _verdicts(results, tmp_path, md_row):
    md, tex = claims.main(["--results", str(results), "--out", str(tmp_path / "tables")])
    text = md.read_text()
    assert "\\begin{tabular}" in tex.read_text()
    return text, {r.claim: r for r in claims.evaluate(Cells(results), parse_options("", ["--results", str(results)]))}


def test_paper_like_results_support_the_claims(paper_like, tmp_path, md_row):
    text, found = _verdicts(paper_like, tmp_path, md_row)
    row = md_row(text, "S0 improves Qwen3.5-4B HumanEval pass@1 over the base model")
    assert row[2].startswith("+23.8 pp, p = ") and row[3:] == ["supported", "yes"]
    assert md_row(text, "S0 transfers to MATH-500")[3] == "not run"
    verdicts = {claim: r.verdict for claim, r in found.items()}
    # no benchmark file: both overhead rows "not run"; Falcon 3 vs 3 seeds 0.4 pp apart: neither equivalent within
    # +/-3 pp nor different, as for the paper's own summaries
    assert list(verdicts.values()).count("supported") == 9
    for model in ("Qwen3.5-4B", "Falcon-H1-7B"):
        assert verdicts[f"S0 adds no inference overhead on {model}"] == "not run"
    tie = md_row(text, "S0 and LoRA statistically indistinguishable on Falcon-H1-7B")
    assert tie[3] == "inconclusive" and "TOST ±3 pp: p = " in tie[2] and "Welch difference p = " in tie[2]
    assert "TOST ±3 pp on these summaries: p = 0.098" in tie[1]
    assert md_row(text, "Prefix tuning on a pure Transformer hurts")[2] == "-10.5 pp, 6 of 6 runs below base"  # mean of -53/6 of 84
    assert "s0_a007 +1.2 pp (p = 1, McNemar)" in md_row(text, "No transfer to Spider (text-to-SQL)")[2]
    scaling = md_row(text, "S0's gain grows with model size (Qwen3.5)")
    assert scaling[2].startswith("0.8B +2.4 / 2B +19.0 / 4B +23.8 / 9B +44.0 pp; slope ") and scaling[3] == "supported"


def test_contradicting_and_undefined_results(results_dir, write, tmp_path, md_row):
    for s, (s0, lora) in zip((0, 1, 2), ((70, 50), (71, 51), (72, 52)), strict=True):
        write(results_dir, "falcon_h1", "humaneval", "s0", s, s0, arch="falcon_h1")
        write(results_dir, "falcon_h1", "humaneval", "lora", s, lora, arch="falcon_h1")
        write(results_dir, "qwen3_5", "humaneval", "s0", s, 60)
    write(results_dir, "qwen3_5", "humaneval", "lora", 0, 50)  # one LoRA seed: Welch undefined
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    assert md_row(text, "S0 and LoRA statistically indistinguishable on Falcon-H1-7B")[3] == "not supported"
    lora = md_row(text, "S0 beats LoRA on Qwen3.5-4B")  # one LoRA seed: judged over problems, and says so
    assert "seed-level test undefined (fewer than 2 seeds); judged by the paired bootstrap over 84 problems" in lora[2]
    assert lora[3] == "supported" and lora[4] == "n/a"
    assert md_row(text, "S0 improves Qwen3.5-4B HumanEval pass@1 over the base model")[3] == "not run"


def test_zero_variance_is_judged_over_problems_never_p_zero(results_dir, write, tmp_path, md_row):
    """S0 at the same score on every seed against a shared base: no seed-level p; the bootstrap decides."""
    write(results_dir, "falcon_h1", "humaneval", "none", 0, 40, arch="falcon_h1")
    for s in (0, 1, 2):
        write(results_dir, "falcon_h1", "humaneval", "s0", s, 45, arch="falcon_h1")
        write(results_dir, "qwen3_5", "humaneval", "none", s, 40)
        write(results_dir, "qwen3_5", "humaneval", "s0", s, 40)
    text, found = _verdicts(results_dir, tmp_path, md_row)
    gain = md_row(text, "S0 improves Falcon-H1-7B HumanEval pass@1 over the base model")
    assert gain[2].startswith("+6.0 pp (3 vs 1 seeds); seed-level test undefined (zero variance); judged by the "
                              "paired bootstrap over 84 problems")
    # seed s solves problems s..s+44 and the base 0..39: S0 gains 5-7 problems and loses 0-2 a seed
    assert gain[3] == "supported" and "p = 0" not in gain[2]
    flat = md_row(text, "S0 improves Qwen3.5-4B HumanEval pass@1 over the base model")
    assert "zero variance" in flat[2] and flat[3] == "not supported"  # the same score: no gain over problems


def test_nothing_run(tmp_path, md_row):
    text, found = _verdicts(tmp_path / "empty", tmp_path, md_row)
    assert {r.verdict for r in found.values()} == {"not run"}
    assert len(found) == len(claims.CLAIMS) + len(claims.ABLATION_CLAIMS)


@pytest.mark.parametrize("bad", ["{not json", '{"schema_version": 1}'])
def test_a_corrupt_result_is_one_line_left_alone_and_marked_under_the_tables(results_dir, tmp_path, capsys, bad):
    path = results_dir / "qwen3_5" / "humaneval" / "s0" / "seed_0" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(bad)
    written = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and str(path) in err and err.count("\n") == 1
    assert path.read_text() == bad  # kept for inspection
    md = next(p for p in written if p.suffix == ".md")
    assert f"unreadable, left out: {path}: " in md.read_text()


def _bench(root, model, ratio, q1, q3):
    path = root / "bench" / "overhead.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"tokens_per_s": 100.0, "ratio_to_base": ratio, "inference_cost": "none",
           "batch": {"1": {"tokens_per_s": 100.0, "ratio_to_base": ratio, "ratio_q1": q1, "ratio_q3": q3, "runs": 11},
                     "8": {"tokens_per_s": 700.0, "ratio_to_base": 0.5, "ratio_q1": 0.4, "ratio_q3": 0.6, "runs": 11}}}
    path.write_text(json.dumps({model: {"base": {"ratio_to_base": 1.0}, "s0": row}}))
    return path


@pytest.mark.parametrize(("ratio", "q1", "q3", "verdict"), [
    (0.995, 0.98, 1.01, "supported"), (0.95, 0.93, 0.98, "inconclusive"), (0.80, 0.78, 0.82, "not supported")])
def test_overhead_from_the_benchmark_file(results_dir, write, tmp_path, md_row, ratio, q1, q3, verdict):
    """The verdict follows the measured batch-1 ratio, whatever a run recorded as its inference-cost label."""
    write(results_dir, "qwen3_5", "humaneval", "s0", 0, 60, cost="none")
    path = _bench(results_dir, "qwen3_5_4b", ratio, q1, q3)
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    row = md_row(text, "S0 adds no inference overhead on Qwen3.5-4B")
    assert row[3] == verdict and f"S0/base decode speed {ratio:.3f} (IQR {q1:.3f} to {q3:.3f}, 11 paired" in row[2]
    assert md_row(text, "S0 adds no inference overhead on Falcon-H1-7B")[3] == "not run"
    path.unlink()
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    assert md_row(text, "S0 adds no inference overhead on Qwen3.5-4B")[3] == "not run"


def test_overhead_tolerance_is_configurable(results_dir, tmp_path, md_row):
    _bench(results_dir, "qwen3_5_4b", 0.95, 0.93, 0.98)
    md, _ = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--overhead-tolerance", "0.06"])
    assert md_row(md.read_text(), "S0 adds no inference overhead on Qwen3.5-4B")[3] == "supported"


def test_equivalence_needs_tost_not_a_large_p(results_dir, write, tmp_path, md_row):
    """Ten tight seeds 0 or 1 problem apart: equivalent at +/-3 pp; a 0.2 pp margin cannot show it."""
    for s in range(10):
        write(results_dir, "falcon_h1", "humaneval", "s0", s, 60 + s % 2, arch="falcon_h1")
        write(results_dir, "falcon_h1", "humaneval", "lora", s, 60 + (s + 1) % 2, arch="falcon_h1")
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    row = md_row(text, "S0 and LoRA statistically indistinguishable on Falcon-H1-7B")
    assert row[3] == "supported" and "+0.0 pp (10 vs 10 seeds)" in row[2]
    md, _ = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--tost-margin", "0.2"])
    assert md_row(md.read_text(), "S0 and LoRA statistically indistinguishable on Falcon-H1-7B")[3] == "inconclusive"


def test_bad_margin_is_one_line(results_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--tost-margin", "-1"])
    assert capsys.readouterr().err.startswith("error: --tost-margin must be a positive")


def test_offset_judged_as_a_higher_mean(results_dir, write, tmp_path, md_row):
    """Offset above S0 by 1 problem on every seed but one: a higher mean (supported) with p reported, not required."""
    for s, (off, s0, lora) in enumerate(((62, 61, 50), (61, 61, 52), (63, 61, 51))):
        write(results_dir, "qwen3_5", "humaneval", "state_offset", s, off)
        write(results_dir, "qwen3_5", "humaneval", "s0", s, s0)
        write(results_dir, "qwen3_5", "humaneval", "lora", s, lora)
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    row = md_row(text, "The per-step state offset scores above S0 and LoRA (at a per-step inference cost)")
    assert row[3] == "supported" and "vs S0 +1.2 pp, 95% CI" in row[2] and "paired p = 0.23" in row[2]  # differences 1, 0, 2 problems: t = sqrt(3), df 2


def test_scaling_trend_is_a_regression(results_dir, write, tmp_path, md_row):
    """Gains that rise in their means but scatter across seeds: the ordering holds, the slope test does not."""
    for size, base, gains in (("0.8B", 12, (0, 9, 3)), ("2B", 14, (1, 10, 4)), ("9B", 27, (2, 11, 5))):
        exp = "scaling_qwen3_5_" + size.lower().replace(".", "_")
        for s, g in enumerate(gains):
            write(results_dir, exp, "humaneval", "none", s, base, hub_id=f"Qwen/Qwen3.5-{size}")
            write(results_dir, exp, "humaneval", "s0", s, base + g, hub_id=f"Qwen/Qwen3.5-{size}")
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    row = md_row(text, "S0's gain grows with model size (Qwen3.5)")
    assert row[3] == "not supported" and "9 seed gains" in row[2]


def test_tiny_scale_reads_the_tiny_models_rows(results_dir, tmp_path, md_row):
    """At --scale tiny the rows of the tiny Table-1 models count (here the bench's default tiny_gdn); a full-scale
    report does not take a tiny model's timing for Qwen3.5-4B."""
    _bench(results_dir, "tiny_gdn", 1.01, 0.99, 1.03)
    tiny_md, _ = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--scale", "tiny"])
    assert md_row(tiny_md.read_text(), "S0 adds no inference overhead on Qwen3.5-4B")[3].startswith("tiny_gdn: ")
    full_md, _ = claims.main(["--results", str(results_dir), "--out", str(tmp_path / "f")])
    assert md_row(full_md.read_text(), "S0 adds no inference overhead on Qwen3.5-4B")[3] == "not run"
