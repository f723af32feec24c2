"""DNA data for the DeMo task: readers, shuffles, encoding, datasets, JASPAR.

One nucleotide order everywhere: ``ALPHABET = "ACGT"`` (rows of the one-hot
array and columns of every PWM).

The task (Lanchantin et al. 2017, following DeepBind): positives are the
central 101 bp of ChIP-seq peaks, negatives are dinucleotide-preserving
shuffles of the positives, one per positive.  A peak and its shuffle always
fall into the same train/validation/test split, so no test negative is a
rearrangement of a training positive.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import re
import warnings
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

__all__ = [
    "ALPHABET",
    "DATA_DIR",
    "Record",
    "Motif",
    "Site",
    "Split",
    "Dataset",
    "one_hot",
    "decode",
    "reverse_complement",
    "read_fasta",
    "read_deepbind",
    "read_demo_folder",
    "dinucleotide_shuffle",
    "fit_length",
    "make_task",
    "subsample_peaks",
    "usable_windows",
    "deepbind_task",
    "DEEPBIND_TFS",
    "ALL_REAL_TFS",
    "dataset_from_fasta",
    "canonical_name",
    "known_tf",
    "load_dataset",
    "list_datasets",
    "make_synthetic",
    "make_grammar",
    "sharpened",
    "read_meme",
    "load_jaspar",
    "jaspar_motif",
]

ALPHABET = "ACGT"
IUPAC_DNA = set("ACGTURYSWKMBDHVN")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PEAKS_DIR = DATA_DIR / "peaks"
JASPAR_FILE = DATA_DIR / "motifs" / "JASPAR2024_CORE_vertebrates_non-redundant.meme"
DEEPBIND_DIR = DATA_DIR / "deepbind"
REAL_TFS = ("MAFK", "POU5F1")
#: DeepBind's ENCODE datasets shipped in data/deepbind/ (``{TF}_AC.seq.gz`` training
#: positives, ``{TF}_B.seq.gz`` test set as shipped); see data/README.md.
DEEPBIND_TFS = ("ARID3A", "ELK1", "FOXA1", "GABPA", "MYC", "SP1", "USF1", "ZBTB7A")
#: Every real TF the book ships: the chapters' two, then DeepBind's eight (the explorers' choices).
ALL_REAL_TFS = REAL_TFS + DEEPBIND_TFS
SYNTHETIC_TFS = ("GATA1", "MAFK", "NFYB")
_COMPLEMENT = str.maketrans("ACGTNacgtnRYSWKMBDHVrykmbdhv", "TGCANtgcanYRSWMKVHDByrmkvhdb")
_INDEX = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _INDEX[ord(_c)] = _i
    _INDEX[ord(_c.lower())] = _i


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------
def one_hot(seqs: str | Sequence[str]) -> np.ndarray:
    """One-hot encode DNA.

    Parameters
    ----------
    seqs : str or sequence of str
        Equal-length DNA strings; case is ignored.  ``N`` and the other IUPAC
        ambiguity codes become all-zero columns.

    Returns
    -------
    X : np.ndarray, float32, shape (N, 4, L)
        ``X[i, k, j] == 1`` iff base ``j`` of sequence ``i`` is ``ALPHABET[k]``.
        A single string gives shape (1, 4, L).
    """
    if isinstance(seqs, str):
        seqs = [seqs]
    if len(seqs) == 0:
        return np.zeros((0, 4, 0), dtype=np.float32)
    lengths = {len(s) for s in seqs}
    if len(lengths) != 1:
        raise ValueError(f"one_hot needs equal-length sequences, got lengths {sorted(lengths)[:5]}")
    L = lengths.pop()
    codes = np.frombuffer("".join(seqs).encode("ascii", "replace"), dtype=np.uint8)
    idx = _INDEX[codes].reshape(len(seqs), L)
    X = np.zeros((len(seqs), L, 4), dtype=np.float32)
    n_i, l_i = np.nonzero(idx >= 0)
    X[n_i, l_i, idx[n_i, l_i]] = 1.0
    return np.ascontiguousarray(X.transpose(0, 2, 1))


def decode(X: np.ndarray) -> list[str]:
    """Inverse of :func:`one_hot`.

    Parameters
    ----------
    X : array-like, shape (N, 4, L) or (4, L)
        One-hot (or any non-negative scores: the argmax is taken); all-zero
        columns decode to ``N``.

    Returns
    -------
    list of str, length N
    """
    X = np.asarray(X)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[1] != 4:
        raise ValueError(f"decode expects shape (N, 4, L), got {X.shape}")
    letters = np.array(list(ALPHABET + "N"))
    idx = X.argmax(axis=1)
    idx[X.max(axis=1) <= 0] = 4
    return ["".join(row) for row in letters[idx]]


def reverse_complement(seq: str) -> str:
    """Reverse complement of an IUPAC DNA string (case preserved)."""
    return seq.translate(_COMPLEMENT)[::-1]


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """One FASTA record: ``id`` is the header's first word, ``description`` the rest."""

    id: str
    seq: str
    description: str = ""


