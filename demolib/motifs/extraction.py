"""Motif extraction: one motif per model and visualization method (Table 3's rows).

:func:`extract_motif` turns a visualization into a motif: per-sequence
windows (saliency and every other attribution method of the registry,
temporal output scores, convolution activations) aggregated into a PWM, or
the most informative window of the class-optimized PWM.
:func:`conv_motifs` is DeepBind's per-filter motif (Alipanahi et al. 2015).
Torch is imported lazily, so importing this module stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..attribution import ATTRIBUTIONS
from ..data import one_hot
from .windows import (
    _check_k,
    _check_pwm,
    _normalize_counts,
    align_windows,
    max_ic_window,
    saliency_window,
    temporal_window,
    window_strings,
)

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = ["METHODS", "PAPER_METHODS", "Extracted", "ConvMotif", "conv_motifs", "extract_motif"]

#: The paper's four extraction methods, then every other per-position attribution
#: method of the registry (:data:`demolib.attribution.ATTRIBUTIONS`): each gives a
#: motif by the saliency rule, the length-k window of highest summed score.
PAPER_METHODS = ("saliency", "temporal", "classopt", "conv")
METHODS = PAPER_METHODS + tuple(n for n, m in ATTRIBUTIONS.items() if m.kind == "attribution" and n not in PAPER_METHODS)


# --------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Extracted:
    """A motif extracted from a model by one visualization method.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    pwm : np.ndarray, float64, shape (k, 4)
        The aggregated motif (for ``"conv"`` the filter width ``w`` replaces
        ``k``).
    starts : np.ndarray, int64, shape (N,) or None
        Start of each sequence's window (0-based, in sequence coordinates;
        negative or running past the end only for ``"conv"`` on a same-padded
        CNN-RNN).  ``None`` for ``"classopt"``, which uses no sequences.
    seq_windows : list of str, length N, or None
        The windows themselves (positions outside the sequence are ``N``).
    info : dict
        Method details: ``"classopt"``: ``start`` (window start in the
        optimized PWM), ``source_pwm`` (L, 4), ``score``; ``"conv"``:
        ``filter``, ``n_sites``, ``mean_activation``.
    """

    method: str
    pwm: np.ndarray
    starts: np.ndarray | None
    seq_windows: list[str] | None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ConvMotif:
    """The motif of one first-layer convolution filter (DeepBind's method).

    Attributes
    ----------
    filter : int
        Index of the filter in ``model.first_conv``.
    pwm : np.ndarray, float64, shape (w, 4)
        Letter frequencies of the kept windows (uniform when none is kept).
    n_sites : int
        Number of sequences whose best window was kept.
    max_activation : float
        The filter's largest (ReLU'd) activation over all sequences.
    mean_activation : float
        Mean over sequences of each sequence's largest activation.
    starts : np.ndarray, int64, shape (N,)
        Start of each sequence's most activating window, in sequence
        coordinates (can be negative with same padding).
    kept : np.ndarray, bool, shape (N,)
        Which windows went into ``pwm``.
    """

    filter: int
    pwm: np.ndarray
    n_sites: int
    max_activation: float
    mean_activation: float
    starts: np.ndarray
    kept: np.ndarray


# --------------------------------------------------------------------------
# Convolution filters (DeepBind's baseline)
# --------------------------------------------------------------------------
def _conv_geometry(conv) -> tuple[int, int, int]:
    """(filter width w, left padding, right padding) of a stride-1, dilation-1 Conv1d."""
    w = int(conv.kernel_size[0])
    if conv.stride[0] != 1 or conv.dilation[0] != 1:
        raise ValueError("conv_motifs supports stride 1 and dilation 1 only")
    if conv.in_channels != 4:
        raise ValueError(f"the first convolution must read 4 channels (ACGT), it reads {conv.in_channels}")
    pad = conv.padding
    if isinstance(pad, str):
        left = (w - 1) // 2 if pad == "same" else 0  # torch puts the odd extra on the right
        right = w - 1 - left if pad == "same" else 0
    else:
        left = right = int(pad[0])
    return w, left, right


def conv_motifs(
    model: "nn.Module", seqs: Sequence[str], *, threshold: float = 0.5, batch_size: int = 512
) -> list[ConvMotif]:
    """One motif per first-layer filter, from its most activating windows.

    DeepBind's convolution-activation method (Alipanahi et al. 2015, used as
    Table 3's "convolution activation" column): for each filter of
    ``model.first_conv``, run the convolution and its ReLU on the one-hot
    sequences; in each sequence take the position of the largest activation;
    keep that window if its activation exceeds ``threshold`` times the
    filter's largest activation over all sequences (and is positive); the
    kept windows, of the filter width ``w``, are counted into a PWM.

    With same padding (CNN-RNN) a window can hang over a sequence end; the
    filter saw zeros there, so those positions are ``N`` and count nothing.

    Parameters
    ----------
    model : nn.Module
        A CNN or CNN-RNN (the plain RNN has no filters: ``ValueError``).
    seqs : list of str, length N
        Equal-length sequences (positives, normally).
    threshold : float
        Fraction of the filter's maximum, in [0, 1).
    batch_size : int

    Returns
    -------
    list of ConvMotif, one per filter, in filter order (``result[c].filter
    == c``); a filter that never activates has ``n_sites == 0`` and a uniform
    PWM.
    """
    import torch

    conv = getattr(model, "first_conv", None)
    if conv is None:
        raise ValueError("the RNN has no convolution filters; conv motifs need a CNN or CNN-RNN")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if isinstance(seqs, str):
        seqs = [seqs]
    if len(seqs) == 0:
        raise ValueError("conv_motifs needs at least one sequence")
    w, left, right = _conv_geometry(conv)
    X = one_hot(list(seqs))
    if X.shape[2] + left + right < w:
        raise ValueError(f"sequences of {X.shape[2]} bp are shorter than the filters ({w} bp)")
    param = next(conv.parameters())
    best_val, best_pos = [], []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.from_numpy(X[i : i + batch_size]).to(device=param.device, dtype=param.dtype)
            a = conv(xb)  # (B, C, L')
            v, p = a.max(dim=2)  # raw maximum: its position is the ReLU's argmax when positive
            best_val.append(v.clamp_min(0).float().cpu().numpy())
            best_pos.append(p.cpu().numpy())
    val = np.concatenate(best_val).T.astype(np.float64)  # (C, N)
    starts = np.concatenate(best_pos).T.astype(np.int64) - left  # (C, N)
    # counts of every sequence's window, per filter: one-hot of the padded input
    pad = np.zeros((X.shape[0], 4, X.shape[2] + 2 * w), dtype=np.float32)
    pad[:, :, w : w + X.shape[2]] = X
    out = []
    n_idx = np.arange(X.shape[0])
    for c in range(val.shape[0]):
        m = float(val[c].max())
        kept = (val[c] > threshold * m) & (val[c] > 0)
        if kept.any():
            idx = (starts[c, kept] + w)[:, None] + np.arange(w)[None]  # (n, w) in padded coords
            win = pad[n_idx[kept][:, None], :, idx]  # (n, w, 4)
            pwm = _normalize_counts(win.sum(axis=0), 0.0)
        else:
            pwm = np.full((w, 4), 0.25)
        out.append(ConvMotif(c, pwm, int(kept.sum()), m, float(val[c].mean()), starts[c].copy(), kept))
    return out


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------
def _numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def extract_motif(
    model: "nn.Module", seqs: Sequence[str], method: str, k: int = 10, *, align: bool = True, **kw: Any
) -> Extracted:
    """Extract one motif from a model by one of the paper's four methods.

    Parameters
    ----------
    model : nn.Module
        A DeMo model (CNN, RNN or CNN-RNN).
    seqs : list of str, length N
        Equal-length sequences, normally the positive test sequences
        (ignored by ``"classopt"``).
    method : one of :data:`METHODS`
        ``"saliency"`` and every other attribution method of the registry
        (``"ism"``, ``"integrated-gradients"``, ``"deeplift-shap"``, ...)
            per sequence, the length-``k`` window of highest summed
            per-position score (:func:`saliency_window`); the windows are
            counted into the PWM.  Keywords (``target``, ``batch_size``, a
            method's own settings) go to :func:`demolib.attribution.attribute`;
            a method that does not apply to the model is a ``ValueError``
            saying why.
        ``"temporal"`` (RNN and CNN-RNN only; a CNN is a ``ValueError``)
            per sequence, the window where the forward temporal score rises
            most (:func:`temporal_window`); keywords ``start_score`` and
            ``use_backward`` (add the backward score's rise; default False);
            others go to :func:`demolib.interpret.temporal_scores`.
        ``"classopt"``
            the max-IC length-``k`` window (:func:`max_ic_window`) of the
            class-optimized PWM; other keywords (``steps``, ``restarts``,
            ``seed``, ``param``, ...) go to
            :func:`demolib.interpret.class_optimization` (``progress``
            defaults to False here).
        ``"conv"`` (CNN and CNN-RNN)
            :func:`conv_motifs` (keywords ``threshold``, ``batch_size``); the
            motif returned is that of the *most activated* filter: the
            highest mean over sequences of the per-sequence maximum
            activation (ties: more sites).  Its width is the filter width;
            ``k`` is ignored.  ``starts`` are that filter's per-sequence
            best windows, all of them (``info["kept"]`` marks the ones in
            the PWM).
    k : int
        Motif width.
    align : bool
        For "saliency" and "temporal": aggregate the per-sequence windows
        after aligning their offsets (up to 3 bp) and strands
        (:func:`align_windows`); False stacks them as found.  ``starts``
        and ``seq_windows`` are always the windows as found.

    Returns
    -------
    Extracted
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    seqs = [seqs] if isinstance(seqs, str) else list(seqs)
    if method == "conv":
        if getattr(model, "first_conv", None) is None:
            raise ValueError("the RNN has no convolution filters; method 'conv' needs a CNN or CNN-RNN")
        cms = conv_motifs(model, seqs, **kw)
        best = max(cms, key=lambda c: (c.mean_activation, c.n_sites, -c.filter))
        w = best.pwm.shape[0]
        info = {"filter": best.filter, "n_sites": best.n_sites, "mean_activation": best.mean_activation,
                "kept": best.kept}
        return Extracted("conv", best.pwm, best.starts, window_strings(seqs, best.starts, w), info)
    from ..models import is_recurrent  # lazy: importing motifs must not load torch

    if method == "temporal" and not is_recurrent(model):
        raise ValueError("method 'temporal' needs a recurrent model (RNN or CNN-RNN); a CNN has no temporal scores")

    from demolib import interpret

    if method == "classopt":
        kw.setdefault("progress", False)
        co = interpret.class_optimization(model, **kw)
        src = _check_pwm(_numpy(co.pwm))
        s = max_ic_window(src, k)
        pwm = _check_pwm(src[s : s + k])
        score = _numpy(co.score)
        best = int(getattr(co, "best", int(np.argmax(score)) if score.size else 0))
        info = {"start": s, "source_pwm": src, "score": float(score.ravel()[best]) if score.size else float("nan")}
        return Extracted("classopt", pwm, None, None, info)

    if not seqs:
        raise ValueError(f"method {method!r} needs at least one sequence")
    L = len(seqs[0])
    _check_k(k, L)
    X = one_hot(seqs)
    if method == "saliency":  # the paper's (the registry's "saliency" wraps the same function)
        sal = interpret.saliency(model, X, **kw)
        starts = saliency_window(_numpy(sal.per_position), k)
    elif method != "temporal":  # any other attribution method of the registry
        from ..attribution import attribute

        starts = saliency_window(_numpy(attribute(model, X, method, **kw).per_position), k)
    else:
        start_score = kw.pop("start_score", "first")
        use_backward = kw.pop("use_backward", False)
        tm = interpret.temporal_scores(model, X, **kw)
        starts = temporal_window(
            _numpy(tm.forward), k, backward=_numpy(tm.backward) if use_backward else None, start_score=start_score
        )
    wins = window_strings(seqs, starts, k)
    if align:
        pwm, aligned, strands = align_windows(seqs, starts, k)
        return Extracted(method, pwm, starts, wins, {"aligned_starts": aligned, "strands": strands})
    pwm = _normalize_counts(one_hot(wins).sum(axis=0).T, 0.0)
    return Extracted(method, pwm, starts, wins, {})
