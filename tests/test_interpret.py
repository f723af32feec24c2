"""Tests of demolib.interpret: saliency, temporal output scores, class optimization.

Tiny randomly initialised, seeded models keep the file fast (a few seconds);
the ground-truth tests use a hand-built CNN whose single filter is the
log-odds matrix of a JASPAR motif.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from demolib.data import ALPHABET, jaspar_motif, one_hot, reverse_complement
from demolib.interpret import (
    ClassOpt,
    Saliency,
    Temporal,
    class_optimization,
    reference_pwm,
    saliency,
    temporal_scores,
    temporal_scores_naive,
)
from demolib.models import ModelConfig, build_model, preset

torch.set_num_threads(1)


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------
def _model(arch: str, seed: int = 0, **overrides) -> torch.nn.Module:
    torch.manual_seed(seed)
    kw = dict(seq_len=24)
    if arch != "cnn":
        kw.update(hidden=8)
    if arch == "cnn-rnn":
        kw.update(conv_channels=8)
    if arch == "cnn":
        kw.update(conv_channels=8)
    kw.update(overrides)
    return build_model(preset(arch, "small", **kw))


def _random_onehot(n: int, length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return one_hot(["".join(rng.choice(list(ALPHABET), length)) for _ in range(n)])


def _probs(model: torch.nn.Module, X: np.ndarray) -> np.ndarray:
    ref = copy.deepcopy(model).eval()  # leaves the model's own flags alone
    with torch.no_grad():
        return torch.softmax(ref(torch.as_tensor(X)), dim=1)[:, 1].numpy()


ARCHS = ["cnn", "rnn", "cnn-rnn"]
RECURRENT = [
    ("rnn", {}),
    ("cnn-rnn", {}),
    ("rnn", {"bidirectional": False}),
    ("cnn-rnn", {"bidirectional": False}),
]


# --------------------------------------------------------------------------
# Saliency
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_saliency_matches_finite_differences(arch):
    model = _model(arch)
    X = _random_onehot(3, 24, seed=1)
    sal = saliency(model, X)
    assert isinstance(sal, Saliency)
    assert sal.per_position.shape == (3, 24)
    assert sal.gradient.shape == (3, 4, 24)
    assert sal.score.shape == sal.prob.shape == (3,)

    # central differences of S_1 in float64 on a copy of the model
    ref = copy.deepcopy(model).double().eval()
    x0 = torch.as_tensor(X[:1], dtype=torch.float64)
    eps = 1e-5
    rng = np.random.default_rng(2)
    for _ in range(6):
        k, j = int(rng.integers(4)), int(rng.integers(24))
        d = torch.zeros_like(x0)
        d[0, k, j] = eps
        with torch.no_grad():
            fd = (ref(x0 + d)[0, 1] - ref(x0 - d)[0, 1]).item() / (2 * eps)
        assert sal.gradient[0, k, j] == pytest.approx(fd, rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_saliency_definition_score_and_prob(arch):
    model = _model(arch)
    X = _random_onehot(5, 24, seed=3)
    sal = saliency(model, X)
    np.testing.assert_allclose(sal.per_position, (np.abs(sal.gradient) * X).sum(axis=1), rtol=1e-6, atol=1e-7)
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X))
    np.testing.assert_allclose(sal.score, logits[:, 1].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sal.prob, torch.softmax(logits, 1)[:, 1].numpy(), rtol=1e-5, atol=1e-6)
    # target=0 differentiates the other logit
    sal0 = saliency(model, X, target=0)
    np.testing.assert_allclose(sal0.score, logits[:, 0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sal0.prob + sal.prob, 1.0, atol=1e-6)


def test_saliency_batching_input_types_and_single_sequence():
    model = _model("cnn")
    X = _random_onehot(7, 24, seed=4)
    a = saliency(model, X, batch_size=512)
    b = saliency(model, torch.as_tensor(X), batch_size=3)
    np.testing.assert_allclose(a.gradient, b.gradient, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.score, b.score, rtol=1e-6)
    c = saliency(model, X[2])  # (4, L) is one sequence
    assert c.per_position.shape == (1, 24)
    np.testing.assert_allclose(c.per_position[0], a.per_position[2], rtol=1e-5, atol=1e-7)
    e = saliency(model, np.zeros((0, 4, 24), dtype=np.float32))
    assert e.per_position.shape == (0, 24) and e.gradient.shape == (0, 4, 24)


@pytest.mark.parametrize("arch", ARCHS)
def test_no_parameter_gradients_and_training_mode_restored(arch):
    model = _model(arch)
    X = _random_onehot(2, 24, seed=5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for mode in (True, False):
        model.train(mode)
        saliency(model, X)
        if arch != "cnn":
            temporal_scores(model, X)
            temporal_scores_naive(model, X)
        class_optimization(model, restarts=2, steps=3, progress=False)
        assert model.training is mode
        assert all(m.training is mode for m in model.modules())
        assert all(p.grad is None for p in model.parameters())
        assert all(p.requires_grad for p in model.parameters())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_mixed_training_flags_are_restored_and_dropout_is_off():
    model = _model("cnn", dropout=0.9)
    model.train()
    model.dropout.eval()  # a deliberately mixed state
    X = _random_onehot(4, 24, seed=6)
    a = saliency(model, X)
    b = saliency(model, X)
    np.testing.assert_array_equal(a.gradient, b.gradient)  # no dropout noise
    np.testing.assert_allclose(a.prob, _probs(model, X), rtol=1e-5)
    assert model.training and model.conv.training and not model.dropout.training


# --------------------------------------------------------------------------
# Temporal output scores
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch,overrides", RECURRENT)
def test_temporal_batched_equals_naive(arch, overrides):
    model = _model(arch, **overrides)
    X = _random_onehot(3, 24, seed=7)
    naive = temporal_scores_naive(model, X)
    for method in ("auto", "chains", "packed"):
        fast = temporal_scores(model, X, method=method, batch_size=2)
        assert isinstance(fast, Temporal)
        assert fast.forward.shape == fast.backward.shape == (3, 24)
        np.testing.assert_allclose(fast.forward, naive.forward, atol=1e-5, err_msg=method)
        np.testing.assert_allclose(fast.backward, naive.backward, atol=1e-5, err_msg=method)


def test_temporal_stacked_lstm_uses_exact_fallback():
    model = _model("rnn", layers=2)
    X = _random_onehot(2, 20, seed=8)
    naive = temporal_scores_naive(model, X)
    fast = temporal_scores(model, X)
    np.testing.assert_allclose(fast.forward, naive.forward, atol=1e-5)
    np.testing.assert_allclose(fast.backward, naive.backward, atol=1e-5)
    with pytest.raises(ValueError, match="packed"):
        temporal_scores(model, X, method="chains")


@pytest.mark.parametrize("arch,overrides", RECURRENT)
def test_temporal_ends_are_the_full_sequence(arch, overrides):
    model = _model(arch, **overrides)
    X = _random_onehot(4, 24, seed=9)
    full = _probs(model, X)
    tmp = temporal_scores(model, X)
    np.testing.assert_allclose(tmp.forward[:, -1], full, atol=1e-5)  # prefix t = L
    np.testing.assert_allclose(tmp.backward[:, 0], full, atol=1e-5)  # suffix t = 1
    # one-base prefix / suffix: the head on a single position
    model.eval()
    with torch.no_grad():
        F = model.features(torch.as_tensor(X))
        first = torch.softmax(model.head(F[:, :, :1]), 1)[:, 1].numpy()
        last = torch.softmax(model.head(F[:, :, -1:]), 1)[:, 1].numpy()
    np.testing.assert_allclose(tmp.forward[:, 0], first, atol=1e-5)
    np.testing.assert_allclose(tmp.backward[:, -1], last, atol=1e-5)


def test_temporal_other_lengths_and_single_sequence():
    model = _model("rnn")  # built for 24 bp; a recurrent model reads any length
    X = _random_onehot(2, 31, seed=10)
    tmp = temporal_scores(model, X[0])
    assert tmp.forward.shape == (1, 31)
    np.testing.assert_allclose(tmp.forward[0], temporal_scores_naive(model, X[0]).forward[0], atol=1e-5)
    tiny = temporal_scores(model, X[:, :, :1])
    np.testing.assert_allclose(tiny.forward, tiny.backward, atol=1e-6)


def test_temporal_rejects_cnn():
    model = _model("cnn")
    X = _random_onehot(1, 24)
    for fn in (temporal_scores, temporal_scores_naive):
        with pytest.raises(ValueError, match="saliency"):
            fn(model, X)


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape,match",
    [
        ((2, 24, 4), "transpose"),
        ((2, 5, 24), "4 rows"),
        ((24,), r"\(N, 4, L\)"),
        ((1, 2, 4, 24), r"\(N, 4, L\)"),
    ],
)
def test_wrong_shapes_raise(shape, match):
    model = _model("cnn")
    with pytest.raises(ValueError, match=match):
        saliency(model, np.zeros(shape, dtype=np.float32))
    rnn = _model("rnn")
    with pytest.raises(ValueError, match=match):
        temporal_scores(rnn, np.zeros(shape, dtype=np.float32))


def test_too_short_for_cnn_and_other_bad_inputs():
    model = _model("cnn", conv_widths=(9, 5), seq_len=30)  # needs >= 18 bp
    with pytest.raises(ValueError, match="needs at least"):
        saliency(model, _random_onehot(1, 10))
    saliency(model, _random_onehot(1, 40))  # longer than seq_len is fine (global max-pool)
    with pytest.raises(ValueError, match="shorter"):
        class_optimization(model, length=10, steps=1, progress=False)
    X = _random_onehot(1, 30)
    X[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        saliency(model, X)
    with pytest.raises(ValueError, match="target"):
        saliency(model, _random_onehot(1, 30), target=2)
    with pytest.raises(ValueError, match="batch_size"):
        saliency(model, _random_onehot(1, 30), batch_size=0)
    with pytest.raises(ValueError, match="length 0"):
        temporal_scores(_model("rnn"), np.zeros((1, 4, 0), dtype=np.float32))


# --------------------------------------------------------------------------
# Class optimization
# --------------------------------------------------------------------------
@pytest.mark.parametrize("param", ["reference", "simplex"])
@pytest.mark.parametrize("arch", ARCHS)
def test_class_optimization_basic(arch, param):
    model = _model(arch)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    co = class_optimization(model, restarts=3, steps=40, seed=1, param=param, progress=False)
    assert isinstance(co, ClassOpt)
    assert co.pwm.shape == (24, 4) and co.pwms.shape == (3, 24, 4)
    assert co.trajectory.shape == (3, 40) and co.score.shape == (3,)
    np.testing.assert_allclose(co.pwms.sum(axis=2), 1.0, atol=1e-6)
    assert (co.pwms > 0).all()
    np.testing.assert_array_equal(co.pwm, co.pwms[co.best])
    assert co.best == int(np.argmax(co.score))
    assert co.trajectory[:, -1].mean() > co.trajectory[:, 0].mean()
    # score is S_pos of each PWM fed back as (4, L)
    model.eval()
    with torch.no_grad():
        s = model(torch.as_tensor(co.pwms, dtype=torch.float32).transpose(1, 2))[:, 1].numpy()
    np.testing.assert_allclose(co.score, s, rtol=1e-5, atol=1e-6)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("param", ["reference", "simplex"])
def test_class_optimization_is_deterministic(param):
    model = _model("cnn")
    a = class_optimization(model, restarts=2, steps=15, seed=3, param=param, progress=False)
    b = class_optimization(model, restarts=2, steps=15, seed=3, param=param, progress=False)
    c = class_optimization(model, restarts=2, steps=15, seed=4, param=param, progress=False)
    np.testing.assert_array_equal(a.pwms, b.pwms)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    assert not np.array_equal(a.pwms, c.pwms)


def test_class_optimization_length_and_arguments():
    model = _model("rnn")
    co = class_optimization(model, restarts=1, steps=2, length=10, progress=False)
    assert co.pwm.shape == (10, 4)
    with pytest.raises(ValueError, match="param"):
        class_optimization(model, param="box", progress=False)
    with pytest.raises(ValueError, match="steps"):
        class_optimization(model, steps=0, progress=False)


def test_reference_pwm_heuristic():
    X = np.array([[2.0, -1.0], [0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])  # (4, L=2)
    pwm = reference_pwm(X)
    assert pwm.shape == (2, 4)
    # clamp -> [[1, 0], [0.5, 0], 0, 0]; / max 1; + 0.01; normalize
    np.testing.assert_allclose(pwm[0], np.array([1.01, 0.51, 0.01, 0.01]) / 1.54)
    np.testing.assert_allclose(pwm[1], 0.25)


# --------------------------------------------------------------------------
# Ground truth: a CNN whose only filter is a known motif
# --------------------------------------------------------------------------
def _motif_cnn(name: str = "GATA1", length: int = 101):
    motif = jaspar_motif(name)
    w = motif.width
    logodds = np.log((motif.pwm + 0.01) / (1 + 4 * 0.01) / 0.25)  # (w, 4)
    cfg = ModelConfig(arch="cnn", size="custom", seq_len=length, conv_widths=(w,), conv_channels=1, dropout=0.0)
    model = build_model(cfg)
    with torch.no_grad():
        model.first_conv.weight.copy_(torch.as_tensor(logodds.T[None], dtype=torch.float32))
        # bias: a uniform (0.25 each) input activates the filter at +1, so the
        # ReLU is live for the simplex start too; ranking of windows unchanged
        model.first_conv.bias.fill_(float(1.0 - 0.25 * logodds.sum()))
        # class 1 logit = max activation, class 0 = its negative
        model.linear.weight.copy_(torch.tensor([[-1.0], [1.0]]))
        model.linear.bias.zero_()
    return model, motif, logodds


def _best_window(pwm: np.ndarray, logodds: np.ndarray) -> str:
    """Argmax letters of the PWM window that scores best against the motif,
    read on the motif's strand (reverse-complemented for a - strand hit)."""
    w = len(logodds)
    rc = logodds[::-1, ::-1]  # reverse complement (ACGT columns reverse to TGCA)
    _, i, strand = max(
        (float((pwm[i : i + w] * lo).sum()), i, strand)
        for i in range(len(pwm) - w + 1)
        for strand, lo in ((1, logodds), (-1, rc))
    )
    letters = "".join(ALPHABET[j] for j in pwm[i : i + w].argmax(axis=1))
    return letters if strand == 1 else reverse_complement(letters)