def _check_file(path: Path) -> None:
    """An input file must exist and be a file (FileNotFoundError / IsADirectoryError naming it)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a file; give the file itself")


def _open_text(path: Path) -> io.TextIOBase:
    """Open plain or gzip text; a UTF-8 byte-order mark at the start is skipped."""
    if str(path).endswith(".gz"):
        with open(path, "rb") as fh:
            magic = fh.read(2)
        if magic != b"\x1f\x8b":
            raise ValueError(f"{path}: not a valid gzip file (the name ends in .gz but the content is not "
                             "gzip-compressed); rename it without .gz or compress it with gzip")
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    return open(path, encoding="utf-8-sig", errors="replace")


def _iter_lines(path: Path) -> Iterator[str]:
    with _open_text(path) as fh:
        try:
            yield from fh
        except EOFError:
            raise ValueError(f"{path}: truncated gzip file; re-download or re-compress it") from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{path}: not a valid gzip file ({e}); re-download or re-compress it") from None


def _read_lines(path: Path) -> contextlib.closing:
    """``with _read_lines(path) as lines``: the text lines of a plain or gzip
    file; a damaged gzip stream is a ValueError that names the file."""
    return contextlib.closing(_iter_lines(path))


def _check_dna(seq: str, path: Path | str, record: str) -> str:
    seq = seq.upper().replace("U", "T")
    bad = set(seq) - IUPAC_DNA
    if bad:
        shown = "".join(sorted(bad))[:10]
        raise ValueError(
            f"{path}: record {record!r} contains characters that are not IUPAC DNA: {shown!r}; "
            "only A, C, G, T, N and IUPAC ambiguity codes are allowed"
        )
    return seq


def read_fasta(path: str | Path, *, allow_duplicates: bool = False) -> list[Record]:
    """Read a FASTA file (plain or .gz, any line width, lower-case allowed).

    Sequences are upper-cased; ``U`` becomes ``T``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file and record, for an empty file, text that is not FASTA,
        a record without sequence, characters outside IUPAC DNA, or duplicate
        ids (unless ``allow_duplicates``).
    """
    path = Path(path)
    _check_file(path)
    records: list[Record] = []
    header: str | None = None
    chunks: list[str] = []

    def flush() -> None:
        if header is None:
            return
        parts = header.split(None, 1)
        rid = parts[0] if parts else ""
        if not rid:
            raise ValueError(f"{path}: record {len(records) + 1} has an empty header line ('>')")
        seq = "".join(chunks)
        if not seq:
            raise ValueError(f"{path}: record {rid!r} has no sequence")
        records.append(Record(rid, _check_dna(seq, path, rid), parts[1] if len(parts) > 1 else ""))

    with _read_lines(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                flush()
                header, chunks = line[1:].strip(), []
            elif header is None:
                raise ValueError(
                    f"{path}: line {lineno} is not FASTA (expected a '>' header first, got {line[:30]!r})"
                )
            else:
                chunks.append(line.replace(" ", ""))
    flush()
    if not records:
        raise ValueError(f"{path}: empty file (no FASTA records)")
    if not allow_duplicates:
        counts = Counter(r.id for r in records)
        dups = [k for k, v in counts.items() if v > 1]
        if dups:
            raise ValueError(
                f"{path}: duplicate record id {dups[0]!r} ({len(dups)} ids occur more than once); "
                "make the ids unique"
            )
    return records


def read_deepbind(path: str | Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Read DeepBind's ENCODE format (``*.seq`` or ``*.seq.gz``).

    Tab-separated with a header line ``FoldID  EventID  seq  Bound``.

    Returns
    -------
    seqs : list of str
    labels : np.ndarray, int64, shape (N,)
    ids : list of str
        ``EventID`` (made unique by appending the row number if needed).
    """
    path = Path(path)
    _check_file(path)
    seqs, labels, ids = [], [], []
    with _read_lines(path) as fh:
        head = next(fh, "").strip().split("\t")
        if not head or head == [""]:
            raise ValueError(f"{path}: empty file")
        cols = {name: i for i, name in enumerate(head)}
        if "seq" not in cols or "Bound" not in cols:
            raise ValueError(
                f"{path}: not DeepBind format: header must contain 'seq' and 'Bound' columns, got {head}"
            )
        for lineno, line in enumerate(fh, 2):
            if not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) != len(head):
                raise ValueError(f"{path}: line {lineno} has {len(f)} fields, expected {len(head)}")
            rid = f[cols["EventID"]] if "EventID" in cols else f"row{lineno}"
            if f[cols["Bound"]] not in ("0", "1"):
                raise ValueError(f"{path}: line {lineno} ({rid}): Bound must be 0 or 1, got {f[cols['Bound']]!r}")
            if not f[cols["seq"]].strip():
                raise ValueError(f"{path}: line {lineno} ({rid}): empty sequence; remove the line or fill it in")
            seqs.append(_check_dna(f[cols["seq"]].strip(), path, rid))
            labels.append(int(f[cols["Bound"]]))
            ids.append(rid)
    if not seqs:
        raise ValueError(f"{path}: no sequences after the header")
    counts = Counter(ids)
    ids = [i if counts[i] == 1 else f"{i}#{k}" for k, i in enumerate(ids)]
    return seqs, np.asarray(labels, dtype=np.int64), ids


