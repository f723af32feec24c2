"""demolib.plots: every function draws into the given Axes/Figure and returns it."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from demolib import dashboard, plots
from demolib.data import Site, jaspar_motif, load_dataset, one_hot
from demolib.models import build_model, preset

L = 101


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    """No function may call plt.show() / Figure.show(); figures are closed afterwards."""

    def boom(*a, **k):
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", boom)
    monkeypatch.setattr(Figure, "show", boom)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tiny_models() -> dict:
    out = {}
    for i, arch in enumerate(plots.ARCH_ORDER):
        torch.manual_seed(i)
        out[arch] = build_model(preset(arch, "small")).eval()
    return out


@pytest.fixture(scope="module")
def seq() -> str:
    return load_dataset("MAFK").test.positives().seqs[0]


def rand_pwm(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.full(4, 0.4), size=n)


def letter_patches(ax: Axes) -> list:
    return [p for p in ax.patches + ax.artists if (p.get_gid() or "").startswith("letter-")]


def new_ax(figsize=(6, 2)) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


# --------------------------------------------------------------------------
# Logos
# --------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["fast", "logomaker"])
def test_logo_draws_into_given_ax_with_colors(engine):
    fig, ax = new_ax()
    motif = jaspar_motif("MAFK")
    out = plots.logo(motif.pwm, ax, engine=engine, title="MAFK")
    assert out is ax and out.get_figure() is fig
    patches = letter_patches(ax)
    assert patches, "no letters drawn"
    for p in patches:
        assert to_rgba(p.get_facecolor()) == pytest.approx(to_rgba(plots.COLORS[p.get_gid()[-1]]))
    assert {p.get_gid()[-1] for p in patches} == set("ACGT")
    assert ax.get_ylim() == (0, 2) and ax.get_title(loc="left") == "MAFK"
    FigureCanvasAgg(fig).draw()


def test_logo_probability_and_new_figure():
    ax = plots.logo(rand_pwm(6), information=False, engine="fast")
    assert isinstance(ax, Axes) and ax.get_ylim() == (0, 1)
    assert ax.get_figure() in [plt.figure(n) for n in plt.get_fignums()]


def test_logo_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(w, 4\)"):
        plots.logo(np.ones((4, 7)).T[:, :3])


def test_fast_letters_match_logomaker_geometry():
    """The fast renderer puts every letter where logomaker puts it."""
    H = np.array([[0.1, 0.5, 0.2, 0.9], [-0.3, 0.4, -0.2, 0.1], [1.2, 0.0, 0.3, -0.6]])
    _, ax_f = new_ax()
    _, ax_l = new_ax()
    fast = {p.get_gid(): p for p in plots.draw_letters(ax_f, H, engine="fast")}
    slow = plots.draw_letters(ax_l, H, engine="logomaker")
    for c in "ACGT":
        boxes = [p.get_path().get_extents() for p in slow if p.get_gid() == f"letter-{c}"]
        lo = np.min([b.min for b in boxes], axis=0)
        hi = np.max([b.max for b in boxes], axis=0)
        ext = fast[f"letter-{c}"].get_path().get_extents()
        np.testing.assert_allclose(ext.min, lo, atol=1e-6)
        np.testing.assert_allclose(ext.max, hi, atol=1e-6)


def test_logo_heights_bits():
    h = plots.logo_heights(np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]))
    np.testing.assert_allclose(h, [[2, 0, 0, 0], [0, 0, 0, 0]], atol=1e-12)


@pytest.mark.parametrize("layout", ["4L", "L4"])
def test_gradient_logo(layout):
    rng = np.random.default_rng(0)
    seq = "ACGTTGCAAC"
    x = one_hot(seq)[0]
    g = rng.normal(size=(4, len(seq)))
    fig, ax = new_ax()
    out = plots.gradient_logo(g if layout == "4L" else g.T, x, ax, engine="fast")
    assert out is ax and ax.get_figure() is fig
    patches = letter_patches(ax)
    # Only the letter present at each position is drawn: A at 0, 7, 8 -> the A path holds 3 glyphs.
    gx = (g * x).sum(axis=0)
    lo, hi = ax.get_ylim()
    assert lo <= gx.min() + 1e-9 and hi >= gx.max() - 1e-9
    assert {p.get_gid()[-1] for p in patches} == set(seq)


def test_gradient_logo_logomaker_engine():
    x = one_hot("ACGTA")[0]
    ax = plots.gradient_logo(np.ones((4, 5)), x, engine="logomaker")
    assert len(letter_patches(ax)) == 5


# --------------------------------------------------------------------------
# Saliency, temporal, class optimization
# --------------------------------------------------------------------------
def test_saliency_map_boxes_sites(seq):
    fig, ax = new_ax((14, 1))
    sites = [Site("MAFK", 10, 20, 1), Site("MAFK", 11, 21, -1), Site("GATA1", 60, 66, 1)]
    s = np.random.default_rng(0).random(len(seq))
    out = plots.saliency_map(seq, s, ax, sites=sites, title="CNN")
    assert out is ax and ax.get_figure() is fig
    boxes = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "site"]
    assert len(boxes) == 3
    assert sorted((b.get_x() + 0.5, b.get_width()) for b in boxes) == [(10, 10), (11, 10), (60, 6)]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["MAFK (+/-)", "GATA1 (+)"]  # overlapping sites share one label
    im = ax.images[0]
    np.testing.assert_allclose(im.get_array()[0], s)
    # the sequence is drawn as coloured letters
    patches = letter_patches(ax)
    for p in patches:
        assert to_rgba(p.get_facecolor()) == pytest.approx(to_rgba(plots.COLORS[p.get_gid()[-1]]))
    FigureCanvasAgg(fig).draw()


def test_saliency_map_no_sites_and_length_check(seq):
    ax = plots.saliency_map(seq, np.zeros(len(seq)), letters=False)
    assert not [p for p in ax.patches if p.get_gid() == "site"]
    with pytest.raises(ValueError, match="per_position"):
        plots.saliency_map(seq, np.zeros(5))


def test_temporal_heatmap(seq):
    fig, ax = new_ax((14, 1))
    f = np.linspace(0, 1, len(seq))
    b = f[::-1]
    out = plots.temporal_heatmap(f, b, seq, ax, colorbar=True)
    assert out is ax and ax.get_figure() is fig
    im = ax.images[0]
    assert im.get_cmap().name == plots.TEMPORAL_CMAP and im.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["backward", "forward"]
    np.testing.assert_allclose(im.get_array()[1], f)  # forward row on top
    assert len(fig.axes) == 2  # the colorbar
    assert letter_patches(ax)
    with pytest.raises(ValueError):
        plots.temporal_heatmap(f, b[:-1])


def test_classopt_logo_window():
    pwm = np.full((40, 4), 0.25)
    pwm[20:28] = np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]
    fig, ax = new_ax((10, 2))
    out = plots.classopt_logo(pwm, ax, k=8, engine="fast", title="opt")
    assert out is ax and ax.get_figure() is fig
    span = [p for p in ax.patches if p.get_gid() == "max-ic-window"]
    assert len(span) == 1
    assert (span[0].get_x(), span[0].get_width()) == pytest.approx((19.5, 8))
    ax2 = plots.classopt_logo(pwm, k=8, window_only=True, engine="fast")
    assert ax2.get_xlim() == pytest.approx((19.5, 27.5))


# --------------------------------------------------------------------------
# Training and evaluation plots
# --------------------------------------------------------------------------
def test_learning_curves_roc_auroc():
    hist = [{"epoch": e, "train_loss": 1 / (e + 1), "valid_auroc": 0.5 + 0.04 * e, "lr": 1e-3} for e in range(5)]
    fig, ax = new_ax((4, 3))
    assert plots.learning_curves(hist, ax) is ax
    assert len(fig.axes) == 2  # loss + AUROC twin
    ax = plots.learning_curves({"cnn": hist, "rnn": hist})
    assert len(ax.get_lines()) == 2
    fig, ax = new_ax((4, 4))
    curves = {"cnn": ([0, 0.1, 1], [0, 0.8, 1], 0.91)}
    assert plots.roc_curves(curves, ax) is ax
    assert "0.910" in ax.get_legend().get_texts()[0].get_text()
    fig, ax = new_ax((4, 3))
    assert plots.auroc_bars({"MAFK": {"cnn": 0.9, "rnn": 0.85}, "POU5F1": {"cnn": 0.8}}, ax) is ax
    assert len(ax.patches) == 3


# --------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------
def panels(fig: Figure) -> list[str]:
    return sorted(ax.get_label() for ax in fig.axes)


def test_dashboard_three_models(tiny_models, seq):
    pwms = {a: rand_pwm(L, i) for i, a in enumerate(plots.ARCH_ORDER)}
    data = dashboard.dashboard_data("MAFK", seq, tiny_models, pwms, label=1, seq_id="peak7")
    assert data.archs == plots.ARCH_ORDER
    assert set(data.temporal) == {"rnn", "cnn-rnn"}  # recurrent models only
    for a in data.archs:
        assert data.saliency[a].shape == (L,) and 0 <= data.prob[a] <= 1
    for f, b in data.temporal.values():
        assert f.shape == b.shape == (L,)
    assert all(isinstance(s, Site) for s in data.sites)
    fig = Figure(figsize=plots.dashboard_size(3))
    out = plots.dashboard(data, fig)
    assert out is fig
    # motif + 3 x (classopt, saliency) + 2 temporal + 1 shared colorbar
    assert len(fig.axes) == 10
    assert panels(fig) == sorted(
        ["dashboard:-:motif", "dashboard:-:temporal-colorbar"]
        + [f"dashboard:{a}:{p}" for a in plots.ARCH_ORDER for p in ("classopt", "saliency")]
        + ["dashboard:rnn:temporal", "dashboard:cnn-rnn:temporal"]
    )
    sal = {ax.get_label(): ax for ax in fig.axes}["dashboard:cnn:saliency"]
    assert f"{data.prob['cnn']:.3f}" in sal.get_title(loc="left")
    assert len([p for p in sal.patches if p.get_gid() == "site"]) == len(data.sites)
    assert "peak7" in fig.get_suptitle()
    FigureCanvasAgg(fig).draw()


def test_dashboard_cnn_only_has_no_temporal_rows(tiny_models, seq):
    data = dashboard.dashboard_data("MAFK", seq, {"cnn": tiny_models["cnn"]}, {"cnn": rand_pwm(L)})
    assert data.temporal == {}
    fig = plots.dashboard(data)
    assert isinstance(fig, Figure)
    assert panels(fig) == ["dashboard:-:motif", "dashboard:cnn:classopt", "dashboard:cnn:saliency"]
    assert tuple(fig.get_size_inches()) == pytest.approx(plots.dashboard_size(1))


def test_dashboard_methods_and_missing_classopt(tiny_models, seq):
    models = {"cnn-rnn": tiny_models["cnn-rnn"], "cnn": tiny_models["cnn"]}
    data = dashboard.dashboard_data("MAFK", seq, models, None, methods=("temporal",),
                                sites=[Site("MAFK", 5, 15, 1)])
    assert data.archs == ("cnn", "cnn-rnn") and data.saliency == {} and data.classopt == {}
    assert data.prob.keys() == {"cnn", "cnn-rnn"}
    fig = plots.dashboard(data, Figure(figsize=(14, 6)))
    assert panels(fig) == ["dashboard:-:motif", "dashboard:-:temporal-colorbar", "dashboard:cnn-rnn:temporal"]
    with pytest.raises(ValueError, match="unknown methods"):
        dashboard.dashboard_data("MAFK", seq, models, methods=("bogus",))


def test_dashboard_redraw_into_same_figure(tiny_models, seq):
    data = dashboard.dashboard_data("MAFK", seq, {"cnn": tiny_models["cnn"]}, {})
    fig = Figure(figsize=(14, 4))
    plots.dashboard(data, fig)
    plots.dashboard(data, fig)
    assert len(fig.axes) == 2  # cleared, not stacked


def test_cached_classopt_reads_file(tmp_path):
    pwm = rand_pwm(L)
    np.save(tmp_path / "MAFK_cnn.npy", pwm)
    np.testing.assert_allclose(dashboard.cached_classopt("MAFK", "cnn", directory=tmp_path), pwm)


# --------------------------------------------------------------------------
# Every attribution method on one sequence
# --------------------------------------------------------------------------
def test_attribution_strips_one_row_per_method(seq):
    rng = np.random.default_rng(0)
    scores = {"saliency": rng.random(len(seq)), "ism": 3 * rng.random(len(seq)), "temporal": None}
    sites = [Site("MAFK", 10, 20, 1), Site("MAFK", 11, 21, -1)]
    fig = Figure(figsize=(14, 2))
    ax = fig.add_subplot()
    out = plots.attribution_strips(seq, scores, ax, sites=sites, title="CNN")
    assert isinstance(out, Figure) and out is fig
    im = ax.images[0]
    rows = im.get_array()
    assert rows.shape == (3, len(seq))  # one row per method
    np.testing.assert_allclose(rows[0], scores["saliency"] / scores["saliency"].max())
    np.testing.assert_allclose(rows[1], scores["ism"] / scores["ism"].max())
    assert rows.mask[2].all() and not rows.mask[:2].any()  # the not-applicable row is masked
    assert im.get_clim() == (0.0, 1.0)
    # row labels from the registry, top row first
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Saliency", "ISM", "Temporal output scores"]
    assert "not applicable" in [t.get_text() for t in ax.texts]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "site"]
    assert sorted((b.get_x() + 0.5, b.get_width(), b.get_height()) for b in boxes) == [(10, 10, 4), (11, 10, 4)]
    assert "MAFK (+/-)" in [t.get_text() for t in ax.texts]
    assert {p.get_gid() for p in letter_patches(ax)} == {f"letter-{c}" for c in set(seq)}
    assert len(fig.axes) == 2  # the strips and the colour scale
    assert ax.get_title(loc="left") == "CNN"
    FigureCanvasAgg(fig).draw()


def test_attribution_strips_new_figure_given_figure_and_checks(seq):
    scores = {"saliency": np.ones(len(seq)), "custom": np.zeros(len(seq))}
    fig = plots.attribution_strips(seq, scores, labels={"custom": "My method"}, colorbar=False)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Saliency", "My method"]
    np.testing.assert_allclose(ax.images[0].get_array()[1], 0.0)  # an all-zero row stays zero, not NaN
    given = Figure()
    assert plots.attribution_strips(seq, scores, fig=given) is given and len(given.axes) == 2
    with pytest.raises(ValueError, match="no methods"):
        plots.attribution_strips(seq, {})
    with pytest.raises(ValueError, match="saliency: 5 scores"):
        plots.attribution_strips(seq, {"saliency": np.ones(5)})
    with pytest.raises(ValueError, match=">= 0"):
        plots.attribution_strips(seq, {"saliency": -np.ones(len(seq))})


# --------------------------------------------------------------------------
# Dashboard: every registered attribution method (issue 10)
# --------------------------------------------------------------------------
def test_dashboard_every_registered_method(tiny_models, seq):
    """One row per requested method in registry order, labelled from the registry; a method that
    does not apply to a model is an explicit "not applicable" panel with the reason."""
    from demolib.attribution import ATTRIBUTIONS, attribute, why_not

    assert dashboard.ALL_METHODS == tuple(ATTRIBUTIONS) + ("classopt",)
    data = dashboard.dashboard_data("MAFK", seq, tiny_models, None, methods=dashboard.ALL_METHODS[::-1])
    assert data.methods == dashboard.ALL_METHODS  # registry order, whatever order they were asked in
    X = one_hot(seq)
    for name, spec in ATTRIBUTIONS.items():
        for a, m in tiny_models.items():
            reason = why_not(name, m)
            got = {"attribution": data.attributions, "temporal": data.temporals}[spec.kind].get(name, {})
            if reason is not None:
                assert a not in got and data.not_applicable[name][a] == reason
                continue
            assert a not in data.not_applicable.get(name, {})
            r = attribute(m, X, name)
            if spec.kind == "attribution":
                np.testing.assert_allclose(got[a], r.per_position[0], rtol=1e-5, atol=1e-6)
            else:
                np.testing.assert_allclose(got[a][0], r.info["forward"][0], rtol=1e-5, atol=1e-6)
    assert set(data.not_applicable["deeplift-shap"]) == {"rnn", "cnn-rnn"}
    assert data.map_methods == tuple(n for n, s in ATTRIBUTIONS.items() if s.kind == "attribution")
    fig = plots.dashboard(data)
    assert tuple(fig.get_size_inches()) == pytest.approx(plots.dashboard_size(3, len(data.map_methods)))
    by = {ax.get_label(): ax for ax in fig.axes}
    for a in tiny_models:
        order = [lab.split(":")[2] for lab in (ax.get_label() for ax in fig.axes) if lab.split(":")[1] == a]
        assert order == [n for n in ATTRIBUTIONS if f"dashboard:{a}:{n}" in by]  # registry order
        for n in data.map_methods:  # every map method has a row: its map, or why not
            ax = by[f"dashboard:{a}:{n}"]
            assert ATTRIBUTIONS[n].label.lower() in ax.get_title(loc="left").lower()
    na = by["dashboard:rnn:deeplift-shap"]
    text = " ".join(t.get_text() for t in na.texts).replace("\n", " ")
    assert text.startswith("not applicable: ") and "hookable" in text
    assert "dashboard:cnn:temporal" not in by  # temporal rows: recurrent models only, as in the paper
    FigureCanvasAgg(fig).draw()


def test_dashboard_check_methods():
    assert dashboard.check_methods(["classopt", "ism", "saliency"]) == ("saliency", "ism", "classopt")
    with pytest.raises(ValueError, match="unknown methods.*choose from saliency, "):
        dashboard.check_methods(["saliency", "gradcam"])


# --------------------------------------------------------------------------
# The book's figure style (issue 12): column width, >= 8 pt text, scales, no overlapping ticks
# --------------------------------------------------------------------------
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from io import BytesIO  # noqa: E402

from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from demolib.data import DATA_DIR, make_synthetic  # noqa: E402

# Public names of plots that are not drawing functions; every other public callable draws and
# must be in DRAWERS below (a new plotting function without a legibility check fails here).
NOT_DRAWING = {"COLUMN_WIDTH", "DPI", "MIN_FONTSIZE", "use_book_style", "COLORS", "TEMPORAL_CMAP", "ARCH_ORDER",
               "ARCH_LABELS", "logo_heights", "letter_outline", "torch_threads", "dashboard_size"}
SITES = [Site("MAFK", 44, 54, 1), Site("MAFK", 45, 55, -1), Site("GATA1", 60, 66, 1), Site("GATA1", 70, 76, -1)]


@pytest.fixture()
def book_style():
    """plots.use_book_style() for one test; the rcParams are restored afterwards."""
    with matplotlib.rc_context():
        plots.use_book_style()
        yield


def _results(name: str) -> list[dict]:
    return json.loads((DATA_DIR / "results" / name).read_text())["rows"]


def _history(n: int, slow: bool = False) -> list[dict]:
    return [{"epoch": e + 1, "train_loss": 0.7 / (1 + e / (20 if slow else 3)), "valid_auroc": 1 - 0.5 / (1 + e),
             "lr": 1e-3} for e in range(n)]


def _seqlet_patterns():
    from types import SimpleNamespace

    from demolib.motifs import tomtom

    pats = []
    for k, tf in enumerate(("MAFK", "GATA1")):
        pwm = jaspar_motif(tf).pwm
        pats.append(SimpleNamespace(pwm=pwm, n_seqlets=40 - 10 * k, width=len(pwm), best=tomtom(pwm, top=1)[0]))
    return pats


def _benchmark_rows() -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for d in ("MAFK", "POU5F1", "GATA1", "NFYB", "synthetic-MAFK", "synthetic-GATA1"):
        for a in plots.ARCH_ORDER:
            rows.append({"dataset": d, "model": f"{a}-medium", "kind": "deep", "arch": a, "size": "medium",
                         "auroc": 0.85 + 0.1 * rng.random()})
        for b in ("pwm", "kmer"):
            rows.append({"dataset": d, "model": b, "kind": "baseline", "arch": None, "size": None,
                         "auroc": 0.7 + 0.1 * rng.random()})
    return rows


def _draw_dashboard(tiny_models, seq, methods):
    data = dashboard.dashboard_data("MAFK", seq, tiny_models, {a: rand_pwm(L, i) for i, a in enumerate(tiny_models)},
                                    label=1, seq_id="chr3:132726514-132726714", sites=SITES[:2], methods=methods)
    return plots.dashboard(data)


def _draw_letters():
    fig = Figure(figsize=(plots.COLUMN_WIDTH, 1.5))
    ax = fig.add_subplot()
    plots.draw_letters(ax, plots.logo_heights(rand_pwm(30)))
    return fig


# name -> (draw(tiny_models, seq) -> Figure or Axes); each makes its own figure, as a chapter's plain call does
DRAWERS = {
    "draw_letters": lambda m, s: _draw_letters(),
    "logo": lambda m, s: plots.logo(jaspar_motif("MAFK"), engine="fast"),
    "gradient_logo": lambda m, s: plots.gradient_logo(np.random.default_rng(0).normal(size=(4, L)), one_hot(s)[0],
                                                      engine="fast", title="gradient x input"),
    "saliency_map": lambda m, s: plots.saliency_map(s, np.random.default_rng(0).random(L), sites=SITES,
                                                    title="CNN: saliency map    P(bound) = 0.998"),
    "temporal_heatmap": lambda m, s: plots.temporal_heatmap(np.linspace(0, 1, L), np.linspace(1, 0, L), s,
                                                            title="RNN: temporal output scores"),
    "classopt_logo": lambda m, s: plots.classopt_logo(rand_pwm(L), k=10, engine="fast",
                                                      title="MAFK CNN: class-optimized input"),
    "learning_curves": lambda m, s: plots.learning_curves({"CNN": _history(30), "RNN": _history(90, True),
                                                           "CNN-RNN": _history(30)}, title="MAFK"),
    "roc_curves": lambda m, s: plots.roc_curves({"CNN": ([0, 0.05, 1], [0, 0.9, 1], 0.97),
                                                 "PWM scan MA0496.4": ([0, 0.3, 1], [0, 0.7, 1], 0.82)}),
    "auroc_bars": lambda m, s: plots.auroc_bars({tf: {a: 0.9 + 0.02 * i for i, a in enumerate(plots.ARCH_ORDER)}
                                                 for tf in ("MAFK", "POU5F1", "GATA1", "NFYB")}),
    "benchmark_auroc": lambda m, s: plots.benchmark_auroc(_benchmark_rows()),
    "benchmark_sizes": lambda m, s: plots.benchmark_sizes(_results("benchmark-sizes/benchmark.json")),
    "small_set_curve": lambda m, s: plots.small_set_curve(_results("small_sets.json"), threshold=0.95),
    "dashboard": lambda m, s: _draw_dashboard(m, s, dashboard.METHODS),
    "ground_truth_auroc": lambda m, s: plots.ground_truth_auroc(_results("ground_truth.json")),
    "sanity_cascade": lambda m, s: plots.sanity_cascade(_results("sanity.json"), threshold=0.5),
    "attribution_strips": lambda m, s: plots.attribution_strips(
        s, {"saliency": np.random.default_rng(0).random(L), "integrated-gradients-corrected": np.ones(L),
            "ism": np.arange(L, dtype=float), "deeplift-shap": None, "temporal": None}, sites=SITES, title="CNN"),
    "seqlet_patterns": lambda m, s: plots.seqlet_patterns(_seqlet_patterns(), n=2),
}


def _figure(obj) -> Figure:
    return obj if isinstance(obj, Figure) else obj.get_figure()


def _png(fig: Figure) -> bytes:
    """The PNG a notebook stores for ``fig`` under the book style (IPython's retina formatter)."""
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, fmt="retina")


