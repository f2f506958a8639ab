"""Key press to pixels painted for the in-page explorers, in headless Chromium (target: <= 16 ms, one frame).

The decoder runs in the page (``vae_lib.widgets.inpage``): a key press on a z slider fires ``input``, the
page decodes z and paints the canvas before the event returns, and the next frame shows it. Measured per
press, from the ``keydown`` event's time stamp to the end of the first frame after the repaint
(``requestAnimationFrame`` then a task: the frame has been produced), and its part inside the event
(decode + paint, synchronous). Median and p95 over ``--presses`` presses after ``--warmup``, direction
turning every 10 presses. Also, for the draw-a-digit explorer: a mouse move on the pad to the frame that
shows the new preprocessing, q(z|x) ellipse, reconstruction and terms (preprocess + encoder + decoder).

Pages:

* ``standalone``: :func:`vae_lib.widgets.inpage.standalone_html` from file:// (the widget alone);
* ``floor``: a bare ``<input type="range">`` whose ``input`` handler does nothing: what Chromium itself
  takes from a key press to the next frame (the standalone run measures it first);
* ``lab``: JupyterLab (``vae_tools.browser.running_lab``) showing ``InPageLatentExplorer("vae-2d")``: the
  same module under anywidget, and the page also sends z to the kernel (throttled, after painting).

The machine's load (``os.getloadavg``) is printed with the figures: timings on a busy CPU are noisy.

    python benchmarks/inpage_latency.py [--presses 60] [--warmup 5] [--only standalone|lab] [--model vae-2d]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from vae_lib.widgets.draw import DrawDigitExplorer
from vae_lib.widgets.inpage import InPageLatentExplorer, standalone_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # vae_tools: the checkout's tooling, not installed
from vae_tools.browser import CHROMIUM_FLAGS, find_chromium, run_all_cells, running_lab  # noqa: E402

TARGET_MS = 16.0

# installed once the widget is drawn: per key press [keydown -> repainted (in the event), keydown -> frame]
KEY_CLOCK_JS = """
() => {
  const s = document.querySelector('input.vae-z1');
  window.__lat = [];
  document.addEventListener('keydown', (e) => { window.__t0 = e.timeStamp; }, true);
  s.addEventListener('input', () => {   // after the widget's own listener: it has decoded and painted
    const t0 = window.__t0, t1 = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__lat.push([t1 - t0, performance.now() - t0]), 0));
  });
}
"""

# per mouse move on the pad: [pointermove -> frame that shows the update] (the widget updates in a rAF)
DRAW_CLOCK_JS = """
() => {
  const pad = document.querySelector('canvas.vae-pad');
  window.__lat = [];
  pad.addEventListener('pointermove', (e) => {
    if (!e.buttons) return;
    const t0 = e.timeStamp;
    requestAnimationFrame(() => {     // after the widget's rAF (registered first in this event): it has updated
      const t1 = performance.now();
      setTimeout(() => window.__lat.push([t1 - t0, performance.now() - t0]), 0);
    });
  });
}
"""


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def press(page, n: int) -> list[list[float]]:
    page.focus("input.vae-z1")
    page.evaluate("() => { window.__lat = []; }")
    for i in range(n):
        page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
        page.wait_for_function("k => window.__lat.length > k", arg=i, timeout=10_000)
    return page.evaluate("() => window.__lat")


def draw_moves(page, n: int) -> list[list[float]]:
    box = page.locator("canvas.vae-pad").bounding_box()
    x0, y0 = box["x"] + 60, box["y"] + 60
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.evaluate("() => { window.__lat = []; }")
    for i in range(n):
        t = i / n
        page.mouse.move(x0 + 150 * t, y0 + 160 * t * t)
        page.wait_for_function("k => window.__lat.length > k", arg=i, timeout=10_000)
    page.mouse.up()
    return page.evaluate("() => window.__lat")


def row(where: str, what: str, lat: list[list[float]]) -> str:
    (hm, hp), (fm, fp) = stats([a for a, _ in lat]), stats([b for _, b in lat])
    flag = "meets" if fm <= TARGET_MS and fp <= TARGET_MS else ("median meets" if fm <= TARGET_MS else "misses")
    return (f"| {where} | {what} | {len(lat)} | {fm:.1f} | {fp:.1f} | {hm:.2f} | {hp:.2f} | {flag} |")


FLOOR_PAGE = """<!DOCTYPE html><html><body><input type="range" class="vae-z1" min="0" max="300" step="1" value="150">
<script>document.querySelector('input').addEventListener('input', () => {});</script></body></html>"""


def measure_standalone(browser, args, tmp: Path) -> list[str]:
    rows = []
    (tmp / "floor.html").write_text(FLOOR_PAGE)
    page = browser.new_page()
    page.goto((tmp / "floor.html").as_uri())
    page.evaluate(KEY_CLOCK_JS)
    press(page, args.warmup)
    rows.append(row("floor: a bare range input, no work", "key press", press(page, args.presses)))
    page.close()
    lat = InPageLatentExplorer(args.model)
    drw = DrawDigitExplorer()
    for name, view in (("latent", lat.view), ("draw", drw.view)):
        (tmp / f"{name}.html").write_text(standalone_html(view, name))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((tmp / "latent.html").as_uri())
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.evaluate(KEY_CLOCK_JS)
    press(page, args.warmup)
    rows.append(row("standalone page (file://)", f"InPageLatentExplorer({args.model}): key press", press(page, args.presses)))
    page.goto((tmp / "draw.html").as_uri())
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.evaluate(DRAW_CLOCK_JS)
    draw_moves(page, args.warmup)
    page.click("button.vae-clear")
    rows.append(row("standalone page (file://)", "DrawDigitExplorer(vae-2d): mouse move", draw_moves(page, args.presses)))
    page.close()
    return rows


def measure_lab(browser, args, tmp: Path) -> list[str]:
    src = (f"from vae_lib.widgets.inpage import InPageLatentExplorer\nlat = InPageLatentExplorer({args.model!r})\nlat")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}, "outputs": [],
                     "source": src}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    with running_lab(tmp / "lab", {"inpage.ipynb": nb}) as lab:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{lab['base']}/lab/tree/inpage.ipynb?token={lab['token']}", timeout=120_000)
        run_all_cells(page, 120_000)
        page.wait_for_selector(".vae-inpage canvas.vae-decoded", timeout=120_000)
        page.evaluate(KEY_CLOCK_JS)
        press(page, args.warmup)
        out = [row("JupyterLab (anywidget, z sent to the kernel)", f"InPageLatentExplorer({args.model}): key press",
                   press(page, args.presses))]
        page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--only", choices=["standalone", "lab"])
    ap.add_argument("--model", default="vae-2d")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    if exe is None:
        raise SystemExit("no Chromium: apt-get install chromium (or set $CHROMIUM_PATH)")
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as d, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        version = browser.version
        if args.only in (None, "standalone"):
            rows += measure_standalone(browser, args, Path(d))
        if args.only in (None, "lab"):
            rows += measure_lab(browser, args, Path(d))
        browser.close()
    load_after = os.getloadavg()
    print(f"\nIn-page explorers, input to pixels painted (target <= {TARGET_MS:g} ms median and p95)")
    print(f"Chromium {version} headless, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min)\n")
    print("| page | input | n | to the frame: median ms | p95 ms | to repainted (before the frame): median ms | p95 ms | target |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
