"""demolib.benchmark: job lists, resumable training, the table and its statistics."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from demolib import baselines, benchmark, data
from demolib.cli import main

FAST = {"min_steps": 0, "max_steps": 4, "epochs": 1}  # a few gradient steps: tests the plumbing, not learning


@pytest.fixture(scope="module")
def deepbind_dir(tmp_path_factory):
    """Two tiny DeepBind-format datasets (120 bound training rows, 40+40 test rows) cut from shipped files."""
    d = tmp_path_factory.mktemp("deepbind")
    for tf in ("MYC", "GABPA"):
        for part, keep in (("AC", lambda i, y: i < 120), ("B", lambda i, y: (i % 500) < 40)):
            with gzip.open(data.DEEPBIND_DIR / f"{tf}_{part}.seq.gz", "rt") as fh:
                head, *rows = fh.read().splitlines()
            rows = [r for i, r in enumerate(rows) if keep(i, r)]
            with gzip.open(d / f"{tf}_tiny_{part}.seq.gz", "wt") as fh:
                fh.write("\n".join([head, *rows]) + "\n")
    return d


def test_make_jobs_sizes_and_unknown_names(deepbind_dir):
    jobs = benchmark.make_jobs(["MAFK", "myc"], ["cnn", "rnn"], ["small", "medium"], extra_sizes_tfs=["MAFK"])
    # MAFK's plain keys hold chapter 05's models (each architecture's own defaults); the benchmark's
    # models, trained with the common step budget, go beside them
    assert [j.key for j in jobs] == ["MAFK-cnn-small-benchmark", "MAFK-rnn-small-benchmark",
                                     "MAFK-cnn-medium-benchmark", "MAFK-rnn-medium-benchmark",
                                     "MYC-cnn-medium", "MYC-rnn-medium"]
    with pytest.raises(ValueError, match="unknown architecture 'lstm'"):
        benchmark.make_jobs(["MAFK"], ["lstm"])
    with pytest.raises(ValueError, match="unknown dataset 'NOPE'"):
        benchmark.make_jobs(["NOPE"], ["cnn"])
    dj = benchmark.make_jobs([], ["cnn"], deepbind_dir=deepbind_dir)
    assert [(j.dataset, j.tf) for j in dj] == [("GABPA_tiny", "GABPA"), ("MYC_tiny", "MYC")]
    assert dj[0].test_path.endswith("GABPA_tiny_B.seq.gz")


def test_tuning_grid_picks_the_best_validation_run(deepbind_dir, tmp_path):
    """--lr-scales: every model is trained at each learning rate of the grid, and the table keeps the
    run with the best validation AUROC (the test set plays no part); the default scale keeps its key."""
    jobs = benchmark.make_jobs([], ["cnn"], ["small"], deepbind_dir=deepbind_dir, lr_scales=(1, 3))
    assert [j.key for j in jobs] == ["GABPA_tiny-cnn-small", "GABPA_tiny-cnn-small-lr3x",
                                     "MYC_tiny-cnn-small", "MYC_tiny-cnn-small-lr3x"]
    assert [benchmark.train_config_for(j).lr for j in jobs[:2]] == [0.001, 0.003]  # exact: a key of the config
    assert benchmark.train_config_for(benchmark.Job("MYC", "rnn", lr_scale=3)).lr == 0.009
    assert benchmark.make_jobs(["MAFK"], ["rnn"], lr_scales=(0.5,))[0].key == "MAFK-rnn-medium-lr0.5x-benchmark"
    fast = {"min_steps": 0, "max_steps": 12, "epochs": 3}
    benchmark.run_jobs(jobs[:3], tmp_path, overrides=fast)  # MYC's 3x run is missing: no MYC row yet
    rows = benchmark.collect(jobs, tmp_path, overrides=fast, progress=False)
    assert {r["dataset"] for r in rows if r["kind"] == "deep"} == {"GABPA_tiny"}
    benchmark.run_jobs(jobs, tmp_path, overrides=fast)
    rows = [r for r in benchmark.collect(jobs, tmp_path, overrides=fast, progress=False) if r["kind"] == "deep"]
    assert len(rows) == 2
    for r in rows:
        grid = [jobs[i] for i in range(4) if jobs[i].dataset == r["dataset"]]
        valid = [json.loads((tmp_path / j.key / "checkpoint.json").read_text())["metrics"]["valid"]["auroc"]
                 for j in grid]
        pick = grid[int(np.argmax(valid))]
        assert (r["model"], r["lr_scale"], r["valid_auroc"]) == ("cnn-small", pick.lr_scale, max(valid))
        assert r["lr"] == pytest.approx(1e-3 * pick.lr_scale)
        assert r["grid"] == f"1:{valid[0]:.4f};3:{valid[1]:.4f}"
    # the grid behind the table: both runs of each model, the chosen scale the best validation one
    doc = benchmark.write_table(rows, tmp_path / "res", meta={"jobs": benchmark.job_dicts(jobs)})
    gt = benchmark.grid_table(doc, tmp_path, size="small")
    assert list(gt.index) == [("GABPA_tiny", "cnn"), ("MYC_tiny", "cnn")]
    assert list(gt.columns) == [("valid", 1.0), ("valid", 3.0), ("test", 1.0), ("test", 3.0), ("chosen", "")]
    for (d, _), g in gt.iterrows():
        assert g["chosen", ""] == next(r["lr_scale"] for r in rows if r["dataset"] == d)
        assert g["valid", g["chosen", ""]] == g["valid"].max()
        assert g["test", g["chosen", ""]] == pytest.approx(next(r["auroc"] for r in rows if r["dataset"] == d), abs=1e-6)
    (summary,) = benchmark.grid_summary(gt).to_dict("records")
    assert summary["models"] == summary["chose 1x"] + summary["chose 3x"] == 2
    assert summary["test chosen"] == pytest.approx(np.mean([r["auroc"] for r in rows]), abs=1e-6)
    assert summary["test 3x"] == pytest.approx(gt["test", 3.0].mean())
    best_is_chosen = [g["test", g["chosen", ""]] >= g["test"].max() for _, g in gt.iterrows()]
    assert summary["test agrees"] == sum(best_is_chosen)
    for bad in ((), (1, 1), (0,), (-1, 2)):
        with pytest.raises(ValueError, match="distinct positive"):
            benchmark.make_jobs(["MAFK"], ["cnn"], lr_scales=bad)


def test_deepbind_dir_without_training_files(tmp_path):
    with pytest.raises(ValueError, match="no DeepBind training files"):
        benchmark.deepbind_pairs(tmp_path)


@pytest.mark.parametrize("executor", ["joblib", "debug"])
def test_run_jobs_is_resumable(deepbind_dir, tmp_path, executor):
    jobs = benchmark.make_jobs([], ["cnn"], ["small"], deepbind_dir=deepbind_dir)
    first = benchmark.run_jobs(jobs, tmp_path, n_jobs=1, executor=executor, overrides=FAST, log=tmp_path / "log")
    assert sorted(r["key"] for r in first) == ["GABPA_tiny-cnn-small", "MYC_tiny-cnn-small"]
    assert all(r["trained"] for r in first)
    assert len((tmp_path / "log").read_text().splitlines()) == 2
    weights = (tmp_path / "MYC_tiny-cnn-small" / "weights.pt").read_bytes()
    # finished models are skipped; a changed training budget is a different model
    assert benchmark.run_jobs(jobs, tmp_path, overrides=FAST, executor=executor) == []
    assert benchmark.pending(jobs, tmp_path, {**FAST, "max_steps": 5}) == jobs
    assert (tmp_path / "MYC_tiny-cnn-small" / "weights.pt").read_bytes() == weights


def test_collect_table_and_tests(deepbind_dir, tmp_path):
    jobs = benchmark.make_jobs([], ["cnn", "rnn"], ["small"], deepbind_dir=deepbind_dir)
    benchmark.run_jobs(jobs, tmp_path, overrides=FAST)
    rows = benchmark.collect(jobs, tmp_path, overrides=FAST, progress=False)
    models = {(r["dataset"], r["model"]) for r in rows}
    assert models == {(d, m) for d in ("GABPA_tiny", "MYC_tiny") for m in ("cnn-small", "rnn-small", "pwm", "kmer")}
    for r in rows:
        assert r["n"] == 80 and r["auroc_lo"] <= r["auroc"] <= r["auroc_hi"]
    for r in (r for r in rows if r["kind"] == "deep"):  # FAST: max_steps 2 ends every run
        assert (r["stopped_by"], r["steps"]) == ("step budget", FAST["max_steps"]), r
    doc = benchmark.write_table(rows, tmp_path)
    saved = json.loads((tmp_path / "benchmark.json").read_text())
    assert saved["rows"] == doc["rows"] and len(saved["rows"]) == 8
    assert (tmp_path / "benchmark.csv").read_text().splitlines()[0].startswith("dataset,model,kind")
    pairs = [(t["a"], t["b"]) for t in doc["tests"]["auroc"]]
    assert ("cnn-small", "rnn-small") in pairs and ("cnn-small", "pwm") in pairs
    # the baselines are cached per dataset
    assert sorted(p.name for p in (tmp_path / "baselines").iterdir()) == ["GABPA_tiny-seed0.json",
                                                                         "MYC_tiny-seed0.json"]
    # ... and recomputed when they were cached by another version of the baselines
    cached = tmp_path / "baselines" / "MYC_tiny-seed0.json"
    stale = json.loads(cached.read_text())
    assert stale["version"] == baselines.VERSION
    stale.update(version=baselines.VERSION - 1, pwm={**stale["pwm"], "auroc": -1.0})
    cached.write_text(json.dumps(stale))
    again = benchmark.collect(jobs, tmp_path, overrides=FAST, progress=False)
    assert again == rows and json.loads(cached.read_text())["version"] == baselines.VERSION


def test_paired_tests_match_scipy():
    from scipy.stats import ttest_rel, wilcoxon

    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.8, 1, 10), rng.uniform(0.75, 0.95, 10)
    rows = [{"dataset": f"T{i}", "model": m, "auroc": v} for i in range(10) for m, v in (("cnn-medium", a[i]),
                                                                                        ("kmer", b[i]))]
    (t,) = benchmark.paired_tests(rows)
    assert (t["a"], t["b"], t["n"]) == ("cnn-medium", "kmer", 10)
    assert t["p_t"] == pytest.approx(ttest_rel(a, b).pvalue)
    assert t["p_wilcoxon"] == pytest.approx(wilcoxon(a, b).pvalue)
    assert t["mean_diff"] == pytest.approx(np.mean(a - b)) and t["a_wins"] == int((a > b).sum())
    # a missing value drops that TF from the pair, not the whole test
    (t9,) = benchmark.paired_tests(rows[2:])
    assert t9["n"] == 9


def test_cli_benchmark_writes_table_figure_and_size_figure(deepbind_dir, tmp_path, monkeypatch, capsys):
    """`demo benchmark` end to end (FAST budget): trains, writes the table and its figure, and the
    size figure only when some TF was trained in more than one size; a second run trains nothing."""
    config = benchmark.train_config_for
    monkeypatch.setattr(benchmark, "train_config_for", lambda job, **o: config(job, **{**FAST, **o}))
    argv = ["benchmark", "--deepbind-dir", str(deepbind_dir), "--archs", "cnn", "--jobs", "1", "--threads", "1"]
    assert main([*argv, "--sizes", "small", "--out", str(tmp_path / "one")]) == 0
    assert sorted(p.name for p in (tmp_path / "one").glob("*.png")) == ["benchmark.png"]
    assert main([*argv, "--sizes", "small,medium", "--sizes-tfs", "MYC_tiny", "--out", str(tmp_path / "two")]) == 0
    assert sorted(p.name for p in (tmp_path / "two").glob("*.png")) == ["benchmark.png", "sizes.png"]
    doc = benchmark.load_table(tmp_path / "two")
    assert sorted((r["dataset"], r["model"]) for r in doc["rows"] if r["kind"] == "deep") == [
        ("GABPA_tiny", "cnn-medium"), ("MYC_tiny", "cnn-medium"), ("MYC_tiny", "cnn-small")]
    capsys.readouterr()
    assert main([*argv, "--sizes", "small,medium", "--sizes-tfs", "MYC_tiny", "--out", str(tmp_path / "two")]) == 0
    assert "3 models, 0 to train" in capsys.readouterr().err


def test_cli_benchmark_bad_options(tmp_path, capsys):
    assert main(["benchmark", "--out", str(tmp_path)]) == 2
    assert "give --tfs" in capsys.readouterr().err
    assert main(["benchmark", "--tfs", "MAFK", "--archs", "lstm", "--out", str(tmp_path)]) == 2
    assert "unknown architecture 'lstm'" in capsys.readouterr().err
    for opt, value, msg in (("--jobs", "0", "--jobs must be an integer in 1.."), ("--seed", "-1", "--seed must be"),
                            ("--tfs", "NOPE", "unknown dataset 'NOPE'"), ("--sizes", "huge", "unknown size 'huge'"),
                            ("--lr-scales", "1,x", "give distinct positive numbers"),
                            ("--lr-scales", "1,1", "give distinct positive numbers")):
        argv = ["benchmark", "--tfs", "MAFK", "--out", str(tmp_path / "o"), opt, value]
        assert main(argv) == 2, opt
        err = capsys.readouterr().err.strip()
        assert msg in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o").exists()  # nothing written before the arguments are checked


def test_missing_pwm_baseline_is_said(deepbind_dir, tmp_path):
    """A TF without a JASPAR matrix gets no PWM row, and a warning says so."""
    import shutil

    d = tmp_path / "db"
    d.mkdir()
    for part in ("AC", "B"):
        shutil.copy(deepbind_dir / f"MYC_tiny_{part}.seq.gz", d / f"NOTATF_x_{part}.seq.gz")
    jobs = benchmark.make_jobs([], ["cnn"], ["small"], deepbind_dir=d)
    benchmark.run_jobs(jobs, tmp_path / "ck", overrides=FAST)
    with pytest.warns(UserWarning, match="NOTATF_x: no JASPAR PWM scan baseline"):
        rows = benchmark.collect(jobs, tmp_path / "ck", overrides=FAST, progress=False)
    assert sorted(r["model"] for r in rows) == ["cnn-small", "kmer"]


def _fake_rows(rng, n=8):
    """Rows shaped like collect()'s: three deep models and two baselines on n datasets."""
    shift = {"cnn-medium": 0.05, "rnn-medium": -0.02, "cnn-rnn-medium": 0.051, "kmer": 0.0, "pwm": -0.2}
    base = rng.uniform(0.8, 0.9, n)
    rows = []
    for i in range(n):
        for m, s in shift.items():
            v = float(base[i] + s + rng.normal(0, 0.004))
            arch, size = (m.rsplit("-", 1) if m.endswith("medium") else (None, None))
            rows.append({"dataset": f"T{i}", "model": m, "kind": "deep" if arch else "baseline", "arch": arch,
                         "size": size, "auroc": v, "auroc_lo": v - 0.01, "auroc_hi": v + 0.01, "auprc": v,
                         "auprc_lo": v - 0.02, "auprc_hi": v + 0.02, "n": 1000})
    return rows


