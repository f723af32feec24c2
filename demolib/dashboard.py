"""The dashboard's data: what the Deep Motif Dashboard shows, computed (no drawing).

:func:`dashboard_data` runs the models on one sequence and returns a
:class:`DashboardData`; :func:`demolib.plots.dashboard` draws it (chapter
10, ``demo dashboard``, :mod:`demolib.widgets`).  :func:`cached_classopt`
reads a committed model's class-optimised PWM from
``data/results/classopt/`` (or computes it).  Importing this module loads
no torch; the functions import it when they run a model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from .architectures import ARCHS
from .data import DATA_DIR, Motif, Site, canonical_name, jaspar_motif, one_hot
from .utils import torch_threads

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = ["METHODS", "CLASSOPT_DIR", "DashboardData", "arch_order", "dashboard_data", "cached_classopt"]

METHODS = ("saliency", "temporal", "classopt")
"""The views :func:`dashboard_data` computes by default (the paper's Figure 4)."""
CLASSOPT_DIR = DATA_DIR / "results" / "classopt"
"""Where ``data/scripts/make_results.py classopt`` writes ``{TF}_{arch}.npy``."""


def _check_pwm(pwm, name: str = "pwm") -> np.ndarray:
    """A (w, 4) ACGT PWM as float64 (not renormalized)."""
    m = np.asarray(pwm, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != 4:
        raise ValueError(f"{name} must have shape (w, 4) in ACGT order, got {m.shape}")
    return m


@dataclass
class DashboardData:
    """Everything :func:`demolib.plots.dashboard` draws, for one TF and one sequence.

    Attributes
    ----------
    tf : str
    seq : str, length L
    motif : Motif
        The known JASPAR motif of ``tf``.
    sites : list of Site
        Known motif sites in ``seq`` (boxed in the saliency maps).
    archs : tuple of str
        Architectures, in dashboard order (cnn, rnn, cnn-rnn, then others).
    prob : dict arch -> float
        P(bound) of ``seq``.
    saliency : dict arch -> np.ndarray, shape (L,)
        Saliency per position (absent when saliency was not asked for).
    temporal : dict arch -> (forward (L,), backward (L,))
        Temporal output scores of the recurrent models only.
    classopt : dict arch -> np.ndarray, shape (L', 4)
        Class-optimised PWMs (those that were passed in).
    label : int, optional
    seq_id : str, optional
    timings : dict step -> seconds
    """

    tf: str
    seq: str
    motif: Motif
    sites: list[Site]
    archs: tuple[str, ...]
    prob: dict[str, float] = field(default_factory=dict)
    saliency: dict[str, np.ndarray] = field(default_factory=dict)
    temporal: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    classopt: dict[str, np.ndarray] = field(default_factory=dict)
    label: int | None = None
    seq_id: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def arch_order(archs: Sequence[str]) -> tuple[str, ...]:
    """``archs`` in the registry's order (cnn, rnn, cnn-rnn), unknown names last as given."""
    archs = list(archs)
    known = [a for a in ARCHS if a in archs]
    return tuple(known + [a for a in archs if a not in known])


def dashboard_data(
    tf: str,
    seq: str,
    models: Mapping[str, "nn.Module"],
    classopt_pwms: Mapping[str, np.ndarray] | None = None,
    *,
    label: int | None = None,
    seq_id: str | None = None,
    sites: Sequence[Site] | None = None,
    methods: Sequence[str] = METHODS,
    motif: Motif | None = None,
    threads: int | None = 1,
) -> DashboardData:
    """Compute what the dashboard shows for one sequence and several models.

    Parameters
    ----------
    tf : str
        TF name; its JASPAR motif is looked up (unless ``motif`` is given).
    seq : str, length L
    models : dict arch -> model
        Models in eval mode (e.g. ``load_committed(tf, arch).model``).
    classopt_pwms : dict arch -> np.ndarray (L', 4), optional
        Precomputed class-optimised PWMs (see :func:`cached_classopt`); class
        optimisation takes seconds, so it is not run here.
    label : int, optional
        True label of ``seq``, shown in the title.
    seq_id : str, optional
    sites : list of Site, optional
        Known sites (e.g. planted ones of synthetic data); found with
        :func:`demolib.motifs.find_sites` and the JASPAR motif otherwise.
    methods : subset of ("saliency", "temporal", "classopt")
    motif : Motif, optional
        Overrides the JASPAR lookup.
    threads : int or None
        torch intra-op threads while computing (restored afterwards); 1 is
        fastest for one sequence (see :func:`demolib.utils.torch_threads`),
        None leaves torch's setting.

    Returns
    -------
    DashboardData
    """
    from .interpret import saliency as _saliency, temporal_scores

    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {', '.join(METHODS)}")
    t = {}
    t0 = time.perf_counter()
    motif = motif or jaspar_motif(tf)
    if sites is None:
        from .motifs import find_sites

        sites = find_sites([seq], [motif])[0]
    t["sites"] = time.perf_counter() - t0
    archs = arch_order(models)
    X = one_hot(seq)
    d = DashboardData(tf, seq, motif, list(sites), archs, label=label, seq_id=seq_id, timings=t)
    from .models import is_recurrent

    with torch_threads(threads):
        for a in archs:
            m = models[a]
            t0 = time.perf_counter()
            s = _saliency(m, X)
            d.prob[a] = float(np.asarray(s.prob).ravel()[0])
            if "saliency" in methods:
                d.saliency[a] = np.asarray(s.per_position, dtype=np.float64)[0]
            t[f"saliency/{a}"] = time.perf_counter() - t0
            if "temporal" in methods and is_recurrent(m):
                t0 = time.perf_counter()
                tm = temporal_scores(m, X)
                d.temporal[a] = (np.asarray(tm.forward, dtype=np.float64)[0],
                                 np.asarray(tm.backward, dtype=np.float64)[0])
                t[f"temporal/{a}"] = time.perf_counter() - t0
            if "classopt" in methods and classopt_pwms is not None and a in classopt_pwms:
                d.classopt[a] = _check_pwm(classopt_pwms[a], f"classopt_pwms[{a!r}]")
    return d


def cached_classopt(tf: str, arch: str, *, directory: str | Path | None = None, **kw) -> np.ndarray:
    """Class-optimised PWM of a committed model, from disk when precomputed.

    Loads ``data/results/classopt/{TF}_{arch}.npy`` (:data:`CLASSOPT_DIR`)
    if it exists; otherwise runs :func:`demolib.interpret.class_optimization`
    on ``load_committed(tf, arch).model`` (seconds) with the keyword
    arguments ``kw``.

    Returns
    -------
    np.ndarray, shape (L, 4)
    """
    path = Path(directory or CLASSOPT_DIR) / f"{canonical_name(tf)}_{arch}.npy"
    if path.exists():
        return _check_pwm(np.load(path), str(path))
    from .interpret import class_optimization
    from .train import load_committed

    return _check_pwm(class_optimization(load_committed(tf, arch).model, **kw).pwm)
