"""Data of the static site's Deep Motif Dashboard (chapter 11 and the method chapters).

Torch cannot run in a browser, so the book's kernel-free dashboard is
computed here, once, and drawn in the browser by
``book/_static/dashboard/viewer.js``.  This module has one job: compute the
dashboard's numbers with the library and write them compactly.

:func:`dashboard_payload`
    For one dataset: a seeded sample of positive test sequences, and for every
    committed medium model P(bound), per-position scores of every registered
    attribution method that applies (:data:`demolib.attribution.ATTRIBUTIONS`;
    the others recorded with the reason), forward and backward temporal
    output scores (recurrent models), the class-optimised PWM, the JASPAR
    sites found by :func:`demolib.motifs.find_sites`, planted sites
    (synthetic sets) and the known motif.  Plain arrays and dicts.
:func:`encode_payload` / :func:`decode_payload`
    The compact JSON form (quantized arrays, base64) and back.
:func:`build`
    Every dataset of :func:`demolib.train.committed_datasets` into
    ``book/_static/dashboard/<dataset>.json`` plus ``index.json``; resumable
    (existing files are kept unless ``force``), atomic writes, tqdm progress.
    ``python -m demolib.static_dashboard [--datasets ...] [--out ...] [--force]``
    and ``make dashboard-data`` run it.
:func:`embed`
    The dashboard as an IPython HTML object for a chapter cell.

Quantization (what is lost, and why it is invisible)
----------------------------------------------------
Per-position scores are drawn as heatmap rows normalised to their own
maximum, exactly as :func:`demolib.plots.saliency_map` does.  Each (sequence,
method, model) row is stored as uint8 (int8 if the row has negative values)
with one scale per row, ``value = q * scale``, ``scale = max|row| / 255``
(127 for int8).  Rounding moves a value by at most half a step; one more
rule, the row's first maximum is kept strictly above every earlier value (so
the top position of the stored row is that of the exact row), can move an
earlier value down by one step.  The maximum error is therefore **one step,
1/255 (0.4 %) of the row's maximum** (1/127 of max|row| for int8), smaller
than one of the colormap's 256 levels.  Temporal output scores (probabilities)
are stored as uint8 ``q / 255`` with the side of 0.5 kept (a value below 0.5
is stored at most 127, one at or above 0.5 at least 128), again at most one
step (0.004) from the exact value, so the colour (blue / red) and the flip
point are those of the exact scores.  P(bound) is stored exactly (float32
values as JSON numbers), logo heights and PWMs to 1e-4.
:func:`max_quantization_error` states the bound; the tests check it against
the library.

Sample: ``n`` (default 200) positive test sequences drawn without replacement
by ``numpy.random.default_rng(seed)`` (default seed 0) from the positives of
the dataset's test split, kept in test-split order; all of them when there
are fewer.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import __version__
from .data import ALPHABET, DATA_DIR, Motif, Site, jaspar_motif, known_tf, load_dataset

__all__ = [
    "FORMAT",
    "OUT_DIR",
    "SIZE_BUDGET",
    "PANELS",
    "sample_indices",
    "motif_of",
    "dashboard_payload",
    "quantize_rows",
    "quantize_probability",
    "max_quantization_error",
    "encode_payload",
    "decode_payload",
    "glyph_paths",
    "index_payload",
    "write_dataset",
    "write_index",
    "build",
    "load_index",
    "embed",
    "main",
]

FORMAT = 1
"""Version of the JSON layout (bumped when viewer.js must change with it)."""

OUT_DIR = Path(__file__).resolve().parent.parent / "book" / "_static" / "dashboard"
"""Where the payload is committed; Sphinx copies it to ``_static/dashboard/`` of the site."""

SIZE_BUDGET = 15_000_000
"""Bytes allowed for all payload files together (index and datasets)."""

PANELS = ("classopt",)
"""Dashboard panels that are not attribution methods: the class-optimised logo."""

_ROOT = DATA_DIR.parent


# --------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------
def sample_indices(n_positives: int, n: int = 200, seed: int = 0) -> np.ndarray:
    """Indices (among the positive test sequences) of the dashboard's sample.

    Parameters
    ----------
    n_positives : int
    n : int
        Sample size; all positives when there are at most ``n``.
    seed : int

    Returns
    -------
    np.ndarray, int64, shape (min(n, n_positives),)
        Sorted (test-split order).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if n_positives <= n:
        return np.arange(n_positives, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_positives, size=n, replace=False)).astype(np.int64)


