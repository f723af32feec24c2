"""Tests of demolib.motifs: windows, PWMs, Tomtom, families, scanning, extraction."""
from __future__ import annotations

import sys
import time
import types

import numpy as np
import pytest
import torch

import demolib
from demolib import motifs as M
from demolib.data import ALPHABET, Site, jaspar_motif, one_hot, reverse_complement, sample_instance
from demolib.models import ConvNet, RecurrentNet, preset


@pytest.fixture(scope="session", autouse=True)
def memelite_compiled():
    """Pay memelite's numba compilation (or cache load) once per session."""
    return M.warm_up(fimo=True)


def _random_seqs(rng: np.random.Generator, n: int, L: int) -> list[str]:
    return ["".join(ALPHABET[i] for i in rng.integers(0, 4, size=L)) for _ in range(n)]


def _planted(motif, n: int, L: int = 101, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """n random sequences, each with one forward instance of ``motif``; returns (seqs, starts)."""
    rng = np.random.default_rng(seed)
    w = motif.width
    seqs, starts = [], []
    for s in _random_seqs(rng, n, L):
        p = int(rng.integers(0, L - w + 1))
        seqs.append(s[:p] + sample_instance(motif, rng) + s[p + w :])
        starts.append(p)
    return seqs, np.array(starts)


def _filter_model(arch: str, motif, channels: int = 2):
    """A model whose first filter is the log-odds of ``motif`` (the others zero)."""
    cfg = preset(arch, "small", conv_widths=(motif.width,), conv_channels=channels)
    model = ConvNet(cfg) if arch == "cnn" else RecurrentNet(cfg)
    with torch.no_grad():
        model.first_conv.weight.zero_()
        model.first_conv.bias.zero_()
        lo = np.log2((motif.pwm + 0.01) / 1.04 / 0.25)
        model.first_conv.weight[0] = torch.tensor(lo.T, dtype=torch.float32)
    return model.eval()


# --------------------------------------------------------------------------
# Window finders
# --------------------------------------------------------------------------
def test_saliency_window():
    a = np.zeros((3, 12))
    a[0, 5:8] = 1.0
    a[1, 0] = 3.0
    a[2, 9:12] = [1.0, 2.0, 3.0]
    assert M.saliency_window(a, 3).tolist() == [5, 0, 9]
    assert M.saliency_window(a[2], 1).tolist() == [11]  # 1-D input is one sequence
    assert M.saliency_window(a, 12).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match=r"motif width k=13 is longer than the sequence \(L=12\)"):
        M.saliency_window(a, 13)
    with pytest.raises(ValueError, match="positive"):
        M.saliency_window(a, 0)


def test_temporal_window_rise_and_start_score():
    f = np.array([[0.2, 0.2, 0.2, 0.9, 0.9, 0.9]])
    assert M.temporal_window(f, 2).tolist() == [2]  # rise f[3] - f[1] (first of a tie with s=3)
    assert M.temporal_window(f, 1).tolist() == [3]
    # the empty prefix takes forward[0] by default, or a given score
    f = np.array([[0.95, 0.95, 0.4, 0.4, 0.6, 0.6]])
    assert M.temporal_window(f, 2).tolist() == [3]
    assert M.temporal_window(f, 2, start_score=0.5).tolist() == [0]
    with pytest.raises(ValueError, match="start_score"):
        M.temporal_window(f, 2, start_score="zero")
    with pytest.raises(ValueError, match=r"k=7 is longer than the sequence \(L=6\)"):
        M.temporal_window(f, 7)


def test_temporal_window_backward():
    L = 10
    fwd = np.full((1, L), 0.3)
    bwd = np.array([[0.9] * 5 + [0.1] * 5])  # the suffix score jumps when reading position 4
    assert M.temporal_window(fwd, 1, backward=bwd).tolist() == [4]
    with pytest.raises(ValueError, match="shape"):
        M.temporal_window(fwd, 1, backward=bwd[:, :5])


def test_information_content_and_max_ic_window():
    assert np.allclose(M.information_content(np.full((3, 4), 0.25)), 0)
    assert np.allclose(M.information_content(np.eye(4)), 2)
    pwm = np.full((20, 4), 0.25)
    pwm[8:14] = np.eye(4)[[0, 1, 2, 3, 0, 1]]
    assert M.max_ic_window(pwm, 6) == 8
    assert M.max_ic_window(pwm, 20) == 0
    with pytest.raises(ValueError, match=r"motif width k=21 is longer than the sequence \(L=20\)"):
        M.max_ic_window(pwm, 21)


