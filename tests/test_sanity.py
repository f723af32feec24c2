"""Tests of demolib.sanity: cascading weight randomization and the Spearman
comparison of attribution maps (tiny random models, a few sequences)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from demolib import sanity
from demolib.attribution import Attribution
from demolib.data import ALPHABET, one_hot
from demolib.models import build_model, preset

torch.set_num_threads(1)


def _model(arch: str, **over):
    torch.manual_seed(0)
    kw = dict(seq_len=30, conv_channels=6, hidden=6, conv_widths=(5, 3, 3) if arch == "cnn" else (5,))
    kw.update(over)
    return build_model(preset(arch, "small", **kw))


def _onehot(n: int, length: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return one_hot(["".join(rng.choice(list(ALPHABET), length)) for _ in range(n)])


def _input_only(model, X, **kw) -> Attribution:
    """A 'method' that ignores the model: the map is a fixed function of the input."""
    X = np.asarray(X, dtype=np.float32)
    pp = (X * np.arange(1, 5, dtype=np.float32)[None, :, None]).sum(axis=1)
    n = X.shape[0]
    return Attribution("stub", X * pp[:, None, :], pp, np.zeros(n), np.zeros(n))


def test_layers_in_forward_order():
    assert [n for n, _ in sanity.layers(_model("cnn"))] == ["conv.0", "conv.4", "conv.8", "linear"]
    assert [n for n, _ in sanity.layers(_model("cnn-rnn"))] == ["conv", "head.lstm", "head.linear"]
    assert [n for n, _ in sanity.layers(_model("rnn"))] == ["head.lstm", "head.linear"]


@pytest.mark.parametrize("arch", ["cnn", "cnn-rnn"])
def test_cascade_changes_one_more_layer_per_step_and_leaves_the_model_alone(arch):
    model = _model(arch)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng_before = torch.get_rng_state()
    steps = sanity.cascade_models(model, seed=0)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the global RNG is untouched
    order = [n for n, _ in sanity.layers(model)][::-1]
    assert [n for n, _ in steps] == ["trained", *order]
    assert steps[0][1] is model
    for k, (name, m) in enumerate(steps[1:], start=1):
        assert m is not model
        sd = m.state_dict()
        for layer in order:
            changed = [not torch.equal(sd[p], before[p]) for p in before if p.startswith(layer + ".")]
            assert changed, layer
            # the top k layers are re-initialized (every tensor changed), the others untouched
            assert all(changed) if layer in order[:k] else not any(changed), (k, layer)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    # seeded: the same cascade twice gives the same weights
    again = sanity.cascade_models(model, seed=0)
    for (_, a), (_, b) in zip(steps, again):
        for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(va, vb), k


def test_randomize_rejects_unknown_layers():
    with pytest.raises(ValueError, match="unknown layers.*conv.0"):
        sanity.randomize(_model("cnn"), ["conv.9"], seed=0)


def test_spearman_rows_equals_scipy_row_by_row():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, size=(12, 30)).astype(float)  # ties
    b = a + rng.normal(size=a.shape)
    rho = sanity.spearman_rows(a, b)
    for i in range(12):
        assert rho[i] == pytest.approx(spearmanr(a[i], b[i]).statistic, abs=1e-12)
    a[3] = 1.0
    assert np.isnan(sanity.spearman_rows(a, b)[3])


def test_a_method_that_ignores_the_weights_is_flagged():
    model = _model("cnn")
    X = _onehot(4)
    rows = sanity.cascade(model, X, _input_only)
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert all(r["rho_abs"] == pytest.approx(1.0) for r in rows)
    f = sanity.flags([{**r, "method": "stub"} for r in rows])
    assert len(f) == 1 and f[0]["flagged"] and f[0]["rho_abs_final"] == pytest.approx(1.0)


@pytest.mark.parametrize("arch,method", [("cnn", "saliency"), ("cnn", "ism"), ("cnn-rnn", "temporal"),
                                         ("rnn", "saliency-corrected")])
def test_registered_methods_change_with_the_weights(arch, method):
    X = _onehot(6)
    rows = sanity.cascade(_model(arch), X, method)
    assert rows[0]["rho_abs"] == pytest.approx(1.0) and rows[0]["layer"] == "trained"
    assert rows[-1]["rho_abs"] < 0.9  # a random model's maps are not the trained one's
    assert {"rho_abs", "rho_signed", "rho_abs_sd", "n_nan", "layer", "step"} <= set(rows[0])
    assert not sanity.flags([{**r, "method": method} for r in rows], threshold=0.9)[0]["flagged"]


def test_sanity_figure_has_one_panel_per_architecture():
    import matplotlib

    matplotlib.use("Agg")
    from demolib import plots

    rows = [{"dataset": ds, "arch": "cnn", "method": m, "step": k, "layer": layer, "rho_abs": 1.0 - 0.2 * k}
            for ds in ("a", "b") for m in ("saliency", "ism")
            for k, layer in enumerate(["trained", "linear", "conv.0"])]
    rows += [{**r, "arch": "cnn-rnn"} for r in rows]
    fig = plots.sanity_cascade(rows, threshold=0.5)
    assert [ax.get_title() for ax in fig.axes] == ["CNN", "CNN-RNN"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["trained", "+linear", "+conv.0"]


def test_table_marks_flagged_methods():
    fl = [{"dataset": "synthetic-MAFK", "arch": a, "method": m, "rho_abs_final": rho, "flagged": rho > 0.5}
          for a, m, rho in [("cnn-rnn", "temporal", 0.3), ("cnn", "ism", 0.61), ("cnn", "saliency", 0.2)]]
    t = sanity.table(fl)
    assert list(t.index) == ["Saliency", "ISM", "Temporal output scores"]
    assert list(t.columns) == [("synthetic-MAFK", "CNN"), ("synthetic-MAFK", "CNN-RNN")]
    assert t.loc["ISM", ("synthetic-MAFK", "CNN")] == "0.610 (flagged)"
    assert t.loc["Saliency", ("synthetic-MAFK", "CNN")] == "0.200"
    assert t.loc["Temporal output scores", ("synthetic-MAFK", "CNN")] == "–"
