"""demolib.dashboard: what the dashboard computes (drawing is tested in test_plots.py)."""
from __future__ import annotations

import numpy as np

from demolib import dashboard
from demolib.data import Site, jaspar_motif


def _data(sites, forward, prob_rnn=0.8) -> dashboard.DashboardData:
    motif = jaspar_motif("MAFK")  # 10 bp wide
    L = len(forward)
    sal_cnn = np.zeros(L)
    sal_cnn[5:15] = 1.0  # its best 10-bp window: bp 5-14
    sal_rnn = np.zeros(L)
    sal_rnn[20:30] = 1.0
    return dashboard.DashboardData(
        "MAFK", "A" * L, motif, sites, ("cnn", "rnn"), prob={"cnn": 0.97, "rnn": prob_rnn},
        attributions={"saliency": {"cnn": sal_cnn, "rnn": sal_rnn}},
        temporals={"temporal": {"rnn": (np.asarray(forward, float), np.full(L, 0.5))}}, seq_id="peak1")


def test_describe_sentences():
    """Chapter 11's text, generated from the numbers: sites, P(bound), salient window, forward flip."""
    f = np.r_[np.full(12, 0.2), np.full(18, 0.9)]  # above 0.5 from bp 12 on
    text = dashboard.describe(_data([Site("MAFK", 4, 14, -1)], f))
    assert text == (
        "**MAFK, test sequence peak1.** The scan finds 1 MAFK site(s): bp 4-13 (-).\n"
        "- CNN: P(bound) = 0.970; its most salient 10-bp window is bp 5-14 (on a site).\n"
        "- RNN: P(bound) = 0.800; its most salient 10-bp window is bp 20-29 (off the sites); "
        "the forward score stays above 0.5 from bp 12 on.")


def test_describe_edge_cases():
    L = 30
    no_site = dashboard.describe(_data([], np.full(L, 0.9)))
    assert "The scan finds no MAFK site." in no_site and "(on a site)" not in no_site
    assert "window is bp 5-14." in no_site  # no sites: no on/off remark
    assert "the forward score is above 0.5 from the first base" in no_site
    assert "the forward score never ends above 0.5" in dashboard.describe(_data([], np.full(L, 0.1)))
    ends_low = np.r_[np.full(10, 0.9), np.full(L - 10, 0.2)]
    assert "the forward score never ends above 0.5" in dashboard.describe(_data([], ends_low))
    d = _data([], np.full(L, 0.9))
    d.attributions.clear()
    d.temporals.clear()
    assert dashboard.describe(d).splitlines()[1:] == ["- CNN: P(bound) = 0.970.", "- RNN: P(bound) = 0.800."]
