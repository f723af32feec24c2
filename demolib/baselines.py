"""Two non-deep baselines, evaluated on the same splits as the networks.

* PWM scan: the maximum log-odds score of the TF's JASPAR matrix over all
  positions and both strands (stands in for the paper's MEME-ChIP baseline).
* k-mer logistic regression: counts of all k-mers (k = 1..5 by default),
  L2-regularised logistic regression, regularisation chosen on validation.

Because negatives are dinucleotide shuffles of the positives, 1- and 2-mer
counts are identical between the classes; everything the k-mer model learns
comes from k >= 3.
"""
from __future__ import annotations

from itertools import product

import numpy as np
from sklearn.linear_model import LogisticRegression

from .data import ALPHABET, Dataset, Motif, jaspar_motif
from .train import metrics

__all__ = ["VERSION", "pwm_scores", "pwm_baseline", "kmer_vocabulary", "kmer_features", "kmer_baseline"]

#: Bumped whenever a baseline's numbers change, so cached results are recomputed
#: (``demo benchmark`` keeps them per dataset).  2: the PWM scan's AUROC ranks
#: the raw log-odds (1 ranked a logistic squash of them, which tied extremes).
VERSION = 2


def pwm_scores(X: np.ndarray, motif: Motif, *, pseudocount: float = 0.01) -> np.ndarray:
    """Best log-odds match of a PWM in each sequence, both strands.

    Parameters
    ----------
    X : np.ndarray, shape (N, 4, L)
        One-hot sequences (N columns are all zero and score 0).
    motif : Motif
        PWM of width w <= L; background is uniform.

    Returns
    -------
    np.ndarray, shape (N,)
        ``max over positions and strands of sum_j log2(p_j / 0.25)``.
    """
    p = (motif.pwm + pseudocount) / (1 + 4 * pseudocount)
    lo = np.log2(p / 0.25).T  # (4, w)
    w = lo.shape[1]
    if X.shape[2] < w:
        raise ValueError(f"sequences of {X.shape[2]} bp are shorter than the motif ({w} bp)")
    win = np.lib.stride_tricks.sliding_window_view(X, w, axis=2)  # (N, 4, L-w+1, w)
    fwd = np.einsum("nclw,cw->nl", win, lo)
    rev = np.einsum("nclw,cw->nl", win, lo[::-1, ::-1])  # reverse complement of the PWM
    return np.maximum(fwd, rev).max(axis=1)


def pwm_baseline(dataset: Dataset, tf: str | Motif, *, ci: bool = False) -> dict:
    """Test metrics of the JASPAR PWM max-score scan (no training involved).

    ``ci=True`` adds bootstrap 95% intervals (see :func:`demolib.train.metrics`).
    """
    motif = tf if isinstance(tf, Motif) else jaspar_motif(tf)
    s = pwm_scores(dataset.test.X, motif)
    # ranks of the raw log-odds (a squashing function would tie the extreme
    # scores in float64); accuracy calls the top half positive
    return {"motif": f"{motif.id} {motif.name}",
            **metrics(dataset.test.labels, s, ci=ci, threshold=float(np.median(s)))}


def kmer_vocabulary(ks: tuple[int, ...] = (1, 2, 3, 4, 5)) -> list[str]:
    """All k-mers, ordered by k, then lexicographically in ACGT order."""
    return ["".join(kmer) for k in ks for kmer in product(ALPHABET, repeat=k)]


def kmer_features(seqs: list[str], ks: tuple[int, ...] = (1, 2, 3, 4, 5)) -> np.ndarray:
    """k-mer counts (scikit-learn's ``CountVectorizer`` on characters).

    Returns
    -------
    np.ndarray, float32, shape (N, sum(4**k))
        Columns in :func:`kmer_vocabulary` order; k-mers containing N (or any
        other letter) are not counted.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer="char", ngram_range=(min(ks), max(ks)), lowercase=False,
                          vocabulary=kmer_vocabulary(ks), dtype=np.float32)
    return vec.transform(seqs).toarray()


def kmer_baseline(dataset: Dataset, ks: tuple[int, ...] = (1, 2, 3, 4, 5), seed: int = 0, *,
                  ci: bool = False) -> dict:
    """Logistic regression on k-mer counts; C chosen by validation AUROC
    (ties: the smaller C, the first tried).

    The fits run on one BLAS thread: the solver's sums depend on the thread
    count in the last digits, and the same command must give the same numbers
    on any machine.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _kmer_baseline(dataset, ks, seed, ci)


def _kmer_baseline(dataset: Dataset, ks: tuple[int, ...], seed: int, ci: bool) -> dict:
    Ftr, Fva, Fte = (kmer_features(s.seqs, ks) for s in (dataset.train, dataset.valid, dataset.test))
    mu, sd = Ftr.mean(0), Ftr.std(0) + 1e-6
    Ftr, Fva, Fte = ((F - mu) / sd for F in (Ftr, Fva, Fte))
    best = None
    for C in (0.001, 0.01, 0.1, 1.0):
        clf = LogisticRegression(C=C, max_iter=2000, random_state=seed)
        clf.fit(Ftr, dataset.train.labels)
        auc = metrics(dataset.valid.labels, clf.predict_proba(Fva)[:, 1])["auroc"]
        if best is None or auc > best[0]:
            best = (auc, C, clf)
    _, C, clf = best
    return {"description": f"logistic regression on {'/'.join(map(str, ks))}-mer counts, C={C}",
            **metrics(dataset.test.labels, clf.predict_proba(Fte)[:, 1], ci=ci)}
