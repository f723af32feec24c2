"""Motif discovery from attribution maps: seqlets, patterns, JASPAR matches (chapter 09).

What users of attribution libraries do after computing maps: find the short
stretches of high contribution (*seqlets*), group the seqlets that look alike
into *patterns*, and ask which known motif each pattern is.  One call,
:func:`discover`, runs the four steps:

1. **Contributions.**  A registered attribution method
   (:data:`demolib.attribution.ATTRIBUTIONS`, kind ``"attribution"``) gives
   ``values`` (N, 4, L); :func:`contributions` turns them into the signed
   contribution of the base present at each position (zero at the other three
   bases).
2. **Seqlets.**  tangermeme's recursive seqlet caller
   (``tangermeme.seqlet.recursive_seqlets``) on the per-position contribution
   ``sum_b C[b, j]``: spans of 4-25 bp whose every sub-span of at least 4 bp
   has a p-value below ``threshold`` under a null built from all positions
   (the p-value ranks spans; it is not an error rate).  Only *positive*
   seqlets are called (stretches that raise the bound logit).  The default
   ``threshold`` is 1e-3: at tangermeme's default of 0.01 the seqlets of a
   sharp planted map run one base into its zero-contribution flanks, at 1e-3
   they are exactly the planted spans (``tests/test_seqlets.py``).
   :func:`call_seqlets`.
3. **Patterns.**  Greedy clustering by aligned similarity, deterministic
   (:func:`cluster_seqlets`):

   - every seqlet is represented by the contribution window of ``width`` bp
     centred on it; it may be moved by up to ``max_shift`` bp and read on
     either strand when it is compared with a pattern;
   - the similarity of a seqlet to a pattern is the cosine between the
     (shifted, oriented) window and the pattern's contribution-weighted
     matrix (CWM: the mean of its members' aligned windows), maximized over
     the ``2 (2 max_shift + 1)`` alignments (:func:`best_alignments`; ties:
     the forward strand first, then the smallest ``|shift|``, then the
     negative shift);
   - seqlets are visited in calling order (p-value, then larger
     contribution, then sequence index, then start); each one joins the most
     similar existing pattern if that similarity is at least
     ``min_similarity`` (ties: the older pattern), and otherwise founds a new
     pattern in its own frame;
   - patterns with fewer than ``min_seqlets`` members are dropped; the rest
     are ranked by number of seqlets, then total contribution of the members,
     then creation order.

   A pattern's CWM and letter-frequency PWM are then trimmed to the columns
   whose total ``|CWM|`` reaches ``trim`` times the largest column's
   (:func:`trim_bounds`).
4. **JASPAR.**  Each pattern's PWM is compared with the project's JASPAR
   snapshot by :func:`demolib.motifs.tomtom_many` (memelite's Tomtom).

Default attribution method: ``"ism"``.  In-silico mutagenesis is exact (no
baseline or reference to choose), applies to every architecture, and on the
synthetic sets with planted sites it has the highest mean per-sequence AUROC
of all registered methods for the medium CNN (``data/results/ground_truth.json``:
0.855 / 0.972 / 0.959 on GATA1 / MAFK / NFYB, against 0.837 / 0.968 / 0.952
for DeepLIFT/SHAP, the usual input of TF-MoDISco, which applies to the CNN
only and is slower there).

The model-free steps are :func:`discover_from_contributions` (any
contribution map, e.g. a known one in the tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import motifs
from .attribution import ATTRIBUTIONS, Attribution
from .attribution import method as _method_spec

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = [
    "DEFAULT_METHOD",
    "TIE_TOL",
    "Seqlet",
    "Pattern",
    "Discovery",
    "contributions",
    "call_seqlets",
    "seqlet_windows",
    "best_alignments",
    "best_alignments_naive",
    "cluster_seqlets",
    "trim_bounds",
    "discover_from_contributions",
    "discover",
    "committed_tfs",
    "top_pattern_summary",
]

DEFAULT_METHOD = "ism"
"""Attribution method :func:`discover` uses unless told otherwise (module docstring: why)."""

TIE_TOL = 1e-9
"""Cosines within this of the best alignment's count as ties (broken by the fixed alignment order)."""


