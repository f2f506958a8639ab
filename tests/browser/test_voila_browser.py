"""The lecture app in a real browser: Voilà (``make present``) in headless Chromium.

Opens the code-free app, checks that every tab shows its explorer (an image is drawn in each),
then presses a slider of the latent explorer and checks that the rendered image pixels change.
Skipped, with the reason, when Playwright or Chromium is missing (as the explorer browser test).
"""

from __future__ import annotations

import pytest

from .test_explorers_browser import CHROMIUM_FLAGS, SHOTS, WAIT_NEW_PIXELS_JS, _chromium

N_TABS = 7


def test_slider_in_the_voila_app_changes_the_image(voila_app):
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(voila_app, wait_until="domcontentloaded", timeout=120_000)
            img = ".vae-lecture-tab-0 img.vae-lecture-image"
            page.wait_for_selector(img, timeout=120_000)
            page.wait_for_function("s => document.querySelector(s).naturalWidth > 0", arg=img, timeout=30_000)
            assert "build_app" not in page.inner_text("body")  # no code on screen, only the app
            page.screenshot(path=str(SHOTS / "voila_01_app.png"), full_page=True)

            before = page.locator(img).screenshot()
            handle = page.locator(".vae-lecture-tab-0 .noUi-handle").first
            handle.focus()
            changed = []
            for _ in range(6):
                old = page.eval_on_selector(img, "el => el.src")
                page.evaluate("() => { window.__t_input = performance.now(); }")
                handle.press("ArrowRight")
                changed.append(page.evaluate(WAIT_NEW_PIXELS_JS, [img, old, 5000]) >= 0)
            assert all(changed), f"a key press did not change the image: {changed}"
            after = page.locator(img).screenshot(path=str(SHOTS / "voila_02_after_slider.png"))
            assert after != before, "the rendered image pixels did not change"

            tabs = page.locator(".lm-TabBar-tab, .p-TabBar-tab")
            assert tabs.count() == N_TABS, f"expected {N_TABS} tabs, found {tabs.count()}"
            for i in range(N_TABS):
                tabs.nth(i).click()
                page.wait_for_function(
                    "s => [...document.querySelectorAll(s)].some(im => im.naturalWidth > 0 && im.offsetParent)",
                    arg=f".vae-lecture-tab-{i} img", timeout=30_000)
                page.screenshot(path=str(SHOTS / f"voila_tab_{i}.png"))
        finally:
            browser.close()
    print(f"\nVoilà app: each of {len(changed)} key presses changed the image; all {N_TABS} tabs drew their explorer "
          "(how fast: benchmarks/browser_latency.py)")
