"""RISE in JupyterLab: a notebook presents as a deck built from its slide metadata.

Opens ``03_kl_divergence.ipynb`` in JupyterLab (headless Chromium), runs RISE's preview command,
and checks that the deck has one top-level slide per ``slide`` cell and that the right arrow
moves to the first section. Skipped, with the reason, when Playwright or Chromium is missing.
"""

from __future__ import annotations

import json
import time

import pytest

from .test_explorers_browser import CHROMIUM_FLAGS, REPO, SHOTS, _chromium, running_lab

NOTEBOOK = REPO / "notebooks" / "03_kl_divergence.ipynb"


def test_rise_presents_a_notebook_as_a_deck(tmp_path):
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    nb = json.loads(NOTEBOOK.read_text())
    kinds = [c["metadata"].get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    n_slides = kinds.count("slide")
    first_section = next(c for c in nb["cells"] if c["source"] and "".join(c["source"]).startswith("## "))
    first_title = "".join(first_section["source"]).splitlines()[0].lstrip("# ").strip()
    SHOTS.mkdir(exist_ok=True)
    with running_lab(tmp_path, {"deck.ipynb": nb}) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{lab['base']}/lab/tree/deck.ipynb?token={lab['token']}", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('RISE:preview')",
                                   timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('RISE:preview')")
            page.wait_for_function("() => [...document.querySelectorAll('iframe')].some(f => f.src.includes('/rise/'))",
                                   timeout=60_000)
            deadline = time.monotonic() + 60   # the iframe element comes first, its frame a moment later
            while not (decks := [f for f in page.frames if "/rise/" in f.url]):
                assert time.monotonic() < deadline, "RISE's deck frame never loaded"
                page.wait_for_timeout(100)
            deck = decks[0]
            deck.wait_for_selector(".reveal .slides > section", timeout=60_000)
            assert deck.locator(".reveal .slides > section").count() == n_slides
            page.locator("iframe").last.click(position={"x": 20, "y": 20})
            page.keyboard.press("ArrowRight")
            deck.wait_for_function("t => document.querySelector('.reveal .slides > section.present')"
                                   ".innerText.includes(t)", arg=first_title, timeout=15_000)
            page.screenshot(path=str(SHOTS / "rise_03_first_section.png"))
        finally:
            browser.close()
    print(f"\nRISE: {NOTEBOOK.name} presents as {n_slides} slides; the arrow key reaches {first_title!r}")