def read_demo_folder(folder: str | Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """Read the reference DeMo code's per-TF folder (``train.fa``, ``test.fa``,
    optionally ``valid.fa``); each header is the label: ``>1`` or ``>0``.

    Returns
    -------
    dict split -> (seqs, labels int64 (N,))
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a directory")
    out = {}
    for split in ("train", "valid", "test"):
        p = folder / f"{split}.fa"
        if not p.exists():
            if split == "valid":
                continue
            raise FileNotFoundError(f"{folder}: missing {split}.fa")
        recs = read_fasta(p, allow_duplicates=True)
        labels = []
        for k, r in enumerate(recs):
            if r.id not in ("0", "1"):
                raise ValueError(f"{p}: record {k + 1}: header must be '>1' or '>0' (the label), got '>{r.id}'")
            labels.append(int(r.id))
        out[split] = ([r.seq for r in recs], np.asarray(labels, dtype=np.int64))
    return out


# --------------------------------------------------------------------------
# Dinucleotide shuffle (Altschul & Erickson 1985)
# --------------------------------------------------------------------------
def dinucleotide_shuffle(seq: str, rng: np.random.Generator | int | None = None) -> str:
    """Random sequence with exactly the dinucleotide counts of ``seq``.

    Altschul & Erickson's Euler-path method: the sequence is a walk in the
    multigraph whose vertices are letters and whose edges are the overlapping
    dinucleotides.  For every letter except the last one a "last exit" edge is
    drawn uniformly among its (labelled) out-edges; the draw is kept only if
    the last exits form a tree towards the final letter (otherwise redrawn).
    The other edges are permuted uniformly and the walk is read off.  Every
    labelled Euler path arises from exactly one (tree, orders) pair, and every
    sequence corresponds to the same number of labelled paths, so the result
    is uniform over all sequences with the same dinucleotide counts and the
    same first and last letter (shortcuts that fix the last exits, or that do
    not reject cyclic ones, are not uniform).

    Parameters
    ----------
    seq : str
        DNA; case is ignored (the result is upper case); ``N`` and other
        letters are treated as symbols of their own.
    rng : numpy Generator, int seed or None

    Returns
    -------
    str, same length, same first and last letter, same dinucleotide counts.
    """
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    s = seq.upper()
    if len(s) <= 2:
        return s
    edges: dict[str, list[str]] = defaultdict(list)
    for a, b in zip(s[:-1], s[1:]):
        edges[a].append(b)
    last = s[-1]
    vertices = [v for v in edges if v != last]
    while True:
        last_exit = {v: int(rng.integers(len(edges[v]))) for v in vertices}
        # every vertex must reach `last` by following its last-exit edge
        ok = True
        for v in vertices:
            seen = set()
            u = v
            while u != last:
                if u in seen:
                    ok = False
                    break
                seen.add(u)
                u = edges[u][last_exit[u]]
            if not ok:
                break
        if ok:
            break
    order: dict[str, list[str]] = {}
    for v, out in edges.items():
        out = list(out)
        tail = out.pop(last_exit[v]) if v in last_exit else None
        perm = rng.permutation(len(out))
        ordered = [out[i] for i in perm]
        if tail is not None:
            ordered.append(tail)
        order[v] = ordered[::-1]  # pop() from the end
    result = [s[0]]
    u = s[0]
    for _ in range(len(s) - 1):
        u = order[u].pop()
        result.append(u)
    return "".join(result)


# --------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Site:
    """A planted or found motif instance: ``seq[start:end]`` on ``strand`` (+1/-1)."""

    motif: str
    start: int
    end: int
    strand: int = 1


@dataclass
class Split:
    """One split of a dataset.

    Attributes
    ----------
    seqs : list of str, length N
    labels : np.ndarray, int64, shape (N,)
    ids : list of str
        Peak id; a shuffled negative gets the suffix ``/shuf``.
    sites : list of tuple of Site
        Planted motif instances (synthetic data), empty tuples otherwise.
    """

    seqs: list[str]
    labels: np.ndarray
    ids: list[str]
    sites: list[tuple[Site, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if not self.sites:
            self.sites = [()] * len(self.seqs)
        if not (len(self.seqs) == len(self.labels) == len(self.ids) == len(self.sites)):
            raise ValueError("Split fields must have the same length")

    def __len__(self) -> int:
        return len(self.seqs)

    @property
    def X(self) -> np.ndarray:
        """One-hot input, float32, shape (N, 4, L)."""
        return one_hot(self.seqs)

    def positives(self) -> "Split":
        """The positive sequences only."""
        keep = np.flatnonzero(self.labels == 1)
        return self.subset(keep)

    def subset(self, idx: Iterable[int]) -> "Split":
        idx = list(idx)
        return Split(
            [self.seqs[i] for i in idx], self.labels[idx], [self.ids[i] for i in idx], [self.sites[i] for i in idx]
        )


@dataclass
class Dataset:
    """A TF's train / validation / test splits plus where they came from."""

    name: str
    train: Split
    valid: Split
    test: Split
    provenance: dict = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.train.seqs[0])

    def counts(self) -> dict[str, dict[str, int]]:
        """``{split: {"pos": n, "neg": n}}``."""
        return {
            k: {"pos": int((s.labels == 1).sum()), "neg": int((s.labels == 0).sum())}
            for k, s in (("train", self.train), ("valid", self.valid), ("test", self.test))
        }


def fit_length(seq: str, length: int = 101, *, short: str = "error", where: str = "") -> str:
    """Bring a sequence to ``length`` bp.

    Longer sequences are center-cropped (when the excess is odd, the extra
    base is dropped from the right end).  Shorter ones raise ``ValueError``
    (``short="error"``, the default) or are padded with ``N`` on both sides,
    centered (``short="pad"``; N encodes as an all-zero column).
    """
    n = len(seq)
    if n >= length:
        start = (n - length) // 2
        return seq[start : start + length]
    if short == "pad":
        left = (length - n) // 2
        return "N" * left + seq + "N" * (length - n - left)
    if short != "error":
        raise ValueError(f"short must be 'error' or 'pad', got {short!r}")
    raise ValueError(
        f"{where or 'sequence'} is {n} bp, shorter than the model's {length} bp; "
        "use longer peaks or pad with N (short='pad', CLI --pad)"
    )


