"""Integrated gradients (Sundararajan, Taly & Yan 2017) from shuffled or zero baselines.

For an input ``x``, a baseline ``x'`` and the target logit ``S``::

    IG(x; x') = (x - x') * integral_0^1 dS/dX(x' + a (x - x')) da

so that ``sum IG = S(x) - S(x')`` (completeness).  The integral is taken by
the trapezoid rule (or a left Riemann sum) on ``steps`` intervals; with
several baselines (``baseline="shuffle"``: dinucleotide shuffles of the
input) the attributions are averaged, so they sum to ``S(x)`` minus the mean
baseline score.

:func:`integrated_gradients` batches every (sequence, baseline, step) point;
:func:`integrated_gradients_naive` is the one-gradient-at-a-time loop it is
tested against.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import Attribution, check_applicable
from ._common import (
    _as_input,
    _check_batch,
    _check_target,
    _eval_mode,
    _rnn_backward_ok,
    forward_scores,
    position_magnitude,
    shuffled_baselines,
)

__all__ = ["integrated_gradients", "integrated_gradients_naive", "baselines", "path_weights"]

BASELINES = ("shuffle", "zero")
RULES = ("trapezoid", "riemann")


def path_weights(steps: int, rule: str = "trapezoid") -> tuple[np.ndarray, np.ndarray]:
    """Points ``a`` on [0, 1] and weights ``w`` with ``sum_i w_i f(a_i) ~ integral_0^1 f``.

    ``"trapezoid"``: ``a = 0, 1/m, ..., 1`` (m + 1 points), weights
    ``1/(2m)`` at the ends and ``1/m`` inside (error O(1/m^2) for smooth f).
    ``"riemann"``: left sum, ``a = 0, ..., (m-1)/m``, weights ``1/m``.

    Returns
    -------
    alphas, weights : np.ndarray, float64
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    m = int(steps)
    if rule == "trapezoid":
        a = np.arange(m + 1) / m
        w = np.full(m + 1, 1.0 / m)
        w[[0, -1]] = 0.5 / m
    elif rule == "riemann":
        a = np.arange(m) / m
        w = np.full(m, 1.0 / m)
    else:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    return a, w


def baselines(x: torch.Tensor, baseline: str, n_baselines: int, seed: int) -> np.ndarray:
    """Baselines of each input, float32, shape (N, R, 4, L).

    ``"shuffle"``: ``n_baselines`` dinucleotide shuffles per sequence, seeded
    by ``seed`` and the sequence itself (:func:`._common.shuffled_baselines`);
    ``"zero"``: the all-zero input (R = 1, ``n_baselines`` is ignored).
    """
    if baseline == "zero":
        return np.zeros((x.shape[0], 1, *x.shape[1:]), dtype=np.float32)
    if baseline == "shuffle":
        if isinstance(n_baselines, bool) or not isinstance(n_baselines, (int, np.integer)) or n_baselines < 1:
            raise ValueError(f"n_baselines must be a positive integer, got {n_baselines!r}")
        return shuffled_baselines(x, int(n_baselines), seed)
    raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")


def _correct(g: torch.Tensor) -> torch.Tensor:
    return g - g.mean(dim=-2, keepdim=True)