def test_ground_truth_saliency_finds_planted_site():
    model, motif, _ = _motif_cnn()
    w = motif.width
    rng = np.random.default_rng(11)
    for _ in range(5):
        seq = "".join(rng.choice(list(ALPHABET), 101))
        start = int(rng.integers(0, 101 - w + 1))
        seq = seq[:start] + motif.consensus() + seq[start + w :]
        sal = saliency(model, one_hot(seq))
        assert sal.prob[0] > 0.99
        window = np.convolve(sal.per_position[0], np.ones(w), mode="valid")  # window sums
        top = int(np.argmax(window))
        assert abs(top - start) < w, (top, start)  # the top window overlaps the planted site
        assert top == start  # (exactly, for this one-filter model)


@pytest.mark.parametrize("param", ["reference", "simplex"])
def test_ground_truth_class_optimization_spells_the_motif(param):
    model, motif, logodds = _motif_cnn()
    # (the logit objective: a logit close to the best possible is what it maximizes; the
    # probability objective is tested below)
    co = class_optimization(model, objective="logit", restarts=2, steps=250, param=param, seed=0, progress=False)
    spelled = _best_window(co.pwm, logodds)
    consensus = motif.consensus()
    agree = sum(a == b for a, b in zip(spelled, consensus))
    assert agree >= len(consensus) - 1, (spelled, consensus)
    # the PWM, fed back, scores close to the consensus sequence itself
    best_possible = saliency(model, one_hot("A" * 20 + consensus + "A" * 74)).score[0]
    assert co.score[co.best] > 0.75 * best_possible


