"""The failure-class table on synthetic result files that record per-problem classes under both clean-ups."""

from __future__ import annotations

import json

import pytest

from experiments import failures
from s0repro.results import result_path


def _write(root, method, seed, authors, lenient):
    """A result over len(authors) problems whose per-problem classes are given for both clean-ups."""
    n = len(authors)
    views = {mode: {"score": cls.count("passed") / n, "correct": [c == "passed" for c in cls], "failure_class": cls}
             for mode, cls in (("authors", authors), ("lenient", lenient))}
    payload = {"schema_version": 1, "exp": "tiny_qwen3_5", "task": "minicode", "method": method, "seed": seed,
               "run": {"config": {}}, "train": None, "meta": {"model": {"name": "minicode_gdn", "arch": "qwen3_5"}},
               "eval": {"metric": "pass@1", "score": views["authors"]["score"], "n": n,
                        "task_ids": [f"m/{i}" for i in range(n)], "correct": views["authors"]["correct"],
                        "by_cleanup": views}}
    path = result_path(root, "tiny_qwen3_5", "minicode", method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def test_table_splits_the_gain_by_class(results_dir, tmp_path, md_row):
    base_a = ["passed"] * 4 + ["format"] * 4 + ["wrong_answer"] * 2
    base_l = ["passed"] * 7 + ["wrong_answer"] * 3
    _write(results_dir, "none", 0, base_a, base_l)
    # seed 0: fixes 3 format failures, breaks 1 more by assertion; seed 1: fixes all 4 format failures
    _write(results_dir, "s0", 0, ["passed"] * 6 + ["format"] * 1 + ["wrong_answer"] * 3, ["passed"] * 7 + ["wrong_answer"] * 3)
    _write(results_dir, "s0", 1, ["passed"] * 8 + ["wrong_answer"] * 2, ["passed"] * 8 + ["wrong_answer"] * 2)
    _write(results_dir, "lora", 0, ["passed"] * 4 + ["format"] * 4 + ["wrong_answer"] * 2, base_l)
    md, _ = failures.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    authors, lenient, forms = md.read_text().split("### ")[1:]
    assert "clean-up 'authors'" in authors and "clean-up 'lenient'" in lenient
    # class means over seeds: passed (6+8)/2, format (1+0)/2, wrong (3+2)/2; gains 2 and 4, from format 3 and 4
    assert md_row(authors, "s0") == ["s0", "2", "7.0", "0.0", "0.5", "0.0", "0.0", "2.5", "0.0", "3.0", "3.5", "117 %"]
    assert md_row(authors, "lora")[-3:] == ["0.0", "0.0", "gain ≈ 0, no share; pp by class: none moved"]
    assert md_row(authors, "none")[2:4] == ["4.0", "0.0"]
    # lenient: gains 0 and 1 problem (mean 0.5 < 2): no share of a near-zero gain, the classes' pp instead
    assert md_row(lenient, "s0")[-3:] == ["0.5", "0.0", "gain ≈ 0, no share; pp by class: wrong_answer +5.0"]
    assert "Answer forms" in forms and md_row(forms, "s0")[1] == "not recorded"  # no eval records written here


def test_the_form_table_gives_each_methods_answer_forms_seeds_pooled(results_dir, tmp_path, md_row):
    """Base answers with bodies; S0 switches to fenced whole functions on one seed of two."""
    body, fenced = "    return x + 1\n", "```python\ndef f(x):\n    return x + 1\n```\n"
    answers = {("none", 0): [body] * 4, ("s0", 0): [fenced] * 3 + [body], ("s0", 1): [body] * 4}
    for (method, seed), raws in answers.items():
        _write(results_dir, method, seed, ["passed"] * 4, ["passed"] * 4)
        path = result_path(results_dir, "tiny_qwen3_5", "minicode", method, seed)
        payload = json.loads(path.read_text())
        payload["files"] = {"eval_records": "attempt-x/eval.jsonl"}
        path.write_text(json.dumps(payload))
        (path.parent / "attempt-x").mkdir()
        (path.parent / "attempt-x/eval.jsonl").write_text("".join(json.dumps({"task_id": f"m/{i}", "raw": r}) + "\n"
                                                                  for i, r in enumerate(raws)))
    md, _ = failures.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    forms = md.read_text().split("### ")[3]
    header = md_row(forms, "method")
    s0 = dict(zip(header, md_row(forms, "s0"), strict=True))
    none = dict(zip(header, md_row(forms, "none"), strict=True))
    assert (s0["answers"], s0["function_fenced"], s0["body"]) == ("8", "37.5", "62.5")
    assert (none["answers"], none["body"], none["function_fenced"]) == ("4", "100.0", "0.0")


def test_a_gain_whose_seeds_disagree_in_sign_gets_no_share(results_dir, tmp_path, md_row):
    """+3 and -2 problems: mean +0.5, where a share would read -100 % or worse; the signed pp per class instead."""
    base = ["passed"] * 4 + ["format"] * 4 + ["wrong_answer"] * 2
    _write(results_dir, "none", 0, base, base)
    _write(results_dir, "s0", 0, ["passed"] * 7 + ["format"] * 1 + ["wrong_answer"] * 2, base)
    _write(results_dir, "s0", 1, ["passed"] * 2 + ["format"] * 4 + ["wrong_answer"] * 4, base)
    md, _ = failures.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    row = md_row(md.read_text().split("### ")[1], "s0")
    assert row[-3:] == ["0.5", "1.5", "gain ≈ 0, no share; pp by class: format +15.0, wrong_answer -10.0"]


def test_results_without_classes_are_not_scored(results_dir, write, tmp_path, md_row):
    write(results_dir, "qwen3_5", "humaneval", "s0", 0, 50)
    md, _ = failures.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    assert md_row(md.read_text(), "s0")[2] == "not scored"


def test_wrong_length_is_one_line(results_dir, tmp_path, capsys):
    _write(results_dir, "none", 0, ["passed"] * 3, ["passed"] * 3)
    path = result_path(results_dir, "tiny_qwen3_5", "minicode", "none", 0)
    payload = json.loads(path.read_text())
    payload["eval"]["by_cleanup"]["authors"]["failure_class"].pop()
    path.write_text(json.dumps(payload))
    with pytest.raises(SystemExit):
        failures.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    assert "failure_class has 2 entries for 3 problems" in capsys.readouterr().err
