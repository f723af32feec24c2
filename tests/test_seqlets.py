"""Tests of demolib.seqlets: contributions -> seqlets -> patterns -> JASPAR.

The toy model is linear, ``S(x) = sum_j w[x_j, j]``, with weight 1 at the
bases of three planted spans (NFYB's JASPAR consensus at 6-15, FOXA1's at
26-34, NFYB's reverse complement at 46-55) and 0 elsewhere.  Its ISM
contribution map is known exactly: 1 at a span base that is present, -1/3 at
a span position holding another base, 0 outside the spans.  Every sequence
carries exactly one of the three spans (the others hold other bases), so the
seqlets, the patterns and their members are known exactly too.

tangermeme compiles its seqlet caller with numba on first use in a process
(about 15-40 s on 2 shared cores); the module-scoped fixture pays it once.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from demolib import motifs
from demolib import seqlets as SQ
from demolib.attribution import ATTRIBUTIONS, Attribution
from demolib.data import ALPHABET, one_hot, reverse_complement

torch.set_num_threads(1)

L, N = 64, 30
M1, M2 = "TCATTGGCC", "GTAAACAT"  # JASPAR consensus of NFYB (MA0502.3) and FOXA1 (MA0148.5)
SPANS = ((6, M1), (26, M2), (46, reverse_complement(M1)))


class Planted(nn.Module):
    """Linear model whose weights are 1 at the planted spans' bases, 0 elsewhere (no config: any length)."""

    def __init__(self):
        super().__init__()
        w = torch.zeros(4, L)
        for start, m in SPANS:
            for k, c in enumerate(m):
                w[ALPHABET.index(c), start + k] = 1.0
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = (x * self.w).sum(dim=(1, 2))
        return torch.stack([torch.zeros_like(s), s], dim=1)


def _toy() -> tuple[np.ndarray, list[int]]:
    """One-hot (N, 4, L); sequence i carries span i % 3, the other spans hold other bases at every position."""
    rng = np.random.default_rng(0)
    seqs, groups = [], []
    for i in range(N):
        s = list(rng.choice(list(ALPHABET), L))
        g = i % 3
        for k, (start, m) in enumerate(SPANS):
            for j, c in enumerate(m):
                s[start + j] = c if k == g else str(rng.choice([b for b in ALPHABET if b != c]))
        seqs.append("".join(s))
        groups.append(g)
    return one_hot(seqs), groups


@pytest.fixture(scope="module")
def toy():
    X, groups = _toy()
    model = Planted()
    return model, X, groups, SQ.discover(model, X, "ism")


# --------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------
def test_contribution_map_of_the_toy_model_is_the_known_one(toy):
    _, X, groups, res = toy
    expect = np.zeros((N, L))
    for i, g in enumerate(groups):
        for k, (start, m) in enumerate(SPANS):
            expect[i, start : start + len(m)] = 1.0 if k == g else -1 / 3
    np.testing.assert_allclose(res.contributions.sum(axis=1), expect, atol=1e-5)
    assert ((res.contributions != 0).sum(axis=1) <= 1).all()  # only the base present carries a contribution


def test_contributions_rule_for_both_kinds_of_values():
    rng = np.random.default_rng(1)
    X = one_hot(["ACGTNACGTA", "TTGCAACGTT"])
    z = np.zeros(2, np.float32)
    # gradient x input style: values only at the base present -> unchanged
    v = (rng.normal(size=X.shape) * X).astype(np.float32)
    C = SQ.contributions(Attribution("saliency-corrected", v, np.abs(v.sum(1)), z, z), X)
    np.testing.assert_allclose(C, v, atol=1e-6)
    # ISM style: substitution effects, 0 at the base present -> minus their mean, at the base present
    d = (rng.normal(size=X.shape) * (1 - X)).astype(np.float32)
    C = SQ.contributions(Attribution("ism", d, np.abs(d.sum(1)), z, z), X)
    for i in range(2):
        for j in range(10):
            a = np.flatnonzero(X[i, :, j])
            if len(a) == 0:  # N: no base present, no contribution
                assert (C[i, :, j] == 0).all()
                continue
            others = [b for b in range(4) if b != a[0]]
            assert C[i, a[0], j] == pytest.approx(-d[i, others, j].mean(), abs=1e-6)
            assert (C[i, others, j] == 0).all()


# --------------------------------------------------------------------------
# Seqlets
# --------------------------------------------------------------------------
def test_seqlets_are_exactly_the_planted_spans(toy):
    _, _, groups, res = toy
    got = sorted((s.seq, s.start, s.end) for s in res.seqlets)
    want = [(i, SPANS[g][0], SPANS[g][0] + len(SPANS[g][1])) for i, g in enumerate(groups)]
    assert got == want
    for s in res.seqlets:
        assert s.score == pytest.approx(s.end - s.start, abs=1e-4)  # contribution 1 per base
        assert s.strand == 1 and 0 < s.p < SQ.discover_from_contributions.__kwdefaults__["threshold"]
    # calling order: p-value, then larger score, then sequence, then start
    keys = [(s.p, -s.score, s.seq, s.start) for s in res.seqlets]
    assert keys == sorted(keys)