@pytest.mark.parametrize("param", ["reference", "simplex"])
def test_ground_truth_class_optimization_probability_spells_the_motif(param):
    model, motif, logodds = _motif_cnn()
    co = class_optimization(model, restarts=2, steps=250, param=param, seed=0, progress=False)
    assert co.objective == "probability"
    spelled = _best_window(co.pwm, logodds)
    consensus = motif.consensus()
    agree = sum(a == b for a, b in zip(spelled, consensus))
    assert agree >= len(consensus) - 1, (spelled, consensus)
    # the PWM, fed back, is called bound, as the consensus sequence is; the probability
    # saturates, so its optimum need not push the logit as far (see class_optimization)
    assert saliency(model, one_hot("A" * 20 + consensus + "A" * 74)).prob[0] > 0.999
    assert co.prob[co.best] > 0.99


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_recurrent_saliency_and_temporal():
    model = _model("cnn-rnn").cuda()
    X = _random_onehot(3, 24, seed=12)
    sal = saliency(model, X)
    cpu = saliency(model.cpu(), X)
    np.testing.assert_allclose(sal.gradient, cpu.gradient, rtol=1e-3, atol=1e-5)
    model.cuda()
    np.testing.assert_allclose(temporal_scores(model, X).forward, temporal_scores_naive(model, X).forward, atol=1e-5)
    class_optimization(model, restarts=2, steps=3, progress=False)


