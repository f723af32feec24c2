"""Figures of the Deep Motif Dashboard: logos, saliency maps, temporal scores.

Every plotting function draws into an optional ``ax`` (or ``fig`` for the
multi-panel :func:`dashboard`) and returns the Axes or Figure; nothing here
calls ``plt.show()``.  Only the object API of matplotlib is used; pyplot is
touched only to make a new figure when none is given.

One figure style for the book (issue 12): :func:`use_book_style` (called in
every chapter's setup cell) sets fonts of at least :data:`MIN_FONTSIZE` pt and
makes the inline PNGs :data:`DPI`-dpi images shown at their printed size; every
function here sizes its figure to at most :data:`COLUMN_WIDTH` inches (the
measured page column, :data:`COLUMN_PX`), writes no text under 8 pt, gives every
heat strip a colour scale and thins ticks that would overlap.

One nucleotide colour scheme everywhere: :data:`COLORS` (ACGT).  Temporal
output scores use one diverging colormap, :data:`TEMPORAL_CMAP`: blue =
negative prediction, red = positive, white at probability 0.5.

Logos have two engines with the same look (letters stretched to their
height, biggest on top, negative letters flipped below the axis):

``engine="logomaker"``
    :class:`logomaker.Logo` (about 8 ms per letter: 0.8 s for 101 positions).
``engine="fast"``
    our own renderer: one letter outline per nucleotide is made once and
    stretched with numpy, all letters of one nucleotide form one compound
    path (four artists per logo; about 100x faster).  :func:`dashboard` uses
    it so that the whole figure draws in well under a second.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import Locator, MaxNLocator
from matplotlib.transforms import offset_copy

from .architectures import ARCHITECTURES, ARCHS
from .dashboard import arch_order as _arch_order
from .data import ALPHABET, Motif, Site, jaspar_motif, one_hot
from .motifs import information_content, max_ic_window
from .utils import torch_threads  # re-exported: the chapters time their passes with it

if TYPE_CHECKING:  # pragma: no cover
    from .dashboard import DashboardData

__all__ = [
    "COLUMN_WIDTH",
    "DPI",
    "MIN_FONTSIZE",
    "use_book_style",
    "COLORS",
    "TEMPORAL_CMAP",
    "ARCH_ORDER",
    "ARCH_LABELS",
    "logo_heights",
    "draw_letters",
    "letter_outline",
    "logo",
    "gradient_logo",
    "saliency_map",
    "temporal_heatmap",
    "classopt_logo",
    "learning_curves",
    "roc_curves",
    "auroc_bars",
    "benchmark_auroc",
    "benchmark_sizes",
    "small_set_curve",
    "torch_threads",
    "dashboard",
    "dashboard_size",
    "ground_truth_auroc",
    "sanity_cascade",
    "attribution_strips",
    "seqlet_patterns",
]

COLORS: dict[str, str] = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}
"""Nucleotide colours (logomaker ``color_scheme=COLORS``)."""

TEMPORAL_CMAP = "RdBu_r"
"""Diverging colormap of temporal scores: blue = P(bound) 0, red = 1, white = 0.5."""

SALIENCY_CMAP = "Reds"
"""Colormap of non-negative per-position scores (white = 0, red = the sequence's maximum)."""

SIGNED_CMAP = "PuOr_r"
"""Colormap of signed per-position scores (symmetric around 0)."""

WINDOW_SHADE = "0.85"
"""Fill colour of the shaded max-IC window of class-optimised logos."""

ARCH_ORDER = ARCHS
ARCH_LABELS = {name: a.label for name, a in ARCHITECTURES.items()}

_LETTER_WIDTH = 0.95  # logomaker's default glyph width


# --------------------------------------------------------------------------
# The book's figure style
# --------------------------------------------------------------------------
SCREEN_DPI = 96
"""CSS pixels per inch: a browser shows an image of ``w`` CSS px as ``w / 96`` inches."""

COLUMN_PX = 688
"""Width of the book's output column in CSS px, measured (issue 12).

Built with ``jupyter-book build . --path-output /tmp/jb-style`` and opened
in headless Chromium (playwright, viewport 1280 x 900, as
``tests/test_book.py`` drives it): ``article.bd-article`` is 752 px wide
with 2 x 32 px padding, so ``.cell_output`` is 688 px = 7.17 in.  At a
1440 px or wider viewport the column is 790 px (8.2 in).
"""

COLUMN_WIDTH = 7.0
"""Widest figure of the book, inches: the 688 px (7.17 in) column with a small margin."""

DPI = 2 * SCREEN_DPI
"""Resolution of the book's PNGs (192 dpi): two pixels per CSS pixel (a HiDPI "retina" image)."""

MIN_FONTSIZE = 8.0
"""No text of a figure is smaller (points, at the displayed size)."""

BOOK_RC: dict = {
    "figure.figsize": (COLUMN_WIDTH, 3.0),
    "figure.dpi": SCREEN_DPI,
    "savefig.dpi": DPI,
    "savefig.pad_inches": 0.02,  # the inline backend crops to the drawn content plus this margin
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": MIN_FONTSIZE,
    "ytick.labelsize": MIN_FONTSIZE,
    "legend.fontsize": MIN_FONTSIZE,
    "legend.title_fontsize": MIN_FONTSIZE,
    "figure.titlesize": 10.0,
    "figure.labelsize": 9.0,
}
"""matplotlib rcParams of :func:`use_book_style` (every font size >= :data:`MIN_FONTSIZE`)."""

_SMALL = MIN_FONTSIZE  # font size of dense labels (tick labels, site labels, colour scales)


def use_book_style() -> None:
    """Draw every following figure in the book's style (call once, in a chapter's setup cell).

    - matplotlib rcParams :data:`BOOK_RC`: default figure width
      :data:`COLUMN_WIDTH` (the page column), font sizes of at least
      :data:`MIN_FONTSIZE` points, files saved at :data:`DPI`;
    - under IPython (a notebook), the inline backend's PNGs become "retina"
      PNGs: drawn at ``2 x figure.dpi`` = :data:`DPI` (``figure.dpi`` is
      :data:`SCREEN_DPI`) and stored with a display width of half their
      pixels, so the browser shows a figure of ``w`` inches as ``96 w`` CSS px
      (its printed size: an 8-pt label is shown at 8 pt) instead of shrinking
      a wide image into the column.

    The plotting functions of this module size their own figures to the
    column; figures a chapter makes itself should be at most
    ``COLUMN_WIDTH`` wide (``plt.subplots(figsize=(plots.COLUMN_WIDTH, h))``
    or no ``figsize`` at all).  Idempotent; outside IPython only the rcParams
    change.  Call it after ``%matplotlib inline``.
    """
    import sys

    import matplotlib

    matplotlib.rcParams.update(BOOK_RC)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.config import InlineBackend

    cfg = InlineBackend.instance(parent=shell)
    # remembered by the inline backend (a later %matplotlib inline keeps it) ...
    cfg.set_trait("figure_formats", {"retina"})
    # ... and in force now
    select_figure_formats(shell, {"retina"}, **cfg.print_figure_kwargs)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _new_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new constrained-layout figure at most :data:`COLUMN_WIDTH` wide."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=_fit(*figsize), layout="constrained")
    return ax


def _fit(width: float, height: float) -> tuple[float, float]:
    """A figure size no wider than the page column."""
    return (min(float(width), COLUMN_WIDTH), float(height))


class _PositionLocator(Locator):
    """Ticks at multiples of ``step`` positions, thinned to every 2nd, 5th, 10th ... multiple
    where the labels would otherwise crowd (matplotlib's ``Axis.get_tick_space``: about one
    label per three font heights)."""

    def __init__(self, step: int):
        self.step = int(step)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        lo, hi = sorted((vmin, vmax))
        room = max(self.axis.get_tick_space() if self.axis is not None else 10, 1)
        for m in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
            k = self.step * m
            if (hi - lo) / k <= room:
                break
        return np.arange(np.ceil(lo / k) * k, hi + 1e-9, k)

    def __call__(self) -> np.ndarray:
        return self.tick_values(*self.axis.get_view_interval())


def _auto_ticks(ax: Axes) -> None:
    """Integer position ticks on x, as many as fit without the labels touching."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=True, min_n_ticks=2))


def _scale_bar(ax: Axes, im, *, cax: Axes | None = None, y0: float = 0.0, height: float = 1.0,
               ticks: Sequence[float] | None = None, label: str | None = None):
    """A thin colour scale for the image ``im`` of ``ax``: in ``cax``, or in an inset just right of
    ``ax`` spanning axes-fraction ``[y0, y0 + height]`` (an inset is not one of ``fig.axes`` and
    takes no width from the plot, so stacked rows stay aligned)."""
    if cax is None:
        cax = ax.inset_axes([1.012, y0, 0.012, height])
        cax.set_label("<colorbar>")
    cb = ax.get_figure().colorbar(im, cax=cax)
    if ticks is not None:
        cb.set_ticks(list(ticks), labels=[_num(t) for t in ticks])
    cb.ax.tick_params(labelsize=_SMALL, length=2, pad=1.5)
    cb.outline.set_linewidth(0.5)
    if label:
        cb.set_label(label, fontsize=_SMALL)
    return cb


def _num(v: float) -> str:
    """A short tick label: 0, 0.5, 1, 0.031, 1.2e-05."""
    return "0" if v == 0 else f"{v:.2g}"


def _as_pwm(pwm: np.ndarray, name: str = "pwm") -> np.ndarray:
    m = np.asarray(pwm, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != 4:
        raise ValueError(f"{name} must have shape (w, 4) in ACGT order, got {m.shape}")
    return m


def _as_4L(a: np.ndarray, name: str) -> np.ndarray:
    """A (4, L) array from (4, L), (L, 4) or (1, 4, L)."""
    m = np.asarray(a, dtype=np.float64)
    while m.ndim > 2 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 2 or 4 not in m.shape:
        raise ValueError(f"{name} must have shape (4, L) or (L, 4), got {np.shape(a)}")
    return m if m.shape[0] == 4 else m.T


def logo_heights(pwm: np.ndarray, information: bool = True) -> np.ndarray:
    """Letter heights of a logo: ``p * IC`` (bits) or the probabilities.

    Parameters
    ----------
    pwm : array, shape (w, 4)
    information : bool
        True: heights in bits; False: probabilities (rows normalised).

    Returns
    -------
    np.ndarray, shape (w, 4)
    """
    p = _as_pwm(pwm)
    p = p / np.clip(p.sum(axis=1, keepdims=True), 1e-12, None)
    return p * information_content(p)[:, None] if information else p


# --------------------------------------------------------------------------
# Letters
# --------------------------------------------------------------------------
_GLYPHS: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}


def _unit_glyph(c: str, flip: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outline of letter ``c`` fitted into the unit box as logomaker fits it.

    Returns vertices (m, 2) and path codes (m,), cached per letter.
    """
    key = (c, flip)
    if key not in _GLYPHS:
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import TextPath

        prop = FontProperties(family="sans")
        path = TextPath((0, 0), c, size=1, prop=prop)
        box = path.get_extents()
        widest = TextPath((0, 0), "E", size=1, prop=prop).get_extents()  # logomaker's dont_stretch_more_than
        hstretch = min(1.0 / box.width, 1.0 / widest.width)
        v = (path.vertices - [box.xmin, box.ymin]) * [hstretch, 1.0 / box.height]
        v[:, 0] += (1.0 - hstretch * box.width) / 2.0
        if flip:
            v[:, 1] = 1.0 - v[:, 1]
        _GLYPHS[key] = (v, path.codes.copy())
    return _GLYPHS[key]


def letter_outline(c: str, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The outline every logo here draws for nucleotide ``c``, fitted into the unit box.

    The static site's dashboard (:mod:`demolib.static_dashboard`) exports
    these outlines so that its letters are the same as the figures'.

    Parameters
    ----------
    c : str
        One of ``"ACGT"``.
    flip : bool
        Upside down (negative letters).

    Returns
    -------
    vertices : np.ndarray, shape (m, 2)
        x and y in [0, 1] (y up).
    codes : np.ndarray, shape (m,)
        :class:`matplotlib.path.Path` codes.
    """
    if c not in ALPHABET:
        raise ValueError(f"letter must be one of {ALPHABET}, got {c!r}")
    v, codes = _unit_glyph(c, flip)
    return v.copy(), codes.copy()


def _stack(heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floors and ceilings of stacked letters, biggest on top, negatives below 0.

    heights (L, 4) -> floors (L, 4), ceilings (L, 4), in ACGT column order.
    """
    order = np.argsort(heights, axis=1, kind="stable")
    v = np.take_along_axis(heights, order, axis=1)
    base = np.minimum(v, 0).sum(axis=1, keepdims=True)
    ceil_sorted = base + np.cumsum(np.abs(v), axis=1)
    floor_sorted = ceil_sorted - np.abs(v)
    floors = np.empty_like(heights)
    ceils = np.empty_like(heights)
    np.put_along_axis(floors, order, floor_sorted, axis=1)
    np.put_along_axis(ceils, order, ceil_sorted, axis=1)
    return floors, ceils


def _fast_letters(
    ax: Axes, H: np.ndarray, floors: np.ndarray, *, x0: float = 0, width: float = _LETTER_WIDTH
) -> list[PathPatch]:
    """Letters of heights ``H`` (L, 4) standing on ``floors`` (L, 4): one
    compound path per nucleotide.  Added with ``add_artist`` (the axes data
    limits are not updated: computing them from thousands of Bezier segments
    costs more than drawing)."""
    x = x0 + np.arange(len(H), dtype=np.float64) - width / 2.0
    tiny = 1e-9 * max(float(np.abs(H).max(initial=0.0)), 1e-300)
    patches = []
    for j, c in enumerate(ALPHABET):
        verts, codes = [], []
        for flip in (False, True):
            sel = (np.abs(H[:, j]) > tiny) & ((H[:, j] < 0) == flip)
            if not sel.any():
                continue
            uv, uc = _unit_glyph(c, flip)
            h = np.abs(H[sel, j])[:, None, None]
            v = uv[None] * np.concatenate([np.full_like(h, width), h], axis=2)
            v = v + np.stack([x[sel], floors[sel, j]], axis=1)[:, None, :]
            verts.append(v.reshape(-1, 2))
            codes.append(np.tile(uc, int(sel.sum())))
        if not verts:
            continue
        patch = PathPatch(MplPath(np.concatenate(verts), np.concatenate(codes)), facecolor=COLORS[c],
                          edgecolor="none", linewidth=0, gid=f"letter-{c}")
        ax.add_artist(patch)
        patches.append(patch)
    return patches


def _sequence_letters(ax: Axes, seq: str, y0: float, height: float, *, x0: float = 0) -> list[PathPatch]:
    """Draw ``seq`` as equal-height coloured letters in ``[y0, y0 + height]``
    (fast: four artists for any length, instead of one Text per letter)."""
    H = one_hot(seq.upper())[0].T.astype(np.float64) * height
    return _fast_letters(ax, H, np.full_like(H, y0), x0=x0)


def draw_letters(
    ax: Axes,
    heights: np.ndarray,
    *,
    x0: int = 0,
    engine: str = "fast",
    width: float = _LETTER_WIDTH,
) -> list:
    """Draw stacked nucleotide letters (the body of every logo).

    Parameters
    ----------
    ax : Axes
    heights : array, shape (L, 4)
        Letter heights in ACGT order; negative heights are drawn flipped
        below the baseline.
    x0 : int
        x coordinate of the first position (position i is centred at x0 + i).
    engine : {"fast", "logomaker"}
    width : float
        Letter width ("fast" engine; logomaker uses its own default 0.95).

    Returns
    -------
    list of matplotlib patches
        The letter patches; each has ``gid`` ``"letter-A"`` ... ``"letter-T"``
        and face colour ``COLORS[letter]``.
    """
    H = _as_pwm(heights, "heights")
    L = len(H)
    patches: list = []
    if engine == "logomaker":
        import logomaker
        import pandas as pd

        df = pd.DataFrame(H, columns=list(ALPHABET), index=np.arange(x0, x0 + L))
        lg = logomaker.Logo(df, ax=ax, color_scheme=COLORS, baseline_width=0.5)
        for g in lg.glyph_list:
            if g.patch is not None:
                g.patch.set_gid(f"letter-{g.c}")
                patches.append(g.patch)
    elif engine == "fast":
        floors, ceils = _stack(H)
        patches = _fast_letters(ax, H, floors, x0=x0, width=width)
        lo = min(float(floors.min(initial=0.0)), 0.0)
        hi = max(float(ceils.max(initial=0.0)), 0.0)
        if hi == lo:
            hi = lo + 1.0
        ax.set_xlim(x0 - 0.5, x0 + L - 0.5)
        ax.set_ylim(lo, hi)
        if lo < 0:
            ax.axhline(0, color="black", linewidth=0.5, zorder=0)
    else:
        raise ValueError(f"engine must be 'fast' or 'logomaker', got {engine!r}")
    return patches


def _style_logo(ax: Axes, ylabel: str, title: str | None) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=_SMALL)
    if title:
        ax.set_title(title, fontsize=9, loc="left")


def logo(
    pwm: np.ndarray,
    ax: Axes | None = None,
    *,
    information: bool = True,
    title: str | None = None,
    engine: str = "logomaker",
    x0: int = 0,
) -> Axes:
    """Sequence logo of a position weight matrix.

    Parameters
    ----------
    pwm : array, shape (w, 4)
        Letter probabilities in ACGT order (a :class:`~demolib.data.Motif`
        is accepted too).
    ax : Axes, optional
        Drawn into; a new figure otherwise.
    information : bool
        Letter heights in bits (``p * IC``, y axis 0..2) or probabilities.
    title : str, optional
    engine : {"logomaker", "fast"}
        See the module docstring.
    x0 : int
        x coordinate of the first position.

    Returns
    -------
    Axes
    """
    if isinstance(pwm, Motif):
        title = title if title is not None else f"{pwm.name} ({pwm.id})"
        pwm = pwm.pwm
    H = logo_heights(pwm, information)
    ax = _new_ax(ax, (max(2.0, 0.35 * len(H)), 1.8))
    draw_letters(ax, H, x0=x0, engine=engine)
    _auto_ticks(ax)
    if information:
        ax.set_ylim(0, 2)
        ax.set_yticks([0, 1, 2])
    else:
        ax.set_ylim(0, 1)
    _style_logo(ax, "bits" if information else "probability", title)
    return ax


def gradient_logo(
    gradient: np.ndarray,
    x: np.ndarray,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    engine: str = "logomaker",
    x0: int = 0,
) -> Axes:
    """Gradient x input logo: each position shows its own letter, with height
    equal to the gradient of the positive-class score at that letter
    (negative letters point down).

    Parameters
    ----------
    gradient : array, shape (4, L) or (L, 4)
        d score / d X for one sequence (ACGT).
    x : array, shape (4, L) or (L, 4)
        The one-hot input.
    ax : Axes, optional
    title : str, optional
    engine : {"logomaker", "fast"}
        logomaker takes about 0.8 s for 101 positions; "fast" a few ms.
    x0 : int
        x coordinate of the first position.

    Returns
    -------
    Axes
    """
    g = _as_4L(gradient, "gradient")
    xx = _as_4L(x, "x")
    if g.shape != xx.shape:
        raise ValueError(f"gradient {g.shape} and x {xx.shape} must have the same shape")
    H = (g * xx).T
    ax = _new_ax(ax, (COLUMN_WIDTH, 1.8))
    draw_letters(ax, H, x0=x0, engine=engine)
    _auto_ticks(ax)
    _style_logo(ax, "grad x input", title)
    return ax


# --------------------------------------------------------------------------
# Saliency and temporal heatmaps
# --------------------------------------------------------------------------
def _position_ticks(ax: Axes, L: int, step: int | None = 10) -> None:
    """x ticks every ``step`` positions (every 2nd, 5th ... multiple where the
    labels would crowd); none for step 0/None (ticks are the most expensive
    part of a dashboard: each is two lines and a text)."""
    if not step:
        ax.set_xticks([])
        return
    ax.xaxis.set_major_locator(_PositionLocator(step))
    ax.tick_params(axis="x", labelsize=_SMALL)


def _site_labels(sites: Sequence[Site]) -> list[tuple[int, str]]:
    """One label per group of overlapping sites (palindromes are found on both
    strands at almost the same place): ``[(start, "MAFK (+/-)"), ...]``."""
    groups: list[list[Site]] = []
    for site in sorted(sites, key=lambda t: (t.start, t.end)):
        if groups and site.start < max(t.end for t in groups[-1]):
            groups[-1].append(site)
        else:
            groups.append([site])
    out = []
    for g in groups:
        names = list(dict.fromkeys(t.motif for t in g))
        parts = []
        for n in names:
            strands = "/".join(dict.fromkeys("+" if t.strand >= 0 else "-" for t in g if t.motif == n))
            parts.append(f"{n} ({strands})")
        out.append((g[0].start, ", ".join(parts)))
    return out


def _draw_site_labels(ax: Axes, sites: Sequence[Site], y: float, L: int) -> None:
    """The labels of :func:`_site_labels` above the site boxes at height ``y`` (data units).

    A label that would run into the one before it (estimated from its length at
    :data:`MIN_FONTSIZE` and the axes' width) is joined to it instead, so no
    two labels overlap."""
    fig = ax.get_figure()
    width_in = max(ax.get_position().width * fig.get_figwidth(), 1e-3)
    per_char = 0.62 * _SMALL / 72 * L / width_in  # data units per character
    placed: list[list] = []  # [x, text]
    for x, text in _site_labels(sites):
        if placed and x - 0.5 < placed[-1][0] + per_char * (len(placed[-1][1]) + 1):
            placed[-1][1] += "; " + text
        else:
            placed.append([x - 0.5, text])
    for x, text in placed:
        ax.text(x, y, text, fontsize=_SMALL, va="bottom", ha="left", clip_on=False)


def saliency_map(
    seq: str,
    per_position: np.ndarray,
    ax: Axes | None = None,
    *,
    sites: Sequence[Site] | None = None,
    title: str | None = None,
    cmap: str | None = None,
    letters: bool = True,
    tick_step: int | None = 10,
    colorbar: bool | Axes = True,
    scale_label: str | None = None,
) -> Axes:
    """Saliency over a sequence: one heatmap row above the sequence's letters, with its colour scale.

    Parameters
    ----------
    seq : str, length L
    per_position : array, shape (L,)
        Saliency per position (e.g. max |gradient| over letters).  Values
        >= 0 are shown on a white-to-red scale from 0 to the maximum; signed
        values on a symmetric purple/orange diverging scale.
    ax : Axes, optional
    sites : list of Site, optional
        Known motif sites; each is boxed (an unfilled
        :class:`~matplotlib.patches.Rectangle` with ``gid="site"``) and
        labelled with the motif name and strand.
    title : str, optional
    cmap : str, optional
        Overrides the colormap.
    letters : bool
        Draw the sequence under the heatmap, one letter per position coloured
        by :data:`COLORS` (drawn as four compound paths, not 101 texts).
    tick_step : int or None
        Position ticks every ``tick_step`` bp; none for 0/None.
    colorbar : bool or Axes
        The colour scale (ticks at 0 and the maximum, or at -max, 0, max for
        signed values): into the given Axes, or (True) into a thin inset just
        right of the heatmap row (not one of ``fig.axes``; it takes no width
        from the row).  False: none.
    scale_label : str, optional
        Label of the colour scale.

    Returns
    -------
    Axes
    """
    s = np.asarray(per_position, dtype=np.float64).ravel()
    if len(s) != len(seq):
        raise ValueError(f"per_position has {len(s)} values for a sequence of {len(seq)} bp")
    ax = _new_ax(ax, (COLUMN_WIDTH, 0.9))
    if s.size and s.min() < 0:
        m = float(np.abs(s).max()) or 1.0
        norm, cm, ticks = Normalize(-m, m), cmap or SIGNED_CMAP, (-m, 0.0, m)
    else:
        m = float(s.max(initial=0.0)) or 1.0
        norm, cm, ticks = Normalize(0.0, m), cmap or SALIENCY_CMAP, (0.0, m)
    im = ax.imshow(s[None, :], aspect="auto", cmap=cm, norm=norm, interpolation="nearest", origin="lower",
                   extent=(-0.5, len(s) - 0.5, 0.0, 1.0))
    lo = -1.0 if letters else 0.0
    if letters:
        _sequence_letters(ax, seq, -0.92, 0.84)
    ax.set_xlim(-0.5, len(s) - 0.5)
    ax.set_ylim(lo, 1.0)
    ax.set_yticks([])
    _position_ticks(ax, len(seq), tick_step)
    for site in sites or ():
        ax.add_patch(Rectangle((site.start - 0.5, lo), site.end - site.start, 1.0 - lo, fill=False,
                               edgecolor="black", linewidth=1.2, gid="site", clip_on=False))
    _draw_site_labels(ax, sites or (), 1.04, len(s))
    if colorbar is not False and colorbar is not None:
        _scale_bar(ax, im, cax=colorbar if isinstance(colorbar, Axes) else None, y0=-lo / (1.0 - lo),
                   height=1.0 / (1.0 - lo), ticks=ticks, label=scale_label)
    if title:
        ax.set_title(title, fontsize=9, loc="left", pad=12 if sites else 4)
    return ax


def temporal_heatmap(
    forward: np.ndarray,
    backward: np.ndarray,
    seq: str | None = None,
    ax: Axes | None = None,
    *,
    colorbar: bool | Axes = True,
    title: str | None = None,
    tick_step: int | None = 10,
) -> Axes:
    """Temporal output scores of a recurrent model as two heatmap rows, with their colour scale.

    Parameters
    ----------
    forward : array, shape (L,)
        P(bound) of each prefix ``seq[:t+1]`` (the forward reading).
    backward : array, shape (L,)
        P(bound) of each suffix ``seq[t:]`` (the backward reading).
    seq : str, optional
        Drawn under the rows, one coloured letter per position.
    ax : Axes, optional
    colorbar : bool or Axes
        Add a colorbar "P(bound)" 0..1: into the given Axes, or (True) beside
        the rows (one more Axes of the figure).  False: none (e.g. rows that
        share another row's colorbar).
    title : str, optional
    tick_step : int or None
        Position ticks every ``tick_step`` bp; none for 0/None.

    Returns
    -------
    Axes
        Its first image uses :data:`TEMPORAL_CMAP` with vmin 0, vmax 1
        (blue = negative prediction, red = positive, white = 0.5).
    """
    f = np.asarray(forward, dtype=np.float64).ravel()
    b = np.asarray(backward, dtype=np.float64).ravel()
    if f.shape != b.shape:
        raise ValueError(f"forward {f.shape} and backward {b.shape} must have the same length")
    ax = _new_ax(ax, (COLUMN_WIDTH, 1.0))
    im = ax.imshow(np.stack([b, f]), aspect="auto", cmap=TEMPORAL_CMAP, vmin=0.0, vmax=1.0, origin="lower",
                   interpolation="nearest", extent=(-0.5, len(f) - 0.5, -0.5, 1.5))
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["backward", "forward"], fontsize=_SMALL)
    ax.set_xlim(-0.5, len(f) - 0.5)
    if seq is not None:
        if len(seq) != len(f):
            raise ValueError(f"seq has {len(seq)} bp, scores have {len(f)}")
        _sequence_letters(ax, seq, -1.45, 0.85)
        ax.set_ylim(-1.5, 1.5)
    else:
        ax.set_ylim(-0.5, 1.5)
    _position_ticks(ax, len(f), tick_step)
    if colorbar is not False and colorbar is not None:
        fig = ax.get_figure()
        if isinstance(colorbar, Axes):
            cb = fig.colorbar(im, cax=colorbar)
        else:
            cb = fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01)
        cb.set_ticks([0, 0.5, 1])
        cb.ax.tick_params(labelsize=_SMALL)
        cb.set_label("P(bound)", fontsize=_SMALL)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    return ax


