"""The committed checkpoints and results: the AUROC bars of the core issue."""
from __future__ import annotations

import json

import pytest

from demolib import baselines, data, train

BARS = {"cnn": 0.97, "cnn-rnn": 0.95, "rnn": 0.90}


@pytest.fixture(scope="module")
def mafk():
    return data.load_dataset("MAFK")


@pytest.fixture(scope="module")
def pwm_auroc(mafk):
    return baselines.pwm_baseline(mafk, "MAFK")["auroc"]


def test_pwm_baseline_is_sensible(pwm_auroc):
    assert 0.75 < pwm_auroc < 0.9  # about 0.82 on the MAFK test split


@pytest.mark.parametrize("arch", list(BARS))
def test_committed_mafk_checkpoint_meets_bar(arch, mafk, pwm_auroc):
    ck = train.load_committed("MAFK", arch)
    assert ck.config.size == "medium" and ck.provenance["dataset"] == "MAFK"
    m = train.evaluate(ck.model, mafk.test)
    assert m["auroc"] >= BARS[arch]
    assert m["auroc"] > pwm_auroc
    # the stored metric is what the checkpoint really scores
    assert ck.metrics["test"]["auroc"] == pytest.approx(m["auroc"], abs=1e-6)


def test_results_json_matches_checkpoints():
    rows = json.loads((data.DATA_DIR / "results" / "performance.json").read_text())["rows"]
    for r in rows:
        if r["model"] in BARS:
            ck = train.load_committed(r["tf"], r["model"])
            assert ck.metrics["test"]["auroc"] == pytest.approx(r["auroc"], abs=1e-6), r
    models = {(r["tf"], r["model"]) for r in rows}
    for tf in data.REAL_TFS:
        assert {(tf, "pwm"), (tf, "kmer")} <= models


@pytest.mark.parametrize("tf", ["MAFK", "POU5F1"])
@pytest.mark.parametrize("arch", ["cnn", "cnn-rnn"])
def test_saliency_motif_matches_known_family(tf, arch):
    """Issue 3: the aggregated saliency motif names the TF's JASPAR motif or family in the top 5, q < 0.05."""
    from demolib import motifs

    pos = data.load_dataset(tf).test.positives()
    ck = train.load_committed(tf, arch)
    ext = motifs.extract_motif(ck.model, pos.seqs, "saliency", k=10)
    matches = motifs.tomtom(ext.pwm, top=5)
    assert motifs.matches_known(matches, tf, q=0.05, top=5), [(m.name, m.q) for m in matches]
    fam = {"MAFK": "Maf-related", "POU5F1": "POU domain factors"}[tf]
    assert any(fam in m.families and m.q < 0.05 for m in matches)


GRAMMAR_MODELS = [("cnn", "small"), ("cnn", "medium"), ("cnn-rnn", "medium")]


@pytest.fixture(scope="module")
def grammar():
    return data.load_dataset("synthetic-grammar")


@pytest.mark.parametrize("arch,size", GRAMMAR_MODELS)
def test_committed_grammar_checkpoints_match_the_shipped_set(arch, size, grammar):
    """Chapter 04's grammar models: trained on today's grammar set with the `make checkpoints` budget,
    and the stored test AUROC is what they score now."""
    ck = train.load_committed("synthetic-grammar", arch, size)
    assert (ck.config.arch, ck.config.size) == (arch, size)
    assert {k: ck.provenance[k] for k in grammar.provenance} == grammar.provenance
    assert ck.provenance["counts"] == grammar.counts()
    assert train.schedule(ck.train_config, len(grammar.train)) == train.schedule(
        train.default_train_config(arch, epochs=12, min_epochs=12, min_samples=576_000, max_samples=None),
        len(grammar.train))
    m = train.evaluate(ck.model, grammar.test, ci=False)
    assert ck.metrics["test"]["auroc"] == pytest.approx(m["auroc"], abs=1e-6)