def integrated_gradients(
    model: nn.Module,
    X,
    *,
    baseline: str = "shuffle",
    n_baselines: int = 4,
    steps: int = 24,
    rule: str = "trapezoid",
    seed: int = 0,
    target: int = 1,
    batch_size: int = 64,
    correct: bool = False,
    progress: bool | None = None,
) -> Attribution:
    """Integrated gradients of the target logit, averaged over baselines.

    Parameters
    ----------
    model : nn.Module
        Any DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input.
    baseline : {"shuffle", "zero"}
        Dinucleotide shuffles of each input (``n_baselines`` of them; the
        default) or the all-zero input.
    n_baselines : int
        Shuffles per sequence (ignored for ``"zero"``).
    steps : int
        Intervals m of the path integral.
    rule : {"trapezoid", "riemann"}
    seed : int
        Seeds the shuffles (with each sequence's own content, so a sequence
        gets the same baselines in any batch).
    target : int
        Class whose logit is explained; 1 = bound.
    batch_size : int
        Path points per forward/backward pass (64 by default: larger
        batches are slower on CPU for the LSTM models).
    correct : bool
        Subtract each position's mean over the four bases from the
        path-averaged gradient before multiplying by ``x - x'``
        (Majdandzic, Rajesh & Koo 2023; see :func:`.correction.ig_corrected`).
    progress : bool, optional
        tqdm bar over path points; default: shown for more than 20,000 points.

    Returns
    -------
    Attribution
        ``values`` (N, 4, L): the mean over baselines of
        ``(x - x') * g_bar``, ``g_bar`` the path-averaged gradient (corrected
        if ``correct``); non-zero wherever ``x`` or a baseline has a base.
        ``per_position`` (N, L) = ``|values.sum(axis=1)|``.
        ``info["completeness_gap"]`` (N,) = ``sum(values) - (S(x) - mean S(x'))``
        (zero for an exact integral; shrinks as ``steps`` grows), and
        ``info["baseline_score"]`` (N,) = mean ``S(x')``.
    """
    check_applicable("ig-corrected" if correct else "integrated-gradients", model)
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    alphas, weights = path_weights(steps, rule)
    base = torch.as_tensor(baselines(x, baseline, n_baselines, seed), device=x.device)  # (N, R, 4, L)
    N, R = base.shape[:2]
    L = x.shape[2]
    a = torch.as_tensor(alphas, dtype=x.dtype, device=x.device)
    w = torch.as_tensor(weights, dtype=x.dtype, device=x.device)
    P = len(alphas)
    diff = x.unsqueeze(1) - base  # (N, R, 4, L)
    g_bar = torch.zeros(N * R, 4, L, dtype=x.dtype, device=x.device)
    base_out = torch.zeros(N * R, dtype=x.dtype, device=x.device)
    score, prob = forward_scores(model, x, target, batch_size)
    base_flat, diff_flat = base.reshape(N * R, 4, L), diff.reshape(N * R, 4, L)
    from tqdm.auto import tqdm

    n_pts = N * R * P
    show = n_pts > 20_000 if progress is None else progress
    with _eval_mode(model), _rnn_backward_ok(model, x.device), torch.enable_grad(), \
            tqdm(total=n_pts, disable=not show, desc="integrated gradients", unit="point") as bar:
        # every (sequence, baseline, path point) in chunks of batch_size, wherever a sequence ends
        for k in range(0, n_pts, batch_size):
            idx = torch.arange(k, min(k + batch_size, n_pts), device=x.device)
            pair, step = idx // P, idx % P
            pts = (base_flat[pair] + a[step].view(-1, 1, 1) * diff_flat[pair]).requires_grad_(True)
            out = model(pts)[:, target]
            (g,) = torch.autograd.grad(out.sum(), pts)
            g_bar.index_add_(0, pair, g * w[step].view(-1, 1, 1))
            first = step == 0  # a = 0: the baseline itself (both rules start there)
            base_out[pair[first]] = out.detach()[first]
            bar.update(len(idx))
    g_bar = g_bar.view(N, R, 4, L)
    if correct:
        g_bar = _correct(g_bar)
    values = (diff * g_bar).mean(dim=1)
    base_score = base_out.view(N, R).mean(dim=1)
    s_x = torch.as_tensor(score, device=x.device)
    gap = values.sum(dim=(1, 2)) - (s_x - base_score)
    info = {"baseline": baseline, "n_baselines": int(R), "steps": int(steps), "rule": rule, "seed": int(seed),
            "corrected": bool(correct), "target": int(target),
            "completeness_gap": gap.cpu().numpy(), "baseline_score": base_score.cpu().numpy()}
    name = "ig-corrected" if correct else "integrated-gradients"
    return Attribution(name, values.cpu().numpy(), position_magnitude(values), prob, score, info)


def integrated_gradients_naive(
    model: nn.Module,
    X,
    *,
    baseline: str = "shuffle",
    n_baselines: int = 4,
    steps: int = 24,
    rule: str = "trapezoid",
    seed: int = 0,
    target: int = 1,
    correct: bool = False,
) -> np.ndarray:
    """Reference loop for :func:`integrated_gradients`: one gradient per path point.

    For each sequence, each baseline and each point ``a_i`` of the rule,
    ``dS/dX`` at ``x' + a_i (x - x')`` is taken on its own, the weighted sum
    gives the path-averaged gradient, and ``(x - x') * g_bar`` is averaged over
    the baselines.  Slow; used to check the batched version.

    Returns
    -------
    np.ndarray, float32, shape (N, 4, L)
        The ``values`` of :func:`integrated_gradients` with the same settings.
    """
    x = _as_input(model, X)
    target = _check_target(model, target)
    alphas, weights = path_weights(steps, rule)
    base = baselines(x, baseline, n_baselines, seed)
    xs = x.cpu().numpy()
    out = np.zeros_like(xs)
    with _eval_mode(model), _rnn_backward_ok(model, x.device), torch.enable_grad():
        for i in range(xs.shape[0]):
            for r in range(base.shape[1]):
                diff = xs[i] - base[i, r]
                g_bar = np.zeros_like(diff, dtype=np.float64)
                for a_, w_ in zip(alphas, weights):
                    pt = torch.tensor(base[i, r] + np.float32(a_) * diff, device=x.device).unsqueeze(0)
                    pt.requires_grad_(True)
                    (g,) = torch.autograd.grad(model(pt)[0, target], pt)
                    g_bar += w_ * g[0].cpu().numpy()
                if correct:
                    g_bar = g_bar - g_bar.mean(axis=0, keepdims=True)
                out[i] += (diff * g_bar).astype(np.float32) / base.shape[1]
    return out