def usable_windows(
    seqs: Sequence[str],
    ids: Sequence[str],
    length: int = 101,
    *,
    short: str = "error",
    max_n_frac: float = 0.5,
    where: str = "",
    what: str = "peaks",
    warn: bool = True,
) -> tuple[list[str], list[str], list[str]]:
    """Central ``length``-bp windows of ``seqs``, without the unusable ones.

    A window is dropped when more than ``max_n_frac`` of it is not A, C, G or
    T (N or another IUPAC ambiguity code): such a window carries almost no
    sequence to learn from.  Dropped records are counted in one warning
    (``warn=False``: the caller warns, see :func:`_enough`), never dropped
    silently.

    Returns
    -------
    windows, kept_ids, dropped_ids : lists of str
    """
    kept, kept_ids, dropped = [], [], []
    for s, i in zip(seqs, ids):
        w = fit_length(s, length, short=short, where=f"{where + ': ' if where else ''}record {i!r}")
        acgt = sum(w.count(c) for c in ALPHABET)
        if length - acgt > max_n_frac * length:
            dropped.append(i)
            continue
        kept.append(w)
        kept_ids.append(i)
    if dropped and warn:
        warnings.warn(_dropped_message(where, dropped, len(seqs), what, max_n_frac, length), stacklevel=3)
    return kept, kept_ids, dropped


def _dropped_message(where, dropped, total, what, max_n_frac, length) -> str:
    return (f"{where}: dropped {len(dropped)} of {total} {what} with more than {max_n_frac:.0%} N "
            f"(or other non-ACGT codes) in the central {length} bp (first: {dropped[0]!r})")


def _enough(kept, dropped, total, need, where, what, max_n_frac, length) -> None:
    """Raise one error line if fewer than ``need`` windows are left, else warn once about the dropped ones."""
    if len(kept) < need:
        why = (f" ({len(dropped)} of {total} dropped: more than {max_n_frac:.0%} N or other non-ACGT codes "
               f"in the central {length} bp)") if dropped else ""
        raise ValueError(f"{where}: only {len(kept)} usable {what}{why}; need at least {need}")
    if dropped:
        warnings.warn(_dropped_message(where, dropped, total, what, max_n_frac, length), stacklevel=3)


def _split_indices(n: int, seed: int, valid_frac: float, test_frac: float) -> tuple[np.ndarray, ...]:
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_frac))
    n_valid = int(round(n * valid_frac))
    return perm[n_test + n_valid :], perm[n_test : n_test + n_valid], perm[:n_test]


def make_task(
    peaks: Sequence[str],
    ids: Sequence[str],
    name: str,
    *,
    length: int = 101,
    seed: int = 0,
    valid_frac: float = 0.1,
    test_frac: float = 0.1,
    short: str = "error",
    max_n_frac: float = 0.5,
    source: str = "",
) -> Dataset:
    """Turn peak sequences into the DeMo task.

    Positives are the central ``length`` bp of each peak, negatives one
    dinucleotide shuffle of each positive.  Peaks are split into
    train/valid/test by ``seed``; a peak's shuffle goes with it.

    Positives with more than ``max_n_frac`` N are dropped, with a warning that
    says how many and why (nothing is dropped silently).
    """
    if len(peaks) != len(ids):
        raise ValueError("peaks and ids must have the same length")
    if len(peaks) == 0:
        raise ValueError(f"{source or name}: no peaks")
    pos, pos_ids, dropped = usable_windows(peaks, ids, length, short=short, max_n_frac=max_n_frac,
                                           where=source or name, warn=False)
    _enough(pos, dropped, len(peaks), 10, source or name, "peaks", max_n_frac, length)
    rng = np.random.default_rng(seed)
    neg = [dinucleotide_shuffle(s, rng) for s in pos]
    splits = []
    for idx in _split_indices(len(pos), seed, valid_frac, test_frac):
        idx = np.sort(idx)
        seqs = [pos[i] for i in idx] + [neg[i] for i in idx]
        sid = [pos_ids[i] for i in idx] + [pos_ids[i] + "/shuf" for i in idx]
        labels = np.r_[np.ones(len(idx)), np.zeros(len(idx))]
        splits.append(Split(seqs, labels, sid))
    prov = {
        "name": name,
        "source": source,
        "n_peaks": len(peaks),
        "n_dropped": len(dropped),
        "length": length,
        "seed": seed,
        "valid_frac": valid_frac,
        "test_frac": test_frac,
        "negatives": "dinucleotide shuffle, one per positive",
    }
    return Dataset(name, *splits, provenance=prov)


def dataset_from_fasta(path: str | Path, name: str | None = None, *, pad: bool = False, **kwargs) -> Dataset:
    """A user's own peak FASTA as a DeMo dataset in one call.

    Peaks of any length >= ``length`` (101) are center-cropped; shorter ones
    are an error unless ``pad=True`` (centered, padded with N).  Negatives are
    dinucleotide shuffles.  Other keyword arguments go to :func:`make_task`.
    """
    path = Path(path)
    recs = read_fasta(path)
    name = name or path.name.split(".")[0]
    ds = make_task(
        [r.seq for r in recs], [r.id for r in recs], name, short="pad" if pad else "error", source=str(path), **kwargs
    )
    # Messages name the file as given; the provenance stores where it is
    # (absolute, see source_label), so `demo evaluate` finds it from any directory.
    ds.provenance.update(source=source_label(path), sha256=sha256(path), pad=bool(pad))
    return ds


