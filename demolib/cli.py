"""Command line: ``demo`` (or ``python -m demolib``).

Subcommands
-----------
datasets   list the shipped datasets with counts
train      train a model on a shipped TF or on your own peak FASTA
evaluate   test metrics of a checkpoint (yours or a committed one)
baselines  PWM-scan and k-mer baselines on a dataset's test split
motifs     extract a motif by one visualization method and compare it with JASPAR
dashboard  write the dashboard figure for one test sequence

``train``, ``evaluate``, ``baselines`` and ``motifs`` print one JSON object on
the last line of stdout.  Exit status: 0 ok; 2 bad arguments or input (one
line on stderr that names the option or file, nothing half-written); 1 an
internal error, i.e. a bug (one line on stderr naming the file that holds the
traceback); 130 interrupted by Ctrl-C (one line, no partial output).
Warnings are printed as one line each (``demo: warning: ...``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["main", "build_parser", "positive_int", "nonneg_int", "train_lock_path"]

from .architectures import ARCHS, SIZES  # the registry, without importing torch
from .dashboard import ALL_METHODS as DASHBOARD_METHODS, METHODS as DASHBOARD_DEFAULT  # the registry + classopt
from .motifs import METHODS as MOTIF_METHODS  # the paper's four + the attribution registry (no torch)
CHECKPOINT_FILES = ("checkpoint.json", "weights.pt")


class UsageError(Exception):
    """A problem with the user's arguments or input: exit 2, one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        # "argument --epochs: must be ..." -> "--epochs must be ..."
        m = re.match(r"argument (\S+?)(?:/\S+)?: (.*)", message, re.S)
        if m:
            message = f"{m.group(1)} {m.group(2)}" if m.group(2).startswith("must") else f"{m.group(1)}: {m.group(2)}"
        raise UsageError(f"{self.prog}: {message.splitlines()[0] if message.strip() else 'bad arguments'}")


