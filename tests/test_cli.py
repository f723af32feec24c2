from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from demolib.cli import main
from demolib.data import make_synthetic


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def peak_fasta(tmp_path_factory):
    """A user's peak FASTA: 141-bp peaks (a planted MAFK site in the central 101 bp), lower case, 70 columns."""
    ds = make_synthetic("MAFK", n=1200, seed=5)
    rng = np.random.default_rng(0)
    pos = [s for s, y in zip(ds.train.seqs + ds.valid.seqs + ds.test.seqs,
                             np.r_[ds.train.labels, ds.valid.labels, ds.test.labels]) if y == 1]
    lines = []
    for i, s in enumerate(pos):
        s = "".join(rng.choice(list("ACGT"), 20)) + s + "".join(rng.choice(list("ACGT"), 20))
        lines += [f">peak{i} chrX:{i * 1000}-{i * 1000 + 141}", *(s[j : j + 70].lower() for j in range(0, 141, 70))]
    p = tmp_path_factory.mktemp("peaks") / "my_peaks.fa"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_datasets_lists_counts(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "MAFK" in out and "POU5F1" in out and "3200+3200" in out and "synthetic-grammar" in out


def test_train_fasta_then_evaluate(peak_fasta, tmp_path, capsys):
    ck = tmp_path / "ck"
    rc = main(["train", "--fasta", str(peak_fasta), "--name", "MYTF", "--arch", "cnn", "--size", "small",
               "--out", str(ck), "--epochs", "8", "--lr", "0.003", "--quiet", "--seed", "1", "--min-samples", "0"])
    assert rc == 0
    res = last_json(capsys.readouterr().out)
    assert {"auroc", "auprc", "accuracy"} <= set(res) and res["dataset"] == "MYTF"
    assert res["auroc"] > 0.7
    assert main(["evaluate", "--checkpoint", str(ck)]) == 0
    ev = last_json(capsys.readouterr().out)
    assert ev["auroc"] == pytest.approx(res["auroc"], abs=1e-6)  # rebuilt the same test split


def test_train_max_samples(peak_fasta, tmp_path, capsys):
    """--max-samples caps the sequences seen (whole minibatches); 0 removes the default cap."""
    import json

    argv = ["train", "--fasta", str(peak_fasta), "--name", "MYTF", "--arch", "cnn", "--size", "small", "--quiet",
            "--epochs", "4", "--min-samples", "0", "--batch-size", "32"]
    assert main([*argv, "--out", str(tmp_path / "a"), "--max-samples", "100"]) == 0
    out = capsys.readouterr()
    assert last_json(out.out)["stopped_by"] == "step budget" and "stopped after 100 sequences seen" in out.err
    meta = json.loads((tmp_path / "a" / "checkpoint.json").read_text())
    assert meta["train_config"]["max_samples"] == 100 and meta["history"][-1]["steps"] == 4  # ceil(100 / 32)
    assert main([*argv, "--out", str(tmp_path / "b"), "--max-samples", "0"]) == 0
    out = capsys.readouterr()
    assert last_json(out.out)["stopped_by"] in ("epoch cap", "patience") and "--max-samples" not in out.err
    assert json.loads((tmp_path / "b" / "checkpoint.json").read_text())["train_config"]["max_samples"] is None
    assert main([*argv, "--out", str(tmp_path / "c")]) == 0  # the default budget: 500,000 sequences for the CNN
    assert json.loads((tmp_path / "c" / "checkpoint.json").read_text())["train_config"]["max_samples"] == 500_000
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["train", "--tf", "NOPE", "--arch", "cnn", "--out", "x"], "unknown dataset 'NOPE'"),
        (["train", "--arch", "cnn", "--out", "x"], "give --tf NAME"),
        (["train", "--tf", "MAFK", "--arch", "lstm", "--out", "x"], "invalid choice: 'lstm'"),
        (["evaluate", "--checkpoint", "/nonexistent/dir"], "not a demolib checkpoint"),
        (["evaluate", "--tf", "MAFK"], "give --checkpoint DIR"),
        (["motifs", "--tf", "MAFK", "--arch", "cnn", "--method", "gradcam"], "'saliency', 'temporal', 'classopt'"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1


def test_bad_fasta_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_text(">p1\nACGTQQQ\n")
    r = subprocess.run([sys.executable, "-m", "demolib", "train", "--fasta", str(bad), "--name", "X",
                        "--arch", "cnn", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert "bad.fa" in r.stderr and "'p1'" in r.stderr


def test_dashboard_method_choices_are_the_registry():
    """`demo dashboard --method` and `demo motifs --method` accept every registered method (read without torch)."""
    code = ("import sys; from demolib import cli; from demolib.attribution import ATTRIBUTIONS; "
            "sub = cli.build_parser()._subparsers._group_actions[0].choices; "
            "dash = sub['dashboard']._option_string_actions['--method'].choices; "
            "mot = sub['motifs']._option_string_actions['--method'].choices; "
            "print('torch' in sys.modules, tuple(dash) == tuple(ATTRIBUTIONS) + ('classopt',), "
            "set(ATTRIBUTIONS) <= set(mot))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True"]


def test_dashboard_with_registered_methods(tmp_path, capsys):
    out = tmp_path / "dash.png"
    argv = ["dashboard", "--tf", "MAFK", "--archs", "cnn,rnn", "--method", "ism", "--method", "deeplift-shap",
            "--out", str(out), "--dpi", "30"]
    assert main(argv) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(argv[:-4] + ["--method", "gradcam", "--out", str(out)]) == 2
    assert "invalid choice: 'gradcam'" in capsys.readouterr().err