def deepbind_task(
    train_path: str | Path,
    test_path: str | Path | None = None,
    name: str | None = None,
    *,
    length: int = 101,
    seed: int = 0,
    valid_frac: float = 0.1,
    test_frac: float = 0.1,
    short: str = "error",
    max_n_frac: float = 0.5,
) -> Dataset:
    """The DeMo task from DeepBind-format files, as the reference code builds it.

    Training positives are the ``Bound`` = 1 rows of ``train_path``.  If the
    file also has ``Bound`` = 0 rows, they are the negatives as given;
    otherwise each positive gets one dinucleotide shuffle (seeded).  A seeded
    ``valid_frac`` of the training peaks (with their shuffles) is the
    validation split.  The test split is ``test_path`` exactly as shipped (all
    rows, labels as given); without it, a seeded ``test_frac`` of the training
    peaks is held out instead.

    Parameters
    ----------
    train_path, test_path : DeepBind ``.seq``/``.seq.gz`` files (see :func:`read_deepbind`)
    name : str, optional
        Dataset name (default: the file name up to the first ``_``).

    Returns
    -------
    Dataset
        ``provenance["protocol"]`` says which of the rules above applied.
    """
    train_path = Path(train_path)
    name = name or train_path.name.split("_")[0].split(".")[0]
    seqs, labels, ids = read_deepbind(train_path)
    where = str(train_path)
    bound = [(s, i) for s, i, y in zip(seqs, ids, labels) if y == 1]
    pos, pos_ids, dropped = usable_windows([s for s, _ in bound], [i for _, i in bound], length, short=short,
                                           max_n_frac=max_n_frac, where=where, warn=False)
    _enough(pos, dropped, len(bound), 10, where, "bound (Bound = 1) rows", max_n_frac, length)
    neg_given = [(s, i) for s, i, y in zip(seqs, ids, labels) if y == 0]
    if neg_given:
        neg, neg_ids, dropped_neg = usable_windows([s for s, _ in neg_given], [i for _, i in neg_given], length,
                                                   short=short, max_n_frac=max_n_frac, where=where,
                                                   what="unbound rows")
        dropped = dropped + dropped_neg
    else:
        rng = np.random.default_rng(seed)
        neg = [dinucleotide_shuffle(s, rng) for s in pos]
        neg_ids = [i + "/shuf" for i in pos_ids]
    held_test = 0.0 if test_path is not None else test_frac
    pos_parts = _split_indices(len(pos), seed, valid_frac, held_test)
    # Given negatives are split on their own (same fractions, another seed
    # stream); shuffles follow their peak.
    neg_parts = _split_indices(len(neg), seed + 1, valid_frac, held_test) if neg_given else pos_parts
    splits = []
    for pi, ni in zip(pos_parts, neg_parts):
        pi, ni = np.sort(pi), np.sort(ni)
        splits.append(Split([pos[i] for i in pi] + [neg[i] for i in ni],
                            np.r_[np.ones(len(pi)), np.zeros(len(ni))],
                            [pos_ids[i] for i in pi] + [neg_ids[i] for i in ni]))
    prov = {
        "name": name,
        "source": source_label(train_path),
        "sha256": sha256(train_path),
        "n_peaks": int((labels == 1).sum()),
        "n_dropped": len(dropped),
        "length": length,
        "seed": seed,
        "valid_frac": valid_frac,
        "negatives": "given (Bound = 0 rows)" if neg_given else "dinucleotide shuffle, one per positive",
    }
    if test_path is not None:
        test_path = Path(test_path)
        tseqs, tlabels, tids = read_deepbind(test_path)
        tw, tkept, tdropped = usable_windows(tseqs, tids, length, short=short, max_n_frac=max_n_frac,
                                             where=str(test_path), what="test rows")
        keep = set(tkept)
        splits[2] = Split(tw, tlabels[[i in keep for i in tids]], tkept)
        prov.update(test_source=source_label(test_path), test_sha256=sha256(test_path),
                    test_dropped=len(tdropped), protocol="DeepBind: train file + shuffles, 10% validation, test file as shipped")
    else:
        prov.update(test_frac=test_frac, protocol="DeepBind: train file + shuffles, seeded 80/10/10 split")
    if neg_given:
        prov["protocol"] = prov["protocol"].replace("+ shuffles", "with its own negatives")
    return Dataset(name, *splits, provenance=prov)


