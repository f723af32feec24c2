from __future__ import annotations

import gzip
import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demolib import baselines, data


def dinucs(s: str) -> Counter:
    s = s.upper()
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


# --------------------------------------------------------------------- encoding
@given(st.lists(st.text(alphabet="ACGT", min_size=7, max_size=7), min_size=1, max_size=5))
def test_one_hot_decode_roundtrip(seqs):
    X = data.one_hot(seqs)
    assert X.shape == (len(seqs), 4, 7) and X.dtype == np.float32
    assert (X.sum(axis=1) == 1).all()
    assert data.decode(X) == seqs


def test_one_hot_acgt_order_n_lowercase():
    X = data.one_hot("acgtNR")[0]
    assert X[:, :4].tolist() == np.eye(4).tolist()
    assert (X[:, 4:] == 0).all()  # N and other IUPAC codes are zero columns
    assert data.decode(X) == ["ACGTNN"]


def test_one_hot_unequal_lengths():
    with pytest.raises(ValueError, match="equal-length"):
        data.one_hot(["ACG", "AC"])


def test_reverse_complement():
    assert data.reverse_complement("AACGTN") == "NACGTT"


# --------------------------------------------------------------------- shuffle
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ACGTNacgt", min_size=0, max_size=60), st.integers(0, 2**32 - 1))
def test_shuffle_preserves_dinucleotides(seq, seed):
    out = data.dinucleotide_shuffle(seq, seed)
    assert len(out) == len(seq)
    assert dinucs(out) == dinucs(seq)
    if seq:
        assert out[0] == seq[0].upper() and out[-1] == seq[-1].upper()


def test_shuffle_is_uniform_by_enumeration():
    seq = "ACAGTCATGA"  # small enough to enumerate every sequence with its counts
    target = dinucs(seq)
    valid = {
        "".join(p)
        for p in set(itertools.permutations(seq))
        if p[0] == seq[0] and p[-1] == seq[-1] and dinucs("".join(p)) == target
    }
    assert len(valid) >= 4
    rng = np.random.default_rng(123)
    n = 400 * len(valid)
    counts = Counter(data.dinucleotide_shuffle(seq, rng) for _ in range(n))
    assert set(counts) == valid  # reaches every sequence, and nothing else
    expected = n / len(valid)
    chi2 = sum((counts[s] - expected) ** 2 / expected for s in valid)
    # chi-square with len(valid)-1 dof; 99.99th percentile bound via Wilson-Hilferty
    dof = len(valid) - 1
    bound = dof * (1 - 2 / (9 * dof) + 3.719 * (2 / (9 * dof)) ** 0.5) ** 3
    assert chi2 < bound, (chi2, bound, counts)


def test_shuffle_deterministic_with_seed():
    s = "ACGTTGCAAGGCTTACGATCGATCGGA"
    assert data.dinucleotide_shuffle(s, 5) == data.dinucleotide_shuffle(s, 5)


# --------------------------------------------------------------------- readers
def test_read_fasta_multiline_lowercase_n(fasta_file):
    p = fasta_file({"a desc": "acgtN" * 30, "b": "ACGT"}, width=7)
    recs = data.read_fasta(p)
    assert [r.id for r in recs] == ["a", "b"]
    assert recs[0].seq == "ACGTN" * 30 and recs[0].description == "desc"


def test_read_fasta_gz(tmp_path):
    p = tmp_path / "x.fa.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(">r1\nACGT\nAC\n")
    assert data.read_fasta(p)[0].seq == "ACGTAC"


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty file"),
        ("hello world\nACGT\n", "line 1 is not FASTA"),
        (">r1\nACGTXZ\n", "r1.*not IUPAC DNA"),
        (">r1\nACGT\n>r1\nACGA\n", "duplicate record id 'r1'"),
        (">r1\n>r2\nACGT\n", "'r1' has no sequence"),
    ],
)
def test_read_fasta_errors_name_file_and_record(tmp_path, text, match):
    p = tmp_path / "bad.fa"
    p.write_text(text)
    with pytest.raises(ValueError, match=match) as e:
        data.read_fasta(p)
    assert "bad.fa" in str(e.value)


def test_read_fasta_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.read_fasta(tmp_path / "nope.fa")


def test_read_deepbind(tmp_path):
    p = tmp_path / "TF.seq.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("FoldID\tEventID\tseq\tBound\n")
        fh.write("A\tpeak1\tACGTACGT\t1\nA\tpeak1_shuf\tACGTTGCA\t0\n")
    seqs, labels, ids = data.read_deepbind(p)
    assert seqs == ["ACGTACGT", "ACGTTGCA"] and labels.tolist() == [1, 0] and ids[0] == "peak1"


def test_read_deepbind_bad_label(tmp_path):
    p = tmp_path / "TF.seq"
    p.write_text("FoldID\tEventID\tseq\tBound\nA\tp\tACGT\tyes\n")
    with pytest.raises(ValueError, match="line 2.*Bound must be 0 or 1"):
        data.read_deepbind(p)


