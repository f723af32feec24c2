"""Tests of demolib.attribution: the registry, every method's shapes, and each
fast implementation against its slow reference (and tangermeme's).

Tiny seeded random models (small presets, 8 channels / 8 hidden units) and a
few 24-bp sequences keep the file at a few seconds.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from demolib import attribution as A
from demolib import interpret
from demolib.attribution.correction import correct_gradient, correct_gradient_naive
from demolib.attribution.deeplift_shap import deeplift_shap, hookable_view
from demolib.attribution.integrated_gradients import integrated_gradients, integrated_gradients_naive, path_weights
from demolib.attribution.ism import ism, ism_naive, ism_tangermeme
from demolib.attribution._common import shuffled_baselines
from demolib.data import ALPHABET, one_hot
from demolib.models import ARCHS, build_model, preset

torch.set_num_threads(1)

L = 24


def _model(arch: str, seed: int = 0, **overrides) -> nn.Module:
    torch.manual_seed(seed)
    kw = dict(seq_len=L)
    if arch != "rnn":
        kw.update(conv_channels=8)
    if arch != "cnn":
        kw.update(hidden=8)
    kw.update(overrides)
    return build_model(preset(arch, "small", **kw))


def _onehot(n: int, length: int = L, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return one_hot(["".join(rng.choice(list(ALPHABET), length)) for _ in range(n)])


def _state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _Linear(nn.Module):
    """S_1(x) = sum w * x: a model linear in its input (no config: any length)."""

    def __init__(self, length: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter(torch.randn(4, length, generator=g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = (x * self.w).sum(dim=(1, 2))
        return torch.stack([torch.zeros_like(s), s], dim=1)


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------
def test_every_registered_method_resolves_to_a_function():
    assert list(A.ATTRIBUTIONS) == ["saliency", "saliency-corrected", "integrated-gradients", "ig-corrected", "ism",
                                    "deeplift-shap", "temporal"]
    for name, spec in A.ATTRIBUTIONS.items():
        assert spec.name == name and callable(spec.fn) and spec.kind in A.KINDS and spec.label
        assert set(spec.needs) <= set(A.NEEDS)
    assert A.ATTRIBUTIONS["temporal"].kind == "temporal"


def test_unknown_method_fails_loudly_with_the_known_names():
    model = _model("cnn")
    for call in (lambda: A.method("smoothgrad"), lambda: A.attribute(model, _onehot(1), "smoothgrad"),
                 lambda: A.applicable("smoothgrad", model)):
        with pytest.raises(ValueError, match="unknown attribution method 'smoothgrad'.*saliency.*ism.*temporal"):
            call()
    with pytest.raises(ValueError, match="unknown needs"):
        A.MethodSpec("x", "X", "ism:ism", frozenset({"telepathy"}))
    with pytest.raises(ValueError, match="unknown kind"):
        A.methods_for(model, kind="magic")


def test_one_registry_entry_is_all_a_method_needs(monkeypatch):
    """A new entry is listed, checked for its needs and run by attribute() with no other change."""
    spec = A.MethodSpec("test-method", "Test", "correction:saliency_corrected", frozenset({"recurrent"}))
    monkeypatch.setitem(A.ATTRIBUTIONS, "test-method", spec)
    assert "test-method" in A.methods_for(_model("rnn"))
    assert "test-method" not in A.methods_for(_model("cnn"))
    assert A.attribute(_model("rnn"), _onehot(1), "test-method").values.shape == (1, 4, L)
    with pytest.raises(ValueError, match="test-method needs 'recurrent'"):
        A.attribute(_model("cnn"), _onehot(1), "test-method")


def test_methods_for_each_architecture():
    assert A.methods_for(_model("cnn")) == ["saliency", "saliency-corrected", "integrated-gradients", "ig-corrected",
                                            "ism", "deeplift-shap"]
    for arch in ("rnn", "cnn-rnn"):
        assert A.methods_for(_model(arch)) == ["saliency", "saliency-corrected", "integrated-gradients",
                                               "ig-corrected", "ism", "temporal"]
        assert A.methods_for(_model(arch), kind="temporal") == ["temporal"]


def test_inapplicable_methods_say_why():
    X = _onehot(1)
    with pytest.raises(ValueError, match="temporal needs 'recurrent'.*cnn model.*max-pools"):
        A.attribute(_model("cnn"), X, "temporal")
    for arch in ("rnn", "cnn-rnn"):
        assert not A.applicable("deeplift-shap", _model(arch))
        with pytest.raises(ValueError, match="deeplift-shap needs 'hookable'.*nn.LSTM.*gate"):
            A.attribute(_model(arch), X, "deeplift-shap")
        with pytest.raises(ValueError, match="nn.LSTM"):  # the module function checks too
            deeplift_shap(_model(arch), X)
    with pytest.raises(ValueError, match="recurrent"):
        A.ATTRIBUTIONS["temporal"].fn(_model("cnn"), X)


def test_attribution_checks_its_shapes():
    with pytest.raises(ValueError, match=r"values must have shape \(N, 4, L\)"):
        A.Attribution("x", np.zeros((2, 3, 5)), np.zeros((2, 5)), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="per_position must have shape"):
        A.Attribution("x", np.zeros((2, 4, 5)), np.zeros((2, 4)), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="prob must have shape"):
        A.Attribution("x", np.zeros((2, 4, 5)), np.zeros((2, 5)), np.zeros(3), np.zeros(2))


# --------------------------------------------------------------------------
# Every method on every architecture it applies to
# --------------------------------------------------------------------------
FAST = {"integrated-gradients": dict(steps=4, n_baselines=2), "ig-corrected": dict(steps=4, n_baselines=2),
        "deeplift-shap": dict(n_shuffles=3)}


@pytest.mark.parametrize("arch", ARCHS)
def test_shapes_dtypes_and_model_untouched(arch):
    model = _model(arch)
    model.train()  # every method must run in eval mode and restore this
    before = _state(model)
    X = _onehot(3)
    ref = copy.deepcopy(model).eval()
    with torch.no_grad():
        prob = torch.softmax(ref(torch.as_tensor(X)), dim=1)[:, 1].numpy()
    for name in A.methods_for(model):
        a = A.attribute(model, X, name, **FAST.get(name, {}))
        assert a.method == name
        assert a.values.shape == (3, 4, L) and a.values.dtype == np.float32
        assert a.per_position.shape == (3, L) and a.per_position.dtype == np.float32
        assert a.prob.shape == a.score.shape == (3,) and a.prob.dtype == np.float32
        assert np.isfinite(a.values).all() and np.isfinite(a.per_position).all()
        assert (a.per_position >= 0).all()
        np.testing.assert_allclose(a.prob, prob, atol=1e-5, err_msg=name)
        assert model.training and all(m.training for m in model.modules()), name
        for k, v in model.state_dict().items():
            assert torch.equal(v, before[k]), (name, k)
    # a single (4, L) sequence is N = 1
    assert A.attribute(model, X[0], "saliency").values.shape == (1, 4, L)


@pytest.mark.parametrize("arch", ARCHS)
def test_saliency_is_the_papers_unchanged(arch):
    model = _model(arch)
    X = _onehot(3)
    s = interpret.saliency(model, X)
    a = A.attribute(model, X, "saliency")
    np.testing.assert_array_equal(a.per_position, s.per_position)
    np.testing.assert_allclose(a.values.sum(axis=1), s.per_position, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a.info["gradient"], s.gradient)


# --------------------------------------------------------------------------
# ISM
# --------------------------------------------------------------------------
ISM_MODELS = [("cnn", {}), ("cnn", dict(seq_len=40, conv_widths=(5, 3, 3), pool=2)), ("rnn", {}), ("cnn-rnn", {})]


@pytest.mark.parametrize("arch,over", ISM_MODELS, ids=["cnn", "cnn-3-layers", "rnn", "cnn-rnn"])
def test_ism_fast_equals_slow_reference_and_tangermeme(arch, over):
    model = _model(arch, **over)
    length = over.get("seq_len", L) + 3  # a few bases past the last full receptive field
    X = _onehot(2, length, seed=1)
    slow = ism_naive(model, X)
    tm = ism_tangermeme(model, X)
    np.testing.assert_allclose(tm, slow, atol=1e-5)
    methods = ["batched", "window"] if arch == "cnn" else ["batched"]
    for m in methods:
        a = ism(model, X, implementation=m, batch_size=7)  # batches that cut through sequences
        assert a.info["implementation"] == m
        np.testing.assert_allclose(a.values, slow, atol=1e-5, err_msg=m)
        assert (a.values[X == 1] == 0).all()  # no substitution at the base present
        np.testing.assert_allclose(a.per_position, np.abs(slow.sum(axis=1) / 3), atol=1e-5)
    assert ism(model, X).info["implementation"] == methods[-1]
    assert np.abs(slow).max() > 1e-4  # the models are not flat


def test_ism_window_only_for_the_cnn():
    with pytest.raises(ValueError, match="window"):
        ism(_model("rnn"), _onehot(1), implementation="window")
    with pytest.raises(ValueError, match="unknown ISM implementation"):
        A.attribute(_model("cnn"), _onehot(1), method="ism", implementation="fast")


def test_ism_at_an_unknown_base_tries_all_four():
    model = _model("cnn-rnn")
    X = _onehot(1)
    X[0, :, 5] = 0  # an N
    a = ism(model, X)
    slow = ism_naive(model, X)
    np.testing.assert_allclose(a.values, slow, atol=1e-5)
    assert (a.values[0, :, 5] != 0).all()
    np.testing.assert_allclose(a.per_position[0, 5], abs(slow[0, :, 5].mean()), atol=1e-5)


def test_ism_and_corrected_saliency_agree_on_a_linear_model():
    """-mean_{b != a} Delta = 4/3 (w_a - mean_b w_b): the per-position reduction puts them on one scale."""
    model = _Linear(L)
    X = _onehot(2)
    a = ism(model, X)
    c = A.attribute(model, X, "saliency-corrected")
    np.testing.assert_allclose(a.per_position, 4 / 3 * c.per_position, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# Gradient correction
# --------------------------------------------------------------------------
def test_corrected_gradient_has_zero_mean_over_bases():
    g = np.random.default_rng(0).normal(size=(3, 4, L)).astype(np.float32)
    c = correct_gradient(g)
    np.testing.assert_allclose(c.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(c, correct_gradient_naive(g), atol=1e-6)
    np.testing.assert_allclose(correct_gradient(torch.as_tensor(g)).numpy(), c, atol=1e-6)
    for arch in ARCHS:
        model = _model(arch)
        X = _onehot(2)
        a = A.attribute(model, X, "saliency-corrected")
        np.testing.assert_allclose(a.info["gradient"].mean(axis=1), 0, atol=1e-6)
        g_raw = interpret.saliency(model, X).gradient
        np.testing.assert_allclose(a.values, (g_raw - g_raw.mean(axis=1, keepdims=True)) * X, atol=1e-6)
        np.testing.assert_allclose(a.per_position, np.abs(a.values.sum(axis=1)), atol=1e-7)


def test_ig_correction_changes_per_position_only_off_the_simplex():
    model = _model("cnn")
    X = _onehot(2)
    kw = dict(steps=6, n_baselines=2)
    ig, igc = A.attribute(model, X, "integrated-gradients", **kw), A.attribute(model, X, "ig-corrected", **kw)
    np.testing.assert_allclose(igc.per_position, ig.per_position, atol=1e-5)  # one-hot baselines
    assert np.abs(igc.values - ig.values).max() > 1e-4  # ... but the split among bases changes
    z, zc = (A.attribute(model, X, m, baseline="zero", steps=6) for m in ("integrated-gradients", "ig-corrected"))
    assert np.abs(zc.per_position - z.per_position).max() > 1e-4


# --------------------------------------------------------------------------
# Integrated gradients
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("baseline,correct,rule", [("shuffle", False, "trapezoid"), ("zero", True, "riemann")])
def test_integrated_gradients_batched_equals_loop(arch, baseline, correct, rule):
    model = _model(arch)
    X = _onehot(2)
    kw = dict(baseline=baseline, n_baselines=2, steps=3, rule=rule, seed=3, correct=correct)
    fast = integrated_gradients(model, X, batch_size=5, **kw)  # chunks of one sequence
    slow = integrated_gradients_naive(model, X, **kw)
    np.testing.assert_allclose(fast.values, slow, atol=2e-6)
    assert fast.info["n_baselines"] == (2 if baseline == "shuffle" else 1)


@pytest.mark.parametrize("arch", ["cnn", "rnn"])
def test_integrated_gradients_completeness_improves_with_steps(arch):
    """sum(attr) = S(x) - mean S(x'): the gap of the trapezoid rule shrinks as m grows."""
    model = _model(arch)
    X = _onehot(3, seed=2)
    gaps = {}
    for m in (1, 4, 64):
        a = integrated_gradients(model, X, steps=m, n_baselines=2)
        total = a.score - a.info["baseline_score"]
        np.testing.assert_allclose(a.info["completeness_gap"], a.values.sum(axis=(1, 2)) - total, atol=1e-5)
        gaps[m] = np.abs(a.info["completeness_gap"]).max()
        scale = np.abs(total).max()
    assert gaps[64] < gaps[4] < gaps[1]
    assert gaps[64] < 0.01 * scale + 1e-5
    # the zero baseline: the same property
    z = integrated_gradients(model, X, baseline="zero", steps=64)
    assert np.abs(z.info["completeness_gap"]).max() < 0.01 * np.abs(z.score - z.info["baseline_score"]).max() + 1e-5


def test_integrated_gradients_rules_and_baselines():
    a, w = path_weights(4)
    np.testing.assert_allclose(a, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(w, [0.125, 0.25, 0.25, 0.25, 0.125])
    assert path_weights(4, "riemann")[0].tolist() == [0, 0.25, 0.5, 0.75]
    with pytest.raises(ValueError, match="unknown rule"):
        path_weights(4, "simpson")
    with pytest.raises(ValueError, match="steps"):
        path_weights(0)
    with pytest.raises(ValueError, match="unknown baseline 'mean'.*shuffle.*zero"):
        integrated_gradients(_model("cnn"), _onehot(1), baseline="mean")


def test_shuffled_baselines_keep_dinucleotides_and_do_not_depend_on_the_batch():
    X = _onehot(3)
    B = shuffled_baselines(X, 4, seed=0)
    assert B.shape == (3, 4, 4, L)
    np.testing.assert_array_equal(B.sum(axis=2), 1)  # one-hot
    for i in range(3):
        di = np.einsum("kl,ml->km", X[i][:, :-1], X[i][:, 1:])
        for r in range(4):
            np.testing.assert_array_equal(np.einsum("kl,ml->km", B[i, r][:, :-1], B[i, r][:, 1:]), di)
    assert not np.array_equal(B[0, 0], B[0, 1])
    np.testing.assert_array_equal(shuffled_baselines(X[2:], 4, seed=0)[0], B[2])
    assert not np.array_equal(shuffled_baselines(X, 4, seed=1), B)
    # so an attribution of one sequence equals its row in a batch
    model = _model("cnn")
    one = integrated_gradients(model, X[2:], steps=3, n_baselines=2).values[0]
    np.testing.assert_allclose(integrated_gradients(model, X, steps=3, n_baselines=2).values[2], one, atol=1e-6)


# --------------------------------------------------------------------------
# DeepLIFT/SHAP
# --------------------------------------------------------------------------
def _deeplift_one_layer(model, x: np.ndarray, ref: np.ndarray, target: int = 1) -> np.ndarray:
    """Our own DeepLIFT multipliers (rescale + the max-pool rule) for conv -> ReLU -> global max -> linear."""
    conv = model.conv[0]
    with torch.no_grad():
        z = conv(torch.as_tensor(x)[None].double().float())[0].double()
        zr = conv(torch.as_tensor(ref)[None])[0].double()
        w = model.linear.weight[target].double()
        Wc = conv.weight.double()
    h, hr = z.clamp(min=0), zr.clamp(min=0)
    i, ir = h.argmax(1), hr.argmax(1)
    o, orf = h.max(1).values, hr.max(1).values
    mx = torch.maximum(o, orf)
    t = torch.arange(h.shape[1])
    routed = (t == i[:, None]) * (mx - orf)[:, None] + (t == ir[:, None]) * (o - mx)[:, None]
    dh = h - hr
    m_h = torch.where(dh == 0, (t == i[:, None]).double(), routed / torch.where(dh == 0, 1.0, dh)) * w[:, None]
    dz = z - zr
    m_z = torch.where(dz.abs() < 1e-6, m_h * (z > 0), m_h * dh / torch.where(dz.abs() < 1e-6, 1.0, dz))
    return torch.nn.functional.conv_transpose1d(m_z[None], Wc)[0].numpy()  # (4, L)


def test_deeplift_shap_matches_our_own_rescale_rules_and_converges():
    model = _model("cnn")
    X = _onehot(2)
    a = deeplift_shap(model, X, n_shuffles=3, seed=5)
    refs = shuffled_baselines(X, 3, seed=5)
    want = np.zeros_like(X, dtype=np.float64)
    for i in range(2):
        for r in range(3):
            m = _deeplift_one_layer(model, X[i], refs[i, r])
            # projected onto the base present: sum_k (x - x')_k m_k at each position
            want[i] += X[i] * ((X[i] - refs[i, r]) * m).sum(axis=0) / 3
    np.testing.assert_allclose(a.values, want, atol=1e-5)
    assert a.info["convergence_delta"].shape == (2, 3)
    assert a.info["max_convergence_delta"] < 1e-4
    np.testing.assert_allclose(a.values.sum(axis=(1, 2)), a.score - a.info["reference_score"], atol=1e-4)


def test_deeplift_shap_converges_on_a_deeper_cnn_and_the_view_is_the_model():
    model = _model("cnn", seq_len=40, conv_widths=(5, 3, 3), pool=2)
    X = _onehot(2, 40)
    view = hookable_view(model, 40).eval()
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(view(torch.as_tensor(X)), model(torch.as_tensor(X)))
    a = deeplift_shap(model, X, n_shuffles=4)
    assert a.info["max_convergence_delta"] < 1e-4
    assert np.abs(a.score - a.info["reference_score"]).max() > 1e-3  # the deltas are small relative to something


# --------------------------------------------------------------------------
# Temporal output scores
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
def test_temporal_per_position_is_the_change_of_forward_and_backward_scores(arch):
    model = _model(arch)
    X = _onehot(2)
    a = A.attribute(model, X, "temporal")
    ref = interpret.temporal_scores_naive(model, X)
    f, b = ref.forward.astype(np.float64), ref.backward.astype(np.float64)
    want = np.zeros_like(f)
    for t in range(L):
        df = f[:, t] - f[:, t - 1] if t > 0 else 0.0
        db = b[:, t] - b[:, t + 1] if t < L - 1 else 0.0
        want[:, t] = (np.abs(df) + np.abs(db)) / 2
    np.testing.assert_allclose(a.per_position, want, atol=1e-5)
    np.testing.assert_allclose(a.prob, ref.forward[:, -1], atol=1e-5)
    np.testing.assert_allclose(a.values.sum(axis=1), a.per_position, atol=1e-7)


# --------------------------------------------------------------------------
# attribute_all: every method on the same sequences
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_attribute_all_equals_attribute_per_method(arch):
    model = _model(arch)
    X = _onehot(3)
    res = A.attribute_all(model, X, seed=3, options=FAST)
    assert list(res) == A.methods_for(model)  # applicable ones, registry order
    assert res.methods == list(A.ATTRIBUTIONS)
    assert res.skipped == {n: A.why_not(n, model) for n in A.ATTRIBUTIONS if not A.applicable(n, model)}
    assert res.skipped and all(res.skipped.values())  # no architecture runs every method; each skip says why
    for name in A.methods_for(model):
        kw = dict(FAST.get(name, {}))
        if name in ("integrated-gradients", "ig-corrected", "deeplift-shap"):
            kw["seed"] = 3
        want = A.attribute(model, X, name, **kw)
        got = res.results[name]
        assert got.method == name
        np.testing.assert_array_equal(res[name], want.per_position, err_msg=name)
        np.testing.assert_array_equal(got.values, want.values, err_msg=name)
        np.testing.assert_array_equal(got.prob, want.prob, err_msg=name)
    one = res.sequence(1)
    assert list(one) == list(A.ATTRIBUTIONS)
    for name, v in one.items():
        if name in res.skipped:
            assert v is None
        else:
            np.testing.assert_array_equal(v, res[name][1])


def test_attribute_all_seed_reaches_seeded_methods():
    model = _model("cnn")
    X = _onehot(2)
    a = A.attribute_all(model, X, ["integrated-gradients"], seed=0, options=FAST)
    b = A.attribute_all(model, X, ["integrated-gradients"], seed=1, options=FAST)
    assert not np.array_equal(a["integrated-gradients"], b["integrated-gradients"])


def test_attribute_all_methods_subset_unknown_and_not_applicable():
    cnn = _model("cnn")
    X = _onehot(2)
    res = A.attribute_all(cnn, X, ["ism", "temporal", "saliency", "ism"])
    assert list(res) == ["saliency", "ism"]  # registry order, each once
    assert list(res.skipped) == ["temporal"] and "recurrent" in res.skipped["temporal"]
    assert res.methods == ["saliency", "ism", "temporal"]
    assert res.sequence(0)["temporal"] is None
    with pytest.raises(ValueError, match="unknown attribution method 'smoothgrad'"):
        A.attribute_all(cnn, X, ["saliency", "smoothgrad"])
    with pytest.raises(ValueError, match="unknown attribution method 'ims'"):
        A.attribute_all(cnn, X, ["saliency"], options={"ims": {}})
    rnn = _model("rnn")
    assert "hookable" in A.attribute_all(rnn, X, ["deeplift-shap"]).skipped["deeplift-shap"]
    assert len(A.attribute_all(rnn, X, ["deeplift-shap"])) == 0
