"""The gradient correction of Majdandzic, Rajesh & Koo (Genome Biology 2023).

A one-hot input lives on the simplex ``sum_k x[k, j] = 1``; a network is
trained only there, so the component of its gradient that leaves the simplex
(the same change for all four bases at a position) is not constrained by the
data and shows up as noise.  The correction removes it: at every position,
subtract the mean of the gradient over the four bases,
``g'[k, j] = g[k, j] - mean_b g[b, j]``, then take gradient x input as usual.

Two consequences worth knowing (both tested):

* for gradient x input with a one-hot ``x``, the corrected contribution of
  position j is ``g[a, j] - mean_b g[b, j]`` (``a`` the base present): the
  gradient relative to the average base, which for a linear model is 3/4 of
  the mean ISM effect ``-mean_{b != a} (S(x with b at j) - S(x))``;
* for integrated gradients from a one-hot baseline (``baseline="shuffle"``)
  ``sum_k (x - x')[k, j] = 0``, so subtracting a per-position constant from
  the gradient leaves every position's total ``sum_k values[k, j]`` -- and so
  ``per_position`` -- unchanged; only the split among the four bases
  changes.  With ``baseline="zero"`` the correction does change
  ``per_position`` (and completeness then no longer holds).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import Attribution, check_applicable
from ._common import _as_input, _check_batch, _check_target, forward_scores, input_gradients, position_magnitude
from .integrated_gradients import integrated_gradients

__all__ = ["correct_gradient", "correct_gradient_naive", "saliency_corrected", "ig_corrected"]


def correct_gradient(g: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """``g - mean over the four bases``, per position; ``g`` of shape (..., 4, L), same type back."""
    if isinstance(g, torch.Tensor):
        return g - g.mean(dim=-2, keepdim=True)
    g = np.asarray(g)
    return g - g.mean(axis=-2, keepdims=True)


def correct_gradient_naive(g: np.ndarray) -> np.ndarray:
    """Reference loop for :func:`correct_gradient` on (N, 4, L): one position at a time."""
    g = np.asarray(g, dtype=np.float64)
    out = np.empty_like(g)
    for i in range(g.shape[0]):
        for j in range(g.shape[2]):
            m = (g[i, 0, j] + g[i, 1, j] + g[i, 2, j] + g[i, 3, j]) / 4.0
            for k in range(4):
                out[i, k, j] = g[i, k, j] - m
    return out


def saliency_corrected(model: nn.Module, X, *, target: int = 1, batch_size: int = 512) -> Attribution:
    """Gradient x input with the corrected gradient.

    Parameters
    ----------
    model : nn.Module
        Any DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
    target : int
        Class whose logit ``S`` is differentiated; 1 = bound.
    batch_size : int

    Returns
    -------
    Attribution
        ``values`` (N, 4, L) = ``correct_gradient(dS/dX) * X`` (signed; non-zero
        only at the base present); ``per_position`` = ``|values.sum(axis=1)|``;
        ``info["gradient"]`` the corrected gradient (N, 4, L), zero mean over
        the bases at every position.
    """
    check_applicable("saliency-corrected", model)
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    g = correct_gradient(input_gradients(model, x, target, batch_size))
    values = g * x
    score, prob = forward_scores(model, x, target, batch_size)
    return Attribution("saliency-corrected", values.cpu().numpy(), position_magnitude(values), prob, score,
                       info={"gradient": g.cpu().numpy(), "target": int(target)})


def ig_corrected(model: nn.Module, X, *, seed: int = 0, **kw) -> Attribution:
    """Integrated gradients with the corrected path-averaged gradient.

    ``values = mean over baselines of (x - x') * correct_gradient(g_bar)``;
    keyword arguments as :func:`.integrated_gradients.integrated_gradients`
    (default: 4 dinucleotide-shuffled baselines, 24 trapezoid steps).  With
    one-hot baselines ``per_position`` equals that of uncorrected
    integrated gradients (see the module docstring); the per-base ``values``
    differ.  ``seed`` (of the shuffled baselines) is named here so that
    callers that pass a seed to every method taking one (the ground-truth
    benchmark, the sanity checks, :func:`demolib.attribution.attribute_all`)
    reach it.
    """
    return integrated_gradients(model, X, correct=True, seed=seed, **kw)