def classopt_logo(
    pwm: np.ndarray,
    ax: Axes | None = None,
    *,
    k: int | None = None,
    information: bool = True,
    title: str | None = None,
    engine: str = "logomaker",
    window_only: bool = False,
    tick_step: int | None = 10,
) -> Axes:
    """Logo of a class-optimised PWM.

    Parameters
    ----------
    pwm : array, shape (L, 4)
        Letter probabilities of the class-optimised input.
    ax : Axes, optional
    k : int, optional
        Highlight the width-``k`` window with the largest summed information
        content (a shaded span with ``gid="max-ic-window"``).
    information : bool
        Bits (True) or probabilities.
    title : str, optional
    engine : {"logomaker", "fast"}
        logomaker takes about 0.8 s for a 101-position logo; "fast" a few ms.
    window_only : bool
        Draw only the max-IC window (requires ``k``), at its own x positions.
    tick_step : int or None
        Position ticks every ``tick_step`` (full logo only); none for 0/None.

    Returns
    -------
    Axes
    """
    p = _as_pwm(pwm)
    ax = _new_ax(ax, (COLUMN_WIDTH if not window_only else max(2.0, 0.35 * (k or 10)), 1.6))
    if k:
        k = min(int(k), len(p))
    start = max_ic_window(p, k) if k else None
    if window_only:
        if not k:
            raise ValueError("window_only needs the window width k")
        logo(p[start : start + k], ax, information=information, title=title, engine=engine, x0=start)
        return ax
    logo(p, ax, information=information, title=title, engine=engine)
    _position_ticks(ax, len(p), tick_step)
    if start is not None:
        ax.axvspan(start - 0.5, start + k - 0.5, color=WINDOW_SHADE, zorder=-1, linewidth=0, gid="max-ic-window")
    return ax


