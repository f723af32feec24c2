"""Training, evaluation and checkpoints.

Adam on minibatches of 256, gradient clipping, step learning-rate decay,
early stopping on validation AUROC, reverse-complement augmentation, all
seeded: the same command gives the same weights and metrics on the CPU.

The budget is set in gradient steps and sequences seen as well as epochs,
so that small peak sets learn too: the minibatch shrinks for small training
sets (at least 16 minibatches per epoch, never under 32 sequences), and when
``epochs`` epochs would give fewer than ``min_steps`` gradient steps or show
the model fewer than ``min_samples`` sequences, every "epoch" of the schedule
becomes a round of several passes over the data (learning-rate decay,
patience and validation all count rounds).  ``max_steps`` and
``max_samples`` cap the total on very large sets (``demo train``'s default
sample budget keeps a medium model on a 40,000-peak set to about five
minutes on two cores).  On the shipped 4,000-peak sets none of this changes
anything (25 minibatches of 256 per epoch, enough sequences seen).

A checkpoint is a directory with ``weights.pt`` (a plain ``state_dict``,
read back with ``torch.load(weights_only=True)``, so loading never unpickles
arbitrary objects) and ``checkpoint.json`` (model config, training config,
metrics, per-epoch history and data provenance).  Both files are written
atomically.
"""
from __future__ import annotations

import dataclasses
import errno
import io
import os
import platform
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import nn
from tqdm.auto import tqdm

from .data import DATA_DIR, Dataset, Split, canonical_name
from .models import ModelConfig, build_model
from .utils import atomic_write, atomic_write_json, read_checkpoint_meta, seed_everything

__all__ = [
    "load_or_retrain",
    "TrainConfig",
    "default_train_config",
    "TrainResult",
    "Checkpoint",
    "fit",
    "predict_proba",
    "metrics",
    "bootstrap_ci",
    "paired_bootstrap_auroc_diff",
    "paired_bootstrap_diff",
    "SCORE_METRICS",
    "auroc_rows",
    "auto_batch_size",
    "schedule",
    "replay_early_stop",
    "stop_reason",
    "DID_NOT_LEARN_AUROC",
    "evaluate",
    "save_checkpoint",
    "load_checkpoint",
    "committed_dir",
    "load_committed",
    "committed_datasets",
    "CHECKPOINT_DIR",
]

