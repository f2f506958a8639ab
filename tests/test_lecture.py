"""Lecture mode: the code-free Voilà app, the slide decks, and the slide metadata of every notebook."""

from __future__ import annotations

import json
import os
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
import torch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


def _all_widgets(w: W.Widget) -> list[W.Widget]:
    out = [w]
    for child in getattr(w, "children", ()):
        out += _all_widgets(child)
    return out


# the data root as pytest found it: the app measures its captions' numbers on real digits, whatever a unit test's
# data set is (conftest points $VAE_LIB_DATA at a synthetic set during unit tests)
REAL_DATA = os.environ.get("VAE_LIB_DATA")


def _real_data(mp: pytest.MonkeyPatch) -> None:
    if REAL_DATA is None:
        mp.delenv("VAE_LIB_DATA", raising=False)
    else:
        mp.setenv("VAE_LIB_DATA", REAL_DATA)


def _have_real_data() -> bool:
    from vae_lib.data import DatasetNotFoundError, load_mnist

    try:
        load_mnist("test", root=REAL_DATA, download=False)
    except DatasetNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on the real digits; on a machine without them (the fast tier), on a synthetic set of MNIST's size
    (tests/synthetic.py; its numbers measured into a cache of its own): the same tabs and explorers. Its caption
    numbers are checked by the tests marked mnist, which need the real digits."""
    from ipywidgets.widgets.widget import _instances  # every live widget model (Widget.widgets is deprecated)

    from vae_lib.lecture import build_app

    before = len(_instances)
    with pytest.MonkeyPatch.context() as mp:
        if _have_real_data():
            _real_data(mp)
        elif os.environ.get("CI"):
            pytest.fail("CI must provide the datasets offline (the lecture app is tested on the real digits there)")
        else:
            import synthetic

            full = synthetic.write(tmp_path_factory.mktemp("synthetic-full"), {"train": 3000, "t10k": 10000})
            mp.setenv("VAE_LIB_DATA", str(full))
            mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
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


# ------------------------------------------------------------------ the captions' numbers

def _text(html: str) -> str:
    return re.sub("<[^>]+>", "", html)


def _fields(text: str) -> list[tuple[str, str]]:
    """The ``{name:spec}`` placeholders of a caption, in order."""
    import string

    return [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None]


# what may stay written in a caption: model names, the notebook a caption cites, and symbols of formulas
_NOT_A_NUMBER = re.compile(r"\b(?:c?vae|ae)-2d(?:-beta-\d+)?\b|notebook \d\d|N\(0, I\)|\(1 − α\)|2σ")


def test_every_number_in_a_caption_is_a_placeholder():
    """No caption types a number: what is left after the placeholders, model names, notebook numbers and
    formulas holds no digit (a number written by hand would go stale when a model is retrained)."""
    from vae_lib.lecture import TABS

    for tab in TABS:
        left = _NOT_A_NUMBER.sub("", re.sub(r"\{[^}]*\}", "", tab.caption))
        assert not re.search(r"\d", left), f"{tab.title}: a number typed in the caption: {left!r}"


@pytest.fixture(scope="module")
def expected_numbers(app):
    """Every caption's numbers, computed here from the zoo, the manifest and vae_lib.measures: not with the
    app's code (vae_lib.lecture.measured and its disk cache), so a wrong or stale caption number fails."""
    with pytest.MonkeyPatch.context() as mp:
        _real_data(mp)
        return _numbers(app)


def _numbers(app) -> dict[str, dict]:
    import inspect

    from vae_lib import measures, zoo
    from vae_lib.classifier import load_pretrained, predict_proba
    from vae_lib.lecture import N_CODES, same_class_paths_kept
    from vae_lib.metrics import knn_accuracy

    x, y = zoo.test_set("mnist")
    models = {n: zoo.load(n) for n in ("ae-2d", "vae-2d", "cvae-2d")}
    grid = zoo.beta_grid(2)
    small, large = grid[min(grid)], grid[max(grid)]
    clf = load_pretrained()
    p = {k: v.default for k, v in inspect.signature(same_class_paths_kept).parameters.items()
         if v.default is not inspect.Parameter.empty}

    def kept(model):  # notebook 07's same-class paths, written out again
        z = measures.codes(model).test
        gen = torch.Generator().manual_seed(p["seed"])
        i = torch.randint(0, p["pool"], (3000,), generator=gen)
        j = torch.randint(0, p["pool"], (3000,), generator=gen)
        same = y[i] == y[j]
        i, j = i[same][:p["n_pairs"]], j[same][:p["n_pairs"]]
        alpha = torch.linspace(0, 1, p["frames"])[:, None, None]
        with torch.no_grad():
            images = model.decode_mean(((1 - alpha) * z[i] + alpha * z[j]).flatten(0, 1))
            labels = predict_proba(clf, images.reshape(-1, 1, 28, 28)).argmax(-1).reshape(p["frames"], -1)
        return (labels == y[i]).all(0).float().mean().item()

    latent = app.explorers["Latent space"]
    spread = measures.code_spread(models["vae-2d"])
    beta = app.explorers["β"]
    numbers = {
        "Latent space": {"K": models["vae-2d"].latent_dim, "half_range": latent.sliders[0].max, "n_codes": N_CODES,
                         "n_samples": measures.PROTOCOL.n_samples, "spread_1": spread[0].item(),
                         "spread_2": spread[1].item(), "vae_holes": measures.hole_fraction(models["vae-2d"]),
                         "ae_holes": measures.hole_fraction(models["ae-2d"])},
        "β": {"n_models": len(grid), "K": small.latent_dim, "beta_min": min(grid), "beta_max": max(grid),
              "n_samples": beta.z_samples.shape[0], "spread_small": measures.code_spread(small).max().item(),
              "spread_large": measures.code_spread(large).max().item()},
        "Interpolation": {"ae_leave": 1 - kept(models["ae-2d"]), "vae_leave": 1 - kept(models["vae-2d"]),
                          "n_pairs": p["n_pairs"], "frames": p["frames"]},
        "Draw a digit": {"side": x.shape[-1], "beta": zoo.info("vae-2d-beta-4")["recipe"]["beta"]},
        "Conditional": {"k": inspect.signature(knn_accuracy).parameters["k"].default,
                        "cvae_knn": knn_accuracy(measures.codes(models["cvae-2d"]).test, y),
                        "vae_knn": knn_accuracy(measures.codes(models["vae-2d"]).test, y),
                        "chance": 1 / models["cvae-2d"].n_classes},
    }
    return numbers