# --------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------
def learning_curves(
    history: Sequence[Mapping] | Mapping[str, Sequence[Mapping]],
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """Training loss (solid, left axis) and validation AUROC (dashed, right axis) per epoch.

    Parameters
    ----------
    history : list of dict, or dict label -> list of dict
        Per-epoch records with keys ``epoch``, ``train_loss``, ``valid_auroc``
        (``lr`` is ignored), e.g. ``Checkpoint.history``; several runs as a dict.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
        The loss axes; the AUROC twin (right y axis) is the figure's Axes
        labelled ``"valid AUROC"``.  Its legend names the runs (colours) and
        the two line styles (solid: train loss, dashed: valid AUROC).
    """
    from matplotlib.lines import Line2D

    runs = dict(history) if isinstance(history, Mapping) else {"": history}
    ax = _new_ax(ax, (4.5, 3))
    ax2 = ax.twinx()
    for i, (label, h) in enumerate(runs.items()):
        color = f"C{i}"
        ep = [r["epoch"] for r in h]
        ax.plot(ep, [r["train_loss"] for r in h], color=color, label=f"{label} train loss".strip())
        ax2.plot(ep, [r["valid_auroc"] for r in h], color=color, linestyle="--",
                 label=f"{label} valid AUROC".strip())
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss (solid)")
    ax2.set_ylabel("valid AUROC (dashed)", rotation=270, labelpad=12)
    ax2.set_label("valid AUROC")
    named = [label for label in runs if label]
    style = "0.25" if named else "C0"
    colours = [Line2D([], [], color=f"C{i}", label=label) for i, label in enumerate(runs) if label]
    styles = [Line2D([], [], color=style, label="train loss"),
              Line2D([], [], color=style, linestyle="--", label="valid AUROC")]
    ncols = max(len(colours), len(styles))
    # legend rows: the runs' colours, then the line styles (matplotlib fills a legend column by column)
    handles = [h for c in range(ncols) for h in (colours[c:c + 1] + styles[c:c + 1])]
    # under the x label (30 pt below the axes), where it hides no curve
    below = offset_copy(ax.transAxes, fig=ax.get_figure(), y=-30, units="points")
    ax2.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
               ncols=ncols, fontsize=_SMALL, frameon=False, handlelength=1.8, columnspacing=1.0)
    if title:
        ax.set_title(title)
    return ax