# --------------------------------------------------------------------------
# Option types: argparse names the option in the message
# --------------------------------------------------------------------------
def _int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``low`` (and <= ``high``)."""
    if high is not None:
        what = f"an integer in {low}..{high}"
    else:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer >= {low}")

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if v < low or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {v}")
        return v

    parse.__name__ = what
    return parse


positive_int = _int_in(1)
nonneg_int = _int_in(0)
SEED_MAX = 2**32 - 1


def _learning_rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}") from None
    if not (math.isfinite(v) and 0 < v <= 1):
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text}")
    return v


def _device(text: str) -> str:
    """cpu, cuda, cuda:N or mps, and only a device this machine has."""
    kind, colon, index = text.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (colon and (kind != "cuda" or not index.isdigit())):
        raise argparse.ArgumentTypeError(f"must be cpu, cuda, cuda:N or mps, got {text!r}")
    if kind == "cpu":
        return text
    import torch

    if kind == "mps":
        if not torch.backends.mps.is_available():
            raise argparse.ArgumentTypeError("must be a device this machine has: mps is not available; "
                                             "use --device cpu")
        return text
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n == 0:
        raise argparse.ArgumentTypeError(
            f"must be a device this machine has: no CUDA GPU is available (got {text!r}); use --device cpu "
            "or leave --device out"
        )
    if index and int(index) >= n:
        raise argparse.ArgumentTypeError(f"must be a device this machine has: it has {n} CUDA GPU(s), "
                                         f"cuda:0..cuda:{n - 1} (got {text!r})")
    return text


def _arch_list(text: str) -> list[str]:
    archs = [a.strip() for a in text.split(",")]
    bad = [a for a in archs if a not in ARCHS]
    if bad:
        raise argparse.ArgumentTypeError(f"must be a comma-separated list of {', '.join(ARCHS)}, got {text!r}")
    if len(set(archs)) != len(archs):
        raise argparse.ArgumentTypeError(f"must not name an architecture twice, got {text!r}")
    return archs


# --------------------------------------------------------------------------
# Output paths, checked before any work
# --------------------------------------------------------------------------
def _check_parent(out: Path, prog: str, opt: str) -> None:
    """The nearest existing ancestor of ``out`` must be a writable directory."""
    anc = Path(os.path.abspath(out)).parent
    while not (anc.exists() or anc.is_symlink()) and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise UsageError(f"{prog}: {opt} {out}: {anc} is a file, not a directory; choose another {opt}")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise UsageError(f"{prog}: {opt} {out}: cannot write in {anc} (permission denied); choose another {opt}")


def _checkpoint_out(text: str) -> Path:
    """``demo train --out``: absent, or an existing checkpoint (replaced), or an empty directory."""
    prog = "demo train"
    if not text.strip():
        raise UsageError(f"{prog}: --out is empty; give the checkpoint directory to write, e.g. --out runs/mytf")
    out = Path(text)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UsageError(f"{prog}: --out {text}: exists and is not a directory; a checkpoint is a directory, "
                             "choose another --out")
        other = sorted(p.name for p in out.iterdir() if p.name not in CHECKPOINT_FILES)
        if other:
            raise UsageError(f"{prog}: --out {text}: directory holds {len(other)} file(s) that are not part of a "
                             f"checkpoint (e.g. {other[0]!r}); choose a new directory (a checkpoint is replaced)")
    _check_parent(out, prog, "--out")
    return out


def _image_out(text: str) -> Path:
    """``demo dashboard --out``: an image file whose format matplotlib writes."""
    from matplotlib.figure import Figure

    prog = "demo dashboard"
    if not text.strip():
        raise UsageError(f"{prog}: --out is empty; give the image file to write, e.g. --out mafk0.png")
    out = Path(text)
    if out.is_dir():
        raise UsageError(f"{prog}: --out {text}: is a directory; give an image file name, e.g. {out / 'dashboard.png'}")
    formats = Figure().canvas.get_supported_filetypes()
    fmt = out.suffix.lstrip(".").lower()
    if fmt and fmt not in formats:
        raise UsageError(f"{prog}: --out {text}: cannot write .{fmt} images; use one of "
                         + ", ".join("." + f for f in sorted(formats)))
    _check_parent(out, prog, "--out")
    return out


def train_lock_path(out: str | Path) -> Path:
    """The lock file ``demo train`` holds while it trains and writes ``out``: ``<out>.lock`` beside it."""
    out = Path(os.path.abspath(out))
    return out.with_name(out.name + ".lock")


@contextlib.contextmanager
def _train_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``<out>.lock`` (a second writer of
    ``out`` is a UsageError); missing parent directories are created, and removed
    again if nothing was written into them; the lock file is removed at the end."""
    import fcntl

    lock = train_lock_path(out)
    created = []
    d = lock.parent
    while not d.exists():
        created.append(d)
        d = d.parent
    fd = None
    try:
        for c in reversed(created):
            c.mkdir()
        while fd is None:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                fd = None
                raise UsageError(f"demo train: another `demo train` is writing {out}; wait for it or choose "
                                 "another --out") from None
            try:  # the previous holder removes the file when done: lock the file that is there now
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                fd = None
        yield
    finally:
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
            os.close(fd)
        for c in created:  # deepest first; stops at the first that holds something
            try:
                c.rmdir()
            except OSError:
                break


def _json_line(obj: dict) -> None:
    print(json.dumps(obj, sort_keys=False))


def _set_threads(n: int | None) -> None:
    import torch

    if n:
        torch.set_num_threads(n)


def _dataset(args):
    from . import data

    given = [o for o in ("tf", "fasta", "deepbind") if getattr(args, o, None)]
    if len(given) > 1:
        raise UsageError(f"give only one of --tf, --fasta and --deepbind (got --{' and --'.join(given)})")
    if getattr(args, "test", None) and not getattr(args, "deepbind", None):
        raise UsageError("--test goes with --deepbind TRAIN.seq.gz (a DeepBind-format test file)")
    if getattr(args, "deepbind", None):
        if not args.name:
            raise UsageError("--deepbind needs --name (a short name for your TF)")
        return data.deepbind_task(args.deepbind, args.test, args.name, seed=args.seed,
                                  short="pad" if args.pad else "error")
    if getattr(args, "fasta", None):
        if not args.name:
            raise UsageError("--fasta needs --name (a short name for your TF)")
        return data.dataset_from_fasta(args.fasta, args.name, pad=args.pad, seed=args.seed)
    if not args.tf:
        raise UsageError("give --tf NAME (see `demo datasets`), --fasta PEAKS.fa --name NAME "
                         "or --deepbind TRAIN.seq.gz --name NAME")
    return data.load_dataset(args.tf, seed=args.seed)