def small_texts(fig: Figure) -> list[str]:
    """Visible, non-empty texts under MIN_FONTSIZE points (inset axes and legends included)."""
    return [f"{t.get_text()!r}: {t.get_fontsize():.1f} pt" for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < plots.MIN_FONTSIZE - 1e-9]


def _drawn_tick_labels(ax: Axes) -> list[list[Text]]:
    """The tick labels ``ax`` draws (ticks inside the view, visible, non-empty), one list per axis side."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        if not axis.get_visible():
            continue
        ticks = axis._update_ticks()  # the ticks inside the view: the ones drawn
        for which in ("label1", "label2"):
            out.append([getattr(t, which) for t in ticks
                        if getattr(t, which).get_visible() and getattr(t, which).get_text().strip()])
    return out


def overlapping_texts(fig: Figure) -> list[str]:
    """Pairs of drawn texts whose boxes overlap: tick labels of one axis, and any tick label,
    title, axis label, legend entry or annotation against any other (every Axes, insets included)."""
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    ticks = [labels for ax in fig.findobj(Axes) for labels in _drawn_tick_labels(ax)]
    all_tick_texts = {id(t) for ax in fig.findobj(Axes) for axis in (ax.xaxis, ax.yaxis)
                      for tick in axis.get_major_ticks() + axis.get_minor_ticks() for t in (tick.label1, tick.label2)}
    others = [t for t in fig.findobj(Text)
              if id(t) not in all_tick_texts and t.get_visible() and t.get_text().strip()]
    texts = [t for labels in ticks for t in labels] + others
    boxes = [(t.get_text().replace("\n", " ")[:40], t.get_window_extent(renderer)) for t in texts]
    return [f"{a!r} overlaps {b!r}" for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.overlaps(bb)]


@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_every_plot_is_legible_in_the_column(name, book_style, tiny_models, seq):
    """Issue 12: under the book style every figure fits the page column, has no text under 8 pt,
    and no two texts (tick labels, titles, labels, legends) overlap."""
    from PIL import Image

    fig = _figure(DRAWERS[name](tiny_models, seq))
    assert fig.get_figwidth() <= plots.COLUMN_WIDTH + 1e-9, fig.get_size_inches()
    assert small_texts(fig) == []
    assert overlapping_texts(fig) == []
    png = Image.open(BytesIO(_png(fig)))  # cropped to what is drawn: nothing sticks out of the column
    assert png.info["dpi"][0] == pytest.approx(plots.DPI, rel=1e-3)
    assert png.size[0] / plots.DPI <= plots.COLUMN_WIDTH + 0.05, png.size


def test_drawers_cover_every_public_plotting_function():
    public = {n for n in plots.__all__ if callable(getattr(plots, n)) or n.isupper()}
    assert set(DRAWERS) == public - NOT_DRAWING


def test_every_heat_strip_has_a_colour_scale(book_style, tiny_models, seq):
    """Saliency maps, temporal rows, attribution strips and every dashboard map row carry a colorbar."""
    def scales(fig: Figure) -> int:
        return sum(1 for ax in fig.findobj(Axes) if hasattr(ax, "_colorbar"))

    assert scales(_figure(DRAWERS["saliency_map"](tiny_models, seq))) == 1
    signed = plots.saliency_map(seq, np.linspace(-1, 2, L))
    (cax,) = [a for a in _figure(signed).findobj(Axes) if hasattr(a, "_colorbar")]
    assert [t.get_text() for t in cax.get_yticklabels()] == ["-2", "0", "2"]  # symmetric around 0
    assert scales(_figure(DRAWERS["temporal_heatmap"](tiny_models, seq))) == 1
    assert scales(_figure(DRAWERS["attribution_strips"](tiny_models, seq))) == 1
    fig = _draw_dashboard(tiny_models, seq, dashboard.ALL_METHODS)
    n_maps = sum(1 for ax in fig.axes if ax.images and ax.get_label().split(":")[2] in dashboard.ALL_METHODS
                 and ax.get_label().split(":")[2] != "temporal")
    assert n_maps >= 3 and scales(fig) == n_maps + 1  # one per map row, one shared by the temporal rows
    assert small_texts(fig) == [] and overlapping_texts(fig) == []


def test_learning_curves_legend_explains_line_styles(book_style):
    ax = plots.learning_curves({"CNN": _history(5), "RNN": _history(5)})
    twin = [a for a in ax.get_figure().axes if a.get_label() == "valid AUROC"][0]
    leg = twin.get_legend()
    assert {t.get_text() for t in leg.get_texts()} == {"CNN", "RNN", "train loss", "valid AUROC"}
    styles = {h.get_label(): h.get_linestyle() for h in leg.legend_handles}
    assert styles["train loss"] == "-" and styles["valid AUROC"] == "--"
    single = plots.learning_curves(_history(5))
    twin = [a for a in single.get_figure().axes if a.get_label() == "valid AUROC"][0]
    assert [t.get_text() for t in twin.get_legend().get_texts()] == ["train loss", "valid AUROC"]


def test_close_site_labels_do_not_overlap(book_style, seq):
    """Two sites a few bp apart: their labels are joined instead of drawn over each other."""
    ax = plots.saliency_map(seq, np.ones(L), sites=[Site("GATA1", 40, 46, 1), Site("MAFK", 48, 58, 1)])
    assert [t.get_text() for t in ax.texts] == ["GATA1 (+); MAFK (+)"]


def test_position_ticks_thin_out_on_a_narrow_axis(book_style):
    fig = Figure(figsize=(1.6, 1.0))
    ax = fig.add_subplot()
    plots.classopt_logo(rand_pwm(L), ax, engine="fast")
    FigureCanvasAgg(fig).draw()
    ticks = [t for t in ax.get_xticks() if -0.5 <= t <= L - 0.5]
    assert len(ticks) < 11 and all(t % 10 == 0 for t in ticks)  # multiples of 10 bp, fewer of them
    assert overlapping_texts(fig) == []


def test_widget_figures_are_legible(book_style, tiny_models):
    """The explorers of chapters 06-08 and the dashboard app draw column-wide, legible figures."""
    from demolib import widgets

    syn = make_synthetic("MAFK", n=200, seed=3)
    loader = widgets.Loader(dataset=lambda tf: syn, model=lambda tf, arch: tiny_models[arch],
                            classopt=lambda tf, arch: rand_pwm(L, 3))
    figs = [widgets.render_classopt("MAFK", "cnn", loader=loader),
            widgets.render_saliency("MAFK", "cnn", 0, loader=loader),
            widgets.render_temporal("MAFK", "cnn-rnn", 0, loader=loader),
            widgets.render(widgets.DashboardState("MAFK", plots.ARCH_ORDER, 0), loader)]
    for fig in figs:
        assert fig.get_figwidth() <= plots.COLUMN_WIDTH + 1e-9
        assert small_texts(fig) == [] and overlapping_texts(fig) == [], fig


def test_use_book_style_rcparams(book_style):
    plots.use_book_style()  # idempotent
    rc = matplotlib.rcParams
    assert rc["savefig.dpi"] == plots.DPI >= 150
    assert rc["figure.dpi"] * 2 == plots.DPI  # the inline "retina" PNG is drawn at 2 x figure.dpi
    assert rc["figure.figsize"][0] == plots.COLUMN_WIDTH
    for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                "legend.fontsize", "legend.title_fontsize", "figure.titlesize", "figure.labelsize"):
        assert FontProperties(size=rc[key]).get_size_in_points() >= plots.MIN_FONTSIZE, key
    fig, ax = plt.subplots()
    assert fig.get_figwidth() == plots.COLUMN_WIDTH and fig.dpi == 96


def test_use_book_style_makes_inline_pngs_retina_at_book_dpi():
    """In an IPython shell with the inline backend, a figure is stored as a DPI-dpi PNG whose
    display width is its width in inches x 96 CSS px: shown at its printed size."""
    code = """
