"""Tests of demolib.ground_truth: per-sequence AUROC / AUPRC of attribution
maps against planted sites, their bootstrap CIs, and one method end to end
on a tiny random model (no committed checkpoint needed)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from demolib import ground_truth as G
from demolib.data import Site, make_synthetic
from demolib.models import build_model, preset

torch.set_num_threads(1)


def _sites(starts, width=6):
    return [(Site("M", s, s + width, 1),) for s in starts]


def test_site_mask_marks_the_planted_positions():
    m = G.site_mask([(Site("M", 2, 5, 1),), (), (Site("M", 0, 1, -1), Site("M", 8, 10, 1))], 10)
    assert m.dtype == bool and m.shape == (3, 10)
    assert m[0].nonzero()[0].tolist() == [2, 3, 4]
    assert not m[1].any()
    assert m[2].nonzero()[0].tolist() == [0, 8, 9]
    with pytest.raises(ValueError, match="outside"):
        G.site_mask([(Site("M", 8, 12, 1),)], 10)


def test_perfect_map_scores_one_and_reversed_map_zero():
    sites = _sites([3, 10, 20])
    labels = G.site_mask(sites, 30)
    perfect = labels.astype(float) + np.random.default_rng(0).random(labels.shape) * 0.1  # ties broken inside
    gt = G.score_map(perfect, sites)
    np.testing.assert_array_equal(gt.auroc, 1.0)
    np.testing.assert_array_equal(gt.auprc, 1.0)
    assert gt.auroc_mean == 1.0 and gt.auroc_ci == (1.0, 1.0) and gt.n == 3
    rev = G.score_map(-perfect, sites)
    np.testing.assert_array_equal(rev.auroc, 0.0)
    assert rev.auprc.max() < 0.5
    np.testing.assert_allclose(gt.chance_auprc, 6 / 30)


def test_ties_count_half_and_a_constant_map_is_chance():
    sites = _sites([0, 5])
    gt = G.score_map(np.ones((2, 20)), sites)
    np.testing.assert_array_equal(gt.auroc, 0.5)
    np.testing.assert_allclose(gt.auprc, 6 / 20)  # one threshold: precision = site fraction


def test_per_sequence_auc_equals_sklearn_row_by_row():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, size=(25, 40)).astype(float)  # many ties
    labels = rng.random((25, 40)) < 0.25
    labels[:, 0], labels[:, 1] = True, False
    auroc, auprc = G.per_sequence_auc(scores, labels)
    for i in range(25):
        assert auroc[i] == pytest.approx(roc_auc_score(labels[i], scores[i]), abs=1e-12)
        assert auprc[i] == pytest.approx(average_precision_score(labels[i], scores[i]), abs=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        G.per_sequence_auc(np.full((1, 3), np.nan), np.array([[True, False, False]]))


def test_sequences_without_a_site_are_left_out():
    gt = G.score_map(np.random.default_rng(0).random((3, 20)), [(), *_sites([2, 9])])
    assert gt.n == 2 and gt.info["skipped"] == 1 and len(gt.auroc) == 2


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    v = np.random.default_rng(2).random(50)
    m, (lo, hi) = G.mean_ci(v, seed=0)
    assert lo < m < hi and m == pytest.approx(v.mean())
    assert G.mean_ci(v, seed=0) == (m, (lo, hi))
    assert G.mean_ci(v, seed=1)[1] != (lo, hi)
    assert np.isnan(G.mean_ci(np.array([0.3]))[1][0])


def test_score_method_end_to_end_on_a_tiny_model_and_row_is_json_ready():
    import json

    ds = make_synthetic("MAFK", n=60, seed=3)
    split = ds.train.positives()
    torch.manual_seed(0)
    model = build_model(preset("cnn", "small", conv_channels=4))
    gt = G.score_method(model, split, "saliency", n=10)
    assert gt.n == 10 and gt.info["method"] == "saliency" and 0 <= gt.auroc_mean <= 1
    row = gt.to_row()
    assert row["method"] == "saliency" and len(row["auroc"]) == 10
    json.dumps(row)
    assert "auroc" not in gt.to_row(per_sequence=False)
    with pytest.raises(ValueError, match="temporal needs 'recurrent'"):
        G.score_method(model, split, "temporal")


def test_ground_truth_figure_has_one_panel_per_tf():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from demolib import plots

    rows = [{"tf": tf, "arch": arch, "method": m, "auroc_mean": 0.8, "auroc_ci": [0.7, 0.9], "auprc_mean": 0.5,
             "auprc_ci": [0.4, 0.6]} for tf in ("GATA1", "MAFK") for arch in ("cnn", "cnn-rnn")
            for m in ("saliency", "ism")]
    fig = plots.ground_truth_auroc(rows)
    assert isinstance(fig, Figure)
    titles = sorted(ax.get_title() for ax in fig.axes if ax.get_title())
    assert titles == ["GATA1", "MAFK"]
    assert isinstance(plots.ground_truth_auroc(rows, metric="auprc"), Figure)
    with pytest.raises(ValueError, match="metric"):
        plots.ground_truth_auroc(rows, metric="f1")
    with pytest.raises(ValueError, match="no rows"):
        plots.ground_truth_auroc([])


def test_diagnostics_summarize_completeness_and_convergence():
    from demolib.attribution import Attribution

    a = Attribution("integrated-gradients", np.zeros((2, 4, 5)), np.zeros((2, 5)), np.zeros(2), np.array([2.0, 1.0]),
                    info={"completeness_gap": np.array([0.2, -0.3]), "baseline_score": np.array([0.0, 0.0])})
    assert G.diagnostics(a) == {"completeness_gap_rel_median": pytest.approx(0.2)}  # median of 0.1, 0.3
    d = Attribution("deeplift-shap", np.zeros((1, 4, 5)), np.zeros((1, 5)), np.zeros(1), np.zeros(1),
                    info={"convergence_delta": np.array([[1e-7, 3e-6]])})
    assert G.diagnostics(d) == {"convergence_delta_max": 3e-6}


def _rows(per_seq: dict) -> list[dict]:
    """Benchmark-like rows from {(tf, arch, method): per-sequence AUROCs}."""
    out = []
    for (tf, arch, m), v in per_seq.items():
        v = np.asarray(v, dtype=float)
        mean, ci = G.mean_ci(v)
        out.append({"dataset": f"synthetic-{tf}", "tf": tf, "arch": arch, "method": m, "auroc": v.tolist(),
                    "auroc_mean": mean, "auroc_ci": list(ci), "auprc": (v / 2).tolist(), "auprc_mean": mean / 2,
                    "auprc_ci": [ci[0] / 2, ci[1] / 2], "n": len(v)})
    return out


def test_table_has_one_row_per_method_in_registry_order():
    rng = np.random.default_rng(0)
    rows = _rows({("MAFK", "cnn-rnn", "temporal"): rng.random(20), ("MAFK", "cnn", "ism"): rng.random(20),
                  ("MAFK", "cnn", "saliency"): rng.random(20), ("GATA1", "cnn", "saliency"): rng.random(20)})
    t = G.table(rows)
    assert list(t.index) == ["Saliency", "ISM", "Temporal output scores"]
    assert list(t.columns) == [("GATA1", "CNN"), ("MAFK", "CNN"), ("MAFK", "CNN-RNN")]
    r = rows[2]
    assert t.loc["Saliency", ("MAFK", "CNN")] == (f"{r['auroc_mean']:.3f} [{r['auroc_ci'][0]:.3f}, "
                                                 f"{r['auroc_ci'][1]:.3f}]")
    assert t.loc["ISM", ("GATA1", "CNN")] == "–" and t.loc["Temporal output scores", ("MAFK", "CNN")] == "–"
    assert G.table(rows, "auprc", digits=2).loc["Saliency", ("MAFK", "CNN")].startswith(f"{r['auprc_mean']:.2f} [")
    with pytest.raises(ValueError, match="metric"):
        G.table(rows, "f1")


def test_paired_difference_against_the_best_and_a_named_method():
    rng = np.random.default_rng(1)
    sal = 0.8 * rng.random(40)
    ism = sal + 0.1 + 0.01 * rng.standard_normal(40)
    ig = sal - 0.05
    rows = _rows({("MAFK", "cnn", "saliency"): sal, ("MAFK", "cnn", "ism"): ism,
                  ("MAFK", "cnn", "integrated-gradients"): ig, ("GATA1", "cnn-rnn", "saliency"): sal,
                  ("GATA1", "cnn-rnn", "integrated-gradients"): sal})  # a tie: registry order picks saliency
    out = G.paired_difference(rows, "saliency")
    assert [(r["tf"], r["arch"], r["other"]) for r in out] == [("GATA1", "cnn-rnn", "saliency"),
                                                              ("MAFK", "cnn", "ism")]
    assert out[0]["diff_mean"] == 0.0 and out[0]["diff_ci"] == (0.0, 0.0)
    m = out[1]
    assert m["diff_mean"] == pytest.approx(float(np.mean(ism - sal)))
    assert m["diff_ci"][0] < m["diff_mean"] < m["diff_ci"][1] and m["diff_ci"][0] > 0.09
    assert m["method_mean"] == pytest.approx(sal.mean()) and m["other_mean"] == pytest.approx(ism.mean())
    named = G.paired_difference(rows, "saliency", "integrated-gradients")
    assert [r["diff_mean"] for r in named] == pytest.approx([0.0, -0.05])
    assert G.paired_difference(rows, "ism", "saliency")[0]["tf"] == "MAFK"  # only where both exist
    with pytest.raises(ValueError, match="no rows for method 'deeplift-shap'"):
        G.paired_difference(rows, "deeplift-shap")
    with pytest.raises(ValueError, match="per-sequence"):
        G.paired_difference([{k: v for k, v in r.items() if k != "auroc"} for r in rows], "saliency")


def test_planted_importance_reads_the_site_strand():
    from demolib import ground_truth, motifs
    from demolib.data import Site, jaspar_motif

    ic = motifs.information_content(jaspar_motif("GATA1").pwm)
    w = len(ic)
    t = ground_truth.planted_importance(40, [Site("GATA1", 3, 3 + w, 1), Site("GATA1", 20, 20 + w, -1)])
    assert t.shape == (40,)
    np.testing.assert_allclose(t[3:3 + w], ic)
    np.testing.assert_allclose(t[20:20 + w], ic[::-1])
    assert (t[:3] == 0).all() and (t[3 + w:20] == 0).all() and (t[20 + w:] == 0).all()


def test_motif_recovery_of_a_planted_matrix():
    from demolib import ground_truth
    from demolib.data import jaspar_motif, load_jaspar
    from demolib.motifs import tomtom

    nfyb = jaspar_motif("NFYB")
    pwm = np.random.default_rng(0).dirichlet(np.full(4, 20.0), size=101)  # near uniform, low IC
    pwm[40 : 40 + nfyb.width] = nfyb.pwm[::-1, ::-1]
    rec = ground_truth.motif_recovery(pwm, nfyb)
    assert (rec.motif, rec.k, rec.window) == (nfyb.id, nfyb.width, 40)
    assert rec.tomtom_rank == 1 and rec.tomtom_q < 0.05 and rec.found
    assert (rec.r_start, rec.r_strand, rec.r_rank) == (40, -1, 1) and rec.r == pytest.approx(1.0)
    assert rec.r_of == sum(m.width == nfyb.width for m in load_jaspar())
    np.testing.assert_allclose(rec.aligned, nfyb.pwm / nfyb.pwm.sum(1, keepdims=True))
    assert rec.aligned_q == pytest.approx(next(m.q for m in tomtom(nfyb.pwm, top=None) if m.id == nfyb.id))
    # a PWM without the matrix: the planted matrix is neither found nor ranked first
    other = np.random.default_rng(1).dirichlet(np.full(4, 20.0), size=101)
    other[40 : 40 + 10] = jaspar_motif("MAFK").pwm
    miss = ground_truth.motif_recovery(other, nfyb)
    assert not miss.found and miss.tomtom_q > 0.05 and miss.r < 0.9
    with pytest.raises(ValueError, match="not in the motif database"):
        ground_truth.motif_recovery(pwm, nfyb, database=[jaspar_motif("MAFK")])