def cmd_datasets(args) -> int:
    from .data import list_datasets

    rows = list_datasets()
    print(f"{'name':<20} {'kind':<18} {'train':>13} {'valid':>11} {'test':>11}  protocol")
    for r in rows:
        cells = [f"{r[f'{s}_pos']}+{r[f'{s}_neg']}" for s in ("train", "valid", "test")]
        print(f"{r['name']:<20} {r['kind']:<18} {cells[0]:>13} {cells[1]:>11} {cells[2]:>11}  {r['protocol']}")
    print("(counts are positives+negatives)")
    return 0


def cmd_train(args) -> int:
    out = _checkpoint_out(args.out)
    if args.epochs is not None and args.min_epochs is not None and args.min_epochs > args.epochs:
        raise UsageError(f"demo train: --min-epochs {args.min_epochs} is more than --epochs {args.epochs}; "
                         "lower --min-epochs or raise --epochs")
    with _train_lock(out):  # held until the checkpoint is written: a second writer is refused
        ds = _dataset(args)  # before importing torch: bad peaks fail at once
        from . import models, train

        _set_threads(args.threads)
        config = models.preset(args.arch, args.size, seq_len=ds.length)
        overrides = {k: getattr(args, k) for k in ("epochs", "lr", "patience", "min_epochs", "min_samples",
                                                   "max_samples", "batch_size")
                     if getattr(args, k) is not None}
        if overrides.get("max_samples") == 0:
            overrides["max_samples"] = None  # --max-samples 0: no cap
        tc = train.default_train_config(args.arch, seed=args.seed, **overrides)
        ck, test = train.train_dataset_model(ds, config, args.out, tc, progress=not args.quiet, device=args.device)
    print(f"saved {args.out}  ({models.count_parameters(ck.model):,} parameters, best epoch "
          f"{ck.metrics['best_epoch']}, {ck.metrics['train_seconds']} s)", file=sys.stderr)
    valid = ck.metrics["valid"]["auroc"]
    learned = bool(valid >= train.DID_NOT_LEARN_AUROC)
    stopped_by = train.stop_reason(ck.history, ck.train_config)
    capped = stopped_by == "step budget" and tc.max_samples is not None
    if capped:
        print(f"demo: note: training stopped after {tc.max_samples:,} sequences seen, the default budget "
              "(--max-samples); --max-samples 0 trains until validation AUROC stops improving", file=sys.stderr)
    if not learned:
        more = "--max-samples 0" if capped else "--epochs 60"
        print(f"demo: warning: the model did not learn (best validation AUROC {valid:.3f} < "
              f"{train.DID_NOT_LEARN_AUROC}); try more peaks, more training ({more}), a CNN "
              "(--arch cnn), or check that the peaks carry a motif", file=sys.stderr)
    _json_line({"dataset": ds.name, "arch": args.arch, "size": args.size, "seed": args.seed,
                "checkpoint": str(args.out), "learned": learned, "valid_auroc": valid, "stopped_by": stopped_by,
                **test})
    return 0


def _checkpoint(args):
    from . import train

    if args.checkpoint:
        return train.load_checkpoint(args.checkpoint, arch=args.arch)
    if not (args.tf and args.arch):
        raise UsageError("give --checkpoint DIR, or --tf TF and --arch ARCH for a committed checkpoint")
    return train.load_committed(args.tf, args.arch, args.size)


def _source_path(src: str) -> Path | None:
    """The peaks file named in a provenance: absolute, or relative to the repository
    (shipped data), or (checkpoints of older versions) to the current directory."""
    from .data import DATA_DIR

    if not src:
        return None
    p = Path(src)
    for cand in ([p] if p.is_absolute() else [DATA_DIR.parent / p, p]):
        if cand.is_file():
            return cand
    return None


def _same_data(path, stored: str, ck, what: str) -> None:
    """Refuse a file whose sha256 differs from the one the checkpoint was trained on."""
    from .data import sha256

    current = sha256(path)
    if current == stored:
        return
    if what == "--fasta":
        raise UsageError(f"demo: --fasta {path} is not the file {ck.path} was trained on (its sha256 is {current}, "
                         f"checkpoint.json says {stored}); pass the peaks it was trained on, or retrain")
    raise UsageError(f"demo: {what} {path} has changed since {ck.path} was trained on it (sha256 now {current}, "
                     f"in checkpoint.json {stored}); restore it, pass the original with --fasta, or retrain")


