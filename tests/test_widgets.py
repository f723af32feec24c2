"""demolib.widgets: the dashboard app and explorers, with tiny injected models."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import subprocess
import sys

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from demolib import dashboard, plots, widgets
from demolib.data import Dataset, load_dataset, make_synthetic
from demolib.models import build_model, preset

L = 101


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    """MAFK: synthetic with planted sites; POU5F1: real test peaks without sites (JASPAR scan)."""
    syn = make_synthetic("MAFK", n=200, seed=3)
    real = load_dataset("POU5F1").test
    keep = list(range(6)) + list(range(len(real) - 6, len(real)))  # 6 positives, 6 negatives
    test = real.subset(keep)
    tiny = Dataset("POU5F1", test, test, test)
    return {"MAFK": syn, "POU5F1": tiny}


@pytest.fixture(scope="module")
def tiny_models() -> dict:
    out = {}
    for i, tf in enumerate(("MAFK", "POU5F1")):
        for j, arch in enumerate(plots.ARCH_ORDER):
            torch.manual_seed(10 * i + j)
            out[tf, arch] = build_model(preset(arch, "small")).eval()
    return out


@pytest.fixture()
def loader(datasets, tiny_models) -> widgets.Loader:
    rng = np.random.default_rng(0)
    pwms = {k: rng.dirichlet(np.full(4, 0.4), size=L) for k in tiny_models}
    return widgets.Loader(
        dataset=lambda tf: datasets[tf],
        model=lambda tf, arch: tiny_models[tf, arch],
        classopt=lambda tf, arch: pwms[tf, arch],
    )


def panels(fig: Figure) -> list[str]:
    return sorted(ax.get_label() for ax in fig.axes)


def test_render_state(loader, datasets):
    fig = widgets.render(widgets.DashboardState("MAFK", ("cnn", "rnn"), 2), loader)
    assert isinstance(fig, Figure)
    pos = datasets["MAFK"].test.positives()
    assert pos.ids[2] in fig.get_suptitle()
    assert len(fig.axes) == 1 + 2 * 2 + 1 + 1  # motif, 2 x (classopt, saliency), rnn temporal, colorbar
    # planted sites of the synthetic sequence are boxed
    sal = {ax.get_label(): ax for ax in fig.axes}["dashboard:cnn:saliency"]
    assert len([p for p in sal.patches if p.get_gid() == "site"]) == len(pos.sites[2]) == 1
    assert set(fig.timings) == {"load", "compute", "layout"}
    png = widgets.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_without_archs_or_methods(loader):
    fig = widgets.render(widgets.DashboardState("MAFK", (), 0), loader)
    assert "architecture" in fig.texts[0].get_text()
    fig = widgets.render(widgets.DashboardState("POU5F1", ("cnn", "cnn-rnn"), 0, ("saliency",)), loader)
    assert panels(fig) == ["dashboard:-:motif", "dashboard:cnn-rnn:saliency", "dashboard:cnn:saliency"]
    with pytest.raises(IndexError):
        widgets.render(widgets.DashboardState("POU5F1", ("cnn",), 99), loader)


def test_dashboard_app_slider_redraws(loader, datasets):
    app = widgets.dashboard_app(("MAFK", "POU5F1"), loader=loader)
    assert isinstance(app, widgets.DashboardApp)
    assert app.figure is not None and app.image.value[:4] == b"\x89PNG"
    assert app.dashboard_state == widgets.DashboardState("MAFK", plots.ARCH_ORDER, 0, dashboard.METHODS)
    slider = app.controls["index"]
    assert slider.max == len(datasets["MAFK"].test.positives()) - 1
    title, png = app.figure.get_suptitle(), app.image.value
    slider.value = 1
    assert app.figure.get_suptitle() != title
    assert app.image.value != png
    assert "drawn in" in app.status.value


def test_dashboard_app_tf_arch_and_method_controls(loader, datasets, monkeypatch):
    app = widgets.dashboard_app(("MAFK", "POU5F1"), loader=loader)
    app.controls["index"].value = app.controls["index"].max
    calls = []
    real_render = widgets.render
    monkeypatch.setattr(widgets, "render", lambda state, ld=None: calls.append(state) or real_render(state, ld))
    app.controls["tf"].value = "POU5F1"
    n_pos = len(datasets["POU5F1"].test.positives())
    assert app.controls["index"].max == n_pos - 1 and app.controls["index"].value == n_pos - 1
    assert len(calls) == 1 and calls[0].tf == "POU5F1"  # one redraw per change
    assert "POU5F1" in app.figure.get_suptitle()
    app.controls["arch:rnn"].value = False
    app.controls["arch:cnn-rnn"].value = False
    assert panels(app.figure) == ["dashboard:-:motif", "dashboard:cnn:classopt", "dashboard:cnn:saliency"]
    app.controls["method:classopt"].value = False
    assert panels(app.figure) == ["dashboard:-:motif", "dashboard:cnn:saliency"]
    assert app.dashboard_state.methods == ("saliency", "temporal")


def test_app_shows_errors_instead_of_raising(loader):
    app = widgets.dashboard_app(("MAFK",), loader=loader)
    good = app.figure

    def broken(v):
        raise RuntimeError("model file missing")

    app.render_fn = broken
    app.controls["index"].value = 1
    assert "RuntimeError" in app.status.value and "model file missing" in app.status.value
    assert app.figure is good


def test_loader_caches(datasets, tiny_models):
    n = {"dataset": 0, "model": 0}

    def ds(tf):
        n["dataset"] += 1
        return datasets[tf]

    def model(tf, arch):
        n["model"] += 1
        return tiny_models[tf, arch]

    ld = widgets.Loader(dataset=ds, model=model, classopt=lambda tf, a: np.full((L, 4), 0.25))
    for _ in range(3):
        ld.positives("MAFK"), ld.model("MAFK", "cnn"), ld.sites("POU5F1", 0)
    assert n == {"dataset": 2, "model": 1}
    assert isinstance(ld.sites("POU5F1", 0), list)


@pytest.mark.parametrize(
    "make, arch",
    [(widgets.saliency_explorer, "cnn"), (widgets.temporal_explorer, "rnn"), (widgets.classopt_explorer, "cnn-rnn")],
)
def test_explorers(make, arch, loader):
    app = make("MAFK", arch, loader=loader)
    assert isinstance(app, widgets.FigureApp) and isinstance(app.figure, Figure)
    png = app.image.value
    assert png[:4] == b"\x89PNG"
    if "index" in app.controls:
        app.controls["index"].value = 2
    else:
        app.controls["arch"].value = "cnn"
    assert app.image.value != png
    app.controls["tf"].value = "POU5F1"
    assert "drawn in" in app.status.value


def test_temporal_render_rejects_cnn(loader):
    with pytest.raises(ValueError, match="recurrent"):
        widgets.render_temporal("MAFK", "cnn", 0, loader)


def test_import_is_light():
    """Importing the widget module loads no torch, data or model."""
    code = "import sys, demolib.widgets as w; print('torch' in sys.modules, w._DEFAULT_LOADER is None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_dashboard_app_method_toggles_come_from_the_registry(loader):
    """One toggle per registered attribution method (registry label) and class optimization;
    switching a method on adds its rows, or a "not applicable" panel where it does not apply."""
    from demolib.attribution import ATTRIBUTIONS

    app = widgets.dashboard_app(("MAFK",), loader=loader, state=widgets.DashboardState("MAFK", ("cnn", "rnn"), 0))
    toggles = [k.split(":", 1)[1] for k in app.controls if k.startswith("method:")]
    assert toggles == list(ATTRIBUTIONS) + ["classopt"]
    for name, spec in ATTRIBUTIONS.items():
        assert app.controls[f"method:{name}"].description == spec.label
    assert not hasattr(widgets, "METHOD_LABELS")
    app.controls["method:deeplift-shap"].value = True
    assert app.dashboard_state.methods == ("saliency", "deeplift-shap", "temporal", "classopt")
    labels = panels(app.figure)
    assert "dashboard:cnn:deeplift-shap" in labels and "dashboard:rnn:deeplift-shap" in labels
    na = {ax.get_label(): ax for ax in app.figure.axes}["dashboard:rnn:deeplift-shap"]
    assert any(t.get_text().startswith("not applicable: ") for t in na.texts)


def test_render_skips_architectures_a_dataset_lacks(datasets, tiny_models):
    """Synthetic sets have no committed RNN: the dashboard draws the others and says which it left out."""
    rng = np.random.default_rng(0)
    loader = widgets.Loader(dataset=lambda tf: datasets[tf], model=lambda tf, arch: tiny_models[tf, arch],
                            classopt=lambda tf, arch: rng.dirichlet(np.full(4, 0.4), size=L),
                            available=lambda tf, arch: not (tf == "MAFK" and arch == "rnn"))
    fig = widgets.render(widgets.DashboardState("MAFK", plots.ARCH_ORDER, 0), loader)
    assert fig.missing == ("rnn",)
    assert not any(ax.get_label().startswith("dashboard:rnn:") for ax in fig.axes)
    assert "dashboard:cnn-rnn:temporal" in panels(fig)
    fig = widgets.render(widgets.DashboardState("POU5F1", plots.ARCH_ORDER, 0), loader)
    assert fig.missing == () and "dashboard:rnn:saliency" in panels(fig)
    fig = widgets.render(widgets.DashboardState("MAFK", ("rnn",), 0), loader)
    assert "no model" in fig.texts[0].get_text() and "RNN" in fig.texts[0].get_text()
    app = widgets.dashboard_app(("MAFK", "POU5F1"), loader=loader)
    assert "no model of RNN for this data set" in app.status.value
    app.controls["tf"].value = "POU5F1"
    assert "no model" not in app.status.value


def test_default_loader_availability_is_the_committed_checkpoints():
    loader = widgets.Loader()
    assert loader.available("MAFK", "rnn") and not loader.available("synthetic-NFYB", "rnn")
