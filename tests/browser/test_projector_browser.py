"""Projector mode: the lecture app (Voilà, ``make present``) on a 1920 x 1080 screen, measured from the page.

For every tab, in headless Chromium at 1920 x 1080:

* the main picture (the tallest image shown) is at least 420 px tall;
* every text shown (slider labels, readouts, captions, numbers, the text of buttons, dropdowns and number
  boxes) has a computed font size of at least 20 px;
* the text drawn inside the figures (PNGs, so not measurable as CSS) is at least 16 px on screen:
  ``points * dpi / 72`` for every text the explorer's figure drew (recorded while matplotlib drew it,
  ``Explorer.plot_texts``; the same explorers built here as in the app) times the displayed / natural size
  of its image, measured in the page;
* the explorer's bottom edge is above 1080 px and its right edge inside 1920 px (nothing below the fold).

A screenshot per tab goes to ``tests/browser/screenshots/projector_tab_<i>.png`` (git-ignored).
Skipped, with the reason, when Playwright or Chromium is missing.
"""

from __future__ import annotations

import pytest

from .test_explorers_browser import CHROMIUM_FLAGS, SHOTS, _chromium

WIDTH, HEIGHT = 1920, 1080
MIN_PICTURE_PX, MIN_TEXT_PX, MIN_PLOT_TEXT_PX = 420, 20, 16

# Everything measured in one tab: its explorer's box, its pictures, the font size of every text shown.
MEASURE_JS = """
([root, plotClasses]) => {
  const tab = document.querySelector(root);
  const ex = tab.querySelector('.vae-explorer');
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const box = ex.getBoundingClientRect();
  const imgs = [...tab.querySelectorAll('img')].filter(shown);
  let tallest = null;
  for (const im of imgs) {
    const r = im.getBoundingClientRect();
    if (!tallest || r.height > tallest.height) tallest = {cls: im.className, height: r.height, width: r.width};
  }
  const texts = [];  // [kind, text, px]
  const walker = document.createTreeWalker(tab, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('style, script, option') || !shown(el)) continue;
    const kind = el.closest('.widget-readout') ? 'readout' : el.closest('.widget-label') ? 'label'
      : el.closest('td, th') ? 'number' : el.closest('button') ? 'button' : 'caption';
    texts.push([kind, n.textContent.trim().slice(0, 40), parseFloat(getComputedStyle(el).fontSize)]);
  }
  for (const el of tab.querySelectorAll('input, select')) {
    if (shown(el)) texts.push([el.tagName === 'SELECT' ? 'dropdown' : 'number box', el.value,
                               parseFloat(getComputedStyle(el).fontSize)]);
  }
  const plots = {};
  for (const cls of plotClasses) {
    const im = [...tab.querySelectorAll('img.' + cls)].find(shown);
    plots[cls] = im ? {displayed: im.getBoundingClientRect().height, natural: im.naturalHeight} : null;
  }
  return {bottom: box.bottom, right: box.right, top: box.top, tallest, texts, plots};
}
"""


@pytest.fixture(scope="module")
def large_app():
    from vae_lib.lecture import build_app

    return build_app(size="large")


def test_every_tab_fills_a_projector_screen(voila_app, large_app):
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    rows, failures = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(voila_app, wait_until="domcontentloaded", timeout=180_000)
            page.wait_for_selector(".vae-lecture-tab-0 img", timeout=180_000)
            tabs = page.locator(".lm-TabBar-tab, .p-TabBar-tab")
            titles = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]
            assert titles == list(large_app.explorers), titles
            tab_font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.lm-TabBar-tab')).fontSize)")
            for i, title in enumerate(titles):
                tabs.nth(i).click()
                root = f".vae-lecture-tab-{i}"
                page.wait_for_function(
                    "s => [...document.querySelectorAll(s + ' img')].some(im => im.naturalWidth > 0 && im.offsetParent)",
                    arg=root, timeout=30_000)
                page.wait_for_timeout(400)
                explorer = large_app.explorers[title]
                plot_texts = explorer.plot_texts()
                m = page.evaluate(MEASURE_JS, [root, list(plot_texts)])
                page.screenshot(path=str(SHOTS / f"projector_tab_{i}.png"))
                by_kind: dict[str, tuple[float, str]] = {}
                for kind, text, px in m["texts"]:
                    if kind not in by_kind or px < by_kind[kind][0]:
                        by_kind[kind] = (px, text)
                plot_px = {}
                for cls, texts in plot_texts.items():
                    shown = m["plots"][cls]
                    assert shown is not None, f"{title}: no visible image of class {cls}"
                    ratio = shown["displayed"] / shown["natural"]
                    smallest, px = texts[0]
                    plot_px[cls] = (px * ratio, smallest, ratio)
                rows.append((title, m, by_kind, plot_px))
                if m["tallest"]["height"] < MIN_PICTURE_PX:
                    failures.append(f"{title}: tallest picture {m['tallest']['height']:.0f} px < {MIN_PICTURE_PX}")
                for kind, (px, text) in by_kind.items():
                    if px < MIN_TEXT_PX:
                        failures.append(f"{title}: {kind} {text!r} at {px:g} px < {MIN_TEXT_PX}")
                for cls, (px, text, _) in plot_px.items():
                    if px < MIN_PLOT_TEXT_PX:
                        failures.append(f"{title}: plot text {text!r} in {cls} at {px:.1f} px < {MIN_PLOT_TEXT_PX}")
                if m["bottom"] > HEIGHT or m["right"] > WIDTH:
                    failures.append(f"{title}: the explorer ends at x = {m['right']:.0f}, y = {m['bottom']:.0f} px, "
                                    f"outside {WIDTH} x {HEIGHT}")
        finally:
            browser.close()

    print(f"\nprojector mode at {WIDTH} x {HEIGHT} (Voilà app, size='large'); tab titles {tab_font:g} px")
    for title, m, by_kind, plot_px in rows:
        kinds = ", ".join(f"{k} {px:g}" for k, (px, _) in sorted(by_kind.items()))
        plots = ", ".join(f"{cls} {px:.1f} px ({text!r}, shown at {ratio:.2f}x)" for cls, (px, text, ratio)
                          in plot_px.items()) or "no figure"
        print(f"  {title}: tallest picture {m['tallest']['height']:.0f} x {m['tallest']['width']:.0f} px; "
              f"explorer from y = {m['top']:.0f} to {m['bottom']:.0f} px, right edge {m['right']:.0f} px; "
              f"smallest text (px): {kinds}; smallest plot text: {plots}")
    print(f"screenshots: {SHOTS}/projector_tab_*.png")
    assert tab_font >= MIN_TEXT_PX, f"tab titles at {tab_font} px"
    assert not failures, "\n".join(failures)
