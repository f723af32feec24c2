"""Temporal output scores as a per-position attribution (recurrent models).

:func:`demolib.interpret.temporal_scores` gives, for every t, the
probability ``forward[t]`` of the prefix ``x[0..t]`` and ``backward[t]`` of
the suffix ``x[t..L-1]`` (0-based).  Position t's effect is read off as
the change it makes when it is added:

* reading forwards, ``df[t] = forward[t] - forward[t-1]`` (the prefix gains
  base t); ``df[0] = 0`` (an empty prefix has no score);
* reading backwards, ``db[t] = backward[t] - backward[t+1]`` (the suffix
  gains base t); ``db[L-1] = 0``.

``per_position[t] = (|df[t]| + |db[t]|) / 2``: the mean magnitude of the two
changes.  Both are needed: a BiLSTM's forward score typically jumps at the end
of a motif (once all of it has been read) and its backward score at the
start, so either alone marks one edge of a site; together they cover it.
"""
from __future__ import annotations

import numpy as np
from torch import nn

from .. import interpret
from . import Attribution, check_applicable
from ._common import _as_input, _check_batch, _check_target, forward_scores

__all__ = ["temporal", "temporal_changes"]


def temporal_changes(forward: np.ndarray, backward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``df``, ``db`` (N, L) from prefix / suffix probabilities (module docstring)."""
    forward = np.asarray(forward, dtype=np.float32)
    backward = np.asarray(backward, dtype=np.float32)
    df = np.zeros_like(forward)
    db = np.zeros_like(backward)
    df[:, 1:] = forward[:, 1:] - forward[:, :-1]
    db[:, :-1] = backward[:, :-1] - backward[:, 1:]
    return df, db


def temporal(model: nn.Module, X, *, target: int = 1, batch_size: int = 128) -> Attribution:
    """Per-position change of the forward and backward temporal output scores.

    Parameters
    ----------
    model : nn.Module
        A recurrent DeMo model (RNN or CNN-RNN).
    X : np.ndarray or torch.Tensor, shape (N, 4, L) or (4, L)
    target : int
        Class whose probability is read; 1 = bound.
    batch_size : int
        Passed to :func:`demolib.interpret.temporal_scores`.

    Returns
    -------
    Attribution
        ``per_position`` (N, L) = ``(|df| + |db|) / 2`` (module docstring);
        ``values`` = ``X * per_position`` (the score put on the base present);
        ``prob``, ``score`` from one forward pass of the whole sequence
        (``prob`` equals ``forward[:, -1]``);
        ``info["forward"]``, ``info["backward"]`` (N, L) the temporal scores,
        ``info["df"]``, ``info["db"]`` (N, L) the signed changes.
    """
    check_applicable("temporal", model)
    t = interpret.temporal_scores(model, X, target=target, batch_size=batch_size)
    x = _as_input(model, X)
    score, prob = forward_scores(model, x, _check_target(model, target), _check_batch(batch_size))
    df, db = temporal_changes(t.forward, t.backward)
    per_pos = (np.abs(df) + np.abs(db)) / 2
    return Attribution("temporal", x.cpu().numpy() * per_pos[:, None, :], per_pos, prob, score,
                       info={"forward": t.forward, "backward": t.backward, "df": df, "db": db,
                             "target": int(target)})
