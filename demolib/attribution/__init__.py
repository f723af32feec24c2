"""Attribution methods: one result type, one registry.

Every method takes a DeMo model and one-hot DNA ``X`` of shape (N, 4, L)
(ACGT rows; a NumPy array or a torch tensor; a single (4, L) sequence is
N = 1) and returns an :class:`Attribution`.  Methods are listed once, in
:data:`ATTRIBUTIONS`; everything else (the ground-truth benchmark, the sanity
checks, and the CLI / widgets / dashboard that read the registry) loops over
it.  Each entry names the module function that computes the method, so a
method's module is imported only when the method is used (tangermeme, for
DeepLIFT/SHAP, takes seconds to import).

Entry points
------------
:func:`attribute` (``attribute(model, X, "ism")`` or ``method="ism"``)
    Run a registered method; keyword arguments go to the method.
:func:`methods_for` / :func:`applicable` / :func:`why_not`
    Which methods apply to a model, and if one does not, why.
:func:`method` (``method("ism")``)
    The registry entry; an unknown name is a ValueError naming the known ones.
:func:`attribute_all` (``attribute_all(model, X)``)
    Every registered method that applies, on the same sequences; the ones
    that do not apply are reported with the reason.

Needs
-----
A method declares what it needs from a model (:data:`NEEDS`):

``"gradients"``
    input gradients by autograd (every DeMo model).
``"recurrent"``
    a recurrent head (``features``/``head``; the RNN and the CNN-RNN):
    temporal output scores.
``"hookable"``
    every non-linear step is a module that tangermeme's DeepLIFT rules
    (rescale for element-wise activations, the max-pool rule) can hook: the
    CNN.  An ``nn.LSTM`` is not (see :mod:`demolib.attribution.deeplift_shap`).

A method called on a model that lacks one of its needs raises a ValueError
that says which need and why.

Per-position scores
-------------------
``Attribution.per_position`` is the one score per position that the
ground-truth benchmark and motif windows use.  For the gradient x input
family (saliency-corrected, integrated gradients, ig-corrected,
DeepLIFT/SHAP) it is ``|sum_k values[k, j]|``: the magnitude of position
j's total contribution to the score (for a one-hot input and the paper's
saliency this is the paper's ``sum_k |dS/dX[k, j]| X[k, j]``).  ISM and
temporal scores say in their own docstrings how they reduce to one score
per position.
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np
if TYPE_CHECKING:  # the registry is read by the CLI, which must not import torch to check --method
    from torch import nn

__all__ = [
    "Attribution",
    "MethodSpec",
    "ATTRIBUTIONS",
    "KINDS",
    "NEEDS",
    "method",
    "why_not",
    "applicable",
    "methods_for",
    "check_applicable",
    "attribute",
    "AttributionSet",
    "attribute_all",
]

KINDS = ("attribution", "temporal")
"""``"attribution"``: a contribution per base; ``"temporal"``: read off prefix / suffix scores."""


# --------------------------------------------------------------------------
# Result type
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Attribution:
    """What every attribution method returns.

    Attributes
    ----------
    method : str
        Registry name of the method that made it.
    values : np.ndarray, float32, shape (N, 4, L)
        Contribution per base (rows ACGT); zero where not meaningful (e.g.
        the bases absent from a one-hot input, for gradient x input).  Each
        method's docstring says exactly what it stores here.
    per_position : np.ndarray, float32, shape (N, L)
        One score per position (larger = more important), used for ground
        truth and motif windows.
    prob : np.ndarray, float32, shape (N,)
        Softmax probability of the target class (P(bound)) of each input.
    score : np.ndarray, float32, shape (N,)
        The target-class logit ``S`` of each input.
    info : dict
        Method-specific extras (settings used, diagnostics such as
        DeepLIFT's ``"convergence_delta"`` or integrated gradients'
        ``"completeness_gap"``).
    """

    method: str
    values: np.ndarray
    per_position: np.ndarray
    prob: np.ndarray
    score: np.ndarray
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("values", "per_position", "prob", "score"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float32))
        v, p = self.values, self.per_position
        if v.ndim != 3 or v.shape[1] != 4:
            raise ValueError(f"Attribution.values must have shape (N, 4, L), got {v.shape}")
        N, _, L = v.shape
        if p.shape != (N, L):
            raise ValueError(f"Attribution.per_position must have shape {(N, L)}, got {p.shape}")
        for name in ("prob", "score"):
            if getattr(self, name).shape != (N,):
                raise ValueError(f"Attribution.{name} must have shape {(N,)}, got {getattr(self, name).shape}")

    def __len__(self) -> int:
        return int(self.values.shape[0])


# --------------------------------------------------------------------------
# Needs: what a method asks of a model
# --------------------------------------------------------------------------
def _need_gradients(model: nn.Module) -> str | None:
    from torch import nn

    if not isinstance(model, nn.Module):
        return f"input gradients need a torch model (nn.Module), got {type(model).__name__}"
    return None


def _need_recurrent(model: nn.Module) -> str | None:
    from ..models import is_recurrent

    try:
        ok = is_recurrent(model)
    except (AttributeError, ValueError) as e:
        return f"cannot tell whether the model is recurrent ({e})"
    if not ok:
        return ("it needs a recurrent head (arch 'rnn' or 'cnn-rnn'): a CNN max-pools over the whole "
                "sequence, so the score of a prefix or suffix is not defined by the model")
    return None


def _need_hookable(model: nn.Module) -> str | None:
    from .deeplift_shap import hookable_reason

    return hookable_reason(model)


NEEDS: dict[str, Callable[[nn.Module], str | None]] = {
    "gradients": _need_gradients,
    "recurrent": _need_recurrent,
    "hookable": _need_hookable,
}
"""Need name -> check ``model -> None`` (satisfied) or the reason it is not."""


# --------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodSpec:
    """One registered attribution method.

    Attributes
    ----------
    name : str
        Registry key ("ism").
    label : str
        How figures and widgets name it ("ISM").
    function : str
        ``"module:function"`` inside :mod:`demolib.attribution`; the function
        is ``f(model, X, **kw) -> Attribution``.
    needs : frozenset of str
        Keys of :data:`NEEDS`.
    kind : str
        One of :data:`KINDS`.
    description : str
        One line: what the method computes.
    """

    name: str
    label: str
    function: str
    needs: frozenset
    kind: str = "attribution"
    description: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"method {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(NEEDS)}")
        if self.kind not in KINDS:
            raise ValueError(f"method {self.name!r}: unknown kind {self.kind!r}; known: {', '.join(KINDS)}")

    @property
    def fn(self) -> Callable[..., Attribution]:
        """The method's function (imports its module on first use)."""
        mod, _, fun = self.function.partition(":")
        return getattr(importlib.import_module(f"{__name__}.{mod}"), fun)