def benchmark_auroc(rows: Sequence[Mapping], ax: Axes | None = None, *, metric: str = "auroc",
                    size: str = "medium") -> Figure:
    """Per-TF test AUROC of every model, each TF's models joined by a line
    (the paired design the t-tests use), with the mean over TFs in black.

    Parameters
    ----------
    rows : rows of :func:`demolib.benchmark.collect` (deep models of ``size``
        and the baselines are drawn)
    metric : "auroc" or "auprc"

    Returns
    -------
    Figure
    """
    import textwrap

    import pandas as pd
    import seaborn as sns

    from .benchmark import BASELINES

    df = pd.DataFrame([r for r in rows if r["kind"] == "baseline" or r["size"] == size])
    order = [f"{a}-{size}" for a in ARCH_ORDER if f"{a}-{size}" in set(df["model"])]
    order += [b for b in BASELINES if b in set(df["model"])]
    names = {**{f"{a}-{size}": ARCH_LABELS[a] for a in ARCH_ORDER}, **BASELINES}
    df["model name"] = df["model"].map(names)
    df = df[df["model"].isin(order)].assign(rank=lambda d: d["model"].map(order.index))
    df = df.sort_values(["dataset", "rank"], kind="stable")  # x follows this order
    ax = _new_ax(ax, (COLUMN_WIDTH, 3.6))
    sns.lineplot(data=df, x="model name", y=metric, units="dataset", estimator=None, hue="dataset",
                 marker="o", linewidth=0.9, markersize=4, alpha=0.8, sort=False, ax=ax,
                 hue_order=sorted(df["dataset"].unique()))
    sns.pointplot(data=df, x="model name", y=metric, order=[names[m] for m in order], color="black",
                  errorbar=("ci", 95), markers="D", linestyles="-", ax=ax, label="mean (95% CI)", seed=0)
    ax.set_xlabel("")
    ax.set_ylabel(f"test {metric.upper()}")
    ax.set_xticks(ax.get_xticks(), [textwrap.fill(t.get_text(), 9) for t in ax.get_xticklabels()])  # 2 lines
    n_entries = df["dataset"].nunique() + 1
    ax.legend(fontsize=_SMALL, ncol=1 if n_entries <= 12 else 2, bbox_to_anchor=(1.01, 1), loc="upper left",
              frameon=False)
    return ax.figure


