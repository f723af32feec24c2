"""DeepLIFT/SHAP through tangermeme's ``deep_lift_shap`` (the CNN only).

DeepLIFT (Shrikumar et al. 2017) backpropagates "multipliers": through a
linear layer the ordinary weights, through a non-linearity ``y = f(z)`` the
secant ``(f(z) - f(z')) / (z - z')`` between the input and a reference
(rescale rule), through max-pooling the change of the pooled output routed
to the winning positions.  The contributions ``(x - x') * m`` then sum
exactly to ``S(x) - S(x')`` (summation-to-delta).  DeepSHAP averages them
over several references; here, as for integrated gradients, dinucleotide
shuffles of the input (:func:`._common.shuffled_baselines`, the same
baselines ``integrated_gradients`` uses with the same seed).

tangermeme implements the rules as forward/backward hooks on
``nn.ReLU`` / ``nn.MaxPool1d`` modules.  Our CNN applies its final global
max-pool as a tensor operation (``amax``), which no hook can reach (autograd
would route the plain gradient to the argmax and summation-to-delta would
fail), so :func:`hookable_view` wraps the CNN's own layers, unchanged and
shared, with the global max as an ``nn.MaxPool1d`` module; it computes the
same logits (tested).

Why not the RNN / CNN-RNN
-------------------------
An ``nn.LSTM`` cell multiplies input-dependent signals (``i * g``,
``f * c``, ``o * tanh(c)``), and its sigmoid / tanh gates run inside one
fused module, so there is no element-wise activation module to hook.
tangermeme's rules cover element-wise activation modules, pooling, softmax
and normalisation layers, and products written as its ``BilinearOp``
module; ``nn.LSTM`` is none of these, so the multipliers would be plain
gradients through the cell and the attributions would not sum to
``S(x) - S(x')``.  (An LSTM rewritten cell by cell, with ``nn.Sigmoid`` /
``nn.Tanh`` modules for the gates and ``BilinearOp`` for the products, could
be hooked; the committed checkpoints use the fused ``nn.LSTM``, and this
project does not re-implement it.)  For the recurrent models use integrated
gradients (the same completeness property, up to the integration error) or
ISM.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import ConvNet
from . import Attribution, check_applicable
from ._common import _as_input, _check_batch, _check_target, _eval_mode, forward_scores, position_magnitude, \
    shuffled_baselines

__all__ = ["deeplift_shap", "hookable_view", "hookable_reason"]

LSTM_REASON = (
    "its nn.LSTM multiplies input-dependent gates (i*g, f*c, o*tanh(c)) inside one fused module; "
    "tangermeme's DeepLIFT hooks have rules for activation modules (ReLU, ...), max-pooling and explicit "
    "product modules, none of which the fused LSTM exposes, so the attributions would not sum to "
    "S(x) - S(reference). Use 'integrated-gradients' or 'ism' for recurrent models"
)


def hookable_reason(model: nn.Module) -> str | None:
    """None if :func:`hookable_view` can wrap ``model`` for tangermeme's hooks, else why not."""
    if any(isinstance(m, nn.RNNBase) for m in model.modules()):
        return LSTM_REASON
    if not isinstance(model, ConvNet):
        return (f"no hookable view is defined for {type(model).__name__} "
                "(add one in demolib/attribution/deeplift_shap.py)")
    return None


class _HookableConvNet(nn.Module):
    """A :class:`~demolib.models.ConvNet` whose global max-pool is an ``nn.MaxPool1d`` module.

    Shares (does not copy) the CNN's ``conv``, ``dropout`` and ``linear``
    modules; valid for inputs whose last feature map has ``length`` positions.
    """

    def __init__(self, model: ConvNet, length: int):
        super().__init__()
        self.conv = model.conv
        self.pool = nn.MaxPool1d(length)
        self.dropout = model.dropout
        self.linear = model.linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.conv(x)).flatten(1)  # (N, C)
        return self.linear(self.dropout(h))


def hookable_view(model: nn.Module, length: int) -> nn.Module:
    """The model as modules tangermeme can hook, for inputs of ``length`` bp.

    Raises
    ------
    ValueError
        If the model has no such view (:func:`hookable_reason`).
    """
    reason = hookable_reason(model)
    if reason is not None:
        raise ValueError(f"deeplift-shap does not apply: {reason}")
    with torch.no_grad():
        p = next(model.parameters())
        T = model.conv(torch.zeros(1, 4, int(length), dtype=p.dtype, device=p.device)).shape[2]
    return _HookableConvNet(model, T)