# --------------------------------------------------------------------------
# PWMs from windows
# --------------------------------------------------------------------------
def test_pwm_from_windows_counts():
    pwm = M.pwm_from_windows(["ACGTN", "AAGTA"], [0, 1], 3)
    assert pwm.shape == (3, 4)
    assert np.allclose(pwm, [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0.5, 0.5]])
    # N counts nothing; a row of only N is uniform; pseudocount is added to every count
    pwm = M.pwm_from_windows(["ACGTN", "AAGTN"], [3, 3], 2, pseudocount=1.0)
    assert np.allclose(pwm[0], [1 / 6, 1 / 6, 1 / 6, 3 / 6])
    assert np.allclose(pwm[1], 0.25)
    assert np.allclose(M.pwm_from_windows(["ACGTN"], [4], 1), 0.25)
    # windows over the ends are padded with N
    assert M.window_strings(["ACGTA"], [-2], 4) == ["NNAC"]
    assert M.window_strings(["ACGTA"], [3], 4) == ["TANN"]
    with pytest.raises(ValueError, match="overlap"):
        M.window_strings(["ACGTA"], [5], 2)
    with pytest.raises(ValueError, match="starts"):
        M.pwm_from_windows(["ACGTA"], [0, 1], 2)


def test_pwm_from_onehot_windows_matches_strings():
    rng = np.random.default_rng(3)
    seqs = _random_seqs(rng, 30, 40)
    starts = rng.integers(0, 40 - 8 + 1, size=30)
    a = M.pwm_from_windows(seqs, starts, 8, pseudocount=0.1)
    b = M.pwm_from_onehot_windows(one_hot(seqs), starts, 8, pseudocount=0.1)
    assert np.allclose(a, b) and np.allclose(a.sum(1), 1)
    with pytest.raises(ValueError, match=r"k=41 is longer than the sequence \(L=40\)"):
        M.pwm_from_onehot_windows(one_hot(seqs), starts, 41)


# --------------------------------------------------------------------------
# Tomtom and families
# --------------------------------------------------------------------------
def test_tomtom_mafk_self_match():
    mafk = jaspar_motif("MAFK")
    matches = M.tomtom(mafk.pwm, top=10)
    assert len(matches) == 10
    best = matches[0]
    assert (best.id, best.name, best.strand, best.offset) == ("MA0496.4", "MAFK", 1, 0)
    assert best.q < 0.05 and best.family == "Maf-related"
    p = [m.p for m in matches]
    assert p == sorted(p)
    assert all(m.q >= m.p for m in matches)
    # the reverse complement matches the same motif on strand -1
    rc = M.tomtom(mafk.pwm[::-1, ::-1], top=1)[0]
    assert rc.id == "MA0496.4" and rc.strand == -1


def test_tomtom_sampled_gata1_instances():
    gata1 = jaspar_motif("GATA1")
    rng = np.random.default_rng(0)
    inst = [sample_instance(gata1, rng) for _ in range(200)]
    pwm = M.pwm_from_windows(inst, np.zeros(200, dtype=int), gata1.width)
    best = M.tomtom(pwm, top=3)[0]
    assert best.name.upper() == "GATA1" or "C4-GATA-related" in best.families
    assert best.q < 0.05