@pytest.mark.mnist
def test_every_caption_shows_the_numbers_computed_now(app, expected_numbers):
    """Each caption on screen is its text with the numbers computed here (the hole fractions of vae-2d and
    ae-2d, the code spreads, the straight paths of notebook 07, the 5-NN accuracies of cvae-2d and vae-2d ...)."""
    from vae_lib.i18n import tr
    from vae_lib.lecture import TABS

    for tab, panel in zip(TABS, app.tab.children):
        numbers = expected_numbers.get(tab.title, {})
        assert {name for name, _ in _fields(tab.caption)} == set(numbers), tab.title
        shown = _text(panel.children[0].value)
        assert shown == tr(tab.caption).format(**numbers), f"{tab.title}: {shown}"


@pytest.mark.mnist
def test_the_korean_captions_keep_every_placeholder_and_show_the_same_numbers(app, expected_numbers, monkeypatch):
    import polib

    from vae_lib import i18n
    from vae_lib.lecture import TABS, caption_text
    from vae_tools import translate

    po = {e.msgid: e.msgstr for e in polib.pofile(str(translate.CATALOGS / "ko" / "vae_lib.po"))}
    monkeypatch.setattr(i18n, "_chosen", "ko")
    for tab in TABS:
        assert sorted(_fields(po[tab.caption])) == sorted(_fields(tab.caption)), tab.title
        numbers = expected_numbers.get(tab.title, {})
        text = caption_text(tab, app.explorers[tab.title])
        assert text == po[tab.caption].format(**numbers) and text != tab.caption.format(**numbers), tab.title


def test_captions_compare_only_declared_pairs():
    """A caption that names two zoo models compares a matched pair of vae_lib.recipes.PAIRS."""
    from vae_lib.lecture import TABS
    from vae_lib.recipes import PAIRS, RECIPES

    declared = {frozenset((p.a, p.b)) for p in PAIRS}
    for tab in TABS:
        named = sorted({n for n in RECIPES if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", tab.caption)})
        for i, a in enumerate(named):
            for b in named[i + 1:]:
                assert frozenset((a, b)) in declared, f"{tab.title}: {a} and {b} are not a declared pair"


def test_measured_numbers_are_kept_on_disk_per_model_file(tmp_path, monkeypatch):
    """The app measures once: a number is stored under the model file's sha256, read back by the next process,
    and measured again when the file changes (a retrained model)."""
    from vae_lib import lecture, zoo

    calls = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(lecture, "_MEMO", {})
    monkeypatch.setitem(lecture.MEASURES, "knn", (lambda m: calls.append(m) or 0.5, ()))
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 1
    assert (tmp_path / "vae_lib" / "lecture_numbers.json").is_file()
    monkeypatch.setattr(lecture, "_MEMO", {})                      # a new process: read from the disk
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 1
    monkeypatch.setattr(lecture, "_code_version", lambda: "changed code")                     # vae_lib changed
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 2
    monkeypatch.setenv("VAE_LIB_DATA", str(tmp_path / "elsewhere"))                          # other data
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 3
    info = zoo.info
    monkeypatch.setattr(zoo, "info", lambda n, **kw: {**info(n, **kw), "sha256": "0" * 64})   # a rebuilt file
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 4
    assert lecture.measured("knn", "cvae-2d") == 0.5 and len(calls) == 4                     # measured once


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
    # the in-page beta explorer (InPageBetaExplorer): one anywidget model holding every picture, and its layout
    assert any(m["model_name"] == "AnyModel" and m.get("buffers") for m in models.values()), \
        "the committed notebook lacks its widget state (execute it with nbconvert)"
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                           str(nb)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "08_beta_vae.html").read_text()
    assert 'type="application/vnd.jupyter.widget-state+json"' in html
    assert html.count("application/vnd.jupyter.widget-view+json") >= 1
    assert all(model_id in html for model_id in list(models)[:20])
