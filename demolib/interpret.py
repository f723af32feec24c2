"""Three ways to look inside a trained DeMo model (Lanchantin et al. 2017).

1. :func:`saliency` -- the gradient of the positive-class score with respect to
   the one-hot input, times the input: one influence value per position
   (:func:`saliency_margin_relation` compares it with the saliency of the
   margin ``S_1 - S_0``, which the softmax depends on).
2. :func:`temporal_scores` -- the positive-class probability of every prefix
   (forward) and every suffix (backward) of a sequence, for the recurrent
   models; :func:`temporal_scores_naive` is the plain one-pass-per-prefix loop
   it is checked against.
3. :func:`class_optimization` -- the input that maximizes the positive-class
   probability (the paper's objective; the logit on request), found by
   gradient ascent with the model frozen, read as a PWM.

Conventions
-----------
* Inputs ``X`` are one-hot DNA of shape ``(N, 4, L)`` (rows in ACGT order), as
  a NumPy array or a torch tensor; a single ``(4, L)`` sequence is treated as
  ``N = 1``.  Results are NumPy arrays.  Recurrent models read any length; a
  CNN reads any length its receptive field fits in (it max-pools globally),
  so only inputs shorter than that are rejected.
* The positive class is logit column 1; "score" ``S`` always means the logit
  before the softmax, "prob" the softmax probability.
* Every function runs the model in eval mode (dropout off) and restores each
  submodule's previous training flag afterwards.  Gradients are taken with
  respect to the input only (:func:`torch.autograd.grad`), so nothing is ever
  written to ``.grad`` of a model parameter and the weights never change.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn

from .models import is_recurrent, min_length

__all__ = [
    "Saliency",
    "MarginRelation",
    "SALIENCY_OUTPUTS",
    "saliency_margin_relation",
    "Temporal",
    "ClassOpt",
    "saliency",
    "temporal_scores",
    "temporal_scores_naive",
    "flip_positions",
    "class_optimization",
    "class_objective",
    "Objective",
    "OBJECTIVES",
    "reference_pwm",
]


# --------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Saliency:
    """Result of :func:`saliency`.

    Attributes
    ----------
    per_position : np.ndarray, float32, shape (N, L)
        ``sum_k |dS/dX[k, j]| * X[k, j]``: the paper's saliency, the absolute
        gradient at the nucleotide actually present at position ``j``.
    gradient : np.ndarray, float32, shape (N, 4, L)
        The full gradient ``dS/dX`` (signed), e.g. for gradient x input logos.
    score : np.ndarray, float32, shape (N,)
        ``S_target(X)``, the target-class logit.
    prob : np.ndarray, float32, shape (N,)
        Softmax probability of the target class.
    output : str
        What was differentiated (a key of :data:`SALIENCY_OUTPUTS`):
        ``"logit"`` (the paper's ``S``), ``"margin"`` or ``"prob"``.
    """

    per_position: np.ndarray
    gradient: np.ndarray
    score: np.ndarray
    prob: np.ndarray
    output: str = "logit"


@dataclass(frozen=True)
class Temporal:
    """Result of :func:`temporal_scores`.

    Attributes
    ----------
    forward : np.ndarray, float32, shape (N, L)
        ``forward[i, t-1]`` = P(positive) of the prefix ``x[1..t]``,
        t = 1..L; ``forward[:, -1]`` is the full-sequence probability.
    backward : np.ndarray, float32, shape (N, L)
        ``backward[i, t-1]`` = P(positive) of the suffix ``x[t..L]``;
        ``backward[:, 0]`` is the full-sequence probability.
    """

    forward: np.ndarray
    backward: np.ndarray


def flip_positions(temporal: Temporal, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Where each sequence's temporal scores cross ``threshold`` (chapter 07).

    Parameters
    ----------
    temporal : Temporal
        ``forward`` and ``backward``, shape (N, L).

    Returns
    -------
    forward_flip, backward_flip : np.ndarray, int64, shape (N,)
        The first 0-based position from which the forward score stays at or
        above ``threshold``, and the last position up to which the backward
        score is at or above it; -1 where the score never crosses (it is
        above, or below, the threshold everywhere).  A forward score that
        ends below the threshold gives ``L`` (it never stays above).
    """
    fwd, bwd = [], []
    for f, b in zip(np.asarray(temporal.forward), np.asarray(temporal.backward)):
        below = np.flatnonzero(f < threshold)
        fwd.append(below[-1] + 1 if 0 < len(below) < len(f) else -1)
        below = np.flatnonzero(b < threshold)
        bwd.append(below[0] - 1 if 0 < len(below) < len(b) else -1)
    return np.asarray(fwd, dtype=np.int64), np.asarray(bwd, dtype=np.int64)


@dataclass(frozen=True)
class ClassOpt:
    """Result of :func:`class_optimization`.

    Attributes
    ----------
    pwm : np.ndarray, float64, shape (L, 4)
        The PWM of the best restart (highest ``score``); columns ACGT, each
        row sums to 1.
    pwms : np.ndarray, float64, shape (R, L, 4)
        The PWM of every restart.
    trajectory : np.ndarray, float32, shape (R, steps)
        The objective ``f(X) - lam * ||X||^2`` that was maximized, with
        ``f`` the class term named by ``objective`` (see :data:`OBJECTIVES`),
        of each restart at each step, evaluated at the iterate *before* that
        step's update (so column 0 is the random start).
    score : np.ndarray, float32, shape (R,)
        ``S_pos``, the positive-class logit, of each restart's final PWM fed
        back to the model as an input of shape (4, L) (no L2 term), whatever
        the objective.
    best : int
        Index of the restart that ``pwm`` comes from: ``argmax(score)``, the
        highest logit, whatever the objective (several restarts' PWMs
        often have ``prob`` 1.0 in float32, which cannot rank them).
    param : str
        ``"reference"`` or ``"simplex"``.
    objective : str
        The class term that was maximized: a key of :data:`OBJECTIVES`
        (``"probability"``, the paper's, by default).
    prob : np.ndarray, float32, shape (R,)
        Softmax probability of the target class of each final PWM fed back
        as (4, L).
    """

    pwm: np.ndarray
    pwms: np.ndarray
    trajectory: np.ndarray
    score: np.ndarray
    best: int
    param: str
    objective: str
    prob: np.ndarray


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _as_input(model: nn.Module, X, what: str = "X") -> torch.Tensor:
    """Validate ``X`` and return it as a float32 tensor (N, 4, L) on the model's device."""
    if isinstance(X, torch.Tensor):
        t = X.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(X, dtype=np.float32))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{what} must be a numeric array of shape (N, 4, L), got {type(X).__name__}") from e
    if t.ndim == 2:
        t = t.unsqueeze(0)
    if t.ndim != 3:
        raise ValueError(
            f"{what} must have shape (N, 4, L) or (4, L) (one-hot DNA, ACGT rows), got shape {tuple(t.shape)}"
        )
    if t.shape[1] != 4:
        hint = (
            "; it looks like (N, L, 4): transpose it to (N, 4, L), e.g. X.transpose(0, 2, 1)"
            if t.shape[2] == 4
            else "; encode sequences with demolib.data.one_hot"
        )
        raise ValueError(f"{what} must have 4 rows (A, C, G, T), got shape {tuple(t.shape)}{hint}")
    L = int(t.shape[2])
    cfg = getattr(model, "config", None)
    need = min_length(cfg) if cfg is not None else 1
    if L < need:
        if cfg is not None and cfg.arch == "cnn":
            raise ValueError(
                f"{what} has length {L}, but this CNN (filter widths {cfg.conv_widths}, pool {cfg.pool}) "
                f"needs at least {need} bp to produce an output; it was built for seq_len={cfg.seq_len}. "
                f"Pad or extend the sequences to {cfg.seq_len} bp (e.g. demolib.data.fit_length)"
            )
        raise ValueError(f"{what} has length {L}; sequences must be at least 1 bp long")
    if not torch.is_floating_point(t):
        t = t.float()
    t = t.to(device=_device(model), dtype=torch.float32)
    if t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{what} contains NaN or infinite values")
    return t