# --------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Seqlet:
    """A stretch of high contribution: ``X[seq, :, start:end]``.

    Attributes
    ----------
    seq : int
        Index of the sequence in ``X``.
    start, end : int
        Half-open span in the sequence (0-based), as called.
    score : float
        Sum of the contributions over the span.
    p : float
        tangermeme's p-value of the span (a ranking score, not an error rate).
    strand : int
        +1 as called; in :attr:`Pattern.seqlets`, the strand on which the
        seqlet is read to align with its pattern (-1: reverse complement).
    """

    seq: int
    start: int
    end: int
    score: float
    p: float
    strand: int = 1


@dataclass(frozen=True, eq=False)
class Pattern:
    """Seqlets grouped by aligned similarity, with the motif they share.

    Attributes
    ----------
    pwm : np.ndarray, float64, shape (w, 4)
        Letter frequencies (ACGT) of the members' aligned, trimmed windows;
        rows sum to 1 (a column outside every member's sequence is uniform).
    cwm : np.ndarray, float64, shape (w, 4)
        Contribution-weighted matrix: the mean over members of the aligned,
        trimmed contribution windows (signed; non-zero only at the bases
        present, so a column's sum is its mean contribution).
    seqlets : tuple of Seqlet
        The members as called, ``strand`` set to their orientation in the
        pattern, in the order they joined.
    starts : np.ndarray, int64, shape (n,)
        For each member, the sequence position of the left end of the
        pattern's window, in forward coordinates: the member covers
        ``[starts[i], starts[i] + w)`` of sequence ``seqlets[i].seq``, read
        as the reverse complement if ``seqlets[i].strand == -1``.  It may
        run past the sequence ends (those columns count nothing).
    matches : tuple of demolib.motifs.Match
        Tomtom matches of ``pwm`` against JASPAR, best p first.
    order : int
        Creation order in the clustering (the last tie-break of the ranking).
    """

    pwm: np.ndarray
    cwm: np.ndarray
    seqlets: tuple[Seqlet, ...]
    starts: np.ndarray
    matches: tuple = ()
    order: int = 0

    @property
    def n_seqlets(self) -> int:
        """Number of member seqlets."""
        return len(self.seqlets)

    @property
    def score(self) -> float:
        """Total contribution of the members (sum of their seqlet scores)."""
        return float(sum(s.score for s in self.seqlets))

    @property
    def width(self) -> int:
        """Width w of the trimmed pattern (bp)."""
        return int(self.pwm.shape[0])

    @property
    def best(self) -> "motifs.Match | None":
        """The best Tomtom match (smallest p), or None if there is none."""
        return self.matches[0] if self.matches else None


@dataclass(frozen=True, eq=False)
class Discovery:
    """What :func:`discover` returns.

    Attributes
    ----------
    method : str
        Attribution method (registry name), or ``"given"`` for
        :func:`discover_from_contributions`.
    contributions : np.ndarray, float32, shape (N, 4, L)
        Signed contribution of the base present (:func:`contributions`).
    seqlets : tuple of Seqlet
        Every called seqlet, in calling order (p-value, then larger score,
        then sequence, then start).
    patterns : tuple of Pattern
        Patterns with at least ``min_seqlets`` members, ranked (module
        docstring).
    settings : dict
        Every parameter of the run (JSON-serializable).
    info : dict
        The attribution's ``info`` (method diagnostics), if any.
    """

    method: str
    contributions: np.ndarray
    seqlets: tuple[Seqlet, ...]
    patterns: tuple[Pattern, ...]
    settings: dict
    info: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# 1. Contributions
# --------------------------------------------------------------------------
def _onehot(X) -> np.ndarray:
    x = X.detach().cpu().numpy() if hasattr(X, "detach") else np.asarray(X)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"X must have shape (N, 4, L) (one-hot DNA, ACGT rows), got {x.shape}")
    return x


