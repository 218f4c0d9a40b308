"""Table 1 rendered from synthetic result files: the numbers in the Markdown, the LaTeX, the PNG, 'not run'."""

from scipy import stats as st

from experiments import table1
from experiments.render import p_text

QWEN_SEEDS = (42, 7, 123)


def _populate(root, write):
    for s in QWEN_SEEDS:
        write(root, "qwen3_5", "humaneval", "none", s, 41)
    for s, k in zip(QWEN_SEEDS, (50, 52, 55), strict=True):
        write(root, "qwen3_5", "humaneval", "lora", s, k, params=4_718_592, cost="merge")
    for s, k in zip(QWEN_SEEDS, (60, 61, 62), strict=True):
        write(root, "qwen3_5", "humaneval", "s0", s, k, params=12_582_912, cost="none")
    write(root, "falcon_h1", "humaneval", "none", 42, 34, arch="falcon_h1")
    write(root, "falcon_h1", "humaneval", "lora", 42, 59, arch="falcon_h1", params=22_200_000, cost="merge")
    for s, k in ((42, 60), (7, 61)):
        write(root, "falcon_h1", "humaneval", "s0", s, k, arch="falcon_h1", params=34_603_008, cost="none")


def test_table1_numbers(results_dir, write, md_row, tmp_path):
    _populate(results_dir, write)
    out = tmp_path / "tables"
    md, tex, png = table1.main(["--results", str(results_dir), "--out", str(out)])
    text = md.read_text()
    assert md_row(text, "S0") == ["S0", "12.6M / 34.6M", "72.6 ± 1.2", "72.0 ± 0.8", "3 / 2", "none"]
    assert md_row(text, "baseline")[2:5] == ["48.8 ± 0.0", "40.5", "3 / 1"]
    assert md_row(text, "LoRA (best config)")[2:4] == ["62.3 ± 3.0", "70.2"]
    assert md_row(text, "state offset")[2:4] == ["not run", "not run"]

    s0 = md_row(text, "Qwen3.5-4B: S0 vs baseline")
    # base seeds are all equal: Welch reduces to a one-sample test of the S0 seeds, df = 2
    want_p = st.ttest_1samp([60 / 84, 61 / 84, 62 / 84], 41 / 84).pvalue
    assert s0[1:5] == ["3 / 3", "+23.8 ± 1.2", "Welch t", p_text(want_p)]
    assert s0[5] == p_text(min(1.0, 4 * want_p))  # Holm: smallest of 4 defined p-values in the Qwen rows
    assert "undefined: n < 2" in md_row(text, "Falcon-H1-7B: S0 vs LoRA")[3]
    # McNemar: S0 solves 19-21 more problems than base under each seed, none fewer -> all significant
    assert s0[8] == "3/3"

    vs = md_row(text, "Qwen3.5-4B S0 pass@1 (%)")
    assert vs[:4] == ["Qwen3.5-4B S0 pass@1 (%)", "72.2", "72.6", "+0.4"]
    assert vs[4].startswith("[69.7, 75.6]") and vs[5] == "yes"
    assert md_row(text, "Qwen3.5-4B state offset pass@1 (%)")[2] == "not run"
    assert md_row(text, "Falcon-H1-7B LoRA (best config) pass@1 (%)")[5] == "n/a (n < 2)"

    assert md_row(text, "Qwen3.5-4B S0 params (M)")[1:6] == ["12.6", "12.6", "+0.0", "[12.6, 12.6] (a count)", "yes"]
    assert md_row(text, "Qwen3.5-4B state offset params (M)")[2] == "not run"

    latex = tex.read_text()
    assert "72.6 $\\pm$ 1.2" in latex and "\\begin{tabular}" in latex and "state\\_offset" not in latex
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_table1_without_results_says_not_run(tmp_path, md_row):
    md, _, png = table1.main(["--results", str(tmp_path / "nothing"), "--out", str(tmp_path / "t")])
    text = md.read_text()
    assert md_row(text, "S0")[2:4] == ["not run", "not run"]
    assert png.exists()


def test_tiny_scale_reads_the_tiny_runs_of_both_columns(results_dir, write, md_row, tmp_path):
    for s in (0, 1):  # `+exp=table1 scale=tiny` writes tiny_qwen3_5 and tiny_falcon_h1
        write(results_dir, "tiny_qwen3_5", "minicode", "s0", s, 10 + s, n=20)
        write(results_dir, "tiny_falcon_h1", "minicode", "s0", s, 4, n=20, arch="falcon_h1")
    md, _, _ = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--scale", "tiny"])
    row = md_row(md.read_text(), "S0")
    assert row[2:4] == ["52.5 ± 3.5", "20.0 ± 0.0"]
    assert "not the paper's numbers" in md.read_text() and "Table 1: minicode pass@1" in md.read_text()


