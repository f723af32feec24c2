"""The static site's dashboard: payload size, and draw times in headless Chromium.

Payload: bytes of every file in ``book/_static/dashboard`` (the datasets,
``index.json``, the viewer), per dataset and in total, against the 15 MB
budget (``demolib.static_dashboard.SIZE_BUDGET``).

Draw times: the book is built into a temporary folder (or ``--site`` points at
a built ``_build/html``), served on 127.0.0.1 and chapter 11 opened in Debian's
``chromium`` through playwright.  Measured in the page with
``performance.now()``:

* first draw: from the start of navigation to the dashboard drawn (the
  viewer, ``index.json`` and MAFK's file fetched, decoded and drawn), and the
  viewer's own time for that draw (from its start to the figure in the DOM);
* redraws after the sequence slider moves (``--repeats`` moves, median);
* choosing each TF in the menu (its file fetched when first chosen, then
  cached: both reported);
* the slider with every method switched on (the largest figure).

Prints the JSON and writes it to ``bench/results/static_dashboard.json``.

Usage: python bench/static_dashboard.py [--repeats 20] [--site _build/html]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demolib import static_dashboard as sd  # noqa: E402
from demolib.utils import atomic_write_json  # noqa: E402

CHANGE = """async ([what, value]) => {
  const el = document.querySelector('div.demo-dashboard'), v = el.demoDashboard;
  const input = el.querySelector(what);
  const t0 = performance.now();
  input.value = String(value);
  input.dispatchEvent(new Event(what === '.dd-tf' ? 'change' : 'input'));
  await v.drawn;
  return performance.now() - t0;
}"""


def payload_sizes() -> dict:
    files = {p.name: p.stat().st_size for p in sorted(sd.OUT_DIR.iterdir()) if p.is_file()}
    index = sd.load_index()
    per = {d["name"]: files[d["file"]] for d in index["datasets"]}
    data_total = sum(v for k, v in files.items() if k.endswith(".json"))
    return {"per_dataset_bytes": per, "index_bytes": files.get("index.json"),
            "viewer_bytes": {k: v for k, v in files.items() if not k.endswith(".json")},
            "json_total_bytes": data_total, "all_files_bytes": sum(files.values()), "budget_bytes": sd.SIZE_BUDGET,
            "n_sequences": {d["name"]: d["n"] for d in index["datasets"]}}


def build_site() -> tuple[Path, Path]:
    out = Path(tempfile.mkdtemp(prefix="demo-bench-book-"))
    r = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
                        "--quiet"], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stdout[-2000:] + r.stderr[-2000:])
    return out, out / "_build" / "html"


def summary(xs: list[float]) -> dict:
    return {"median_ms": round(statistics.median(xs), 2), "max_ms": round(max(xs), 2), "n": len(xs)}


def measure(html: Path, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is not installed (apt-get install -y chromium)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/book/11_dashboard.html"
    out: dict = {}
    names = [d["name"] for d in sd.load_index()["datasets"]]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            first, viewer_first = [], []
            for _ in range(max(3, repeats // 4)):  # fresh page (and cache) each time
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.goto(url, wait_until="load")
                page.wait_for_function("document.querySelector('div.demo-dashboard[data-dd-ready=yes]')",
                                       timeout=60_000)
                first.append(float(page.get_attribute("div.demo-dashboard", "data-first-draw-at")))
                viewer_first.append(page.evaluate("() => document.querySelector('div.demo-dashboard')"
                                                  ".demoDashboard.lastDrawMs"))
                ctx.close()
            out["first_draw_since_navigation"] = summary(first)
            out["first_draw_viewer"] = summary(viewer_first)
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            page.goto(url, wait_until="load")
            page.wait_for_function("document.querySelector('div.demo-dashboard[data-dd-ready=yes]')", timeout=60_000)
            n = page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.data.n")
            out["slider_redraw"] = summary([page.evaluate(CHANGE, [".dd-seq", (7 * k + 1) % n])
                                            for k in range(repeats)])
            out["tf_first_choice"] = {name: round(page.evaluate(CHANGE, [".dd-tf", name]), 2) for name in names}
            out["tf_choice_cached"] = summary([page.evaluate(CHANGE, [".dd-tf", names[k % len(names)]])
                                               for k in range(repeats)])
            page.evaluate(CHANGE, [".dd-tf", "MAFK"])
            for box in page.query_selector_all("div.demo-dashboard .dd-method"):
                box.check()
            page.evaluate("() => document.querySelector('div.demo-dashboard').demoDashboard.drawn")
            out["slider_redraw_all_methods"] = summary([page.evaluate(CHANGE, [".dd-seq", (5 * k + 2) % n])
                                                        for k in range(repeats)])
            out["panels_all_methods"] = page.evaluate("document.querySelectorAll('div.demo-dashboard .dd-panel').length")
            out["chromium"] = browser.version
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--site", help="a built _build/html (default: build the book into a temporary folder)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "static_dashboard.json"))
    args = ap.parse_args()
    tmp = None
    if args.site:
        html = Path(args.site)
    else:
        t0 = time.perf_counter()
        tmp, html = build_site()
        print(f"book built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    try:
        res = {
            "benchmark": "static_dashboard",
            "command": "python bench/static_dashboard.py " + " ".join(sys.argv[1:]),
            "payload": payload_sizes(),
            "browser": measure(html, args.repeats),
            "budget_ms": 100,
            "env": {"cpu_count": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                    "loadavg_1min": round(os.getloadavg()[0], 2)},
        }
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res, indent=2))
    atomic_write_json(args.out, res)


if __name__ == "__main__":
    main()
