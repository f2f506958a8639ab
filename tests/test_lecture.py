"""Lecture mode: the code-free Voilà app, the slide decks, and the slide metadata of every notebook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import anywidget
import ipywidgets as W
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


def _all_widgets(w: W.Widget) -> list[W.Widget]:
    out = [w]
    for child in getattr(w, "children", ()):
        out += _all_widgets(child)
    return out


@pytest.fixture(scope="module")
def app():
    from ipywidgets.widgets.widget import _instances  # every live widget model (Widget.widgets is deprecated)

    from vae_lib.lecture import build_app

    before = len(_instances)
    app = build_app()
    app.model_count = len(_instances) - before  # every widget model the app created (layouts, styles ...)
    return app


def test_app_has_every_explorer_in_a_captioned_tab(app):
    from vae_lib.lecture import TABS

    titles = [app.tab.get_title(i) for i in range(len(app.tab.children))]
    assert titles == ["Latent space", "β", "Interpolation", "KL divergence", "ELBO gap", "Draw a digit", "Conditional"]
    for tab, panel in zip(TABS, app.tab.children):
        caption, body = panel.children
        assert isinstance(caption, W.HTML) and len(re.sub("<[^>]+>", "", caption.value)) > 200, tab.title
        assert body is app.explorers[tab.title].widget
        if isinstance(body, anywidget.AnyWidget):  # in-page: the networks and the page's code go to the browser
            assert body._esm and body.weights, tab.title
            continue
        widgets = _all_widgets(body)
        assert any(isinstance(w, (W.FloatSlider, W.IntSlider, W.SelectionSlider)) for w in widgets), tab.title
        assert any(isinstance(w, W.Image) and len(w.value) > 100 for w in widgets), f"{tab.title}: nothing drawn"


def _comm_count(url: str, kernel_id: str) -> int:
    """Ask the app's kernel, over Jupyter's websocket protocol, how many widget comms it has open."""
    import asyncio

    from tornado.websocket import websocket_connect

    async def ask() -> int:
        ws = await websocket_connect(url.replace("http", "ws") + f"api/kernels/{kernel_id}/channels")
        msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": session, "msg_type": "comm_info_request",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": {"target_name": "jupyter.widget"},
            "channel": "shell", "buffers": []}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(ws.read_message(), timeout=30)
            if raw is None:
                break
            if isinstance(raw, bytes):
                continue
            reply = json.loads(raw)
            if reply.get("msg_type") == "comm_info_reply" and reply["parent_header"].get("msg_id") == msg_id:
                ws.close()
                return len(reply["content"]["comms"])
        raise AssertionError("no comm_info_reply from the app's kernel")

    return asyncio.run(ask())


@pytest.mark.slow
def test_voila_serves_the_app_with_all_its_widgets(voila_app, app):
    voila = voila_app
    t0 = time.monotonic()
    with urllib.request.urlopen(voila, timeout=120) as r:
        status, html = r.status, r.read().decode()
    seconds = time.monotonic() - t0
    assert status == 200
    assert "application/vnd.jupyter.widget-view+json" in html  # the app rendered as a widget view
    for marker in ("Traceback (most recent call last)", "jupyter.stderr", "Error: "):
        at = html.find(marker)
        assert at < 0, f"the app printed an error: ...{html[max(0, at - 300):at + 600]}"
    assert "from vae_lib.lecture import" not in html  # Voilà strips the code: the app is code-free
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]+)"', html).group(1)
    count = _comm_count(voila, kernel_id)
    print(f"\nVoilà app: HTTP {status} after {seconds:.1f} s, {count} widget models in its kernel "
          f"(the same app built here: {app.model_count})")
    assert count >= app.model_count > 100


# ------------------------------------------------------------------ slides


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_slide_metadata(path):
    nb = nbformat.read(path, as_version=4)
    missing = [i for i, c in enumerate(nb.cells) if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not missing, f"{path.name}: cells {missing} have no slideshow.slide_type (run: python -m vae_tools.slides notebooks/*.ipynb)"
    types = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    shown = [t for t in types if t != "skip"]
    assert shown and shown[0] == "slide", f"{path.name}: the first cell on screen must open a slide"
    assert types.count("slide") >= 3, f"{path.name}: a deck needs a title slide per section"
    for c in nb.cells:  # every section heading opens a slide
        if c.cell_type == "markdown" and re.match(r"#{1,2} ", c.source):
            assert c.metadata["slideshow"]["slide_type"] == "slide", f"{path.name}: {c.source.splitlines()[0]!r}"


@pytest.mark.slow
def test_nbconvert_builds_a_slide_deck_for_every_notebook(tmp_path):
    assert NOTEBOOKS, "no notebooks found"
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", "--output-dir", str(tmp_path),
           *map(str, NOTEBOOKS)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for nb in NOTEBOOKS:
        deck = tmp_path / (nb.stem + ".slides.html")
        assert deck.is_file(), f"no deck for {nb.name}"
        html = deck.read_text()
        assert "reveal" in html.lower() and html.count("<section") >= 3


@pytest.mark.slow
def test_html_reading_copy_embeds_the_widget_state(tmp_path):
    """`make html`: a notebook with widgets exports with their saved state, so they show their last view."""
    nb = ROOT / "notebooks" / "08_beta_vae.ipynb"
    state = nbformat.read(nb, as_version=4).metadata.get("widgets", {})
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    assert len(models) > 10, "the committed notebook lacks its widget state (execute it with nbconvert)"
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                           str(nb)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "08_beta_vae.html").read_text()
    assert 'type="application/vnd.jupyter.widget-state+json"' in html
    assert html.count("application/vnd.jupyter.widget-view+json") >= 1
    assert all(model_id in html for model_id in list(models)[:20])
