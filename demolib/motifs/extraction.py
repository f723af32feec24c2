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

__all__ = [
    "METHODS",
    "PAPER_METHODS",
    "VARIANTS",
    "Extracted",
    "ConvMotif",
    "ConvWindows",
    "conv_windows",
    "conv_windows_naive",
    "conv_motifs",
    "extract_motif",
    "why_not",
    "applicable",
]

#: The paper's four extraction methods (Table 3's columns).
PAPER_METHODS = ("saliency", "temporal", "classopt", "conv")
#: Named variants of the paper's methods: ``"conv-filter"``, the motif of the single
#: most activated first-layer filter (this project's earlier, label-blind rule).
VARIANTS = ("conv-filter",)
#: The paper's four methods, their variants, then every other per-position attribution
#: method of the registry (:data:`demolib.attribution.ATTRIBUTIONS`): each of those gives
#: a motif by the saliency rule, the length-k window of highest summed score.
METHODS = PAPER_METHODS + VARIANTS + tuple(
    n for n, m in ATTRIBUTIONS.items() if m.kind == "attribution" and n not in PAPER_METHODS
)


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
        The aggregated motif (for ``"conv"`` and ``"conv-filter"`` the filter
        width ``w`` replaces ``k``).
    starts : np.ndarray, int64, shape (N,) or None
        Start of each sequence's window (0-based, in sequence coordinates;
        negative or running past the end only for ``"conv"`` /
        ``"conv-filter"`` on a same-padded CNN-RNN).  ``None`` for
        ``"classopt"``, which uses no sequences.
    seq_windows : list of str, length N, or None
        The windows themselves (positions outside the sequence are ``N``).
    info : dict
        Method details: ``"classopt"``: ``start`` (window start in the
        optimized PWM), ``source_pwm`` (L, 4), ``score``; ``"conv"``:
        ``filters`` (N,) and ``activation`` (N,) of each sequence's strongest
        activation, ``kept`` (N,), ``n_sites``; ``"conv-filter"``: ``filter``, ``n_sites``,
        ``mean_activation``, ``kept``.
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


@dataclass(frozen=True)
class ConvWindows:
    """Per sequence, the input window of its strongest first-layer activation.

    Attributes
    ----------
    width : int
        Filter width ``w`` (the window width).
    starts : np.ndarray, int64, shape (N,)
        Window start in sequence coordinates (negative, or running past the
        end, only with same padding; those positions are ``N``).
    filters : np.ndarray, int64, shape (N,)
        The filter whose activation it is.
    activation : np.ndarray, float64, shape (N,)
        The activation, ReLU'd: 0 for a sequence where no filter fires.
    """

    width: int
    starts: np.ndarray
    filters: np.ndarray
    activation: np.ndarray


# --------------------------------------------------------------------------
# Convolution filters (DeepBind's method, as the paper uses it)
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


def _conv_input(model: "nn.Module", seqs: Sequence[str], batch_size: int, what: str):
    """Checks shared by the convolution methods; returns (conv, w, left, right, X (N, 4, L))."""
    conv = getattr(model, "first_conv", None)
    if conv is None:
        raise ValueError(f"the RNN has no convolution filters; {what} need a CNN or CNN-RNN")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if isinstance(seqs, str):
        seqs = [seqs]
    if len(seqs) == 0:
        raise ValueError(f"{what} need at least one sequence")
    w, left, right = _conv_geometry(conv)
    X = one_hot(list(seqs))
    if X.shape[2] + left + right < w:
        raise ValueError(f"sequences of {X.shape[2]} bp are shorter than the filters ({w} bp)")
    return conv, w, left, right, X


