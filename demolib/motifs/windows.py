"""Motifs from the visualizations, and their comparison with JASPAR.

The paper (Lanchantin et al. 2017, Table 3) turns each visualization into a
motif and asks Tomtom whether it matches the TF's known JASPAR motif.  This
module does that:

window finders (pure numpy)
    :func:`saliency_window`, :func:`temporal_window`, :func:`max_ic_window`.
PWMs from windows
    :func:`pwm_from_windows`, :func:`pwm_from_onehot_windows`.
extraction
    :func:`extract_motif` (methods ``"saliency"``, ``"temporal"``,
    ``"classopt"``, ``"conv"``) and :func:`conv_motifs` (DeepBind's
    first-layer filter activation baseline).
Tomtom against JASPAR
    :func:`tomtom`, :func:`tomtom_many` (memelite), :func:`family_of`,
    :func:`matches_known`, :func:`table3_row`.
site scanning (FIMO-style, our own numpy code, no numba)
    :func:`scan`, :func:`find_sites`.

Every PWM is an ``np.ndarray`` of shape (w, 4): one row per position, columns
A, C, G, T, rows summing to 1.

Compilation cost
----------------
:func:`tomtom` uses memelite, whose kernels are numba-compiled on first use.
memelite declares them ``@njit(cache=True)``, so the machine code is written
to numba's on-disk cache (``memelite/__pycache__`` in site-packages, or
``$NUMBA_CACHE_DIR``) and reused by every later process of the same
environment.  Measured on 2 shared CPU cores: the first ``tomtom`` call ever
took about 70 s (memelite's ``fimo``, not used by this module, another 16 s);
the first call of a new process with the cache present took about 0.1 s (plus
about 1 s to import numba and memelite).  If site-packages is not writable,
numba cannot cache there: set ``NUMBA_CACHE_DIR`` to a writable folder, or
every process compiles again.  The cache is tied to the memelite install and
the CPU model, so a reinstall or another machine compiles once more.
``python -m demolib.motifs --warm-up`` does it from the shell.  numba caches one compilation per
argument type and layout, so this module always passes float64 arrays in the
same layout; :func:`warm_up` makes the (cached) compilation happen at a time
of your choosing.  :func:`find_sites` needs no compilation.
"""
from __future__ import annotations

import csv
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..attribution import ATTRIBUTIONS
from ..data import DATA_DIR, Motif, Site, jaspar_motif, load_jaspar, one_hot

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = [
    "METHODS",
    "PAPER_METHODS",
    "FAMILIES_FILE",
    "Extracted",
    "ConvMotif",
    "Match",
    "Hit",
    "information_content",
    "saliency_window",
    "window_overlaps",
    "temporal_window",
    "max_ic_window",
    "window_strings",
    "pwm_from_windows",
    "pwm_from_onehot_windows",
    "align_windows",
    "conv_motifs",
    "extract_motif",
    "tomtom",
    "tomtom_many",
    "family_of",
    "matches_known",
    "table3_row",
    "scan",
    "find_sites",
    "warm_up",
]

#: The paper's four extraction methods, then every other per-position attribution
#: method of the registry (:data:`demolib.attribution.ATTRIBUTIONS`): each gives a
#: motif by the saliency rule, the length-k window of highest summed score.
PAPER_METHODS = ("saliency", "temporal", "classopt", "conv")
METHODS = PAPER_METHODS + tuple(n for n, m in ATTRIBUTIONS.items() if m.kind == "attribution" and n not in PAPER_METHODS)
FAMILIES_FILE = DATA_DIR / "motifs" / "JASPAR2024_CORE_vertebrates_families.tsv"
_ALIASES = {"OCT4": "POU5F1", "OCT-4": "POU5F1"}


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


@dataclass(frozen=True)
class Match:
    """One Tomtom match of a query motif against a database motif.

    Attributes
    ----------
    id, name : str
        The database motif, e.g. ``"MA0496.4"``, ``"MAFK"``.
    p : float
        memelite's Tomtom p-value of the best alignment (both strands).
    q : float
        Benjamini-Hochberg q-value of ``p`` among the query's p-values
        against every motif of the database.
    offset : int
        Position in the (strand-oriented) target where the query's first
        column aligns; negative when the query starts before the target.
    strand : int
        +1: the target as given, -1: its reverse complement.
    family : str
        JASPAR family text, ``"; "``-separated for heterodimers
        (``"Jun-related; Maf-related"``), ``""`` if unknown.
    """

    id: str
    name: str
    p: float
    q: float
    offset: int
    strand: int
    family: str

    @property
    def families(self) -> frozenset[str]:
        """The family names as a set (empty if unknown)."""
        return frozenset(f for f in self.family.split("; ") if f)