def test_tomtom_many_batched_and_bh():
    motifs = [jaspar_motif(n) for n in ("MAFK", "GATA1", "NFYB")]
    many = M.tomtom_many([m.pwm for m in motifs], top=None)
    assert len(many) == 3 and all(len(r) == 879 for r in many)
    for m, r in zip(motifs, many):
        assert r[0].id == m.id
        one = M.tomtom(m.pwm, top=5)
        assert [x.id for x in one] == [x.id for x in r[:5]]
        # BH over the whole database
        p = np.array([x.p for x in r])
        q = np.minimum(np.minimum.accumulate((p * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1], 1)
        assert np.allclose([x.q for x in r], q)
    assert M.tomtom_many([]) == []


def test_family_of():
    assert M.family_of("MAFK") == {"Maf-related"}
    assert M.family_of("mafk") == {"Maf-related"}
    assert M.family_of("MA0496.4") == {"Maf-related"}
    assert M.family_of("MA0496") == {"Maf-related"}
    assert M.family_of("POU5F1") == {"POU domain factors"}
    assert M.family_of("Oct4") == {"POU domain factors"}
    assert M.family_of("Bach1") == {"Jun-related"}  # a heterodimer component
    assert M.family_of("MA0591.2") == {"Jun-related", "Maf-related"}
    with pytest.raises(ValueError, match="neither"):
        M.family_of("NOT_A_TF")


def test_matches_known():
    mafk = jaspar_motif("MAFK")
    assert M.matches_known(M.tomtom(mafk.pwm), "MAFK")
    rand = np.random.default_rng(5).dirichlet(np.ones(4), size=10)
    assert not M.matches_known(M.tomtom(rand), "MAFK")

    def match(name, q, family="", mid="MA9999.1"):
        return M.Match(mid, name, q / 10, q, 0, 1, family)

    other = match("CTCF", 1e-6, "More than 3 adjacent zinc fingers")
    assert M.matches_known([match("Mafg", 0.01, "Maf-related")], "MAFK")  # family
    assert M.matches_known([match("Bach1::Mafk", 0.01)], "mafk")  # own name in a heterodimer
    assert M.matches_known([match("Pou2f1", 0.01, "POU domain factors")], "Oct4")
    assert not M.matches_known([match("Mafg", 0.2, "Maf-related")], "MAFK")  # q too high
    assert not M.matches_known([other] * 5 + [match("MAFK", 0.01)], "MAFK")  # beyond top 5
    assert M.matches_known([other] * 5 + [match("MAFK", 0.01)], "MAFK", top=6)
    assert not M.matches_known([], "MAFK")


# --------------------------------------------------------------------------
# Site scanning
# --------------------------------------------------------------------------
def test_find_sites_planted_both_strands():
    mafk = jaspar_motif("MAFK")
    cons = mafk.consensus()
    bg = "A" * 101
    seq = bg[:20] + cons + bg[30:60] + reverse_complement(cons) + bg[70:]
    sites = M.find_sites(seq, "MAFK")
    assert len(sites) == 1
    assert Site("MAFK", 20, 30, 1) in sites[0]
    assert Site("MAFK", 60, 70, -1) in sites[0]
    # merge_overlaps keeps one per overlapping cluster (MAFK is nearly palindromic)
    merged = M.find_sites([seq, bg], [mafk], merge_overlaps=True)
    assert merged[0] == [Site("MAFK", 20, 30, 1), Site("MAFK", 60, 70, -1)]
    assert merged[1] == []
    hits = M.scan(seq, mafk)[0]
    assert all(h.p < 1e-4 for h in hits) and max(h.score for h in hits) > 10


def test_find_sites_random_background_and_speed():
    rng = np.random.default_rng(11)
    gata1 = jaspar_motif("GATA1")
    s = _random_seqs(rng, 1, 101)[0]
    seq = s[:40] + gata1.consensus() + s[47:]
    assert Site("GATA1", 40, 47, 1) in M.find_sites([seq], [gata1])[0]
    M.find_sites([seq], [gata1])
    t0 = time.perf_counter()
    for _ in range(5):
        M.find_sites([seq], [gata1])
    assert (time.perf_counter() - t0) / 5 < 0.05


def test_scan_agrees_with_memelite_fimo():
    import memelite

    rng = np.random.default_rng(1)
    ms = [jaspar_motif(n) for n in ("GATA1", "MAFK", "NFYB", "CTCF", "POU5F1")]
    seqs = []
    for i, s in enumerate(_random_seqs(rng, 12, 300)):
        a, b = ms[i % 5], ms[(i + 2) % 5]
        s = s[:50] + sample_instance(a, rng) + s[50 + a.width :]
        s = s[:150] + reverse_complement(sample_instance(b, rng)) + s[150 + b.width :]
        seqs.append(s)
    ours = {(i, h.site.motif, h.site.start, h.site.strand): h.p for i, hs in enumerate(M.scan(seqs, ms)) for h in hs}
    theirs = {}
    for df in memelite.fimo({m.name: np.ascontiguousarray(m.pwm.T) for m in ms}, one_hot(seqs)):
        for r in df.itertuples(index=False):
            theirs[(int(r.sequence_name), r.motif_name, int(r.start), 1 if r.strand == "+" else -1)] = r[-1]
    assert len(ours) >= 12
    # memelite bins scores at 0.1 bit, we at 0.01: only borderline windows may differ
    for key in set(ours) ^ set(theirs):
        p = ours.get(key, theirs.get(key))
        assert 2.5e-5 < p < 4e-4, key
    for key in set(ours) & set(theirs):
        assert 0.5 < ours[key] / theirs[key] < 2, key


# --------------------------------------------------------------------------
# Convolution filters
# --------------------------------------------------------------------------
def test_conv_motifs_recovers_filter_motif():
    mafk = jaspar_motif("MAFK")
    seqs, starts = _planted(mafk, 100)
    cms = M.conv_motifs(_filter_model("cnn", mafk), seqs)
    assert [c.filter for c in cms] == [0, 1]
    c = cms[0]
    assert c.pwm.shape == (mafk.width, 4) and np.allclose(c.pwm.sum(1), 1)
    assert c.n_sites >= 50 and (c.starts == starts).mean() > 0.8
    assert M.matches_known(M.tomtom(c.pwm), "MAFK")
    assert M.tomtom(c.pwm)[0].name == "MAFK"
    assert cms[1].n_sites == 0 and np.allclose(cms[1].pwm, 0.25)  # a dead (all-zero) filter


def test_conv_motifs_same_padding():
    gata1 = jaspar_motif("GATA1")  # odd width 7: padding 3 on both sides
    cons, w, L = gata1.consensus(), gata1.width, 101
    bg = "C" * L
    seqs = [cons + bg[w:], bg[: L - w] + cons, bg[:50] + cons + bg[50 + w :], cons[3:] + bg[w - 3 :]]
    cm = M.conv_motifs(_filter_model("cnn-rnn", gata1, channels=1), seqs, threshold=0.0)[0]
    assert cm.starts.tolist() == [0, L - w, 50, -3]
    ext = M.extract_motif(_filter_model("cnn-rnn", gata1, channels=1), seqs, "conv", threshold=0.0)
    assert ext.seq_windows[3] == "NNN" + cons[3:]
    assert np.allclose(ext.pwm[0], [0, 1, 0, 0])  # the N-padded window counts nothing there


def test_method_errors():
    seqs = ["ACGT" * 25 + "A"] * 3
    rnn = RecurrentNet(preset("rnn", "small"))
    cnn = ConvNet(preset("cnn", "small"))
    with pytest.raises(ValueError, match="saliency, temporal, classopt, conv"):
        M.extract_motif(cnn, seqs, "deeplift")
    with pytest.raises(ValueError, match="the RNN has no convolution filters"):
        M.conv_motifs(rnn, seqs)
    with pytest.raises(ValueError, match="the RNN has no convolution filters"):
        M.extract_motif(rnn, seqs, "conv")
    with pytest.raises(ValueError, match="recurrent"):
        M.extract_motif(cnn, seqs, "temporal")
    with pytest.raises(ValueError, match=r"k=102 is longer than the sequence \(L=101\)"):
        M.extract_motif(cnn, seqs, "saliency", k=102)


# --------------------------------------------------------------------------
# Extraction with a stand-in interpret module (tests the plumbing only)
# --------------------------------------------------------------------------
@pytest.fixture()
def fake_interpret(monkeypatch):
    fake = types.SimpleNamespace(peaks=None, classopt_pwm=None)

    def saliency(model, X, **kw):
        N, _, L = X.shape
        per = np.zeros((N, L), dtype=np.float32)
        for i, p in enumerate(fake.peaks):
            per[i, p : p + 10] = 1.0
        return types.SimpleNamespace(per_position=per, gradient=np.zeros(X.shape), score=np.zeros(N), prob=np.zeros(N))

    def temporal_scores(model, X, **kw):
        N, _, L = X.shape
        fwd = np.full((N, L), 0.1, dtype=np.float32)
        for i, p in enumerate(fake.peaks):
            fwd[i, p + 9 :] = 0.9  # positive once the whole window has been read
        return types.SimpleNamespace(forward=fwd, backward=np.full((N, L), 0.5, dtype=np.float32))

    def class_optimization(model, **kw):
        fake.classopt_kw = kw
        pwm = fake.classopt_pwm
        return types.SimpleNamespace(pwm=pwm, pwms=pwm[None], trajectory=np.zeros((1, 1)), score=np.ones(1), best=0)

    fake.saliency, fake.temporal_scores, fake.class_optimization = saliency, temporal_scores, class_optimization
    monkeypatch.setattr(demolib, "interpret", fake, raising=False)
    monkeypatch.setitem(sys.modules, "demolib.interpret", fake)
    return fake


def test_extract_saliency_and_temporal(fake_interpret):
    mafk = jaspar_motif("MAFK")
    seqs, starts = _planted(mafk, 60, seed=2)
    fake_interpret.peaks = starts
    ext = M.extract_motif(object(), seqs, "saliency", k=10)
    assert ext.method == "saliency" and ext.starts.tolist() == starts.tolist()
    assert ext.seq_windows[0] == seqs[0][starts[0] : starts[0] + 10]
    assert ext.pwm.shape == (10, 4) and M.tomtom(ext.pwm)[0].name == "MAFK"
    rnn = RecurrentNet(preset("rnn", "small"))
    ext = M.extract_motif(rnn, seqs, "temporal", k=10)
    assert ext.starts.tolist() == starts.tolist()


def test_extract_classopt_and_table3(fake_interpret):
    mafk = jaspar_motif("MAFK")
    src = np.full((101, 4), 0.25)
    src[40:50] = mafk.pwm
    fake_interpret.classopt_pwm = src
    ext = M.extract_motif(object(), [], "classopt", k=10, steps=5)
    assert ext.starts is None and ext.seq_windows is None and ext.info["start"] == 40
    assert np.allclose(ext.pwm, mafk.pwm / mafk.pwm.sum(1, keepdims=True))
    assert fake_interpret.classopt_kw == {"steps": 5, "progress": False}
    row = M.table3_row(object(), [], "MAFK", "classopt", 10)
    assert (row["n"], row["n_match"], row["fraction"], row["top_match"]) == (1, 1, 1.0, "MAFK")

    seqs, starts = _planted(mafk, 80, seed=4)
    fake_interpret.peaks = starts
    row = M.table3_row(object(), seqs, "MAFK", "saliency", 10)
    assert row["n"] == 80 and 0.4 < row["fraction"] <= 1 and row["n_match"] == round(row["fraction"] * 80)
    fake_interpret.peaks = (starts + 45) % 91  # windows away from the sites
    assert M.table3_row(object(), seqs, "MAFK", "saliency", 10)["fraction"] < 0.15


def test_extract_with_real_interpret():
    """Shapes only, with the real interpret module on tiny untrained models."""
    pytest.importorskip("demolib.interpret")
    seqs = _random_seqs(np.random.default_rng(0), 6, 101)
    ext = M.extract_motif(ConvNet(preset("cnn", "small")).eval(), seqs, "saliency", k=8)
    assert ext.pwm.shape == (8, 4) and ext.starts.shape == (6,) and all(len(s) == 8 for s in ext.seq_windows)
    ext = M.extract_motif(RecurrentNet(preset("rnn", "small")).eval(), seqs[:3], "temporal", k=8)
    assert ext.pwm.shape == (8, 4) and ((0 <= ext.starts) & (ext.starts <= 93)).all()


def test_aligned_correlation_finds_the_motif_and_equals_the_reference():
    nfyb = jaspar_motif("NFYB")
    rng = np.random.default_rng(3)
    pwm = rng.dirichlet(np.full(4, 2.0), size=60)
    pwm[25 : 25 + nfyb.width] = nfyb.pwm[::-1, ::-1]  # planted as its reverse complement
    r, start, strand = M.aligned_correlation(pwm, nfyb.pwm)
    assert (start, strand) == (25, -1) and r == pytest.approx(1.0)
    assert M.aligned_correlation_naive(pwm, nfyb.pwm) == pytest.approx((r, start, strand))
    for seed in range(5):  # random PWMs, with uniform rows that leave some windows without a correlation
        q = np.random.default_rng(seed).dirichlet(np.ones(4), size=30)
        q[4:12] = 0.25
        m = np.random.default_rng(seed + 10).dirichlet(np.ones(4), size=6)
        fast, slow = M.aligned_correlation(q, m), M.aligned_correlation_naive(q, m)
        assert fast[1:] == slow[1:] and fast[0] == pytest.approx(slow[0], abs=1e-12)
    # ties: the motif's own palindrome matches both strands equally; strand +1 wins
    pal = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=float) * 0.9 + 0.025
    assert M.aligned_correlation(np.vstack([np.full((3, 4), 0.25), pal]), pal)[1:] == (3, 1)
    assert np.isnan(M.aligned_correlation(np.full((8, 4), 0.25), nfyb.pwm[:4])[0])
    with pytest.raises(ValueError, match="uniform"):
        M.aligned_correlation(pwm, np.full((5, 4), 0.25))
    with pytest.raises(ValueError, match="longer"):
        M.aligned_correlation(pwm[:5], nfyb.pwm)