def test_tiny_results_alone_render_as_tiny_with_the_recorded_baseline(results_dir, write, md_row, tmp_path):
    for s in (0, 1, 2):  # e.g. `python -m s0repro.run +exp=qwen3_5 scale=tiny method=s0 seed=0..2`: no `none` run
        write(results_dir, "tiny_qwen3_5", "minicode", "s0", s, 10 + s, n=20, baseline=0.25)
    md, _, _ = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])  # --scale auto
    text = md.read_text()
    assert "Table 1: minicode pass@1" in text and "not the paper's numbers" in text
    assert md_row(text, "baseline")[2] == "25.0"
    assert md_row(text, "S0")[2] == "55.0 ± 5.0"
    row = md_row(text, "tiny GDN (Qwen3.5 family): S0 vs baseline")
    assert row[1] == "3 / 1" and row[2] == "+30.0 ± 5.0" and row[3] == "one-sample t (single base run)"
    assert row[7] == "–"  # no per-problem base verdicts without the `none` run
    assert "the baseline score the tuned results record" in text


def test_a_none_run_on_disk_wins_over_the_recorded_baseline(results_dir, write, md_row, tmp_path):
    for s in (0, 1):
        write(results_dir, "tiny_qwen3_5", "minicode", "s0", s, 10, n=20, baseline=0.5)
        write(results_dir, "tiny_qwen3_5", "minicode", "none", s, 4, n=20)
    md, _, _ = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--scale", "tiny"])
    text = md.read_text()
    assert md_row(text, "baseline")[2] == "20.0 ± 0.0" and "baseline score the tuned results" not in text


def test_auto_scale_renders_both_scales_when_both_are_on_disk(results_dir, write, md_row, tmp_path, capsys):
    write(results_dir, "tiny_qwen3_5", "minicode", "s0", 0, 10, n=20, baseline=0.25)
    write(results_dir, "qwen3_5", "humaneval", "s0", 42, 60)
    paths = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "t")])
    assert "SCALE=auto renders full and tiny" in capsys.readouterr().out
    assert {p.relative_to(tmp_path / "t").as_posix() for p in paths} == {
        "table1.md", "table1.tex", "table1.png", "tiny/table1.md", "tiny/table1.tex", "tiny/table1.png"}
    assert "HumanEval pass@1" in (tmp_path / "t" / "table1.md").read_text()
    assert md_row((tmp_path / "t" / "tiny" / "table1.md").read_text(), "S0")[2] == "50.0"


def _write_scored(root, method, seed, authors, lenient, baseline="shared"):
    """A tiny Table 1 result whose per-problem classes are given under both clean-ups (lenient primary)."""
    import json

    from s0repro.results import result_path

    n = len(authors)
    views = {mode: {"score": cls.count("passed") / n, "correct": [c == "passed" for c in cls], "failure_class": cls}
             for mode, cls in (("authors", authors), ("lenient", lenient))}
    payload = {"schema_version": 1, "exp": "tiny_qwen3_5", "task": "minicode", "method": method, "seed": seed,
               "run": {"config": {}}, "train": None, "meta": {"model": {"name": "minicode_gdn", "arch": "qwen3_5"}},
               "method_info": {}, "eval": {"metric": "pass@1", "score": views["lenient"]["score"], "n": n,
                                           "task_ids": [f"m/{i}" for i in range(n)],
                                           "correct": views["lenient"]["correct"], "cleanup": "lenient",
                                           "by_cleanup": views, "baseline": baseline}}
    path = result_path(root, "tiny_qwen3_5", "minicode", method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))


