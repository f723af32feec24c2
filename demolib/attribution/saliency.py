"""The paper's saliency map as an :class:`~demolib.attribution.Attribution`.

A thin wrapper of :func:`demolib.interpret.saliency`, whose behaviour is
unchanged: ``per_position`` here is exactly ``interpret.saliency(...).per_position``.
"""
from __future__ import annotations

import numpy as np
from torch import nn

from .. import interpret
from . import Attribution, check_applicable

__all__ = ["saliency"]


def saliency(model: nn.Module, X, *, target: int = 1, batch_size: int = 512) -> Attribution:
    """Saliency (Lanchantin et al. 2017): ``|dS/dX| * X``.

    Parameters
    ----------
    model : nn.Module
        Any DeMo model.
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input.
    target : int
        Class whose logit ``S`` is differentiated; 1 = bound.
    batch_size : int
        Sequences per forward/backward pass.

    Returns
    -------
    Attribution
        ``values`` (N, 4, L) = ``|dS/dX| * X`` (non-zero only at the base
        present); ``per_position`` (N, L) = ``values.sum(axis=1)``, the
        paper's saliency; ``info["gradient"]`` (N, 4, L) the signed gradient.
    """
    check_applicable("saliency", model)
    s = interpret.saliency(model, X, target=target, batch_size=batch_size)
    x = interpret._as_input(model, X).cpu().numpy()
    values = np.abs(s.gradient) * x
    return Attribution("saliency", values, s.per_position, s.prob, s.score,
                       info={"gradient": s.gradient, "target": int(target)})