def test_align_windows_recovers_shifted_and_flipped_instances():
    """Windows that miss the motif by up to 3 bp, on either strand, still aggregate to the motif."""
    rng = np.random.default_rng(3)
    mafk = jaspar_motif("MAFK")
    seqs, starts, true = [], [], []
    for _ in range(150):
        inst = sample_instance(mafk, rng)
        if rng.random() < 0.5:
            inst = reverse_complement(inst)
        bg = "".join(rng.choice(list("ACGT"), 60))
        pos = int(rng.integers(10, 40))
        seqs.append(bg[:pos] + inst + bg[pos + 10 :])
        true.append(pos)
        starts.append(pos + int(rng.integers(-3, 4)))
    naive = M.pwm_from_windows(seqs, starts, 10)
    pwm, aligned, strands = M.align_windows(seqs, starts, 10)
    assert np.mean(np.asarray(starts) == np.asarray(true)) < 0.3  # as found: mostly off register
    assert np.mean(aligned == np.asarray(true)) >= 0.85  # 0.90 measured (MAFK is nearly palindromic)
    assert set(np.unique(strands)) == {-1, 1}
    assert M.information_content(pwm).sum() > M.information_content(naive).sum() + 3
    assert M.tomtom(pwm, top=5)[0].families & {"Maf-related"}