def _test_split(ck, args, *, check_only: bool = False):
    """The test split the checkpoint was evaluated on (rebuilt from its provenance).

    The peaks must be the very file the model was trained on (its sha256 is
    in the provenance), so no metric is ever reported for other data.  With
    ``check_only``, only that is checked (nothing is read but the file's
    bytes) and ``None`` is returned."""
    from . import data

    prov = ck.provenance
    name = prov.get("dataset") or prov.get("name")
    try:
        seed = int(prov.get("seed", 0))
    except (TypeError, ValueError):
        raise UsageError(f"{ck.path}: malformed checkpoint.json: provenance seed {prov.get('seed')!r} "
                         "is not an integer") from None
    stored = prov.get("sha256")
    pad = args.pad or bool(prov.get("pad", False))
    if getattr(args, "fasta", None):
        if stored:
            _same_data(args.fasta, stored, ck, "--fasta")
        if check_only:
            return None
        return data.dataset_from_fasta(args.fasta, args.name or name, pad=pad, seed=seed).test
    if getattr(args, "tf", None) and (not args.checkpoint or not name):
        return None if check_only else data.load_dataset(args.tf, seed=seed).test
    if not name:
        raise UsageError(f"{ck.path}: checkpoint.json has no provenance (which data the model was trained on); "
                         "pass the peaks with --fasta PEAKS.fa, or a shipped dataset with --tf NAME")
    src = prov.get("source", "")
    if stored and "protocol" not in prov:  # the user's own FASTA (data.dataset_from_fasta)
        path = _source_path(src)
        if path is None:
            raise UsageError(f"{ck.path}: the peaks it was trained on ({src or 'no path recorded'}) are not "
                             "there; pass them with --fasta")
        _same_data(path, stored, ck, "the peaks file")
        return None if check_only else data.dataset_from_fasta(path, name, pad=pad, seed=seed).test
    if check_only:
        return None
    try:
        ds = data.load_dataset(name, seed=seed)
    except ValueError:
        raise UsageError(
            f"{ck.path}: cannot rebuild the test data of dataset {name!r}; pass the peaks with --fasta"
        ) from None
    if stored and ds.provenance.get("sha256") not in (None, stored):
        raise UsageError(f"demo: the data of {name} ({src}) have changed since {ck.path} was trained on them "
                         f"(sha256 now {ds.provenance['sha256']}, in checkpoint.json {stored}); retrain")
    return ds.test




def _check_test_data(args) -> None:
    """For ``--checkpoint DIR``: check checkpoint.json and the data it names (sha256)
    before torch is imported, so that a bad checkpoint or changed peaks fail at once."""
    if not args.checkpoint:
        return
    from types import SimpleNamespace

    from .utils import read_checkpoint_meta

    meta = read_checkpoint_meta(args.checkpoint)
    _test_split(SimpleNamespace(path=Path(args.checkpoint), provenance=meta["provenance"]), args, check_only=True)


def cmd_evaluate(args) -> int:
    _check_test_data(args)
    from . import train

    _set_threads(args.threads)
    ck = _checkpoint(args)
    split = _test_split(ck, args)
    m = train.evaluate(ck.model, split)
    _json_line({"checkpoint": str(ck.path), "arch": ck.config.arch, **m})
    return 0


def cmd_baselines(args) -> int:
    from . import baselines

    ds = _dataset(args)
    tf = args.motif or ds.name
    out = {"dataset": ds.name, "pwm": baselines.pwm_baseline(ds, tf), "kmer": baselines.kmer_baseline(ds)}
    _json_line(out)
    return 0


def _lr_scales(text: str) -> tuple[float, ...]:
    """``--lr-scales``: comma-separated numbers (``benchmark.make_jobs`` checks their values)."""
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct positive numbers, comma-separated, e.g. 0.3,1,3") from None