def contributions(attr: Attribution, X) -> np.ndarray:
    """Signed contribution of the base present at each position.

    One rule for every attribution method: centre ``values`` over the four
    bases and keep the base present,

    ``C[b, j] = 4/3 * x[b, j] * (values[b, j] - mean_k values[k, j])``.

    For methods whose ``values`` hold the contribution of the base present
    and zero elsewhere (saliency, the gradient x input family, DeepLIFT/SHAP)
    this is ``values`` itself at the base present.  For ISM, whose ``values``
    are the substitution effects ``Delta[b, j]`` (0 at the base present), it
    is ``-mean_{b != a} Delta[b, j]``: the mean loss of the logit when the
    base present is mutated away (tangermeme's mean-centred ISM, times 4/3).
    Positions that are not one-hot (``N``) get zero.

    Parameters
    ----------
    attr : Attribution
        Of kind ``"attribution"``, computed on ``X``.
    X : array-like, shape (N, 4, L)
        The one-hot input.

    Returns
    -------
    np.ndarray, float32, shape (N, 4, L)
    """
    x = _onehot(X)
    v = np.asarray(attr.values, dtype=np.float64)
    if v.shape != x.shape:
        raise ValueError(f"attribution values {v.shape} and X {x.shape} differ in shape")
    return (4.0 / 3.0 * x * (v - v.mean(axis=1, keepdims=True))).astype(np.float32)


# --------------------------------------------------------------------------
# 2. Seqlets
# --------------------------------------------------------------------------
def call_seqlets(
    C: np.ndarray, *, threshold: float = 1e-3, min_len: int = 4, max_len: int = 25
) -> list[Seqlet]:
    """Positive seqlets of a contribution map, by tangermeme's recursive caller.

    Parameters
    ----------
    C : np.ndarray, shape (N, 4, L) or (N, L)
        Contributions (:func:`contributions`), or already summed per position.
    threshold : float
        p-value every sub-span of a seqlet must be below (a ranking cut-off,
        see ``tangermeme.seqlet.recursive_seqlets``).
    min_len, max_len : int
        Seqlet lengths (bp).

    Returns
    -------
    list of Seqlet
        In calling order: p-value, then larger score, then sequence index,
        then start (explicit, so equal p-values do not depend on a sort's
        stability).
    """
    from tangermeme.seqlet import recursive_seqlets

    c = np.asarray(C, dtype=np.float64)
    if c.ndim == 3:
        c = c.sum(axis=1)
    if c.ndim != 2 or c.size == 0:
        raise ValueError(f"contributions must have shape (N, 4, L) or (N, L) and not be empty, got {np.shape(C)}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    df = recursive_seqlets(np.ascontiguousarray(c), threshold=threshold, min_seqlet_len=int(min_len),
                           max_seqlet_len=int(max_len))
    idx, starts, ends = (df[k].to_numpy(dtype=np.int64) for k in ("example_idx", "start", "end"))
    out = [Seqlet(int(i), int(a), int(b), float(c[i, a:b].sum()), float(p))
           for i, a, b, p in zip(idx, starts, ends, df["p-value"].to_numpy(dtype=np.float64))]
    return sorted(out, key=lambda s: (s.p, -s.score, s.seq, s.start))