def benchmark_sizes(rows: Sequence[Mapping], *, metric: str = "auroc") -> Figure:
    """Test AUROC of each architecture's small, medium and large model, one
    panel per TF, one line per architecture (chapter 05's size comparison).

    Parameters
    ----------
    rows : rows of :func:`demolib.benchmark.collect` (deep rows; TFs trained
        in a single size are left out)
    metric : "auroc" or "auprc"

    Returns
    -------
    Figure
    """
    import pandas as pd
    import seaborn as sns

    from .architectures import SIZES
    from .benchmark import multi_size_datasets

    multi = set(multi_size_datasets(list(rows)))
    df = pd.DataFrame([r for r in rows if r["kind"] == "deep" and r["dataset"] in multi])
    df = df.assign(architecture=df["arch"].map(ARCH_LABELS), rank=df["size"].map(SIZES.index))
    df = df.sort_values(["dataset", "rank"], kind="stable")
    sizes = [s for s in SIZES if s in set(df["size"])]
    tfs = sorted(df["dataset"].unique())
    hue_order = [ARCH_LABELS[a] for a in ARCH_ORDER if a in set(df["arch"])]
    fig, axes = plt.subplots(1, len(tfs), figsize=_fit(6.3, 2.6), sharey=True, squeeze=False, layout="constrained")
    for ax, tf in zip(axes[0], tfs):
        sns.lineplot(data=df[df["dataset"] == tf], x="rank", y=metric, hue="architecture", hue_order=hue_order,
                     marker="o", sort=False, ax=ax, legend=ax is axes[0, -1])
        ax.set_xticks([SIZES.index(s) for s in sizes], sizes)
        ax.set_xlim(SIZES.index(sizes[0]) - 0.3, SIZES.index(sizes[-1]) + 0.3)
        ax.set_title(tf, fontsize=9)
        ax.set_xlabel("model size")
        ax.set_ylabel(f"test {metric.upper()}")
    if axes[0, -1].get_legend() is not None:
        axes[0, -1].legend(loc="lower right", fontsize=_SMALL, frameon=False)
    return fig


def small_set_curve(rows: Sequence[Mapping], *, threshold: float | None = None) -> Figure:
    """Test AUROC against the number of peaks, one panel per TF, one line per
    architecture (mean over seeds, with each seed's run as a dot); chapter 05.

    Parameters
    ----------
    rows : records with ``tf, n_peaks, arch, seed, auroc`` (``data/results/small_sets.json``)
    threshold : float, optional
        Drawn as a dotted line (e.g. the 0.95 target).

    Returns
    -------
    Figure
    """
    import pandas as pd
    import seaborn as sns

    df = pd.DataFrame(list(rows))
    df["architecture"] = df["arch"].map(ARCH_LABELS)
    tfs = list(dict.fromkeys(df["tf"]))
    fig, axes = plt.subplots(1, len(tfs), figsize=_fit(6.3, 2.8), sharey=True, squeeze=False, layout="constrained")
    hue_order = [ARCH_LABELS[a] for a in ARCH_ORDER if a in set(df["arch"])]
    for ax, tf in zip(axes[0], tfs):
        sub = df[df["tf"] == tf]
        sns.lineplot(data=sub, x="n_peaks", y="auroc", hue="architecture", hue_order=hue_order, errorbar=None,
                     marker="o", ax=ax, legend=ax is axes[0, -1])
        sns.stripplot(data=sub, x="n_peaks", y="auroc", hue="architecture", hue_order=hue_order, native_scale=True,
                      dodge=False, size=3, alpha=0.5, jitter=0.02, ax=ax, legend=False)
        if threshold is not None:
            ax.axhline(threshold, color="0.4", lw=0.8, ls=":", label=f"target {threshold:g}")
        ax.set_xscale("log")
        ax.set_xticks(sorted(sub["n_peaks"].unique()), [f"{n:,}" for n in sorted(sub["n_peaks"].unique())])
        ax.minorticks_off()
        ax.set_title(tf, fontsize=9)
        ax.set_xlabel("peaks")
        ax.set_ylabel("test AUROC")
    last = axes[0, -1]
    if last.get_legend() is not None:  # the architectures, and the dotted target line
        handles, labels = last.get_legend_handles_labels()
        last.legend(handles, labels, loc="lower right", fontsize=_SMALL, frameon=False)
    return fig


