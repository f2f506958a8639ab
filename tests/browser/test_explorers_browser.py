"""The explorers in a real browser: JupyterLab + headless Chromium (Debian's), driven by Playwright.

What it does: starts JupyterLab on 127.0.0.1 (``vae_tools.browser.running_lab``: a free port, a random
token, temporary config, runtime, settings and workspace folders, no browser, the
``vae_lib.jupyter_nodelay`` server extension as ``make`` installs it), writes a small notebook that
shows a ``LatentExplorer`` and a ``BetaExplorer``, opens it in headless Chromium, runs it, then drags
and key-presses the sliders and checks that the rendered image *pixels* changed (element
screenshots, not widget state). Screenshots go to ``tests/browser/screenshots/`` (git-ignored).

How fast the pixels change is a benchmark, not a test: ``benchmarks/browser_latency.py`` measures
key press to pixels painted for every explorer, in JupyterLab and in the Voilà app.

Skipped, with the reason, when Playwright or Chromium is missing (``.ci/run`` installs
Debian's ``chromium`` when it can). Playwright never downloads a browser here: it is given
``executable_path``. The JupyterLab server is always stopped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vae_tools.browser import CHROMIUM_FLAGS, REPO, find_chromium, run_all_cells, running_lab  # noqa: F401 - used by other tests

HERE = Path(__file__).resolve().parent
SHOTS = HERE / "screenshots"


def _chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no Chromium found (looked for $CHROMIUM_PATH, /usr/bin/chromium, chromium on PATH): "
                    "install it with `apt-get install chromium` (.ci/run does this as root)")
    return found


NOTEBOOK_CELLS = [
    # 1: models: the zoo's when built, else untrained stand-ins of the same architecture
    """\
import torch
from vae_lib import widgets
from vae_lib.models import VAE

def zoo_or(name, fallback):
    try:
        from vae_lib import zoo
        return zoo.load(name), name
    except Exception:
        torch.manual_seed(0)
        return fallback().eval(), f"untrained stand-in for {name}"

vae, vae_src = zoo_or("vae-2d", lambda: VAE(2, hidden=(512, 256)))
try:
    beta = widgets.BetaExplorer()
    beta_src = f"zoo grid {beta.betas}"
except Exception as exc:
    torch.manual_seed(0)
    grid = {b: VAE(2, hidden=(256, 128)).eval() for b in (0.1, 1.0, 4.0)}
    beta = widgets.BetaExplorer(grid, metrics={0.1: (20.0, 150.0), 1.0: (7.0, 160.0), 4.0: (2.0, 190.0)})
    beta_src = f"untrained stand-ins ({type(exc).__name__})"
print("MODELS:", vae_src, "|", beta_src)
""",
    # 2: the latent explorer, with CSS classes the test can find
    """\
lat = widgets.LatentExplorer(vae)
lat.image.add_class("t-lat-image")
lat.sliders[0].add_class("t-lat-z1")
lat.sliders[1].add_class("t-lat-z2")
if lat.scatter is not None:
    lat.scatter.add_class("t-lat-scatter")
    lat.marker.add_class("t-lat-marker")
lat
""",
    # 3: the beta explorer (its panel images carry the classes vae-beta-scatter, vae-beta-samples ...)
    """\
beta.beta_slider.add_class("t-beta-slider")
beta.widget.add_class("t-beta")
beta
""",
    # 4: a slider whose handler only echoes its value into a label (no model, no image)
    """\
import ipywidgets as W
echo_slider, echo_label = W.IntSlider(0, 0, 1000, description="echo"), W.Label("0")
echo_slider.add_class("t-echo-slider")
echo_label.add_class("t-echo-label")
echo_slider.observe(lambda ch: setattr(echo_label, "value", str(ch["new"])), names="value")
W.HBox([echo_slider, echo_label])
""",
    # 5: a clickable scatter (ipympl canvas): a click moves z
    """\
clk = widgets.LatentExplorer(vae, clickable=True)
clk.image.add_class("t-clk-image")
clk.scatter.add_class("t-clk-scatter")
clk
""",
]


def _notebook() -> dict:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": src} for i, src in enumerate(NOTEBOOK_CELLS)]
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a token and throw-away config; killed at the end."""
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    _chromium()
    with running_lab(tmp_path_factory.mktemp("lab"), {"explorers.ipynb": _notebook()}) as info:
        yield info


# JS: resolve with the ms from the last keydown / pointerdown (window.__t_input) to the moment the
# element (an <img>: its src; else its text) has changed, the image is decoded and a frame has been
# painted; -1 when nothing changed within timeoutMs. The tests only check that it changed.
WAIT_NEW_PIXELS_JS = """
async ([sel, old, timeoutMs]) => {
  const el = document.querySelector(sel);
  const isImg = el.tagName === 'IMG';
  const now = () => isImg ? el.src : el.textContent;
  if (now() === old) {
    const changed = await new Promise(resolve => {
      const obs = new MutationObserver(() => { if (now() !== old) { obs.disconnect(); resolve(true); } });
      obs.observe(el, {attributes: true, childList: true, characterData: true, subtree: true});
      setTimeout(() => { obs.disconnect(); resolve(now() !== old); }, timeoutMs);
    });
    if (!changed) return -1;
  }
  if (isImg) await el.decode();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));  // the frame that shows it
  return performance.now() - (window.__t_input || 0);
}
"""

INPUT_CLOCK_JS = """
() => {
  if (window.__clock) return;
  window.__clock = true;
  for (const ev of ['keydown', 'pointerdown', 'pointermove']) {
    document.addEventListener(ev, e => { window.__t_input = performance.now(); }, true);
  }
}
"""