def motif_of(dataset: str) -> Motif:
    """The known JASPAR motif of a dataset (``synthetic-GATA1`` -> GATA1's)."""
    return jaspar_motif(known_tf(dataset))


def _sites(sites: Sequence[Site]) -> list[list[int]]:
    return [[int(s.start), int(s.end), int(s.strand)] for s in sorted(sites, key=lambda t: (t.start, t.end, -t.strand))]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rel(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(_ROOT).as_posix()
    except ValueError:
        return str(path)


def _classopt_reader():
    """The dashboard's class-optimisation reader (``cached_classopt``) and its cache folder:
    the one place this module imports them."""
    from . import dashboard

    return dashboard.cached_classopt, Path(dashboard.CLASSOPT_DIR)


def _classopt_path(dataset: str, arch: str) -> Path:
    """The cache file the reader looks for (``{dataset}_{arch}.npy``)."""
    from .data import canonical_name

    return _classopt_reader()[1] / f"{canonical_name(dataset)}_{arch}.npy"


def _classopt(dataset: str, arch: str) -> tuple[np.ndarray, dict]:
    """Class-optimised PWM of a committed model through the dashboard's reader, and its source
    (the cache file and its SHA-256; ``None`` when the reader had to compute it)."""
    path = _classopt_path(dataset, arch)
    source = {"file": _rel(path), "sha256": _sha256(path)} if path.exists() else {"file": None, "sha256": None}
    return np.asarray(_classopt_reader()[0](dataset, arch), dtype=np.float64), source


def dashboard_payload(
    dataset: str,
    *,
    n: int = 200,
    seed: int = 0,
    archs: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    models: Mapping[str, Any] | None = None,
    threads: int | None = 1,
    progress: bool = False,
) -> dict:
    """Everything the static dashboard shows for one dataset, as plain arrays.

    Parameters
    ----------
    dataset : str
        A shipped dataset with committed medium checkpoints ("MAFK",
        "synthetic-GATA1", ...).
    n, seed : int
        The sample of positive test sequences (:func:`sample_indices`).
    archs : sequence of str, optional
        Architectures (default: every one with a committed medium checkpoint,
        :func:`demolib.train.committed_datasets`).
    methods : sequence of str, optional
        Registered attribution methods (default: all of
        :data:`demolib.attribution.ATTRIBUTIONS`).
    models : dict arch -> nn.Module, optional
        Instead of the committed checkpoints (tests).
    threads : int or None
        torch intra-op threads while computing.
    progress : bool
        A tqdm bar over (architecture, method).

    Returns
    -------
    dict
        ``dataset``, ``tf``, ``kind`` ("real"/"synthetic"), ``length`` L,
        ``n_positives``, ``sample`` (N,) indices among the positives,
        ``ids`` (N,), ``seqs`` (N,) str, ``motif`` {id, name, pwm (w, 4),
        heights (w, 4)}, ``sites`` (N lists of [start, end, strand]: JASPAR
        scan), ``planted`` (same, or None for real data), ``archs``, and
        ``models`` {arch: {``prob`` (N,), ``methods`` {name: per_position
        (N, L) float32 | reason str}, ``temporal`` {forward, backward (N, L)}
        (recurrent only), ``classopt`` {pwm (L', 4), heights (L', 4),
        window start, k, source}, ``checkpoint`` {dir, sha256}}}, and
        ``settings``.
    """
    from tqdm.auto import tqdm

    from .attribution import ATTRIBUTIONS, attribute, method as _method, why_not
    from .interpret import temporal_scores
    from .models import is_recurrent
    from .motifs import find_sites, max_ic_window
    from .plots import logo_heights
    from .train import committed_datasets, committed_dir, load_committed
    from .utils import torch_threads

    methods = list(ATTRIBUTIONS) if methods is None else [_method(m).name for m in methods]
    committed = models is None
    if committed:
        have = committed_datasets().get(dataset, ())
        archs = tuple(have) if archs is None else tuple(archs)
        missing = [a for a in archs if a not in have]
        if missing or not archs:
            raise ValueError(f"{dataset}: no committed medium checkpoint for {missing or 'any architecture'}; "
                             f"committed: {committed_datasets()}")
        models = {a: load_committed(dataset, a).model for a in archs}
    else:
        archs = tuple(models) if archs is None else tuple(archs)
    ds = load_dataset(dataset)
    pos = ds.test.positives()
    idx = sample_indices(len(pos), n, seed)
    split = pos.subset(idx)
    X = split.X
    motif = motif_of(dataset)
    synthetic = dataset.startswith("synthetic-")
    out: dict[str, Any] = {
        "dataset": dataset,
        "tf": motif.name,
        "kind": "synthetic" if synthetic else "real",
        "length": int(X.shape[2]),
        "n_positives": int(len(pos)),
        "sample": idx,
        "ids": list(split.ids),
        "seqs": list(split.seqs),
        "motif": {"id": motif.id, "name": motif.name, "pwm": motif.pwm, "heights": logo_heights(motif.pwm)},
        "sites": [_sites(s) for s in find_sites(split.seqs, [motif])],
        "planted": [_sites(s) for s in split.sites] if synthetic else None,
        "archs": list(archs),
        "models": {},
        "settings": {"n": int(n), "seed": int(seed), "size": "medium", "methods": methods,
                     "method_settings": "registry defaults", "threads": threads,
                     "sites": "demolib.motifs.find_sites(seqs, [JASPAR motif]), default threshold"},
    }
    todo = [(a, m) for a in archs for m in methods]
    bar = tqdm(total=len(todo) + len(archs), desc=dataset, disable=not progress, leave=False)
    with torch_threads(threads):
        for a in archs:
            model = models[a].eval()
            rec: dict[str, Any] = {"methods": {}}
            d = committed_dir(dataset, a)
            if committed:
                rec["checkpoint"] = {"dir": _rel(d), "sha256": _sha256(d / "weights.pt")}
            prob = None
            for m in methods:
                bar.set_postfix_str(f"{a} {m}")
                reason = why_not(m, model)
                if reason is not None:
                    rec["methods"][m] = reason
                else:
                    att = attribute(model, X, m)
                    rec["methods"][m] = np.asarray(att.per_position, dtype=np.float32)
                    if prob is None:
                        prob = np.asarray(att.prob, dtype=np.float32)
                bar.update()
            if prob is None:
                from .train import predict_proba

                prob = np.asarray(predict_proba(model, X), dtype=np.float32)
            rec["prob"] = prob
            if is_recurrent(model):
                tm = temporal_scores(model, X)
                rec["temporal"] = {"forward": np.asarray(tm.forward, dtype=np.float32),
                                   "backward": np.asarray(tm.backward, dtype=np.float32)}
            if committed:  # the class-optimised PWM belongs to the committed model
                pwm, source = _classopt(dataset, a)
                k = min(motif.width, len(pwm))
                rec["classopt"] = {"pwm": pwm, "heights": logo_heights(pwm), "window": int(max_ic_window(pwm, k)),
                                   "k": int(k), "source": source}
            bar.update()
            out["models"][a] = rec
    bar.close()
    return out


# --------------------------------------------------------------------------
# Encode (quantize) and decode
# --------------------------------------------------------------------------
def quantize_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Quantize each row to 8 bits with its own scale (module docstring).

    Parameters
    ----------
    a : array, shape (N, L)

    Returns
    -------
    q : np.ndarray, uint8 or int8, shape (N, L)
    scale : np.ndarray, float64, shape (N,)
        ``a ~ q * scale[:, None]``; a row of zeros gets scale 1.
    dtype : str
        "uint8" (no negative value) or "int8".
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected shape (N, L), got {a.shape}")
    signed = bool((a < 0).any())
    top = 127 if signed else 255
    m = np.abs(a).max(axis=1) if a.size else np.zeros(len(a))
    # scales rounded to 6 significant digits (short JSON); q is computed with the rounded scale
    scale = np.array([float(f"{x / top:.6g}") if x > 0 else 1.0 for x in m])
    q = np.clip(np.rint(a / scale[:, None]), -top if signed else 0, top)
    # explicit tie-breaking: the row's first maximum stays strictly above every earlier value
    for i, row in enumerate(a):
        if row.size == 0:
            continue
        j = int(np.argmax(row))
        if j:
            q[i, :j] = np.minimum(q[i, :j], q[i, j] - 1)
    q = q.astype(np.int8 if signed else np.uint8)
    return q, scale, "int8" if signed else "uint8"


def quantize_probability(p: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] -> uint8 ``q`` with ``p ~ q / 255``, the side of 0.5 kept.

    Parameters
    ----------
    p : array, shape (N, L)

    Returns
    -------
    np.ndarray, uint8, shape (N, L)
        ``q <= 127`` where ``p < 0.5`` and ``q >= 128`` elsewhere; at most
        one step (1/255) from ``p``.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    q = np.rint(p * 255)
    q = np.where(p < 0.5, np.minimum(q, 127), np.maximum(q, 128))
    return q.astype(np.uint8)


def max_quantization_error(scale: np.ndarray | float | None = None) -> np.ndarray | float:
    """The largest difference between a stored and an exact value.

    One step: ``scale`` for per-position rows (per row), ``1/255`` for
    probabilities (``scale=None``).
    """
    return 1.0 / 255 if scale is None else np.asarray(scale, dtype=np.float64)


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _unb64(s: str, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=dtype).reshape(shape)


def _round(a: np.ndarray, digits: int = 4) -> list:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def encode_payload(p: Mapping) -> dict:
    """The JSON form of :func:`dashboard_payload`'s result (quantized, base64).

    Arrays (N, L) become ``{"dtype", "shape", "data"}`` (base64 of the
    row-major bytes) with ``"scale"`` (N,) for per-position rows; see the
    module docstring for the error bounds.
    """
    N, L = len(p["seqs"]), int(p["length"])
    models = {}
    for a, rec in p["models"].items():
        r: dict[str, Any] = {"prob": [float(x) for x in np.asarray(rec["prob"], dtype=np.float32)], "methods": {}}
        for m, v in rec["methods"].items():
            if isinstance(v, str):
                r["methods"][m] = {"not_applicable": v}
                continue
            q, scale, dtype = quantize_rows(v)
            r["methods"][m] = {"dtype": dtype, "shape": [N, L], "scale": scale.tolist(), "data": _b64(q)}
        if "temporal" in rec:
            r["temporal"] = {k: {"dtype": "uint8", "shape": [N, L], "scale": 1 / 255,
                                 "data": _b64(quantize_probability(rec["temporal"][k]))}
                             for k in ("forward", "backward")}
        if "classopt" in rec:
            c = rec["classopt"]
            r["classopt"] = {"pwm": _round(c["pwm"]), "heights": _round(c["heights"]), "window": c["window"],
                             "k": c["k"], "source": c["source"]}
        if "checkpoint" in rec:
            r["checkpoint"] = rec["checkpoint"]
        models[a] = r
    mo = p["motif"]
    return {
        "format": FORMAT,
        "library_version": __version__,
        "dataset": p["dataset"],
        "tf": p["tf"],
        "kind": p["kind"],
        "length": L,
        "n": N,
        "n_positives": p["n_positives"],
        "sample": [int(i) for i in p["sample"]],
        "ids": list(p["ids"]),
        "seqs": list(p["seqs"]),
        "motif": {"id": mo["id"], "name": mo["name"], "pwm": _round(mo["pwm"]), "heights": _round(mo["heights"])},
        "sites": p["sites"],
        "planted": p["planted"],
        "archs": list(p["archs"]),
        "models": models,
        "settings": {**p["settings"], "quantization": "per-position rows: uint8/int8 with one scale per row, "
                     "error <= 1 step (1/255 of the row maximum); temporal scores: uint8 q/255, side of 0.5 kept"},
    }


def decode_payload(e: Mapping) -> dict:
    """Arrays back from :func:`encode_payload`'s form (the stored, quantized values).

    Returns
    -------
    dict
        As :func:`dashboard_payload`, with per-position rows (N, L) and
        temporal scores (N, L) as float64, and per row ``"scale"`` under
        ``models[arch]["scales"][method]``.
    """
    out = dict(e)
    out["sample"] = np.asarray(e["sample"], dtype=np.int64)
    models = {}
    for a, r in e["models"].items():
        rec = {"prob": np.asarray(r["prob"], dtype=np.float64), "methods": {}, "scales": {}}
        for m, v in r["methods"].items():
            if "not_applicable" in v:
                rec["methods"][m] = v["not_applicable"]
                continue
            q = _unb64(v["data"], v["dtype"], tuple(v["shape"])).astype(np.float64)
            scale = np.asarray(v["scale"], dtype=np.float64)
            rec["methods"][m] = q * scale[:, None]
            rec["scales"][m] = scale
        if "temporal" in r:
            rec["temporal"] = {k: _unb64(t["data"], t["dtype"], tuple(t["shape"])).astype(np.float64) * t["scale"]
                               for k, t in r["temporal"].items()}
        if "classopt" in r:
            rec["classopt"] = {**r["classopt"], "pwm": np.asarray(r["classopt"]["pwm"]),
                               "heights": np.asarray(r["classopt"]["heights"])}
        if "checkpoint" in r:
            rec["checkpoint"] = r["checkpoint"]
        models[a] = rec
    out["models"] = models
    return out


# --------------------------------------------------------------------------
# Index: what the viewer needs besides the datasets
# --------------------------------------------------------------------------
def glyph_paths() -> dict[str, str]:
    """SVG path data of the letter outlines of :func:`demolib.plots.letter_outline`.

    Returns
    -------
    dict letter -> str
        Path in the unit box with y pointing down (SVG), to be scaled to a
        letter's width and height.
    """
    from matplotlib.path import Path as MplPath

    from .plots import letter_outline

    out = {}
    for c in ALPHABET:
        v, codes = letter_outline(c)
        parts = []
        for seg, code in MplPath(v, codes).iter_segments(simplify=False, curves=True):
            xy = [(seg[i], 1.0 - seg[i + 1]) for i in range(0, len(seg), 2)]
            pts = " ".join(f"{x:.4g} {y:.4g}" for x, y in xy)
            if code == MplPath.MOVETO:
                parts.append(f"M{pts}")
            elif code == MplPath.LINETO:
                parts.append(f"L{pts}")
            elif code == MplPath.CURVE3:
                parts.append(f"Q{pts}")
            elif code == MplPath.CURVE4:
                parts.append(f"C{pts}")
            elif code == MplPath.CLOSEPOLY:
                parts.append("Z")
        out[c] = "".join(parts)
    return out


def _colormap(name: str) -> list[str]:
    import matplotlib
    from matplotlib.colors import to_hex

    cmap = matplotlib.colormaps[name]
    return [to_hex(cmap(i)) for i in range(cmap.N)]


def index_payload(entries: Sequence[Mapping]) -> dict:
    """``index.json``: datasets, architectures and methods with their registry
    labels, the colours and colormaps of :mod:`demolib.plots`, the letter glyphs.

    Parameters
    ----------
    entries : records ``{"name", "tf", "kind", "file", "bytes", "n", "archs"}``
    """
    from matplotlib.colors import to_hex

    from .architectures import ARCHITECTURES
    from .attribution import ATTRIBUTIONS
    from . import plots

    return {
        "format": FORMAT,
        "library_version": __version__,
        "datasets": list(entries),
        "archs": [{"name": a.name, "label": a.label} for a in ARCHITECTURES.values()],
        "methods": [{"name": s.name, "label": s.label, "kind": s.kind, "description": s.description}
                    for s in ATTRIBUTIONS.values()],
        "panels": [{"name": "classopt", "label": "Class optimization"}],
        "colors": dict(plots.COLORS),
        "window_shade": to_hex(plots.WINDOW_SHADE),
        "colormaps": {"saliency": _colormap(plots.SALIENCY_CMAP), "signed": _colormap(plots.SIGNED_CMAP),
                      "temporal": _colormap(plots.TEMPORAL_CMAP)},
        "colormap_names": {"saliency": plots.SALIENCY_CMAP, "signed": plots.SIGNED_CMAP,
                           "temporal": plots.TEMPORAL_CMAP},
        "glyphs": glyph_paths(),
        "size_budget_bytes": SIZE_BUDGET,
    }


# --------------------------------------------------------------------------
# Write
# --------------------------------------------------------------------------
def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def write_dataset(payload: Mapping, out: str | Path = OUT_DIR) -> Path:
    """Encode and atomically write one dataset's payload to ``out/<dataset>.json``."""
    from .utils import atomic_write

    return atomic_write(Path(out) / f"{payload['dataset']}.json", _dumps(encode_payload(payload)) + "\n")


def _entry(path: Path) -> dict:
    e = json.loads(path.read_text())
    return {"name": e["dataset"], "tf": e["tf"], "kind": e["kind"], "file": path.name,
            "bytes": path.stat().st_size, "n": e["n"], "n_positives": e["n_positives"], "archs": e["archs"]}


def write_index(out: str | Path = OUT_DIR, datasets: Sequence[str] | None = None) -> Path:
    """Write ``out/index.json`` for the dataset files present (in ``datasets`` order)."""
    from .train import committed_datasets
    from .utils import atomic_write

    out = Path(out)
    names = list(datasets) if datasets is not None else list(committed_datasets())
    entries = [_entry(out / f"{n}.json") for n in names if (out / f"{n}.json").exists()]
    return atomic_write(out / "index.json", _dumps(index_payload(entries)) + "\n")


def build(
    datasets: Sequence[str] | None = None,
    out: str | Path = OUT_DIR,
    *,
    force: bool = False,
    n: int = 200,
    seed: int = 0,
    threads: int | None = 1,
    progress: bool = True,
    log=print,
) -> dict[str, float | None]:
    """Compute and write the payload of every dataset, then the index.

    Parameters
    ----------
    datasets : sequence of str, optional
        Default: every dataset with committed medium checkpoints
        (:func:`demolib.train.committed_datasets`).
    out : path
    force : bool
        Recompute datasets whose file exists (kept otherwise: resumable).
    n, seed, threads : see :func:`dashboard_payload`

    Returns
    -------
    dict dataset -> seconds spent (None: skipped, file kept)
    """
    from tqdm.auto import tqdm

    from .train import committed_datasets

    shipped = committed_datasets()
    names = list(shipped) if datasets is None else list(datasets)
    unknown = [d for d in names if d not in shipped]
    if unknown:
        raise ValueError(f"no committed medium checkpoints for {unknown}; datasets with some: {', '.join(shipped)}")
    out = Path(out)
    seconds: dict[str, float | None] = {}
    for name in tqdm(names, desc="dashboard data", disable=not progress):
        path = out / f"{name}.json"
        if path.exists() and not force:
            seconds[name] = None
            log(f"{name}: {path} exists, kept (--force recomputes it)")
            continue
        t0 = time.perf_counter()
        payload = dashboard_payload(name, n=n, seed=seed, threads=threads, progress=progress)
        write_dataset(payload, out)
        seconds[name] = time.perf_counter() - t0
        log(f"{name}: {path.stat().st_size:,} bytes in {seconds[name]:.1f} s")
    order = list(shipped) + [d for d in names if d not in shipped]
    write_index(out, order)
    total = sum(p.stat().st_size for p in out.glob("*.json"))
    log(f"payload: {total:,} bytes in {out} (budget {SIZE_BUDGET:,})")
    return seconds


def refresh_classopt(datasets: Sequence[str] | None = None, out: str | Path = OUT_DIR, *, log=print) -> list[str]:
    """Rewrite only the class-optimization panels of existing dataset files from the current
    cache (after ``make_results.py classopt`` changed it), leaving every other number as it is:
    the same record :func:`build` would write for them, in seconds instead of minutes.

    Returns
    -------
    list of str
        The datasets whose file changed.
    """
    from .motifs import max_ic_window
    from .plots import logo_heights
    from .utils import atomic_write

    out = Path(out)
    names = list(datasets) if datasets is not None else sorted(p.stem for p in out.glob("*.json") if p.stem != "index")
    changed = []
    for name in names:
        path = out / f"{name}.json"
        if not path.exists():
            raise ValueError(f"{path} does not exist: build it first (python -m demolib.static_dashboard)")
        text = path.read_text()
        e = json.loads(text)
        for a, rec in e["models"].items():
            if "classopt" not in rec:
                continue
            pwm, source = _classopt(name, a)
            k = rec["classopt"]["k"]
            rec["classopt"] = {"pwm": _round(pwm), "heights": _round(logo_heights(pwm)),
                               "window": int(max_ic_window(pwm, k)), "k": k, "source": source}
        new = _dumps(e) + "\n"
        if new != text:
            atomic_write(path, new)
            changed.append(name)
            log(f"{name}: class-optimization panels refreshed")
    write_index(out)
    return changed


def load_index(out: str | Path = OUT_DIR) -> dict:
    """The committed ``index.json`` (a clear error when it was never built)."""
    path = Path(out) / "index.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `make dashboard-data` "
                                "(python -m demolib.static_dashboard)")
    return json.loads(path.read_text())