def roc_curves(curves: Mapping[str, tuple], ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """ROC curves with their AUROC in the legend.

    Parameters
    ----------
    curves : dict label -> (fpr (n,), tpr (n,), auc float)
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    ax = _new_ax(ax, (4, 4))
    for label, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, label=f"{label} (AUROC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(fontsize=_SMALL, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def auroc_bars(table: Mapping[str, Mapping[str, float]], ax: Axes | None = None, *,
               title: str | None = None, ylim: tuple[float, float] = (0.5, 1.0)) -> Axes:
    """Grouped bars of test AUROC: one group per TF, one bar per architecture.

    Parameters
    ----------
    table : dict tf -> dict arch -> AUROC
    ax : Axes, optional
    title : str, optional
    ylim : (float, float)
        AUROC range of the bars (the axis goes 20% higher, for the bars' labels).

    Returns
    -------
    Axes
    """
    tfs = list(table)
    archs = list(_arch_order(dict.fromkeys(a for t in tfs for a in table[t])))
    ax = _new_ax(ax, (1.6 + 1.4 * len(tfs), 3))
    w = 0.8 / max(len(archs), 1)
    for i, a in enumerate(archs):
        xs = [j + (i - (len(archs) - 1) / 2) * w for j, t in enumerate(tfs) if a in table[t]]
        ys = [table[t][a] for t in tfs if a in table[t]]
        bars = ax.bar(xs, ys, width=w, label=ARCH_LABELS.get(a, a), color=f"C{i}")
        ax.bar_label(bars, fmt="%.3f", fontsize=_SMALL, padding=2, rotation=90)  # upright labels crowd
    ax.set_xticks(range(len(tfs)))
    ax.set_xticklabels(tfs)
    ax.set_ylim(ylim[0], ylim[1] + 0.2 * (ylim[1] - ylim[0]))  # room for the labels of the highest bars
    ax.set_ylabel("test AUROC")
    ax.legend(fontsize=_SMALL, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------
# The dashboard (Figure 4 of the paper)
# --------------------------------------------------------------------------
def _label_text(label: int | None) -> str:
    return {1: "bound", 0: "unbound"}.get(label, "") if label is not None else ""


# Dashboard geometry, inches: the height of each kind of row, and of the bands between rows
_DASH_ROW = {"motif": 0.62, "classopt": 0.62, "map": 0.40, "temporal": 0.40, "n/a": 0.30}
_DASH_TITLE, _DASH_SITES, _DASH_TICKS, _DASH_TOP, _DASH_BOTTOM = 0.25, 0.14, 0.20, 0.30, 0.06
_DASH_LEFT, _DASH_RIGHT, _DASH_CBAR_GAP, _DASH_CBAR = 0.70, 0.62, 0.08, 0.08


def dashboard_size(n_archs: int, n_maps: int = 1) -> tuple[float, float]:
    """Figure size of the dashboard in inches: :data:`COLUMN_WIDTH` x (1.5 + (2.3 + 0.75 (n_maps - 1)) per architecture).

    ``n_maps`` is the number of per-position attribution rows per model
    (``DashboardData.map_methods``); the default dashboard has one (saliency).
    The rows fill whatever height the figure has; this one gives them their
    natural heights for the paper's layout.
    """
    per_arch = 2.3 + 0.75 * max(int(n_maps) - 1, 0)
    return (COLUMN_WIDTH, 1.5 + per_arch * max(int(n_archs), 1))


def _row_label(label: str) -> str:
    """A registry label inside a sentence: "Saliency (corrected)" -> "saliency (corrected)";
    a first word with further capitals ("ISM", "DeepLIFT/SHAP") is kept as it is."""
    first = label.split(" ")[0]
    return label[:1].lower() + label[1:] if first[1:] == first[1:].lower() else label


def _not_applicable_text(reason: str, width_in: float) -> str:
    """"not applicable: <reason>" wrapped to lines that fit ``width_in`` inches at :data:`MIN_FONTSIZE`."""
    import textwrap

    chars = max(int(width_in * 72 / (0.53 * _SMALL)) - 2, 20)  # DejaVu Sans: about 0.5 em per character
    return textwrap.fill(f"not applicable: {reason}", chars)


def _not_applicable(ax: Axes, reason: str, title: str) -> None:
    """An empty panel that says why a method is not shown for this model (the reason wrapped to the width)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("0.8")
    text = _not_applicable_text(reason, ax.get_position().width * ax.get_figure().get_figwidth())
    ax.text(0.005, 0.5, text, transform=ax.transAxes, ha="left", va="center", fontsize=_SMALL, color="0.3",
            gid="not-applicable")
    ax.set_title(title, fontsize=9, loc="left")


def dashboard(
    data: DashboardData,
    fig: Figure | None = None,
    *,
    engine: str = "fast",
    letters: bool = True,
) -> Figure:
    """The Deep Motif Dashboard (the paper's Figure 4) for one TF and sequence.

    Rows, top to bottom: the known JASPAR motif; then per architecture (cnn,
    rnn, cnn-rnn): its class-optimised logo (max-IC window of the JASPAR
    motif's width shaded); one row per requested attribution method, in
    registry order (:data:`demolib.attribution.ATTRIBUTIONS`) and named by
    its registry label: the per-position map over the sequence with the known
    sites boxed and P(bound) in the title, or, where the method does not
    apply to the model, a panel saying "not applicable: <reason>"; and, for
    recurrent models, the forward and backward temporal output scores (blue =
    negative, red = positive; one colorbar for all).  Rows whose data are
    absent are left out (a CNN has no temporal rows, as in the paper).  The
    default data (saliency, temporal, class optimization) gives the paper's
    layout.

    Parameters
    ----------
    data : DashboardData
        From :func:`demolib.dashboard.dashboard_data`.
    fig : Figure, optional
        Drawn into (cleared first); a new figure of :func:`dashboard_size`
        otherwise.
    engine : {"fast", "logomaker"}
        Logo renderer; logomaker adds about 0.8 s per class-optimised logo.
    letters : bool
        Draw the sequence's letters under the per-position maps.

    Returns
    -------
    Figure
        Each Axes has a label ``"dashboard:<arch>:<panel>"`` (panels: motif,
        classopt, and the method names, e.g. saliency, ism, temporal; arch
        ``"-"`` for the motif row and for the one colorbar of the temporal
        rows, ``"dashboard:-:temporal-colorbar"``).
    """
    from .attribution import ATTRIBUTIONS

    if fig is None:
        fig = plt.figure(figsize=dashboard_size(len(data.archs), len(data.map_methods)))
    else:
        fig.clear()
    # (arch, panel, kind): kind is "motif", "classopt", "map", "n/a" or "temporal"
    rows: list[tuple[str, str, str]] = [("-", "motif", "motif")]
    for a in data.archs:
        if a in data.classopt:
            rows.append((a, "classopt", "classopt"))
        for name, spec in ATTRIBUTIONS.items():
            if a in data.attributions.get(name, {}):
                rows.append((a, name, "map"))
            elif a in data.temporals.get(name, {}):
                rows.append((a, name, "temporal"))
            elif spec.kind == "attribution" and a in data.not_applicable.get(name, {}):
                rows.append((a, name, "n/a"))
    L = len(data.seq)
    k = data.motif.width
    # Position ticks (costly: each is two lines and a text) on one row per architecture:
    # its last per-position map, or its last row when there is none; and on the motif.
    ticked: dict[str, tuple[str, str]] = {}
    for a, panel, kind in rows[1:]:
        if kind == "map" or ticked.get(a, ("", ""))[1] != "map":
            ticked[a] = (panel, kind)
    has_ticks = [kind == "motif" or ticked.get(a, ("", ""))[0] == panel for a, panel, kind in rows]
    # One grid row per panel, with empty bands (inches) between them for the titles, the site
    # labels above the maps and the tick labels under the ticked rows.
    W, H = fig.get_figwidth(), fig.get_figheight()
    strip = W - _DASH_LEFT - _DASH_RIGHT
    bands: list[float] = []
    where: list[int] = []
    for (a, panel, kind), ticks in zip(rows, has_ticks):
        bands.append(_DASH_TITLE + (_DASH_SITES if kind == "map" and data.sites else 0.0))
        where.append(len(bands))
        height = _DASH_ROW[kind]
        if kind == "n/a":  # as many lines as the reason needs
            lines = _not_applicable_text(data.not_applicable[panel][a], strip).count("\n") + 1
            height = max(height, lines * _SMALL * 1.25 / 72 + 0.08)
        bands.append(height)
        if ticks:
            bands.append(_DASH_TICKS)
    gs = GridSpec(len(bands), 2, figure=fig, height_ratios=bands, width_ratios=[strip, _DASH_CBAR],
                  hspace=0.0, wspace=_DASH_CBAR_GAP / ((strip + _DASH_CBAR) / 2), left=_DASH_LEFT / W,
                  right=1 - (_DASH_RIGHT - _DASH_CBAR_GAP - _DASH_CBAR) / W, top=1 - _DASH_TOP / H,
                  bottom=_DASH_BOTTOM / H)
    cbar_done = False
    for i, (a, panel, kind) in zip(where, rows):
        name = ARCH_LABELS.get(a, a)
        step = 10 if ticked.get(a, ("", ""))[0] == panel else 0
        what = _row_label(ATTRIBUTIONS[panel].label) if panel in ATTRIBUTIONS else panel
        if kind == "motif":
            sub = gs[i, 0].subgridspec(1, 2, width_ratios=[max(k, 1), max(L - k, 1)], wspace=0)
            ax = fig.add_subplot(sub[0, 0])
            logo(data.motif.pwm, ax, engine=engine,
                 title=f"known motif: JASPAR {data.motif.id} {data.motif.name}")
        elif kind == "classopt":
            ax = fig.add_subplot(gs[i, 0])
            classopt_logo(data.classopt[a], ax, k=k, engine=engine, tick_step=step,
                          title=f"{name}: class optimization (shaded: max-IC {k}-mer)")
            ax.set_xlim(-0.5, max(L, len(data.classopt[a])) - 0.5)
        elif kind == "map":
            ax = fig.add_subplot(gs[i, 0])
            # the colour scale in the colorbar column, beside the heatmap half of the row
            cb_box = gs[i, 1].get_position(fig)
            lo = -1.0 if letters else 0.0
            y0, y1 = cb_box.y0 + cb_box.height * (-lo / (1 - lo)), cb_box.y1
            cax = ax.inset_axes([cb_box.x0, y0, cb_box.width, y1 - y0], transform=fig.transFigure)
            saliency_map(data.seq, data.attributions[panel][a], ax, sites=data.sites, letters=letters,
                         tick_step=step, colorbar=cax, title=f"{name}: {what} map    P(bound) = {data.prob[a]:.3f}")
        elif kind == "n/a":
            ax = fig.add_subplot(gs[i, 0])
            _not_applicable(ax, data.not_applicable[panel][a], f"{name}: {what}")
        else:
            ax = fig.add_subplot(gs[i, 0])
            cax: Axes | bool = False
            if not cbar_done:  # one colorbar serves all temporal rows (same colormap, 0..1)
                cax = fig.add_subplot(gs[i, 1])
                cax.set_label("dashboard:-:temporal-colorbar")
                cbar_done = True
            f, b = data.temporals[panel][a]
            temporal_heatmap(f, b, None, ax, colorbar=cax, tick_step=step,
                             title=f"{name}: {what} (blue: unbound, red: bound)")
        ax.set_label(f"dashboard:{a}:{panel}")
    what = f"{data.tf}  test sequence {data.seq_id or ''}".rstrip()
    lab = _label_text(data.label)
    fig.suptitle(f"{what}" + (f"  (label: {lab})" if lab else ""), fontsize=10, x=_DASH_LEFT / W, ha="left",
                 va="top", y=1 - 0.06 / H)
    return fig


# --------------------------------------------------------------------------
# Attribution benchmarks: ground truth and sanity checks
# --------------------------------------------------------------------------
def _method_labels() -> dict[str, str]:
    from .attribution import ATTRIBUTIONS

    return {n: s.label for n, s in ATTRIBUTIONS.items()}


def ground_truth_auroc(rows: Sequence[Mapping], fig: Figure | None = None, *, metric: str = "auroc") -> Figure:
    """Mean per-sequence AUROC (or AUPRC) of each attribution method against
    the planted sites, with its 95% bootstrap CI; one panel per TF, one colour
    per architecture.

    Parameters
    ----------
    rows : records of :func:`demolib.ground_truth.benchmark`
        (``tf``, ``arch``, ``method``, ``{metric}_mean``, ``{metric}_ci``;
        ``data/results/ground_truth.json``).
    fig : Figure, optional
        Drawn into (a new one otherwise).
    metric : "auroc" or "auprc"

    Returns
    -------
    Figure
    """
    import pandas as pd
    import seaborn as sns

    if metric not in ("auroc", "auprc"):
        raise ValueError(f"metric must be 'auroc' or 'auprc', got {metric!r}")
    labels = _method_labels()
    df = pd.DataFrame([{"tf": r["tf"], "arch": r["arch"], "method": r["method"], "mean": r[f"{metric}_mean"],
                        "lo": r[f"{metric}_ci"][0], "hi": r[f"{metric}_ci"][1]} for r in rows])
    if df.empty:
        raise ValueError("no rows to draw")
    methods = [m for m in labels if m in set(df["method"])]
    methods += [m for m in dict.fromkeys(df["method"]) if m not in methods]
    archs = [a for a in ARCH_ORDER if a in set(df["arch"])]
    archs += [a for a in dict.fromkeys(df["arch"]) if a not in archs]
    tfs = sorted(df["tf"].unique())
    colors = dict(zip(archs, sns.color_palette(n_colors=len(archs))))
    fig = fig if fig is not None else plt.figure(figsize=_fit(1.5 * len(tfs) + 2.2,
                                                              0.2 * len(methods) * len(archs) + 1.5))
    fig.set_layout_engine("constrained")
    with sns.axes_style("whitegrid"):
        axes = fig.subplots(1, len(tfs), sharex=True, sharey=True, squeeze=False)[0]
    offsets = (np.arange(len(archs)) - (len(archs) - 1) / 2) * (0.6 / max(len(archs), 1))
    for ax, tf in zip(axes, tfs):
        sub = df[df["tf"] == tf]
        for arch, off in zip(archs, offsets):
            d = sub[sub["arch"] == arch].set_index("method").reindex(methods).dropna(subset=["mean"])
            y = np.array([methods.index(m) for m in d.index]) + off
            ax.errorbar(d["mean"], y, xerr=[d["mean"] - d["lo"], d["hi"] - d["mean"]], fmt="o", ms=4, lw=1.2,
                        capsize=0, color=colors[arch], label=ARCH_LABELS.get(arch, arch))
        if metric == "auroc":
            ax.axvline(0.5, color="0.5", lw=0.8, ls=":", label="chance (0.5)")
        ax.set_yticks(range(len(methods)), [labels.get(m, m) for m in methods], fontsize=_SMALL)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=_SMALL)
        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10]))
        ax.set_title(tf, fontsize=9)
        sns.despine(ax=ax, left=True)
    fig.supxlabel(f"mean per-sequence {metric.upper()} against planted sites (95% CI)", fontsize=9)
    handles, names = axes[-1].get_legend_handles_labels()
    axes[-1].legend(handles, names, fontsize=_SMALL, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def sanity_cascade(rows: Sequence[Mapping], fig: Figure | None = None, *, threshold: float | None = None) -> Figure:
    """Spearman rho between the trained model's maps and those after cascading
    weight randomization (top layer first), one panel per architecture, one
    line per method: the mean over datasets, the band their range.

    Parameters
    ----------
    rows : records of :func:`demolib.sanity.run` (``arch``, ``method``,
        ``step``, ``layer``, ``rho_abs``; ``data/results/sanity.json``)
    fig : Figure, optional
    threshold : float, optional
        Drawn as a dotted line (the flagging threshold).

    Returns
    -------
    Figure
    """
    import pandas as pd
    import seaborn as sns

    df = pd.DataFrame(list(rows))
    if df.empty:
        raise ValueError("no rows to draw")
    labels = _method_labels()
    df["method name"] = df["method"].map(lambda m: labels.get(m, m))
    archs = [a for a in ARCH_ORDER if a in set(df["arch"])]
    fig = fig if fig is not None else plt.figure(figsize=_fit(2.6 * len(archs) + 1.0, 3.6))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, len(archs), sharey=True, squeeze=False)[0]
    hue_order = [labels[m] for m in labels if labels[m] in set(df["method name"])]
    for ax, arch in zip(axes, archs):
        sub = df[df["arch"] == arch]
        sns.lineplot(data=sub, x="step", y="rho_abs", hue="method name", hue_order=hue_order, estimator="mean",
                     errorbar=("pi", 100), marker="o", markersize=4, ax=ax, legend=ax is axes[-1])
        steps = sub.drop_duplicates("step").sort_values("step")
        ax.set_xticks(steps["step"].tolist(), [f"+{n}" if s else "trained" for s, n in zip(steps["step"], steps["layer"])],
                      rotation=35, ha="right", rotation_mode="anchor", fontsize=_SMALL)
        if threshold is not None:
            ax.axhline(threshold, color="0.4", lw=0.8, ls=":", label=f"flagging threshold ({threshold:g})")
        ax.axhline(0, color="0.8", lw=0.6)
        ax.set_title(ARCH_LABELS.get(arch, arch), fontsize=9)
        ax.set_xlabel("layers re-initialized (top first)")
        ax.set_ylabel("Spearman rho with trained maps" if ax is axes[0] else "")
    leg = axes[-1].get_legend()
    if leg is not None:  # one legend for the figure, under the panels: the methods and the threshold line
        handles, names = axes[-1].get_legend_handles_labels()
        leg.remove()
        fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 3), fontsize=_SMALL,
                   frameon=False)
    return fig