ATTRIBUTIONS: dict[str, MethodSpec] = {
    s.name: s
    for s in (
        MethodSpec("saliency", "Saliency", "saliency:saliency", frozenset({"gradients"}),
                   description="the paper's saliency: |dS/dX| x X summed over bases (Lanchantin et al. 2017)"),
        MethodSpec("saliency-corrected", "Saliency (corrected)", "correction:saliency_corrected",
                   frozenset({"gradients"}),
                   description="gradient x input after removing each position's mean gradient over the four "
                               "bases (Majdandzic, Rajesh & Koo 2023)"),
        MethodSpec("integrated-gradients", "Integrated gradients", "integrated_gradients:integrated_gradients",
                   frozenset({"gradients"}),
                   description="path-integrated gradients from dinucleotide-shuffled (or zero) baselines "
                               "(Sundararajan et al. 2017)"),
        MethodSpec("ig-corrected", "Integrated gradients (corrected)", "correction:ig_corrected",
                   frozenset({"gradients"}),
                   description="integrated gradients with the path-averaged gradient corrected as for "
                               "saliency-corrected"),
        MethodSpec("ism", "ISM", "ism:ism", frozenset(),
                   description="in-silico mutagenesis: change of the logit S for every single-base substitution"),
        MethodSpec("deeplift-shap", "DeepLIFT/SHAP", "deeplift_shap:deeplift_shap",
                   frozenset({"gradients", "hookable"}),
                   description="DeepLIFT rescale rules averaged over shuffled references (tangermeme)"),
        MethodSpec("temporal", "Temporal output scores", "temporal:temporal", frozenset({"recurrent"}),
                   kind="temporal",
                   description="per-position change of the prefix (forward) and suffix (backward) "
                               "probabilities of the recurrent head"),
    )
}
"""Method name -> :class:`MethodSpec`, in the order figures and tables list them."""


def method(name: str) -> MethodSpec:
    """The registry entry of a method; an unknown name is a ValueError naming the known ones."""
    return _spec(name)


def _spec(name: str) -> MethodSpec:
    try:
        return ATTRIBUTIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown attribution method {name!r}; choose one of {', '.join(ATTRIBUTIONS)}") from None


def _model_name(model: nn.Module) -> str:
    cfg = getattr(model, "config", None)
    return f"{cfg.arch} model" if cfg is not None and hasattr(cfg, "arch") else f"{type(model).__name__} model"


def why_not(name: str, model: nn.Module) -> str | None:
    """None if method ``name`` applies to ``model``, else the reason it does not."""
    spec = _spec(name)
    for need in sorted(spec.needs):
        reason = NEEDS[need](model)
        if reason is not None:
            return f"{name} needs {need!r}, which this {_model_name(model)} lacks: {reason}"
    return None