def _rows_match_checkpoints(deep: dict) -> None:
    """Each deep row's AUROC is its chosen checkpoint's own test AUROC (the grid point it names)."""
    from demolib import benchmark

    for (d, a, s), r in deep.items():
        key = benchmark.Job(d, a, s, lr_scale=r["lr_scale"]).key
        meta = json.loads((data.DATA_DIR / "checkpoints" / key / "checkpoint.json").read_text())
        assert meta["metrics"]["test"]["auroc"] == pytest.approx(r["auroc"], abs=1e-6), key
        assert meta["metrics"]["valid"]["auroc"] == pytest.approx(r["valid_auroc"], abs=1e-9), key
        assert r["auroc_lo"] <= r["auroc"] <= r["auroc_hi"] and r["auprc_lo"] <= r["auprc"] <= r["auprc_hi"], key
        grid = {float(k): float(v) for k, v in (g.split(":") for g in r["grid"].split(";"))}
        assert grid[r["lr_scale"]] == max(grid.values()) == round(r["valid_auroc"], 4), (key, grid)  # chosen on validation
        for x in grid:  # every grid point is committed
            assert (data.DATA_DIR / "checkpoints" / benchmark.Job(d, a, s, lr_scale=x).key / "checkpoint.json").exists()


def test_benchmark_sizes_table_is_at_the_default_learning_rate():
    """Issue 9: the committed size comparison (GABPA, MYC, ELK1 x three architectures x small,
    medium, large) compares the sizes at equal settings: every run at the default learning rate,
    its medium rows the very checkpoints of Table 2's 1x grid point, and its baselines Table 2's."""
    from demolib import benchmark

    doc = benchmark.load_table(benchmark.SIZES_DIR)
    deep = {(r["dataset"], r["arch"], r["size"]): r for r in doc["rows"] if r["kind"] == "deep"}
    assert {d for d, _, _ in deep} == {"GABPA", "MYC", "ELK1"}
    assert {(d, a) for d, a, s in deep if s == "medium"} == {(d, a) for d in ("GABPA", "MYC", "ELK1")
                                                              for a in ("cnn", "rnn", "cnn-rnn")}
    assert all(r["lr_scale"] == 1 and r["grid"].count(":") == 1 for r in deep.values())
    _rows_match_checkpoints(deep)
    table2 = {(r["dataset"], r["model"]): r["auroc"] for r in benchmark.load_table()["rows"] if r["kind"] == "baseline"}
    for r in doc["rows"]:
        if r["kind"] == "baseline":
            assert r["auroc"] == table2[r["dataset"], r["model"]], (r["dataset"], r["model"])
    st = benchmark.sizes_table(doc)
    assert len(st) == 9 and {"small", "medium", "large"} >= set(st.columns.drop("best"))


def test_benchmark_table_matches_checkpoints():
    """Issue 9: the committed Table 2 analog has the ten real TFs x three medium networks with
    bootstrap CIs and both baselines, each network's AUROC is its benchmark checkpoint's own test
    AUROC, and the paired tests cover every pair of the compared models."""
    from demolib import benchmark

    doc = benchmark.load_table()
    deep = {(r["dataset"], r["arch"], r["size"]): r for r in doc["rows"] if r["kind"] == "deep"}
    archs = ("cnn", "rnn", "cnn-rnn")
    assert {(d, a) for d, a, s in deep if s == "medium"} == {(tf, a) for tf in data.ALL_REAL_TFS for a in archs}
    for tf in data.ALL_REAL_TFS:
        assert {r["model"] for r in doc["rows"] if r["dataset"] == tf and r["kind"] == "baseline"} == {"pwm", "kmer"}
    assert {s for _, _, s in deep} == {"medium"}
    # the same tuning grid for every model (`make checkpoints`: --lr-scales 1,3), the choice made on validation
    assert all([g.split(":")[0] for g in r["grid"].split(";")] == ["1", "3"] for r in deep.values())
    _rows_match_checkpoints(deep)
    compared = [f"{a}-medium" for a in archs] + ["pwm", "kmer"]
    for metric in ("auroc", "auprc"):
        tests = {(t["a"], t["b"]): t for t in doc["tests"][metric]}
        assert len(tests) == 10 and all((t["n"], t["p_t"] is not None, "p_wilcoxon" in t) == (10, True, True)
                                        for t in tests.values()), metric
        assert {m for pair in tests for m in pair} == set(compared)