def source_label(path: str | Path) -> str:
    """How provenance names an input file: relative to the repository for
    shipped data (so committed checkpoints do not depend on the clone's
    location), the absolute path otherwise (so it is found from any directory)."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(DATA_DIR.parent))
    except ValueError:
        return str(p)


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def subsample_peaks(name: str, n: int, *, seed: int = 0, length: int = 101) -> Dataset:
    """The DeMo task on ``n`` peaks drawn (seeded) from a shipped peak set, as a
    user with only ``n`` peaks would have it (chapter 05's small-set curve).

    Parameters
    ----------
    name : {"MAFK", "POU5F1"}
    n : int
        Number of peaks; the split is the usual seeded 80/10/10 of those.
    """
    key = canonical_name(name)
    if key not in REAL_TFS:
        raise ValueError(f"subsample_peaks takes a shipped peak set ({', '.join(REAL_TFS)}), not {name!r}")
    recs = read_fasta(PEAKS_DIR / f"{key}.fa.gz")
    if not 10 <= n <= len(recs):
        raise ValueError(f"n must be in 10..{len(recs)} for {key}, got {n}")
    pick = np.sort(np.random.default_rng([seed, n]).choice(len(recs), n, replace=False))
    ds = make_task([recs[i].seq for i in pick], [recs[i].id for i in pick], f"{key}-{n}", length=length,
                   seed=seed, source=f"{key} peaks, {n} drawn with seed {seed}")
    return ds


def list_datasets() -> list[dict]:
    """Datasets shipped in ``data/`` (real ChIP-seq TFs and synthetic sets), with counts."""
    out = []
    for tf in ALL_REAL_TFS:
        ds = load_dataset(tf)
        out.append({"name": tf, "kind": "ChIP-seq (ENCODE)", "protocol": dataset_protocol(tf), **_flat_counts(ds)})
    for name in [f"synthetic-{t}" for t in SYNTHETIC_TFS] + ["synthetic-grammar"]:
        ds = load_dataset(name)
        out.append({"name": name, "kind": "synthetic", "protocol": dataset_protocol(name), **_flat_counts(ds)})
    return out


def dataset_protocol(name: str) -> str:
    """How a shipped dataset is split, in a few words (shown by ``demo datasets``)."""
    key = canonical_name(name)
    if key in REAL_TFS:
        return "peaks + shuffles, seeded 80/10/10"
    if key.upper() in DEEPBIND_TFS:
        return "DeepBind: AC + shuffles (10% valid), B as test"
    if key.startswith("synthetic-"):
        return "planted sites, seeded 80/10/10"
    raise ValueError(f"unknown dataset {name!r}")


def _flat_counts(ds: Dataset) -> dict:
    c = ds.counts()
    return {f"{k}_{p}": v for k, d in c.items() for p, v in d.items()}


def known_tf(dataset: str) -> str:
    """The TF whose known motif a dataset's positives carry.

    ``"synthetic-GATA1"`` -> ``"GATA1"`` (the planted motif); any other name
    is returned as it is (``"MAFK"`` -> ``"MAFK"``).
    """
    return dataset.split("-", 1)[1] if dataset.startswith("synthetic-") else dataset


def canonical_name(name: str) -> str:
    """Dataset name as shipped: ``"mafk"`` -> ``"MAFK"``, ``"Oct4"`` -> ``"POU5F1"``,
    ``"Synthetic-gata1"`` -> ``"synthetic-GATA1"``, ``"Synthetic-Grammar"`` ->
    ``"synthetic-grammar"`` (not a TF); other names are upper-cased."""
    key = name.strip().upper()
    if key in ("OCT4", "OCT-4"):
        return "POU5F1"
    if key == "SYNTHETIC-GRAMMAR":
        return "synthetic-grammar"
    if key.startswith("SYNTHETIC-"):
        return "synthetic-" + key.split("-", 1)[1]
    return key


def load_dataset(name: str, *, seed: int = 0, length: int = 101) -> Dataset:
    """Load a shipped dataset by name.

    Parameters
    ----------
    name : str
        ``"MAFK"`` or ``"POU5F1"`` (real ENCODE peaks), ``"synthetic-GATA1"``,
        ``"synthetic-MAFK"``, ``"synthetic-NFYB"`` or ``"synthetic-grammar"``.
    seed : int
        Seeds the shuffles and the split.
    """
    key = canonical_name(name).upper()
    if key in REAL_TFS:
        path = PEAKS_DIR / f"{key}.fa.gz"
        recs = read_fasta(path)
        ds = make_task([r.seq for r in recs], [r.id for r in recs], key, length=length, seed=seed,
                       source=str(path.relative_to(DATA_DIR.parent)))
        return ds
    if key in DEEPBIND_TFS:
        return deepbind_task(DEEPBIND_DIR / f"{key}_AC.seq.gz", DEEPBIND_DIR / f"{key}_B.seq.gz", key,
                             length=length, seed=seed)
    if key.startswith("SYNTHETIC-"):
        tf = key.split("-", 1)[1]
        if tf == "GRAMMAR":
            return make_grammar(seed=seed, length=length)
        if tf in SYNTHETIC_TFS:
            return make_synthetic(tf, seed=seed, length=length)
    known = list(REAL_TFS + DEEPBIND_TFS) + [f"synthetic-{t}" for t in SYNTHETIC_TFS] + ["synthetic-grammar"]
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(known)} (or bring a FASTA with --fasta)")


# --------------------------------------------------------------------------
# Synthetic data with ground truth
# --------------------------------------------------------------------------
def _backgrounds(n: int, length: int, rng: np.random.Generator, source: str = "MAFK") -> list[str]:
    """Dinucleotide shuffles of real peak centers (so the background looks genomic)."""
    recs = read_fasta(PEAKS_DIR / f"{source}.fa.gz")
    centers = [fit_length(r.seq, length) for r in recs]
    centers = [c for c in centers if "N" not in c]
    pick = rng.integers(len(centers), size=n)
    return [dinucleotide_shuffle(centers[i], rng) for i in pick]


def sample_instance(motif: "Motif", rng: np.random.Generator) -> str:
    """One motif instance: each position drawn from the PWM's distribution."""
    p = motif.pwm / motif.pwm.sum(axis=1, keepdims=True)
    cum = p.cumsum(axis=1)
    u = rng.random((len(p), 1))
    idx = (u > cum).sum(axis=1).clip(0, 3)
    return "".join(ALPHABET[i] for i in idx)


def _plant(bg: str, inst: str, start: int, strand: int) -> str:
    if strand < 0:
        inst = reverse_complement(inst)
    return bg[:start] + inst + bg[start + len(inst) :]


def _splits_from(seqs, labels, ids, sites, seed, valid_frac=0.1, test_frac=0.1) -> tuple[Split, Split, Split]:
    out = []
    for idx in _split_indices(len(seqs), seed, valid_frac, test_frac):
        idx = np.sort(idx)
        out.append(Split([seqs[i] for i in idx], labels[idx], [ids[i] for i in idx], [sites[i] for i in idx]))
    return tuple(out)


def make_synthetic(tf: str, n: int = 6000, *, length: int = 101, seed: int = 0) -> Dataset:
    """Synthetic binding sites with known positions.

    ``n`` sequences, half positive.  Every sequence is a dinucleotide shuffle
    of a real MAFK peak center; each positive carries one instance sampled
    from the JASPAR PWM of ``tf`` at a random position and strand, recorded in
    ``Split.sites``.  Negatives are backgrounds without an insert.
    """
    motif = jaspar_motif(tf)
    rng = np.random.default_rng([seed, 1])
    bgs = _backgrounds(n, length, rng)
    seqs, labels, ids, sites = [], [], [], []
    w = motif.width
    for k, bg in enumerate(bgs):
        if k % 2 == 0:
            start = int(rng.integers(0, length - w + 1))
            strand = int(rng.choice([1, -1]))
            seqs.append(_plant(bg, sample_instance(motif, rng), start, strand))
            sites.append((Site(motif.name, start, start + w, strand),))
            labels.append(1)
        else:
            seqs.append(bg)
            sites.append(())
            labels.append(0)
        ids.append(f"syn{tf}_{k}")
    labels = np.asarray(labels)
    tr, va, te = _splits_from(seqs, labels, ids, sites, seed)
    prov = {"name": f"synthetic-{tf}", "motif": f"{motif.id} {motif.name}", "n": n, "seed": seed,
            "background": "dinucleotide shuffles of MAFK peak centers"}
    return Dataset(f"synthetic-{tf}", tr, va, te, provenance=prov)


def sharpened(motif: "Motif", power: float) -> "Motif":
    """The motif with each PWM row raised to ``power`` and renormalised (chapter 04's grammar set).

    ``power`` 1 gives the PWM back; larger powers move probability to each
    row's most likely base (higher information content), ``power -> inf``
    gives the consensus.  The id and name are kept.
    """
    if not power > 0:
        raise ValueError(f"power must be positive, got {power!r}")
    p = motif.pwm ** float(power)
    return Motif(motif.id, motif.name, p / p.sum(axis=1, keepdims=True))


def make_grammar(
    n: int = 6000,
    *,
    motifs: tuple[str, str] = ("GATA1", "MAFK"),
    spacing: tuple[int, int] = (8, 8),
    far_gap: int = 31,
    far: float = 0.5,
    power: float = 4.0,
    length: int = 101,
    seed: int = 0,
) -> Dataset:
    """A "grammar" set: the label depends on the order and spacing of two motifs (chapters 01 and 04).

    Every sequence is a background (a dinucleotide shuffle of a MAFK peak
    center, as in :func:`make_synthetic`) carrying exactly one instance of
    each motif, both on the forward strand.  With ``A, B = motifs`` and
    ``gap`` the number of bases between the two instances:

    - ``pos`` (label 1, half of the set): A upstream of B, gap in ``spacing``
      (inclusive; by default exactly 8 bp, a composite element);
    - ``swap`` (label 0): B upstream of A, gap in ``spacing``;
    - ``far`` (label 0): A upstream of B, gap uniform in
      ``far_gap .. length - wA - wB``;

    a fraction ``far`` of the negatives is ``far`` (by default half), the rest
    ``swap``; the pair's start is uniform over the positions where it fits.

    The design, so that the rule can be learned and nothing else gives it away:

    - Both motifs are in every sequence and their instances are drawn from
      the same distribution in every class, so motif presence (a PWM scan,
      the best match of each motif) is at chance by construction.
    - With ``spacing[0] >= 8`` no 9-bp window touches both instances (a
      window holding the last base of one and the first of the other needs
      ``gap + 2 <= 9``), so a CNN with one width-9 convolution and a global
      max (the small CNN) sees the same distribution of windows in every
      class: at chance, whatever it learns.  Smaller gaps are allowed
      (chapter 04, exercise 1 shows what the small CNN makes of them).
    - Instances are sampled from the JASPAR PWMs raised to ``power`` and
      renormalised (:func:`sharpened`; 4 gives 13.8 instead of 9.8 bits for
      GATA1 MA0035.5, 19.6 instead of 12.2 for MAFK MA0496.4).
    - Learnable, but only just: a CNN-RNN first sits at chance for 60 to 70
      passes over the 4,800 training sequences (its LSTM starts out
      forgetting within a few positions, chapter 03, so the pairing of two
      motifs 8 bp apart barely moves its gradient), then learns the rule
      within 20 passes.  The first version (2,000 sequences, instances from
      the PWMs as they are, gaps 5-15) was learned by no model, and in our
      runs neither were gaps of 8-15 bp (sharpened instances, up to 60 passes).
    - Training's reverse-complement augmentation keeps the labels right: the
      reverse complement of a positive is A upstream of B on the reverse
      strand, so a model learns the rule on both strands.

    Parameters
    ----------
    n : int
        Number of sequences (a multiple of 4 keeps the kinds exact).
    motifs : (str, str)
        JASPAR names of A and B.
    spacing : (int, int)
        Gap range of ``pos`` and ``swap`` (inclusive), ``0 <= lo <= hi``.
    far_gap : int
        Smallest gap of ``far``; must exceed ``spacing[1]``.
    far : float in [0, 1]
        Fraction of the negatives that are ``far`` (0: only swapped order).
    power : float
        Sharpening of the PWMs before sampling (1: the JASPAR PWMs as they are).
    length, seed : int

    Returns
    -------
    Dataset
        Seeded 80/10/10 split; ids ``grammar_{kind}_{k}``; ``Split.sites``
        holds the two instances ``(Site(upstream), Site(downstream))``.
    """
    if not 0 <= far <= 1:
        raise ValueError(f"far must be a fraction in [0, 1], got {far!r}")
    if not 0 <= spacing[0] <= spacing[1]:
        raise ValueError(f"spacing must be (lo, hi) with 0 <= lo <= hi, got {spacing}")
    a, b = (sharpened(jaspar_motif(m), power) for m in motifs)
    max_gap = length - a.width - b.width
    if not spacing[1] < far_gap <= max_gap:
        raise ValueError(f"far_gap must be in {spacing[1] + 1}..{max_gap} for {length} bp, got {far_gap}")
    rng = np.random.default_rng([seed, 2])
    bgs = _backgrounds(n, length, rng)
    seqs, labels, ids, sites = [], [], [], []
    for k, bg in enumerate(bgs):
        j = k // 2  # the j-th negative is far when the running share of far negatives passes a step
        kind = "pos" if k % 2 == 0 else ("far" if int((j + 1) * far) > int(j * far) else "swap")
        lo, hi = (far_gap, max_gap) if kind == "far" else spacing
        gap = int(rng.integers(lo, hi + 1))
        first, second = (b, a) if kind == "swap" else (a, b)
        s1 = int(rng.integers(0, length - first.width - gap - second.width + 1))
        s2 = s1 + first.width + gap
        seq = _plant(_plant(bg, sample_instance(first, rng), s1, 1), sample_instance(second, rng), s2, 1)
        seqs.append(seq)
        sites.append((Site(first.name, s1, s1 + first.width, 1), Site(second.name, s2, s2 + second.width, 1)))
        labels.append(int(kind == "pos"))
        ids.append(f"grammar_{kind}_{k}")
    tr, va, te = _splits_from(seqs, np.asarray(labels), ids, sites, seed)
    prov = {"name": "synthetic-grammar", "motifs": [f"{m.id} {m.name}" for m in (a, b)], "n": n,
            "spacing": list(spacing), "far": far, "far_gap": far_gap, "power": power, "strand": "forward",
            "seed": seed, "background": "dinucleotide shuffles of MAFK peak centers"}
    return Dataset("synthetic-grammar", tr, va, te, provenance=prov)


# --------------------------------------------------------------------------
# JASPAR motifs (MEME format)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Motif:
    """A position weight matrix.

    Attributes
    ----------
    id : str
        e.g. ``"MA0496.4"``.
    name : str
        TF name, e.g. ``"MAFK"``.
    pwm : np.ndarray, float64, shape (w, 4)
        Letter probabilities per position, columns in ACGT order.
    """

    id: str
    name: str
    pwm: np.ndarray

    @property
    def width(self) -> int:
        return int(self.pwm.shape[0])

    def consensus(self) -> str:
        return "".join(ALPHABET[i] for i in self.pwm.argmax(axis=1))


def read_meme(path: str | Path) -> list[Motif]:
    """Read motifs from a MEME-format file (``MOTIF id name`` + letter-probability matrix)."""
    path = Path(path)
    _check_file(path)
    with _read_lines(path) as fh:
        text = "".join(fh)
    m = re.search(r"^ALPHABET=\s*(\S+)", text, re.M)
    if m and m.group(1) != ALPHABET:
        raise ValueError(f"{path}: alphabet {m.group(1)!r}, expected {ALPHABET}")
    motifs = []
    blocks = re.split(r"^MOTIF\s+", text, flags=re.M)[1:]
    for blk in blocks:
        lines = blk.splitlines()
        head = lines[0].split()
        mid, name = head[0], (head[1] if len(head) > 1 else head[0])
        rows = []
        started = False
        for ln in lines[1:]:
            if ln.startswith("letter-probability"):
                started = True
                continue
            if started:
                parts = ln.split()
                if len(parts) == 4:
                    try:
                        rows.append([float(x) for x in parts])
                        continue
                    except ValueError:
                        pass
                if rows:
                    break
        if not rows:
            raise ValueError(f"{path}: motif {mid} has no letter-probability matrix")
        motifs.append(Motif(mid, name, np.asarray(rows, dtype=np.float64)))
    if not motifs:
        raise ValueError(f"{path}: no MOTIF entries (is this a MEME motif file?)")
    return motifs


_JASPAR_CACHE: dict[str, list[Motif]] = {}


def load_jaspar(path: str | Path | None = None) -> list[Motif]:
    """The shipped JASPAR 2024 CORE vertebrates non-redundant snapshot (cached)."""
    path = str(path or JASPAR_FILE)
    if path not in _JASPAR_CACHE:
        _JASPAR_CACHE[path] = read_meme(path)
    return _JASPAR_CACHE[path]


def jaspar_motif(name: str) -> Motif:
    """Look up a JASPAR motif by TF name (case-insensitive) or matrix id.

    ``"POU5F1"`` also accepts ``"Oct4"``.  Raises ``ValueError`` with close
    names when there is no match.
    """
    motifs = load_jaspar()
    key = name.upper()
    aliases = {"OCT4": "POU5F1", "OCT-4": "POU5F1"}
    key = aliases.get(key, key)
    for m in motifs:
        if m.id.upper() == key or m.id.split(".")[0].upper() == key:
            return m
    hits = [m for m in motifs if m.name.upper() == key]
    if hits:
        return hits[0]
    import difflib

    close = difflib.get_close_matches(key, [m.name.upper() for m in motifs], n=5)
    raise ValueError(
        f"unknown TF {name!r} in JASPAR 2024 CORE vertebrates"
        + (f"; did you mean {', '.join(close)}?" if close else "")
    )