def test_tiny_table1_shows_both_clean_ups_the_failure_classes_and_the_base_used(results_dir, md_row, tmp_path):
    for seed in (0, 1):
        _write_scored(results_dir, "none", seed, ["passed"] * 2 + ["format"] * 6 + ["wrong_answer"] * 2,
                      ["passed"] * 6 + ["wrong_answer"] * 4)
    _write_scored(results_dir, "s0", 0, ["passed"] * 5 + ["format"] * 3 + ["wrong_answer"] * 2,
                  ["passed"] * 7 + ["wrong_answer"] * 3)
    _write_scored(results_dir, "s0", 1, ["passed"] * 7 + ["format"] * 1 + ["wrong_answer"] * 2,
                  ["passed"] * 7 + ["wrong_answer"] * 3)
    md, _, _ = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "t"), "--scale", "tiny"])
    text = md.read_text()
    by_cleanup = text.split("### Table 1 by clean-up")[1].split("### ")[0]
    # columns: method, GDN authors, GDN lenient, Mamba-2 authors, Mamba-2 lenient
    assert md_row(by_cleanup, "S0")[1:5] == ["60.0 ± 14.1", "70.0 ± 0.0", "not run", "not run"]
    assert md_row(by_cleanup, "baseline")[1:3] == ["20.0 ± 0.0", "60.0 ± 0.0"]
    assert "Primary clean-up of these results (Table 1 above): lenient." in by_cleanup
    assert md_row(text, "S0")[2] == "70.0 ± 0.0"  # the main table: the primary clean-up's scores
    assert "Base evaluation (eval.baseline): shared (one cached greedy evaluation" in text
    authors = text.split("clean-up 'authors'")[1].split("### ")[0]
    # S0 vs the base of the same seed: gains 3 and 5 problems, all from format (6 -> 3, 6 -> 1)
    assert md_row(authors, "s0")[-3:] == ["4.0", "4.0", "100 %"]
    assert "clean-up 'lenient'" in text


def test_notes_give_k_the_kept_count_per_seed_and_the_offset_reading(results_dir, write, tmp_path):
    import json

    _populate(results_dir, write)
    for s in QWEN_SEEDS:
        write(results_dir, "qwen3_5", "humaneval", "state_offset", s, 63, params=12_582_912, cost="per_step")
    for path in results_dir.rglob("result.json"):
        r = json.loads(path.read_text())
        if r["method"] == "s0":
            r["train"] |= {"samples_per_problem": 4, "num_examples": 40 + r["seed"] % 10}
        if r["method"] == "state_offset":
            r["method_info"]["where"] = "recurrence"
        if r["method"] == "lora" and r["exp"] == "qwen3_5":
            r["method_info"]["config"] = {"r": 24}
        path.write_text(json.dumps(r))
    md = table1.main(["--results", str(results_dir), "--out", str(tmp_path / "tables")])[0]
    text = md.read_text()
    assert ("Verified training set: k = 4 samples a problem; S0 kept Qwen3.5-4B 47 (seed 7), 42 (seed 42), "
            "43 (seed 123); Falcon-H1-7B 47 (seed 7), 42 (seed 42). The paper (Qwen3.5-4B, HumanEval): about 48 "
            "kept.") in text
    assert "State offset: dS added to the state inside the recurrence every step (method.where=recurrence)." in text
    # the rank each column's LoRA ran, from its results (the Falcon-H1 LoRA here records none)
    assert "the `lora` runs (the paper's r = 24; these results: Qwen3.5-4B r = 24); not run" in text


def test_a_new_method_reaches_table1_by_its_module_its_conf_file_and_an_arm_line(results_dir, write, md_row,
                                                                                  tmp_path):
    """A throw-away method, added the documented way (a registered module, conf/method/<name>.yaml, one arm line in
    each experiment), gets its Table 1 row without any edit to the table."""
    import shutil
    from dataclasses import dataclass

    from experiments.common import Options
    from s0repro.conf import CONF_DIR
    from s0repro.methods import REGISTRY
    from s0repro.methods.none import NoneConfig, NoneMethod

    @dataclass
    class ThrowawayConfig(NoneConfig):
        name: str = "throwaway"

    class ThrowawayMethod(NoneMethod):
        name = "throwaway"
        config_class = ThrowawayConfig

    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    (conf / "method" / "throwaway.yaml").write_text("name: throwaway\nlr: 0.0\nsteps: 0\n")
    for exp in ("qwen3_5", "falcon_h1"):
        path = conf / "exp" / f"{exp}.yaml"
        path.write_text(path.read_text().replace("defaults:\n", "defaults:\n  - /method@arms.throwaway.method: "
                                                 "throwaway\n", 1))
    REGISTRY["throwaway"] = ThrowawayMethod
    try:
        for seed in QWEN_SEEDS:
            write(results_dir, "qwen3_5", "humaneval", "throwaway", seed, 42)
        md, _, _ = table1.render(Options(results_dir, tmp_path / "t", "full", conf))
    finally:
        del REGISTRY["throwaway"]
    text = md.read_text()
    assert md_row(text, "throwaway")[2:5] == ["50.0 ± 0.0", "not run", "3 / 0"]
    assert md_row(text, "Qwen3.5-4B: throwaway vs baseline")[1] == "3 / 0"
    plain = table1.render(Options(results_dir, tmp_path / "plain", "full"))[0].read_text()
    assert "throwaway vs baseline" not in plain  # the shipped experiments have no such arm
