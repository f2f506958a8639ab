"""The explorers in a real browser: JupyterLab + headless Chromium (Debian's), driven by Playwright.

What it does: starts JupyterLab on 127.0.0.1 (a free port, a random token, temporary config,
runtime, settings and workspace folders, no browser), writes a small notebook that shows a
``LatentExplorer`` and a ``BetaExplorer``, opens it in headless Chromium, runs it, then drags
and key-presses the sliders and checks that the rendered image *pixels* changed (element
screenshots, not widget state). It measures slider-to-pixels latency: from the browser's
``keydown`` event to the moment the new PNG is decoded and a frame has been painted, and
prints the median. Screenshots go to ``tests/browser/screenshots/`` (git-ignored).

The server loads ``vae_tools.jupyter_nodelay`` (as ``make`` sets up for ``make lab``), which
turns Nagle's algorithm off on kernel websockets; a slider that only echoes its value into a
label is measured the same way, as the floor that JupyterLab itself sets.

Skipped, with the reason, when Playwright or Chromium is missing (``.ci/run`` installs
Debian's ``chromium`` when it can). Playwright never downloads a browser here: it is given
``executable_path``. The JupyterLab server is always stopped (fixture finalizer).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _servers import stop_process_group

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHOTS = HERE / "screenshots"
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
LATENCY_TARGET_MS = 50.0
N_PRESSES = 25
N_WARMUP = 5


def _chromium() -> str:
    for c in [os.environ.get("CHROMIUM_PATH", ""), *CHROMIUM_CANDIDATES]:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    found = shutil.which("chromium")
    if found:
        return found
    pytest.skip("no Chromium found (looked for $CHROMIUM_PATH, /usr/bin/chromium, chromium on PATH): "
                "install it with `apt-get install chromium` (.ci/run does this as root)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    # 3: the beta explorer
    """\
beta.beta_slider.add_class("t-beta-slider")
for k, im in beta.images.items():
    im.add_class(f"t-beta-{k}")
beta
""",
    # 4: the floor: a slider whose handler only echoes its value into a label (no model, no image)
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


@contextmanager
def running_lab(root: Path, notebooks: dict[str, dict], env_extra: dict[str, str] | None = None) -> Iterator[dict]:
    """Start JupyterLab serving ``notebooks`` from ``root/work``; yields ``{"base", "token", "log"}``.

    127.0.0.1 only, a free port, a random token, config / runtime / settings / workspace folders
    under ``root``; the server's whole process group (kernels included) is stopped on exit.
    """
    work = root / "work"
    work.mkdir()
    for name, nb in notebooks.items():
        (work / name).write_text(json.dumps(nb))
    settings = root / "settings"
    for ext, plugin, value in [("@jupyterlab/notebook-extension", "tracker", {"windowingMode": "none"}),
                               ("@jupyterlab/apputils-extension", "notification",
                                {"fetchNews": "false", "checkForUpdates": False})]:
        d = settings / ext
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{plugin}.jupyterlab-settings").write_text(json.dumps(value))
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("IPYTHONDIR", "ipython"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        (root / sub).mkdir(exist_ok=True)
        env[var] = str(root / sub)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    # what `make` installs into .venv/etc/jupyter: the vae_tools.jupyter_nodelay server extension
    conf_d = root / "config" / "jupyter_server_config.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "jupyter-config" / "jupyter_server_config.d" / "vae_tools.json", conf_d)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env.update(env_extra or {})
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
           "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
           "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
        cmd.append("--allow-root")
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {proc.returncode}: {(root / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer in 60 s: {(root / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield {"base": base, "token": token, "log": root / "lab.log"}
    finally:
        stop_process_group(proc)  # the whole process group: the server and the kernels it started
        log.close()


# JS: resolve with the time (ms) from the last keydown / pointerdown to the moment the <img>
# has a new src, that image is decoded, and the next frame has been painted.
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
  const t = window.__t_input;
  return [performance.now() - t, (window.__t_send || NaN) - t, (window.__t_recv || NaN) - t];
}
"""

INPUT_CLOCK_JS = """
() => {
  if (window.__clock) return;
  window.__clock = true;
  for (const ev of ['keydown', 'pointerdown', 'pointermove']) {
    document.addEventListener(ev, e => { window.__t_input = performance.now(); window.__t_send = null;
                                         window.__t_recv = null; }, true);
  }
}
"""

