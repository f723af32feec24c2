"""Interactive dashboard and explorers (ipywidgets) for notebooks and voila.

:func:`dashboard_app` is the whole Deep Motif Dashboard with controls; the
smaller :func:`saliency_explorer`, :func:`temporal_explorer` and
:func:`classopt_explorer` show one method each.  All of them are a
:class:`FigureApp`: controls above a figure that is re-rendered whenever a
control changes.  The figure itself comes from a pure function
(:func:`render`, :func:`render_saliency`, :func:`render_temporal`,
:func:`render_classopt`) that can be called without a kernel.

Figures are made with :class:`matplotlib.figure.Figure` (not pyplot, so
nothing accumulates in pyplot's figure list and no backend is needed) and
shown as PNG in an :class:`ipywidgets.Image`.

Models, datasets and class-optimised PWMs come from a :class:`Loader` that
caches them per TF; pass your own (e.g. with small test models) as
``loader=``.  Importing this module loads no data and no model.
"""
from __future__ import annotations

import html
import io
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import dashboard, plots
from .data import ALL_REAL_TFS, Site, jaspar_motif, one_hot

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from .data import Dataset, Split

__all__ = [
    "Loader",
    "default_loader",
    "DashboardState",
    "render",
    "render_saliency",
    "render_temporal",
    "render_classopt",
    "figure_png",
    "FigureApp",
    "DashboardApp",
    "dashboard_app",
    "saliency_explorer",
    "temporal_explorer",
    "classopt_explorer",
]

# --------------------------------------------------------------------------
# Loading (cached per TF)
# --------------------------------------------------------------------------
def _load_dataset(tf: str) -> "Dataset":
    from .data import load_dataset

    return load_dataset(tf)


def _load_model(tf: str, arch: str) -> "nn.Module":
    from .train import load_committed

    return load_committed(tf, arch).model


def _committed(tf: str, arch: str) -> bool:
    from .train import committed_dir

    return committed_dir(tf, arch).exists()


class Loader:
    """Datasets, models, class-optimised PWMs and known sites, each loaded once.

    Parameters
    ----------
    dataset : callable tf -> Dataset, optional
        Default :func:`demolib.data.load_dataset`.
    model : callable (tf, arch) -> nn.Module, optional
        Default: the committed checkpoint (:func:`demolib.train.load_committed`).
    classopt : callable (tf, arch) -> np.ndarray (L, 4), optional
        Default :func:`demolib.dashboard.cached_classopt`.
    available : callable (tf, arch) -> bool, optional
        Whether ``model(tf, arch)`` exists.  Default: a committed checkpoint
        exists when ``model`` is the default, else always True.  The
        synthetic sets, for instance, have no committed RNN.
    """

    def __init__(
        self,
        dataset: Callable[[str], "Dataset"] | None = None,
        model: Callable[[str, str], "nn.Module"] | None = None,
        classopt: Callable[[str, str], np.ndarray] | None = None,
        available: Callable[[str, str], bool] | None = None,
    ):
        self._dataset_fn = dataset or _load_dataset
        self._model_fn = model or _load_model
        self._classopt_fn = classopt or dashboard.cached_classopt
        self._available_fn = available or (_committed if model is None else (lambda tf, arch: True))
        self._cache: dict[tuple, Any] = {}

    def _get(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def dataset(self, tf: str) -> "Dataset":
        return self._get(("dataset", tf), lambda: self._dataset_fn(tf))

    def positives(self, tf: str) -> "Split":
        """Positive sequences of the test split."""
        return self._get(("positives", tf), lambda: self.dataset(tf).test.positives())

    def model(self, tf: str, arch: str) -> "nn.Module":
        return self._get(("model", tf, arch), lambda: self._model_fn(tf, arch).eval())

    def available(self, tf: str, arch: str) -> bool:
        """Whether ``tf`` has a model of architecture ``arch``."""
        return self._get(("available", tf, arch), lambda: bool(self._available_fn(tf, arch)))

    def classopt(self, tf: str, arch: str) -> np.ndarray:
        return self._get(("classopt", tf, arch), lambda: np.asarray(self._classopt_fn(tf, arch)))

    def sites(self, tf: str, index: int) -> list[Site]:
        """Known sites of positive test sequence ``index``: the planted ones
        (synthetic data) or JASPAR matches found by :func:`demolib.motifs.find_sites`."""

        def make() -> list[Site]:
            split = self.positives(tf)
            if split.sites[index]:
                return list(split.sites[index])
            from .motifs import find_sites

            return list(find_sites([split.seqs[index]], [jaspar_motif(tf)])[0])

        return self._get(("sites", tf, index), make)


_DEFAULT_LOADER: Loader | None = None


def default_loader() -> Loader:
    """The shared :class:`Loader` of committed models (created on first use)."""
    global _DEFAULT_LOADER
    if _DEFAULT_LOADER is None:
        _DEFAULT_LOADER = Loader()
    return _DEFAULT_LOADER


# --------------------------------------------------------------------------
# Pure render functions
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class DashboardState:
    """What the dashboard shows.

    Attributes
    ----------
    tf : str
    archs : tuple of str
        Architectures to show (any of "cnn", "rnn", "cnn-rnn").
    index : int
        Index among the positive test sequences of ``tf``.
    methods : tuple of str
        Any of :data:`demolib.dashboard.ALL_METHODS` (every registered
        attribution method, and "classopt").
    """

    tf: str = "MAFK"
    archs: tuple[str, ...] = plots.ARCH_ORDER
    index: int = 0
    methods: tuple[str, ...] = dashboard.METHODS


def _message_figure(text: str, size: tuple[float, float] | None = None) -> Figure:
    fig = Figure(figsize=size or (plots.COLUMN_WIDTH, 1))
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=11)
    return fig


