"""Small shared helpers: atomic file writes and seeding."""
from __future__ import annotations

import json
import os
import random
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["atomic_write", "atomic_write_json", "read_checkpoint_meta", "seed_everything", "torch_threads"]


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write a file atomically: to a temporary file beside it, then rename.

    ``data`` is bytes, text, or a function that writes to the temporary path it
    is given (e.g. ``lambda p: torch.save(obj, p)``).  A crash leaves either
    the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        if callable(data):
            os.close(fd)
            data(Path(tmp))
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode() if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None and e.filename is not None and str(e.filename) == tmp:
            # name the user's file, not the temporary one
            raise type(e)(e.errno, e.strerror, str(path)) from None
        raise
    return path


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON (keys in insertion order)."""
    return atomic_write(path, json.dumps(obj, indent=2) + "\n")


def read_checkpoint_meta(path: str | Path) -> dict:
    """``checkpoint.json`` of checkpoint directory ``path``, checked without importing torch.

    Returns the JSON object with the ``train_config``, ``metrics``, ``history``
    and ``provenance`` blocks present (empty when missing).  Raises
    ``NotADirectoryError`` / ``FileNotFoundError`` when ``path`` is not a
    checkpoint directory, ``ValueError`` (naming the file) for JSON that is not
    an object, a block of the wrong type, or an empty ``weights.pt``.  The
    model config and the weights themselves are checked by
    :func:`demolib.train.load_checkpoint`.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path}: is a file; a checkpoint is a directory with checkpoint.json and weights.pt")
    meta_p, w_p = path / "checkpoint.json", path / "weights.pt"
    for p in (meta_p, w_p):
        if not p.exists():
            raise FileNotFoundError(f"{path}: not a demolib checkpoint (missing {p.name})")
    try:
        meta = json.loads(meta_p.read_text())
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{meta_p}: malformed checkpoint metadata ({e})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_p}: malformed checkpoint metadata (expected a JSON object, got a JSON "
                         f"{type(meta).__name__})")
    for key, empty in (("train_config", {}), ("metrics", {}), ("history", []), ("provenance", {})):
        if meta.get(key) is None:
            meta[key] = empty
        if not isinstance(meta[key], type(empty)):
            kind = "object" if isinstance(empty, dict) else "array"
            raise ValueError(f"{meta_p}: malformed checkpoint metadata ({key!r} must be a JSON {kind})")
    if w_p.is_file() and w_p.stat().st_size == 0:
        raise ValueError(f"{w_p}: empty file (0 bytes); the checkpoint is incomplete, train it again or copy it again")
    return meta


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op threads (``None``: leave as is).

    One sequence is far too little work to share between threads: with 2
    threads on a busy 2-core machine a 10 ms saliency call can take seconds
    (threads wait for each other), with 1 thread it stays at milliseconds.
    """
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
