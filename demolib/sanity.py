"""Model-randomization sanity checks of attribution maps (Adebayo et al., NeurIPS 2018).

A map that explains the model must change when the model's weights do.
Cascading randomization re-initializes the layers of a *copy* of the trained
model from the top (the classifier) down, one more layer at each step, and
compares each step's maps with the trained model's:

* ``layers(model)`` lists the layers with weights in forward order
  (registration order, which is the forward order of every DeMo
  architecture; an LSTM counts as one layer); the cascade walks it
  backwards;
* a layer is re-initialized with its own ``reset_parameters()`` (PyTorch's
  default initializer), under ``torch.manual_seed(seed + step)`` inside
  ``torch.random.fork_rng()``, so the global RNG is untouched and a step
  always draws the same weights;
* similarity is the Spearman rank correlation, per sequence, between the
  trained and the randomized model's maps, averaged over sequences.

Two variants, as in Adebayo et al.: ``"abs"`` compares ``per_position``
(already a magnitude for every registered method: |.| of a position's
contribution, ISM's |mean effect|, temporal score changes' magnitudes) and is
the one the flag uses; ``"signed"`` compares the signed per-position total
``values.sum(axis=1)`` (for saliency and temporal scores, which store
magnitudes in ``values``, the two coincide).

A method is flagged when its mean ``"abs"`` correlation after the full
cascade (every layer re-initialized) is still above ``threshold`` (0.5 by
default): its maps then depend more on the input than on anything the model
learned.

:func:`spearman_rows` is vectorized (ranks, then a row-wise Pearson
correlation); the tests check it against ``scipy.stats.spearmanr`` one row
at a time.
"""
from __future__ import annotations

import copy
import time
from typing import Callable, Sequence

import numpy as np
import torch
from scipy import stats
from torch import nn

__all__ = [
    "THRESHOLD",
    "layers",
    "randomize",
    "cascade_models",
    "spearman_rows",
    "cascade",
    "flags",
    "run",
    "table",
]

THRESHOLD = 0.5
"""Mean Spearman rho (abs variant) after the full cascade above which a method is flagged."""

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.RNNBase)