def applicable(name: str, model: nn.Module) -> bool:
    """Whether method ``name`` applies to ``model`` (an unknown name is a ValueError)."""
    return why_not(name, model) is None


def methods_for(model: nn.Module, kind: str | None = None) -> list[str]:
    """Names of the registered methods that apply to ``model`` (of one ``kind``, if given), in registry order."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return [n for n, s in ATTRIBUTIONS.items() if (kind is None or s.kind == kind) and applicable(n, model)]


def check_applicable(name: str, model: nn.Module) -> None:
    """Raise a ValueError saying why, if method ``name`` does not apply to ``model``."""
    reason = why_not(name, model)
    if reason is not None:
        raise ValueError(reason)


def attribute(model: nn.Module, X: Any, method: str, **kw: Any) -> Attribution:
    """Run registered ``method`` on ``model`` and one-hot ``X`` (N, 4, L).

    Parameters
    ----------
    model : nn.Module
        A DeMo model; its weights and training flags are left as they were.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
    method : str
        A key of :data:`ATTRIBUTIONS`.
    **kw
        Passed to the method's function (e.g. ``steps=`` for integrated
        gradients, ``implementation=`` for ISM).

    Returns
    -------
    Attribution

    Raises
    ------
    ValueError
        Unknown method (the message lists the known ones) or a method that
        does not apply to the model (the message says why).
    """
    spec = _spec(method)
    check_applicable(method, model)
    return spec.fn(model, X, **kw)


# --------------------------------------------------------------------------
# Every method at once (chapter "Which explanation to trust?")
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class AttributionSet(Mapping):
    """Every requested method's attribution of the same sequences.

    A read-only mapping ``method name -> per_position`` (np.ndarray, float32,
    shape (N, L)) over the methods that ran, in registry order (the order of
    :data:`ATTRIBUTIONS`).  Made by :func:`attribute_all`.

    Attributes
    ----------
    results : dict of str to Attribution
        The full result of every method that ran, in registry order.
    skipped : dict of str to str
        Every requested method that does not apply to the model -> the
        reason (:func:`why_not`), in registry order.
    """

    results: dict
    skipped: dict

    def __getitem__(self, name: str) -> np.ndarray:
        return self.results[name].per_position

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def methods(self) -> list[str]:
        """Every requested method, run or skipped, in registry order."""
        asked = set(self.results) | set(self.skipped)
        return [n for n in ATTRIBUTIONS if n in asked]

    def sequence(self, i: int) -> dict[str, np.ndarray | None]:
        """Sequence ``i``'s per-position scores (L,) of every requested method, in
        registry order; ``None`` for a method that does not apply."""
        return {n: (self.results[n].per_position[i] if n in self.results else None) for n in self.methods}


def attribute_all(model: nn.Module, X: Any, methods: Sequence[str] | None = None, *, seed: int = 0,
                  options: Mapping[str, Mapping[str, Any]] | None = None) -> AttributionSet:
    """Run every registered method that applies to ``model`` on the same sequences.

    Used by the chapter "Which explanation to trust?" (one sequence seen by
    every method side by side).  Each method runs through :func:`attribute`
    exactly as a single call would.

    Parameters
    ----------
    model : nn.Module
        A DeMo model (left as it was).
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot sequences, rows ACGT.
    methods : sequence of str, optional
        Registry names; default every registered method.  Unknown names are a
        ValueError; the result is in registry order whatever the order given.
    seed : int
        Passed to every method that takes a ``seed`` (integrated gradients'
        and DeepLIFT/SHAP's shuffled baselines), as the ground-truth benchmark
        and the sanity checks do.
    options : mapping of str to dict, optional
        Extra keyword arguments per method, e.g.
        ``{"integrated-gradients": {"steps": 8}}``.  Keys must be registered
        names (an unknown one is a ValueError); those of methods not
        requested or not applicable are not used.

    Returns
    -------
    AttributionSet
        ``result[name]`` is the method's ``per_position`` (N, L);
        ``result.results[name]`` its :class:`Attribution`;
        ``result.skipped[name]`` the reason a requested method does not apply.
    """
    names = list(ATTRIBUTIONS) if methods is None else [_spec(m).name for m in methods]
    names = [n for n in ATTRIBUTIONS if n in set(names)]  # registry order, each once
    options = dict(options or {})
    for name in options:
        _spec(name)  # an unknown name fails loudly
    results: dict[str, Attribution] = {}
    skipped: dict[str, str] = {}
    for name in names:
        reason = why_not(name, model)
        if reason is not None:
            skipped[name] = reason
            continue
        kw = dict(options.get(name, {}))
        if "seed" in inspect.signature(ATTRIBUTIONS[name].fn).parameters:
            kw.setdefault("seed", seed)
        results[name] = attribute(model, X, name, **kw)
    return AttributionSet(results, skipped)
