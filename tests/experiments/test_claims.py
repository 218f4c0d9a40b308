"""The claims report: verdicts on a paper-like tree, on contradicting data, and with nothing run."""

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
    assert list(verdicts.values()).count("supported") == 11
    assert md_row(text, "S0 adds no inference overhead (only the initial state changes)")[2:4] == [
        "recorded inference cost: none", "supported"]
    assert md_row(text, "Prefix tuning on a pure Transformer hurts")[2] == "-10.5 pp, 6 of 6 runs below base"  # mean of -53/6 of 84
    assert "s0_a007 +1.2 pp (p = 1, McNemar)" in md_row(text, "No transfer to Spider (text-to-SQL)")[2]
    assert md_row(text, "S0's gain grows with model size (Qwen3.5)")[2] == "0.8B +2.4 / 2B +19.0 / 4B +23.8 / 9B +44.0 pp"


def test_contradicting_and_undefined_results(results_dir, write, tmp_path, md_row):
    for s, (s0, lora) in zip((0, 1, 2), ((70, 50), (71, 51), (72, 52)), strict=True):
        write(results_dir, "falcon_h1", "humaneval", "s0", s, s0, arch="falcon_h1")
        write(results_dir, "falcon_h1", "humaneval", "lora", s, lora, arch="falcon_h1")
        write(results_dir, "qwen3_5", "humaneval", "s0", s, 60)
    write(results_dir, "qwen3_5", "humaneval", "lora", 0, 50)  # one LoRA seed: Welch undefined
    text, _ = _verdicts(results_dir, tmp_path, md_row)
    assert md_row(text, "S0 and LoRA statistically indistinguishable on Falcon-H1-7B")[3] == "not supported"
    assert md_row(text, "S0 beats LoRA on Qwen3.5-4B")[3] == "inconclusive"
    assert md_row(text, "S0 improves Qwen3.5-4B HumanEval pass@1 over the base model")[3] == "not run"


def test_nothing_run(tmp_path, md_row):
    text, found = _verdicts(tmp_path / "empty", tmp_path, md_row)
    assert {r.verdict for r in found.values()} == {"not run"}
    assert len(found) == len(claims.CLAIMS) + len(claims.ABLATION_CLAIMS)


@pytest.mark.parametrize("bad", ["{not json", '{"schema_version": 1}'])
def test_corrupt_result_is_one_line_error(results_dir, tmp_path, capsys, bad):
    path = results_dir / "qwen3_5" / "humaneval" / "s0" / "seed_0" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(bad)
    with pytest.raises(SystemExit) as exc:
        claims.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot render tables:") and "result.json" in err and err.count("\n") == 1