# The BetaExplorer shows one beta's panels at a time (all are in the page, hidden by a CSS class):
# the src of the visible samples image, and a wait until it differs from `old`.
VISIBLE_SAMPLES_JS = "s => { const im = [...document.querySelectorAll(s)].find(i => i.offsetParent); return im && im.src; }"


def _src(page, sel: str) -> str:
    return page.eval_on_selector(sel, "el => el.tagName === 'IMG' ? el.src : el.textContent")


def _press(page, handle, sel: str, keys: list[str]) -> list[float]:
    """Press each key on a slider handle; per press, whether (>= 0) or not (-1) the element changed on screen."""
    out = []
    for key in keys:
        old = _src(page, sel)
        handle.press(key)
        out.append(page.evaluate(WAIT_NEW_PIXELS_JS, [sel, old, 5000]))
    return out


def test_explorers_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    url = f"{lab['base']}/lab/tree/explorers.ipynb?token={lab['token']}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
                                   timeout=60_000)
            run_all_cells(page, 60_000)
            page.wait_for_selector("img.t-lat-image", timeout=90_000)
            page.wait_for_selector(".t-beta img.vae-beta-samples >> visible=true", timeout=90_000)
            page.evaluate(INPUT_CLOCK_JS)
            models = page.locator(".jp-OutputArea-output pre").first.inner_text()
            print("\n" + models.strip())
            page.screenshot(path=str(SHOTS / "01_notebook.png"), full_page=True)

            # --- latent explorer: key presses on z1's handle ---------------------------------------
            lat_img = "img.t-lat-image"
            before = page.locator(lat_img).screenshot(path=str(SHOTS / "02_latent_before.png"))
            handle = page.locator(".t-lat-z1 .noUi-handle")
            handle.focus()
            lat = _press(page, handle, lat_img, ["ArrowRight" if i % 10 < 8 else "ArrowLeft" for i in range(25)])
            assert min(lat) >= 0, f"the latent image did not change after some key presses: {lat}"
            after = page.locator(lat_img).screenshot(path=str(SHOTS / "03_latent_after_keys.png"))
            assert after != before, "the rendered latent image pixels did not change"

            # --- latent explorer: drag z2's handle with the mouse -------------------------------------
            h2 = page.locator(".t-lat-z2 .noUi-handle")
            box = h2.bounding_box()
            old = _src(page, lat_img)
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            for dx in range(10, 130, 10):
                page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2)
                page.wait_for_timeout(15)
            page.mouse.up()
            page.wait_for_function("([s, o]) => document.querySelector(s).src !== o", arg=[lat_img, old], timeout=5000)
            page.wait_for_timeout(300)
            dragged = page.locator(lat_img).screenshot(path=str(SHOTS / "04_latent_after_drag.png"))
            assert dragged != after, "dragging z2 did not change the rendered image"
            if page.locator("img.t-lat-scatter").count():  # the ring over the static scatter moved
                page.locator("img.t-lat-scatter").locator("..").screenshot(path=str(SHOTS / "05_latent_scatter.png"))
                assert page.eval_on_selector("img.t-lat-marker", "el => getComputedStyle(el).marginLeft") != "0px"

            # --- beta explorer: key presses on the beta slider show another model's panels ----------------
            visible = ".t-beta img.vae-beta-samples"
            shown = page.locator(f"{visible} >> visible=true")
            assert shown.count() == 1, "exactly one beta's samples are shown"
            b_before = shown.screenshot(path=str(SHOTS / "06_beta_before.png"))
            bh = page.locator(".t-beta-slider .noUi-handle")
            bh.scroll_into_view_if_needed()
            bh.focus()
            changed = 0
            for key in ["ArrowLeft"] * 4 + ["ArrowRight"] * 8:
                old = page.evaluate(VISIBLE_SAMPLES_JS, visible)
                bh.press(key)
                try:  # at the end of the range a press changes nothing
                    page.wait_for_function(f"([s, o]) => ({VISIBLE_SAMPLES_JS})(s) !== o", arg=[visible, old],
                                           timeout=3000)
                    changed += 1
                except Exception:  # noqa: BLE001 - playwright's TimeoutError
                    pass
            bh.press("Home")
            page.wait_for_timeout(500)
            b_after = page.locator(f"{visible} >> visible=true").screenshot(path=str(SHOTS / "07_beta_after.png"))
            assert b_after != b_before, "the rendered beta-explorer samples did not change"
            assert changed, "no beta slider press changed the samples shown"
            assert page.locator(f"{visible} >> visible=true").count() == 1
            page.screenshot(path=str(SHOTS / "08_notebook_after.png"), full_page=True)

            # --- a slider that only echoes its value into a label follows its key presses ---------------
            eh = page.locator(".t-echo-slider .noUi-handle")
            eh.scroll_into_view_if_needed()
            eh.focus()
            echo = _press(page, eh, ".t-echo-label", ["ArrowRight"] * 5)
            assert min(echo) >= 0, "the echo label did not follow its slider"

            # --- clickable scatter: a click on the ipympl canvas moves z -------------------------------
            canvas = page.locator(".t-clk-scatter canvas").last
            canvas.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            old = _src(page, "img.t-clk-image")
            cb = canvas.bounding_box()
            page.mouse.click(cb["x"] + cb["width"] * 0.75, cb["y"] + cb["height"] * 0.3)
            page.wait_for_function("([s, o]) => document.querySelector(s).src !== o", arg=["img.t-clk-image", old],
                                   timeout=10_000)
            page.wait_for_timeout(500)
            page.locator(".t-clk-scatter").screenshot(path=str(SHOTS / "09_clicked_scatter.png"))
        finally:
            browser.close()
    print(f"latent: {len(lat)} key presses, each changed the image; beta: {changed} presses showed another "
          f"model's panels; screenshots: {SHOTS}")