def test_flip_positions():
    from demolib.interpret import Temporal, flip_positions

    fwd = np.array([[0.1, 0.2, 0.7, 0.9], [0.6, 0.7, 0.8, 0.9], [0.1, 0.6, 0.7, 0.2], [0.1, 0.1, 0.2, 0.3]])
    bwd = np.array([[0.9, 0.8, 0.3, 0.1], [0.9, 0.9, 0.9, 0.9], [0.2, 0.8, 0.1, 0.1], [0.6, 0.4, 0.7, 0.1]])
    f, b = flip_positions(Temporal(fwd, bwd))
    assert f.tolist() == [2, -1, 4, -1]  # stays above from 2; never below; ends below; never above
    assert b.tolist() == [1, -1, -1, 0]  # above up to 1; never below; below at once; above up to 0
    assert f.dtype == b.dtype == np.int64


# --------------------------------------------------------------------------
# Class optimization: the objective (the paper's probability, or the logit)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("objective", ["probability", "logit"])
@pytest.mark.parametrize("arch", ARCHS)
def test_class_objective_value_and_gradient_match_finite_differences(arch, objective):
    from demolib.interpret import class_objective

    model = copy.deepcopy(_model(arch)).double().eval()
    rng = np.random.default_rng(7)
    X = torch.as_tensor(rng.uniform(-0.5, 1.5, size=(2, 4, 24)), dtype=torch.float64)
    lam = 0.05
    with torch.no_grad():
        logits = model(X)
    term = torch.softmax(logits, dim=1)[:, 1] if objective == "probability" else logits[:, 1]
    expected = (term - lam * (X**2).sum(dim=(1, 2))).numpy()
    x = X.clone().requires_grad_(True)
    value = class_objective(model, x, objective=objective, lam=lam)
    np.testing.assert_allclose(value.detach().numpy(), expected, rtol=1e-10)
    (grad,) = torch.autograd.grad(value.sum(), x)
    eps = 1e-6
    for _ in range(8):
        i, k, j = int(rng.integers(2)), int(rng.integers(4)), int(rng.integers(24))
        d = torch.zeros_like(X)
        d[i, k, j] = eps
        with torch.no_grad():
            fd = (class_objective(model, X + d, objective=objective, lam=lam)[i]
                  - class_objective(model, X - d, objective=objective, lam=lam)[i]).item() / (2 * eps)
        assert grad[i, k, j].item() == pytest.approx(fd, rel=1e-5, abs=1e-8)


