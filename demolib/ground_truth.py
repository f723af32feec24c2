"""Attribution maps scored against planted motif positions (synthetic data).

On a synthetic set every positive sequence carries a planted motif instance
at a known place (``Split.sites``).  Following Koo & Ploenzke (Nature
Machine Intelligence 2021), an attribution method is scored per sequence:
the positions inside a planted site are the positives (label 1), all others
negatives (label 0), the method's ``per_position`` map is the score, and the
AUROC and AUPRC of that ranking are taken; then they are averaged over the
positive test sequences, with a 95% bootstrap CI over sequences
(``scipy.stats.bootstrap``, seeded).

Ties: the AUROC counts a tied (positive, negative) pair as 1/2 (the
Mann-Whitney statistic with average ranks); the AUPRC is the average
precision with all positions of one score entering at one threshold
(scikit-learn's ``average_precision_score`` convention), so neither depends
on the order of positions.  A map that is constant on a sequence therefore
scores AUROC 0.5 and AUPRC = the fraction of site positions.

:func:`per_sequence_auc` is the vectorized computation; the tests check it
against scikit-learn one sequence at a time.

Class optimization gives one PWM per model rather than a map per sequence;
:func:`motif_recovery` scores that PWM against the planted JASPAR matrix
instead (chapter 08).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy import stats

from .data import Site

__all__ = [
    "planted_importance",
    "SYNTHETIC",
    "ARCHS",
    "GroundTruth",
    "site_mask",
    "per_sequence_auc",
    "mean_ci",
    "score_map",
    "score_method",
    "diagnostics",
    "benchmark",
    "table",
    "paired_difference",
    "MotifRecovery",
    "motif_recovery",
]

SYNTHETIC = ("synthetic-GATA1", "synthetic-MAFK", "synthetic-NFYB")
"""Synthetic datasets with committed checkpoints."""
ARCHS = ("cnn", "cnn-rnn")
"""Architectures with committed synthetic checkpoints."""


@dataclass(frozen=True)
class GroundTruth:
    """Per-sequence AUROC / AUPRC of one method's maps against planted sites.

    Attributes
    ----------
    auroc, auprc : np.ndarray, float64, shape (n,)
        One value per scored sequence (sequences without a site are left out).
    auroc_mean, auprc_mean : float
        Means over sequences.
    auroc_ci, auprc_ci : tuple of float
        95% bootstrap CI of the mean (BCa, ``n_resamples`` resamples of the
        sequences, seeded).
    chance_auprc : float
        Mean fraction of site positions per sequence: the AUPRC of a random map.
    n : int
        Sequences scored.
    """

    auroc: np.ndarray
    auprc: np.ndarray
    auroc_mean: float
    auroc_ci: tuple[float, float]
    auprc_mean: float
    auprc_ci: tuple[float, float]
    chance_auprc: float
    n: int
    info: dict = field(default_factory=dict)

    def to_row(self, per_sequence: bool = True, digits: int = 4) -> dict:
        """JSON-ready dict (per-sequence arrays rounded to ``digits``, or left out)."""
        d = asdict(self)
        for k in ("auroc", "auprc"):
            if per_sequence:
                d[k] = [round(float(v), digits) for v in getattr(self, k)]
            else:
                del d[k]
        for k in ("auroc_mean", "auprc_mean", "chance_auprc"):
            d[k] = round(float(d[k]), digits)
        for k in ("auroc_ci", "auprc_ci"):
            d[k] = [round(float(v), digits) for v in d[k]]
        d.update(d.pop("info"))
        return d


def planted_importance(length: int, sites: Iterable[Site]) -> np.ndarray:
    """Ground-truth importance of one synthetic sequence (chapter 01): at each position of a
    planted site the information content (bits) of the planted JASPAR column, read on the
    site's strand; 0 elsewhere.

    Returns
    -------
    np.ndarray, shape (length,)
    """
    from .data import jaspar_motif
    from .motifs import information_content

    truth = np.zeros(length)
    for s in sites:
        ic = information_content(jaspar_motif(s.motif).pwm)
        truth[s.start:s.end] = ic if s.strand > 0 else ic[::-1]
    return truth


def site_mask(sites: Sequence[Iterable[Site]], length: int) -> np.ndarray:
    """Labels per position: True inside any planted site (``start <= j < end``).

    Parameters
    ----------
    sites : sequence (length N) of iterables of Site
    length : int
        L.

    Returns
    -------
    np.ndarray, bool, shape (N, L)
    """
    mask = np.zeros((len(sites), int(length)), dtype=bool)
    for i, ss in enumerate(sites):
        for s in ss:
            if not 0 <= s.start < s.end <= length:
                raise ValueError(f"site {s} of sequence {i} lies outside [0, {length})")
            mask[i, s.start : s.end] = True
    return mask


def _average_precision(score: np.ndarray, label: np.ndarray) -> float:
    """Average precision of one sequence, ties entering at one threshold."""
    order = np.argsort(-score, kind="stable")
    s, y = score[order], label[order]
    # last index of every run of equal scores
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tp = np.cumsum(y)[ends]
    n_at = ends + 1
    precision = tp / n_at
    recall = tp / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def per_sequence_auc(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and AUPRC of each row's scores against its labels.

    Parameters
    ----------
    scores : np.ndarray, shape (N, L)
        Higher = more important.
    labels : np.ndarray, bool, shape (N, L)
        Rows need at least one True and one False (others give NaN).

    Returns
    -------
    auroc, auprc : np.ndarray, float64, shape (N,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(f"scores and labels must both be (N, L), got {scores.shape} and {labels.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values")
    n_pos = labels.sum(axis=1)
    n_neg = labels.shape[1] - n_pos
    ranks = stats.rankdata(scores, axis=1)  # average ranks: ties count 1/2
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = ((ranks * labels).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    auprc = np.array([_average_precision(s, y) if 0 < p < len(y) else np.nan
                      for s, y, p in zip(scores, labels, n_pos)])
    auroc[(n_pos == 0) | (n_neg == 0)] = np.nan
    return auroc, auprc


def mean_ci(values: np.ndarray, *, seed: int = 0, n_resamples: int = 2000,
            confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Mean of ``values`` and its bootstrap CI (``scipy.stats.bootstrap``, BCa, seeded).

    A constant sample (where BCa is undefined) gets the degenerate interval
    (v, v); fewer than two values give (nan, nan).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), (float("nan"), float("nan"))
    m = float(v.mean())
    if len(v) < 2:
        return m, (float("nan"), float("nan"))
    if np.all(v == v[0]):
        return m, (m, m)
    res = stats.bootstrap((v,), np.mean, confidence_level=confidence, n_resamples=n_resamples, method="BCa",
                          rng=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return m, (lo, hi)


def score_map(per_position: np.ndarray, sites: Sequence[Iterable[Site]], *, seed: int = 0,
              n_resamples: int = 2000, **info) -> GroundTruth:
    """Score a (N, L) per-position map against the planted ``sites`` of the same N sequences.

    Sequences without a site (or covered entirely by sites) are left out and
    counted in ``info["skipped"]``.
    """
    pp = np.asarray(per_position)
    if pp.ndim != 2 or pp.shape[0] != len(sites):
        raise ValueError(f"per_position must be (N, L) with N = len(sites) = {len(sites)}, got {pp.shape}")
    labels = site_mask(sites, pp.shape[1])
    keep = labels.any(axis=1) & ~labels.all(axis=1)
    auroc, auprc = per_sequence_auc(pp[keep], labels[keep])
    am, aci = mean_ci(auroc, seed=seed, n_resamples=n_resamples)
    pm, pci = mean_ci(auprc, seed=seed, n_resamples=n_resamples)
    return GroundTruth(auroc, auprc, am, aci, pm, pci, float(labels[keep].mean(axis=1).mean()) if keep.any() else
                       float("nan"), int(keep.sum()), info={**info, "skipped": int((~keep).sum())})


def score_method(model, split, method: str, *, n: int | None = None, seed: int = 0, n_resamples: int = 2000,
                 **kw) -> GroundTruth:
    """Ground-truth AUROC / AUPRC of one registered method on one model.

    Parameters
    ----------
    model : nn.Module
    split : demolib.data.Split
        Sequences with planted ``sites`` (e.g. ``load_dataset("synthetic-MAFK").test.positives()``).
    method : str
        A key of :data:`demolib.attribution.ATTRIBUTIONS` that applies to the model.
    n : int, optional
        Score a seeded random subset of ``n`` sequences (all by default).
    seed : int
        Seeds the subset, the method (where it takes a seed) and the bootstrap.
    **kw
        Passed to the method.

    Returns
    -------
    GroundTruth
        ``info`` holds ``method``, ``seconds`` (the attribution's wall time)
        and the method's :func:`diagnostics`.
    """
    from .attribution import attribute, method as method_spec

    spec = method_spec(method)
    if n is not None and n < len(split):
        idx = np.sort(np.random.default_rng(seed).choice(len(split), size=int(n), replace=False))
        split = split.subset(idx)
    if "seed" in _params(spec.fn):
        kw.setdefault("seed", seed)
    t = time.perf_counter()
    a = attribute(model, split.X, method, **kw)
    secs = time.perf_counter() - t
    return score_map(a.per_position, split.sites, seed=seed, n_resamples=n_resamples, method=method,
                     seconds=round(secs, 2), **diagnostics(a))


def diagnostics(a) -> dict:
    """Summary of a method's own accuracy checks, where it reports them.

    ``completeness_gap_rel_median`` (integrated gradients): median over
    sequences of ``|sum(attr) - (S(x) - mean S(x'))| / |S(x) - mean S(x')|``;
    ``convergence_delta_max`` (DeepLIFT/SHAP): the largest summation-to-delta
    error over (sequence, reference) pairs.
    """
    out = {}
    if "completeness_gap" in a.info:
        total = np.abs(a.score - a.info["baseline_score"]).astype(np.float64)
        rel = np.abs(a.info["completeness_gap"]) / np.maximum(total, 1e-6)
        out["completeness_gap_rel_median"] = round(float(np.median(rel)), 4) if len(rel) else None
    if "convergence_delta" in a.info:
        d = a.info["convergence_delta"]
        out["convergence_delta_max"] = float(f"{float(d.max()):.3g}") if d.size else None
    return out


def _params(fn) -> set[str]:
    import inspect

    return set(inspect.signature(fn).parameters)


def benchmark(datasets: Sequence[str] = SYNTHETIC, archs: Sequence[str] = ARCHS, methods: Sequence[str] | None = None,
              *, n: int | None = None, seed: int = 0, n_resamples: int = 2000, per_sequence: bool = True,
              progress: bool = True) -> list[dict]:
    """Every registered method that applies, on every committed synthetic checkpoint.

    Parameters
    ----------
    datasets : sequence of str
        Synthetic dataset names (default: GATA1, MAFK, NFYB).
    archs : sequence of str
        Architectures (default: those with committed synthetic checkpoints).
    methods : sequence of str, optional
        Method names (default: all registered); those that do not apply to
        a model are skipped.
    n : int, optional
        Seeded subset of the positive test sequences (all by default).
    seed, n_resamples : int
        As :func:`score_method`.
    per_sequence : bool
        Keep the per-sequence AUROC / AUPRC lists in the rows.
    progress : bool
        tqdm bar over (dataset, arch, method).

    Returns
    -------
    list of dict
        One row per (dataset, arch, method): ``dataset``, ``tf``, ``arch``,
        ``method``, ``n``, ``auroc_mean``, ``auroc_ci``, ``auprc_mean``,
        ``auprc_ci``, ``chance_auprc``, ``seconds`` (and ``auroc``,
        ``auprc`` lists).
    """
    from tqdm.auto import tqdm

    from . import data, train
    from .attribution import ATTRIBUTIONS, applicable, method as method_spec

    names = list(ATTRIBUTIONS) if methods is None else [method_spec(m).name for m in methods]
    jobs = []
    for ds in datasets:
        for arch in archs:
            jobs.append((ds, arch))
    rows: list[dict] = []
    bar = tqdm(total=len(jobs) * len(names), desc="ground truth", disable=not progress)
    for ds, arch in jobs:
        model = train.load_committed(ds, arch).model
        split = data.load_dataset(ds).test.positives()
        for name in names:
            bar.set_postfix_str(f"{ds} {arch} {name}")
            if applicable(name, model):
                gt = score_method(model, split, name, n=n, seed=seed, n_resamples=n_resamples)
                tf = data.known_tf(ds)
                rows.append({"dataset": ds, "tf": tf, "arch": arch, **gt.to_row(per_sequence)})
            bar.update(1)
    bar.close()
    return rows


# --------------------------------------------------------------------------
# Reading the results (chapter "Which explanation to trust?")
# --------------------------------------------------------------------------
def _method_order(names) -> list[str]:
    """Registry order first, then any other names in the order met."""
    from .attribution import ATTRIBUTIONS

    names = list(dict.fromkeys(names))
    return [m for m in ATTRIBUTIONS if m in names] + [m for m in names if m not in ATTRIBUTIONS]


def table(rows: Sequence[dict], metric: str = "auroc", *, digits: int = 3):
    """The benchmark as a table: one row per method, one column per (TF, architecture).

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`benchmark` (``data/results/ground_truth.json``).
    metric : {"auroc", "auprc"}
    digits : int
        Decimals shown.

    Returns
    -------
    pandas.DataFrame
        Index: method labels in registry order; columns: a (TF, architecture
        label) MultiIndex; cells ``"mean [low, high]"`` (95% CI), ``"–"`` where
        a method does not apply.
    """
    import pandas as pd

    from .architectures import ARCHITECTURES
    from .attribution import ATTRIBUTIONS

    if metric not in ("auroc", "auprc"):
        raise ValueError(f"metric must be 'auroc' or 'auprc', got {metric!r}")
    if not rows:
        raise ValueError("no rows")
    f = f"{{:.{digits}f}}"
    df = pd.DataFrame([{"method": r["method"], "tf": r["tf"], "arch": r["arch"],
                        "cell": f"{f.format(r[f'{metric}_mean'])} [{f.format(r[f'{metric}_ci'][0])}, "
                                f"{f.format(r[f'{metric}_ci'][1])}]"} for r in rows])
    archs = [a for a in ARCHITECTURES if a in set(df["arch"])] + sorted(set(df["arch"]) - set(ARCHITECTURES))
    cols = [(tf, a) for tf in sorted(df["tf"].unique()) for a in archs if ((df.tf == tf) & (df.arch == a)).any()]
    view = df.pivot(index="method", columns=["tf", "arch"], values="cell").reindex(
        index=_method_order(df["method"]), columns=pd.MultiIndex.from_tuples(cols)).fillna("–")
    view.index = [ATTRIBUTIONS[m].label if m in ATTRIBUTIONS else m for m in view.index]
    view.columns = pd.MultiIndex.from_tuples(
        [(tf, ARCHITECTURES[a].label if a in ARCHITECTURES else a) for tf, a in cols], names=["TF", "architecture"])
    return view


def paired_difference(rows: Sequence[dict], method: str, other: str | None = None, *, metric: str = "auroc",
                      seed: int = 0, n_resamples: int = 2000) -> list[dict]:
    """How far ``method`` is from ``other`` (default: the best method), sequence by sequence.

    For each (dataset, architecture) where ``method`` was scored, the
    per-sequence difference ``other - method`` of the metric over the same
    sequences, its mean and 95% bootstrap CI (:func:`mean_ci`).  The rows
    must keep their per-sequence lists (``benchmark(per_sequence=True)``,
    as in ``data/results/ground_truth.json``).

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`benchmark`.
    method : str
        The method measured (e.g. "saliency").
    other : str, optional
        The method it is compared with; default the one with the highest mean
        in that (dataset, architecture), ties broken by registry order.
    metric : {"auroc", "auprc"}
    seed, n_resamples : int
        As :func:`mean_ci`.

    Returns
    -------
    list of dict
        One per (dataset, architecture), sorted by dataset then registry
        order of architectures: ``dataset``, ``tf``, ``arch``, ``method``,
        ``other``, ``method_mean``, ``other_mean``, ``diff_mean``, ``diff_ci``
        (a pair), ``n``.
    """
    from .architectures import ARCHITECTURES

    if metric not in ("auroc", "auprc"):
        raise ValueError(f"metric must be 'auroc' or 'auprc', got {metric!r}")
    cells: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        cells.setdefault((r["dataset"], r["arch"]), {})[r["method"]] = r
    known = {m for c in cells.values() for m in c}
    for name in [method] + ([other] if other is not None else []):
        if name not in known:
            raise ValueError(f"no rows for method {name!r}; the rows hold {', '.join(_method_order(known))}")
    arch_rank = {a: i for i, a in enumerate(ARCHITECTURES)}
    out = []
    for (ds, arch) in sorted(cells, key=lambda k: (k[0], arch_rank.get(k[1], len(arch_rank)), k[1])):
        cell = cells[(ds, arch)]
        if method not in cell:
            continue
        if other is None:
            order = _method_order(cell)
            best = max(order, key=lambda m: (cell[m][f"{metric}_mean"], -order.index(m)))
        else:
            best = other
            if best not in cell:
                continue
        a, b = cell[method], cell[best]
        if metric not in a or metric not in b:
            raise ValueError("the rows lack per-sequence values: use benchmark(per_sequence=True)")
        va, vb = np.asarray(a[metric], dtype=np.float64), np.asarray(b[metric], dtype=np.float64)
        if va.shape != vb.shape:
            raise ValueError(f"{ds} {arch}: {method} and {best} were scored on different sequences")
        m, ci = mean_ci(vb - va, seed=seed, n_resamples=n_resamples)
        out.append({"dataset": ds, "tf": a.get("tf", ds), "arch": arch, "method": method, "other": best,
                    "method_mean": float(np.nanmean(va)), "other_mean": float(np.nanmean(vb)), "diff_mean": m,
                    "diff_ci": ci, "n": int(np.isfinite(vb - va).sum())})
    return out


# --------------------------------------------------------------------------
# A class-optimized PWM against the planted matrix (chapter 08)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class MotifRecovery:
    """How well a long PWM (a class-optimized input) recovers one known JASPAR matrix.

    Attributes
    ----------
    motif : str
        The known matrix's JASPAR id.
    k : int
        Its width.
    window : int
        Start of the PWM's max-IC window of width ``k``
        (:func:`demolib.motifs.max_ic_window`).
    tomtom_q : float
        Tomtom q-value of the known matrix for that window (against the
        whole database).
    tomtom_rank : int
        Rank of the known matrix among the window's Tomtom matches (1 = best
        p; equal p-values in database order).
    found : bool
        The book's match rule on the window's matches
        (:func:`demolib.motifs.matches_known`).
    r : float
        Best Pearson correlation of the known matrix with any width-``k``
        window of the PWM, either strand (:func:`demolib.motifs.aligned_correlation`).
    r_start, r_strand : int
        Where that window starts and on which strand (+1 / -1).
    r_rank : int
        Rank of ``r`` among the best correlations of all database matrices
        of width ``k`` with the same PWM (1 = no other matrix correlates as
        well; ties count against the known matrix).
    r_of : int
        How many matrices of width ``k`` were ranked, the known one included.
    aligned : np.ndarray, shape (k, 4)
        The best-correlated window in the known matrix's orientation.
    aligned_q : float
        Tomtom q-value of the known matrix for ``aligned``: a check of the
        window's placement, not an independent detection (the window was
        chosen with the known matrix).
    """

    motif: str
    k: int
    window: int
    tomtom_q: float
    tomtom_rank: int
    found: bool
    r: float
    r_start: int
    r_strand: int
    r_rank: int
    r_of: int
    aligned: np.ndarray
    aligned_q: float


def motif_recovery(pwm: np.ndarray, motif, *, database=None) -> MotifRecovery:
    """Does a class-optimized PWM contain the matrix that was planted (chapter 08)?

    Two scores.  Tomtom, as the chapter uses it for real TFs: the PWM's
    max-IC window of the matrix's width is compared with every database
    matrix, and the planted matrix's q-value and rank are read off.  And the
    best Pearson correlation of the planted matrix with any window of the PWM
    (either strand), ranked against the same statistic for every database
    matrix of the same width, so that a correlation is judged against what
    other motifs of that width reach on the same PWM.  The best-aligned
    window also gets the planted matrix's Tomtom q-value (``aligned_q``),
    which tells whether a Tomtom miss on the max-IC window is a miss of
    the window's placement.

    Parameters
    ----------
    pwm : np.ndarray, shape (L, 4)
        Columns ACGT (e.g. ``dashboard.cached_classopt("synthetic-GATA1", "cnn")``).
    motif : demolib.data.Motif
        The planted matrix (``data.jaspar_motif("GATA1")``); must be in the database.
    database : list of Motif, optional
        JASPAR 2024 CORE vertebrates (:func:`demolib.data.load_jaspar`) by default.

    Returns
    -------
    MotifRecovery
    """
    from .data import load_jaspar
    from .motifs import aligned_correlation, matches_known, max_ic_window, tomtom

    db = list(load_jaspar() if database is None else database)
    if motif.id not in {m.id for m in db}:
        raise ValueError(f"{motif.id} ({motif.name}) is not in the motif database")
    p = np.asarray(pwm, dtype=np.float64)
    k = motif.width
    start = max_ic_window(p, k)
    matches = tomtom(p[start : start + k], top=None, database=database)
    i = [m.id for m in matches].index(motif.id)
    r, r_start, strand = aligned_correlation(p, motif.pwm)
    others = np.array([aligned_correlation(p, m.pwm)[0] for m in db if m.width == k and m.id != motif.id])
    window = p[r_start : r_start + k] / p[r_start : r_start + k].sum(axis=1, keepdims=True)
    aligned = window if strand > 0 else window[::-1, ::-1]
    aligned_q = next(m.q for m in tomtom(aligned, top=None, database=database) if m.id == motif.id)
    return MotifRecovery(motif.id, k, start, matches[i].q, i + 1, matches_known(matches, motif.name), r, r_start,
                         strand, 1 + int(np.sum(others >= r)), len(others) + 1, aligned, aligned_q)
