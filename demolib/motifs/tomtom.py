"""Tomtom of query motifs against JASPAR (memelite), with Benjamini-Hochberg q-values.

Compilation cost
----------------
:func:`tomtom` uses memelite, whose kernels are numba-compiled on first use.
memelite declares them ``@njit(cache=True)``, so the machine code is written
to numba's on-disk cache (``memelite/__pycache__`` in site-packages, or
``$NUMBA_CACHE_DIR``) and reused by every later process of the same
environment.  Measured on 2 shared CPU cores: the first ``tomtom`` call ever
took about 70 s (memelite's ``fimo``, not used by this package, another 16 s);
the first call of a new process with the cache present took about 0.1 s (plus
about 1 s to import numba and memelite).  If site-packages is not writable,
numba cannot cache there: set ``NUMBA_CACHE_DIR`` to a writable folder, or
every process compiles again.  The cache is tied to the memelite install and
the CPU model, so a reinstall or another machine compiles once more.
``python -m demolib.motifs --warm-up`` does it from the shell.  numba caches one compilation per
argument type and layout, so this module always passes float64 arrays in the
same layout; :func:`demolib.motifs.warm_up` makes the (cached) compilation
happen at a time of your choosing.  :func:`demolib.motifs.find_sites` needs no
compilation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..data import Motif, load_jaspar
from .families import _families
from .windows import _check_pwm

__all__ = ["Match", "tomtom", "tomtom_many"]


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