def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every layer with weights, in forward order (registration order)."""
    out = [(n, m) for n, m in model.named_modules() if isinstance(m, _WEIGHTED)]
    if not out:
        raise ValueError(f"{type(model).__name__} has no Linear, Conv1d or recurrent layer to randomize")
    return out


def randomize(model: nn.Module, names: Sequence[str], seed: int) -> nn.Module:
    """A deep copy of ``model`` with the named layers re-initialized (``reset_parameters``).

    The layers are reset in the order given; the global RNG state is
    preserved (``torch.random.fork_rng``).  ``model`` itself is not changed.
    """
    m = copy.deepcopy(model)
    mods = dict(layers(m))
    unknown = [n for n in names if n not in mods]
    if unknown:
        raise ValueError(f"unknown layers {unknown}; the model's layers with weights are {list(mods)}")
    devices = [p.device for p in m.parameters()][:1] or [torch.device("cpu")]
    with torch.random.fork_rng(devices=[d for d in devices if d.type == "cuda"]):
        torch.manual_seed(int(seed))
        for n in names:
            mods[n].reset_parameters()
    return m


def cascade_models(model: nn.Module, seed: int = 0) -> list[tuple[str, nn.Module]]:
    """The cascade: ``[("trained", model), (top layer, copy with it reset), ..., (first layer, all reset)]``.

    Step ``k`` (1-based) re-initializes the top ``k`` layers; each layer's new
    weights are drawn under ``seed + (its step)``, so step ``k`` keeps the
    weights drawn at steps ``< k`` for the layers above it.
    """
    order = [n for n, _ in layers(model)][::-1]
    out: list[tuple[str, nn.Module]] = [("trained", model)]
    current = model
    for k, name in enumerate(order, start=1):
        current = randomize(current, [name], seed + k)
        out.append((name, current))
    return out


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rho between matching rows of ``a`` and ``b`` (N, L); NaN for a constant row.

    Average ranks for ties (as ``scipy.stats.spearmanr``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must both be (N, L), got {a.shape} and {b.shape}")
    ra = stats.rankdata(a, axis=1)
    rb = stats.rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / den
    rho[den == 0] = np.nan
    return rho


Method = str | Callable[..., object]


def _attribute(model: nn.Module, X: np.ndarray, method: Method, kw: dict):
    if callable(method):
        return method(model, X, **kw)
    from .attribution import attribute

    return attribute(model, X, method, **kw)


def cascade(model: nn.Module, X: np.ndarray, method: Method, *, seed: int = 0, **kw) -> list[dict]:
    """Spearman rho between the trained model's maps and each cascade step's.

    Parameters
    ----------
    model : nn.Module
        The trained model (not changed).
    X : np.ndarray, shape (N, 4, L)
        One-hot sequences.
    method : str or callable
        A registered method name, or ``f(model, X, **kw)`` returning an
        object with ``per_position`` (N, L) and ``values`` (N, 4, L) (e.g.
        an :class:`~demolib.attribution.Attribution`).
    seed : int
        Seeds the re-initialization (and is passed to a method that takes one).
    **kw
        Passed to the method.

    Returns
    -------
    list of dict
        One per step (``step`` 0 = trained, then one more layer
        re-initialized per step): ``step``, ``layer`` (the layer reset at
        that step; "trained" for step 0), ``rho_abs``, ``rho_signed`` (means
        over sequences, NaN rows left out), ``rho_abs_sd``, ``n_nan`` (rows
        whose map is constant).
    """
    if isinstance(method, str):
        from .attribution import method as method_spec

        if "seed" in _params(method_spec(method).fn):
            kw.setdefault("seed", seed)
    rows = []
    ref = None
    for step, (name, m) in enumerate(cascade_models(model, seed)):
        a = _attribute(m, X, method, kw)
        pp = np.asarray(a.per_position, dtype=np.float64)
        sg = np.asarray(a.values, dtype=np.float64).sum(axis=1)
        if ref is None:
            ref = (pp, sg)
        r_abs = spearman_rows(ref[0], pp)
        r_sig = spearman_rows(ref[1], sg)
        rows.append({"step": step, "layer": name, "rho_abs": _nanmean(r_abs), "rho_signed": _nanmean(r_sig),
                     "rho_abs_sd": float(np.nanstd(r_abs)) if np.isfinite(r_abs).any() else float("nan"),
                     "n_nan": int(np.isnan(r_abs).sum())})
    return rows


def _nanmean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def _params(fn) -> set[str]:
    import inspect

    return set(inspect.signature(fn).parameters)


def flags(rows: Sequence[dict], threshold: float = THRESHOLD) -> list[dict]:
    """One record per (dataset, arch, method) of ``rows``: the last step's rho and whether it is flagged.

    ``flagged`` is True when ``rho_abs`` after the full cascade exceeds
    ``threshold``; the rows must carry ``step`` and ``rho_abs`` (and
    optionally ``dataset``, ``arch``, ``method``).
    """
    last: dict[tuple, dict] = {}
    for r in rows:
        key = (r.get("dataset"), r.get("arch"), r.get("method"))
        if key not in last or r["step"] > last[key]["step"]:
            last[key] = r
    out = []
    for (ds, arch, meth), r in last.items():
        rho = r["rho_abs"]
        out.append({"dataset": ds, "arch": arch, "method": meth, "steps": r["step"], "rho_abs_final": rho,
                    "rho_signed_final": r.get("rho_signed"), "threshold": threshold,
                    "flagged": bool(np.isfinite(rho) and rho > threshold)})
    return out


def run(datasets: Sequence[str] | None = None, archs: Sequence[str] | None = None,
        methods: Sequence[str] | None = None, *, n: int = 100, seed: int = 0, progress: bool = True) -> list[dict]:
    """Cascading randomization of every applicable registered method on the committed synthetic checkpoints.

    Parameters
    ----------
    datasets, archs : sequence of str, optional
        Default: :data:`demolib.ground_truth.SYNTHETIC` x ``ARCHS``.
    methods : sequence of str, optional
        Default: every registered method (skipped where it does not apply).
    n : int
        Seeded random subset of the positive test sequences of each dataset.
    seed : int
        Seeds the subset, the re-initialization and the methods.
    progress : bool

    Returns
    -------
    list of dict
        :func:`cascade` rows with ``dataset``, ``tf``, ``arch``, ``method``,
        ``n`` and ``seconds`` (of the whole cascade) added.
    """
    from tqdm.auto import tqdm

    from . import data, ground_truth, train
    from .attribution import ATTRIBUTIONS, applicable, method as method_spec

    datasets = ground_truth.SYNTHETIC if datasets is None else datasets
    archs = ground_truth.ARCHS if archs is None else archs
    names = list(ATTRIBUTIONS) if methods is None else [method_spec(m).name for m in methods]
    out: list[dict] = []
    bar = tqdm(total=len(datasets) * len(archs) * len(names), desc="sanity", disable=not progress)
    for ds in datasets:
        split = data.load_dataset(ds).test.positives()
        if n < len(split):
            split = split.subset(np.sort(np.random.default_rng(seed).choice(len(split), size=n, replace=False)))
        X = split.X
        for arch in archs:
            model = train.load_committed(ds, arch).model
            for name in names:
                bar.set_postfix_str(f"{ds} {arch} {name}")
                if applicable(name, model):
                    t = time.perf_counter()
                    rows = cascade(model, X, name, seed=seed)
                    secs = round(time.perf_counter() - t, 1)
                    tf = data.known_tf(ds)
                    out += [{"dataset": ds, "tf": tf, "arch": arch, "method": name, "n": len(split), **r,
                             "seconds": secs} for r in rows]
                bar.update(1)
    bar.close()
    return out


def table(flag_rows: Sequence[dict], *, digits: int = 3):
    """The sanity checks as a table (chapter "Which explanation to trust?").

    Parameters
    ----------
    flag_rows : list of dict
        Records of :func:`flags` (``data/results/sanity.json["flags"]``;
        ``dataset``, ``arch``, ``method``, ``rho_abs_final``, ``flagged``).
    digits : int

    Returns
    -------
    pandas.DataFrame
        Index: method labels in registry order; columns: (dataset,
        architecture label); cells: mean Spearman rho (abs variant) after the
        full cascade, with " (flagged)" appended where the method is flagged,
        "–" where it does not apply.
    """
    import pandas as pd

    from .architectures import ARCHITECTURES
    from .attribution import ATTRIBUTIONS

    if not flag_rows:
        raise ValueError("no rows")
    df = pd.DataFrame([{"method": r["method"], "dataset": r["dataset"], "arch": r["arch"],
                        "cell": f"{r['rho_abs_final']:.{digits}f}" + (" (flagged)" if r["flagged"] else "")}
                       for r in flag_rows])
    methods = [m for m in ATTRIBUTIONS if m in set(df["method"])]
    methods += [m for m in dict.fromkeys(df["method"]) if m not in methods]
    archs = [a for a in ARCHITECTURES if a in set(df["arch"])] + sorted(set(df["arch"]) - set(ARCHITECTURES))
    cols = [(d, a) for d in sorted(df["dataset"].unique()) for a in archs
            if ((df.dataset == d) & (df.arch == a)).any()]
    view = df.pivot(index="method", columns=["dataset", "arch"], values="cell").reindex(
        index=methods, columns=pd.MultiIndex.from_tuples(cols)).fillna("–")
    view.index = [ATTRIBUTIONS[m].label if m in ATTRIBUTIONS else m for m in view.index]
    view.columns = pd.MultiIndex.from_tuples(
        [(d, ARCHITECTURES[a].label if a in ARCHITECTURES else a) for d, a in cols], names=["dataset", "architecture"])
    return view