def _rmsprop_reference(model, objective, *, restarts, steps, seed, lam=0.009, momentum=0.9):
    """The class optimization loop written out by hand: autograd of the objective
    spelled out here (not class_objective), RMSprop's update spelled out (alpha 0.99, eps 1e-8),
    with the default learning rates (0.01 for the probability, the reference code's 0.05 for the logit)."""
    lr = {"probability": 0.01, "logit": 0.05}[objective]
    ref = copy.deepcopy(model).eval()
    V = torch.rand((restarts, 4, 24), generator=torch.Generator().manual_seed(seed))
    square, buf = torch.zeros_like(V), torch.zeros_like(V)
    traj = []
    for _ in range(steps):
        x = V.clone().requires_grad_(True)
        logits = ref(x)
        term = torch.softmax(logits, dim=1)[:, 1] if objective == "probability" else logits[:, 1]
        obj = term - lam * (x**2).sum(dim=(1, 2))
        (g,) = torch.autograd.grad(-obj.sum(), x)
        traj.append(obj.detach().numpy())
        square = 0.99 * square + 0.01 * g * g
        buf = momentum * buf + g / (square.sqrt() + 1e-8)
        V = V - lr * buf
    return np.stack(traj, axis=1), reference_pwm(V)


@pytest.mark.parametrize("arch", ARCHS)
def test_class_optimization_default_objective_is_the_probability(arch):
    model = _model(arch)
    co = class_optimization(model, restarts=3, steps=6, seed=2, progress=False)
    assert co.objective == "probability"
    traj, pwms = _rmsprop_reference(model, "probability", restarts=3, steps=6, seed=2)
    np.testing.assert_allclose(co.trajectory, traj, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(co.pwms, pwms, rtol=1e-4, atol=1e-5)
    # the probability objective is bounded by 1 (and the logit one is not what ran)
    assert (co.trajectory <= 1.0).all()
    traj_logit, _ = _rmsprop_reference(model, "logit", restarts=3, steps=6, seed=2)
    assert not np.allclose(co.trajectory, traj_logit, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_class_optimization_both_objectives_run(arch):
    model = _model(arch)
    runs = {o: class_optimization(model, objective=o, restarts=2, steps=30, seed=1, progress=False)
            for o in ("probability", "logit")}
    traj, pwms = _rmsprop_reference(model, "logit", restarts=2, steps=30, seed=1)
    np.testing.assert_allclose(runs["logit"].trajectory, traj, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(runs["logit"].pwms, pwms, rtol=1e-3, atol=1e-4)
    model.eval()
    for o, co in runs.items():
        assert co.objective == o and co.pwms.shape == (2, 24, 4) and co.prob.shape == (2,)
        assert co.trajectory[:, -1].mean() > co.trajectory[:, 0].mean(), o
        with torch.no_grad():
            logits = model(torch.as_tensor(co.pwms, dtype=torch.float32).transpose(1, 2))
        np.testing.assert_allclose(co.prob, torch.softmax(logits, 1)[:, 1].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(co.score, logits[:, 1].numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(runs["probability"].pwms, runs["logit"].pwms)


def test_class_optimization_unknown_objective():
    from demolib.interpret import OBJECTIVES, class_objective

    model = _model("cnn")
    assert list(OBJECTIVES) == ["probability", "logit"]
    with pytest.raises(ValueError, match="unknown objective 'loss'.*'probability', 'logit'"):
        class_optimization(model, objective="loss", progress=False)
    with pytest.raises(ValueError, match="unknown objective"):
        class_objective(model, torch.zeros(1, 4, 24), objective="Probability")


# --------------------------------------------------------------------------
# Saliency of S_1, of the margin S_1 - S_0, and of the probability
# --------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHS)
def test_saliency_of_margin_and_probability(arch):
    model = _model(arch)
    X = _random_onehot(4, 24, seed=8)
    s1, s0 = saliency(model, X, target=1), saliency(model, X, target=0)
    m = saliency(model, X, output="margin")
    p = saliency(model, X, output="prob")
    assert (s1.output, m.output, p.output) == ("logit", "margin", "prob")
    np.testing.assert_allclose(m.gradient, s1.gradient - s0.gradient, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m.per_position, (np.abs(m.gradient) * X).sum(axis=1), rtol=1e-6, atol=1e-7)
    # p1 = sigmoid(S1 - S0): the probability's gradient is p1 (1 - p1) times the margin's
    scale = (s1.prob * (1 - s1.prob))[:, None, None]
    np.testing.assert_allclose(p.gradient, scale * m.gradient, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(p.per_position, scale[:, 0] * m.per_position, rtol=1e-4, atol=1e-7)
    for r in (m, p):  # score and prob stay the logit and the probability
        np.testing.assert_array_equal(r.score, s1.score)
        np.testing.assert_array_equal(r.prob, s1.prob)
    # margin of target 0 is minus the margin of target 1
    np.testing.assert_allclose(saliency(model, X, target=0, output="margin").gradient, -m.gradient,
                               rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="unknown output 'loss'"):
        saliency(model, X, output="loss")


def test_saliency_margin_relation_measures_the_tie():
    from demolib.interpret import saliency_margin_relation

    X = _random_onehot(5, 24, seed=9)
    model = _model("cnn")
    rel = saliency_margin_relation(model, X)
    s1, s0 = saliency(model, X, target=1), saliency(model, X, target=0)
    gm = s1.gradient - s0.gradient
    for i in range(5):
        assert rel.r_gradient[i] == pytest.approx(np.corrcoef(s1.gradient[i].ravel(), gm[i].ravel())[0, 1], abs=1e-5)
        assert rel.r_other[i] == pytest.approx(np.corrcoef(s1.gradient[i].ravel(), s0.gradient[i].ravel())[0, 1],
                                               abs=1e-5)
        sal_m = (np.abs(gm[i]) * X[i]).sum(axis=0)
        assert rel.r_saliency[i] == pytest.approx(np.corrcoef(s1.per_position[i], sal_m)[0, 1], abs=1e-5)
        assert rel.sum_ratio[i] == pytest.approx(
            np.linalg.norm(s1.gradient[i] + s0.gradient[i]) / np.linalg.norm(gm[i]), rel=1e-4)
    np.testing.assert_array_equal(rel.prob, s1.prob)

    # a last layer that ties the logits (S_0 = -S_1): the two maps are the same
    with torch.no_grad():
        model.linear.weight[0] = -model.linear.weight[1]
        model.linear.bias[0] = -model.linear.bias[1]
    tied = saliency_margin_relation(model, X)
    np.testing.assert_allclose(tied.r_gradient, 1.0, atol=1e-6)
    np.testing.assert_allclose(tied.r_saliency, 1.0, atol=1e-6)
    np.testing.assert_allclose(tied.r_other, -1.0, atol=1e-6)
    np.testing.assert_allclose(tied.sum_ratio, 0.0, atol=1e-6)
    # S_0 constant (its weights zero): the margin's gradient is the logit's
    with torch.no_grad():
        model.linear.weight[0] = 0.0
    const = saliency_margin_relation(model, X)
    np.testing.assert_allclose(const.r_gradient, 1.0, atol=1e-6)
    np.testing.assert_allclose(const.sum_ratio, 1.0, rtol=1e-5)
    # an untied random head: the maps differ
    assert rel.r_gradient.min() < 0.999