# installed before the page loads: time stamps of the kernel websocket traffic, for a breakdown
# input -> message sent (front end) -> reply received (server + kernel) -> painted (browser)
WS_CLOCK_JS = """
(() => {
  const Orig = window.WebSocket;
  const send = Orig.prototype.send;
  Orig.prototype.send = function (data) {
    if (window.__t_input && !window.__t_send) window.__t_send = performance.now();
    return send.call(this, data);
  };
  window.WebSocket = function (...args) {
    const ws = new Orig(...args);
    ws.addEventListener('message', ev => {
      const n = ev.data.byteLength || ev.data.size || ev.data.length || 0;
      if (window.__t_send && n > 600) window.__t_recv = performance.now();  // the update with the picture / text
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def _src(page, sel: str) -> str:
    return page.eval_on_selector(sel, "el => el.tagName === 'IMG' ? el.src : el.textContent")


def _press_and_time(page, handle, sel: str, keys: list[str], record: bool = True) -> list[float]:
    """Press each key on a slider handle; the ms from keydown to the new content on screen (-1: no change)."""
    out = []
    for key in keys:
        old = _src(page, sel)
        handle.press(key)
        r = page.evaluate(WAIT_NEW_PIXELS_JS, [sel, old, 5000])
        out.append(r[0] if isinstance(r, list) else r)
        if isinstance(r, list) and record:
            BREAKDOWN.setdefault(sel, []).append(r)
    return out


BREAKDOWN: dict[str, list[list[float]]] = {}


def _breakdown(sel: str) -> str:
    rows = [r for r in BREAKDOWN.get(sel, []) if all(x == x for x in r)]  # drop NaN
    if not rows:
        return "no breakdown"
    total, send, recv = (statistics.median(c) for c in zip(*rows))
    return (f"median input->sent {send:.1f} ms, sent->reply {recv - send:.1f} ms (server + kernel), "
            f"reply->painted {total - recv:.1f} ms")


def test_explorers_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    url = f"{lab['base']}/lab/tree/explorers.ipynb?token={lab['token']}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(WS_CLOCK_JS)
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
                                   timeout=60_000)
            # wait for the kernel, then run every cell
            page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                                   " const k = w && w.sessionContext && w.sessionContext.session"
                                   " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                                   timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector("img.t-lat-image", timeout=90_000)
            page.wait_for_selector("img.t-beta-samples", timeout=90_000)
            page.evaluate(INPUT_CLOCK_JS)
            models = page.locator(".jp-OutputArea-output pre").first.inner_text()
            print("\n" + models.strip())
            page.screenshot(path=str(SHOTS / "01_notebook.png"), full_page=True)

            # --- latent explorer: key presses on z1's handle ---------------------------------------
            lat_img = "img.t-lat-image"
            before = page.locator(lat_img).screenshot(path=str(SHOTS / "02_latent_before.png"))
            handle = page.locator(".t-lat-z1 .noUi-handle")
            handle.focus()
            _press_and_time(page, handle, lat_img, ["ArrowRight"] * N_WARMUP, record=False)  # first calls are slow
            lat_ms = _press_and_time(page, handle, lat_img,
                                     ["ArrowRight" if i % 10 < 8 else "ArrowLeft" for i in range(N_PRESSES)])
            assert min(lat_ms) >= 0, f"the latent image did not change after some key presses: {lat_ms}"
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

            # --- beta explorer: key presses on the beta slider -------------------------------------------
            beta_img = "img.t-beta-samples"
            b_before = page.locator(beta_img).screenshot(path=str(SHOTS / "06_beta_before.png"))
            bh = page.locator(".t-beta-slider .noUi-handle")
            bh.scroll_into_view_if_needed()
            bh.focus()
            beta_ms = [ms for ms in _press_and_time(page, bh, beta_img, ["ArrowLeft"] * 4 + ["ArrowRight"] * 8)
                       if ms >= 0]  # at the end of the range a press changes nothing
            page.wait_for_timeout(200)
            bh.press("Home")
            page.wait_for_timeout(500)
            b_after = page.locator(beta_img).screenshot(path=str(SHOTS / "07_beta_after.png"))
            assert b_after != b_before, "the rendered beta-explorer samples did not change"
            assert beta_ms, "no beta slider press changed the samples"
            page.screenshot(path=str(SHOTS / "08_notebook_after.png"), full_page=True)

            # --- the floor: the same round trip for a slider that only echoes its value ---------------
            eh = page.locator(".t-echo-slider .noUi-handle")
            eh.scroll_into_view_if_needed()
            eh.focus()
            _press_and_time(page, eh, ".t-echo-label", ["ArrowRight"] * N_WARMUP, record=False)
            echo_ms = _press_and_time(page, eh, ".t-echo-label", ["ArrowRight"] * 15)
            assert min(echo_ms) >= 0, "the echo label did not follow its slider"

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

    med, p95 = statistics.median(lat_ms), sorted(lat_ms)[int(0.95 * (len(lat_ms) - 1))]
    bmed, emed = statistics.median(beta_ms), statistics.median(echo_ms)
    print(f"in-browser slider-to-pixels latency, LatentExplorer: median {med:.1f} ms, p95 {p95:.1f} ms "
          f"({len(lat_ms)} key presses; target median <= {LATENCY_TARGET_MS:g} ms)")
    print(f"  {_breakdown('img.t-lat-image')}")
    print(f"in-browser slider-to-pixels latency, BetaExplorer: median {bmed:.1f} ms ({len(beta_ms)} key presses)")
    print(f"  {_breakdown('img.t-beta-samples')}")
    print(f"floor (a slider that only echoes its value into a label, same round trip): median {emed:.1f} ms")
    print(f"  {_breakdown('.t-echo-label')}")
    print(f"screenshots: {SHOTS}")
    assert med <= 4 * LATENCY_TARGET_MS, f"median latency {med:.0f} ms is far beyond the {LATENCY_TARGET_MS:g} ms target"
