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
the last line of stdout.  Bad arguments or bad input exit with status 2 and a
one-line message on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """A problem with the user's arguments or input: exit 2, one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _json_line(obj: dict) -> None:
    print(json.dumps(obj, sort_keys=False))


def _set_threads(n: int | None) -> None:
    import torch

    if n:
        torch.set_num_threads(n)


def _dataset(args):
    from . import data

    if getattr(args, "fasta", None):
        if not args.name:
            raise UsageError("--fasta needs --name (a short name for your TF)")
        return data.dataset_from_fasta(args.fasta, args.name, pad=args.pad, seed=args.seed)
    if not args.tf:
        raise UsageError("give --tf NAME (see `demo datasets`) or --fasta PEAKS.fa --name NAME")
    return data.load_dataset(args.tf, seed=args.seed)


def cmd_datasets(args) -> int:
    from .data import list_datasets

    rows = list_datasets()
    print(f"{'name':<20} {'kind':<18} {'train':>11} {'valid':>11} {'test':>11}")
    for r in rows:
        cells = [f"{r[f'{s}_pos']}+{r[f'{s}_neg']}" for s in ("train", "valid", "test")]
        print(f"{r['name']:<20} {r['kind']:<18} " + " ".join(f"{c:>11}" for c in cells))
    print("(counts are positives+negatives)")
    return 0


def cmd_train(args) -> int:
    from . import models, train

    _set_threads(args.threads)
    ds = _dataset(args)
    config = models.preset(args.arch, args.size, seq_len=ds.length)
    overrides = {k: getattr(args, k) for k in ("epochs", "lr", "patience", "min_epochs") if getattr(args, k) is not None}
    tc = train.default_train_config(args.arch, seed=args.seed, **overrides)
    ck, test = train.train_dataset_model(ds, config, args.out, tc, progress=not args.quiet, device=args.device)
    print(f"saved {args.out}  ({models.count_parameters(ck.model):,} parameters, best epoch "
          f"{ck.metrics['best_epoch']}, {ck.metrics['train_seconds']} s)", file=sys.stderr)
    _json_line({"dataset": ds.name, "arch": args.arch, "size": args.size, "seed": args.seed,
                "checkpoint": str(args.out), **test})
    return 0


def _checkpoint(args):
    from . import train

    if args.checkpoint:
        return train.load_checkpoint(args.checkpoint, arch=args.arch)
    if not (args.tf and args.arch):
        raise UsageError("give --checkpoint DIR, or --tf TF and --arch ARCH for a committed checkpoint")
    return train.load_committed(args.tf, args.arch, args.size)


def _test_split(ck, args):
    """The test split the checkpoint was evaluated on (rebuilt from its provenance)."""
    from . import data

    prov = ck.provenance
    name = prov.get("dataset") or prov.get("name")
    seed = int(prov.get("seed", 0))
    if getattr(args, "fasta", None):
        return data.dataset_from_fasta(args.fasta, args.name or name, pad=args.pad, seed=seed).test
    if getattr(args, "tf", None) and not args.checkpoint:
        return data.load_dataset(args.tf, seed=seed).test
    src = prov.get("source", "")
    if src and Path(src).exists() and "sha256" in prov:
        return data.dataset_from_fasta(src, name, seed=seed).test
    try:
        return data.load_dataset(name, seed=seed).test
    except ValueError:
        raise UsageError(
            f"{ck.path}: cannot rebuild the test data of dataset {name!r}; pass the peaks with --fasta"
        ) from None


def cmd_evaluate(args) -> int:
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


def cmd_motifs(args) -> int:
    from . import motifs

    _set_threads(args.threads)
    ck = _checkpoint(args)
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
    from . import data, plots, train

    _set_threads(args.threads)
    ds = data.load_dataset(args.tf)
    pos = ds.test.positives()
    if not 0 <= args.index < len(pos):
        raise UsageError(f"--index must be in 0..{len(pos) - 1} (positive test sequences of {args.tf})")
    archs = args.archs.split(",")
    model_map = {a: train.load_committed(args.tf, a).model for a in archs}
    co = {a: plots.cached_classopt(args.tf, a) for a in archs}
    d = plots.dashboard_data(args.tf, pos.seqs[args.index], model_map, co, label=1, seq_id=pos.ids[args.index])
    fig = plots.dashboard(d)
    out = Path(args.out)
    from .utils import atomic_write

    atomic_write(out, lambda p: fig.savefig(p, dpi=args.dpi, format=out.suffix.lstrip(".") or "png",
                                             bbox_inches="tight"))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .models import ARCHS, SIZES

    p = _Parser(prog="demo", description="Deep Motif Dashboard: train TFBS classifiers and look inside them.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    def data_args(sp, need_name=True):
        sp.add_argument("--tf", help="shipped dataset: MAFK, POU5F1, synthetic-GATA1, ... (see `demo datasets`)")
        sp.add_argument("--fasta", help="your own peak FASTA (>= 101 bp; longer peaks are center-cropped)")
        sp.add_argument("--name", help="name for a --fasta dataset")
        sp.add_argument("--pad", action="store_true", help="pad peaks shorter than 101 bp with N instead of failing")
        sp.add_argument("--seed", type=int, default=0, help="seeds shuffles, split and training (default 0)")

    def common(sp):
        sp.add_argument("--threads", type=int, default=None, help="torch CPU threads")

    s = sub.add_parser("datasets", help="list shipped datasets with counts")
    s.set_defaults(func=cmd_datasets)

    s = sub.add_parser("train", help="train a model")
    data_args(s)
    s.add_argument("--arch", choices=ARCHS, required=True)
    s.add_argument("--size", choices=SIZES, default="medium")
    s.add_argument("--out", required=True, help="checkpoint directory to write")
    s.add_argument("--epochs", type=int)
    s.add_argument("--lr", type=float)
    s.add_argument("--patience", type=int)
    s.add_argument("--min-epochs", dest="min_epochs", type=int)
    s.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
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
            s.add_argument("--method", choices=("saliency", "temporal", "classopt", "conv"), required=True)
            s.add_argument("--width", type=int, default=10, help="motif width k (default 10)")
            s.add_argument("--top", type=int, default=5, help="JASPAR matches to report (default 5)")
        s.set_defaults(func=func)

    s = sub.add_parser("baselines", help="PWM-scan and k-mer logistic-regression baselines")
    data_args(s)
    s.add_argument("--motif", help="JASPAR TF name for the PWM scan (default: the dataset name)")
    s.set_defaults(func=cmd_baselines)

    s = sub.add_parser("dashboard", help="write the dashboard figure for one positive test sequence")
    s.add_argument("--tf", required=True)
    s.add_argument("--index", type=int, default=0, help="index among the positive test sequences")
    s.add_argument("--archs", default="cnn,rnn,cnn-rnn")
    s.add_argument("--out", required=True, help="image file (.png, .pdf, .svg)")
    s.add_argument("--dpi", type=int, default=120)
    common(s)
    s.set_defaults(func=cmd_dashboard)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad arguments or input)."""
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return args.func(args)
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"demo: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