def cmd_benchmark(args) -> int:
    from . import benchmark, plots

    if not (args.tfs or args.deepbind_dir):
        raise UsageError("give --tfs TF,TF,... (see `demo datasets`) and/or --deepbind-dir DIR")
    tfs = [t for t in (args.tfs or "").split(",") if t]
    jobs = benchmark.make_jobs(tfs, args.archs.split(","), args.sizes.split(","), deepbind_dir=args.deepbind_dir,
                               seed=args.seed, extra_sizes_tfs=[t for t in (args.sizes_tfs or "").split(",") if t],
                               lr_scales=args.lr_scales)
    out = Path(args.out)
    results = Path(args.results or args.out)
    for d, opt in ((out, "--out"), (results, "--results")):
        if d.exists() and not d.is_dir():
            raise UsageError(f"{opt} {d}: exists and is not a directory; choose a directory")
    todo = benchmark.pending(jobs, out)
    print(f"{len(jobs)} models, {len(todo)} to train, {args.jobs} at a time", file=sys.stderr)
    if todo and not args.no_train:
        out.mkdir(parents=True, exist_ok=True)
        benchmark.run_jobs(jobs, out, n_jobs=args.jobs, threads=args.threads or 1, device=args.device,
                           executor=args.executor, log=out / "benchmark-log.jsonl")
    rows = benchmark.collect(jobs, out, cache=results / "baselines")
    doc = benchmark.write_table(rows, results, meta={"machine": benchmark.describe_machine(),
                                                    "jobs": benchmark.job_dicts(jobs)})
    fig = plots.benchmark_auroc(rows)
    from .utils import atomic_write

    atomic_write(results / "benchmark.png", lambda p: fig.savefig(p, format="png", dpi=150, bbox_inches="tight"))
    wrote = f"{results / 'benchmark.json'}, .csv and .png"
    if benchmark.multi_size_datasets(rows):  # some TF in several sizes: the size comparison too
        fig = plots.benchmark_sizes(rows)
        atomic_write(results / "sizes.png", lambda p: fig.savefig(p, format="png", dpi=150, bbox_inches="tight"))
        wrote += f", {results / 'sizes.png'}"
    print(f"wrote {wrote}", file=sys.stderr)
    _json_line({"models": len([r for r in rows if r["kind"] == "deep"]), "missing": len(benchmark.pending(jobs, out)),
                "summary": {r["model"]: round(r["mean"], 4) for r in doc["summary"]["auroc"]}})
    return 0


def cmd_motifs(args) -> int:
    _check_test_data(args)
    from . import motifs

    _set_threads(args.threads)
    ck = _checkpoint(args)
    L = ck.config.seq_len
    if args.width > L:
        raise UsageError(f"demo motifs: --width {args.width} is longer than the model's {L}-bp input; "
                         f"choose 1..{L}")
    split = _test_split(ck, args).positives()
    ext = motifs.extract_motif(ck.model, split.seqs, args.method, k=args.width)
    matches = motifs.tomtom(ext.pwm, top=args.top)
    _json_line({
        "method": args.method,
        "arch": ck.config.arch,
        "width": args.width,
        "n_sequences": len(split),
        "matches": [{"id": m.id, "name": m.name, "p": m.p, "q": m.q, "offset": m.offset, "strand": m.strand}
                    for m in matches],
    })
    return 0