def test_read_demo_folder(tmp_path):
    (tmp_path / "train.fa").write_text(">1\nACGT\n>0\nTTTT\n")
    (tmp_path / "test.fa").write_text(">1\nACGA\n")
    out = data.read_demo_folder(tmp_path)
    assert out["train"][1].tolist() == [1, 0] and out["test"][0] == ["ACGA"]
    (tmp_path / "test.fa").write_text(">pos\nACGA\n")
    with pytest.raises(ValueError, match="header must be '>1' or '>0'"):
        data.read_demo_folder(tmp_path)


# --------------------------------------------------------------------- tasks
def test_fit_length_policy():
    assert data.fit_length("A" * 50 + "C" + "G" * 50, 1) == "C"
    assert data.fit_length("ACGTA", 3) == "CGT"
    assert data.fit_length("AC", 6, short="pad") == "NNACNN"
    with pytest.raises(ValueError, match="shorter than the model"):
        data.fit_length("ACG", 101, where="record 'x'")


def test_make_task_from_fasta(fasta_file, rng):
    peaks = {f"p{i}": "".join(rng.choice(list("ACGT"), 150)) for i in range(40)}
    ds = data.dataset_from_fasta(fasta_file(peaks), "TOY", seed=3)
    assert ds.length == 101
    all_ids = []
    for split in (ds.train, ds.valid, ds.test):
        pos = {i: s for i, s, y in zip(split.ids, split.seqs, split.labels) if y == 1}
        for i, s, y in zip(split.ids, split.seqs, split.labels):
            if y == 0:  # each negative is a dinucleotide shuffle of a positive in the same split
                src = pos[i.removesuffix("/shuf")]
                assert dinucs(s) == dinucs(src)
            else:
                assert s == data.fit_length(peaks[i], 101)
        all_ids += split.ids
    assert len(all_ids) == len(set(all_ids)) == 80
    again = data.dataset_from_fasta(fasta_file(peaks), "TOY", seed=3)
    assert again.test.seqs == ds.test.seqs
    assert data.dataset_from_fasta(fasta_file(peaks), "TOY", seed=4).test.seqs != ds.test.seqs


def test_make_task_too_short_and_drop_warning(fasta_file, rng):
    peaks = {f"p{i}": "".join(rng.choice(list("ACGT"), 120)) for i in range(30)}
    peaks["short"] = "ACGT" * 10
    with pytest.raises(ValueError, match="'short' is 40 bp"):
        data.dataset_from_fasta(fasta_file(peaks), "TOY")
    del peaks["short"]
    peaks["allN"] = "N" * 120
    with pytest.warns(UserWarning, match="dropped 1 of 31 peaks"):
        ds = data.dataset_from_fasta(fasta_file(peaks), "TOY")
    assert sum(len(s) for s in (ds.train, ds.valid, ds.test)) == 60


def test_shipped_mafk_dataset():
    ds = data.load_dataset("MAFK")
    c = ds.counts()
    assert c["test"] == {"pos": 400, "neg": 400}
    assert sum(v["pos"] for v in c.values()) == 4000
    assert ds.length == 101
    with pytest.raises(ValueError, match="unknown dataset 'FOO'"):
        data.load_dataset("FOO")


@pytest.mark.parametrize("tf", data.SYNTHETIC_TFS)
def test_synthetic_sites_are_planted(tf):
    ds = data.make_synthetic(tf, n=200, seed=2)
    motif = data.jaspar_motif(tf)
    for seq, y, sites in zip(ds.train.seqs, ds.train.labels, ds.train.sites):
        assert (len(sites) == 1) == (y == 1)
        for s in sites:
            inst = seq[s.start : s.end]
            if s.strand < 0:
                inst = data.reverse_complement(inst)
            # the instance was drawn from the PWM: it must have positive probability everywhere
            probs = [motif.pwm[j, "ACGT".index(b)] for j, b in enumerate(inst)]
            assert min(probs) > 0


def test_grammar_labels_follow_order_and_spacing():
    ds = data.make_grammar(n=200, seed=1)
    for y, (a, b) in zip(ds.train.labels, ds.train.sites):
        gap = b.start - a.end
        if y == 1:
            assert a.motif == "GATA1" and b.motif == "MAFK" and 5 <= gap <= 15
        else:
            assert (a.motif == "MAFK") or gap > 30


@pytest.fixture(scope="module")
def grammar():
    return data.make_grammar()  # the shipped design (load_dataset("synthetic-grammar"))


def _grammar_rows(ds):
    for split in (ds.train, ds.valid, ds.test):
        yield from zip(split.seqs, split.labels, split.ids, split.sites)


