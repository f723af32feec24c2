"""In-silico mutagenesis: the change of the logit for every single-base substitution.

For sequence ``x``, position ``j`` and a base ``b`` other than the one
present, ``Delta[b, j] = S(x with b at j) - S(x)`` (``S`` the target logit).
Three implementations, tested equal (and against tangermeme's
``saturation_mutagenesis``):

:func:`ism` with ``implementation="batched"`` (any model)
    every mutant of a batch of sequences is built by indexing and scored in
    large forward passes.
:func:`ism` with ``implementation="window"`` (the CNN; the default there)
    a substitution at ``j`` only changes the last convolution layer's
    outputs whose receptive field covers ``j``, so only an input window of
    ``P (K - 1) + R`` bp around ``j`` is run through the convolutions (``R``
    the receptive field, ``P`` the product of the pool sizes, ``K = ceil(R /
    P)`` outputs; 52 of 101 bp for the medium CNN), and the global max is
    completed with prefix / suffix maxima of the unmutated sequence's
    feature map.  About twice as fast as ``"batched"``.
:func:`ism_naive`
    one forward pass per mutant; the obviously correct reference.

Per-position score: ``per_position[j] = |mean_{b != a} Delta[b, j]|``, the
magnitude of the mean effect of mutating position ``j`` away from its base
``a``.  We use the mean rather than ``max |Delta|`` because it is the
quantity the gradient methods estimate: for a model linear in ``x`` it is
exactly 4/3 of the corrected gradient x input at ``j`` (and it is 4/3 of the
magnitude of tangermeme's mean-centred ISM attribution of the base present),
so ISM and corrected saliency are on one scale; a single large ``Delta`` to
one base (a possible gain-of-function mutation) does not make a position
"important" for the sequence as it is.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..models import ConvNet, min_length
from . import Attribution, check_applicable
from ._common import _as_input, _check_batch, _check_target, _eval_mode, forward_scores

__all__ = ["ism", "ism_naive", "ism_tangermeme", "ISM_IMPLEMENTATIONS"]

ISM_IMPLEMENTATIONS = ("auto", "batched", "window")


def _substitutions(x: torch.Tensor) -> torch.Tensor:
    """(M, 3) rows ``(sequence, base, position)`` of every substitution: each base not already present (== 1)."""
    return torch.nonzero(x != 1, as_tuple=False)


def _mutants(x: torch.Tensor, subs: torch.Tensor) -> torch.Tensor:
    """One copy of ``x[i]`` per row ``(i, b, j)`` of ``subs`` with position ``j`` set to base ``b``."""
    i, b, j = subs.unbind(1)
    xm = x[i].clone()
    r = torch.arange(xm.shape[0], device=x.device)
    xm[r, :, j] = 0
    xm[r, b, j] = 1
    return xm


def _window_supported(model: nn.Module) -> bool:
    if not isinstance(model, ConvNet):
        return False
    convs = [m for m in model.conv if isinstance(m, nn.Conv1d)]
    return all(c.stride == (1,) and c.dilation == (1,) and c.padding == (0,) for c in convs)


def _window_geometry(model: ConvNet, L: int) -> tuple[int, int, int, int]:
    """(R, P, K, T): receptive field, total pool stride, window outputs, feature-map length for input length L."""
    cfg = model.config
    R = min_length(cfg)
    P = cfg.pool ** (len(cfg.conv_widths) - 1)
    T = (L - R) // P + 1
    K = min(T, math.ceil(R / P))
    return R, P, K, T


def _ism_batched(model, x, subs, target, s0, batch_size, bar) -> torch.Tensor:
    out = torch.empty(subs.shape[0], dtype=x.dtype, device=x.device)
    for k in range(0, subs.shape[0], batch_size):
        sb = subs[k : k + batch_size]
        out[k : k + sb.shape[0]] = model(_mutants(x, sb))[:, target] - s0[sb[:, 0]]
        bar.update(sb.shape[0])
    return out


def _ism_window(model: ConvNet, x, subs, target, s0, batch_size, bar) -> torch.Tensor:
    N, _, L = x.shape
    R, P, K, T = _window_geometry(model, L)
    W = P * (K - 1) + R
    F = model.conv(x)  # (N, C, T)
    assert F.shape[2] == T, (F.shape, T)
    neg = torch.full_like(F[:, :, :1], -torch.inf)
    # pre[:, :, p] = max F[..., :p]; suf[:, :, p] = max F[..., p:]  (p = 0..T)
    pre = torch.cat([neg, torch.cummax(F, dim=2).values], dim=2)
    suf = torch.cat([torch.cummax(F.flip(2), dim=2).values.flip(2), neg], dim=2)
    out = torch.zeros(subs.shape[0], dtype=x.dtype, device=x.device)
    offs = torch.arange(W, device=x.device)
    # bases after the last receptive field (L - P (T - 1) - R of them) are never read: Delta = 0 there
    covered = torch.nonzero(subs[:, 2] < P * (T - 1) + R).squeeze(1)
    bar.update(subs.shape[0] - covered.shape[0])
    for k in range(0, covered.shape[0], batch_size):
        rows = covered[k : k + batch_size]
        sb = subs[rows]
        i, b, j = sb.unbind(1)
        # first output whose receptive field [P p, P p + R) holds j, clamped so that K outputs fit
        p0 = torch.div(j - R + 1 + P - 1, P, rounding_mode="floor").clamp(min=0, max=T - K)
        start = P * p0
        cols = start.unsqueeze(1) + offs  # (m, W)
        crop = x[i.unsqueeze(1), :, cols].transpose(1, 2).clone()  # (m, 4, W)
        r = torch.arange(sb.shape[0], device=x.device)
        jj = j - start
        crop[r, :, jj] = 0
        crop[r, b, jj] = 1
        h = model.conv(crop).amax(dim=2)  # (m, C), the K changed outputs
        outside = torch.maximum(pre[i, :, p0], suf[i, :, p0 + K])
        logits = model.linear(model.dropout(torch.maximum(h, outside)))
        out[rows] = logits[:, target] - s0[i]
        bar.update(sb.shape[0])
    return out


def ism(
    model: nn.Module,
    X,
    *,
    target: int = 1,
    batch_size: int = 128,
    implementation: str = "auto",
    progress: bool | None = None,
) -> Attribution:
    """In-silico saturation mutagenesis of the target logit.

    Parameters
    ----------
    model : nn.Module
        Any DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input.  At a position that is not one-hot (``N``, all zero)
        all four bases are substitutions.
    target : int
        Class whose logit is mutated; 1 = bound.
    batch_size : int
        Mutants per forward pass (128 by default: on CPU larger batches are
        slower for the LSTM models, whose activations then leave the cache).
    implementation : {"auto", "batched", "window"}
        ``"auto"``: ``"window"`` for a CNN, ``"batched"`` otherwise.
    progress : bool, optional
        tqdm bar over mutants; default: shown for more than 100,000 mutants.

    Returns
    -------
    Attribution
        ``values`` (N, 4, L): ``Delta[b, j] = S(x with b at j) - S(x)``
        for every substitution, 0 at the base present (an effect, so the
        motif's own bases show as negative effects of mutating them away);
        ``per_position`` (N, L) = ``|mean over substitutions of Delta|``
        (module docstring); ``info["implementation"]`` the one used.
    """
    check_applicable("ism", model)
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    if implementation not in ISM_IMPLEMENTATIONS:
        raise ValueError(f"unknown ISM implementation {implementation!r}; "
                         f"choose one of {', '.join(ISM_IMPLEMENTATIONS)}")
    if implementation == "window" and not _window_supported(model):
        raise ValueError("implementation='window' needs a CNN of unpadded, unit-stride convolutions (ConvNet); "
                         "use 'batched'")
    use = ("window" if _window_supported(model) else "batched") if implementation == "auto" else implementation
    N, _, L = x.shape
    score, prob = forward_scores(model, x, target, batch_size)
    values = torch.zeros_like(x)
    subs = _substitutions(x)
    if subs.shape[0]:
        from tqdm.auto import tqdm

        show = subs.shape[0] > 100_000 if progress is None else progress
        s0 = torch.as_tensor(score, device=x.device)
        with _eval_mode(model), torch.inference_mode(), tqdm(total=subs.shape[0], disable=not show,
                                                               desc=f"ISM ({use})", unit="mutant") as bar:
            run = _ism_window if use == "window" else _ism_batched
            delta = run(model, x, subs, target, s0, batch_size, bar)
        i, b, j = subs.unbind(1)
        values[i, b, j] = delta
    n_sub = (x != 1).sum(dim=1).clamp(min=1)  # substitutions per position
    per_pos = (values.sum(dim=1) / n_sub).abs()
    return Attribution("ism", values.cpu().numpy(), per_pos.cpu().numpy(), prob, score,
                       info={"implementation": use, "target": int(target)})


def ism_naive(model: nn.Module, X, *, target: int = 1) -> np.ndarray:
    """Reference loop for :func:`ism`: one forward pass per mutant.

    Returns
    -------
    np.ndarray, float32, shape (N, 4, L)
        ``Delta[b, j]`` for every base that is not present, 0 where it is.
    """
    x = _as_input(model, X)
    target = _check_target(model, target)
    N, _, L = x.shape
    out = np.zeros((N, 4, L), dtype=np.float32)
    with _eval_mode(model), torch.inference_mode():
        for i in range(N):
            s0 = model(x[i : i + 1])[0, target].item()
            for j in range(L):
                for b in range(4):
                    if x[i, b, j] == 1:
                        continue
                    xm = x[i : i + 1].clone()
                    xm[0, :, j] = 0
                    xm[0, b, j] = 1
                    out[i, b, j] = model(xm)[0, target].item() - s0
    return out


def ism_tangermeme(model: nn.Module, X, *, target: int = 1, batch_size: int = 256) -> np.ndarray:
    """``Delta`` from tangermeme's ``saturation_mutagenesis`` (for cross-checks; slower).

    Its raw outputs (the model's logits for the unmutated input and for every
    base at every position) are turned into ``Delta[b, j] = S(b at j) - S(x)``,
    which is 0 at the base present.  tangermeme casts the input to int8, so
    ``X`` must be one-hot (0/1).

    Returns
    -------
    np.ndarray, float32, shape (N, 4, L)
    """
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    x = _as_input(model, X)
    target = _check_target(model, target)
    dev = x.device
    with _eval_mode(model):
        y0, y_hat = saturation_mutagenesis(model, x.cpu(), batch_size=batch_size, raw_outputs=True,
                                           device=dev, fast=False, verbose=False)
    d = y_hat[..., target] - y0[:, None, None, target]  # (N, 4, L)
    return d.float().cpu().numpy()