def conv_windows(model: "nn.Module", seqs: Sequence[str], *, batch_size: int = 512) -> ConvWindows:
    """Per sequence, the strongest first-layer activation over ALL filters and positions, mapped back.

    The paper's convolution-activation motif (Lanchantin et al. 2017, Table
    3, after Alipanahi et al. 2015 and Quang & Xie 2016): run the first
    convolution and its ReLU on each one-hot sequence, take the largest
    activation over every filter and every position, and map it back to the
    input window it reads: ``w`` bases (the filter width) starting at the
    position minus the left padding.  Ties: the lower filter index, then the
    leftmost position.  The argmax is taken on the convolution before the
    ReLU (the same position whenever the maximum is positive), so a sequence
    where no filter fires still gets a window, with activation 0.

    Parameters
    ----------
    model : nn.Module
        A CNN or CNN-RNN (``model.first_conv``, stride 1, dilation 1; the RNN
        has no filters: ``ValueError``).
    seqs : list of str, length N
        Equal-length sequences.
    batch_size : int

    Returns
    -------
    ConvWindows
        See :func:`conv_windows_naive` for the slow reference it is tested against.
    """
    import torch

    conv, w, left, _, X = _conv_input(model, seqs, batch_size, "conv windows")
    param = next(conv.parameters())
    val, filt, pos = [], [], []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.from_numpy(X[i : i + batch_size]).to(device=param.device, dtype=param.dtype)
            a = conv(xb).float().cpu().numpy()  # (B, C, L')
            flat = a.reshape(a.shape[0], -1)  # filter-major: the first maximum is the lowest filter, then position
            j = flat.argmax(axis=1)
            val.append(flat[np.arange(len(j)), j])
            c, p = np.divmod(j, a.shape[2])
            filt.append(c)
            pos.append(p)
    starts = np.concatenate(pos).astype(np.int64) - left
    act = np.maximum(np.concatenate(val).astype(np.float64), 0.0)
    return ConvWindows(w, starts, np.concatenate(filt).astype(np.int64), act)


def conv_windows_naive(model: "nn.Module", seqs: Sequence[str]) -> ConvWindows:
    """:func:`conv_windows` by explicit loops over sequences, filters and positions (slow reference).

    Each activation is ``bias[c] + sum(W[c] * x_padded[:, p : p + w])`` in
    float64; a later (filter, position) replaces the best only if strictly
    larger, which gives the documented tie rule.
    """
    conv, w, left, right, X = _conv_input(model, seqs, 1, "conv windows")
    W = conv.weight.detach().cpu().double().numpy()  # (C, 4, w)
    b = conv.bias.detach().cpu().double().numpy() if conv.bias is not None else np.zeros(W.shape[0])
    N, _, L = X.shape
    starts, filters, act = np.zeros(N, np.int64), np.zeros(N, np.int64), np.zeros(N)
    for n in range(N):
        xp = np.concatenate([np.zeros((4, left)), X[n].astype(np.float64), np.zeros((4, right))], axis=1)
        best, best_c, best_p = -np.inf, 0, 0
        for c in range(W.shape[0]):
            for p in range(xp.shape[1] - w + 1):
                v = b[c] + float((W[c] * xp[:, p : p + w]).sum())
                if v > best:
                    best, best_c, best_p = v, c, p
        starts[n], filters[n], act[n] = best_p - left, best_c, max(best, 0.0)
    return ConvWindows(w, starts, filters, act)


