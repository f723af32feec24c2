"""The figures stored in the chapters are legible in the page column (issue 12).

Every PNG output of every chapter must be what :func:`demolib.plots.use_book_style`
makes under IPython's inline backend:

- drawn at :data:`~demolib.plots.DPI` (>= 150 dpi; read from the PNG's pHYs chunk);
- shown at its printed size: the display width stored with the output (or, without one,
  the pixel width) is the width in inches x 96 CSS px, so an 8-pt label is shown at 8 pt;
- no wider than :data:`~demolib.plots.COLUMN_WIDTH`, so the browser does not shrink it into
  the column (688 CSS px at a 1280 px wide window, see ``plots.COLUMN_PX``).

The chapters' own drawing code must not ask for text under 8 pt either (``fontsize=7`` etc.).
The library's figures are checked for text size and overlapping ticks in ``test_plots.py``.

These tests read the committed outputs: after a change of the style the chapters must be
re-executed (``jupyter nbconvert --execute --inplace``) before they pass.
"""
from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from PIL import Image

from demolib import plots

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE_IN = 0.05  # rounding of the tight crop and of the pHYs chunk (pixels per metre)
SMALL_FONT = re.compile(r"\b(fontsize|labelsize|titlesize)\s*=\s*(\d+(?:\.\d+)?)\b")


def chapters() -> list[str]:
    """The notebooks of _toc.yml, in order (e.g. 'book/02_cnn')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = []
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        for ch in part.get("chapters", []):
            if (ROOT / f"{ch['file']}.ipynb").exists():
                names.append(ch["file"])
    return names


def png_outputs(name: str) -> list[tuple[int, Image.Image, dict]]:
    """(cell index, image, the output's image/png metadata) of every PNG output of a chapter."""
    nb = json.loads((ROOT / f"{name}.ipynb").read_text())
    out = []
    for i, cell in enumerate(nb["cells"]):
        for o in cell.get("outputs", []):
            if "image/png" in o.get("data", {}):
                img = Image.open(io.BytesIO(base64.b64decode(o["data"]["image/png"])))
                out.append((i, img, o.get("metadata", {}).get("image/png", {})))
    return out


def figure_problems(cell: int, img: Image.Image, meta: dict) -> list[str]:
    """Why one stored PNG is not shown legibly in the column (empty if it is)."""
    dpi = float(img.info.get("dpi", (72.0, 72.0))[0])  # PNGs without pHYs: browsers assume 72/96
    width_in = img.size[0] / dpi
    shown_px = float(meta.get("width", img.size[0]))
    problems = []
    if dpi < 150:
        problems.append(f"cell {cell}: {dpi:.0f} dpi (< 150)")
    if width_in > plots.COLUMN_WIDTH + TOLERANCE_IN:
        problems.append(f"cell {cell}: {width_in:.2f} in wide (column: {plots.COLUMN_WIDTH} in)")
    if abs(shown_px - width_in * plots.SCREEN_DPI) > 1.0:
        problems.append(f"cell {cell}: shown {shown_px:.0f} CSS px wide, printed size {width_in * 96:.0f} px "
                        f"(scaled x{shown_px / (width_in * 96):.2f})")
    return problems


@pytest.mark.parametrize("name", chapters())
def test_stored_figures_fit_the_column_at_book_dpi(name):
    problems = [p for cell, img, meta in png_outputs(name) for p in figure_problems(cell, img, meta)]
    assert problems == [], (f"{name}: re-execute with plots.use_book_style() in the setup cell and figures at most "
                            f"plots.COLUMN_WIDTH wide:\n" + "\n".join(problems))


@pytest.mark.parametrize("name", chapters())
def test_chapter_code_asks_for_no_text_under_8_pt(name):
    nb = json.loads((ROOT / f"{name}.ipynb").read_text())
    small = [f"cell {i}: {m.group(0)}" for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
             for m in SMALL_FONT.finditer("".join(cell["source"])) if float(m.group(2)) < plots.MIN_FONTSIZE]
    assert small == [], f"{name}: font sizes under {plots.MIN_FONTSIZE} pt:\n" + "\n".join(small)


def test_problems_are_found():
    """The check itself: a 14-inch figure at 100 dpi (the old outputs) fails, a retina PNG of the style passes."""
    old = Image.new("RGB", (1400, 300))
    old.info["dpi"] = (100.0, 100.0)
    assert len(figure_problems(0, old, {})) == 3
    new = Image.new("RGB", (1300, 400))
    new.info["dpi"] = (float(plots.DPI),) * 2
    assert figure_problems(0, new, {"width": 650}) == []
    assert figure_problems(0, new, {}) != []  # no display width: shown at 1300 px, twice its size