def _check_target(model: nn.Module, target: int) -> int:
    n = getattr(getattr(model, "config", None), "n_classes", 2)
    if not isinstance(target, (int, np.integer)) or not 0 <= int(target) < n:
        raise ValueError(f"target must be a class index in [0, {n}), got {target!r}")
    return int(target)


def _check_batch(batch_size: int) -> int:
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the block; restores every submodule's own training flag."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, f in flags:
            m.training = f


@contextlib.contextmanager
def _rnn_backward_ok(model: nn.Module, device: torch.device) -> Iterator[None]:
    """cuDNN cannot backpropagate through an LSTM in eval mode; use the native kernel there."""
    if device.type == "cuda" and any(isinstance(m, nn.RNNBase) for m in model.modules()):
        with torch.backends.cudnn.flags(enabled=False):
            yield
    else:
        yield


def _empty(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


def _check_recurrent(model: nn.Module, fn: str) -> None:
    if not is_recurrent(model):
        raise ValueError(
            f"{fn} needs a recurrent model (arch 'rnn' or 'cnn-rnn'): a CNN has no temporal output "
            "(it max-pools over the whole sequence, so a prefix score is not defined by the model); "
            "use saliency() to see which positions drive a CNN's prediction"
        )


# --------------------------------------------------------------------------
# 1. Saliency
# --------------------------------------------------------------------------
#: What :func:`saliency` can differentiate (name -> meaning), for class t.
SALIENCY_OUTPUTS: dict[str, str] = {
    "logit": "S_t(X), the target-class logit before the softmax (the paper's class score; the default)",
    "margin": "S_t(X) - S_o(X), the target logit minus the other class's (two classes; with more, minus "
              "the log-sum-exp of the others): the log-odds log(p_t / (1 - p_t))",
    "prob": "p_t(X) = softmax(S(X))_t, the target-class probability; its gradient is p_t (1 - p_t) times "
            "the margin's",
}


def saliency(
    model: nn.Module, X, *, target: int = 1, batch_size: int = 512, output: str = "logit"
) -> Saliency:
    """Saliency map: gradient of the class score with respect to the input.

    ``S = S_target(X)`` is the logit (before the softmax).  Its first-order
    Taylor expansion around ``X`` ranks positions by ``|dS/dX|``; multiplying
    by the one-hot ``X`` keeps only the nucleotide actually present, which
    gives one value per position (Lanchantin et al. 2017, after Simonyan et
    al. 2013).

    ``output`` picks another function of the logits to differentiate
    (:data:`SALIENCY_OUTPUTS`): the margin ``S_t - S_o`` (what the softmax
    of a two-class model depends on) or the probability ``p_t``, whose
    gradient is ``p_t (1 - p_t)`` times the margin's: the same map up to a
    positive per-sequence factor.  The reference code's saliency, the
    gradient of the loss ``-log p_t``, is ``-(1 - p_t)`` times the margin's.
    Chapter 06 and :func:`saliency_margin_relation` compare the logit's map
    with the margin's.

    Parameters
    ----------
    model : nn.Module
        Any DeMo model (CNN, RNN or CNN-RNN).
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input (any real values are accepted).
    target : int
        Class whose logit is differentiated; 1 = bound.
    batch_size : int
        Sequences per forward/backward pass.
    output : {"logit", "margin", "prob"}
        What is differentiated (:data:`SALIENCY_OUTPUTS`); ``"logit"`` is
        the paper's saliency.

    Returns
    -------
    Saliency
        ``per_position`` (N, L), ``gradient`` (N, 4, L) of ``output``;
        ``score`` (N,) the target logit and ``prob`` (N,) its probability,
        whatever ``output``.

    Raises
    ------
    ValueError
        If ``X`` is not (N, 4, L), is too short for a CNN's receptive field,
        or ``target`` / ``batch_size`` / ``output`` are invalid.
    """
    if output not in SALIENCY_OUTPUTS:
        raise ValueError(f"unknown output {output!r}; choose from {', '.join(map(repr, SALIENCY_OUTPUTS))}")
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    N, _, L = x.shape
    if N == 0:
        return Saliency(_empty(0, L), _empty(0, 4, L), _empty(0), _empty(0), output)
    grads, scores, probs = [], [], []
    with _eval_mode(model), _rnn_backward_ok(model, x.device), torch.enable_grad():
        for i in range(0, N, batch_size):
            xb = x[i : i + batch_size].clone().requires_grad_(True)
            logits = model(xb)
            (g,) = torch.autograd.grad(_saliency_output(logits, target, output).sum(), xb)
            logits = logits.detach()
            grads.append(g)
            scores.append(logits[:, target])
            probs.append(torch.softmax(logits, dim=1)[:, target])
    grad = torch.cat(grads)
    per_pos = (grad.abs() * x).sum(dim=1)
    return Saliency(
        per_position=per_pos.cpu().numpy(),
        gradient=grad.cpu().numpy(),
        score=torch.cat(scores).cpu().numpy(),
        prob=torch.cat(probs).cpu().numpy(),
        output=output,
    )


def _saliency_output(logits: torch.Tensor, target: int, output: str) -> torch.Tensor:
    """The per-sequence quantity (N,) that :func:`saliency` differentiates."""
    if output == "logit":
        return logits[:, target]
    if output == "prob":
        return torch.softmax(logits, dim=1)[:, target]
    others = torch.cat([logits[:, :target], logits[:, target + 1 :]], dim=1)
    return logits[:, target] - torch.logsumexp(others, dim=1)


@dataclass(frozen=True)
class MarginRelation:
    """Result of :func:`saliency_margin_relation` (chapter 06).

    For class ``t`` and the other class ``o`` of a two-class model, per
    sequence:

    Attributes
    ----------
    r_gradient : np.ndarray, float64, shape (N,)
        Pearson r between ``dS_t/dX`` and ``d(S_t - S_o)/dX`` over the
        ``4 L`` entries.
    r_saliency : np.ndarray, float64, shape (N,)
        Pearson r between the per-position saliency maps (``|grad| * X``
        summed over the letters, shape (L,)) of ``S_t`` and of ``S_t - S_o``.
    r_other : np.ndarray, float64, shape (N,)
        Pearson r between ``dS_t/dX`` and ``dS_o/dX`` (-1 when the two logits
        are tied, ``S_o = -S_t + const``).
    sum_ratio : np.ndarray, float64, shape (N,)
        ``||d(S_t + S_o)/dX|| / ||d(S_t - S_o)/dX||``.  Since
        ``dS_t = (d(S_t - S_o) + d(S_t + S_o)) / 2``, this is the size of the
        part of the logit's gradient that the margin's lacks; 0 when
        ``dS_o/dX = -dS_t/dX``.
    prob : np.ndarray, float32, shape (N,)
        ``p_t`` of each sequence (the margin's map times ``p_t (1 - p_t)`` is
        the probability's map).
    """

    r_gradient: np.ndarray
    r_saliency: np.ndarray
    r_other: np.ndarray
    sum_ratio: np.ndarray
    prob: np.ndarray


def _rowwise_r(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of ``a``, ``b`` (N, ...) (NaN for a constant row)."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=1) / den, np.nan)


def saliency_margin_relation(model: nn.Module, X, *, target: int = 1, batch_size: int = 512) -> MarginRelation:
    """How far the saliency of ``S_t`` is that of ``S_t - S_o`` (chapter 06).

    A two-class softmax depends on the logits only through the margin
    ``S_t - S_o``: ``p_t = sigmoid(S_t - S_o)``.  So the probability's
    saliency (and the reference code's loss gradient) is the margin's up to
    a positive per-sequence factor, while the paper's saliency
    differentiates ``S_t`` alone.  ``d(S_t - S_o)/dX = dS_t/dX - dS_o/dX``
    equals ``dS_t/dX`` only if ``dS_o/dX = 0``, and is proportional to it
    when ``dS_o/dX`` is a multiple of ``dS_t/dX`` (e.g. a last layer that
    ties the two logits); this function measures how close a model comes.

    Parameters
    ----------
    model : nn.Module
        A two-class DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input.
    target : int
        Class ``t``; 1 = bound.
    batch_size : int

    Returns
    -------
    MarginRelation
        Per-sequence ``r_gradient``, ``r_saliency``, ``r_other``,
        ``sum_ratio`` and ``prob``, each (N,).

    Raises
    ------
    ValueError
        For a model with more than two classes, or an invalid ``X``.
    """
    n = getattr(getattr(model, "config", None), "n_classes", 2)
    if n != 2:
        raise ValueError(f"saliency_margin_relation needs a two-class model, this one has {n} classes")
    target = _check_target(model, target)
    s_t = saliency(model, X, target=target, batch_size=batch_size)
    s_o = saliency(model, X, target=1 - target, batch_size=batch_size)
    s_m = saliency(model, X, target=target, batch_size=batch_size, output="margin")
    N = len(s_t.gradient)
    g_sum = (s_t.gradient + s_o.gradient).reshape(N, -1)
    g_m = s_m.gradient.reshape(N, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.linalg.norm(g_sum, axis=1) / np.linalg.norm(g_m, axis=1)
    return MarginRelation(
        r_gradient=_rowwise_r(s_t.gradient, s_m.gradient),
        r_saliency=_rowwise_r(s_t.per_position, s_m.per_position),
        r_other=_rowwise_r(s_t.gradient, s_o.gradient),
        sum_ratio=ratio,
        prob=s_t.prob,
    )


# --------------------------------------------------------------------------
# 2. Temporal output scores
# --------------------------------------------------------------------------
def temporal_scores(
    model: nn.Module,
    X,
    *,
    target: int = 1,
    batch_size: int = 128,
    method: str = "auto",
) -> Temporal:
    """Positive-class probability of every prefix and every suffix, in one pass.

    For the RNN the recurrent head reads one-hot prefixes ``x[1..t]`` and
    suffixes ``x[t..L]``.  For the CNN-RNN the convolution runs once on the
    whole sequence (``model.features(X)``) and the recurrent head scores
    prefixes and suffixes of the convolution output, as in the reference
    code (so a prefix's last few features still see the zero-padded
    convolution's view of the bases just after it).

    All ``2L`` sub-sequences of a sequence are scored together, by one of two
    exact methods:

    ``"chains"`` (single-layer LSTM heads; the default there)
        The forward LSTM of prefix ``x[1..t]`` is the first ``t`` forward
        outputs of the full sequence, and the backward LSTM of suffix
        ``x[t..L]`` is the last ``L-t+1`` backward outputs, so both come from
        one pass over the full sequence plus cumulative sums.  Only the
        backward direction of each prefix and the forward direction of each
        suffix start from a fresh state.  These ``2L`` runs are advanced
        together, one time step per iteration (``L`` iterations in all): at
        step ``k`` the runs still going read a contiguous slice of input
        projections computed once, so the batch just shrinks by one run per
        step, with no padding and no gathering.  The LSTM cell is evaluated
        from the head's own weights (PyTorch's gate order), which matches the
        module up to float rounding (~1e-7 in probability).
    ``"packed"`` (any head; the fallback for stacked LSTMs)
        Right-padded prefixes and suffixes with their lengths go through the
        model's own ``model.head(F, lengths)`` (packed sequences).  About 2x
        slower on a single sequence and 5-10x slower on many.

    Parameters
    ----------
    model : nn.Module
        A recurrent DeMo model (``arch`` ``"rnn"`` or ``"cnn-rnn"``,
        uni- or bidirectional).
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
    target : int
        Class whose probability is reported; 1 = bound.
    batch_size : int
        Sequences per pass (the ``"packed"`` method further limits a pass to
        about 1024 prefixes and suffixes).
    method : {"auto", "chains", "packed"}

    Returns
    -------
    Temporal
        ``forward`` (N, L) prefix probabilities, ``backward`` (N, L) suffix
        probabilities.

    Raises
    ------
    ValueError
        For a CNN (no temporal output; use :func:`saliency`), a malformed
        ``X``, or a method the model does not support.
    """
    _check_recurrent(model, "temporal_scores")
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    if method not in ("auto", "chains", "packed"):
        raise ValueError(f"method must be 'auto', 'chains' or 'packed', got {method!r}")
    chains_ok = _chains_supported(model.head)
    if method == "chains" and not chains_ok:
        raise ValueError("method='chains' needs a single-layer LSTM head without projections; use 'packed'")
    use_chains = chains_ok if method == "auto" else method == "chains"
    N, _, L = x.shape
    if N == 0:
        return Temporal(_empty(0, L), _empty(0, L))
    fw, bw = [], []
    with _eval_mode(model), torch.inference_mode():
        if use_chains:
            for i in range(0, N, batch_size):
                f, b = _temporal_chains(model, x[i : i + batch_size], target)
                fw.append(f)
                bw.append(b)
        else:
            step = max(1, min(batch_size, 1024 // (2 * L)))
            for i in range(0, N, step):
                f, b = _temporal_packed(model, x[i : i + step], target)
                fw.append(f)
                bw.append(b)
    return Temporal(torch.cat(fw).cpu().numpy(), torch.cat(bw).cpu().numpy())


def _chains_supported(head: nn.Module) -> bool:
    lstm = getattr(head, "lstm", None)
    return (
        isinstance(lstm, nn.LSTM)
        and lstm.num_layers == 1
        and getattr(lstm, "proj_size", 0) == 0
        and lstm.batch_first
        and hasattr(head, "linear")
    )


def _chain_weights(lstm: nn.LSTM, suffixes: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rearranged LSTM weights for :func:`_run_chains`, one set per direction.

    PyTorch's gate rows are (i, f, g, o).  The chains use five row blocks
    (i, f, o, -o, 2g), so that one ``sigmoid`` gives i, f, o, 1 - o and
    ``sigmoid(2 z_g)`` (``tanh(z) = 2 sigmoid(2z) - 1``; the elementwise
    ``tanh`` is several times slower than ``sigmoid`` on CPU).  The recurrence
    runs on ``h + 1`` (see :func:`_run_chains`), so ``W_hh @ 1`` is moved
    into the bias.

    Returns
    -------
    W_in : (D, 5H, C), bias : (D, 5H), W_rec : (D, 5H, H)
    """
    H = lstm.hidden_size
    rows = lambda w: torch.cat([w[:H], w[H : 2 * H], w[3 * H :], -w[3 * H :], 2 * w[2 * H : 3 * H]])  # noqa: E731
    W_in, bias, W_rec = [], [], []
    for s in suffixes:
        w_hh = getattr(lstm, "weight_hh_l0" + s)
        b = w_hh.new_zeros(4 * H)
        if lstm.bias:
            b = getattr(lstm, "bias_ih_l0" + s) + getattr(lstm, "bias_hh_l0" + s)
        b = b - w_hh.sum(dim=1)
        W_in.append(rows(getattr(lstm, "weight_ih_l0" + s)))
        bias.append(rows(b))
        W_rec.append(rows(w_hh))
    return torch.stack(W_in), torch.stack(bias), torch.stack(W_rec)


def _run_chains(P: torch.Tensor, W_rec: torch.Tensor, n: int) -> torch.Tensor:
    """Advance ``T`` LSTM runs per sequence, one starting at every position.

    Run ``c`` (0-based) of a sequence reads the input projections at
    positions ``c, c-1, ..., 0`` (``c + 1`` steps from a zero state).  At
    step ``k`` runs ``k..T-1`` are active and read positions ``0..T-1-k``:
    a contiguous slice, so the batch shrinks by one run per step with no
    padding or gathering.  Columns are position-major: column ``p * n + s``
    is position (or run) ``p`` of sequence ``s``.

    The state carried is ``h + 1 = 2 o sigmoid(2c) + (1 - o)`` (one fused
    ``addcmul``) and ``2c``; the weights come from :func:`_chain_weights`.

    Parameters
    ----------
    P : torch.Tensor, shape (D, 5H, T * n)
        Input projections plus bias, in the row layout of :func:`_chain_weights`.
    W_rec : torch.Tensor, shape (D, 5H, H)
    n : int
        Sequences interleaved in the columns.

    Returns
    -------
    torch.Tensor, shape (D, H, T * n)
        For each run, the sum over its steps of the LSTM output ``h``.
    """
    D, G5, Tn = P.shape
    H = G5 // 5
    T = Tn // n
    acc = P.new_zeros(D, H, Tn)
    h = P.new_ones(D, H, Tn)  # h + 1 with h = 0
    c = P.new_zeros(D, H, Tn)  # 2c
    # (narrow() rather than [...] indexing: this loop is overhead-bound for small n)
    for k in range(T):
        m = (T - k) * n
        gates = torch.baddbmm(P.narrow(2, 0, m), W_rec, h).sigmoid_()
        i, f, o, not_o, g = gates.view(D, 5, H, m).unbind(1)
        # 2c' = f * 2c + 2 * i * tanh(z_g),  tanh(z_g) = 2 g - 1
        c = c.mul_(f).addcmul_(i, g, value=4).sub_(i, alpha=2)
        # h' + 1 = o * tanh(c') + 1 = 2 o sigmoid(2c') + (1 - o)
        h = torch.addcmul(not_o, o, torch.sigmoid(c), value=2)
        acc.narrow(2, k * n, m).add_(h)
        # runs k finish; the survivors are the later ones
        h = h.narrow(2, n, m - n)
        c = c.narrow(2, n, m - n)
    steps = torch.arange(1, T + 1, device=P.device, dtype=P.dtype).repeat_interleave(n)
    return acc - steps


def _temporal_chains(model: nn.Module, x: torch.Tensor, target: int) -> tuple[torch.Tensor, torch.Tensor]:
    head = model.head
    lstm: nn.LSTM = head.lstm
    H = lstm.hidden_size
    feats = model.features(x)  # (n, C, T)
    n, _, T = feats.shape
    out, _ = lstm(feats.transpose(1, 2))  # full sequence, (n, T, D*H)
    t = torch.arange(1, T + 1, device=x.device, dtype=out.dtype).view(1, T, 1)
    suffix_len = T + 1 - t
    # Fresh runs: the forward direction over each suffix x[t..T] (run c = T - t
    # reads the reversed features) and, if bidirectional, the backward
    # direction over each prefix x[t..1] (run c = t - 1).
    suffixes = ["", "_reverse"] if lstm.bidirectional else [""]
    W_in, bias, W_rec = _chain_weights(lstm, suffixes)
    F = torch.stack([feats.flip(2), feats][: len(suffixes)])  # (D, n, C, T)
    P = torch.matmul(W_in.unsqueeze(1), F) + bias.view(len(suffixes), 1, -1, 1)  # (D, n, 5H, T)
    P = P.permute(0, 2, 3, 1).reshape(len(suffixes), 5 * H, T * n)
    acc = _run_chains(P, W_rec, n).view(len(suffixes), H, T, n).permute(0, 3, 2, 1)  # (D, n, T, H)
    prefix_fwd = out[..., :H].cumsum(dim=1) / t  # forward LSTM of x[1..t] = first t outputs
    suffix_fwd = acc[0].flip(1) / suffix_len
    if lstm.bidirectional:
        prefix_bwd = acc[1] / t
        # backward LSTM of x[t..T] = last T-t+1 backward outputs of the full sequence
        suffix_bwd = out[..., H:].flip(1).cumsum(dim=1).flip(1) / suffix_len
        pooled_prefix = torch.cat([prefix_fwd, prefix_bwd], dim=2)
        pooled_suffix = torch.cat([suffix_fwd, suffix_bwd], dim=2)
    else:
        pooled_prefix, pooled_suffix = prefix_fwd, suffix_fwd
    pooled = torch.stack([pooled_prefix, pooled_suffix])  # (2, n, T, D*H)
    prob = torch.softmax(head.classify(pooled), dim=-1)[..., target]
    return prob[0], prob[1]


def _temporal_packed(model: nn.Module, x: torch.Tensor, target: int) -> tuple[torch.Tensor, torch.Tensor]:
    feats = model.features(x)  # (n, C, T)
    n, C, T = feats.shape
    dev = feats.device
    j = torch.arange(T, device=dev)
    t = torch.arange(1, T + 1, device=dev)
    # prefix t: positions 0..t-1; suffix t: positions t-1..T-1, left-aligned
    pre_idx = j.expand(T, T)
    suf_idx = (t.view(T, 1) - 1 + j.view(1, T)).clamp(max=T - 1)
    idx = torch.cat([pre_idx, suf_idx])  # (2T, T)
    lengths = torch.cat([t, T + 1 - t])  # (2T,)
    rows = feats[:, :, idx]  # (n, C, 2T, T)
    rows = rows.permute(0, 2, 1, 3).reshape(n * 2 * T, C, T)
    logits = model.head(rows, lengths.repeat(n).cpu())
    p = torch.softmax(logits, dim=1)[:, target].view(n, 2, T)
    return p[:, 0], p[:, 1]


def temporal_scores_naive(model: nn.Module, X, *, target: int = 1) -> Temporal:
    """Reference loop for :func:`temporal_scores`: one head pass per prefix and suffix.

    For each sequence the features are computed once (``model.features``),
    then ``model.head`` runs separately on each of the ``L`` prefixes and
    ``L`` suffixes, as in the reference code.  Slow (``2 N L`` passes); used
    to check and benchmark the batched version.

    Parameters
    ----------
    model : nn.Module
        A recurrent DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
    target : int

    Returns
    -------
    Temporal
        ``forward`` and ``backward``, each (N, L).
    """
    _check_recurrent(model, "temporal_scores_naive")
    x = _as_input(model, X)
    target = _check_target(model, target)
    N, _, L = x.shape
    fw = np.zeros((N, L), dtype=np.float32)
    bw = np.zeros((N, L), dtype=np.float32)
    with _eval_mode(model), torch.inference_mode():
        for i in range(N):
            F = model.features(x[i : i + 1])
            for t in range(1, L + 1):
                fw[i, t - 1] = torch.softmax(model.head(F[:, :, :t]), dim=1)[0, target].item()
                bw[i, t - 1] = torch.softmax(model.head(F[:, :, t - 1 :]), dim=1)[0, target].item()
    return Temporal(fw, bw)


# --------------------------------------------------------------------------
# 3. Class optimization
# --------------------------------------------------------------------------
def reference_pwm(X: np.ndarray | torch.Tensor) -> np.ndarray:
    """The reference code's conversion of an optimized input to a PWM.

    Clamp to [0, 1], divide by the maximum (over the whole (4, L) matrix),
    add 0.01 to every entry and normalize each position to sum to 1.  An
    all-zero matrix after clamping gives the uniform PWM.

    Parameters
    ----------
    X : array-like, shape (4, L) or (R, 4, L)

    Returns
    -------
    np.ndarray, float64, shape (L, 4) or (R, L, 4)
    """
    x = torch.as_tensor(np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X), dtype=torch.float64)
    single = x.ndim == 2
    if single:
        x = x.unsqueeze(0)
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"reference_pwm expects shape (4, L) or (R, 4, L), got {tuple(x.shape)}")
    x = x.clamp(0.0, 1.0)
    m = x.amax(dim=(1, 2), keepdim=True)
    x = torch.where(m > 0, x / m.clamp_min(1e-12), x) + 0.01
    pwm = (x / x.sum(dim=1, keepdim=True)).transpose(1, 2).numpy()
    return pwm[0] if single else pwm


@dataclass(frozen=True)
class Objective:
    """A class term :func:`class_optimization` can maximize (an entry of :data:`OBJECTIVES`).

    Attributes
    ----------
    name : str
    meaning : str
        What ``term`` computes, in words.
    term : callable (logits (R, n_classes), target) -> torch.Tensor (R,)
        The class term ``f`` of ``f(X) - lam ||X||^2``, from the logits.
    lr : float
        Default RMSprop learning rate for this objective.
    """

    name: str
    meaning: str
    term: Callable[[torch.Tensor, int], torch.Tensor]
    lr: float


#: The class terms :func:`class_optimization` can maximize, the default first.
#: The probability's default learning rate is 0.01, not the reference code's
#: 0.05: with 0.05 RMSprop does not settle on the probability objective (on the
#: MAFK RNN and CNN-RNN the objective still swings by 0.3-0.5 over the last 100
#: of 1000 steps), with 0.01 it does (chapter 08).
OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("probability", "P_pos(X) = softmax(S(X))_pos, the softmax probability of the target class "
                  "(the paper's objective)", lambda logits, t: torch.softmax(logits, dim=1)[:, t], 0.01),
        Objective("logit", "S_pos(X), the target-class logit before the softmax",
                  lambda logits, t: logits[:, t], 0.05),
    )
}


def _check_objective(objective: str) -> Objective:
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose from {', '.join(map(repr, OBJECTIVES))}")
    return OBJECTIVES[objective]


def class_objective(
    model: nn.Module, X: torch.Tensor, *, objective: str = "probability", lam: float = 0.009, target: int = 1
) -> torch.Tensor:
    """The objective :func:`class_optimization` maximizes, differentiable in ``X``.

    ``f(X) - lam * ||X||_2^2`` with ``f`` the class term named by
    ``objective`` (:data:`OBJECTIVES`): the target-class softmax probability
    ``P_pos(X)`` (``"probability"``, the paper's) or the target-class logit
    ``S_pos(X)`` (``"logit"``).  The model is called as it is (put it in eval
    mode first); nothing is detached.

    Parameters
    ----------
    model : nn.Module
        A DeMo model, logits (R, n_classes).
    X : torch.Tensor, shape (R, 4, L)
        Continuous inputs (rows ACGT), e.g. with ``requires_grad``.
    objective : {"probability", "logit"}
    lam : float
        L2 weight lambda.
    target : int
        Class to maximize; 1 = bound.

    Returns
    -------
    torch.Tensor, shape (R,)
        The objective of each input.
    """
    term = _check_objective(objective).term(model(X), target)
    return term - lam * X.pow(2).sum(dim=(1, 2))


def class_optimization(
    model: nn.Module,
    *,
    objective: str = "probability",
    restarts: int = 8,
    steps: int = 1000,
    lam: float = 0.009,
    lr: float | None = None,
    momentum: float = 0.9,
    seed: int = 0,
    param: str = "reference",
    length: int | None = None,
    target: int = 1,
    progress: bool = True,
) -> ClassOpt:
    """Input that maximizes the positive-class probability, as a PWM.

    Maximizes ``P_pos(X) - lam * ||X||_2^2`` over a continuous ``X`` of shape
    (4, L) by RMSprop with the model frozen (Simonyan et al. 2013; DeMo's
    class optimization, whose equation is written on the softmax probability
    of the positive class).  ``objective="logit"`` maximizes the logit
    ``S_pos(X) - lam * ||X||_2^2`` instead (Simonyan et al.'s choice for
    images).  All restarts run in one batch; they do not interact (eval
    mode, per-element optimizer).

    The probability saturates: its gradient ``p (1 - p) d(S_pos - S_neg)/dX``
    vanishes as ``p -> 1`` (and as ``p -> 0``).  The L2 term's gradient
    ``2 lam X`` does not, so the optimum sits just below ``p = 1`` with a
    small ``X`` (an objective above 0.99 means ``lam ||X||^2 < 0.01``).
    RMSprop normalizes each step by a running RMS of the gradient, so near
    that optimum its steps stay large: with the reference code's learning
    rate 0.05 the iterate keeps jumping around it (on the MAFK RNN the
    objective's SD over the last 100 of 1000 steps is 0.33), with 0.01 it
    settles (SD < 0.001); hence the probability's default ``lr`` of 0.01.
    A start the model calls unbound with near certainty can stay there (the
    gradient vanishes at ``p -> 0`` too).  The logit has no ceiling; its
    optimum is at a large scale of ``X`` (see chapter 08).

    Two parametrizations:

    ``"reference"`` (the paper's)
        ``X`` itself is optimized, starting from U(0, 1).  ``X`` is an
        unconstrained box: the model can be driven by magnitudes no one-hot
        input has (large values, several "present" letters at a position,
        negative values), and only the L2 term keeps them in check.  The PWM
        is derived afterwards by a heuristic: clamp to [0, 1], divide by the
        maximum, add 0.01, normalize each position (:func:`reference_pwm`).
    ``"simplex"``
        Per-position logits ``Z`` (4, L) are optimized, starting from
        U(0, 1), and ``X = softmax(Z)`` over the 4 letters, so every position
        is a proper probability distribution, like a (soft) one-hot input.
        The PWM is ``X`` itself, no heuristic.  The L2 term is not needed to
        bound ``X`` here but is kept for comparability (it mildly favours
        spread-out positions).

    Parameters
    ----------
    model : nn.Module
        Any DeMo model; its weights are not changed.
    objective : {"probability", "logit"}
        The class term ``f`` of ``f(X) - lam ||X||^2`` (:data:`OBJECTIVES`):
        the softmax probability of ``target`` (the paper's) or its logit.
    restarts : int
        Independent random starts R.
    steps : int
        RMSprop iterations.
    lam : float
        L2 weight lambda (0.009 in the reference code).
    lr : float, optional
        RMSprop learning rate; by default the objective's
        (``OBJECTIVES[objective].lr``): 0.05 for the logit, as in the
        reference code, and 0.01 for the probability, on which 0.05 does not
        settle (see :data:`OBJECTIVES`).
    momentum : float
        RMSprop momentum (0.9 in the reference code); the other RMSprop
        settings are PyTorch's defaults (alpha 0.99, eps 1e-8).
    seed : int
        Seeds the ``torch.Generator`` drawing the starts.
    param : {"reference", "simplex"}
    length : int, optional
        L; defaults to ``model.config.seq_len``.
    target : int
        Class to maximize; 1 = bound.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ClassOpt
        ``pwm`` (L, 4) of the best restart, ``pwms`` (R, L, 4),
        ``trajectory`` (R, steps) of the objective ``f(X) - lam ||X||^2``,
        ``score`` (R,) = ``S_pos`` and ``prob`` (R,) = ``P_pos`` of each
        final PWM fed back as (4, L), ``objective``.

    Raises
    ------
    ValueError
        For an unknown ``objective`` or ``param``, non-positive ``restarts``
        or ``steps``, a negative ``lam``, or a ``length`` the model cannot read.
    """
    from tqdm.auto import tqdm

    spec = _check_objective(objective)
    lr = spec.lr if lr is None else lr
    if param not in ("reference", "simplex"):
        raise ValueError(f"param must be 'reference' or 'simplex', got {param!r}")
    for name, v in (("restarts", restarts), ("steps", steps)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    target = _check_target(model, target)
    cfg = getattr(model, "config", None)
    if length is None:
        if cfg is None:
            raise ValueError("length is required for a model without a config")
        length = cfg.seq_len
    length = int(length)
    need = min_length(cfg) if cfg is not None else 1
    if length < need:
        raise ValueError(f"length {length} is shorter than the {need} bp this model needs")
    dev = _device(model)
    gen = torch.Generator().manual_seed(int(seed))
    V = torch.rand((int(restarts), 4, length), generator=gen).to(dev).requires_grad_(True)
    opt = torch.optim.RMSprop([V], lr=lr, momentum=momentum)
    to_x = (lambda v: torch.softmax(v, dim=1)) if param == "simplex" else (lambda v: v)
    traj = torch.zeros((int(restarts), int(steps)), dtype=torch.float32, device=dev)
    desc = f"class optimization ({objective}, {param})"
    with _eval_mode(model), _rnn_backward_ok(model, dev), torch.enable_grad():
        for s in tqdm(range(int(steps)), disable=not progress, desc=desc):
            obj = class_objective(model, to_x(V), objective=objective, lam=lam, target=target)
            (g,) = torch.autograd.grad(-obj.sum(), V)
            traj[:, s] = obj.detach()
            V.grad = g
            opt.step()
        V = V.detach()
        if param == "simplex":
            pwms = torch.softmax(V.double(), dim=1).transpose(1, 2).cpu().numpy()
        else:
            pwms = reference_pwm(V.cpu())
        with torch.no_grad():
            x_back = torch.as_tensor(pwms, dtype=torch.float32, device=dev).transpose(1, 2)
            logits = model(x_back)
            score = logits[:, target].cpu().numpy()
            prob = torch.softmax(logits, dim=1)[:, target].cpu().numpy()
    best = int(np.argmax(score))
    return ClassOpt(pwm=pwms[best], pwms=pwms, trajectory=traj.cpu().numpy(), score=score, best=best, param=param,
                    objective=objective, prob=prob)