# --------------------------------------------------------------------------
# Every attribution method on one sequence (chapter "Which explanation to trust?")
# --------------------------------------------------------------------------
def attribution_strips(
    seq: str,
    scores: Mapping[str, np.ndarray | None],
    ax: Axes | None = None,
    *,
    fig: Figure | None = None,
    sites: Sequence[Site] | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    cmap: str = "Reds",
    colorbar: bool = True,
    tick_step: int | None = 10,
) -> Figure:
    """One sequence seen by several attribution methods: one heat strip per method.

    Each row is one method's per-position score divided by its maximum on
    this sequence (methods have different units: logits, probabilities,
    gradient magnitudes), so every row runs from white (0) to the darkest
    colour (the method's most important position) on one colour scale.
    The sequence is drawn under the rows as coloured letters, known sites
    are boxed across all rows.

    Parameters
    ----------
    seq : str, length L
    scores : mapping of str to array of shape (L,) or None
        Method name -> per-position score (>= 0), in the order of the rows
        (top first), e.g. ``attribute_all(model, X).sequence(0)``.  ``None``
        draws a grey row marked "not applicable".
    ax : Axes, optional
        Drawn into; otherwise a new Axes in ``fig`` (or in a new figure).
    fig : Figure, optional
        Used when no ``ax`` is given.
    sites : list of Site, optional
        Boxed (unfilled Rectangles with ``gid="site"`` spanning every row and
        the letters) and labelled with motif name and strand.
    title : str, optional
    labels : mapping of str to str, optional
        Row labels; default the registry's method labels (the name for any
        other key).
    cmap : str
        Sequential colormap of the rows.
    colorbar : bool
        Add a colour scale ("fraction of the method's maximum").
    tick_step : int or None
        Position ticks every ``tick_step`` bp; none for 0/None.

    Returns
    -------
    Figure
        The figure drawn into.  Its Axes holds one image of shape
        (n methods, L) whose not-applicable rows are masked.
    """
    names = list(scores)
    if not names:
        raise ValueError("no methods to draw")
    L = len(seq)
    rows = np.full((len(names), L), np.nan)
    for k, name in enumerate(names):
        if scores[name] is None:
            continue
        s = np.asarray(scores[name], dtype=np.float64).ravel()
        if len(s) != L:
            raise ValueError(f"{name}: {len(s)} scores for a sequence of {L} bp")
        if not np.isfinite(s).all() or s.min() < 0:
            raise ValueError(f"{name}: per-position scores must be finite and >= 0")
        rows[k] = s / (s.max() or 1.0)
    M = len(names)
    if ax is None:
        fig = fig if fig is not None else plt.figure(figsize=(COLUMN_WIDTH, 0.3 * M + 1.2), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure()
    cm = plt.get_cmap(cmap).with_extremes(bad="0.9")
    im = ax.imshow(np.ma.masked_invalid(rows), aspect="auto", cmap=cm, norm=Normalize(0.0, 1.0),
                   interpolation="nearest", origin="upper", extent=(-0.5, L - 0.5, 0.0, float(M)))
    for k in range(1, M):
        ax.axhline(k, color="white", linewidth=1.0)
    names_of = {**_method_labels(), **dict(labels or {})}
    ax.set_yticks(M - 0.5 - np.arange(M), [names_of.get(n, n) for n in names], fontsize=_SMALL)
    for k, name in enumerate(names):
        if scores[name] is None:
            ax.text((L - 1) / 2, M - 0.5 - k, "not applicable", ha="center", va="center", fontsize=_SMALL,
                    color="0.35")
    _sequence_letters(ax, seq, -0.92, 0.84)
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylim(-1.0, float(M))
    _position_ticks(ax, L, tick_step)
    for site in sites or ():
        ax.add_patch(Rectangle((site.start - 0.5, -1.0), site.end - site.start, M + 1.0, fill=False,
                               edgecolor="black", linewidth=1.2, gid="site", clip_on=False))
    _draw_site_labels(ax, sites or (), M + 0.08, L)
    if colorbar:
        cb = fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01)
        cb.set_ticks([0, 0.5, 1], labels=["0", "0.5", "1"])
        cb.ax.tick_params(labelsize=_SMALL)
        cb.set_label("fraction of the\nmethod's maximum", fontsize=_SMALL)
    if title:
        ax.set_title(title, fontsize=9, loc="left", pad=12 if sites else 4)
    return fig