def test_call_seqlets_accepts_summed_or_per_base_maps(toy):
    _, _, _, res = toy
    a = SQ.call_seqlets(res.contributions)
    b = SQ.call_seqlets(res.contributions.sum(axis=1))
    assert a == b == list(res.seqlets)
    with pytest.raises(ValueError, match="min_len"):
        SQ.call_seqlets(res.contributions, min_len=6, max_len=5)


def test_seqlet_windows_equal_a_plain_loop():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(3, 4, 12))
    seqs, starts, w = [0, 2, 1, 1], [-3, 5, 9, 0], 6
    fast = SQ.seqlet_windows(A, seqs, starts, w)
    slow = np.zeros((4, 4, w))
    for n, (i, s) in enumerate(zip(seqs, starts)):
        for k in range(w):
            if 0 <= s + k < 12:
                slow[n, :, k] = A[i, :, s + k]
    np.testing.assert_array_equal(fast, slow)


# --------------------------------------------------------------------------
# Alignment and clustering
# --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_alignments_equal_the_naive_loop(seed):
    rng = np.random.default_rng(seed)
    w, S = 7, 3
    wide = rng.normal(size=(9, 4, w + 2 * S)) * (rng.random((9, 1, w + 2 * S)) < 0.6)
    wide[0] = 0  # all zero: cosine 0 everywhere, the first alignment wins
    wide[1] = np.roll(wide[2], 1, axis=1)  # the same content one base over
    cwms = rng.normal(size=(4, 4, w))
    cwms[1] = wide[2][::-1, ::-1][:, S - 1 : S - 1 + w]  # an exact reverse-complement alignment exists
    cwms[3] = wide[4][:, S : S + w] + wide[4][::-1, ::-1][:, S : S + w]  # palindromic: a tie between strands
    sim, strand, shift, _ = SQ.best_alignments(wide, cwms)
    sim0, strand0, shift0 = SQ.best_alignments_naive(wide, cwms)
    np.testing.assert_allclose(sim, sim0, atol=1e-12)
    np.testing.assert_array_equal(strand, strand0)
    np.testing.assert_array_equal(shift, shift0)
    assert sim[2, 1] == pytest.approx(1.0) and strand[2, 1] == -1
    assert (sim[0] == 0).all() and (strand[0] == 1).all() and (shift[0] == 0).all()


def test_patterns_group_orient_and_place_the_members(toy):
    _, X, groups, res = toy
    assert len(res.patterns) == 2
    p1, p2 = res.patterns
    assert (p1.n_seqlets, p2.n_seqlets) == (20, 10)
    # the first seqlet visited (sequence 0, forward NFYB) founds pattern 1: its PWM is M1 forward
    np.testing.assert_array_equal(p1.pwm, one_hot(M1)[0].T)
    np.testing.assert_array_equal(p2.pwm, one_hot(M2)[0].T)
    np.testing.assert_allclose(p1.cwm, one_hot(M1)[0].T, atol=1e-5)  # contribution 1 at every motif base
    for p, m in ((p1, M1), (p2, M2)):
        assert p.width == len(m)
        for s, start in zip(p.seqlets, p.starts):
            g = groups[s.seq]
            assert start == SPANS[g][0] == s.start
            assert s.strand == (-1 if g == 2 else 1)
            assert s.end - s.start == len(m)
    assert sorted(s.seq for s in p1.seqlets) == [i for i in range(N) if groups[i] != 1]
    assert p1.score == pytest.approx(20 * len(M1), abs=1e-3)


def test_patterns_are_annotated_with_the_projects_tomtom(toy):
    _, _, _, res = toy
    p1, p2 = res.patterns
    for p in (p1, p2):
        assert list(p.matches) == motifs.tomtom(p.pwm, top=5)
        assert p.best == p.matches[0]
    assert motifs.matches_known(p1.matches, "NFYB") and not motifs.matches_known(p1.matches, "FOXA1")
    assert motifs.matches_known(p2.matches, "FOXA1") and not motifs.matches_known(p2.matches, "NFYB")


def test_ranking_by_size_then_contribution_then_creation_order():
    def pat(n, score, order):
        s = tuple(SQ.Seqlet(0, 0, 4, score / n, 1e-5) for _ in range(n))
        return SQ.Pattern(np.full((4, 4), 0.25), np.zeros((4, 4)), s, np.zeros(n, np.int64), (), order)

    pats = [pat(3, 5.0, 0), pat(5, 1.0, 1), pat(3, 9.0, 2), pat(3, 5.0, 3), pat(5, 1.0, 4)]
    assert [p.order for p in SQ._rank(pats)] == [1, 4, 2, 0, 3]


