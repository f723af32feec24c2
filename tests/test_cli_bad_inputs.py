"""Bad input through the ``demo`` command, replayed as subprocesses (issue 8).

Every case of the bad-input sweep must end the same way: exit status 2, one
line on stderr that names the option or file (no traceback), and nothing
written or half-written (the case's directory is byte-for-byte unchanged).  A
bug exits 1 and names the file holding the traceback; Ctrl-C exits 130 with
one line and no partial checkpoint.

The subprocesses are independent, so they run a few at a time (each spends
most of its second or two importing torch).
"""
from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

from demolib import cli, data, train
from demolib.models import ModelConfig, build_model, preset

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HAS_CUDA = torch.cuda.is_available()
BOM = b"\xef\xbb\xbf"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": ""}


def peaks(n: int, seed: int, length: int = 101) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    return {f"peak{i}": "".join(rng.choice(list("ACGT"), length)) for i in range(n)}


def fasta(recs: dict[str, str]) -> str:
    return "".join(f">{k}\n{v}\n" for k, v in recs.items())


def deepbind(rows: list[tuple[str, str]]) -> str:
    return "FoldID\tEventID\tseq\tBound\n" + "".join(f"A\t{i}\t{s}\t{b}\n" for i, s, b in
                                                   ((f"ev{k}", s, b) for k, (s, b) in enumerate(rows)))