def conv_motifs(
    model: "nn.Module", seqs: Sequence[str], *, threshold: float = 0.5, batch_size: int = 512
) -> list[ConvMotif]:
    """One motif per first-layer filter, from its most activating windows.

    DeepBind's per-filter motifs (Alipanahi et al. 2015; the method
    ``"conv-filter"`` of :func:`extract_motif` keeps the most activated of
    them, while the paper's Table 3 column, ``"conv"``, uses
    :func:`conv_windows`): for each filter of ``model.first_conv``, run the convolution and its ReLU on the one-hot
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

    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    conv, w, left, right, X = _conv_input(model, seqs, batch_size, "conv motifs")
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
    """Extract one motif from a model by one of the paper's four methods (or a variant, or a registered one).

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
        ``"conv"`` (CNN and CNN-RNN): the paper's convolution activation
            per sequence, the input window of the strongest first-layer
            activation over all filters and positions
            (:func:`conv_windows`, as Alipanahi et al. and Quang & Xie map
            activations back, and as Table 3 of the paper uses it); the
            windows, of the filter width (``k`` is ignored), are counted
            into the PWM as found (not aligned).  Keywords: ``batch_size``; ``threshold`` (default
            0): only windows whose activation exceeds ``threshold`` times
            the largest over the sequences, and is positive, go into the PWM
            (``info["kept"]``); ``starts`` and ``seq_windows`` are all of
            them.
        ``"conv-filter"`` (CNN and CNN-RNN): a variant, not the paper's
            :func:`conv_motifs` (keywords ``threshold``, ``batch_size``); the
            motif returned is that of the single *most activated* filter:
            the highest mean over sequences of the per-sequence maximum
            activation (ties: more sites).  It ignores the labels and which
            filter fires on which sequence.  Its width is the filter width;
            ``k`` is ignored.  ``starts`` are that filter's per-sequence
            best windows, all of them (``info["kept"]`` marks the ones in
            the PWM).
    k : int
        Motif width.
    align : bool
        For "saliency", "temporal" and the registry's methods: aggregate
        the per-sequence windows after aligning their offsets (up to 3 bp)
        and strands (:func:`align_windows`); False stacks them as found.
        ``starts`` and ``seq_windows`` are always the windows as found.
        The convolution methods count their windows as found.

    Returns
    -------
    Extracted
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    seqs = [seqs] if isinstance(seqs, str) else list(seqs)
    if method in ("conv", "conv-filter") and getattr(model, "first_conv", None) is None:
        raise ValueError(f"the RNN has no convolution filters; method {method!r} needs a CNN or CNN-RNN")
    if method == "conv-filter":
        cms = conv_motifs(model, seqs, **kw)
        best = max(cms, key=lambda c: (c.mean_activation, c.n_sites, -c.filter))
        w = best.pwm.shape[0]
        info = {"filter": best.filter, "n_sites": best.n_sites, "mean_activation": best.mean_activation,
                "kept": best.kept}
        return Extracted("conv-filter", best.pwm, best.starts, window_strings(seqs, best.starts, w), info)
    if method == "conv":
        threshold = float(kw.pop("threshold", 0.0))
        if not 0 <= threshold < 1:
            raise ValueError(f"threshold must be in [0, 1), got {threshold}")
        cw = conv_windows(model, seqs, **kw)
        kept = (cw.activation > threshold * cw.activation.max()) & (cw.activation > 0)
        wins = window_strings(seqs, cw.starts, cw.width)
        info = {"filters": cw.filters, "activation": cw.activation, "kept": kept, "n_sites": int(kept.sum())}
        if kept.any():  # the windows as found: N (outside the sequence) counts nothing
            pwm = _normalize_counts(one_hot([w_ for w_, k_ in zip(wins, kept) if k_]).sum(axis=0).T, 0.0)
        else:
            pwm = np.full((cw.width, 4), 0.25)
        return Extracted("conv", pwm, cw.starts, wins, info)
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


def why_not(method: str, model: "nn.Module") -> str | None:
    """None if :func:`extract_motif` can use ``method`` on ``model``, else the reason.

    ``"temporal"`` needs a recurrent model, ``"conv"`` and ``"conv-filter"``
    first-layer filters, and a registered attribution method what the
    registry says (:func:`demolib.attribution.why_not`); ``"saliency"`` and
    ``"classopt"`` apply to every DeMo model.  An unknown method is a
    ValueError naming the known ones.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method in ("conv", "conv-filter"):
        if getattr(model, "first_conv", None) is None:
            return f"the RNN has no convolution filters; method {method!r} needs a CNN or CNN-RNN"
        return None
    if method in ("saliency", "classopt"):
        return None
    from ..attribution import why_not as attribution_why_not

    return attribution_why_not(method, model)


def applicable(method: str, model: "nn.Module") -> bool:
    """Whether :func:`extract_motif` can use ``method`` on ``model`` (see :func:`why_not`)."""
    return why_not(method, model) is None