# --------------------------------------------------------------------------
# 3. Patterns
# --------------------------------------------------------------------------
def _frame_starts(seqlets: Sequence[Seqlet], width: int) -> np.ndarray:
    """Left end of the ``width``-bp frame centred on each seqlet (centre ``start + (end - start) // 2``)."""
    return np.array([s.start + (s.end - s.start) // 2 - width // 2 for s in seqlets], dtype=np.int64)


def seqlet_windows(A: np.ndarray, seqs, starts, width: int) -> np.ndarray:
    """Windows ``A[seqs[i], :, starts[i]:starts[i] + width]``, zero outside the sequence.

    Parameters
    ----------
    A : np.ndarray, shape (N, 4, L)
        Contributions or one-hot input.
    seqs, starts : array-like of int, shape (n,)
    width : int

    Returns
    -------
    np.ndarray, float64, shape (n, 4, width)
    """
    A = np.asarray(A, dtype=np.float64)
    seqs = np.asarray(seqs, dtype=np.int64).reshape(-1)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    N, _, L = A.shape
    pos = starts[:, None] + np.arange(width)[None]  # (n, width)
    inside = (pos >= 0) & (pos < L)
    win = A[seqs[:, None], :, np.clip(pos, 0, L - 1)]  # (n, width, 4)
    return np.where(inside[..., None], win, 0.0).transpose(0, 2, 1)


def _candidates(wide: np.ndarray, width: int) -> np.ndarray:
    """(n, 2, 2S+1, 4, width) alignments of (n, 4, width + 2S) windows, in tie-break order.

    Axis 1: strand (+1, then -1: the reverse complement of the same window);
    axis 2: shift ``s`` ordered 0, -1, +1, -2, +2, ... (:func:`_shift_order`).
    """
    S = (wide.shape[2] - width) // 2
    order = _shift_order(S)
    fwd = np.stack([wide[:, :, S + s : S + s + width] for s in order], axis=1)  # (n, 2S+1, 4, w)
    return np.stack([fwd, fwd[:, :, ::-1, ::-1]], axis=1)


def _shift_order(S: int) -> list[int]:
    """Shifts in tie-break order: 0, -1, +1, -2, +2, ..., -S, +S."""
    out = [0]
    for k in range(1, S + 1):
        out += [-k, k]
    return out


def _cosines(cand: np.ndarray, cwms: np.ndarray) -> np.ndarray:
    """Cosine of every candidate (n, 2, K, 4, w) with every CWM (P, 4, w): (n, P, 2, K)."""
    n = cand.shape[0]
    flat = cand.reshape(n, -1, cand.shape[-2] * cand.shape[-1])  # (n, 2K, 4w)
    M = cwms.reshape(cwms.shape[0], -1)  # (P, 4w)
    dots = np.einsum("nkd,pd->npk", flat, M)
    norms = np.linalg.norm(flat, axis=2)[:, None, :] * np.linalg.norm(M, axis=1)[None, :, None]
    cos = np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)
    return cos.reshape(n, cwms.shape[0], 2, -1)


def best_alignments(wide: np.ndarray, cwms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best alignment of each window to each CWM (vectorized).

    Parameters
    ----------
    wide : np.ndarray, shape (n, 4, w + 2S)
        Contribution windows with ``S`` bp of slack on each side.
    cwms : np.ndarray, shape (P, 4, w)
        Pattern CWMs (any positive scale).

    Returns
    -------
    similarity : np.ndarray, float64, shape (n, P)
        Largest cosine over the ``2 (2S + 1)`` alignments (0 if either side
        is all zero).
    strand : np.ndarray, int64, shape (n, P)
        +1 or -1.
    shift : np.ndarray, int64, shape (n, P)
        ``s`` in ``[-S, S]``: the aligned window is ``wide[:, :, S+s : S+s+w]``
        (then reverse-complemented if strand is -1).
    index : np.ndarray, int64, shape (n, P)
        Flat index of the alignment in tie-break order (forward strand first,
        then shifts 0, -1, +1, -2, ...): the first alignment whose cosine is
        within :data:`TIE_TOL` of the largest wins (a palindromic CWM ties
        the two strands exactly, up to rounding).
    """
    w = cwms.shape[2]
    S = (wide.shape[2] - w) // 2
    cos = _cosines(_candidates(wide, w), cwms)  # (n, P, 2, K)
    n, P, _, K = cos.shape
    flat = cos.reshape(n, P, 2 * K)
    top = flat.max(axis=2, keepdims=True) if flat.size else flat[..., :1]
    idx = (flat >= top - TIE_TOL).argmax(axis=2)  # the first alignment within TIE_TOL of the best
    sim = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    strand_i, k = np.divmod(idx, K)
    shifts = np.asarray(_shift_order(S), dtype=np.int64)
    return sim, np.where(strand_i == 0, 1, -1), shifts[k], idx


def best_alignments_naive(wide: np.ndarray, cwms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference loop for :func:`best_alignments`: (similarity, strand, shift).

    Computes every cosine, then takes the first alignment in the order
    strand +1 then -1, and for each the shifts 0, -1, +1, -2, +2, ..., whose
    cosine is within :data:`TIE_TOL` of the largest.
    """
    wide = np.asarray(wide, dtype=np.float64)
    cwms = np.asarray(cwms, dtype=np.float64)
    n, P, w = wide.shape[0], cwms.shape[0], cwms.shape[2]
    S = (wide.shape[2] - w) // 2
    sim = np.zeros((n, P))
    strand = np.ones((n, P), dtype=np.int64)
    shift = np.zeros((n, P), dtype=np.int64)
    for i in range(n):
        for p in range(P):
            tried = []
            for st in (1, -1):
                for s in _shift_order(S):
                    a = wide[i, :, S + s : S + s + w]
                    if st == -1:
                        a = a[::-1, ::-1]
                    m = cwms[p]
                    na, nm = np.sqrt((a * a).sum()), np.sqrt((m * m).sum())
                    c = float((a * m).sum() / (na * nm)) if na > 0 and nm > 0 else 0.0
                    tried.append((c, st, s))
            top = max(c for c, _, _ in tried)
            sim[i, p], strand[i, p], shift[i, p] = next(t for t in tried if t[0] >= top - TIE_TOL)
    return sim, strand, shift


@dataclass
class _Cluster:
    members: list[int]
    strands: list[int]
    shifts: list[int]
    total: np.ndarray  # (4, w): sum of the members' aligned windows


def cluster_seqlets(
    C: np.ndarray,
    seqlets: Sequence[Seqlet],
    *,
    width: int = 20,
    max_shift: int = 5,
    min_similarity: float = 0.6,
) -> list[tuple[list[int], list[int], list[int]]]:
    """Greedy clustering of seqlets by aligned similarity (module docstring, step 3).

    Parameters
    ----------
    C : np.ndarray, shape (N, 4, L)
        Contributions.
    seqlets : list of Seqlet
        Visited in the given order (:func:`call_seqlets`' order).
    width : int
        Frame width (bp) of a seqlet and of a pattern.
    max_shift : int
        Largest move (bp) of a seqlet's frame when it is aligned.
    min_similarity : float
        Cosine a seqlet needs to join a pattern.

    Returns
    -------
    list of (members, strands, shifts)
        One per cluster in creation order: indices into ``seqlets``, the
        strand (+1/-1) and shift of each member's frame.
    """
    C = np.asarray(C, dtype=np.float64)
    if not seqlets:
        return []
    S = int(max_shift)
    frames = _frame_starts(seqlets, width)
    seqs = np.array([s.seq for s in seqlets], dtype=np.int64)
    wide = seqlet_windows(C, seqs, frames - S, width + 2 * S)  # (n, 4, w + 2S)
    clusters: list[_Cluster] = []
    totals = np.zeros((0, 4, width))
    for i in range(len(seqlets)):
        if clusters:
            sim, strand, shift, _ = best_alignments(wide[i : i + 1], totals)
            p = int((sim[0] >= sim[0].max() - TIE_TOL).argmax())  # ties (within TIE_TOL): the older pattern
            if sim[0, p] >= min_similarity:
                st, s = int(strand[0, p]), int(shift[0, p])
                a = wide[i, :, S + s : S + s + width]
                a = a if st == 1 else a[::-1, ::-1]
                c = clusters[p]
                c.members.append(i)
                c.strands.append(st)
                c.shifts.append(s)
                c.total = c.total + a
                totals[p] = c.total
                continue
        a = wide[i, :, S : S + width]
        clusters.append(_Cluster([i], [1], [0], a.copy()))
        totals = np.concatenate([totals, a[None]], axis=0)
    return [(c.members, c.strands, c.shifts) for c in clusters]


def trim_bounds(cwm: np.ndarray, trim: float = 0.3) -> tuple[int, int]:
    """Columns ``[a, b)`` of a CWM from the first to the last whose total ``|CWM|`` reaches ``trim`` x the largest.

    Parameters
    ----------
    cwm : np.ndarray, shape (w, 4)
    trim : float
        Fraction of the largest column total, in [0, 1].

    Returns
    -------
    (a, b) : tuple of int
        ``(0, w)`` for an all-zero CWM.
    """
    if not 0 <= trim <= 1:
        raise ValueError(f"trim must lie in [0, 1], got {trim}")
    imp = np.abs(np.asarray(cwm, dtype=np.float64)).sum(axis=1)
    if imp.max(initial=0.0) <= 0:
        return 0, len(imp)
    keep = np.flatnonzero(imp >= trim * imp.max())
    return int(keep[0]), int(keep[-1]) + 1


def _pattern(C, X, seqlets, members, strands, shifts, width, trim, order) -> Pattern:
    """Build a Pattern from a cluster: aligned CWM and PWM, trimmed."""
    mem = [seqlets[i] for i in members]
    seqs = np.array([s.seq for s in mem], dtype=np.int64)
    starts = _frame_starts(mem, width) + np.asarray(shifts, dtype=np.int64)
    st = np.asarray(strands, dtype=np.int64)
    cw = seqlet_windows(C, seqs, starts, width)
    oh = seqlet_windows(X, seqs, starts, width)
    rc = st == -1
    cw[rc] = cw[rc][:, ::-1, ::-1]
    oh[rc] = oh[rc][:, ::-1, ::-1]
    cwm = cw.mean(axis=0).T  # (w, 4)
    a, b = trim_bounds(cwm, trim)
    counts = oh.sum(axis=0).T[a:b]
    tot = counts.sum(axis=1, keepdims=True)
    pwm = np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), 0.25)
    # forward coordinates of the trimmed window: column j of a reverse-complemented window is position width-1-j
    new_starts = np.where(rc, starts + width - b, starts + a)
    members_out = tuple(Seqlet(s.seq, s.start, s.end, s.score, s.p, int(d)) for s, d in zip(mem, st))
    return Pattern(pwm, cwm[a:b].copy(), members_out, new_starts.astype(np.int64), (), int(order))