# --------------------------------------------------------------------------
# Motif discovery: seqlet patterns beside their JASPAR matches (chapter 09)
# --------------------------------------------------------------------------
def seqlet_patterns(patterns: Sequence, fig: Figure | None = None, *, n: int = 3,
                    information: bool = True) -> Figure:
    """The top patterns of :func:`demolib.seqlets.discover` as logos, each beside
    its best JASPAR match.

    The match is drawn on the strand and at the offset where Tomtom aligned
    it (``Match.strand``, ``Match.offset``), so its columns sit under the
    pattern's columns they were compared with.

    Parameters
    ----------
    patterns : sequence of demolib.seqlets.Pattern
        Ranked patterns (``Discovery.patterns``); the first ``n`` are drawn.
    fig : Figure, optional
        Drawn into (a new one otherwise).
    n : int
        Number of patterns (rows).
    information : bool
        Letter heights in bits (True) or probabilities.

    Returns
    -------
    Figure
    """
    pats = list(patterns)[: max(int(n), 0)]
    if not pats:
        raise ValueError("no patterns to draw")
    fig = fig if fig is not None else plt.figure(figsize=(COLUMN_WIDTH, 1.9 * len(pats) + 0.2))
    fig.set_layout_engine("constrained")
    axes = fig.subplots(len(pats), 2, squeeze=False)
    for k, (p, (left, right)) in enumerate(zip(pats, axes)):
        m = p.best
        logo(p.pwm, left, information=information, engine="fast",
             title=f"pattern {k + 1}: {p.n_seqlets} seqlets, {p.width} bp")
        if m is None:
            right.set_axis_off()
            right.text(0.5, 0.5, "no JASPAR match", ha="center", va="center", transform=right.transAxes,
                       fontsize=8)
            continue
        target = jaspar_motif(m.id).pwm
        target = target[::-1, ::-1] if m.strand < 0 else target
        logo(target, right, information=information, engine="fast", x0=-int(m.offset),
             title=f"best match: {m.name} ({m.id}),\n{'reverse complement, ' if m.strand < 0 else ''}q = {m.q:.1e}")
        lo, hi = min(0, -int(m.offset)), max(p.width, len(target) - int(m.offset))
        for ax in (left, right):
            ax.set_xlim(lo - 0.6, hi - 0.4)
    return fig