def test_align_windows_does_not_move_into_the_padding():
    """Outside the sequence is N, which once scored 0, better than any real base: a window at the
    edge whose letters fit the motif badly moved off the sequence.  Now it stays inside."""
    seqs = ["CCCCGATACCCC"] * 5 + ["TTTTTTTTTTTT"]
    starts = [4] * 5 + [0]
    pwm, aligned, strands = M.align_windows(seqs, starts, 4, flank=3)
    assert (aligned[:5] == 4).all() and (strands[:5] == 1).all()
    assert 0 <= aligned[5] <= len(seqs[5]) - 4
    assert pwm.sum(axis=1) == pytest.approx(np.ones(4))  # no padding column counted
    # a window with no candidate inside its sequence stays where it was
    _, a2, s2 = M.align_windows(["GATA", "GATA", "GA"], [0, 0, 0], 4, flank=1)
    assert a2.tolist() == [0, 0, 0] and s2.tolist() == [1, 1, 1]


def test_extract_with_registered_attribution_methods():
    """Every per-position method of the attribution registry extracts a motif by the saliency rule."""
    from demolib.attribution import attribute

    seqs = _random_seqs(np.random.default_rng(1), 5, 101)
    cnn, rnn = ConvNet(preset("cnn", "small")).eval(), RecurrentNet(preset("rnn", "small")).eval()
    assert set(M.PAPER_METHODS) < set(M.METHODS) and "ism" in M.METHODS and "deeplift-shap" in M.METHODS
    ext = M.extract_motif(cnn, seqs, "ism", k=8)
    per = attribute(cnn, one_hot(seqs), "ism").per_position
    assert ext.method == "ism" and ext.starts.tolist() == M.saliency_window(per, 8).tolist()
    with pytest.raises(ValueError, match="hookable"):
        M.extract_motif(rnn, seqs, "deeplift-shap")