def _rank(patterns: list[Pattern]) -> list[Pattern]:
    """Number of seqlets (desc), then total contribution (desc), then creation order."""
    return sorted(patterns, key=lambda p: (-p.n_seqlets, -p.score, p.order))


def discover_from_contributions(
    X,
    C: np.ndarray,
    *,
    threshold: float = 1e-3,
    min_len: int = 4,
    max_len: int = 25,
    width: int = 20,
    max_shift: int = 5,
    min_similarity: float = 0.6,
    trim: float = 0.3,
    min_seqlets: int = 5,
    top: int | None = 5,
    database=None,
    method: str = "given",
    info: dict | None = None,
) -> Discovery:
    """Seqlets, patterns and JASPAR matches of a given contribution map.

    Parameters
    ----------
    X : array-like, shape (N, 4, L)
        One-hot input.
    C : np.ndarray, shape (N, 4, L)
        Signed contribution of the base present (:func:`contributions`).
    threshold, min_len, max_len
        Seqlet calling (:func:`call_seqlets`).
    width, max_shift, min_similarity
        Clustering (:func:`cluster_seqlets`).
    trim : float
        Trimming of the patterns (:func:`trim_bounds`).
    min_seqlets : int
        Smallest pattern kept.
    top : int or None
        Tomtom matches kept per pattern (None: all; 0: no Tomtom).
    database : list of Motif, optional
        Tomtom targets; the JASPAR snapshot by default.
    method : str
        Recorded in the result.
    info : dict, optional
        Recorded in the result.

    Returns
    -------
    Discovery
    """
    x = _onehot(X)
    C = np.asarray(C, dtype=np.float32)
    if C.shape != x.shape:
        raise ValueError(f"contributions {C.shape} and X {x.shape} differ in shape")
    if width < 1 or max_shift < 0:
        raise ValueError(f"need width >= 1 and max_shift >= 0, got {width}, {max_shift}")
    if min_seqlets < 1:
        raise ValueError(f"min_seqlets must be >= 1, got {min_seqlets}")
    settings = {"method": method, "threshold": threshold, "min_len": min_len, "max_len": max_len, "width": width,
                "max_shift": max_shift, "min_similarity": min_similarity, "trim": trim, "min_seqlets": min_seqlets,
                "top": top}
    seqlets = call_seqlets(C, threshold=threshold, min_len=min_len, max_len=max_len)
    clusters = cluster_seqlets(C, seqlets, width=width, max_shift=max_shift, min_similarity=min_similarity)
    pats = [_pattern(C, x, seqlets, m, st, sh, width, trim, k)
            for k, (m, st, sh) in enumerate(clusters) if len(m) >= min_seqlets]
    pats = _rank(pats)
    if pats and top != 0:
        found = motifs.tomtom_many([p.pwm for p in pats], top=top, database=database)
        pats = [Pattern(p.pwm, p.cwm, p.seqlets, p.starts, tuple(m), p.order) for p, m in zip(pats, found)]
    return Discovery(method, C, tuple(seqlets), tuple(pats), settings, dict(info or {}))


