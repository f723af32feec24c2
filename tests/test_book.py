"""Browser checks of the rendered book and of the voila dashboard.

The book is built into a temporary directory, served on 127.0.0.1 and every
page is opened in headless Chromium (Debian's ``chromium`` package, driven by
playwright without any browser download).  Checks: the page loads, no console
errors and no uncaught page errors, every image loads (naturalWidth > 0), no
output shows a Python traceback, and the navigation lists every chapter.

Requests to other hosts (CDNs for the widget manager, Binder, Colab) cannot be
made from CI's closed network; they are aborted and reported, and console
messages that are only about those aborted external loads are not counted as
errors of the book.  Everything served by the book itself must load.

Without chromium the tests skip with the reason.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it"
)


def chapters() -> list[str]:
    """Document names in _toc.yml, in order (e.g. 'book/intro')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        for ch in part.get("chapters", []):
            names.append(ch["file"])
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site():
    """Build the book into a temporary directory and serve it on 127.0.0.1."""
    out = Path(tempfile.mkdtemp(prefix="demo-book-"))
    r = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
         "--warningiserror", "--keep-going", "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    html = out / "_build" / "html"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", html
    server.shutdown()
    server.server_close()
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="demo-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROME_ARGS, viewport={"width": 1400, "height": 900}
        )
        yield ctx
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(ctx, url: str) -> dict:
    """Open ``url``; return console errors, page errors and aborted external requests."""
    page = ctx.new_page()
    errors, page_errors, external = [], [], []

    def route(r):
        host = r.request.url.split("/")[2] if "://" in r.request.url else ""
        if r.request.url.startswith(("data:", "blob:")) or host.startswith("127.0.0.1"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    resp = page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_timeout(300)
    return {"page": page, "status": resp.status if resp else None, "errors": errors, "page_errors": page_errors,
            "external": external}


def own_errors(res: dict) -> list[str]:
    """Console errors not explained by an aborted request to another host."""
    bad = []
    for text, url in res["errors"]:
        if "net::ERR_FAILED" in text and (url in res["external"] or not url.startswith("http://127.0.0.1")):
            continue
        bad.append(f"{text} ({url})")
    return bad


def test_every_page_loads_cleanly(site, browser):
    base, html = site
    report = {}
    for name in chapters():
        res = open_page(browser, f"{base}/{name}.html")
        page = res["page"]
        assert res["status"] == 200, name
        assert own_errors(res) == [], (name, own_errors(res))
        assert res["page_errors"] == [], (name, res["page_errors"])
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], (name, broken)
        outputs = page.evaluate(
            "Array.from(document.querySelectorAll('.cell_output, .output')).map(e => e.innerText).join('\\n')"
        )
        assert "Traceback (most recent call last)" not in outputs, name
        if page.evaluate("document.querySelectorAll('.math').length") > 0:  # MathJax is served with the site
            page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
        report[name] = {"images": page.evaluate("document.images.length"), "external_aborted": len(res["external"])}
        page.close()
    print(report)


def test_navigation_lists_every_chapter(site, browser):
    base, html = site
    res = open_page(browser, f"{base}/{chapters()[0]}.html")
    links = res["page"].evaluate(
        "Array.from(document.querySelectorAll('nav.bd-docs-nav a, .bd-sidebar a')).map(a => a.href)"
    )
    res["page"].close()
    for name in chapters()[1:]:
        assert any(h.split("#")[0].endswith(f"/{name}.html") for h in links), (name, links)


VOILA_NOTEBOOK = ROOT / "book" / "11_dashboard.ipynb"


@pytest.mark.skipif(not VOILA_NOTEBOOK.exists(), reason="the dashboard chapter is not there yet")
def test_voila_dashboard_slider_redraws(browser, tmp_path):
    port = free_port()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "voila"), str(VOILA_NOTEBOOK), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        res = open_page(browser, f"http://127.0.0.1:{port}/")
        page = res["page"]
        page.wait_for_selector(".widget-slider .noUi-handle, .widget-slider input", timeout=120_000)
        img = "img.widget-image"
        page.wait_for_selector(img, timeout=120_000)
        before = page.eval_on_selector(img, "e => e.src")
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"s => document.querySelector('{img}') && document.querySelector('{img}').src !== s",
                               arg=before, timeout=60_000)
        after = page.eval_on_selector(img, "e => e.src")
        assert after != before
        assert res["page_errors"] == []
        page.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