def test_window_overlaps():
    sites = [Site("X", 10, 20), Site("Y", 50, 55, -1)]
    assert M.window_overlaps(0, 11, sites) and not M.window_overlaps(0, 10, sites)
    assert M.window_overlaps(19, 5, sites) and not M.window_overlaps(20, 30, sites)
    assert M.window_overlaps(54, 1, sites) and not M.window_overlaps(3, 5, [])


# --------------------------------------------------------------------------
# The paper's convolution activation: strongest activation over all filters
# --------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("arch", ["cnn", "cnn-rnn"])
def test_conv_windows_equal_slow_reference(arch):
    """Fast batched argmax == explicit loops over sequences, filters and positions (valid and same padding)."""
    torch.manual_seed(3)
    cfg = preset(arch, "small", conv_widths=(8,) if arch == "cnn-rnn" else (9,), conv_channels=6)
    model = (ConvNet(cfg) if arch == "cnn" else RecurrentNet(cfg)).eval()
    seqs = _random_seqs(np.random.default_rng(4), 13, 40)
    fast = M.conv_windows(model, seqs, batch_size=5)
    slow = M.conv_windows_naive(model, seqs)
    assert fast.width == slow.width == cfg.conv_widths[0]
    assert fast.filters.tolist() == slow.filters.tolist()
    assert fast.starts.tolist() == slow.starts.tolist()
    np.testing.assert_allclose(fast.activation, slow.activation, rtol=1e-5, atol=1e-6)
    assert len(set(fast.filters.tolist())) > 1  # the rule really looks over all filters
    # extract_motif's "conv" counts exactly these windows (all kept at threshold 0 when positive)
    ext = M.extract_motif(model, seqs, "conv")
    assert ext.method == "conv" and ext.starts.tolist() == slow.starts.tolist()
    assert ext.info["filters"].tolist() == slow.filters.tolist()
    wins = M.window_strings(seqs, slow.starts, slow.width)
    assert ext.seq_windows == wins
    kept = slow.activation > 0
    counts = np.zeros((slow.width, 4))
    for w_, k_ in zip(wins, kept):
        for j, c in enumerate(w_):
            if k_ and c in ALPHABET:
                counts[j, ALPHABET.index(c)] += 1
    np.testing.assert_allclose(ext.pwm, counts / counts.sum(axis=1, keepdims=True))