def snapshot(d: Path) -> dict[str, bytes | None]:
    """Every entry under ``d`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None) for p in sorted(d.rglob("*"))}


def stored_sha(w: Path) -> str:
    return json.loads((w / "ck" / "checkpoint.json").read_text())["provenance"]["sha256"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """clean.fa (60 random 101-bp peaks); peaks.fa (60 more, with a UTF-8 BOM,
    CRLF line ends, one all-N and one all-IUPAC-code peak); ck/, a small CNN
    checkpoint trained one epoch on peaks.fa given by a relative path, as
    ``demo train`` stores it; rnn_weights.pt (another architecture's weights)."""
    w = tmp_path_factory.mktemp("bad_inputs")
    (w / "tmp").mkdir()
    (w / "clean.fa").write_text(fasta(peaks(60, 1)))
    recs = {**peaks(60, 2), "allN": "N" * 101, "iupac": ("RYKMSWBDHVN" * 10)[:101]}
    (w / "peaks.fa").write_bytes(BOM + fasta(recs).replace("\n", "\r\n").encode())
    old = os.getcwd()
    os.chdir(w)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = data.dataset_from_fasta("peaks.fa", "MYTF")
            train.train_dataset_model(ds, preset("cnn", "small", seq_len=101), "ck",
                                      train.TrainConfig(epochs=1, batch_size=128), progress=False)
    finally:
        os.chdir(old)
    torch.save(build_model(preset("rnn", "small")).state_dict(), w / "rnn_weights.pt")
    return w


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    argv: list[str]  # "{w}": the shared fixture directory, "{d}": this case's own directory
    needles: list[str] | Callable[[Path, Path], list[str]]  # all must be in the one stderr line
    setup: Callable[[Path, Path], None] | None = None
    cwd: str = "{d}"
    code: int = 2
    prefix: tuple[str, ...] = ("-m", "demolib")
    skip: str | None = None


TRAIN = ["train", "--fasta", "{w}/clean.fa", "--name", "X", "--arch", "cnn", "--size", "small", "--out", "{d}/out"]
MOTIFS = ["motifs", "--checkpoint", "{w}/ck", "--method", "saliency"]
DASH = ["dashboard", "--tf", "MAFK"]
EVAL = ["evaluate", "--checkpoint", "{d}/ck"]


def write(name: str, content: str | bytes) -> Callable[[Path, Path], None]:
    def setup(w: Path, d: Path) -> None:
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return setup


def copy_ck(edit: Callable[[dict, Path, Path], None] | None = None,
            files: dict[str, bytes | Callable[[Path], bytes]] | None = None) -> Callable[[Path, Path], None]:
    """Copy the fixture checkpoint into the case directory, then edit its JSON / replace files."""
    def setup(w: Path, d: Path) -> None:
        shutil.copytree(w / "ck", d / "ck")
        if edit is not None:
            meta = json.loads((d / "ck" / "checkpoint.json").read_text())
            edit(meta, w, d)
            (d / "ck" / "checkpoint.json").write_text(json.dumps(meta))
        for name, content in (files or {}).items():
            (d / "ck" / name).write_bytes(content(w) if callable(content) else content)
    return setup


def with_source(src: str, peaks_text: Callable[[Path], bytes] | None = None):
    def edit(meta: dict, w: Path, d: Path) -> None:
        meta["provenance"]["source"] = src.format(w=w, d=d)
        if peaks_text is not None:
            (d / "peaks.fa").write_bytes(peaks_text(w))
    return edit


def drop_provenance(meta: dict, w: Path, d: Path) -> None:
    del meta["provenance"]


def set_field(block: str, key: str, value):
    def edit(meta: dict, w: Path, d: Path) -> None:
        meta[block][key] = value
    return edit


def gz_truncated(text: str) -> bytes:
    z = gzip.compress(text.encode())
    return z[: len(z) // 2]


def unreadable(w: Path, d: Path) -> None:
    (d / "locked.fa").write_text(fasta(peaks(20, 3)))
    (d / "locked.fa").chmod(0)


CLEAN60 = fasta(peaks(60, 4))
DB60 = deepbind([(s, "1") for s in peaks(60, 5).values()])
AMBIGUOUS = fasta({f"amb{i}": ("NNRYKMSWBDHV"[i % 12] * 101) for i in range(60)})
BUG = ("-c", "import sys, demolib.data as d\n"
             "def boom(*a, **k):\n    raise RuntimeError('simulated bug')\n"
             "d.dataset_from_fasta = boom\n"
             "from demolib.cli import main\nsys.exit(main(sys.argv[1:]))")

CASES = [
    # ---- options: the message names the option (argparse type= functions)
    Case("epochs-0", TRAIN + ["--epochs", "0"], ["--epochs must be a positive integer", "got 0"]),
    Case("epochs-negative", TRAIN + ["--epochs", "-1"], ["--epochs must be a positive integer", "got -1"]),
    Case("epochs-not-a-number", TRAIN + ["--epochs", "ten"], ["--epochs must be a positive integer", "'ten'"]),
    Case("patience-negative", TRAIN + ["--patience", "-3"], ["--patience must be a non-negative integer"]),
    Case("min-epochs-negative", TRAIN + ["--min-epochs", "-1"], ["--min-epochs must be a non-negative integer"]),
    Case("min-epochs-over-epochs", TRAIN + ["--epochs", "2", "--min-epochs", "5"],
         ["--min-epochs 5 is more than --epochs 2"]),
    Case("threads-negative", TRAIN + ["--threads", "-1"], ["--threads must be an integer in 1.."]),
    Case("threads-0", TRAIN + ["--threads", "0"], ["--threads must be an integer in 1.."]),
    Case("device-banana", TRAIN + ["--device", "banana"], ["--device must be cpu, cuda", "'banana'"]),
    Case("device-cuda-without-gpu", TRAIN + ["--device", "cuda"],
         ["--device must be a device this machine has", "no CUDA GPU", "--device cpu"],
         skip="this machine has a CUDA GPU" if HAS_CUDA else None),
    Case("lr-0", TRAIN + ["--lr", "0"], ["--lr must be a number in (0, 1]"]),
    Case("lr-negative", TRAIN + ["--lr", "-0.1"], ["--lr must be a number in (0, 1]"]),
    Case("lr-nan", TRAIN + ["--lr", "nan"], ["--lr must be a number in (0, 1]"]),
    Case("seed-negative", TRAIN + ["--seed", "-5"], ["--seed must be an integer in 0..", "got -5"]),
    Case("top-negative", MOTIFS + ["--top", "-1"], ["--top must be a positive integer"]),
    Case("top-0", MOTIFS + ["--top", "0"], ["--top must be a positive integer"]),
    Case("width-negative", MOTIFS + ["--width", "-3"], ["--width must be a positive integer"]),
    Case("width-0", MOTIFS + ["--width", "0"], ["--width must be a positive integer"]),
    Case("width-longer-than-input", MOTIFS + ["--width", "500"], ["--width 500 is longer than the model's 101-bp"]),
    Case("dpi-0", DASH + ["--out", "{d}/x.png", "--dpi", "0"], ["--dpi must be an integer in 1.."]),
    Case("dpi-negative", DASH + ["--out", "{d}/x.png", "--dpi", "-1"], ["--dpi must be an integer in 1.."]),
    Case("archs-unknown", DASH + ["--out", "{d}/x.png", "--archs", "cnn,lstm"], ["--archs must be", "'cnn,lstm'"]),
    # ---- output paths, checked before any work
    Case("out-is-a-file", TRAIN, ["--out", "/out", "exists and is not a directory"], write("out", "keep me\n")),
    Case("out-empty", TRAIN[:-1] + [""], ["--out is empty"]),
    Case("out-under-a-file", TRAIN[:-1] + ["{d}/afile/ck"], ["--out", "afile is a file, not a directory"],
         write("afile", "x\n")),
    Case("out-dir-with-other-files", TRAIN, ["--out", "not part of a checkpoint", "'notes.txt'"],
         write("out/notes.txt", "mine\n")),
    Case("dashboard-out-under-a-file", DASH + ["--out", "{d}/afile/x.png"], ["--out", "afile is a file"],
         write("afile", "x\n")),
    Case("dashboard-out-empty", DASH + ["--out", ""], ["--out is empty"]),
    Case("dashboard-out-is-a-dir", DASH + ["--out", "{d}/pics"], ["--out", "pics: is a directory"],
         write("pics/keep.txt", "x\n")),
    Case("dashboard-out-unknown-format", DASH + ["--out", "{d}/x.docx"], ["--out", "cannot write .docx images"]),
    # ---- input files
    Case("fasta-gz-not-gzip", TRAIN[:2] + ["{d}/p.fa.gz"] + TRAIN[3:], ["p.fa.gz: not a valid gzip file"],
         write("p.fa.gz", CLEAN60)),
    Case("fasta-gz-truncated", TRAIN[:2] + ["{d}/p.fa.gz"] + TRAIN[3:], ["p.fa.gz: truncated gzip file", "re-download"],
         write("p.fa.gz", gz_truncated(CLEAN60))),
    Case("deepbind-gz-not-gzip", ["train", "--deepbind", "{d}/t.seq.gz", "--name", "X", "--arch", "cnn",
                                  "--out", "{d}/out"], ["t.seq.gz: not a valid gzip file"], write("t.seq.gz", DB60)),
    Case("deepbind-gz-truncated", ["train", "--deepbind", "{d}/t.seq.gz", "--name", "X", "--arch", "cnn",
                                   "--out", "{d}/out"], ["t.seq.gz: truncated gzip file"],
         write("t.seq.gz", gz_truncated(DB60))),
    Case("deepbind-empty-sequence", ["train", "--deepbind", "{d}/t.seq", "--name", "X", "--arch", "cnn",
                                     "--out", "{d}/out"], ["t.seq: line 3", "empty sequence"],
         write("t.seq", deepbind([("ACGT" * 30, "1"), ("", "1")]))),
    # a BOM used to make the header unreadable; now the reader gets as far as counting rows
    Case("deepbind-bom-accepted", ["train", "--deepbind", "{d}/t.seq", "--name", "X", "--arch", "cnn",
                                   "--out", "{d}/out"], ["t.seq", "only 5 usable"],
         write("t.seq", BOM + deepbind([(s, "1") for s in peaks(5, 6).values()]).encode())),
    Case("fasta-bom-crlf-accepted", TRAIN[:2] + ["{d}/p.fa"] + TRAIN[3:], ["p.fa", "only 5 usable peaks"],
         write("p.fa", BOM + fasta(peaks(5, 7)).replace("\n", "\r\n").encode())),
    Case("fasta-only-ambiguity-codes", TRAIN[:2] + ["{d}/p.fa"] + TRAIN[3:],
         ["p.fa: only 0 usable peaks", "60 of 60 dropped", "non-ACGT"], write("p.fa", AMBIGUOUS)),
    Case("fasta-is-a-directory", TRAIN[:2] + ["{d}/peaks"] + TRAIN[3:], ["peaks: is a directory"],
         write("peaks/a.fa", CLEAN60)),
    Case("fasta-missing", TRAIN[:2] + ["{d}/nope.fa"] + TRAIN[3:], ["nope.fa: no such file"]),
    Case("fasta-unreadable", TRAIN[:2] + ["{d}/locked.fa"] + TRAIN[3:], ["locked.fa", "ermission denied"], unreadable,
         skip="root reads a file whatever its mode" if IS_ROOT else None),
    Case("fasta-and-tf", TRAIN + ["--tf", "MAFK"], ["--tf", "--fasta"]),
    # ---- checkpoints and the data they were trained on
    Case("evaluate-source-changed", EVAL,
         lambda w, d: [f"{d}/peaks.fa has changed", data.sha256(d / "peaks.fa"), stored_sha(w)],
         copy_ck(with_source("{d}/peaks.fa", lambda w: (w / "peaks.fa").read_bytes() + b">new\r\nACGT\r\n"))),
    Case("evaluate-fasta-is-another-file", ["evaluate", "--checkpoint", "{w}/ck", "--fasta", "{w}/clean.fa"],
         lambda w, d: [f"--fasta {w}/clean.fa is not the file", data.sha256(w / "clean.fa"), stored_sha(w)]),
    # a checkpoint of an older version stored the path as given: relative to where it was trained
    Case("evaluate-old-relative-source-elsewhere", EVAL,
         lambda w, d: ["peaks.fa has changed", data.sha256(w / "clean.fa"), stored_sha(w)],
         copy_ck(with_source("peaks.fa", lambda w: (w / "clean.fa").read_bytes()))),
    Case("evaluate-source-missing", EVAL, ["gone.fa", "not there", "--fasta"], copy_ck(with_source("{d}/gone.fa"))),
    Case("evaluate-no-provenance", EVAL, ["/ck: checkpoint.json has no provenance", "--fasta"],
         copy_ck(drop_provenance)),
    Case("evaluate-provenance-not-an-object", EVAL, ["checkpoint.json", "'provenance' must be a JSON object"],
         copy_ck(lambda m, w, d: m.update(provenance=[1, 2]))),
    Case("evaluate-provenance-seed-malformed", EVAL, ["/ck", "provenance seed 'x'"],
         copy_ck(set_field("provenance", "seed", "x"))),
    Case("evaluate-weights-empty", EVAL, ["ck/weights.pt: empty file (0 bytes)"], copy_ck(files={"weights.pt": b""})),
    Case("evaluate-weights-other-size", EVAL,
         ["weights do not match", "conv.0.weight is (64, 4, 9) in the file, (32, 4, 9) in the model"],
         copy_ck(set_field("model_config", "conv_channels", 32))),
    Case("evaluate-weights-other-arch", EVAL,
         ["weights do not match", "a cnn small model", "missing tensor(s): conv.0.weight", "unexpected tensor(s)"],
         copy_ck(files={"weights.pt": lambda w: (w / "rnn_weights.pt").read_bytes()})),
    Case("evaluate-config-pool-0", EVAL, ["checkpoint.json: malformed", "pool must be an integer >= 1, got 0"],
         copy_ck(set_field("model_config", "pool", 0))),
    Case("evaluate-json-not-an-object", EVAL, ["checkpoint.json", "expected a JSON object, got a JSON list"],
         copy_ck(files={"checkpoint.json": b"[1, 2]\n"})),
    Case("evaluate-json-broken", EVAL, ["checkpoint.json: malformed checkpoint metadata"],
         copy_ck(files={"checkpoint.json": b"{not json"})),
    Case("evaluate-checkpoint-is-a-file", ["evaluate", "--checkpoint", "{w}/clean.fa"],
         ["clean.fa: is a file; a checkpoint is a directory"]),
    # ---- a bug is not bad input: exit 1, the traceback in a file
    Case("internal-error", TRAIN, ["internal error", "RuntimeError: simulated bug", "demo-traceback-", "report"],
         code=1, prefix=BUG),
]


def _run(case: Case, w: Path) -> tuple[subprocess.CompletedProcess, dict, dict, list[str]]:
    d = w / "cases" / case.id
    d.mkdir(parents=True)
    if case.setup is not None:
        case.setup(w, d)
    needles = case.needles(w, d) if callable(case.needles) else case.needles
    before = snapshot(d)
    argv = [a.format(w=w, d=d) for a in case.argv]
    r = subprocess.run([sys.executable, *case.prefix, *argv], cwd=case.cwd.format(w=w, d=d), capture_output=True,
                       text=True, timeout=300, env={**ENV, "TMPDIR": str(w / "tmp")})
    return r, before, snapshot(d), needles


@pytest.fixture(scope="module")
def ran(work) -> dict:
    todo = [c for c in CASES if c.skip is None]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip([c.id for c in todo], pool.map(lambda c: _run(c, work), todo)))


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.skip(reason=c.skip)] if c.skip else [])
                                  for c in CASES])