def deeplift_shap(
    model: nn.Module,
    X,
    *,
    n_shuffles: int = 20,
    seed: int = 0,
    target: int = 1,
    batch_size: int = 256,
    warning_threshold: float = 1e-3,
    progress: bool | None = None,
) -> Attribution:
    """DeepLIFT/SHAP attributions of the target logit (tangermeme's rules).

    Parameters
    ----------
    model : nn.Module
        A CNN (the only DeMo architecture whose non-linearities are all
        hookable modules; see the module docstring for the LSTM).
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
        One-hot input (tangermeme checks that it is one-hot).
    n_shuffles : int
        Dinucleotide-shuffled references per sequence.
    seed : int
        Seeds the references (with each sequence's own content).
    target : int
        Class whose logit is explained; 1 = bound.
    batch_size : int
        (sequence, reference) pairs per pass.
    warning_threshold : float
        tangermeme warns when a convergence delta exceeds it.
    progress : bool, optional
        tangermeme's progress bar over (sequence, reference) pairs; default:
        shown for more than 2,000 pairs.

    Returns
    -------
    Attribution
        ``values`` (N, 4, L): the mean over references of the projected
        contributions, non-zero only at the base present (tangermeme's
        non-hypothetical attributions); they sum to ``S(x)`` minus the mean
        reference score.  ``per_position`` = ``|values.sum(axis=1)|``.
        ``info["convergence_delta"]`` (N, n_shuffles): for each (sequence,
        reference) pair, ``|S(x) - S(x') - sum (x - x') m|`` computed by our
        own forward passes of the model itself (so it also checks that the
        hookable view computes the model); ``info["max_convergence_delta"]``.
    """
    from tangermeme.deep_lift_shap import deep_lift_shap as _tm_dls
    from tangermeme.deep_lift_shap import hypothetical_attributions

    check_applicable("deeplift-shap", model)
    x = _as_input(model, X)
    target = _check_target(model, target)
    batch_size = _check_batch(batch_size)
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, (int, np.integer)) or n_shuffles < 1:
        raise ValueError(f"n_shuffles must be a positive integer, got {n_shuffles!r}")
    N, _, L = x.shape
    S = int(n_shuffles)
    score, prob = forward_scores(model, x, target, batch_size)
    if N == 0:
        return Attribution("deeplift-shap", np.zeros((0, 4, L)), np.zeros((0, L)), prob, score,
                           info={"convergence_delta": np.zeros((0, S), np.float32), "max_convergence_delta": 0.0})
    refs = torch.as_tensor(shuffled_baselines(x, S, seed))  # (N, S, 4, L), CPU
    view = hookable_view(model, L)
    with _eval_mode(model):
        view.eval()
        mult = _tm_dls(view, x.cpu(), target=target, references=refs, batch_size=batch_size, raw_outputs=True,
                       device=x.device, warning_threshold=warning_threshold,
                       verbose=N * S > 2000 if progress is None else bool(progress))
    mult = mult.to(torch.float32)  # (N, S, 4, L), CPU
    xs = x.cpu().unsqueeze(1).expand(-1, S, -1, -1)
    proj = hypothetical_attributions((mult.reshape(N * S, 4, L),), (xs.reshape(N * S, 4, L),),
                                     (refs.reshape(N * S, 4, L),))[0].reshape(N, S, 4, L)
    values = proj.mean(dim=1) * x.cpu()
    # summation-to-delta, checked against the model itself
    ref_score, _ = forward_scores(model, refs.reshape(N * S, 4, L).to(x.device), target, batch_size)
    contrib = ((xs - refs) * mult).sum(dim=(2, 3)).numpy()  # (N, S)
    delta = np.abs(score[:, None] - ref_score.reshape(N, S) - contrib).astype(np.float32)
    info = {"n_shuffles": S, "seed": int(seed), "target": int(target), "convergence_delta": delta,
            "max_convergence_delta": float(delta.max()), "reference_score": ref_score.reshape(N, S).mean(axis=1)}
    return Attribution("deeplift-shap", values.numpy(), position_magnitude(values), prob, score, info)