def test_conv_windows_rule_and_ties():
    """Per sequence the strongest filter wins, wherever it is; ties go to the lower filter, then the left."""
    mafk, gata1 = jaspar_motif("MAFK"), jaspar_motif("GATA1")
    w = mafk.width
    cfg = preset("cnn", "small", conv_widths=(w,), conv_channels=3)
    model = ConvNet(cfg).eval()
    with torch.no_grad():
        model.first_conv.weight.zero_()
        model.first_conv.bias.zero_()
        for c, m in ((1, mafk), (2, gata1)):  # filter 0 stays dead
            lo = np.log2((m.pwm + 0.01) / 1.04 / 0.25)
            model.first_conv.weight[c, :, : m.width] = torch.tensor(lo.T, dtype=torch.float32)
    bg = "C" * 60
    seqs = [bg[:10] + mafk.consensus() + bg[10 + w :],
            bg[:30] + gata1.consensus() + bg[30 + gata1.width :],
            bg[:5] + mafk.consensus() + bg[5 + w : 40] + mafk.consensus() + bg[40 + w :]]
    cw = M.conv_windows(model, seqs)
    assert cw.filters.tolist() == [1, 2, 1] and cw.starts.tolist() == [10, 30, 5]  # a tie: the leftmost
    with torch.no_grad():
        model.first_conv.weight.zero_()  # nothing fires: every (filter, position) ties at 0
    dead = M.conv_windows(model, seqs)
    assert dead.filters.tolist() == [0, 0, 0] and dead.starts.tolist() == [0, 0, 0]
    assert (dead.activation == 0).all()
    ext = M.extract_motif(model, seqs, "conv")
    assert ext.info["n_sites"] == 0 and np.allclose(ext.pwm, 0.25)  # no window is kept


def test_conv_filter_variant_is_the_old_rule():
    """"conv-filter" is the single most activated filter's motif (conv_motifs), listed with the methods."""
    mafk = jaspar_motif("MAFK")
    seqs, starts = _planted(mafk, 60)
    model = _filter_model("cnn", mafk)
    ext = M.extract_motif(model, seqs, "conv-filter")
    best = M.conv_motifs(model, seqs)[0]
    assert ext.method == "conv-filter" and ext.info["filter"] == 0
    np.testing.assert_allclose(ext.pwm, best.pwm)
    assert ext.starts.tolist() == best.starts.tolist()
    assert M.METHODS[:5] == ("saliency", "temporal", "classopt", "conv", "conv-filter")
    assert M.tomtom(M.extract_motif(model, seqs, "conv").pwm)[0].name == "MAFK"
    rnn, cnn = RecurrentNet(preset("rnn", "small")), ConvNet(preset("cnn", "small"))
    for m in ("conv", "conv-filter"):
        assert "no convolution filters" in M.why_not(m, rnn) and M.applicable(m, cnn)
        with pytest.raises(ValueError, match="the RNN has no convolution filters"):
            M.extract_motif(rnn, seqs, m)
    assert "recurrent" in M.why_not("temporal", cnn) and M.applicable("temporal", rnn)
    assert "hookable" in M.why_not("deeplift-shap", rnn) and M.applicable("classopt", rnn)
    with pytest.raises(ValueError, match="unknown method 'gradcam'"):
        M.why_not("gradcam", cnn)