# --------------------------------------------------------------------------
# Embed in a chapter
# --------------------------------------------------------------------------
_LOADER = (
    "<script>(function(){var w=window;if(w.DemoDashboard){w.DemoDashboard.scan();return;}"
    "if(document.querySelector('script[data-demo-dashboard]'))return;"
    "var r=document.documentElement.getAttribute('data-content_root');if(r===null)r='../';"
    "var s=document.createElement('script');s.src=r+'_static/dashboard/viewer.js';"
    "s.onerror=function(){document.querySelectorAll('div.demo-dashboard:not([data-dd-ready])').forEach(function(d){"
    "d.textContent='(The kernel-free dashboard is part of the built book; with a kernel, use the ipywidgets app.)';});};"
    "s.setAttribute('data-demo-dashboard','');document.head.appendChild(s);})();</script>"
)


def embed(
    dataset: str | None = None,
    methods: Sequence[str] | None = None,
    layout: str = "method",
    *,
    archs: Sequence[str] | None = None,
    index: int = 0,
    out: str | Path = OUT_DIR,
):
    """The static dashboard for a chapter cell (chapters 06-08 and 10).

    The output is a ``<div class="demo-dashboard" data-...>`` and a small
    script that loads ``_static/dashboard/viewer.js`` of the built site (once
    per page, relative to the page's ``data-content_root``); the viewer reads
    ``index.json`` and the chosen dataset's file.  In the book it works
    without a kernel; in a live notebook or voila, where the site's files are
    not served, the div says so in one line: use the ipywidgets apps of
    :mod:`demolib.widgets` there.

    Parameters
    ----------
    dataset : str, optional
        Dataset shown first (default: the first of the index).
    methods : sequence of str, optional
        Rows switched on: registered attribution methods and/or
        ``"classopt"`` (default: the paper's dashboard, ``classopt``,
        ``saliency``, ``temporal``).
    layout : {"method", "arch"}
        Rows grouped by method (the paper's Figure 4) or by architecture.
    archs : sequence of str, optional
        Architectures switched on (default: all).
    index : int
        Sequence shown first (0-based, in the sample).

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    from .architectures import ARCHITECTURES
    from .attribution import ATTRIBUTIONS

    idx = load_index(out)
    names = [d["name"] for d in idx["datasets"]]
    if dataset is not None and dataset not in names:
        raise ValueError(f"unknown dataset {dataset!r}; the static dashboard has {', '.join(names)}")
    known = list(PANELS) + list(ATTRIBUTIONS)
    methods = ["classopt", "saliency", "temporal"] if methods is None else list(methods)
    bad = [m for m in methods if m not in known]
    if bad:
        raise ValueError(f"unknown methods {bad}; choose from {', '.join(known)}")
    if layout not in ("method", "arch"):
        raise ValueError(f"layout must be 'method' or 'arch', got {layout!r}")
    archs = list(ARCHITECTURES) if archs is None else list(archs)
    bad = [a for a in archs if a not in ARCHITECTURES]
    if bad:
        raise ValueError(f"unknown architectures {bad}; choose from {', '.join(ARCHITECTURES)}")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be a non-negative integer, got {index!r}")
    attrs = {"data-dataset": dataset or names[0], "data-methods": ",".join(methods), "data-layout": layout,
             "data-archs": ",".join(archs), "data-index": str(int(index))}
    div = "<div class=\"demo-dashboard\" " + " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
    div += "><noscript>The interactive dashboard needs JavaScript.</noscript></div>"
    return HTML(div + _LOADER)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m demolib.static_dashboard``: see :func:`build`."""
    ap = argparse.ArgumentParser(prog="python -m demolib.static_dashboard",
                                 description="Precompute the static site's dashboard data (book/_static/dashboard).")
    ap.add_argument("--datasets", nargs="+", help="default: every dataset with committed medium checkpoints")
    ap.add_argument("--out", default=str(OUT_DIR), help=f"output folder (default {_rel(OUT_DIR)})")
    ap.add_argument("--force", action="store_true", help="recompute datasets whose file exists")
    ap.add_argument("--n", type=int, default=200, help="positive test sequences per dataset (default 200)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--classopt-only", action="store_true",
                    help="only rewrite the class-optimization panels of existing files from the current cache")
    args = ap.parse_args(argv)
    try:
        if args.classopt_only:
            refresh_classopt(args.datasets, args.out)
            return 0
        build(args.datasets, args.out, force=args.force, n=args.n, seed=args.seed, threads=args.threads)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