def _sequence(loader: Loader, tf: str, index: int) -> tuple[str, str]:
    split = loader.positives(tf)
    if not 0 <= index < len(split):
        raise IndexError(f"{tf} has {len(split)} positive test sequences; index {index} is out of range")
    return split.seqs[index], split.ids[index]


def render(state: DashboardState, loader: Loader | None = None) -> Figure:
    """The dashboard figure of a state (what :func:`dashboard_app` shows).

    Parameters
    ----------
    state : DashboardState
    loader : Loader, optional
        Default :func:`default_loader`.

    Returns
    -------
    Figure
        A pyplot-free :class:`~matplotlib.figure.Figure` of
        :func:`demolib.plots.dashboard_size` (the book's column wide);
        ``fig.timings`` holds the seconds per step, ``fig.missing`` the
        selected architectures that ``state.tf`` has no model of (not drawn).
    """
    loader = loader or default_loader()
    archs = dashboard.arch_order(state.archs)
    if not archs:
        return _message_figure("Select at least one architecture.")
    missing = tuple(a for a in archs if not loader.available(state.tf, a))
    archs = tuple(a for a in archs if a not in missing)
    if not archs:
        return _message_figure(f"{state.tf} has no model of the selected architectures "
                               f"({', '.join(plots.ARCH_LABELS.get(a, a) for a in missing)}).")
    t0 = time.perf_counter()
    seq, seq_id = _sequence(loader, state.tf, state.index)
    models = {a: loader.model(state.tf, a) for a in archs}
    classopt = {a: loader.classopt(state.tf, a) for a in archs} if "classopt" in state.methods else None
    sites = loader.sites(state.tf, state.index)
    t1 = time.perf_counter()
    data = dashboard.dashboard_data(state.tf, seq, models, classopt, label=1, seq_id=seq_id, sites=sites,
                                methods=state.methods)
    t2 = time.perf_counter()
    fig = plots.dashboard(data, Figure(figsize=plots.dashboard_size(len(archs), len(data.map_methods))))
    fig.timings = {"load": t1 - t0, "compute": t2 - t1, "layout": time.perf_counter() - t2}
    fig.missing = missing
    return fig


def render_saliency(tf: str, arch: str, index: int, loader: Loader | None = None) -> Figure:
    """Saliency map (known sites boxed) and gradient x input logo of one
    positive test sequence.

    Returns
    -------
    Figure
    """
    from .interpret import saliency

    loader = loader or default_loader()
    seq, seq_id = _sequence(loader, tf, index)
    X = one_hot(seq)
    with plots.torch_threads(1):
        s = saliency(loader.model(tf, arch), X)
    prob = float(np.asarray(s.prob).ravel()[0])
    fig = Figure(figsize=(plots.COLUMN_WIDTH, 3.0), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[0.8, 1.0])
    name = plots.ARCH_LABELS.get(arch, arch)
    plots.saliency_map(seq, np.asarray(s.per_position)[0], ax1, sites=loader.sites(tf, index),
                       title=f"{tf} {seq_id}: {name} saliency    P(bound) = {prob:.3f}")
    plots.gradient_logo(np.asarray(s.gradient)[0], X[0], ax2, engine="fast", title="gradient x input")
    ax2.set_xlim(-0.5, len(seq) - 0.5)
    return fig