def test_match_table_one_row_per_match():
    pwm = jaspar_motif("MAFK").pwm
    matches = M.tomtom(pwm, top=3)
    t = M.match_table(matches, "MAFK")
    assert list(t.index) == [1, 2, 3] and t.index.name == "rank"
    assert list(t["JASPAR"]) == [m.id for m in matches]
    assert list(t["counts for MAFK"]) == [M.matches_known([m], "MAFK") for m in matches]
    assert t["counts for MAFK"].iloc[0]


# --------------------------------------------------------------------------
# Reading Table 3 (chapter 09)
# --------------------------------------------------------------------------
def _t3_rows(counts):
    """Table 3 rows from {(dataset, arch, method): (n_match, n)}."""
    import pandas as pd

    return pd.DataFrame([{"dataset": d, "arch": a, "tf": d.split("-")[-1], "method": m, "n_match": h, "n": n,
                          "fraction": h / n, "top_match": "MAFK" if h else None}
                         for (d, a, m), (h, n) in counts.items()])


def test_clearly_above_is_the_two_proportion_z_test():
    from scipy.stats import norm

    # 150/400 vs 100/400: pooled p = 0.3125, se = 0.03277, z = 3.81 -> above; reversed -> not
    assert M.clearly_above(150, 400, 100, 400) and not M.clearly_above(100, 400, 150, 400)
    assert not M.clearly_above(110, 400, 100, 400)  # z = 1.10
    # the z statistic equals the one computed by hand; threshold z=2 <-> two-sided p ~ 0.046
    p = 250 / 800
    z = (150 / 400 - 100 / 400) / np.sqrt(p * (1 - p) * (2 / 400))
    assert M.clearly_above(150, 400, 100, 400, z=z - 1e-9) and not M.clearly_above(150, 400, 100, 400, z=z + 1e-9)
    assert 2 * norm.sf(2.0) == pytest.approx(0.0455, abs=1e-4)
    assert not M.clearly_above(0, 10, 0, 10) and not M.clearly_above(10, 10, 10, 10)  # no variance


def test_table3_view_layout_and_values():
    rows = _t3_rows({("MAFK", "rnn", "saliency"): (40, 400), ("MAFK", "cnn", "saliency"): (120, 400),
                     ("MAFK", "cnn", "classopt"): (1, 1), ("MAFK", "rnn", "temporal"): (0, 400)})
    view = M.table3_view(rows, {"MAFK": 0.7})
    assert list(view.index) == [("MAFK", "CNN"), ("MAFK", "RNN")]  # registry order, not alphabetical
    assert list(view.columns) == ["saliency", "temporal output", "class optimization", "ceiling (true instances)"]
    assert view.loc[("MAFK", "CNN"), "saliency"] == "0.300" and view.loc[("MAFK", "RNN"), "saliency"] == "0.100"
    assert view.loc[("MAFK", "CNN"), "class optimization"] == "yes" and view.loc[("MAFK", "CNN"), "temporal output"] == "–"
    assert set(view["ceiling (true instances)"]) == {"0.700"}
    names = M.table3_view(rows, value="top_match")
    assert names.loc[("MAFK", "RNN"), "temporal output"] == "" and names.loc[("MAFK", "CNN"), "saliency"] == "MAFK"
    with pytest.raises(ValueError, match="top_match"):
        M.table3_view(rows, value="q")


def test_ranking_lines_verdicts():
    rows = _t3_rows({("A", "cnn", "saliency"): (200, 400), ("A", "cnn-rnn", "saliency"): (100, 400),
                     ("A", "rnn", "saliency"): (250, 400),       # RNN clearly above both: opposite to the paper
                     ("B", "cnn", "saliency"): (10, 10),         # B lacks the other architectures: not pooled
                     ("A", "cnn", "classopt"): (1, 1), ("A", "rnn", "classopt"): (0, 1)})
    lines = M.ranking_lines(rows, "real")
    assert len(lines) == 2
    sal, co = lines
    assert sal.startswith("- saliency (1 real data set), pooled fraction: CNN 0.500, CNN-RNN 0.250, RNN 0.625.")
    assert "As in the paper: CNN > CNN-RNN" in sal and "**opposite to the paper**: RNN > CNN, RNN > CNN-RNN" in sal
    assert co == "- class optimization (1 real data set), models whose motif recovers the TF: CNN 1 of 1, RNN 0 of 1."
    assert M.ranking_lines(rows[rows.arch == "cnn"], "real") == ["- no real data set has two architectures yet."]