def discover(model: "nn.Module", X, method: str = DEFAULT_METHOD, *, attribution_kw: dict | None = None,
             **kw: Any) -> Discovery:
    """Attribution maps -> seqlets -> patterns -> JASPAR matches (module docstring).

    Parameters
    ----------
    model : nn.Module
        A DeMo model (any architecture the method applies to).
    X : array-like, shape (N, 4, L)
        One-hot sequences, typically positives.
    method : str
        A key of :data:`demolib.attribution.ATTRIBUTIONS` of kind
        ``"attribution"``; ``"ism"`` by default (module docstring: why).
    attribution_kw : dict, optional
        Passed to the attribution method (e.g. ``{"n_shuffles": 20}``).
    **kw
        Passed to :func:`discover_from_contributions` (seqlet calling,
        clustering, trimming, Tomtom settings).

    Returns
    -------
    Discovery

    Raises
    ------
    ValueError
        Unknown method (the message lists the known ones), a method of
        another kind (temporal scores have no per-base contributions), or
        one that does not apply to the model (the message says why).
    """
    from .attribution import attribute

    spec = _method_spec(method)
    if spec.kind != "attribution":
        usable = [n for n, s in ATTRIBUTIONS.items() if s.kind == "attribution"]
        raise ValueError(f"method {method!r} is of kind {spec.kind!r}, which gives no per-base contributions; "
                         f"choose one of {', '.join(usable)}")
    x = _onehot(X)
    attr = attribute(model, x, method, **(attribution_kw or {}))
    info = {k: v for k, v in attr.info.items() if isinstance(v, (str, bool, int, float, np.generic))}
    out = discover_from_contributions(x, contributions(attr, x), method=method, info=info, **kw)
    return replace(out, settings={**out.settings, "attribution_kw": dict(attribution_kw or {})})