@dataclass(frozen=True)
class Hit:
    """A motif site found by :func:`scan`, with its score and p-value.

    Attributes
    ----------
    site : Site
        ``seq[start:end]`` on ``strand`` (-1: the reverse complement of the
        window matches the motif).
    score : float
        Log-odds score in bits, ``sum log2((p + pseudocount) / 0.25)``, on the
        scan's grid of 0.01 bit.
    p : float
        P(score >= this score) for a uniform random window.
    """

    site: Site
    score: float
    p: float


# --------------------------------------------------------------------------
# Window finders
# --------------------------------------------------------------------------
def _check_k(k: int, L: int) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"motif width k must be a positive integer, got {k!r}")
    if k > L:
        raise ValueError(f"motif width k={k} is longer than the sequence (L={L})")
    return int(k)


def _as_2d(a, what: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2:
        raise ValueError(f"{what} must have shape (N, L), got {a.shape}")
    return a


def _window_sums(a: np.ndarray, k: int) -> np.ndarray:
    """(N, L) -> (N, L-k+1): sum of a[:, s:s+k] for every start s."""
    c = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    return c[:, k:] - c[:, :-k]


def saliency_window(per_position: np.ndarray, k: int) -> np.ndarray:
    """Start of each sequence's length-``k`` window of highest summed saliency.

    Parameters
    ----------
    per_position : array-like, shape (N, L) (or (L,), treated as N = 1)
        Saliency per position.
    k : int
        Window width, 1 <= k <= L.

    Returns
    -------
    starts : np.ndarray, int64, shape (N,)
        ``argmax_s sum(per_position[i, s:s+k])`` (the first on ties).
    """
    a = _as_2d(per_position, "per_position")
    k = _check_k(k, a.shape[1])
    return _window_sums(a, k).argmax(axis=1).astype(np.int64)


def window_overlaps(start: int, k: int, sites: Sequence[Site]) -> bool:
    """True if the window ``[start, start + k)`` shares a base with any site (chapters 06 and 10)."""
    return any(start < st.end and st.start < start + k for st in sites)


def temporal_window(
    forward: np.ndarray,
    k: int,
    *,
    backward: np.ndarray | None = None,
    start_score: float | str = "first",
) -> np.ndarray:
    """Start of the length-``k`` window where the temporal score rises most.

    With ``forward[i, t-1]`` the positive-class probability of the prefix
    ``x[1..t]`` (:func:`demolib.interpret.temporal_scores`), the rise of the
    window ``x[s..s+k-1]`` (0-based) is the change of the score across it::

        rise_f(s) = forward[s+k-1] - forward[s-1],   forward[-1] = start_score

    i.e. the score after reading the window minus the score before it.
    ``start_score`` stands in for the score of the empty prefix, which the
    model cannot score: ``"first"`` (the default) takes ``forward[0]``, the
    score after one letter, so only the first window is affected (its first
    letter's own effect is not counted); a number, e.g. 0.5 ("undecided"),
    is used as given, which favours or penalizes the first window by how far
    the model's short-prefix score lies from it.  The window where the
    model's belief moves most strongly towards "positive" is the largest
    rise.

    With ``backward`` (``backward[i, t-1]`` = probability of the suffix
    ``x[t..L]``), the right-to-left rise is added::

        rise_b(s) = backward[s] - backward[s+k],   backward[L] = start_score

    (with ``"first"``, ``backward[L]`` is ``backward[L-1]``).

    Parameters
    ----------
    forward : array-like, shape (N, L)
    k : int
        Window width, 1 <= k <= L.
    backward : array-like, shape (N, L), optional
    start_score : "first" or float

    Returns
    -------
    starts : np.ndarray, int64, shape (N,)
        ``argmax_s rise(s)`` (the first on ties).
    """
    f = _as_2d(forward, "forward")
    N, L = f.shape
    k = _check_k(k, L)

    def before(first: np.ndarray) -> np.ndarray:
        if isinstance(start_score, str):
            if start_score != "first":
                raise ValueError(f"start_score must be a number or 'first', got {start_score!r}")
            return first
        return np.full(N, float(start_score))

    prev = np.concatenate([before(f[:, 0])[:, None], f[:, :-1]], axis=1)  # prev[:, s] = f[s-1]
    rise = f[:, k - 1 :] - prev[:, : L - k + 1]
    if backward is not None:
        b = _as_2d(backward, "backward")
        if b.shape != f.shape:
            raise ValueError(f"backward has shape {b.shape}, forward {f.shape}")
        nxt = np.concatenate([b[:, 1:], before(b[:, -1])[:, None]], axis=1)  # nxt[:, t] = b[t+1]
        rise = rise + b[:, : L - k + 1] - nxt[:, k - 1 :]
    return rise.argmax(axis=1).astype(np.int64)


def information_content(pwm: np.ndarray) -> np.ndarray:
    """Information content per position, ``2 + sum_b p_b log2 p_b`` (bits).

    Parameters
    ----------
    pwm : array-like, shape (w, 4)
        Rows are normalized first; 0 log 0 = 0.

    Returns
    -------
    ic : np.ndarray, float64, shape (w,), values in [0, 2]
    """
    p = _check_pwm(pwm)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return 2.0 + plogp.sum(axis=1)


def max_ic_window(pwm: np.ndarray, k: int) -> int:
    """Start of the length-``k`` window of a PWM with the highest total IC.

    Parameters
    ----------
    pwm : array-like, shape (L, 4)
    k : int
        1 <= k <= L.

    Returns
    -------
    int
        ``argmax_s sum(information_content(pwm)[s:s+k])`` (the first on ties).
    """
    ic = information_content(pwm)
    k = _check_k(k, len(ic))
    return int(_window_sums(ic[None], k)[0].argmax())


# --------------------------------------------------------------------------
# PWMs from windows
# --------------------------------------------------------------------------
def _check_pwm(pwm) -> np.ndarray:
    """Validate a (w, 4) PWM and return it as float64 with rows summing to 1."""
    p = np.array(pwm, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 4 or p.shape[0] < 1:
        hint = " (it looks like (4, w): transpose it)" if p.ndim == 2 and p.shape[0] == 4 else ""
        raise ValueError(f"a PWM must have shape (w, 4) with ACGT columns, got {p.shape}{hint}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("a PWM must be finite and non-negative")
    s = p.sum(axis=1, keepdims=True)
    return np.where(s > 0, p / np.where(s > 0, s, 1.0), 0.25)


def window_strings(seqs: Sequence[str], starts, k: int) -> list[str]:
    """The length-``k`` windows ``seqs[i][starts[i]:starts[i]+k]``.

    Positions outside a sequence (negative starts or windows running past
    the end, as with same padding) become ``N``.  A window that does not
    overlap its sequence at all is an error.

    Returns
    -------
    list of str, length N, each of length k
    """
    if isinstance(seqs, str):
        seqs = [seqs]
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    if len(starts) != len(seqs):
        raise ValueError(f"{len(seqs)} sequences but {len(starts)} starts")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"window width k must be a positive integer, got {k!r}")
    out = []
    for s, st in zip(seqs, starts):
        st = int(st)
        if st + k <= 0 or st >= len(s):
            raise ValueError(f"window [{st}, {st + k}) does not overlap the sequence (length {len(s)})")
        left, right = max(0, -st), max(0, st + k - len(s))
        out.append("N" * left + s[max(st, 0) : st + k] + "N" * right)
    return out


def _normalize_counts(counts: np.ndarray, pseudocount: float) -> np.ndarray:
    if pseudocount < 0:
        raise ValueError(f"pseudocount must be >= 0, got {pseudocount}")
    c = counts.astype(np.float64) + pseudocount
    s = c.sum(axis=-1, keepdims=True)
    return np.where(s > 0, c / np.where(s > 0, s, 1.0), 0.25)


def pwm_from_windows(seqs: Sequence[str], starts, k: int, pseudocount: float = 0.0) -> np.ndarray:
    """Letter frequencies of one length-``k`` window per sequence.

    Parameters
    ----------
    seqs : list of str, length N
    starts : array-like of int, shape (N,)
        Window starts (see :func:`window_strings` for windows that leave the
        sequence).
    k : int
    pseudocount : float
        Added to every count before normalizing.

    Returns
    -------
    pwm : np.ndarray, float64, shape (k, 4)
        Counts of A, C, G, T per window position (``N`` and other ambiguity
        codes count nothing), plus ``pseudocount``, rows normalized; a row
        with no count at all is uniform.
    """
    wins = window_strings(seqs, starts, k)
    if not wins:
        raise ValueError("no windows to count")
    return _normalize_counts(one_hot(wins).sum(axis=0).T, pseudocount)


def align_windows(
    seqs: Sequence[str], starts, k: int, *, flank: int = 3, iters: int = 5, pseudocount: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate per-sequence windows into a PWM after aligning them.

    Per-sequence windows (from saliency or temporal scores) are found on
    either strand and a few bases off the motif's register, so stacking them
    as they are blurs the motif.  Here every window may move by up to
    ``flank`` bases and flip strand:

    1. seed: the most frequent k-mer among the windows (a k-mer and its
       reverse complement counted together), as a PWM with ``pseudocount``;
    2. each window picks the offset in ``[-flank, flank]`` and the strand
       whose k-mer has the highest log-likelihood under the current PWM;
    3. the PWM is re-estimated from the chosen k-mers; 2-3 repeat ``iters``
       times (or until no choice changes).

    Parameters
    ----------
    seqs : list of str, length N
    starts : array-like of int, shape (N,)
        Window starts; windows may leave the sequence (``N`` padding).
    k : int
    flank, iters : int
    pseudocount : float
        Per-letter pseudocount of the working PWM (the returned PWM has none).

    Returns
    -------
    pwm : np.ndarray, shape (k, 4)
        Letter frequencies of the aligned k-mers (rows sum to 1).
    starts : np.ndarray, int64, shape (N,)
        Aligned window starts.
    strands : np.ndarray, int64, shape (N,)
        +1 or -1 per window.
    """
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    wide = window_strings(seqs, starts - flank, k + 2 * flank)
    W = one_hot(wide)  # (N, 4, k + 2 flank)
    Wrc = W[:, ::-1, ::-1]
    n_off = 2 * flank + 1
    # candidates: (N, 2 strands, n_off offsets, 4, k)
    cand = np.stack([np.stack([W[:, :, o : o + k] for o in range(n_off)], 1),
                     np.stack([Wrc[:, :, o : o + k] for o in range(n_off)], 1)], 1)
    kmers = window_strings(seqs, starts, k)
    counts: dict[str, int] = {}
    for w in kmers:
        if "N" in w:
            continue
        key = min(w, w.translate(str.maketrans("ACGT", "TGCA"))[::-1])
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return pwm_from_windows(seqs, starts, k), starts, np.ones(len(starts), dtype=np.int64)
    seed = max(counts, key=lambda w: (counts[w], w))
    pwm = _normalize_counts(one_hot(seed)[0].T, pseudocount)
    choice = None
    for _ in range(max(iters, 1)):
        ll = np.einsum("nsoct,tc->nso", cand, np.log(pwm))  # (N, 2, n_off)
        flat = ll.reshape(len(W), -1).argmax(axis=1)
        if choice is not None and np.array_equal(flat, choice):
            break
        choice = flat
        strand_i, off = np.divmod(choice, n_off)
        chosen = cand[np.arange(len(W)), strand_i, off]  # (N, 4, k)
        pwm = _normalize_counts(chosen.sum(axis=0).T, pseudocount)
    strand_i, off = np.divmod(choice, n_off)
    chosen = cand[np.arange(len(W)), strand_i, off]
    new_starts = np.where(strand_i == 0, starts - flank + off, starts - flank + (2 * flank - off))
    return _normalize_counts(chosen.sum(axis=0).T, 0.0), new_starts, np.where(strand_i == 0, 1, -1)


def pwm_from_onehot_windows(X: np.ndarray, starts, k: int, pseudocount: float = 0.0) -> np.ndarray:
    """:func:`pwm_from_windows` on one-hot input.

    Parameters
    ----------
    X : array-like, shape (N, 4, L)
    starts : array-like of int, shape (N,), each in [0, L-k]
    k : int

    Returns
    -------
    pwm : np.ndarray, float64, shape (k, 4)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"X must have shape (N, 4, L), got {X.shape}")
    N, _, L = X.shape
    k = _check_k(k, L)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    if len(starts) != N:
        raise ValueError(f"{N} sequences but {len(starts)} starts")
    if N == 0:
        raise ValueError("no windows to count")
    if (starts < 0).any() or (starts > L - k).any():
        raise ValueError(f"starts must lie in [0, {L - k}] for k={k}, L={L}")
    idx = starts[:, None] + np.arange(k)[None]  # (N, k)
    win = np.take_along_axis(X, np.broadcast_to(idx[:, None, :], (N, 4, k)), axis=2)  # (N, 4, k)
    return _normalize_counts(win.sum(axis=0).T, pseudocount)


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


# --------------------------------------------------------------------------
# JASPAR families
# --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _families() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, str]]:
    """(id -> families, TF name (upper) -> families, id -> family text) from the TSV.

    A heterodimer row ``A::B`` with families ``fa; fb`` gives ``A`` family
    ``fa`` and ``B`` family ``fb``.
    """
    by_id: dict[str, frozenset[str]] = {}
    by_name: dict[str, set[str]] = {}
    text: dict[str, str] = {}
    with open(FAMILIES_FILE, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            fams = [f.strip() for f in row["family"].split(";")]
            by_id[row["id"]] = frozenset(f for f in fams if f)
            text[row["id"]] = "; ".join(f for f in fams if f)
            parts = row["name"].split("::")
            for i, part in enumerate(parts):
                s = by_name.setdefault(part.upper(), set())
                if len(parts) == 1:
                    s.update(f for f in fams if f)
                elif len(fams) == len(parts) and fams[i]:
                    s.add(fams[i])
    return by_id, {n: frozenset(s) for n, s in by_name.items()}, text


def family_of(tf_or_id: str) -> set[str]:
    """JASPAR families of a TF name or matrix id.

    A name (case-insensitive; ``"Oct4"`` is ``"POU5F1"``) gets the families
    of its own matrices and, for a name that occurs in heterodimers
    (``"Bach1::Mafk"``), the family listed for that component.  An id
    (``"MA0496.4"`` or ``"MA0496"``) gets that matrix's families, all
    components for a heterodimer.

    Returns
    -------
    set of str
        e.g. ``{"Maf-related"}`` for MAFK; empty for a JASPAR TF without a
        family annotation.

    Raises
    ------
    ValueError
        For a name or id not in the JASPAR snapshot.
    """
    by_id, by_name, _ = _families()
    key = tf_or_id.strip()
    if key in by_id:
        return set(by_id[key])
    base = {i.split(".")[0]: i for i in by_id}
    if key.upper() in base:
        return set(by_id[base[key.upper()]])
    name = _ALIASES.get(key.upper(), key.upper())
    if name in by_name:
        return set(by_name[name])
    raise ValueError(f"{tf_or_id!r} is neither a TF name nor a matrix id of JASPAR 2024 CORE vertebrates")


def _name_parts(name: str) -> set[str]:
    return {_ALIASES.get(p.upper(), p.upper()) for p in name.split("::")}


def matches_known(matches: Sequence[Match], tf: str, *, q: float = 0.05, top: int = 5) -> bool:
    """Does a Tomtom result recover the TF's known motif?

    Decision rule: True if any of the first ``top`` matches (by p-value) has
    q-value below ``q`` and either

    * is one of the TF's own JASPAR matrices: its name, or a component of a
      heterodimer name (``"Bach1::Mafk"`` for MAFK), equals ``tf``
      (case-insensitive, ``"Oct4"`` = ``"POU5F1"``) or its id equals ``tf``;
    * or shares a JASPAR family with the TF (:func:`family_of`; e.g. any
      ``"Maf-related"`` matrix for MAFK, ``"POU domain factors"`` for
      POU5F1).  Families are broad for some TFs (``"More than 3 adjacent zinc
      fingers"``), which makes the rule lenient there.

    Parameters
    ----------
    matches : list of Match
        As returned by :func:`tomtom` (sorted by p).
    tf : str
        TF name or JASPAR id.
    q : float
        q-value cutoff (strict).
    top : int
        How many of the best matches to look at.
    """
    fams = family_of(tf)
    key = _ALIASES.get(tf.strip().upper(), tf.strip().upper())
    for m in list(matches)[:top]:
        if not m.q < q:
            continue
        if key in _name_parts(m.name) or m.id.upper() == key or m.id.split(".")[0].upper() == key:
            return True
        if fams & m.families:
            return True
    return False


# --------------------------------------------------------------------------
# Tomtom (memelite)
# --------------------------------------------------------------------------
_DEFAULT_TARGETS: list[tuple[list[Motif], list[np.ndarray]]] = []
_MAX_QUERIES_PER_CALL = 2048


def _targets(database: Sequence[Motif] | None) -> tuple[list[Motif], list[np.ndarray]]:
    """The database motifs and their memelite targets, (4, w) float64 C-ordered.

    Always the same dtype and layout, so numba's cached compilation is reused.
    The default (JASPAR) targets are built once per process.
    """
    if database is None and _DEFAULT_TARGETS:
        return _DEFAULT_TARGETS[0]
    motifs = list(load_jaspar() if database is None else database)
    if not motifs:
        raise ValueError("the motif database is empty")
    out = (motifs, [np.ascontiguousarray(_check_pwm(m.pwm).T) for m in motifs])
    if database is None:
        _DEFAULT_TARGETS.append(out)
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis."""
    n = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ps = np.take_along_axis(p, order, axis=-1)
    q = ps * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(q[..., ::-1], axis=-1)[..., ::-1]
    out = np.empty_like(q)
    np.put_along_axis(out, order, np.minimum(q, 1.0), axis=-1)
    return out


def tomtom_many(
    pwms: Sequence[np.ndarray], *, top: int | None = 10, database: Sequence[Motif] | None = None
) -> list[list[Match]]:
    """Tomtom of many query motifs against a motif database, batched.

    One memelite ``tomtom`` call per 2048 queries (complete-score Tomtom,
    both target strands; Gupta et al. 2007).  memelite returns p-values only;
    the q-value of each match is the Benjamini-Hochberg q among that
    query's p-values against every database motif (Tomtom's own q-values are
    also BH, there over all query-target pairs of a run).

    Parameters
    ----------
    pwms : list of np.ndarray, each shape (w_i, 4)
        Query PWMs (rows are normalized).
    top : int or None
        Matches kept per query, best p first; None keeps all.
    database : list of Motif, optional
        Targets; JASPAR 2024 CORE vertebrates (:func:`demolib.data.load_jaspar`)
        by default.  memelite warns below 25 targets: Tomtom's p-values use
        the target columns as background.

    Returns
    -------
    list (one per query) of list of Match, sorted by p (ties: database order)
    """
    import memelite

    motifs, targets = _targets(database)
    queries = [np.ascontiguousarray(_check_pwm(p).T) for p in pwms]
    if not queries:
        return []
    fam_text = _families()[2]
    out: list[list[Match]] = []
    for i in range(0, len(queries), _MAX_QUERIES_PER_CALL):
        r = memelite.tomtom(queries[i : i + _MAX_QUERIES_PER_CALL], targets)  # (5, nq, nt)
        P, offsets, strands = r[0], r[2], r[4]
        Q = _bh(P)
        order = np.argsort(P, axis=1, kind="stable")
        if top is not None:
            order = order[:, :top]
        for j in range(P.shape[0]):
            out.append([
                Match(motifs[t].id, motifs[t].name, float(P[j, t]), float(Q[j, t]), int(offsets[j, t]),
                      -1 if strands[j, t] else 1, fam_text.get(motifs[t].id, ""))
                for t in order[j]
            ])
    return out


def tomtom(pwm: np.ndarray, *, top: int | None = 10, database: Sequence[Motif] | None = None) -> list[Match]:
    """Tomtom of one query PWM (w, 4) against JASPAR; see :func:`tomtom_many`.

    Returns
    -------
    list of Match, best p first, at most ``top`` (None: all)
    """
    return tomtom_many([pwm], top=top, database=database)[0]


# --------------------------------------------------------------------------
# Table 3
# --------------------------------------------------------------------------
def table3_row(
    model: "nn.Module",
    seqs: Sequence[str],
    tf: str,
    method: str,
    k: int = 10,
    *,
    q: float = 0.05,
    top: int = 5,
    pseudocount: float = 0.05,
    **kw: Any,
) -> dict:
    """One cell of the paper's Table 3: does ``method`` recover ``tf``'s motif?

    Decision rule.  Per-sequence methods (``"saliency"``, ``"temporal"``,
    ``"conv"``): each positive sequence's window (:func:`extract_motif`'s
    ``seq_windows``) becomes its own PWM, the one-hot k-mer plus
    ``pseudocount`` per letter, normalized (``N`` gives a uniform row); all
    of them go to one batched :func:`tomtom_many` call, and a sequence counts
    as a match if :func:`matches_known` (``q``, ``top``) holds.  The row
    reports the fraction of matching sequences.  ``"classopt"`` gives one
    motif per model: the row is a single yes/no (fraction 0 or 1).

    Parameters
    ----------
    model : nn.Module
    seqs : list of str
        Positive test sequences.
    tf : str
        The TF whose JASPAR motif (or family) counts as a match.
    method : str
        One of :data:`METHODS`.
    k : int
        Window width (the filter width for ``"conv"``).
    q, top : see :func:`matches_known`
    pseudocount : float
        Per-letter pseudocount of a per-sequence PWM.
    **kw
        Passed to :func:`extract_motif`.

    Returns
    -------
    dict
        ``tf``, ``method``, ``k``, ``n`` (motifs tested), ``n_match``,
        ``fraction``, ``q``, ``top``, ``top_match`` (the most frequent best
        match name, or the best match for classopt; None if no match has
        q < ``q``), ``rule``.
    """
    ext = extract_motif(model, seqs, method, k, **kw)
    if ext.seq_windows is None:
        pwms = [ext.pwm]
        rule = "class-optimized motif matches the TF or its family (one motif per model)"
    else:
        X = one_hot(ext.seq_windows)  # (N, 4, w)
        per_seq = _normalize_counts(X.transpose(0, 2, 1), pseudocount)
        pwms = list(per_seq)
        rule = "fraction of positive sequences whose window matches the TF or its family"
    results = tomtom_many(pwms, top=max(top, 1))
    hits = [matches_known(r, tf, q=q, top=top) for r in results]
    names = [r[0].name for r in results if r and r[0].q < q]
    # most frequent best match; ties go to the alphabetically first name (a set's order varies between runs)
    top_match = min(Counter(names).items(), key=lambda kv: (-kv[1], kv[0]))[0] if names else None
    n = len(hits)
    return {
        "tf": tf,
        "method": method,
        "k": int(ext.pwm.shape[0]),
        "n": n,
        "n_match": int(sum(hits)),
        "fraction": float(sum(hits) / n) if n else float("nan"),
        "q": q,
        "top": top,
        "top_match": top_match,
        "rule": rule,
    }


# --------------------------------------------------------------------------
# FIMO-style scanning (numpy)
# --------------------------------------------------------------------------
_SCAN_RES = 0.01  # bits per integer score unit
_CODE = np.full(256, 4, dtype=np.int64)
for _i, _c in enumerate("ACGT"):
    _CODE[ord(_c)] = _i
    _CODE[ord(_c.lower())] = _i
_THRESH_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray, int, int, np.ndarray]] = {}


def _int_log_odds(pwm: np.ndarray, pseudocount: float) -> np.ndarray:
    """(w, 4) PWM -> (w, 5) integer log-odds (units of _SCAN_RES bits); column 4 (N) scores 0."""
    lo = np.log2(pwm + pseudocount) - math.log2(0.25)
    M = np.zeros((len(pwm), 5), dtype=np.int64)
    M[:, :4] = np.round(lo / _SCAN_RES).astype(np.int64)
    return M


def _score_tables(
    pwm: np.ndarray, pseudocount: float, threshold: float
) -> tuple[np.ndarray, np.ndarray, int, int, np.ndarray]:
    """(M forward (w,5), M reverse (w,5), lowest total score, score cutoff, survival) for one motif.

    The score distribution under a uniform background is exact on the
    integer grid: a dynamic program adds one column at a time.  The cutoff is
    the lowest integer score whose survival P(S >= s) is below ``threshold``
    (above every possible score when none is).
    """
    key = (pwm.tobytes(), pwm.shape, pseudocount, threshold)
    hit = _THRESH_CACHE.get(key)
    if hit is not None:
        return hit
    M = _int_log_odds(pwm, pseudocount)
    lo_tot = 0
    pdf = np.ones(1)
    for row in M[:, :4]:
        mn = int(row.min())
        new = np.zeros(len(pdf) + int(row.max()) - mn)
        for v in row:
            new[v - mn : v - mn + len(pdf)] += 0.25 * pdf
        pdf, lo_tot = new, lo_tot + mn
    sf = np.cumsum(pdf[::-1])[::-1]  # sf[j] = P(S >= lo_tot + j)
    below = np.flatnonzero(sf < threshold)
    cut = lo_tot + (int(below[0]) if len(below) else len(sf))
    Mrc = np.zeros_like(M)
    Mrc[:, :4] = M[::-1, 3::-1]  # reverse complement: reverse positions, swap A<->T, C<->G
    out = (M, Mrc, lo_tot, cut, sf)
    if len(_THRESH_CACHE) > 4096:
        _THRESH_CACHE.clear()
    _THRESH_CACHE[key] = out
    return out


def _as_motifs(motifs) -> list[Motif]:
    if isinstance(motifs, (str, Motif)):
        motifs = [motifs]
    out = []
    for m in motifs:
        if isinstance(m, str):
            m = jaspar_motif(m)
        if not isinstance(m, Motif):
            raise TypeError(f"motifs must be Motif objects or JASPAR names/ids, got {type(m).__name__}")
        out.append(m)
    return out


def scan(
    seqs: Sequence[str] | str,
    motifs: Sequence[Motif | str] | Motif | str,
    *,
    threshold: float = 1e-4,
    pseudocount: float = 1e-4,
    merge_overlaps: bool = False,
) -> list[list[Hit]]:
    """FIMO-style motif scan of both strands, with scores and p-values.

    Each window of width ``w`` is scored by the log-odds against a uniform
    background, ``sum_j log2((pwm[j, x_j] + pseudocount) / 0.25)`` (``N``
    scores 0), on the forward motif and its reverse complement (strand -1).
    Scores are rounded to 0.01 bit per position, and the p-value
    P(S >= s) of a uniform random window is computed exactly on that grid
    by dynamic programming over the positions (the method of FIMO and
    memelite, on a 10x finer grid than memelite's default).  Windows with
    p < ``threshold`` are reported.  The per-motif tables are cached, so a
    repeated scan costs only the window scoring.

    Parameters
    ----------
    seqs : str or list of str
        Any lengths; case-insensitive.
    motifs : Motif, JASPAR name/id, or a list of them
    threshold : float
        p-value cutoff (strict), FIMO's default 1e-4.
    pseudocount : float
        Added to each probability before the log (memelite's ``eps``).
    merge_overlaps : bool
        Keep only the most significant of overlapping hits of the same motif
        (either strand), for drawing boxes; False reports every window.

    Returns
    -------
    list (one per sequence) of list of Hit, sorted by start, then strand
    (+1 first), then motif order.
    """
    if isinstance(seqs, str):
        seqs = [seqs]
    ms = _as_motifs(motifs)
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a p-value in (0, 1], got {threshold}")
    tables = [_score_tables(_check_pwm(m.pwm), float(pseudocount), float(threshold)) for m in ms]
    out: list[list[Hit]] = []
    for seq in seqs:
        codes = _CODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
        hits: list[tuple] = []
        for mi, (m, (M, Mrc, lo_tot, cut, sf)) in enumerate(zip(ms, tables)):
            w = len(M)
            if len(codes) < w:
                continue
            win = np.lib.stride_tricks.sliding_window_view(codes, w)  # (L-w+1, w)
            cols = np.arange(w)
            for strand, mat in ((1, M), (-1, Mrc)):
                sc = mat[cols, win].sum(axis=1)
                for s in np.flatnonzero(sc >= cut):
                    v = int(sc[s])
                    hits.append((int(s), -strand, mi, v * _SCAN_RES, float(sf[v - lo_tot]), w, strand))
        hits.sort(key=lambda h: (h[0], h[1], h[2]))
        res = [Hit(Site(ms[h[2]].name, h[0], h[0] + h[5], h[6]), h[3], h[4]) for h in hits]
        if merge_overlaps:
            res = _merge(res, [h[2] for h in hits])
        out.append(res)
    return out


def _merge(hits: list[Hit], motif_idx: list[int]) -> list[Hit]:
    """Greedy: most significant first; drop hits overlapping a kept hit of the same motif."""
    order = sorted(range(len(hits)), key=lambda i: (hits[i].p, -hits[i].score, i))
    kept: list[int] = []
    for i in order:
        a = hits[i].site
        if all(
            motif_idx[j] != motif_idx[i] or a.end <= hits[j].site.start or hits[j].site.end <= a.start for j in kept
        ):
            kept.append(i)
    return [hits[i] for i in sorted(kept)]


def find_sites(
    seqs: Sequence[str] | str,
    motifs: Sequence[Motif | str] | Motif | str,
    *,
    threshold: float = 1e-4,
    pseudocount: float = 1e-4,
    merge_overlaps: bool = False,
) -> list[list[Site]]:
    """Known motif sites in sequences, e.g. to box JASPAR sites in a figure.

    :func:`scan` without the scores: every window of either strand with
    p < ``threshold``.  A site on strand -1 covers ``seq[start:end]`` whose
    reverse complement matches the motif (as in :class:`demolib.data.Site`).
    Pure numpy: about a millisecond for one 101-bp sequence and one motif once
    the motif's p-value table is cached (the first call per motif computes it,
    also milliseconds).

    Returns
    -------
    list (one per sequence, also for a single string) of list of Site
    """
    return [
        [h.site for h in hits]
        for hits in scan(seqs, motifs, threshold=threshold, pseudocount=pseudocount, merge_overlaps=merge_overlaps)
    ]


# --------------------------------------------------------------------------
# Warm-up
# --------------------------------------------------------------------------
def warm_up(*, fimo: bool = False) -> dict[str, float]:
    """Trigger memelite's numba compilation (or load it from numba's cache).

    Runs one tiny :func:`tomtom` against the JASPAR database, with the
    argument types every later call uses, and optionally a memelite ``fimo``
    call (this module does not use memelite's fimo: :func:`find_sites` is
    numpy).  The first call in an environment compiles (about 70 s for
    tomtom, 16 s for fimo on 2 cores); later processes load the cached code
    in about 0.1 s.

    Returns
    -------
    dict
        Seconds taken: ``{"tomtom": t}`` and ``"fimo"`` if requested.
    """
    t0 = time.perf_counter()
    tomtom(load_jaspar()[0].pwm, top=1)
    out = {"tomtom": time.perf_counter() - t0}
    if fimo:
        import memelite

        t0 = time.perf_counter()
        m = load_jaspar()[0]
        X = one_hot("ACGT" * 10)
        memelite.fimo({m.name: np.ascontiguousarray(m.pwm.T)}, X)
        out["fimo"] = time.perf_counter() - t0
    return out


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m demolib.motifs --warm-up``: compile (or load) memelite's kernels."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m demolib.motifs", description=_main.__doc__)
    ap.add_argument("--warm-up", action="store_true", help="run warm_up() and print the seconds it took")
    ap.add_argument("--fimo", action="store_true", help="also compile memelite's fimo (not used by demolib)")
    args = ap.parse_args(argv)
    if not args.warm_up:
        ap.print_help()
        return 0
    print(json.dumps({k: round(v, 3) for k, v in warm_up(fimo=args.fimo).items()}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