def test_min_similarity_splits_or_merges_and_min_seqlets_drops(toy):
    model, X, _, res = toy
    # a cosine above 1 is never reached: every seqlet founds its own pattern, all smaller than min_seqlets
    r = SQ.discover_from_contributions(X, res.contributions, min_similarity=1.01, top=0)
    assert r.patterns == ()
    r = SQ.discover_from_contributions(X, res.contributions, min_similarity=1.01, min_seqlets=1, top=0)
    assert len(r.patterns) == N and all(p.matches == () for p in r.patterns)
    # any cosine joins (even a negative one cannot be the only option once a pattern exists): one pattern
    r = SQ.discover_from_contributions(X, res.contributions, min_similarity=-1.0, top=0)
    assert [p.n_seqlets for p in r.patterns] == [N]


def test_trim_bounds():
    cwm = np.zeros((8, 4))
    cwm[2, 1], cwm[3, 0], cwm[5, 3] = 1.0, -0.5, 0.2
    assert SQ.trim_bounds(cwm, 0.3) == (2, 4)
    assert SQ.trim_bounds(cwm, 0.1) == (2, 6)
    assert SQ.trim_bounds(np.zeros((5, 4))) == (0, 5)
    with pytest.raises(ValueError):
        SQ.trim_bounds(cwm, 1.5)


# --------------------------------------------------------------------------
# The one call: errors, determinism, summary
# --------------------------------------------------------------------------
def test_unknown_or_unsuitable_method_fails_loudly(toy):
    model, X, _, _ = toy
    with pytest.raises(ValueError, match="unknown attribution method 'nope'.*ism"):
        SQ.discover(model, X, "nope")
    assert ATTRIBUTIONS["temporal"].kind == "temporal"
    with pytest.raises(ValueError, match="no per-base contributions.*ism"):
        SQ.discover(model, X, "temporal")
    with pytest.raises(ValueError, match="hookable"):  # DeepLIFT/SHAP needs the CNN's hookable view
        SQ.discover(model, X, "deeplift-shap")


def test_same_call_twice_gives_the_same_result(toy):
    model, X, _, res = toy
    again = SQ.discover(model, X, "ism")
    assert again.seqlets == res.seqlets
    np.testing.assert_array_equal(again.contributions, res.contributions)
    assert again.settings == res.settings and again.method == res.method == "ism"
    assert len(again.patterns) == len(res.patterns)
    for a, b in zip(again.patterns, res.patterns):
        np.testing.assert_array_equal(a.pwm, b.pwm)
        np.testing.assert_array_equal(a.cwm, b.cwm)
        np.testing.assert_array_equal(a.starts, b.starts)
        assert a.seqlets == b.seqlets and a.matches == b.matches and a.order == b.order


def test_top_pattern_summary(toy):
    _, _, _, res = toy
    row = SQ.top_pattern_summary(res, "NFYB")
    assert row["n_sequences"] == N and row["n_seqlets"] == N and row["n_patterns"] == 2
    assert row["top_n_seqlets"] == 20 and row["top_consensus"] == M1 and row["top_width"] == len(M1)
    assert row["match_id"] == res.patterns[0].best.id and row["match_q"] == res.patterns[0].best.q
    assert row["in_family"] is True and row["rank_in_family"] == 1
    row = SQ.top_pattern_summary(res, "FOXA1")
    assert row["in_family"] is False and row["rank_in_family"] == 2


def test_committed_tfs_reads_the_checkpoint_folder(tmp_path, monkeypatch):
    from demolib import train

    monkeypatch.setattr(train, "CHECKPOINT_DIR", tmp_path)
    for name in ("SP1-cnn-medium", "MAFK-cnn-medium", "MAFK-rnn-medium", "synthetic-GATA1-cnn-medium",
                 "ELK1-cnn-medium"):
        (tmp_path / name).mkdir()
    for name in ("SP1-cnn-medium", "MAFK-cnn-medium", "MAFK-rnn-medium", "synthetic-GATA1-cnn-medium"):
        (tmp_path / name / "weights.pt").write_bytes(b"x")
    assert SQ.committed_tfs() == ["MAFK", "SP1"]  # REAL_TFS first, then the DeepBind TFs; ELK1 has no weights
    assert SQ.committed_tfs("rnn") == ["MAFK"]
    with pytest.raises(ValueError, match="unknown architecture"):
        SQ.committed_tfs("transformer")


def test_seqlet_patterns_figure(toy):
    import matplotlib.pyplot as plt

    from demolib import plots

    _, X, _, res = toy
    fig = plots.seqlet_patterns(res.patterns, n=3)  # only two patterns exist
    axes = fig.get_axes()
    assert len(axes) == 4
    assert axes[0].get_title(loc="left").startswith("pattern 1: 20 seqlets")
    assert res.patterns[0].best.name in axes[1].get_title(loc="left")
    assert axes[0].get_xlim() == axes[1].get_xlim()  # the match is drawn where Tomtom aligned it
    plt.close(fig)
    bare = SQ.discover_from_contributions(X, res.contributions, top=0)
    fig = plots.seqlet_patterns(bare.patterns, n=1)
    assert any(t.get_text() == "no JASPAR match" for t in fig.get_axes()[1].texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="no patterns"):
        plots.seqlet_patterns(())