import json, base64, io
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
ip.run_line_magic("matplotlib", "inline")
from demolib import plots
plots.use_book_style(); plots.use_book_style()
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(plots.COLUMN_WIDTH, 2)); ax.plot([0, 1])
png_formatter = ip.display_formatter.formatters["image/png"]
png_formatter.enabled = True  # a terminal shell leaves it off; a notebook kernel has it on
data, meta = png_formatter(fig)
ip.run_line_magic("matplotlib", "inline")  # a second activation keeps the format
data2, _ = png_formatter(fig)
from PIL import Image
png = Image.open(io.BytesIO(base64.b64decode(data)))
print(json.dumps({"size": png.size, "dpi": png.info["dpi"][0], "meta": meta, "same": data2 == data}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["dpi"] == pytest.approx(plots.DPI, rel=1e-3) and r["same"]
    assert r["meta"]["width"] == r["size"][0] // 2  # shown at 96 CSS px per inch
    assert r["size"][0] / plots.DPI <= plots.COLUMN_WIDTH + 0.05


def test_the_checks_find_small_and_overlapping_text():
    """The legibility checks above can fail: crowded ticks, texts on top of each other, 6-pt labels."""
    fig = Figure(figsize=(1.0, 1.0))
    ax = fig.add_subplot()
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 5))
    assert any("overlaps" in p for p in overlapping_texts(fig))
    fig = Figure(figsize=(3.0, 2.0))
    fig.text(0.1, 0.5, "first label")
    fig.text(0.15, 0.5, "second label", fontsize=6)
    assert overlapping_texts(fig) == ["'first label' overlaps 'second label'"]
    assert small_texts(fig) == ["'second label': 6.0 pt"]
