"""Helpers shared by the attribution methods (not public API)."""
from __future__ import annotations

import zlib

import numpy as np
import torch
from torch import nn

# Input checks, eval mode and the cuDNN workaround are interpret's, so every
# method validates and treats models exactly as the paper's three views do.
from ..interpret import _as_input, _check_batch, _check_target, _eval_mode, _rnn_backward_ok  # noqa: F401


def forward_scores(model: nn.Module, x: torch.Tensor, target: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Target logit and softmax probability of each input.

    Parameters
    ----------
    x : torch.Tensor, shape (N, 4, L), on the model's device

    Returns
    -------
    score, prob : np.ndarray, float32, shape (N,)
    """
    scores, probs = [], []
    with _eval_mode(model), torch.inference_mode():
        for i in range(0, x.shape[0], batch_size):
            logits = model(x[i : i + batch_size])
            scores.append(logits[:, target])
            probs.append(torch.softmax(logits, dim=1)[:, target])
    if not scores:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return torch.cat(scores).float().cpu().numpy(), torch.cat(probs).float().cpu().numpy()


def input_gradients(model: nn.Module, x: torch.Tensor, target: int, batch_size: int) -> torch.Tensor:
    """``dS_target/dx`` of each input, shape (N, 4, L), float32, on x's device (model in eval mode)."""
    out = []
    with _eval_mode(model), _rnn_backward_ok(model, x.device), torch.enable_grad():
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size].detach().clone().requires_grad_(True)
            (g,) = torch.autograd.grad(model(xb)[:, target].sum(), xb)
            out.append(g)
    return torch.cat(out) if out else torch.zeros_like(x)


def position_magnitude(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """``|sum_k values[:, k, j]|``: the magnitude of each position's total contribution, (N, L) float32."""
    v = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    return np.abs(v.sum(axis=1)).astype(np.float32)


def sequence_seed(seed: int, x_i: np.ndarray) -> np.random.Generator:
    """A generator seeded by ``seed`` and the sequence's own content (CRC32 of its one-hot bytes).

    A sequence then gets the same shuffles whatever else is in the batch
    and wherever it sits in it, so an attribution of one sequence equals its
    row in a batch.
    """
    crc = zlib.crc32(np.ascontiguousarray(x_i, dtype=np.float32).tobytes())
    return np.random.default_rng([int(seed), crc])


def shuffled_baselines(x: torch.Tensor | np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` dinucleotide shuffles of every sequence, one-hot, float32, shape (N, n, 4, L).

    Uses :func:`demolib.data.dinucleotide_shuffle` (uniform over sequences
    with the same dinucleotide counts and end letters); positions that are
    not one-hot (e.g. ``N``, all zero) are shuffled as a symbol of their own
    and stay all zero.  Seeded per sequence by :func:`sequence_seed`.
    """
    from ..data import decode, dinucleotide_shuffle, one_hot

    xa = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float32)
    N, _, L = xa.shape
    out = np.zeros((N, n, 4, L), dtype=np.float32)
    if N == 0 or n == 0:
        return out
    for i, seq in enumerate(decode(xa)):
        rng = sequence_seed(seed, xa[i])
        out[i] = one_hot([dinucleotide_shuffle(seq, rng) for _ in range(n)])
    return out