def cmd_dashboard(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    out = _image_out(args.out)
    from . import dashboard, data, plots, train

    _set_threads(args.threads)
    ds = data.load_dataset(args.tf)
    pos = ds.test.positives()
    if not 0 <= args.index < len(pos):
        raise UsageError(f"--index must be in 0..{len(pos) - 1} (positive test sequences of {args.tf})")
    archs = args.archs
    methods = dashboard.check_methods(args.method or DASHBOARD_DEFAULT)
    model_map = {a: train.load_committed(args.tf, a).model for a in archs}
    co = {a: dashboard.cached_classopt(args.tf, a) for a in archs} if dashboard.CLASSOPT in methods else None
    d = dashboard.dashboard_data(args.tf, pos.seqs[args.index], model_map, co, label=1, seq_id=pos.ids[args.index],
                                 methods=methods)
    fig = plots.dashboard(d)
    from .utils import atomic_write

    atomic_write(out, lambda p: fig.savefig(p, dpi=args.dpi, format=out.suffix.lstrip(".").lower() or "png",
                                             bbox_inches="tight"))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="demo", description="Deep Motif Dashboard: train TFBS classifiers and look inside them.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    def data_args(sp, need_name=True):
        sp.add_argument("--tf", help="shipped dataset: MAFK, POU5F1, synthetic-GATA1, ... (see `demo datasets`)")
        sp.add_argument("--fasta", help="your own peak FASTA (>= 101 bp; longer peaks are center-cropped)")
        sp.add_argument("--name", help="name for a --fasta dataset")
        sp.add_argument("--deepbind", help="your own DeepBind-format training file (FoldID EventID seq Bound)")
        sp.add_argument("--test", help="with --deepbind: a DeepBind-format test file (default: hold out 10%%)")
        sp.add_argument("--pad", action="store_true", help="pad peaks shorter than 101 bp with N instead of failing")
        sp.add_argument("--seed", type=_int_in(0, SEED_MAX), default=0,
                        help="seeds shuffles, split and training (0..2^32-1, default 0)")

    def common(sp):
        sp.add_argument("--threads", type=_int_in(1, 256), default=None, help="torch CPU threads")

    s = sub.add_parser("datasets", help="list shipped datasets with counts")
    s.set_defaults(func=cmd_datasets)

    s = sub.add_parser("train", help="train a model")
    data_args(s)
    s.add_argument("--arch", choices=ARCHS, required=True)
    s.add_argument("--size", choices=SIZES, default="medium")
    s.add_argument("--out", required=True, help="checkpoint directory to write (a previous checkpoint is replaced)")
    s.add_argument("--epochs", type=positive_int)
    s.add_argument("--lr", type=_learning_rate, help="Adam learning rate, in (0, 1]")
    s.add_argument("--patience", type=nonneg_int)
    s.add_argument("--min-epochs", dest="min_epochs", type=nonneg_int)
    s.add_argument("--min-samples", dest="min_samples", type=nonneg_int,
                   help="training sequences seen at least (default 50,000; RNN 300,000; 0: exactly --epochs passes)")
    s.add_argument("--max-samples", dest="max_samples", type=nonneg_int,
                   help="stop after this many training sequences seen (default 500,000; RNN 1,000,000: "
                        "about 5 minutes for a medium model on 2 cores; 0: no cap)")
    s.add_argument("--batch-size", dest="batch_size", type=positive_int,
                   help="minibatch (default: 256, smaller for small sets)")
    s.add_argument("--device", type=_device, default=None, help="cpu or cuda (default: cuda if available)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    common(s)
    s.set_defaults(func=cmd_train)

    for name, func, hlp in (("evaluate", cmd_evaluate, "test metrics of a checkpoint"),
                            ("motifs", cmd_motifs, "extract a motif and compare it with JASPAR")):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("--checkpoint", help="checkpoint directory")
        s.add_argument("--tf", help="with --arch: use the committed checkpoint of this TF")
        s.add_argument("--arch", choices=ARCHS)
        s.add_argument("--size", choices=SIZES, default="medium")
        s.add_argument("--fasta", help="peaks the checkpoint was trained on (if not a shipped dataset)")
        s.add_argument("--name")
        s.add_argument("--pad", action="store_true")
        common(s)
        if name == "motifs":
            s.add_argument("--method", choices=MOTIF_METHODS, required=True,
                           help="the paper's saliency, temporal, classopt, conv, or another registered "
                                "attribution method")
            s.add_argument("--width", type=positive_int, default=10, help="motif width k (default 10)")
            s.add_argument("--top", type=positive_int, default=5, help="JASPAR matches to report (default 5)")
        s.set_defaults(func=func)

    s = sub.add_parser("benchmark", help="train and compare architectures over many TFs (the paper's Table 2)")
    s.add_argument("--tfs", help="comma-separated shipped datasets, e.g. MAFK,POU5F1,MYC")
    s.add_argument("--deepbind-dir", dest="deepbind_dir",
                   help="also every DeepBind-format dataset (NAME_AC.seq.gz + NAME_B.seq.gz) in this directory")
    s.add_argument("--archs", default=",".join(ARCHS), help="comma-separated architectures (default all)")
    s.add_argument("--sizes", default="medium", help="comma-separated sizes (default medium)")
    s.add_argument("--sizes-tfs", dest="sizes_tfs",
                   help="only these TFs get the non-medium sizes (default: every TF gets every size)")
    s.add_argument("--out", required=True, help="directory of checkpoints (finished ones are skipped)")
    s.add_argument("--results", help="directory for benchmark.json/.csv/.png (default: --out)")
    s.add_argument("--jobs", type=_int_in(1, 1024), default=2, help="models trained at once (processes; default 2)")
    s.add_argument("--executor", default="joblib", choices=("joblib", "slurm", "debug"),
                   help="joblib: local processes; slurm: a Slurm array job through submitit")
    s.add_argument("--seed", type=_int_in(0, SEED_MAX), default=0, help="seeds shuffles, splits and training")
    s.add_argument("--device", type=_device, default=None, help="cpu or cuda (default: cuda if available)")
    s.add_argument("--lr-scales", dest="lr_scales", type=_lr_scales, default=(1.0,),
                   help="tuning grid: each model is trained with its architecture's default learning rate times "
                        "each of these and the best on validation AUROC is kept (default 1: no tuning), e.g. 0.3,1,3")
    s.add_argument("--no-train", dest="no_train", action="store_true", help="only evaluate what is there")
    common(s)
    s.set_defaults(func=cmd_benchmark)

    s = sub.add_parser("baselines", help="PWM-scan and k-mer logistic-regression baselines")
    data_args(s)
    s.add_argument("--motif", help="JASPAR TF name for the PWM scan (default: the dataset name)")
    s.set_defaults(func=cmd_baselines)

    s = sub.add_parser("dashboard", help="write the dashboard figure for one positive test sequence")
    s.add_argument("--tf", required=True)
    s.add_argument("--index", type=int, default=0, help="index among the positive test sequences")
    s.add_argument("--archs", type=_arch_list, default="cnn,rnn,cnn-rnn")
    s.add_argument("--method", action="append", choices=DASHBOARD_METHODS,
                   help="a view to show; repeat for several (default: " + ", ".join(DASHBOARD_DEFAULT)
                        + "); any registered attribution method or classopt")
    s.add_argument("--out", required=True, help="image file (.png, .pdf, .svg)")
    s.add_argument("--dpi", type=_int_in(1, 600), default=120, help="resolution, 1..600 (default 120)")
    common(s)
    s.set_defaults(func=cmd_dashboard)
    return p


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------
def _one_line(e: BaseException) -> str:
    """An exception as one line: an OSError as ``file: reason``, else its message's first line."""
    if isinstance(e, OSError) and e.strerror and e.filename is not None:
        return f"{e.filename}: {e.strerror}" + (f" ({e.filename2})" if e.filename2 else "")
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[0] if lines else type(e).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line each, without the Python source line under them."""
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    print(f"demo: warning: {lines[0] if lines else category.__name__}", file=sys.stderr)


def _write_traceback(argv: list[str] | None) -> str:
    """Write the current exception's traceback to a new temporary file; return its path."""
    fd, path = tempfile.mkstemp(prefix="demo-traceback-", suffix=".txt")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"demo {' '.join(sys.argv[1:] if argv is None else argv)}\n")
        fh.write(f"python {sys.version.split()[0]}, cwd {os.getcwd()}\n\n")
        traceback.print_exc(file=fh)
    return path


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that clean-ups run as for Ctrl-C."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status.

    0 ok; 2 bad arguments or input (one line on stderr); 1 an internal error
    (a bug: one line naming the file with the full traceback); 130 Ctrl-C
    (143 SIGTERM), with no partial output left.
    """
    import signal
    import threading

    in_main_thread = threading.current_thread() is threading.main_thread()
    old_sigterm = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return args.func(args)
    except UsageError as e:
        print(_one_line(e), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, _Terminated) as e:
        killed = isinstance(e, _Terminated)
        print(f"demo: {'terminated' if killed else 'interrupted'}; no partial output was left", file=sys.stderr)
        return 143 if killed else 130
    except (ValueError, OSError) as e:  # bad input: unreadable, malformed or missing files
        print(f"demo: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug, not the user's input
        try:
            where = f"the full traceback is in {_write_traceback(argv)}"
        except OSError as e2:
            where = f"the traceback could not be written ({_one_line(e2)})"
        print(f"demo: internal error ({type(e).__name__}: {_one_line(e)[:200]}); this is a bug, not a problem with "
              f"your input; {where}; please report it", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if old_sigterm is None else old_sigterm)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