def test_bad_input_one_line_exit_2_nothing_written(case, ran):
    r, before, after, needles = ran[case.id]
    assert r.returncode == case.code, r.stderr
    line = one_line(r.stderr)
    for n in needles:
        assert n in line, (n, line)
    assert after == before  # nothing written, nothing half-written
    assert r.stdout == ""


def test_internal_error_traceback_file(ran, work):
    r = ran["internal-error"][0]
    path = Path(re.search(r"(\S*demo-traceback-\S*\.txt)", r.stderr).group(1))
    assert path.parent == work / "tmp"
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: simulated bug" in text
    assert text.startswith("demo train --fasta")


def test_internal_error_in_process(monkeypatch, capsys, tmp_path, work):
    """A bug (here a RuntimeError from the data reader) exits 1, one line naming the traceback file."""
    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(data, "dataset_from_fasta", boom)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    out = tmp_path / "out"
    argv = ["train", "--fasta", str(work / "clean.fa"), "--name", "X", "--arch", "cnn", "--out", str(out)]
    assert cli.main(argv) == 1
    line = one_line(capsys.readouterr().err)
    assert "internal error (RuntimeError: simulated bug)" in line
    tb = Path(re.search(r"(\S*demo-traceback-\S*\.txt)", line).group(1))
    assert tb.exists() and "in boom" in tb.read_text() and "RuntimeError: simulated bug" in tb.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [tb.name]  # no checkpoint, no lock file


