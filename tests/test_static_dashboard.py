"""The static site's dashboard: the data builder against the library, and the
viewer in headless Chromium on the built book.

Python: quantization bounds, the committed payload (book/_static/dashboard)
against the library computed directly on a few of its sequences, the payload
being current (every dataset with committed checkpoints, their hashes) and
within its size budget, the builder end to end on a tiny sample.

Browser (the built site of tests/test_book.py's ``site`` fixture): no request
leaves the site, no console errors, every TF of the menu draws, choosing a TF
and moving the slider redraw within 100 ms (performance.now() in the page),
the values shown for a state equal the library's, arrow keys move through the
sequences, hover names position, base and value, and the ipywidgets outputs
are gone from the static pages.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from demolib import static_dashboard as sd

OUT = sd.OUT_DIR


def committed_payload(name: str) -> dict:
    return sd.decode_payload(json.loads((OUT / f"{name}.json").read_text()))


# --------------------------------------------------------------------------
# Quantization
# --------------------------------------------------------------------------
def test_quantize_rows_error_and_top_position(rng):
    a = rng.gamma(1.0, 1.0, size=(300, 101))
    a[0] = 0.0                                  # a row of zeros
    a[1, 10] = a[1, 50] = a[1].max() + 1.0      # an exact tie: the first maximum wins
    a[2, 20] = a[2].max() * (1 + 1e-4)          # a near tie that rounding would merge
    a[2, 30] = a[2, 20] * (1 - 1e-4)
    for x in (a, a - a.mean()):                 # unsigned and signed rows
        q, scale, dtype = sd.quantize_rows(x)
        assert dtype == ("int8" if (x < 0).any() else "uint8") and q.dtype == np.dtype(dtype)
        back = q.astype(np.float64) * scale[:, None]
        err = np.abs(back - x).max(axis=1)
        assert (err <= sd.max_quantization_error(scale) * (1 + 1e-9)).all()
        assert (err <= np.abs(x).max(axis=1) / (127 if dtype == "int8" else 255) * 1.0001 + 1e-300).all()
        assert (np.argmax(q, axis=1) == np.argmax(x, axis=1)).all()
    assert np.argmax(sd.quantize_rows(a)[0][1]) == 10


def test_quantize_probability_keeps_the_side_of_one_half(rng):
    p = np.concatenate([rng.random((50, 101)), np.full((1, 101), 0.5), np.full((1, 101), 0.4999)])
    q = sd.quantize_probability(p)
    assert q.dtype == np.uint8
    assert (np.abs(q / 255 - p) <= sd.max_quantization_error() + 1e-12).all()
    assert ((q >= 128) == (p >= 0.5)).all()
    with pytest.raises(ValueError):
        sd.quantize_probability(np.array([[1.2]]))


def test_sample_indices():
    s = sd.sample_indices(400, 200, 0)
    assert len(s) == 200 and len(set(s)) == 200 and (np.diff(s) > 0).all()
    assert (s == sd.sample_indices(400, 200, 0)).all() and not (s == sd.sample_indices(400, 200, 1)).all()
    assert (sd.sample_indices(150, 200, 0) == np.arange(150)).all()
    with pytest.raises(ValueError):
        sd.sample_indices(10, 0)


# --------------------------------------------------------------------------
# The committed payload
# --------------------------------------------------------------------------
def test_payload_covers_every_dataset_with_committed_models_and_is_current():
    from demolib import train
    from demolib.attribution import ATTRIBUTIONS

    index = sd.load_index()
    shipped = train.committed_datasets()
    assert [d["name"] for d in index["datasets"]] == list(shipped), "run `make dashboard-data` (stale index)"
    for entry in index["datasets"]:
        e = json.loads((OUT / entry["file"]).read_text())
        name = e["dataset"]
        assert e["format"] == sd.FORMAT and e["archs"] == list(shipped[name]), name
        assert entry["bytes"] == (OUT / entry["file"]).stat().st_size
        assert e["n"] == min(200, e["n_positives"]) and e["settings"]["seed"] == 0
        for a, m in e["models"].items():
            assert list(m["methods"]) == list(ATTRIBUTIONS), (name, a)
            ck = train.committed_dir(name, a) / "weights.pt"
            assert m["checkpoint"]["sha256"] == sd._sha256(ck), f"{name} {a}: checkpoint changed, rebuild with --force"
            src = m["classopt"]["source"]
            cache = sd._classopt_path(name, a)
            now = sd._sha256(cache) if cache.exists() else None
            assert src["sha256"] == now, f"{name} {a}: class-optimization cache changed, rebuild with --force"


def test_payload_size_budget():
    total = sum(p.stat().st_size for p in OUT.glob("*.json"))
    assert 0 < total <= sd.SIZE_BUDGET, total


def test_index_takes_colours_glyphs_and_labels_from_the_library():
    import matplotlib

    from demolib import plots
    from demolib.architectures import ARCHITECTURES
    from demolib.attribution import ATTRIBUTIONS

    index = sd.load_index()
    assert index["colors"] == plots.COLORS
    assert [a["label"] for a in index["archs"]] == [a.label for a in ARCHITECTURES.values()]
    assert [(m["name"], m["label"]) for m in index["methods"]] == [(s.name, s.label) for s in ATTRIBUTIONS.values()]
    cmap = matplotlib.colormaps[plots.TEMPORAL_CMAP]
    assert index["colormaps"]["temporal"][0] == matplotlib.colors.to_hex(cmap(0))
    assert len(index["colormaps"]["saliency"]) == 256
    for c in "ACGT":  # the SVG letters are plots' outlines (y flipped), vertex for vertex
        v, codes = plots.letter_outline(c)
        nums = np.array([float(x) for x in re.findall(r"-?[\d.]+(?:e-?\d+)?", index["glyphs"][c])]).reshape(-1, 2)
        keep = codes != 79  # CLOSEPOLY carries no drawn vertex
        assert np.allclose(nums, np.c_[v[keep, 0], 1 - v[keep, 1]], atol=1e-3), c


@pytest.mark.parametrize("name", ["MAFK", "synthetic-MAFK"])
def test_committed_payload_equals_the_library(name):
    """A few sequences of the committed file, recomputed with the library directly."""
    import torch

    from demolib import data, interpret, train
    from demolib.attribution import attribute, why_not
    from demolib.motifs import find_sites, max_ic_window

    if not (OUT / f"{name}.json").exists():
        pytest.skip(f"no payload for {name}")
    p = committed_payload(name)
    pos = data.load_dataset(name).test.positives()
    assert (p["sample"] == sd.sample_indices(len(pos), 200, 0)).all() and p["n_positives"] == len(pos)
    rows = [0, 1, p["n"] - 1]
    sub = pos.subset(p["sample"][rows])
    assert [p["seqs"][i] for i in rows] == sub.seqs and [p["ids"][i] for i in rows] == sub.ids
    motif = sd.motif_of(name)
    assert np.allclose(p["motif"]["pwm"], motif.pwm, atol=5e-5)
    sites = find_sites(sub.seqs, [motif])
    assert [p["sites"][i] for i in rows] == [sd._sites(s) for s in sites]
    if name.startswith("synthetic-"):
        assert [p["planted"][i] for i in rows] == [sd._sites(s) for s in sub.sites]
        assert all(len(p["planted"][i]) == 1 for i in rows)
    X = sub.X
    torch.set_num_threads(1)
    for a in p["archs"]:
        model = train.load_committed(name, a).model
        rec = p["models"][a]
        prob = train.predict_proba(model, X)
        assert np.allclose(rec["prob"][rows], prob, atol=1e-5), (name, a)
        for m, v in rec["methods"].items():
            reason = why_not(m, model)
            if reason is not None:
                assert v == reason
                continue
            exact = attribute(model, X, m).per_position.astype(np.float64)
            got, scale = v[rows], rec["scales"][m][rows]
            tol = scale[:, None] * (1 + 1e-3) + 1e-5 * np.abs(exact).max(axis=1, keepdims=True)
            assert (np.abs(got - exact) <= tol).all(), (name, a, m, np.abs(got - exact).max())
            srt = np.sort(exact, axis=1)
            clear = srt[:, -1] - srt[:, -2] > 1e-4 * srt[:, -1]  # no float-level tie between the top two
            assert (np.argmax(got, axis=1) == np.argmax(exact, axis=1))[clear].all(), (name, a, m)
        if "temporal" in rec:
            tm = interpret.temporal_scores(model, X)
            for k in ("forward", "backward"):
                exact = np.asarray(getattr(tm, k), dtype=np.float64)
                assert (np.abs(rec["temporal"][k][rows] - exact) <= 1 / 255 + 1e-5).all(), (name, a, k)
            stored = interpret.Temporal(rec["temporal"]["forward"][rows], rec["temporal"]["backward"][rows])
            for f_got, f_exact in zip(interpret.flip_positions(stored), interpret.flip_positions(tm)):
                assert (f_got == f_exact).all(), (name, a)
        pwm = sd._classopt_reader()[0](name, a)
        assert np.allclose(rec["classopt"]["pwm"], pwm, atol=5e-5)
        assert rec["classopt"]["window"] == max_ic_window(pwm, rec["classopt"]["k"])


# --------------------------------------------------------------------------
# The builder end to end, and embed
# --------------------------------------------------------------------------
def test_build_tiny_sample_roundtrip_and_resume(tmp_path):
    logs = []
    sec = sd.build(["synthetic-NFYB"], tmp_path, n=3, progress=False, log=logs.append)
    assert sec["synthetic-NFYB"] is not None and (tmp_path / "synthetic-NFYB.json").exists()
    index = json.loads((tmp_path / "index.json").read_text())
    assert [d["name"] for d in index["datasets"]] == ["synthetic-NFYB"] and index["datasets"][0]["n"] == 3
    first = (tmp_path / "synthetic-NFYB.json").read_bytes()
    assert sd.build(["synthetic-NFYB"], tmp_path, n=3, progress=False, log=logs.append) == {"synthetic-NFYB": None}
    assert any("kept" in line for line in logs)
    sd.build(["synthetic-NFYB"], tmp_path, n=3, progress=False, force=True, log=logs.append)
    assert (tmp_path / "synthetic-NFYB.json").read_bytes() == first  # deterministic
    e = json.loads(first)
    assert e["library_version"] and e["settings"]["n"] == 3 and e["planted"]
    with pytest.raises(ValueError, match="no committed medium checkpoints"):
        sd.build(["synthetic-GRAMMAR"], tmp_path, progress=False)


def test_refresh_classopt_writes_what_build_writes(tmp_path, monkeypatch):
    """Refreshing only the class-optimization panels gives the file a full build gives, and
    changes nothing when the cache has not changed."""
    sd.build(["synthetic-NFYB"], tmp_path, n=3, progress=False, log=lambda *_: None)
    path = tmp_path / "synthetic-NFYB.json"
    built = path.read_bytes()
    assert sd.refresh_classopt(["synthetic-NFYB"], tmp_path, log=lambda *_: None) == []
    assert path.read_bytes() == built
    # a changed cache: the refreshed file equals a full rebuild with that cache
    cache = tmp_path / "classopt"
    cache.mkdir()
    rng = np.random.default_rng(0)
    for a in ("cnn", "cnn-rnn"):
        pwm = rng.dirichlet(np.ones(4), size=101)
        np.save(cache / f"synthetic-NFYB_{a}.npy", pwm)
    from demolib import dashboard

    monkeypatch.setattr(dashboard, "CLASSOPT_DIR", cache)
    assert sd.refresh_classopt(["synthetic-NFYB"], tmp_path, log=lambda *_: None) == ["synthetic-NFYB"]
    refreshed = path.read_bytes()
    assert refreshed != built
    sd.build(["synthetic-NFYB"], tmp_path, n=3, progress=False, force=True, log=lambda *_: None)
    assert path.read_bytes() == refreshed
    with pytest.raises(ValueError, match="build it first"):
        sd.refresh_classopt(["MAFK"], tmp_path)


def test_encode_decode_within_the_documented_error():
    from demolib.models import build_model, preset

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    models = {"cnn": build_model(preset("cnn", "small")),
              "rnn": build_model(preset("rnn", "small"))}
    p = sd.dashboard_payload("synthetic-GATA1", n=4, models=models, methods=["saliency", "ism", "temporal"])
    assert "classopt" not in p["models"]["cnn"]  # it belongs to the committed models only
    d = sd.decode_payload(json.loads(json.dumps(sd.encode_payload(p))))
    for a in models:
        assert np.array_equal(d["models"][a]["prob"], p["models"][a]["prob"].astype(np.float64))
        for m, v in p["models"][a]["methods"].items():
            if isinstance(v, str):
                assert d["models"][a]["methods"][m] == v
                continue
            err = np.abs(d["models"][a]["methods"][m] - v).max(axis=1)
            assert (err <= d["models"][a]["scales"][m] * (1 + 1e-9)).all()
    t = p["models"]["rnn"]["temporal"]["forward"]
    assert (np.abs(d["models"]["rnn"]["temporal"]["forward"] - t) <= 1 / 255 + 1e-7).all()
    assert "temporal" not in d["models"]["cnn"]


def test_embed():
    out = sd.embed("MAFK", methods=["saliency", "classopt"], layout="arch", archs=["cnn"], index=3).data
    assert 'class="demo-dashboard"' in out and 'data-dataset="MAFK"' in out and 'data-layout="arch"' in out
    assert 'data-methods="saliency,classopt"' in out and 'data-index="3"' in out
    assert "_static/dashboard/viewer.js" in out and "http" not in out
    for bad in (dict(dataset="NOPE"), dict(methods=["nope"]), dict(layout="grid"), dict(archs=["mlp"]),
                dict(index=-1)):
        with pytest.raises(ValueError):
            sd.embed(**bad)


# --------------------------------------------------------------------------
# In the browser
# --------------------------------------------------------------------------
from test_book import CHROMIUM, browser, open_page, own_errors, site  # noqa: E402,F401  (fixtures)

browser_only = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

WAIT_READY = "document.querySelectorAll('div.demo-dashboard[data-dd-ready=yes]').length > 0"

CHANGE = """async ([what, value]) => {
  const el = document.querySelector('div.demo-dashboard'), v = el.demoDashboard;
  const input = el.querySelector(what);
  const t0 = performance.now();
  input.value = String(value);
  input.dispatchEvent(new Event(what === '.dd-tf' ? 'change' : 'input'));
  await v.drawn;
  return {ms: performance.now() - t0, viewer_ms: v.lastDrawMs, index: v.state.index, dataset: v.state.dataset};
}"""

SHOWN = """([arch, method]) => {
  const el = document.querySelector('div.demo-dashboard');
  const p = el.querySelector(`.dd-panel[data-arch="${arch}"][data-method="${method}"]`);
  if (!p) return null;
  return {prob: p.querySelector('.dd-prob').textContent, top: p.dataset.top, title: p.querySelector('.dd-title').textContent,
          ff: p.dataset.flipForward, fb: p.dataset.flipBackward};
}"""


def library_state(name: str, i: int):
    """P(bound), top saliency position and flip points of sample sequence ``i``, with the library directly."""
    import torch

    from demolib import data, interpret, train
    from demolib.attribution import attribute

    torch.set_num_threads(1)
    pos = data.load_dataset(name).test.positives()
    k = int(sd.sample_indices(len(pos), 200, 0)[i])
    X = pos.subset([k]).X
    out = {}
    for a in train.committed_datasets()[name]:
        model = train.load_committed(name, a).model
        s = attribute(model, X, "saliency")
        rec = {"prob": f"{float(s.prob[0]):.3f}", "top": int(np.argmax(s.per_position[0]))}
        try:
            tm = interpret.temporal_scores(model, X)
        except ValueError:
            pass
        else:
            f, b = interpret.flip_positions(tm)
            rec["flips"] = (int(f[0]), int(b[0]))
        out[a] = rec
    return out


@browser_only
def test_chapter_11_dashboard_in_the_browser(site, browser):
    base, _ = site
    res = open_page(browser, f"{base}/book/11_dashboard.html")
    page = res["page"]
    page.wait_for_function(WAIT_READY, timeout=30_000)
    index = sd.load_index()
    names = [d["name"] for d in index["datasets"]]
    menu = page.eval_on_selector_all("div.demo-dashboard .dd-tf option", "o => o.map(x => x.value)")
    assert menu == names
    times = []
    for name in names[::-1] + ["MAFK"]:  # every shipped TF draws; each is fetched when chosen
        r = page.evaluate(CHANGE, [".dd-tf", name])
        assert r["dataset"] == name and r["index"] == 0
        times.append(r["ms"])
        assert page.locator("div.demo-dashboard .dd-panel[data-panel=attr]").count() > 0, name
    slider = []
    for i in (1, 2, 3, 17, 5):
        r = page.evaluate(CHANGE, [".dd-seq", i])
        assert r["index"] == i
        slider.append(r["ms"])
    assert np.median(times) < 100 and np.median(slider) < 100, (times, slider)
    assert max(slider) < 100, slider
    # the values shown equal the library's, for MAFK sequence 5 of the sample
    want = library_state("MAFK", 5)
    for a, rec in want.items():
        shown = page.evaluate(SHOWN, [a, "saliency"])
        assert shown["prob"] == rec["prob"] and int(shown["top"]) == rec["top"], (a, shown, rec)
        if "flips" in rec:
            t = page.evaluate(SHOWN, [a, "temporal"])
            assert (int(t["ff"]), int(t["fb"])) == rec["flips"], (a, t, rec)
            assert t["prob"] == rec["prob"]
        else:
            assert page.locator(f"div.demo-dashboard .dd-panel[data-panel=na][data-arch={a}]").count() == 1
    # keyboard: arrows on the figure move through the sequences
    page.focus("div.demo-dashboard .dd-figure")
    page.keyboard.press("ArrowRight")
    page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.drawn")
    assert page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.state.index") == 6
    assert page.input_value("div.demo-dashboard .dd-seq") == "6"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.drawn")
    assert page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.state.index") == 4
    # hover: position, base and value
    box = page.locator("div.demo-dashboard .dd-panel[data-panel=attr][data-arch=cnn] canvas").first.bounding_box()
    px = (box["width"] - 84 - 10) / 101
    page.mouse.move(box["x"] + 84 + px * 30.5, box["y"] + 20)
    tip = page.inner_text("div.demo-dashboard .dd-tip")
    seq = page.evaluate("() => { const v = document.querySelector('div.demo-dashboard').demoDashboard; "
                        "return v.data.seqs[v.state.index]; }")
    assert tip.startswith(f"bp 30 · {seq[30]} · Saliency = "), tip
    # layout by architecture: the known motif first, as in plots.dashboard
    page.check("div.demo-dashboard .dd-layout[value=arch]")
    page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.drawn")
    first = page.eval_on_selector("div.demo-dashboard .dd-panel", "p => p.dataset.panel")
    assert first == "motif"
    # a method toggle adds its rows
    page.check("div.demo-dashboard .dd-method[value=ism]")
    page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.drawn")
    assert page.locator("div.demo-dashboard .dd-panel[data-method=ism][data-panel=attr]").count() >= 1
    assert res["external"] == [], res["external"]
    assert own_errors(res) == [] and res["errors"] == [] and res["page_errors"] == []
    print({"tf_ms": [round(t, 1) for t in times], "slider_ms": [round(t, 1) for t in slider]})
    page.close()


@browser_only
@pytest.mark.parametrize("chapter, panel", [("06_saliency", "attr"), ("07_temporal", "temporal"),
                                            ("08_class_optimization", "classopt")])
def test_method_chapters_show_a_working_dashboard_and_no_dead_widgets(site, browser, chapter, panel):
    base, _ = site
    res = open_page(browser, f"{base}/book/{chapter}.html")
    page = res["page"]
    page.wait_for_function(WAIT_READY, timeout=30_000)
    kinds = set(page.eval_on_selector_all("div.demo-dashboard .dd-panel", "ps => ps.map(p => p.dataset.panel)"))
    assert panel in kinds and kinds <= {panel, "motif", "na"}, kinds
    r = page.evaluate(CHANGE, [".dd-seq", 3])
    assert r["index"] == 3
    # no ipywidgets left: no widget views, no empty outputs, no widget manager
    assert page.locator("script[type='application/vnd.jupyter.widget-view+json']").count() == 0
    assert page.locator("script[type='application/vnd.jupyter.widget-state+json']").count() == 0
    empty = page.evaluate("Array.from(document.querySelectorAll('.cell_output')).filter(e => "
                          "e.innerText.trim() === '' && !e.querySelector('img, svg, .demo-dashboard')).length")
    assert empty == 0
    assert res["external"] == [] and res["errors"] == [] and res["page_errors"] == []
    page.close()