def test_table2_tests_table_and_claims(tmp_path):
    rows = _fake_rows(np.random.default_rng(1))
    doc = benchmark.write_table(rows, tmp_path)
    assert benchmark.load_table(tmp_path / "benchmark.json") == json.loads(json.dumps(doc))
    t2 = benchmark.table2(doc)
    assert list(t2.columns) == ["cnn-medium", "rnn-medium", "cnn-rnn-medium", "pwm", "kmer"]
    assert list(t2.index) == [f"T{i}" for i in range(8)] + ["mean"]
    r = next(r for r in rows if r["dataset"] == "T3" and r["model"] == "rnn-medium")
    assert t2.loc["T3", "rnn-medium"] == f"{r['auroc']:.3f} [{r['auroc_lo']:.3f}, {r['auroc_hi']:.3f}]"
    mean_cnn = np.mean([r["auroc"] for r in rows if r["model"] == "cnn-medium"])
    assert t2.loc["mean", "cnn-medium"] == f"{mean_cnn:.3f} (n=8)"
    tt = benchmark.tests_table(doc)
    assert len(tt) == 10 and tt["p_t"].notna().all()  # 5 models -> 10 pairs
    c = benchmark.claims(doc)
    assert c["cnn-medium", "rnn-medium"] == "cnn-medium > rnn-medium"
    assert c["rnn-medium", "kmer"] == "rnn-medium < kmer"
    # CNN-RNN and CNN differ by 0.001 against noise of 0.004: the test cannot tell them apart
    assert c["cnn-medium", "cnn-rnn-medium"] == "no difference"