# --------------------------------------------------------------------------
# What must keep working
# --------------------------------------------------------------------------
def test_evaluate_from_another_directory_finds_the_peaks(work):
    """The provenance stores the absolute path of peaks.fa (given relative at training); the
    BOM and CRLF are read, the all-N and all-IUPAC peaks dropped with a one-line warning."""
    prov = json.loads((work / "ck" / "checkpoint.json").read_text())["provenance"]
    assert prov["source"] == str(work.resolve() / "peaks.fa") and prov["n_dropped"] == 2
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-m", "demolib", "evaluate", "--checkpoint", "../ck"], cwd=elsewhere,
                       capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert all(ln.startswith("demo: warning: ") for ln in r.stderr.splitlines()), r.stderr  # no source lines
    assert "dropped 2 of 62 peaks" in r.stderr and "non-ACGT" in r.stderr
    res = json.loads(r.stdout.splitlines()[-1])
    test = json.loads((work / "ck" / "checkpoint.json").read_text())["metrics"]["test"]
    assert res["n"] == test["n"] == 12 and res["auroc"] == pytest.approx(test["auroc"], abs=1e-6)
    assert list(elsewhere.iterdir()) == []


def test_evaluate_without_provenance_given_the_peaks(work, tmp_path):
    shutil.copytree(work / "ck", tmp_path / "ck")
    meta = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    test = meta["metrics"]["test"]
    del meta["provenance"]
    (tmp_path / "ck" / "checkpoint.json").write_text(json.dumps(meta))
    r = subprocess.run([sys.executable, "-m", "demolib", "evaluate", "--checkpoint", "ck", "--fasta",
                        str(work / "peaks.fa"), "--name", "MYTF"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["auroc"] == pytest.approx(test["auroc"], abs=1e-6)


def test_train_writes_the_pair_and_nothing_else(work, tmp_path):
    """A relative --fasta is stored absolute; the checkpoint directory holds the two files;
    no lock file and no temporary directory are left beside it."""
    shutil.copy(work / "clean.fa", tmp_path / "clean.fa")
    (tmp_path / "run").mkdir()
    r = subprocess.run([sys.executable, "-m", "demolib", "train", "--fasta", "../clean.fa", "--name", "X", "--arch",
                        "cnn", "--size", "small", "--epochs", "1", "--min-samples", "0", "--quiet", "--out", "ck"],
                       cwd=tmp_path / "run",
                       capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["ck"]
    assert sorted(p.name for p in (tmp_path / "run" / "ck").iterdir()) == ["checkpoint.json", "weights.pt"]
    prov = json.loads((tmp_path / "run" / "ck" / "checkpoint.json").read_text())["provenance"]
    assert prov["source"] == str((tmp_path / "clean.fa").resolve())
    assert prov["sha256"] == data.sha256(tmp_path / "clean.fa")


# --------------------------------------------------------------------------
# Two writers, Ctrl-C
# --------------------------------------------------------------------------
def test_second_writer_is_refused_before_training(work, tmp_path):
    out = tmp_path / "ck"
    lock = cli.train_lock_path(out)
    assert lock == tmp_path / "ck.lock"
    with open(lock, "w") as fh:  # the first `demo train` holds this while it trains and writes
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "demolib", "train", "--fasta", str(work / "clean.fa"), "--name",
                            "X", "--arch", "cnn", "--out", str(out)], capture_output=True, text=True, timeout=300,
                           env=ENV)
        seconds = time.perf_counter() - t0
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert f"another `demo train` is writing {out}; wait for it or choose another --out" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ck.lock"]
    assert seconds < 30  # refused at once, not after training


def _sigint_as_from_a_shell():
    """In the child before exec: SIGINT unblocked and at its default disposition, as a shell starts a
    command. The pytest process may run with SIGINT blocked or ignored, left so by an earlier test's
    helper processes, and a child inherits both; Python then never sees the Ctrl-C this test sends."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "progress-bar"])
def test_ctrl_c_during_training(work, tmp_path, quiet):
    """SIGINT while training: exit 130, one line, no checkpoint, no lock file, no temporary files."""
    err = tmp_path / "stderr.txt"
    out = tmp_path / "run" / "ck"  # the missing parent is created for the lock, and removed again
    argv = [sys.executable, "-m", "demolib", "train", "--fasta", str(work / "clean.fa"), "--name", "X", "--arch",
            "cnn", "--size", "small", "--epochs", "100000", "--patience", "100000", "--max-samples", "0",
            "--out", str(out)]  # a run that does not end by itself (no sample cap either)
    with open(err, "w") as fh:
        p = subprocess.Popen(argv + (["--quiet"] if quiet else []), stderr=fh, stdout=subprocess.PIPE, env=ENV,
                             preexec_fn=_sigint_as_from_a_shell)
        try:
            deadline = time.monotonic() + 300  # generous: a cold first import of torch under load is slow
            if quiet:  # the lock is taken before the data are read and torch is imported
                while not cli.train_lock_path(out).exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(3)
            else:  # the progress bar shows finished epochs
                while "3/100000" not in err.read_text() and time.monotonic() < deadline:
                    time.sleep(0.05)
            assert p.poll() is None, err.read_text()
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:  # say what the test process's SIGINT state was
                pytest.fail(f"no exit 60 s after SIGINT; in the test process SIGINT is {signal.getsignal(signal.SIGINT)}, "
                            f"blocked: {signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])}\n{err.read_text()}")
        finally:
            if p.poll() is None:
                p.kill()
    text = err.read_text()
    assert p.returncode == 130, text
    assert "Traceback" not in text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[-1] == "demo: interrupted; no partial output was left"
    if quiet:
        assert len(lines) == 1, text
    else:
        assert all("/100000" in ln for ln in lines[:-1]), text  # only progress-bar lines before it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]


# --------------------------------------------------------------------------
# Library pieces behind the cases
# --------------------------------------------------------------------------
def small_model(seed: int):
    torch.manual_seed(seed)
    return build_model(preset("cnn", "small", conv_channels=8))


def test_save_checkpoint_replaces_a_checkpoint_as_a_pair(tmp_path):
    train.save_checkpoint(tmp_path / "ck", small_model(0), metrics={"run": 0})
    train.save_checkpoint(tmp_path / "ck", small_model(1), metrics={"run": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temporary or old directory left
    ck = train.load_checkpoint(tmp_path / "ck")
    assert ck.metrics == {"run": 1}
    assert torch.equal(ck.model.state_dict()["conv.0.weight"], small_model(1).state_dict()["conv.0.weight"])
    assert oct((tmp_path / "ck").stat().st_mode & 0o777) != oct(0o700)


@pytest.mark.parametrize("failure", ["metadata-write", "rename-into-place", "ctrl-c-at-rename"])
def test_save_checkpoint_failing_midway_keeps_the_old_pair(tmp_path, monkeypatch, failure):
    train.save_checkpoint(tmp_path / "ck", small_model(0), metrics={"run": 0})
    old = snapshot(tmp_path)
    if failure == "metadata-write":  # weights.pt already written (into the temporary directory)
        def fail(path, obj):
            raise OSError(28, "No space left on device", str(path))
        monkeypatch.setattr(train, "atomic_write_json", fail)
        expected = OSError
    else:
        real_rename = os.rename
        exc = OSError(5, "Input/output error") if failure == "rename-into-place" else KeyboardInterrupt()
        expected = type(exc)

        calls = []

        def rename(src, dst):
            if ".tmp" in Path(src).name:
                calls.append(src)
                if len(calls) == 2:  # the old checkpoint was in the way and renamed away; now this fails
                    raise exc
            return real_rename(src, dst)
        monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(expected) as e:
        train.save_checkpoint(tmp_path / "ck", small_model(1), metrics={"run": 1})
    monkeypatch.undo()
    assert snapshot(tmp_path) == old  # the old pair, byte for byte, and nothing else
    if failure == "metadata-write":
        assert e.value.filename == str(tmp_path / "ck" / "checkpoint.json")  # not the temporary name
    else:
        assert len(calls) == 2


def test_save_checkpoint_refuses_to_replace_other_files(tmp_path):
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not part of a checkpoint"):
        train.save_checkpoint(tmp_path / "ck", small_model(0))
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        train.save_checkpoint(tmp_path / "file", small_model(0))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ck", "file", "notes.txt"]


def test_atomic_write_names_the_target_not_the_temporary_file(tmp_path):
    from demolib.utils import atomic_write

    def full(p):
        raise OSError(28, "No space left on device", str(p))

    with pytest.raises(OSError) as e:
        atomic_write(tmp_path / "fig.png", full)
    assert e.value.filename == str(tmp_path / "fig.png")
    assert list(tmp_path.iterdir()) == []


def test_cli_reads_the_registry_without_torch():
    code = ("import sys; from demolib import cli; from demolib.architectures import ARCHITECTURES; "
            "p = cli.build_parser(); print('torch' in sys.modules, p._subparsers._group_actions[0]"
            ".choices['train']._option_string_actions['--arch'].choices == tuple(ARCHITECTURES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


@pytest.mark.parametrize("field, value", [("pool", 0), ("conv_channels", 0), ("hidden", 0), ("layers", 0),
                                          ("seq_len", 0), ("dropout", 1.0), ("dropout", -0.1), ("pool", 1.5)])
def test_model_config_rejects_bad_fields(field, value):
    with pytest.raises(ValueError, match=f"field {field} must be"):
        ModelConfig(arch="cnn", conv_widths=(9,), **{field: value})


def test_readers_accept_bom_and_crlf_and_name_bad_gzip(tmp_path):
    (tmp_path / "a.seq").write_bytes(BOM + deepbind([("ACGT", "1"), ("GGCC", "0")]).replace("\n", "\r\n").encode())
    seqs, labels, ids = data.read_deepbind(tmp_path / "a.seq")
    assert seqs == ["ACGT", "GGCC"] and labels.tolist() == [1, 0] and ids == ["ev0", "ev1"]
    (tmp_path / "a.fa").write_bytes(BOM + b">x\r\nAC\r\nGT\r\n")
    assert data.read_fasta(tmp_path / "a.fa")[0].seq == "ACGT"
    (tmp_path / "b.fa.gz").write_bytes(gz_truncated(fasta(peaks(50, 0))))
    with pytest.raises(ValueError, match=r"b\.fa\.gz: truncated gzip file"):
        data.read_fasta(tmp_path / "b.fa.gz")