CHECKPOINT_DIR = DATA_DIR / "checkpoints"
FORMAT_VERSION = 1
#: A model whose best validation AUROC stays below this has not learned the
#: task; the CLI says so and what to try.
DID_NOT_LEARN_AUROC = 0.70


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs (rounds, see ``min_steps``).
    batch_size : int or None
        Minibatch size (256 in the reference code); ``None`` picks it from the
        training-set size with :func:`auto_batch_size`.
    min_steps : int
        At least this many gradient steps in ``epochs`` rounds: when one pass
        over the data has too few minibatches, a round is several passes.
    min_samples : int
        Likewise, at least this many training sequences seen (repeats
        counted).  The RNN's plateau ends after a number of sequences seen
        rather than of steps (about 250,000 on MAFK at minibatch 256 and on a
        500-peak subsample at minibatch 50 alike).
    max_steps : int or None
        Stop after this many gradient steps (very large sets).
    max_samples : int or None
        Stop once this many training sequences have been seen, rounded up to
        whole minibatches; with ``max_steps`` the smaller cap applies
        (:func:`step_cap`).  ``None``: no cap.
    lr : float
        Adam learning rate.
    lr_decay : float
        Multiply the learning rate by this every ``lr_step`` epochs.
    lr_step : int
    grad_clip : float
        Clip the global gradient norm to this value.
    weight_decay : float
    patience : int
        Stop when validation AUROC has not improved for this many epochs ...
    min_epochs : int
        ... but never before this epoch (a BiLSTM on one-hot DNA sits near
        AUROC 0.5 for tens of epochs before it learns; stopping there would
        keep an untrained model).
    rc_augment : bool
        Replace each training sequence by its reverse complement with
        probability 1/2.
    seed : int
    """

    epochs: int = 30
    batch_size: int | None = 256
    lr: float = 1e-3
    lr_decay: float = 0.5
    lr_step: int = 10
    grad_clip: float = 5.0
    weight_decay: float = 0.0
    patience: int = 8
    min_epochs: int = 0
    rc_augment: bool = True
    seed: int = 0
    min_steps: int = 0
    max_steps: int | None = None
    min_samples: int = 0
    max_samples: int | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_train_config(arch: str, **overrides) -> TrainConfig:
    """Settings that train each architecture reliably on a few thousand peaks.

    The RNN gets a higher learning rate, slower decay and a long minimum
    training time to get past its initial plateau.  All three choose their
    minibatch from the training-set size and see a minimum number of
    training sequences (``min_samples``: 50,000 for the CNN and CNN-RNN,
    300,000 for the RNN; see :class:`TrainConfig`), which only matters below
    about 1,500 peaks.
    """
    from .architectures import architecture

    common = dict(batch_size=None)
    base = architecture(arch).train_defaults
    return TrainConfig(**{**common, **base, **overrides})


def auto_batch_size(n_train: int) -> int:
    """Minibatch for ``n_train`` training sequences: 256 (the reference code's)
    when that still gives 16 minibatches per epoch, else ``n_train // 16``,
    but never under 32."""
    return int(min(256, max(32, n_train // 16)))


def step_cap(tc: TrainConfig | dict, batch: int) -> int | None:
    """The gradient steps ``max_steps`` and ``max_samples`` allow at minibatch
    ``batch`` (the smaller of the two), or ``None`` when neither is set."""
    d = {**TrainConfig().to_dict(), **(tc.to_dict() if isinstance(tc, TrainConfig) else tc)}
    caps = [c for c in (d["max_steps"], None if d["max_samples"] is None else -(-d["max_samples"] // batch))
            if c is not None]
    return min(caps) if caps else None


def schedule(tc: TrainConfig | dict, n_train: int) -> dict:
    """What a training config means for ``n_train`` training sequences.

    Returns
    -------
    dict
        ``batch_size`` (resolved), ``passes`` (passes over the data per round),
        ``steps_per_round`` and every other TrainConfig field except
        ``min_steps``, ``min_samples``, ``max_samples`` and ``max_steps``;
        ``max_steps`` is the step cap (:func:`step_cap`) when it binds.  Two configs with
        equal schedules train identically (chapter 05 checks the committed
        checkpoints this way).
    """
    d = {**TrainConfig().to_dict(), **(tc.to_dict() if isinstance(tc, TrainConfig) else tc)}
    batch = d["batch_size"] or auto_batch_size(n_train)
    per_pass = -(-n_train // batch)
    passes = max(1, -(-d["min_steps"] // (d["epochs"] * per_pass)), -(-d["min_samples"] // (d["epochs"] * n_train)))
    out = {k: v for k, v in d.items()
           if k not in ("batch_size", "min_steps", "min_samples", "max_steps", "max_samples")}
    out.update(batch_size=batch, passes=passes, steps_per_round=passes * per_pass)
    cap = step_cap(d, batch)
    if cap is not None and cap < d["epochs"] * passes * per_pass:
        out["max_steps"] = cap
    return out


@dataclass
class TrainResult:
    """What :func:`fit` returns: the best model (eval mode) and its record."""

    model: nn.Module
    history: list[dict]
    best_epoch: int
    valid: dict
    seconds: float


@dataclass
class Checkpoint:
    """A loaded checkpoint: ``model`` is in eval mode on the CPU."""

    path: Path
    model: nn.Module
    config: ModelConfig
    train_config: dict
    metrics: dict
    history: list[dict]
    provenance: dict = field(default_factory=dict)


def _device(device: str | None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def metrics(y: np.ndarray, p: np.ndarray, *, ci: bool = False, seed: int = 0,
            threshold: float = 0.5) -> dict:
    """AUROC, AUPRC and accuracy of scores ``p`` for labels ``y``.

    AUROC and AUPRC use only the order of ``p``, so any score works (a PWM
    scan's log-odds as well as a probability); accuracy calls ``p >=
    threshold`` positive (0.5 for probabilities).  With ``ci=True`` also
    ``auroc_ci`` and ``auprc_ci``: bootstrap 95% intervals (see
    :func:`bootstrap_ci`).
    """
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    both = len(np.unique(y)) == 2
    out = {
        "auroc": float(roc_auc_score(y, p)) if both else float("nan"),
        "auprc": float(average_precision_score(y, p)) if both else float("nan"),
        "accuracy": float(((p >= threshold).astype(int) == y).mean()),
        "n": int(len(y)),
    }
    if ci and both:
        out["auroc_ci"] = bootstrap_ci(y, p, "auroc", seed=seed)
        out["auprc_ci"] = bootstrap_ci(y, p, "auprc", seed=seed)
    return out


def auroc_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """AUROC of each row (Mann-Whitney U with average ranks for ties).

    Parameters
    ----------
    y, p : np.ndarray, shape (..., n)
        Labels (0/1) and scores; every row must hold both classes.

    Returns
    -------
    np.ndarray, shape (...)
        Equal to ``sklearn.metrics.roc_auc_score`` row by row (tested).
    """
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=np.float64)
    ranks = rankdata(p, axis=-1)
    n_pos = y.sum(-1)
    n_neg = y.shape[-1] - n_pos
    return ((ranks * y).sum(-1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def bootstrap_ci(y: np.ndarray, p: np.ndarray, stat: str = "auroc", *, n_resamples: int = 1000,
                 level: float = 0.95, seed: int = 0) -> list[float]:
    """Percentile bootstrap interval of a test-set metric (``scipy.stats.bootstrap``,
    sequences resampled with their labels; seeded, so the same call gives the
    same interval).

    Parameters
    ----------
    y : np.ndarray, shape (N,), labels 0/1
    p : np.ndarray, shape (N,), scores
    stat : {"auroc", "auprc"}

    Returns
    -------
    [low, high] : list of float
    """
    from scipy.stats import bootstrap

    if stat == "auroc":
        fn, vec = (lambda a, b, axis=-1: auroc_rows(a, b)), True  # scipy passes (resamples, N) rows
    elif stat == "auprc":
        fn, vec = (lambda a, b: average_precision_score(a, b)), False
    else:
        raise ValueError(f"unknown statistic {stat!r}; choose auroc or auprc")
    r = bootstrap((np.asarray(y), np.asarray(p, dtype=np.float64)), fn, paired=True, vectorized=vec,
                  n_resamples=n_resamples, confidence_level=level, method="percentile",
                  rng=np.random.default_rng(seed))
    return [float(r.confidence_interval.low), float(r.confidence_interval.high)]


def paired_bootstrap_auroc_diff(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, *, n_boot: int = 2000,
                                seed: int = 0) -> np.ndarray:
    """Stratified paired bootstrap of AUROC(p_a) - AUROC(p_b) (chapter 05).

    Positives and negatives are drawn with replacement separately, and the
    same resample scores both models, so the spread is that of the paired
    difference.  A resample's AUROC is the weighted share of correctly
    ranked (positive, negative) pairs, ties counting 1/2:
    ``sum_ij w_i v_j [s_i > s_j] / (n_pos n_neg)``, with ``w_i``, ``v_j`` the
    number of times positive i and negative j were drawn.

    Parameters
    ----------
    y : np.ndarray, shape (N,), labels 0/1
    p_a, p_b : np.ndarray, shape (N,), the two models' scores

    Returns
    -------
    np.ndarray, shape (n_boot,)
        The bootstrap differences (seeded: the same call gives the same array).
    """
    y = np.asarray(y)
    pos, neg, w, v = _stratified_draws(y, n_boot, seed)

    def auc(p):
        p = np.asarray(p)
        sp, sn = p[pos, None], p[None, neg]
        correct = (sp > sn) + 0.5 * (sp == sn)  # (n_pos, n_neg)
        return ((w @ correct) * v).sum(axis=1) / (len(pos) * len(neg))

    return auc(p_a) - auc(p_b)


def _stratified_draws(y: np.ndarray, n_boot: int, seed: int):
    """Indices of the positives and negatives of ``y`` and, per resample, how often each is drawn:
    ``w`` (n_boot, n_pos) and ``v`` (n_boot, n_neg), seeded (shared by the paired bootstraps)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    w = rng.multinomial(len(pos), np.full(len(pos), 1 / len(pos)), size=n_boot)  # draws of each positive
    v = rng.multinomial(len(neg), np.full(len(neg), 1 / len(neg)), size=n_boot)  # draws of each negative
    return pos, neg, w, v


#: Test-set metrics that :func:`paired_bootstrap_diff` can resample, by name.
SCORE_METRICS = {"auroc": roc_auc_score, "auprc": average_precision_score}


def paired_bootstrap_diff(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, metric: str = "auprc", *,
                          n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Stratified paired bootstrap of ``metric(p_a) - metric(p_b)`` for any metric (chapter 05, exercise 2).

    The resamples are exactly those of :func:`paired_bootstrap_auroc_diff` with
    the same ``seed`` (positives and negatives drawn with replacement
    separately, the same resample scoring both models), but each one is
    materialised as an index array and scored with scikit-learn, so it works
    for metrics that are not a sum over pairs, such as AUPRC.  With
    ``metric="auroc"`` it equals :func:`paired_bootstrap_auroc_diff` (tested),
    only slower.

    Parameters
    ----------
    y : np.ndarray, shape (N,), labels 0/1
    p_a, p_b : np.ndarray, shape (N,), the two models' scores
    metric : {"auroc", "auprc"}
        A key of :data:`SCORE_METRICS`; another name is a ValueError.

    Returns
    -------
    np.ndarray, shape (n_boot,)
        The bootstrap differences (seeded: the same call gives the same array).
    """
    if metric not in SCORE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(SCORE_METRICS)}")
    score = SCORE_METRICS[metric]
    y, p_a, p_b = np.asarray(y), np.asarray(p_a), np.asarray(p_b)
    pos, neg, w, v = _stratified_draws(y, n_boot, seed)
    out = np.empty(n_boot)
    for k in range(n_boot):
        i = np.concatenate([np.repeat(pos, w[k]), np.repeat(neg, v[k])])
        out[k] = score(y[i], p_a[i]) - score(y[i], p_b[i])
    return out


@torch.no_grad()
def predict_proba(model: nn.Module, X: np.ndarray | torch.Tensor, *, batch_size: int = 1024) -> np.ndarray:
    """Positive-class probability.

    Parameters
    ----------
    model : nn.Module
    X : array or tensor, shape (N, 4, L)

    Returns
    -------
    np.ndarray, float32, shape (N,)
    """
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    X = torch.as_tensor(X, dtype=torch.float32)
    out = []
    for i in range(0, len(X), batch_size):
        logits = model(X[i : i + batch_size].to(dev))
        out.append(torch.softmax(logits, dim=1)[:, 1].cpu())
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def evaluate(model: nn.Module, split: Split, *, ci: bool = True) -> dict:
    """Metrics of ``model`` on a split, with bootstrap 95% intervals (see :func:`metrics`)."""
    _check_length(model, split)
    return metrics(split.labels, predict_proba(model, split.X), ci=ci)


def _check_length(model: nn.Module, split: Split) -> None:
    L = model.config.seq_len
    bad = [i for i, s in enumerate(split.seqs) if len(s) != L]
    if bad:
        i = bad[0]
        raise ValueError(
            f"sequence {split.ids[i]!r} is {len(split.seqs[i])} bp but the model takes {L} bp; "
            "center-crop or pad it first (demolib.data.fit_length)"
        )


def fit(
    config: ModelConfig,
    dataset: Dataset,
    train_config: TrainConfig | None = None,
    *,
    device: str | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a model from scratch and keep the epoch with the best validation AUROC.

    Parameters
    ----------
    config : ModelConfig
        Architecture; ``config.seq_len`` must equal the dataset's length.
    dataset : Dataset
        Uses ``dataset.train`` to fit and ``dataset.valid`` to select.
    train_config : TrainConfig, optional
        Defaults to :func:`default_train_config` for the architecture.

    Returns
    -------
    TrainResult
        The best model (eval mode, CPU), the per-epoch history
        (``epoch, train_loss, valid_auroc, valid_auprc, lr, seconds``, plus
        ``passes`` and ``steps`` when a round is more than one pass) and the
        best epoch's validation metrics.
    """
    tc = train_config or default_train_config(config.arch)
    if dataset.length != config.seq_len:
        raise ValueError(f"dataset {dataset.name} has {dataset.length}-bp sequences, model expects {config.seq_len}")
    seed_everything(tc.seed)
    dev = _device(device)
    model = build_model(config).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=tc.lr_step, gamma=tc.lr_decay)
    Xtr = torch.as_tensor(dataset.train.X)
    ytr = torch.as_tensor(dataset.train.labels)
    Xva = dataset.valid.X
    gen = torch.Generator().manual_seed(tc.seed)
    loss_fn = nn.CrossEntropyLoss()
    plan = schedule(tc, len(Xtr))
    batch, passes = plan["batch_size"], plan["passes"]  # passes over the data per round
    cap = plan.get("max_steps")  # max_steps or max_samples, where one of them binds
    history: list[dict] = []
    best = (-1.0, 0, None, {})
    steps = 0
    t0 = time.perf_counter()
    bar = tqdm(range(1, tc.epochs + 1), desc=f"{config.arch} {dataset.name}", disable=not progress, leave=False)
    for epoch in bar:
        te = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for _ in range(passes):
            perm = torch.randperm(len(Xtr), generator=gen)
            for i in range(0, len(perm), batch):
                if cap is not None and steps >= cap:
                    break
                idx = perm[i : i + batch]
                xb, yb = Xtr[idx], ytr[idx]
                if tc.rc_augment:
                    flip = torch.rand(len(idx), generator=gen) < 0.5
                    xb = torch.where(flip[:, None, None], xb.flip(1, 2), xb)
                xb, yb = xb.to(dev), yb.to(dev)
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
                opt.step()
                steps += 1
                total += loss.detach().item() * len(idx)
                count += len(idx)
        lr = opt.param_groups[0]["lr"]
        sched.step()
        va = metrics(dataset.valid.labels, predict_proba(model, Xva))
        row = {
            "epoch": epoch,
            "train_loss": total / max(count, 1),
            "valid_auroc": va["auroc"],
            "valid_auprc": va["auprc"],
            "lr": lr,
            "seconds": time.perf_counter() - te,
        }
        if passes > 1 or batch != 256 or tc.max_steps is not None or cap is not None:  # the shipped sets: as before
            row.update(passes=passes, steps=steps, batch_size=batch)
        history.append(row)
        bar.set_postfix(loss=f"{row['train_loss']:.3f}", auroc=f"{va['auroc']:.3f}")
        if va["auroc"] > best[0]:
            best = (va["auroc"], epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, va)
        if epoch >= max(tc.min_epochs, 1) and epoch - best[1] >= tc.patience:
            break
        if cap is not None and steps >= cap:
            break
    model = model.cpu()
    model.load_state_dict(best[2])
    model.eval()
    return TrainResult(model, history, best[1], best[3], time.perf_counter() - t0)


def replay_early_stop(history: list[dict], patience: int, min_epochs: int = 0) -> tuple[int, int, float]:
    """Replay :func:`fit`'s stopping rule on a recorded history (chapter 05).

    Training is deterministic and the rule does not change the epochs before
    it fires, so this is exactly where a run with another ``patience`` or
    ``min_epochs`` would have stopped.

    Returns
    -------
    (stop epoch, best epoch, best validation AUROC)
    """
    best_auc, best_ep = -1.0, 0
    for h in history:
        if h["valid_auroc"] > best_auc:
            best_auc, best_ep = h["valid_auroc"], h["epoch"]
        if h["epoch"] >= max(min_epochs, 1) and h["epoch"] - best_ep >= patience:
            break
    return h["epoch"], best_ep, best_auc


def stop_reason(history: list[dict], tc: TrainConfig | dict) -> str:
    """Why :func:`fit` ended a run with this ``history`` (chapter 05).

    Returns
    -------
    str
        ``"step budget"`` (``max_steps`` or ``max_samples`` reached), ``"patience"`` (no new best
        validation AUROC for ``patience`` rounds) or ``"epoch cap"`` (all
        ``epochs`` rounds ran).  The step budget is checked first, as
        :func:`fit` checks it within the round.
    """
    d = {**TrainConfig().to_dict(), **(tc.to_dict() if isinstance(tc, TrainConfig) else tc)}
    last = history[-1]
    cap = step_cap(d, last.get("batch_size", 256))
    if cap is not None and last.get("steps", 0) >= cap:
        return "step budget"
    stop, best, _ = replay_early_stop(history, d["patience"], d["min_epochs"])
    fired = stop >= max(d["min_epochs"], 1) and stop - best >= d["patience"]
    return "patience" if fired and stop == last["epoch"] else "epoch cap"


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------
_CHECKPOINT_FILES = ("checkpoint.json", "weights.pt")


def _check_replaceable(path: Path) -> None:
    """``path`` may become a checkpoint: absent, or a directory holding nothing but a checkpoint's files."""
    if not (path.exists() or path.is_symlink()):
        return
    if not path.is_dir():
        raise ValueError(f"{path}: exists and is not a directory; a checkpoint is a directory, choose another path")
    other = sorted(p.name for p in path.iterdir() if p.name not in _CHECKPOINT_FILES)
    if other:
        raise ValueError(
            f"{path}: directory holds {len(other)} file(s) that are not part of a checkpoint (e.g. {other[0]!r}); "
            "not replacing it; choose a new directory"
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into_place(tmp: Path, path: Path) -> None:
    """Rename directory ``tmp`` to ``path``; a previous checkpoint there is renamed
    away first, put back if the second rename fails, and removed after."""
    try:
        os.rename(tmp, path)  # absent target, or an empty directory (POSIX replaces it)
        return
    except OSError as e:
        if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    _check_replaceable(path)
    old = path.with_name(f".{path.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old, path)
        raise
    try:
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:  # Ctrl-C while removing: finish removing, then stop
        shutil.rmtree(old, ignore_errors=True)
        raise


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    train_config: TrainConfig | dict | None = None,
    metrics: dict | None = None,
    history: list[dict] | None = None,
    provenance: dict | None = None,
) -> Path:
    """Write ``weights.pt`` and ``checkpoint.json`` into directory ``path``, atomically as a pair.

    Both files are written into a temporary sibling directory that is then
    renamed to ``path``; a previous checkpoint at ``path`` is renamed away
    first and removed after.  A crash or Ctrl-C leaves the previous checkpoint
    (or none) and no temporary directory, never weights of one run beside the
    metadata of another.  ``path`` must not be a file, nor a directory holding
    other files (``ValueError``).
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    _check_replaceable(target)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    buf = io.BytesIO()  # saved from memory, so the archive's inner name (and the bytes) never depend on a temp name
    torch.save(state, buf)
    tc = train_config.to_dict() if isinstance(train_config, TrainConfig) else (train_config or {})
    meta = {
        "format": FORMAT_VERSION,
        "model_config": model.config.to_dict(),
        "train_config": tc,
        "metrics": metrics or {},
        "history": history or [],
        "provenance": {
            **(provenance or {}),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        atomic_write(tmp / "weights.pt", buf.getvalue())
        atomic_write_json(tmp / "checkpoint.json", meta)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700
        _move_into_place(tmp, target)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError) and e.errno is not None and str(e.filename or "").startswith(str(tmp)):
            # name the checkpoint's file, not the temporary directory
            named = target if Path(e.filename) == tmp else target / Path(e.filename).name
            raise type(e)(e.errno, e.strerror, str(named)) from None
        raise
    return path


def _first_line(e: BaseException) -> str:
    """``Type: first non-empty line of the message`` (just ``Type`` for an empty message)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__


def _state_mismatch(expected: dict, got: dict) -> str:
    """One line saying how state dict ``got`` differs from ``expected`` ('' if it fits)."""

    def some(items: list[str], n: int = 3) -> str:
        return ", ".join(items[:n]) + (", ..." if len(items) > n else "")

    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    shapes = [f"{k} is {tuple(got[k].shape)} in the file, {tuple(v.shape)} in the model"
              for k, v in expected.items() if k in got and tuple(got[k].shape) != tuple(v.shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing tensor(s): {some(missing)}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected tensor(s): {some(unexpected)}")
    if shapes:
        parts.append(f"{len(shapes)} tensor(s) of another shape: {some(shapes, 2)}")
    return "; ".join(parts)


def load_checkpoint(path: str | Path, *, arch: str | None = None) -> Checkpoint:
    """Load a checkpoint directory written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : directory with ``checkpoint.json`` and ``weights.pt``
    arch : str, optional
        If given, the checkpoint must be of this architecture.

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
        Missing files, a malformed ``checkpoint.json``, weights that do not
        fit the config (the message says which tensors differ), or another
        architecture than ``arch``.  A ``checkpoint.json`` without the
        ``provenance`` block loads (``Checkpoint.provenance`` is empty).
    """
    path = Path(path)
    meta = read_checkpoint_meta(path)
    meta_p, w_p = path / "checkpoint.json", path / "weights.pt"
    try:
        config = ModelConfig.from_dict(meta["model_config"])
    except KeyError as e:
        raise ValueError(f"{meta_p}: malformed checkpoint metadata (no {e} block)") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"{meta_p}: malformed checkpoint metadata ({e})") from None
    if arch is not None and config.arch != arch:
        raise ValueError(f"{path}: checkpoint holds a {config.arch} model, not {arch}")
    try:
        state = torch.load(w_p, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises UnpicklingError / RuntimeError variants
        raise ValueError(f"{w_p}: cannot read weights safely ({_first_line(e)})") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise ValueError(f"{w_p}: not a model state_dict (a mapping of tensor names to tensors)")
    model = build_model(config)
    mismatch = _state_mismatch(model.state_dict(), state)
    try:
        if mismatch:
            raise RuntimeError(mismatch)
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(
            f"{w_p}: weights do not match the config in checkpoint.json (a {config.arch} {config.size} model): "
            f"{mismatch or _first_line(e)}; use the weights.pt saved with this checkpoint.json"
        ) from None
    model.eval()
    return Checkpoint(path, model, config, meta["train_config"], meta["metrics"], meta["history"],
                      meta["provenance"])


def committed_dir(tf: str, arch: str, size: str = "medium") -> Path:
    """Directory of a committed checkpoint, e.g. ``data/checkpoints/MAFK-cnn-medium``."""
    return CHECKPOINT_DIR / f"{canonical_name(tf)}-{arch}-{size}"


def load_committed(tf: str, arch: str, size: str = "medium") -> Checkpoint:
    """Load a committed checkpoint; a clear error names what is available."""
    d = committed_dir(tf, arch, size)
    if not d.exists():
        have = sorted(p.name for p in CHECKPOINT_DIR.glob("*")) if CHECKPOINT_DIR.exists() else []
        raise ValueError(f"no committed checkpoint for {tf} {arch} {size}; available: {', '.join(have) or 'none'}")
    return load_checkpoint(d, arch=arch)


def load_or_retrain(ds, arch: str, retrain_dir: str | Path | None = None) -> Checkpoint:
    """The committed medium checkpoint of ``ds``'s TF, or, with ``retrain_dir``, one trained now
    into ``retrain_dir/{TF}-{arch}-medium`` with the settings of ``demo train --tf TF --arch ARCH
    --seed 0`` (chapter 05's RETRAIN=1).
    """
    if retrain_dir is None:
        return load_committed(ds.name, arch)
    from .models import preset

    out = Path(retrain_dir) / f"{ds.name}-{arch}-medium"
    ck, _ = train_dataset_model(ds, preset(arch, "medium", seq_len=ds.length), out,
                                default_train_config(arch, seed=0), progress=False)
    return ck


def committed_datasets(size: str = "medium") -> dict[str, tuple[str, ...]]:
    """Shipped datasets that have committed checkpoints of ``size``, with their architectures.

    Looks for ``data/checkpoints/{dataset}-{arch}-{size}`` (:func:`committed_dir`)
    for every shipped real TF (``data.REAL_TFS + data.DEEPBIND_TFS``) and
    synthetic set (``data.SYNTHETIC_TFS``) and every registered architecture.

    Returns
    -------
    dict dataset name -> tuple of str
        Real TFs in alphabetical order, then ``synthetic-*`` sets; the
        architectures in registry order.  Datasets without any such
        checkpoint are left out.
    """
    from .architectures import ARCHS
    from .data import ALL_REAL_TFS, SYNTHETIC_TFS

    names = sorted(ALL_REAL_TFS) + [f"synthetic-{t}" for t in SYNTHETIC_TFS]
    out = {}
    for name in names:
        archs = tuple(a for a in ARCHS if committed_dir(name, a, size).is_dir())
        if archs:
            out[name] = archs
    return out


def train_dataset_model(
    dataset: Dataset,
    config: ModelConfig,
    out: str | Path,
    train_config: TrainConfig | None = None,
    *,
    progress: bool = True,
    device: str | None = None,
) -> tuple[Checkpoint, dict]:
    """Train, evaluate on the test split and save a checkpoint; return it with test metrics."""
    tc = train_config or default_train_config(config.arch)
    res = fit(config, dataset, tc, progress=progress, device=device)
    test = evaluate(res.model, dataset.test)
    m = {"test": test, "valid": res.valid, "best_epoch": res.best_epoch, "train_seconds": round(res.seconds, 1)}
    prov = {"dataset": dataset.name, **dataset.provenance, "counts": dataset.counts()}
    save_checkpoint(out, res.model, train_config=tc, metrics=m, history=res.history, provenance=prov)
    return load_checkpoint(out), test
