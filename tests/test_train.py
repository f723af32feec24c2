from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from demolib import train
from demolib.models import preset


def small_cnn():
    return preset("cnn", "small", conv_channels=16)


def test_metrics():
    m = train.metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]))
    assert m["auroc"] == pytest.approx(0.75) and m["accuracy"] == pytest.approx(0.5) and m["n"] == 4


def test_metrics_ranks_raw_scores_and_thresholds_accuracy():
    y = np.array([0, 0, 1, 1, 1])
    s = np.array([-40.0, 2.0, 1.0, 45.0, 50.0])  # a logistic squash ties 45 and 50 at 1.0 in float64
    m = train.metrics(y, s, threshold=1.5)
    assert m["auroc"] == pytest.approx(5 / 6)
    assert m["accuracy"] == pytest.approx(3 / 5)  # 2.0 and 45, 50 called positive


def test_fit_learns_and_is_deterministic(tiny_synthetic):
    tc = train.TrainConfig(epochs=6, lr=3e-3, batch_size=64, seed=7, patience=10)
    r1 = train.fit(small_cnn(), tiny_synthetic, tc, progress=False)
    r2 = train.fit(small_cnn(), tiny_synthetic, tc, progress=False)
    a1 = train.evaluate(r1.model, tiny_synthetic.test)["auroc"]
    a2 = train.evaluate(r2.model, tiny_synthetic.test)["auroc"]
    assert a1 == pytest.approx(a2, abs=1e-6)
    assert a1 > 0.8  # a planted MAFK motif is easy for a CNN
    assert [h["epoch"] for h in r1.history] == list(range(1, len(r1.history) + 1))
    assert not r1.model.training
    r3 = train.fit(small_cnn(), tiny_synthetic, train.TrainConfig(epochs=2, batch_size=64, seed=8), progress=False)
    assert train.evaluate(r3.model, tiny_synthetic.test)["auroc"] != pytest.approx(a1, abs=1e-6)


def test_early_stopping_waits_for_min_epochs(tiny_synthetic):
    small = tiny_synthetic
    tc = train.TrainConfig(epochs=5, lr=0.0, patience=1, min_epochs=4, batch_size=128)  # lr 0: never improves
    r = train.fit(small_cnn(), small, tc, progress=False)
    assert len(r.history) == 4
    tc = train.TrainConfig(epochs=5, lr=0.0, patience=1, min_epochs=0, batch_size=128)
    assert len(train.fit(small_cnn(), small, tc, progress=False).history) == 2


def test_lr_decay(tiny_synthetic):
    tc = train.TrainConfig(epochs=4, lr=1e-3, lr_step=2, lr_decay=0.5, patience=10, batch_size=128)
    r = train.fit(small_cnn(), tiny_synthetic, tc, progress=False)
    assert [h["lr"] for h in r.history] == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4])


def test_checkpoint_roundtrip(tmp_path, tiny_synthetic):
    r = train.fit(small_cnn(), tiny_synthetic, train.TrainConfig(epochs=1, batch_size=128), progress=False)
    train.save_checkpoint(tmp_path / "ck", r.model, metrics={"test": {"auroc": 0.5}}, provenance={"dataset": "x"})
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["checkpoint.json", "weights.pt"]
    ck = train.load_checkpoint(tmp_path / "ck")
    X = torch.as_tensor(tiny_synthetic.test.X[:5])
    with torch.no_grad():
        assert torch.equal(ck.model(X), r.model(X))
    assert ck.config == r.model.config and ck.provenance["dataset"] == "x"
    with pytest.raises(ValueError, match="holds a cnn model, not rnn"):
        train.load_checkpoint(tmp_path / "ck", arch="rnn")


def test_checkpoint_refuses_pickled_objects(tmp_path, tiny_synthetic):
    r = train.fit(small_cnn(), tiny_synthetic, train.TrainConfig(epochs=1, batch_size=128), progress=False)
    train.save_checkpoint(tmp_path / "ck", r.model)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, tmp_path / "ck" / "weights.pt")
    with pytest.raises(ValueError, match="cannot read weights safely"):
        train.load_checkpoint(tmp_path / "ck")