def render_temporal(tf: str, arch: str, index: int, loader: Loader | None = None) -> Figure:
    """Forward and backward temporal output scores of a recurrent model: as
    curves (known sites shaded) and as the dashboard's heatmap rows.

    Raises
    ------
    ValueError
        For a CNN (it has no reading direction).

    Returns
    -------
    Figure
    """
    from .interpret import temporal_scores

    loader = loader or default_loader()
    model = loader.model(tf, arch)
    from .models import is_recurrent

    if not is_recurrent(model):
        raise ValueError(f"temporal output scores need a recurrent model (rnn, cnn-rnn), not {arch!r}")
    seq, seq_id = _sequence(loader, tf, index)
    with plots.torch_threads(1):
        tm = temporal_scores(model, one_hot(seq))
    f, b = np.asarray(tm.forward)[0], np.asarray(tm.backward)[0]
    fig = Figure(figsize=(plots.COLUMN_WIDTH, 3.4), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[1.0, 0.7], sharex=True)
    x = np.arange(len(seq))
    ax1.plot(x, f, label="forward (prefix)", color="C0")
    ax1.plot(x, b, label="backward (suffix)", color="C1")
    ax1.axhline(0.5, color="0.6", linestyle=":", linewidth=1)
    for site in loader.sites(tf, index):
        ax1.axvspan(site.start - 0.5, site.end - 0.5, color="0.9", zorder=0, gid="site")
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("P(bound)", fontsize=8)
    ax1.legend(fontsize=8, loc="upper left", ncols=2)
    ax1.set_title(f"{tf} {seq_id}: {plots.ARCH_LABELS.get(arch, arch)} temporal output scores\n"
                  "(shaded: known sites)", fontsize=9, loc="left")
    # the colour scale in an inset beside the rows: the rows keep the curves' width and x axis
    plots.temporal_heatmap(f, b, seq, ax2, colorbar=ax2.inset_axes([1.012, 1 / 3, 0.012, 2 / 3]))
    return fig


def render_classopt(tf: str, arch: str, index: int | None = None, loader: Loader | None = None) -> Figure:
    """Class-optimised logo of a model next to the known JASPAR motif and the
    class-optimised max-information window of the motif's width.
    ``index`` is ignored (class optimisation does not depend on a sequence).

    Returns
    -------
    Figure
    """
    loader = loader or default_loader()
    pwm = loader.classopt(tf, arch)
    motif = jaspar_motif(tf)
    k = motif.width
    fig = Figure(figsize=(plots.COLUMN_WIDTH, 3.6), layout="constrained")
    gs = fig.add_gridspec(2, 3, height_ratios=[1, 1], width_ratios=[1, 1, 1.2])
    plots.logo(motif, fig.add_subplot(gs[0, 0]), engine="fast", title=f"JASPAR {motif.id} {motif.name}")
    name = plots.ARCH_LABELS.get(arch, arch)
    plots.classopt_logo(pwm, fig.add_subplot(gs[0, 1]), k=k, window_only=True, engine="fast",
                        title=f"{name}: max-IC {k}-mer")
    plots.classopt_logo(pwm, fig.add_subplot(gs[1, :]), k=k, engine="fast",
                        title=f"{tf} {name}: class-optimized input (shaded: max-IC window)")
    return fig