# --------------------------------------------------------------------------
# Results helpers
# --------------------------------------------------------------------------
def committed_tfs(arch: str = "cnn", size: str = "medium") -> list[str]:
    """Real ChIP-seq TFs with a committed checkpoint of ``arch`` and ``size`` (a ``weights.pt`` in
    ``data/checkpoints/<TF>-<arch>-<size>``), in the order of ``data.REAL_TFS`` then ``data.DEEPBIND_TFS``.

    Raises
    ------
    ValueError
        For an architecture not in :data:`demolib.architectures.ARCHITECTURES`.
    """
    from .architectures import ARCHITECTURES
    from .data import ALL_REAL_TFS
    from .train import committed_dir

    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return [tf for tf in ALL_REAL_TFS if (committed_dir(tf, arch, size) / "weights.pt").exists()]


def top_pattern_summary(result: Discovery, tf: str, *, q: float = 0.05, top: int = 5) -> dict:
    """The top pattern of a discovery and its best JASPAR match, as a JSON-ready record.

    Parameters
    ----------
    result : Discovery
    tf : str
        The TF whose family decides ``in_family`` (:func:`demolib.motifs.matches_known`).
    q, top : float, int
        The match rule (:func:`demolib.motifs.matches_known`).

    Returns
    -------
    dict
        ``n_sequences``, ``n_seqlets`` (all called), ``n_patterns``; for the
        top pattern ``top_n_seqlets``, ``top_width``, ``top_consensus``,
        ``top_pwm`` (w x 4 list); its best match ``match_id``,
        ``match_name``, ``match_family``, ``match_p``, ``match_q`` (None if
        no pattern or no match); ``in_family``: whether the top pattern's
        matches recover the TF (its own matrix or family, q < ``q``, within
        the first ``top``); ``rank_in_family``: the rank (1-based) of the
        first pattern that does, or None.
    """
    pats = result.patterns
    row: dict[str, Any] = {"tf": tf, "method": result.method, "n_sequences": int(result.contributions.shape[0]),
                           "n_seqlets": len(result.seqlets), "n_patterns": len(pats)}
    p = pats[0] if pats else None
    m = p.best if p is not None else None
    row.update({
        "top_n_seqlets": p.n_seqlets if p else 0,
        "top_score": round(p.score, 4) if p else None,
        "top_width": p.width if p else None,
        "top_consensus": "".join("ACGT"[i] for i in p.pwm.argmax(axis=1)) if p else None,
        "top_pwm": np.round(p.pwm, 4).tolist() if p else None,
        "match_id": m.id if m else None,
        "match_name": m.name if m else None,
        "match_family": m.family if m else None,
        "match_p": float(m.p) if m else None,
        "match_q": float(m.q) if m else None,
        "in_family": bool(motifs.matches_known(p.matches, tf, q=q, top=top)) if p else False,
    })
    hits = [k + 1 for k, pp in enumerate(pats) if motifs.matches_known(pp.matches, tf, q=q, top=top)]
    row["rank_in_family"] = hits[0] if hits else None
    return row