def test_checkpoint_errors(tmp_path, tiny_synthetic):
    with pytest.raises(FileNotFoundError, match="not a demolib checkpoint"):
        train.load_checkpoint(tmp_path)
    r = train.fit(small_cnn(), tiny_synthetic, train.TrainConfig(epochs=1, batch_size=128), progress=False)
    train.save_checkpoint(tmp_path / "ck", r.model)
    meta = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    meta["model_config"]["conv_channels"] = 99
    (tmp_path / "ck" / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="weights do not match"):
        train.load_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "checkpoint.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed checkpoint metadata"):
        train.load_checkpoint(tmp_path / "ck")


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    from demolib.utils import atomic_write

    p = tmp_path / "f.txt"
    atomic_write(p, "old")

    def boom(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(p, boom)
    assert p.read_text() == "old"
    assert [q.name for q in tmp_path.iterdir()] == ["f.txt"]


def test_evaluate_wrong_length(tiny_synthetic):
    from demolib.data import Split
    from demolib.models import build_model

    m = build_model(small_cnn())
    bad = Split(["ACGT" * 20], np.array([1]), ["short1"])
    with pytest.raises(ValueError, match="'short1' is 80 bp but the model takes 101"):
        train.evaluate(m, bad)


def test_checkpoint_bytes_are_reproducible(tmp_path, tiny_synthetic):
    r = train.fit(small_cnn(), tiny_synthetic, train.TrainConfig(epochs=1, batch_size=128), progress=False)
    train.save_checkpoint(tmp_path / "a", r.model)
    train.save_checkpoint(tmp_path / "b", r.model)
    assert (tmp_path / "a" / "weights.pt").read_bytes() == (tmp_path / "b" / "weights.pt").read_bytes()


def _stratified_resamples(y, n_boot, seed):
    """The bootstrap's resamples as explicit index arrays: positives and negatives each drawn
    with replacement (multinomial counts, positives first), as the paired bootstraps draw them."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    w = rng.multinomial(len(pos), np.full(len(pos), 1 / len(pos)), size=n_boot)
    v = rng.multinomial(len(neg), np.full(len(neg), 1 / len(neg)), size=n_boot)
    return [np.r_[np.repeat(pos, w[k]), np.repeat(neg, v[k])] for k in range(n_boot)]


def test_paired_bootstrap_auroc_diff_equals_resampled_sklearn():
    """The weighted-pairs formula equals sklearn's AUROC on the explicitly resampled test set."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = np.r_[np.ones(30), np.zeros(40)].astype(int)
    pa, pb = rng.random(70).round(1) + 0.3 * y, rng.random(70)  # rounding makes ties
    d = train.paired_bootstrap_auroc_diff(y, pa, pb, n_boot=5, seed=7)
    for k, idx in enumerate(_stratified_resamples(y, 5, seed=7)):
        ref = roc_auc_score(y[idx], pa[idx]) - roc_auc_score(y[idx], pb[idx])
        assert d[k] == pytest.approx(ref, abs=1e-12)
    assert np.array_equal(d, train.paired_bootstrap_auroc_diff(y, pa, pb, n_boot=5, seed=7))


def test_paired_bootstrap_diff_any_metric():
    """The general paired bootstrap (chapter 05, exercise 2): the AUROC one's resamples, scored by sklearn."""
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(4)
    y = np.r_[np.ones(25), np.zeros(35)].astype(int)
    pa, pb = rng.random(60).round(1) + 0.4 * y, rng.random(60)  # rounding makes ties
    # with metric="auroc" it is the fast weighted-pairs version
    assert train.paired_bootstrap_diff(y, pa, pb, "auroc", n_boot=6, seed=2) == pytest.approx(
        train.paired_bootstrap_auroc_diff(y, pa, pb, n_boot=6, seed=2), abs=1e-12)
    # AUPRC on explicitly resampled index arrays, drawn as in the AUROC test above
    d = train.paired_bootstrap_diff(y, pa, pb, "auprc", n_boot=6, seed=2)
    for k, idx in enumerate(_stratified_resamples(y, 6, seed=2)):
        ref = average_precision_score(y[idx], pa[idx]) - average_precision_score(y[idx], pb[idx])
        assert d[k] == pytest.approx(ref, abs=1e-12)
    assert np.array_equal(d, train.paired_bootstrap_diff(y, pa, pb, "auprc", n_boot=6, seed=2))
    assert d.mean() > 0  # model a separates the classes, model b is noise
    with pytest.raises(ValueError, match="unknown metric 'accuracy'"):
        train.paired_bootstrap_diff(y, pa, pb, "accuracy")


def test_load_or_retrain_loads_the_committed_checkpoint_by_default():
    from demolib import data, train

    ds = data.load_dataset("MAFK")
    ck = train.load_or_retrain(ds, "cnn")
    assert ck.path == train.load_committed("MAFK", "cnn").path


def test_stop_reason():
    h = [{"epoch": e, "valid_auroc": v, "steps": 10 * e} for e, v in enumerate([0.6, 0.7, 0.69, 0.68, 0.7], 1)]
    assert train.stop_reason(h, {"patience": 3, "epochs": 30}) == "patience"  # 3 rounds after the best (round 2)
    assert train.stop_reason(h, {"patience": 5, "epochs": 5}) == "epoch cap"
    assert train.stop_reason(h, {"patience": 3, "epochs": 30, "max_steps": 50}) == "step budget"
    assert train.stop_reason(h, {"patience": 3, "epochs": 5, "min_epochs": 6}) == "epoch cap"
    assert train.stop_reason(h[:4], {"patience": 3, "epochs": 30}) == "epoch cap"  # not yet 3 rounds
    # a sample budget is a step budget at the run's minibatch: 500 sequences at 10 a step allow 50 steps
    hb = [{**r, "batch_size": 10} for r in h]
    assert train.stop_reason(hb, {"patience": 3, "epochs": 30, "max_samples": 500}) == "step budget"
    assert train.stop_reason(hb, {"patience": 3, "epochs": 30, "max_samples": 501}) == "patience"


def test_step_cap_and_schedule():
    """max_steps and max_samples: the smaller cap applies, and only a binding cap is part of the schedule."""
    assert train.step_cap({}, 256) is None
    assert train.step_cap({"max_samples": 1000}, 256) == 4  # rounded up to whole minibatches
    assert train.step_cap({"max_samples": 1000, "max_steps": 3}, 256) == 3
    tc = train.TrainConfig(epochs=30, batch_size=None, min_samples=0, max_samples=500_000)
    big, small = train.schedule(tc, 68_000), train.schedule(tc, 6_400)  # 266 and 25 minibatches of 256
    assert (big["batch_size"], big["steps_per_round"], big["max_steps"]) == (256, 266, 1954)
    assert "max_steps" not in small  # 30 x 25 steps never reach the cap
    assert small == train.schedule(train.TrainConfig(epochs=30, batch_size=None, min_samples=0), 6_400)
    assert "max_samples" not in big


def test_fit_stops_at_the_sample_budget(tiny_synthetic):
    """fit() ends a run after max_samples sequences (whole minibatches), inside a round."""
    tc = train.TrainConfig(epochs=6, lr=3e-3, batch_size=64, seed=7, patience=10, max_samples=64 * 7 + 1)
    r = train.fit(small_cnn(), tiny_synthetic, tc, progress=False)
    assert r.history[-1]["steps"] == 8 and train.stop_reason(r.history, tc) == "step budget"
    assert len(r.history) == -(-8 // -(-len(tiny_synthetic.train) // 64))
