"""demolib.dashboard: what the dashboard computes (drawing is tested in test_plots.py)."""
from __future__ import annotations

import numpy as np
import pytest

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


def test_right_alone_orders_by_margin_and_breaks_ties_by_index():
    from demolib.dashboard import right_alone

    prob = {"cnn-rnn": np.array([0.9, 0.6, 0.9, 0.4, 0.8, 0.7]),
            "cnn": np.array([0.2, 0.1, 0.2, 0.1, 0.6, 0.3]),
            "rnn": np.array([0.1, 0.3, 0.1, 0.0, 0.1, 0.1])}
    # right alone: 0 (margin .7), 1 (.3), 2 (.7), 5 (.4); 3 is wrong itself, 4 has the CNN right too
    assert right_alone(prob, "cnn-rnn").tolist() == [0, 2, 5, 1]
    assert right_alone(prob, "cnn").tolist() == []
    with pytest.raises(ValueError, match="at least one other"):
        right_alone({"cnn": prob["cnn"]}, "cnn")
    with pytest.raises(ValueError, match="one P\\(bound\\) per sequence"):
        right_alone({"cnn": prob["cnn"], "rnn": prob["rnn"][:3]}, "cnn")


def test_describe_names_given_sites_planted_for_synthetic_sets():
    import dataclasses

    f = np.r_[np.full(12, 0.2), np.full(18, 0.9)]
    d = dataclasses.replace(_data([Site("MAFK", 4, 14, 1)], f), tf="synthetic-MAFK", sites_source="given")
    assert dashboard.describe(d).splitlines()[0] == "**synthetic-MAFK, test sequence peak1.** Planted MAFK site(s): bp 4-13 (+)."
    d = dataclasses.replace(d, tf="MAFK")
    assert "Known MAFK site(s): bp 4-13 (+)." in dashboard.describe(d)
    assert "No known MAFK site was given." in dashboard.describe(dataclasses.replace(d, sites=[]))


def test_dashboard_data_records_where_the_sites_came_from():
    import torch

    from demolib.models import build_model, preset

    torch.manual_seed(0)
    models = {"cnn": build_model(preset("cnn", "small")).eval()}
    seq = "ACGT" * 25 + "A"
    assert dashboard.dashboard_data("MAFK", seq, models, methods=("saliency",)).sites_source == "scan"
    given = dashboard.dashboard_data("synthetic-MAFK", seq, models, methods=("saliency",), sites=[Site("MAFK", 3, 13, 1)])
    assert given.sites_source == "given" and given.motif.name == "MAFK" and given.sites == [Site("MAFK", 3, 13, 1)]
