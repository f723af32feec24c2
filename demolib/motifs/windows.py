"""Windows and PWMs: where in each sequence a visualization points, and the motif they make.

Pure numpy, no torch.  Window finders turn per-position scores into one
window per sequence (:func:`saliency_window`, :func:`temporal_window`) or
pick the most informative window of a PWM (:func:`max_ic_window`, with
:func:`information_content`); :func:`window_overlaps` tests a window against
known sites (chapters 06 and 10).  PWMs from windows:
:func:`window_strings`, :func:`pwm_from_windows`,
:func:`pwm_from_onehot_windows`, and :func:`align_windows` (offsets and
strands aligned before counting).  :func:`aligned_correlation` finds where a
known motif sits best in a longer PWM (chapter 08), with
:func:`aligned_correlation_naive` as its reference.

Every PWM is an ``np.ndarray`` of shape (w, 4): one row per position, columns
A, C, G, T, rows summing to 1.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..data import Site, one_hot

__all__ = [
    "information_content",
    "saliency_window",
    "window_overlaps",
    "temporal_window",
    "max_ic_window",
    "window_strings",
    "pwm_from_windows",
    "pwm_from_onehot_windows",
    "align_windows",
    "aligned_correlation",
    "aligned_correlation_naive",
]


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
        Window starts; windows may leave the sequence (``N`` padding).  A
        window is only moved to offsets that stay inside its sequence.
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
    # a candidate that reaches into the N padding outside the sequence would score 0 there, more than
    # any real base: such candidates are ruled out, unless a window has no other (then it stays put)
    off_edge = (cand.sum(axis=3) == 0).any(axis=3)  # (N, 2, n_off)
    stuck = off_edge.all(axis=(1, 2))
    off_edge[stuck, 0, flank] = False
    choice = None
    for _ in range(max(iters, 1)):
        ll = np.einsum("nsoct,tc->nso", cand, np.log(pwm))  # (N, 2, n_off)
        ll[off_edge] = -np.inf
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
# A known motif inside a longer PWM
# --------------------------------------------------------------------------
def _best_of(r: np.ndarray) -> tuple[float, int, int]:
    """(r, start, strand) of the largest finite entry of r, shape (2, n): strand +1 before -1, then the
    lowest start; (nan, 0, 1) if no entry is finite."""
    r = np.where(np.isfinite(r), r, -np.inf)
    i = int(np.argmax(r))  # first maximum in row-major order
    s, start = divmod(i, r.shape[1])
    if not np.isfinite(r[s, start]):
        return float("nan"), 0, 1
    return float(r[s, start]), int(start), (1, -1)[s]


def aligned_correlation(pwm: np.ndarray, motif: np.ndarray) -> tuple[float, int, int]:
    """Best Pearson correlation of a motif with any equally wide window of a PWM, on either strand.

    Chapter 08 asks whether a class-optimized PWM (101 positions) contains the
    planted JASPAR matrix (``w`` positions) somewhere: for every start ``s``
    and both strands, the ``w x 4`` window ``pwm[s:s+w]`` and the motif (or
    its reverse complement, ``motif[::-1, ::-1]``) are flattened to ``4w``
    numbers and correlated (Pearson).  A window whose entries are all equal
    (uniform rows) has no correlation and is skipped.

    Parameters
    ----------
    pwm : array-like, shape (L, 4)
        Rows are normalized first (columns ACGT).
    motif : array-like, shape (w, 4), w <= L
        Must not be uniform.

    Returns
    -------
    r : float
        The largest correlation (nan if every window is uniform).
    start : int
        Its window start in ``pwm``.
    strand : int
        +1: the window matches the motif as given; -1: its reverse
        complement (the window read as ``pwm[start:start+w][::-1, ::-1]``
        is the motif's orientation).  Ties: strand +1 first, then the lowest
        start.
    """
    p, m = _check_pwm(pwm), _check_pwm(motif)
    k = _check_k(len(m), len(p))
    if np.ptp(m) == 0:
        raise ValueError("the motif is uniform: its correlation with any window is undefined")
    W = np.lib.stride_tricks.sliding_window_view(p, (k, 4))[:, 0].reshape(-1, 4 * k)  # (L-k+1, 4k)
    Wc = W - W.mean(axis=1, keepdims=True)
    Wn = np.linalg.norm(Wc, axis=1)
    r = []
    for q in (m, m[::-1, ::-1]):
        qc = q.ravel() - q.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            r.append(Wc @ qc / (Wn * np.linalg.norm(qc)))
    return _best_of(np.stack(r))


def aligned_correlation_naive(pwm: np.ndarray, motif: np.ndarray) -> tuple[float, int, int]:
    """Reference for :func:`aligned_correlation`: one ``np.corrcoef`` per start and strand."""
    p, m = _check_pwm(pwm), _check_pwm(motif)
    k = _check_k(len(m), len(p))
    if np.ptp(m) == 0:
        raise ValueError("the motif is uniform: its correlation with any window is undefined")
    r = np.full((2, len(p) - k + 1), np.nan)
    for s, q in enumerate((m, m[::-1, ::-1])):
        for start in range(len(p) - k + 1):
            w = p[start : start + k]
            if np.ptp(w) > 0:
                r[s, start] = np.corrcoef(w.ravel(), q.ravel())[0, 1]
    return _best_of(r)
