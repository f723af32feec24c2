"""Table 3 of the paper: does a visualization method recover the TF's known motif?"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Sequence

from ..data import one_hot
from .extraction import extract_motif
from .families import matches_known
from .tomtom import tomtom_many
from .windows import _normalize_counts

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = ["table3_row"]


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
    ``"conv"``, ``"conv-filter"`` and the registry's attribution methods):
    each positive sequence's window (:func:`extract_motif`'s
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
        Window width (the filter width for ``"conv"`` and ``"conv-filter"``).
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