def test_grammar_balanced_with_both_motifs_in_every_sequence(grammar):
    rows = list(_grammar_rows(grammar))
    assert len(rows) == 6000 and sum(y for _, y, _, _ in rows) == 3000
    assert Counter(i.split("_")[1] for _, _, i, _ in rows) == {"pos": 3000, "swap": 1500, "far": 1500}
    for seq, _, _, sites in rows:
        assert len(seq) == 101 and sorted(s.motif for s in sites) == ["GATA1", "MAFK"]
        for s in sites:
            motif = data.jaspar_motif(s.motif)
            inst = seq[s.start : s.end]
            assert s.strand == 1 and s.end - s.start == motif.width
            assert min(motif.pwm[j, "ACGT".index(b)] for j, b in enumerate(inst)) > 0
            # a clear match of the JASPAR matrix (log-odds, bits) where the site is recorded
            assert baselines.pwm_scores(data.one_hot(inst), motif)[0] > 5


def test_grammar_rule_holds_for_every_sequence(grammar):
    lo, hi = grammar.provenance["spacing"]
    for _, y, sid, (up, down) in _grammar_rows(grammar):
        gap = down.start - up.end
        kind = sid.split("_")[1]
        order = (up.motif, down.motif)
        assert gap >= 8  # no 9-bp window touches both sites
        assert y == int(order == ("GATA1", "MAFK") and lo <= gap <= hi)
        assert {"pos": order == ("GATA1", "MAFK") and lo <= gap <= hi,
                "swap": order == ("MAFK", "GATA1") and lo <= gap <= hi,
                "far": order == ("GATA1", "MAFK") and gap >= grammar.provenance["far_gap"]}[kind], (sid, gap)


def test_grammar_motif_presence_is_at_chance(grammar):
    from sklearn.metrics import roc_auc_score

    X = np.concatenate([s.X for s in (grammar.train, grammar.valid, grammar.test)])
    y = np.concatenate([s.labels for s in (grammar.train, grammar.valid, grammar.test)])
    scores = {tf: baselines.pwm_scores(X, data.jaspar_motif(tf)) for tf in ("GATA1", "MAFK")}
    scores["sum"] = scores["GATA1"] + scores["MAFK"]
    for name, s in scores.items():
        assert abs(roc_auc_score(y, s) - 0.5) < 0.025, name  # 6,000 sequences: SE of an AUROC about 0.0075


def test_grammar_is_seeded_and_checks_its_design():
    a, b = data.make_grammar(n=40, seed=5), data.make_grammar(n=40, seed=5)
    assert a.train.seqs == b.train.seqs and a.test.sites == b.test.sites
    assert data.make_grammar(n=40, seed=6).train.seqs != a.train.seqs
    assert data.load_dataset("synthetic-grammar").test.seqs == data.make_grammar().test.seqs
    assert data.canonical_name("Synthetic-Grammar") == "synthetic-grammar" == data.make_grammar(n=8).name
    assert data.canonical_name("synthetic-gata1") == "synthetic-GATA1"
    with pytest.raises(ValueError, match="spacing"):
        data.make_grammar(n=8, spacing=(9, 8))
    with pytest.raises(ValueError, match="far_gap"):
        data.make_grammar(n=8, far_gap=8)  # must exceed the largest close gap
    with pytest.raises(ValueError, match="fraction"):
        data.make_grammar(n=8, far=1.5)
    only_swaps = data.make_grammar(n=40, far=0)
    assert not any("_far_" in i for i in only_swaps.train.ids)


def test_sharpened_motif():
    m = data.jaspar_motif("MAFK")
    assert np.allclose(data.sharpened(m, 1).pwm, m.pwm / m.pwm.sum(axis=1, keepdims=True))
    s = data.sharpened(m, 2)
    assert np.allclose(s.pwm.sum(axis=1), 1) and s.consensus() == m.consensus()
    assert (s.pwm.max(axis=1) >= m.pwm.max(axis=1) - 1e-12).all()
    with pytest.raises(ValueError, match="positive"):
        data.sharpened(m, 0)


def test_jaspar_lookup():
    assert data.jaspar_motif("MAFK").id.startswith("MA0496")
    assert data.jaspar_motif("oct4").name == "POU5F1"
    m = data.jaspar_motif("GATA1")
    assert np.allclose(m.pwm.sum(axis=1), 1, atol=1e-4)
    with pytest.raises(ValueError, match="did you mean"):
        data.jaspar_motif("MAFKK")
    assert len(data.load_jaspar()) == 879


def test_known_tf():
    from demolib.data import known_tf

    assert known_tf("synthetic-GATA1") == "GATA1" and known_tf("MAFK") == "MAFK" and known_tf("ZBTB7A") == "ZBTB7A"


def test_pwm_baseline_ranks_the_raw_scan_scores():
    """The JASPAR baseline's AUROC is that of the log-odds themselves (no squashing ties)."""
    from sklearn.metrics import roc_auc_score

    ds = data.load_dataset("MYC")
    s = baselines.pwm_scores(ds.test.X, data.jaspar_motif("MYC"))
    r = baselines.pwm_baseline(ds, "MYC")
    assert r["auroc"] == roc_auc_score(ds.test.labels, s)
    assert r["accuracy"] == np.mean((s >= np.median(s)) == ds.test.labels)
