"""Training, evaluation and checkpoints.

Adam on minibatches of 256, gradient clipping, step learning-rate decay,
early stopping on validation AUROC, reverse-complement augmentation, all
seeded: the same command gives the same weights and metrics on the CPU.

A checkpoint is a directory with ``weights.pt`` (a plain ``state_dict``,
read back with ``torch.load(weights_only=True)``, so loading never unpickles
arbitrary objects) and ``checkpoint.json`` (model config, training config,
metrics, per-epoch history and data provenance).  Both files are written
atomically.
"""
from __future__ import annotations

import dataclasses
import io
import json
import platform
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
from .utils import atomic_write, atomic_write_json, seed_everything

__all__ = [
    "TrainConfig",
    "default_train_config",
    "TrainResult",
    "Checkpoint",
    "fit",
    "predict_proba",
    "metrics",
    "evaluate",
    "save_checkpoint",
    "load_checkpoint",
    "committed_dir",
    "load_committed",
    "CHECKPOINT_DIR",
]

CHECKPOINT_DIR = DATA_DIR / "checkpoints"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs.
    batch_size : int
        Minibatch size (256 in the reference code).
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
    batch_size: int = 256
    lr: float = 1e-3
    lr_decay: float = 0.5
    lr_step: int = 10
    grad_clip: float = 5.0
    weight_decay: float = 0.0
    patience: int = 8
    min_epochs: int = 0
    rc_augment: bool = True
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_train_config(arch: str, **overrides) -> TrainConfig:
    """Settings that train each architecture reliably on a few thousand peaks.

    The RNN gets a higher learning rate, slower decay and a long minimum
    training time to get past its initial plateau.
    """
    base = {
        "cnn": dict(epochs=30, lr=1e-3, patience=8),
        "cnn-rnn": dict(epochs=30, lr=1e-3, patience=8),
        # lr 3e-3 held for 40 epochs: on MAFK the BiLSTM leaves the AUROC-0.5
        # plateau around epoch 30 (an lr halved at epoch 20 kept it there past 50).
        "rnn": dict(epochs=100, lr=3e-3, lr_step=40, patience=15, min_epochs=60),
    }[arch]
    return TrainConfig(**{**base, **overrides})


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


def metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """AUROC, AUPRC and accuracy (threshold 0.5) of probabilities ``p`` for labels ``y``."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    both = len(np.unique(y)) == 2
    return {
        "auroc": float(roc_auc_score(y, p)) if both else float("nan"),
        "auprc": float(average_precision_score(y, p)) if both else float("nan"),
        "accuracy": float(((p >= 0.5).astype(int) == y).mean()),
        "n": int(len(y)),
    }


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


def evaluate(model: nn.Module, split: Split) -> dict:
    """Metrics of ``model`` on a split (see :func:`metrics`)."""
    _check_length(model, split)
    return metrics(split.labels, predict_proba(model, split.X))


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
        (``epoch, train_loss, valid_auroc, valid_auprc, lr, seconds``) and the
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
    history: list[dict] = []
    best = (-1.0, 0, None, {})
    t0 = time.perf_counter()
    bar = tqdm(range(1, tc.epochs + 1), desc=f"{config.arch} {dataset.name}", disable=not progress, leave=False)
    for epoch in bar:
        te = time.perf_counter()
        model.train()
        perm = torch.randperm(len(Xtr), generator=gen)
        total, count = 0.0, 0
        for i in range(0, len(perm), tc.batch_size):
            idx = perm[i : i + tc.batch_size]
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
            total += loss.detach().item() * len(idx)
            count += len(idx)
        lr = opt.param_groups[0]["lr"]
        sched.step()
        va = metrics(dataset.valid.labels, predict_proba(model, Xva))
        history.append(
            {
                "epoch": epoch,
                "train_loss": total / count,
                "valid_auroc": va["auroc"],
                "valid_auprc": va["auprc"],
                "lr": lr,
                "seconds": time.perf_counter() - te,
            }
        )
        bar.set_postfix(loss=f"{total / count:.3f}", auroc=f"{va['auroc']:.3f}")
        if va["auroc"] > best[0]:
            best = (va["auroc"], epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, va)
        if epoch >= max(tc.min_epochs, 1) and epoch - best[1] >= tc.patience:
            break
    model = model.cpu()
    model.load_state_dict(best[2])
    model.eval()
    return TrainResult(model, history, best[1], best[3], time.perf_counter() - t0)


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------
def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    train_config: TrainConfig | dict | None = None,
    metrics: dict | None = None,
    history: list[dict] | None = None,
    provenance: dict | None = None,
) -> Path:
    """Write ``weights.pt`` and ``checkpoint.json`` into directory ``path`` (atomically)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    buf = io.BytesIO()  # saved from memory, so the archive's inner name (and the bytes) never depend on a temp name
    torch.save(state, buf)
    atomic_write(path / "weights.pt", buf.getvalue())
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
    atomic_write_json(path / "checkpoint.json", meta)
    return path


def load_checkpoint(path: str | Path, *, arch: str | None = None) -> Checkpoint:
    """Load a checkpoint directory written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : directory with ``checkpoint.json`` and ``weights.pt``
    arch : str, optional
        If given, the checkpoint must be of this architecture.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing files, a malformed ``checkpoint.json``, weights that do not
        fit the config, or another architecture than ``arch``.
    """
    path = Path(path)
    meta_p, w_p = path / "checkpoint.json", path / "weights.pt"
    for p in (meta_p, w_p):
        if not p.exists():
            raise FileNotFoundError(f"{path}: not a demolib checkpoint (missing {p.name})")
    try:
        meta = json.loads(meta_p.read_text())
        config = ModelConfig.from_dict(meta["model_config"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{meta_p}: malformed checkpoint metadata ({e})") from None
    if arch is not None and config.arch != arch:
        raise ValueError(f"{path}: checkpoint holds a {config.arch} model, not {arch}")
    try:
        state = torch.load(w_p, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises UnpicklingError / RuntimeError variants
        raise ValueError(f"{w_p}: cannot read weights safely ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    model = build_model(config)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"{w_p}: weights do not match the config in checkpoint.json ({str(e).splitlines()[0]})") from None
    model.eval()
    return Checkpoint(path, model, config, meta.get("train_config", {}), meta.get("metrics", {}),
                      meta.get("history", []), meta.get("provenance", {}))


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
