"""The dashboard's data: what the Deep Motif Dashboard shows, computed (no drawing).

:func:`dashboard_data` runs the models on one sequence and returns a
:class:`DashboardData`; :func:`demolib.plots.dashboard` draws it (chapter
10, ``demo dashboard``, :mod:`demolib.widgets`).  :func:`cached_classopt`
reads a committed model's class-optimised PWM from
``data/results/classopt/`` (or computes it); :func:`describe` puts a
dashboard into words.  Importing this module loads no torch; the functions
import it when they run a model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from .architectures import ARCHITECTURES, ARCHS
from .attribution import ATTRIBUTIONS
from .data import DATA_DIR, Motif, Site, canonical_name, jaspar_motif, known_tf, one_hot
from .utils import torch_threads

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = [
    "METHODS",
    "ALL_METHODS",
    "CLASSOPT",
    "LABELS",
    "CLASSOPT_DIR",
    "DashboardData",
    "arch_order",
    "check_methods",
    "right_alone",
    "dashboard_data",
    "cached_classopt",
    "describe",
]

CLASSOPT = "classopt"
"""The class-optimization view: one PWM per model, not per sequence (not an attribution method)."""
ALL_METHODS: tuple[str, ...] = tuple(ATTRIBUTIONS) + (CLASSOPT,)
"""Every view the dashboard can show: each registered attribution method
(:data:`demolib.attribution.ATTRIBUTIONS`, in registry order), then class optimization."""
METHODS = ("saliency", "temporal", CLASSOPT)
"""The views :func:`dashboard_data` computes by default (the paper's Figure 4)."""
LABELS: dict[str, str] = {**{n: s.label for n, s in ATTRIBUTIONS.items()}, CLASSOPT: "Class optimization"}
"""View name -> how figures and widgets name it (the registry's labels)."""
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
        Known motif sites in ``seq`` (boxed in the per-position maps).
    archs : tuple of str
        Architectures, in dashboard order (cnn, rnn, cnn-rnn, then others).
    methods : tuple of str
        The views asked for, in :data:`ALL_METHODS` order.
    prob : dict arch -> float
        P(bound) of ``seq``.
    attributions : dict method -> dict arch -> np.ndarray, shape (L,)
        Per-position scores (``Attribution.per_position``) of every
        requested method of kind ``"attribution"``, for the models it
        applies to.
    temporals : dict method -> dict arch -> (forward (L,), backward (L,))
        Methods of kind ``"temporal"``: the prefix and suffix probabilities
        (``Attribution.info["forward"]``, ``["backward"]``) of the recurrent
        models.
    not_applicable : dict method -> dict arch -> str
        Requested methods that do not apply to a model, with the reason
        (:func:`demolib.attribution.why_not`).
    classopt : dict arch -> np.ndarray, shape (L', 4)
        Class-optimised PWMs (those that were passed in).
    label : int, optional
    seq_id : str, optional
    timings : dict step -> seconds
    sites_source : {"scan", "given"}
        Whether ``sites`` were found by the JASPAR scan or given by the
        caller (the planted sites of a synthetic set).
    """

    tf: str
    seq: str
    motif: Motif
    sites: list[Site]
    archs: tuple[str, ...]
    methods: tuple[str, ...] = METHODS
    prob: dict[str, float] = field(default_factory=dict)
    attributions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    temporals: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    not_applicable: dict[str, dict[str, str]] = field(default_factory=dict)
    classopt: dict[str, np.ndarray] = field(default_factory=dict)
    label: int | None = None
    seq_id: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    sites_source: str = "scan"

    @property
    def saliency(self) -> dict[str, np.ndarray]:
        """arch -> the paper's saliency per position (L,) (empty when not asked for)."""
        return self.attributions.get("saliency", {})

    @property
    def temporal(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """arch -> (forward (L,), backward (L,)) temporal output scores (recurrent models only)."""
        return self.temporals.get("temporal", {})

    @property
    def map_methods(self) -> tuple[str, ...]:
        """The requested methods of kind ``"attribution"`` (one row each per model), in registry order."""
        return tuple(m for m in self.methods if m in ATTRIBUTIONS and ATTRIBUTIONS[m].kind == "attribution")


def arch_order(archs: Sequence[str]) -> tuple[str, ...]:
    """``archs`` in the registry's order (cnn, rnn, cnn-rnn), unknown names last as given."""
    archs = list(archs)
    known = [a for a in ARCHS if a in archs]
    return tuple(known + [a for a in archs if a not in known])


def check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """``methods`` in :data:`ALL_METHODS` order; an unknown name is a ValueError naming the known ones."""
    if isinstance(methods, str):
        methods = (methods,)
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {', '.join(ALL_METHODS)}")
    return tuple(m for m in ALL_METHODS if m in set(methods))


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

    Every requested registered method runs through
    :func:`demolib.attribution.attribute`, so a newly registered method is
    shown with no change here.  A method that does not apply to a model is
    recorded in ``not_applicable`` with the reason (the figure shows it as a
    "not applicable" panel; temporal rows are the recurrent models' own, as
    in the paper's Figure 4, so a CNN simply has none).

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
    methods : subset of :data:`ALL_METHODS`
        Registered attribution methods (each with its registry defaults)
        and ``"classopt"``; default :data:`METHODS` (saliency, temporal,
        class optimization).
    motif : Motif, optional
        Overrides the JASPAR lookup.
    threads : int or None
        torch intra-op threads while computing (restored afterwards); 1 is
        fastest for one sequence (see :func:`demolib.utils.torch_threads`),
        None leaves torch's setting.

    Returns
    -------
    DashboardData
        ``prob`` comes from the first method run on a model (all give the
        same softmax), or from one forward pass if none ran.
    """
    from .attribution import attribute, why_not

    methods = check_methods(methods)
    t = {}
    t0 = time.perf_counter()
    motif = motif or jaspar_motif(known_tf(tf))
    source = "given" if sites is not None else "scan"
    if sites is None:
        from .motifs import find_sites

        sites = find_sites([seq], [motif])[0]
    t["sites"] = time.perf_counter() - t0
    archs = arch_order(models)
    X = one_hot(seq)
    d = DashboardData(tf, seq, motif, list(sites), archs, methods, label=label, seq_id=seq_id, timings=t,
                      sites_source=source)
    registered = [m for m in methods if m in ATTRIBUTIONS]
    with torch_threads(threads):
        for a in archs:
            m = models[a]
            for name in registered:
                reason = why_not(name, m)
                if reason is not None:
                    d.not_applicable.setdefault(name, {})[a] = reason
                    continue
                t0 = time.perf_counter()
                r = attribute(m, X, name)
                d.prob.setdefault(a, float(r.prob[0]))
                if ATTRIBUTIONS[name].kind == "temporal":
                    d.temporals.setdefault(name, {})[a] = (np.asarray(r.info["forward"], dtype=np.float64)[0],
                                                           np.asarray(r.info["backward"], dtype=np.float64)[0])
                else:
                    d.attributions.setdefault(name, {})[a] = np.asarray(r.per_position, dtype=np.float64)[0]
                t[f"{name}/{a}"] = time.perf_counter() - t0
            if a not in d.prob:
                from .train import predict_proba

                t0 = time.perf_counter()
                d.prob[a] = float(predict_proba(m, X)[0])
                t[f"prob/{a}"] = time.perf_counter() - t0
            if CLASSOPT in methods and classopt_pwms is not None and a in classopt_pwms:
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


def describe(d: DashboardData) -> str:
    """A few sentences about one dashboard, generated from its numbers (chapter 11).

    Names the known sites (found by the scan, or given: "Planted" for a
    synthetic set), then per architecture its
    P(bound), where its most salient window of the motif's width lies
    (:func:`demolib.motifs.saliency_window`) and whether it overlaps a site
    (:func:`demolib.motifs.window_overlaps`), and from where on the forward
    temporal score stays above 0.5 (:func:`demolib.interpret.flip_positions`).

    Parameters
    ----------
    d : DashboardData

    Returns
    -------
    str
        Markdown: one bold sentence, then one bullet per architecture.
    """
    from .interpret import Temporal, flip_positions
    from .motifs import saliency_window, window_overlaps
    k = d.motif.width
    site_text = ", ".join(f"bp {s.start}-{s.end - 1} ({'+' if s.strand > 0 else '-'})" for s in d.sites)
    out = [f"**{d.tf}, test sequence {d.seq_id}.** "
           + (f"The scan finds {len(d.sites)} {d.motif.name} site(s): {site_text}." if d.sites_source == "scan" and d.sites
              else f"The scan finds no {d.motif.name} site." if d.sites_source == "scan"
              else f"{'Planted' if known_tf(d.tf) != d.tf else 'Known'} {d.motif.name} site(s): {site_text}." if d.sites
              else f"No known {d.motif.name} site was given.")]
    for a in d.archs:
        parts = [f"P(bound) = {d.prob[a]:.3f}"]
        if a in d.saliency:
            s0 = int(saliency_window(d.saliency[a], k)[0])
            on = window_overlaps(s0, k, d.sites)
            parts.append(f"its most salient {k}-bp window is bp {s0}-{s0 + k - 1}"
                         + (" (on a site)" if on else " (off the sites)" if d.sites else ""))
        if a in d.temporal:
            f, b = d.temporal[a]
            flip = int(flip_positions(Temporal(f[None], b[None]))[0][0])
            if flip == -1:  # never crosses 0.5: above it everywhere, or below it everywhere
                flip = 0 if f[0] >= 0.5 else len(f)
            parts.append("the forward score is above 0.5 from the first base" if flip == 0 else
                         "the forward score never ends above 0.5" if flip >= len(f) else
                         f"the forward score stays above 0.5 from bp {flip} on")
        label = ARCHITECTURES[a].label if a in ARCHITECTURES else a
        out.append(f"- {label}: " + "; ".join(parts) + ".")
    return "\n".join(out)


def right_alone(prob: Mapping[str, np.ndarray], arch: str, threshold: float = 0.5) -> np.ndarray:
    """Positive sequences that ``arch`` calls bound while every other model does not (chapter 11).

    The paper's NFYB case study is such a sequence: the CNN-RNN gets it right
    and the other architectures fail.

    Parameters
    ----------
    prob : dict arch -> np.ndarray, shape (N,)
        P(bound) of each model on the same N positive sequences (at least two models).
    arch : str
        The model that has to be right (a key of ``prob``).
    threshold : float
        "Calls bound" means P(bound) > threshold; the others need P(bound) < threshold.

    Returns
    -------
    np.ndarray, int64, shape (K,)
        Indices of those sequences, largest margin first (``arch``'s
        P(bound) minus the largest of the others'); ties by index.
    """
    if arch not in prob or len(prob) < 2:
        raise ValueError(f"need P(bound) of {arch!r} and at least one other model, got {sorted(prob)}")
    p = np.asarray(prob[arch], dtype=np.float64)
    others = np.max([np.asarray(v, dtype=np.float64) for a, v in prob.items() if a != arch], axis=0)
    if others.shape != p.shape:
        raise ValueError(f"every model needs one P(bound) per sequence: {arch!r} has {p.shape}, others {others.shape}")
    idx = np.flatnonzero((p > threshold) & (others < threshold))
    return idx[np.lexsort((idx, -(p[idx] - others[idx])))].astype(np.int64)
