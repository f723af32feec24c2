"""Table 3 of the paper: does a visualization method recover the TF's known motif?"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..data import one_hot
from .extraction import extract_motif
from .families import matches_known
from .tomtom import tomtom_many
from .windows import _normalize_counts

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from torch import nn

__all__ = ["table3_row", "method_columns", "table3_view", "clearly_above", "ranking_lines", "PAPER_ORDER"]

#: The paper's ranking of the architectures by motif recovery, best first (chapter 09).
PAPER_ORDER = ("cnn", "cnn-rnn", "rnn")


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


# --------------------------------------------------------------------------
# Reading the table (chapter 09)
# --------------------------------------------------------------------------
def method_columns() -> dict[str, str]:
    """Table 3's column header of every extraction method, in the order chapter 09 shows them.

    The paper's four columns first (saliency, convolution activation, temporal
    output, class optimization), then every other method of
    :data:`~demolib.motifs.METHODS` under its registry label.
    """
    from ..attribution import ATTRIBUTIONS
    from .extraction import METHODS

    cols = {"saliency": "saliency", "conv": "conv. activation", "temporal": "temporal output",
            "classopt": "class optimization"}
    return cols | {m: ATTRIBUTIONS[m].label if m in ATTRIBUTIONS else m for m in METHODS if m not in cols}


def table3_view(rows: "pd.DataFrame", ceiling: Mapping[str, float] | None = None,
                value: str = "fraction") -> "pd.DataFrame":
    """Chapter 09's Table 3: (data set, architecture) x method, formatted as in the paper.

    Parameters
    ----------
    rows : pd.DataFrame
        Rows of ``data/results/table3.json`` (columns ``dataset``, ``arch``,
        ``tf``, ``method``, ``fraction``).
    ceiling : dict TF -> float, optional
        The fraction of true motif instances that the same rule recovers
        (chapter 09's "ceiling"); added as the last column.
    value : {"fraction", "top_match"}
        What each cell shows: the fraction of recovered windows, or the most
        frequent best significant JASPAR match (empty: none at the table's q).

    Returns
    -------
    pd.DataFrame
        Index (dataset, architecture label), architectures in registry order;
        cells ``"0.123"`` (class optimization: ``"yes"``/``"no"``), ``"–"``
        where a method does not apply.
    """
    from ..architectures import ARCHITECTURES

    labels = {name: a.label for name, a in ARCHITECTURES.items()}
    rank = {lab: i for i, lab in enumerate(labels.values())}
    cols = method_columns()
    if value == "fraction":
        cell = [("yes" if f >= 1 else "no") if m == "classopt" else f"{f:.3f}"
                for m, f in zip(rows["method"], rows["fraction"])]
    elif value == "top_match":
        cell = rows["top_match"].fillna("").tolist()
    else:
        raise ValueError(f"value must be 'fraction' or 'top_match', not {value!r}")
    view = (rows.assign(cell=cell, architecture=rows["arch"].map(labels))
            .pivot(index=["dataset", "architecture"], columns="method", values="cell")
            .reindex(columns=[m for m in cols if m in set(rows["method"])]).fillna("–")
            .rename(columns=cols))
    view = view.sort_index(key=lambda ix: ix.map(rank) if ix.name == "architecture" else ix)
    if ceiling is not None:
        tf_of = dict(zip(rows["dataset"], rows["tf"]))
        view["ceiling (true instances)"] = [f"{ceiling[tf_of[d]]:.3f}" for d in view.index.get_level_values("dataset")]
    view.columns.name = None
    return view


def clearly_above(hits_a: int, n_a: int, hits_b: int, n_b: int, z: float = 2.0) -> bool:
    """Is fraction ``hits_a / n_a`` more than ``z`` standard errors above ``hits_b / n_b``?

    The two-proportion z statistic with the pooled proportion (chapter 09's
    "clearly above"); False when both fractions are 0 or 1 (no variance).
    """
    p = (hits_a + hits_b) / (n_a + n_b)
    se = float(np.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b)))
    return se > 0 and (hits_a / n_a - hits_b / n_b) / se > z


def ranking_lines(rows: "pd.DataFrame", label: str, methods: Sequence[str] = ("saliency", "temporal", "conv", "classopt"),
                  order: Sequence[str] = PAPER_ORDER) -> list[str]:
    """Chapter 09's verdict on the paper's ranking of architectures, one Markdown bullet per method.

    For each method, the data sets on which every architecture that has the
    method exists; their counts pooled per architecture; each pair compared
    with :func:`clearly_above` in both directions (the paper's order, the
    opposite, or no clear difference).  Class optimization (one motif per
    model) reports counts only.

    Parameters
    ----------
    rows : pd.DataFrame
        Table 3 rows (``dataset``, ``arch``, ``method``, ``n_match``, ``n``).
    label : str
        What the data sets are ("real", "synthetic"), for the text.
    methods : the methods to report, in this order
    order : architectures, best first by the paper

    Returns
    -------
    list of str
    """
    from ..architectures import ARCHITECTURES

    lab = {name: a.label for name, a in ARCHITECTURES.items()}
    cols = method_columns()
    lines = []
    for method in methods:
        sub = rows[rows.method == method]
        archs = [a for a in order if a in set(sub.arch)]
        have = sub.groupby("dataset").arch.apply(set)
        common = sorted(d for d, s in have.items() if set(archs) <= s)
        if len(archs) < 2 or not common:
            continue
        g = sub[sub.dataset.isin(common)].groupby("arch")[["n_match", "n"]].sum()
        where = f"{len(common)} {label} data set{'s' if len(common) > 1 else ''}"
        if method == "classopt":
            counts = ", ".join(f"{lab[a]} {g.n_match[a]} of {g.n[a]}" for a in archs)
            lines.append(f"- {cols[method]} ({where}), models whose motif recovers the TF: {counts}.")
            continue

        def above(a: str, b: str) -> bool:
            return clearly_above(g.n_match[a], g.n[a], g.n_match[b], g.n[b])

        frac = ", ".join(f"{lab[a]} {g.n_match[a] / g.n[a]:.3f}" for a in archs)
        pairs = [(a, b) for i, a in enumerate(archs) for b in archs[i + 1:]]  # a ranks above b in the paper
        agree = [f"{lab[a]} > {lab[b]}" for a, b in pairs if above(a, b)]
        reverse = [f"{lab[b]} > {lab[a]}" for a, b in pairs if above(b, a)]
        unclear = [f"{lab[a]} ≈ {lab[b]}" for a, b in pairs if not above(a, b) and not above(b, a)]
        verdict = "; ".join(part for part in (
            f"as in the paper: {', '.join(agree)}" if agree else "",
            f"**opposite to the paper**: {', '.join(reverse)}" if reverse else "",
            f"no clear difference: {', '.join(unclear)}" if unclear else "") if part)
        lines.append(f"- {cols[method]} ({where}), pooled fraction: {frac}. {verdict[0].upper() + verdict[1:]}.")
    return lines or [f"- no {label} data set has two architectures yet."]