def test_paper_claims_baseline_wins_and_sizes(tmp_path):
    rows = _fake_rows(np.random.default_rng(1))
    # T0: the CNN-RNN loses to the k-mer model; T1 also has a small and a large CNN
    for r in rows:
        if r["dataset"] == "T0" and r["model"] == "cnn-rnn-medium":
            r["auroc"] = next(q["auroc"] for q in rows if q["dataset"] == "T0" and q["model"] == "kmer") - 0.01
    cnn_t1 = next(r for r in rows if r["dataset"] == "T1" and r["model"] == "cnn-medium")
    rows += [{**cnn_t1, "model": f"cnn-{s}", "size": s, "auroc": cnn_t1["auroc"] + d}
             for s, d in (("small", -0.02), ("large", 0.01))]
    doc = benchmark.write_table(rows, tmp_path)
    pc = benchmark.paper_claims(doc).set_index("claim")
    assert list(pc.index) == [f"{a} > {b}" for a, b in benchmark.PAPER_CLAIMS]
    assert pc.loc["cnn-medium > pwm", "holds"] and pc.loc["cnn-medium > rnn-medium", "holds"]
    assert pc.loc["cnn-medium > rnn-medium", "wins"] == 8
    # tested as (cnn-medium, cnn-rnn-medium): the claim turns the pair round
    t = next(t for t in doc["tests"]["auroc"] if (t["a"], t["b"]) == ("cnn-medium", "cnn-rnn-medium"))
    assert pc.loc["cnn-rnn-medium > cnn-medium", "mean_diff"] == pytest.approx(-t["mean_diff"])
    assert pc.loc["cnn-rnn-medium > cnn-medium", "wins"] == t["n"] - t["a_wins"]
    assert not pc.loc["cnn-rnn-medium > cnn-medium", "holds"]
    bw = benchmark.baseline_wins(doc).set_index("model")
    assert bw.loc["cnn-rnn-medium", ["n", "beats_pwm", "beats_kmer", "beats_both"]].tolist() == [8, 8, 7, 7]
    assert bw.loc["cnn-rnn-medium", "not_both"] == "T0" and bw.loc["cnn-medium", "not_both"] == ""
    assert bw.loc["rnn-medium", "beats_kmer"] == 0  # 0.02 below it everywhere
    st = benchmark.sizes_table(doc)
    assert list(st.index) == [("T1", a) for a in ("cnn", "rnn", "cnn-rnn")]
    assert list(st.columns) == ["small", "medium", "large", "best"]
    assert st.loc[("T1", "cnn"), "best"] == "large" and st.loc[("T1", "rnn"), "best"] == "medium"
    assert st.loc[("T1", "rnn"), ["small", "large"]].isna().all()