def figure_png(fig: Figure, dpi: float = plots.DPI) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------
class FigureApp(widgets.VBox):
    """Rows of controls above a figure that is re-rendered when any changes.

    Parameters
    ----------
    controls : dict name -> widget
        Widgets with a ``value`` trait.
    render_fn : callable dict -> Figure
        Gets ``{name: control.value}``.
    rows : list of list of str, optional
        Layout of the controls (names); one row per control otherwise.
    on_change : callable (app, change) -> None, optional
        Called before re-rendering (e.g. to adjust a slider's range); changes
        it makes inside ``with app.hold():`` do not re-render on their own.
    dpi : float
        Resolution of the PNG shown.

    Attributes
    ----------
    figure : Figure or None
        The figure shown last.
    image : ipywidgets.Image
        The PNG of ``figure``.
    status : ipywidgets.HTML
        Render time, or the error when rendering failed.
    seconds : float
        Time of the last render + PNG encoding.
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.Widget],
        render_fn: Callable[[dict], Figure],
        *,
        rows: Sequence[Sequence[str]] | None = None,
        on_change: Callable[["FigureApp", dict], None] | None = None,
        dpi: float = plots.DPI,
    ):
        self.controls = dict(controls)
        self.render_fn = render_fn
        self.on_change = on_change
        self.dpi = dpi
        self.figure: Figure | None = None
        self.seconds = float("nan")
        self._held = 0
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", height="auto"))
        self.status = widgets.HTML()
        rows = rows or [[n] for n in self.controls]
        boxes = [widgets.HBox([self.controls[n] for n in row]) for row in rows]
        super().__init__(boxes + [self.status, self.image])
        for w in self.controls.values():
            w.observe(self._changed, names="value")
        self.redraw()

    def values(self) -> dict:
        """Current value of every control."""
        return {k: w.value for k, w in self.controls.items()}

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Control changes inside this block do not re-render."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def _changed(self, change: dict) -> None:
        if self._held:
            return
        if self.on_change is not None:
            self.on_change(self, change)
        self.redraw()

    def redraw(self) -> None:
        """Render the figure for the current control values and show it."""
        t0 = time.perf_counter()
        try:
            fig = self.render_fn(self.values())
            png = figure_png(fig, self.dpi)
        except Exception as e:  # shown to the user instead of vanishing into the kernel log
            self.status.value = (f"<span style='color:#b00020'>{html.escape(type(e).__name__)}: "
                                 f"{html.escape(str(e))}</span>")
            return
        self.figure = fig
        self.image.value = png
        self.seconds = time.perf_counter() - t0
        missing = getattr(fig, "missing", ())
        note = (f"; no model of {', '.join(plots.ARCH_LABELS.get(a, a) for a in missing)} for this data set"
                if missing else "")
        self.status.value = f"<small>drawn in {self.seconds:.2f} s{html.escape(note)}</small>"


def _tf_dropdown(tfs: Sequence[str], tf: str | None) -> widgets.Dropdown:
    return widgets.Dropdown(options=list(tfs), value=tf or tfs[0], description="TF")


def _index_slider(loader: Loader, tf: str, index: int = 0) -> widgets.IntSlider:
    n = len(loader.positives(tf))
    return widgets.IntSlider(value=min(index, n - 1), min=0, max=n - 1, description="sequence",
                             continuous_update=False, layout=widgets.Layout(width="420px"))


def _update_slider(app: FigureApp, change: dict, loader: Loader) -> None:
    """Keep the sequence slider within the positive test sequences of the chosen TF."""
    if change["owner"] is app.controls.get("tf") and "index" in app.controls:
        slider = app.controls["index"]
        n = len(loader.positives(change["new"]))
        with app.hold():
            slider.value = min(slider.value, n - 1)
            slider.max = n - 1


class DashboardApp(FigureApp):
    """The interactive dashboard (see :func:`dashboard_app`)."""

    def __init__(self, tfs: Sequence[str], archs: Sequence[str], loader: Loader, state: DashboardState):
        self.archs = tuple(archs)
        self.loader = loader
        controls: dict[str, widgets.Widget] = {
            "tf": _tf_dropdown(tfs, state.tf),
            "index": _index_slider(loader, state.tf, state.index),
        }
        for a in self.archs:
            controls[f"arch:{a}"] = widgets.Checkbox(value=a in state.archs, description=plots.ARCH_LABELS.get(a, a),
                                                     indent=False, layout=widgets.Layout(width="90px"))
        for m in dashboard.ALL_METHODS:  # the registry's methods, then class optimization
            controls[f"method:{m}"] = widgets.ToggleButton(value=m in state.methods, description=dashboard.LABELS[m],
                                                           layout=widgets.Layout(width="auto"))
        super().__init__(
            controls,
            lambda v: render(self._state_of(v), loader),
            rows=[["tf", "index"], [f"arch:{a}" for a in self.archs],
                  [f"method:{m}" for m in dashboard.ALL_METHODS]],
            on_change=lambda app, change: _update_slider(app, change, loader),
        )

    def _state_of(self, v: dict) -> DashboardState:
        return DashboardState(
            tf=v["tf"],
            archs=tuple(a for a in self.archs if v[f"arch:{a}"]),
            index=int(v["index"]),
            methods=tuple(m for m in dashboard.ALL_METHODS if v[f"method:{m}"]),
        )

    @property
    def dashboard_state(self) -> DashboardState:
        """The :class:`DashboardState` the controls describe."""
        return self._state_of(self.values())


def dashboard_app(
    tfs: Sequence[str] = ALL_REAL_TFS,
    archs: Sequence[str] = plots.ARCH_ORDER,
    *,
    loader: Loader | None = None,
    state: DashboardState | None = None,
) -> DashboardApp:
    """The interactive Deep Motif Dashboard.

    Controls: TF dropdown, a slider over the positive test sequences of the
    TF, one checkbox per architecture and one toggle per view of
    :data:`demolib.dashboard.ALL_METHODS` (every registered attribution
    method, labelled as in the registry, and class optimization; the
    paper's three are on at first).
    Every change re-renders :func:`render` of the new state (models, data
    and class-optimised PWMs are loaded once per TF by the loader).

    Parameters
    ----------
    tfs : sequence of str
    archs : sequence of str
    loader : Loader, optional
        Default :func:`default_loader` (committed models).
    state : DashboardState, optional
        Initial state.

    Returns
    -------
    DashboardApp
        ``app.controls`` has "tf", "index", "arch:<arch>" and
        "method:<method>"; ``app.dashboard_state`` is the current
        :class:`DashboardState`; ``app.figure`` the figure shown.
    """
    loader = loader or default_loader()
    state = state or DashboardState(tf=tfs[0], archs=tuple(archs))
    return DashboardApp(tfs, archs, loader, state)


def _explorer(
    render_fn: Callable[..., Figure],
    tf: str,
    arch: str,
    tfs: Sequence[str],
    archs: Sequence[str],
    loader: Loader | None,
    *,
    with_index: bool = True,
) -> FigureApp:
    """One generic explorer: TF and architecture dropdowns (+ sequence slider)."""
    loader = loader or default_loader()
    controls: dict[str, widgets.Widget] = {
        "tf": _tf_dropdown(tfs, tf),
        "arch": widgets.Dropdown(options=[(plots.ARCH_LABELS.get(a, a), a) for a in archs], value=arch,
                                 description="model"),
    }
    if with_index:
        controls["index"] = _index_slider(loader, controls["tf"].value)
    return FigureApp(
        controls,
        lambda v: render_fn(v["tf"], v["arch"], v.get("index"), loader),
        rows=[list(controls)],
        on_change=lambda app, change: _update_slider(app, change, loader),
    )


def saliency_explorer(tf: str = "MAFK", arch: str = "cnn", *, tfs: Sequence[str] = ALL_REAL_TFS,
                      archs: Sequence[str] = plots.ARCH_ORDER, loader: Loader | None = None) -> FigureApp:
    """Saliency map and gradient x input of one positive test sequence (see :func:`render_saliency`)."""
    return _explorer(render_saliency, tf, arch, tfs, archs, loader)


def temporal_explorer(tf: str = "MAFK", arch: str = "cnn-rnn", *, tfs: Sequence[str] = ALL_REAL_TFS,
                      archs: Sequence[str] = ("rnn", "cnn-rnn"), loader: Loader | None = None) -> FigureApp:
    """Temporal output scores of a recurrent model (see :func:`render_temporal`)."""
    return _explorer(render_temporal, tf, arch, tfs, archs, loader)


def classopt_explorer(tf: str = "MAFK", arch: str = "cnn", *, tfs: Sequence[str] = ALL_REAL_TFS,
                      archs: Sequence[str] = plots.ARCH_ORDER, loader: Loader | None = None) -> FigureApp:
    """Class-optimised logo vs the JASPAR motif (see :func:`render_classopt`); no
    sequence slider, as class optimisation does not depend on a sequence."""
    return _explorer(render_classopt, tf, arch, tfs, archs, loader, with_index=False)
