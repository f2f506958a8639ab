"""The website (``make site``) read as a student reads it: from file://, in Chromium, with the network off.

The site is built by the Makefile (tests/_site.py, once per session, then moved elsewhere), opened from file://
in headless Chromium whose every request other than file:, data: and blob: is aborted and recorded (a canary
request proves the block works). Every chapter of both editions is visited once (:func:`visits`); the tests
then check, each for all pages:

* nothing was asked of the network, and no page raised a script error;
* every widget output has its model in the notebook's saved widget state (else the page shows nothing there);
* formulas are typeset (every Sphinx math element holds MathJax output) and every figure loaded (at least as
  many decoded images as the notebook has image outputs and markdown figures, none broken);
* every live explorer (a root with ``data-vae-explorer``): each control -- the drawing pad, every slider
  (input type=range), every select, every button -- changes the explorer's pixels (canvas, img, svg);
* its numbers agree with Python: the oracle of its kind (tests/browser/site_oracles.py) is called on it;
* every explorer is live: one that shows only its saved state (a Python explorer's root, class vae-explorer,
  with no in-page twin inside) is listed as "chapter: explorer shows saved state only";
* search works per edition from file:// and the language switch opens the same chapter in the other edition.
"""

from __future__ import annotations

import json
import re

import pytest
from _site import EDITIONS, REPO, built_site, chapters

from vae_tools.browser import CHROMIUM_FLAGS, LOCAL_URLS, find_chromium, offline_context

from .site_oracles import LEGACY_CLASSES, ORACLES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOCAL = LOCAL_URLS
CANARY = "https://canary.invalid/site-test"

# the explorer roots of a page: [kind, root] pairs; a root saved before roots carried data-vae-explorer is
# recognised by its class (site_oracles.LEGACY_CLASSES)
ROOTS_JS = """legacy => {
  const sel = ['[data-vae-explorer]', ...Object.keys(legacy).map(c => '.' + c)].join(',');
  return [...document.querySelectorAll(sel)].filter(e => !e.parentElement.closest(sel))
    .map(e => e.dataset.vaeExplorer || legacy[[...e.classList].find(c => c in legacy)]);
}"""
# the explorers that show their saved state only: outermost .vae-explorer without a live root in or around it
STATIC_JS = """sel => [...document.querySelectorAll('.vae-explorer')]
  .filter(e => !e.parentElement.closest('.vae-explorer') && !e.querySelector(sel) && !e.closest(sel))
  .map(e => { const cell = e.closest('.cell'); const src = cell && cell.querySelector('.cell_input');
              const m = src && src.innerText.match(/\\b[A-Z]\\w*Explorer\\b|\\b\\w+_explorer\\b/);
              return m ? m[0] : [...e.classList].filter(c => c.startsWith('vae-') && c !== 'vae-explorer').join(' '); })"""
# what the explorer shows, as a number (a hash of every canvas's pixels, every image's source, every svg)
PIXELS_JS = """el => {
  const parts = [...el.querySelectorAll('canvas')].map(c => c.toDataURL())
    .concat([...el.querySelectorAll('img')].map(i => i.src), [...el.querySelectorAll('svg')].map(s => s.outerHTML));
  let h = 2166136261;
  for (const s of parts) for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return [h >>> 0, parts.length];
}"""
MOVE_RANGE_JS = """el => {
  const lo = +el.min || 0, hi = el.max === '' ? 100 : +el.max, v = +el.value;
  el.value = String(v < (lo + hi) / 2 ? lo + 0.85 * (hi - lo) : lo + 0.15 * (hi - lo));
  el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));
  return el.value;
}"""
MOVE_SELECT_JS = """el => {
  el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
  el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));
  return el.value;
}"""
IMAGES_JS = """async root => {
  const imgs = [...document.querySelectorAll(root + ' img')];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return [imgs.filter(i => i.complete && i.naturalWidth > 0).length,
          imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))];
}"""
# the widget views whose model is not in the page's saved widget state (the renderer skips them), marked
ORPHANS_JS = """() => {
  const s = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const state = s ? JSON.parse(s.textContent).state : {};
  return [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
    .filter(v => !(JSON.parse(v.textContent).model_id in state))
    .map(v => { v.dataset.orphan = '1'; return JSON.parse(v.textContent).model_id; });
}"""
WIDGETS_RENDERED_JS = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
  .every(s => s.dataset.orphan || (s.previousElementSibling && s.previousElementSibling.childElementCount > 0))
  && [...document.querySelectorAll('.vae-explorer')].every(e => e.childElementCount > 0)"""


def expected_figures(notebook) -> tuple[int, bool]:
    """(image outputs + markdown figures, whether the markdown has math) of a notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    n, math = 0, False
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            n += len(re.findall(r"!\[[^\]]*\]\(", src))
            math = math or "$" in src
        for out in cell.get("outputs", []):
            n += any(k.startswith("image/") for k in out.get("data", {}))
    return n, math


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return built_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def offline(site):
    """A Chromium context whose requests outside file:, data: and blob: are aborted and listed (context.far)."""
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium (apt-get install chromium; .ci/run does this as root)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        far: list[str] = []
        context = offline_context(browser, far, viewport={"width": 1280, "height": 900})
        page = context.new_page()  # the canary: the block must see and stop a request to the web
        page.goto((site / "index.html").as_uri())
        page.evaluate(f"() => fetch('{CANARY}').catch(() => null)")
        assert CANARY in far, "the network block did not see a request to the web: the test would prove nothing"
        far.clear()
        page.close()
        context.far = far
        yield context
        browser.close()


def move_controls(page, root, label: str) -> list[str]:
    """Move every control of the explorer at ``root``; the problems (a control that did not change the pixels)."""
    problems = []

    def changed(action, what: str) -> None:
        before = root.evaluate(PIXELS_JS)
        action()
        try:
            page.wait_for_function(f"([el, h]) => ({PIXELS_JS})(el)[0] !== h", arg=[root, before[0]], timeout=3000)
        except Exception:  # playwright's TimeoutError
            problems.append(f"{label}: {what} did not change the pixels ({before[1]} canvases/images/svgs)")

    for pad in root.query_selector_all("canvas.vae-pad"):  # the drawing pad: one stroke across its middle
        def stroke(pad=pad):
            pad.scroll_into_view_if_needed()
            box = pad.bounding_box()
            page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
            page.mouse.down()
            for t in range(1, 11):
                page.mouse.move(box["x"] + (0.3 + 0.04 * t) * box["width"], box["y"] + (0.3 + 0.04 * t) * box["height"])
            page.mouse.up()
        changed(stroke, "a stroke on the pad")
    for i, el in enumerate(root.query_selector_all("input[type=range]")):
        changed(lambda el=el: el.evaluate(MOVE_RANGE_JS), f"slider {i + 1} ({el.get_attribute('class') or ''})")
    for i, el in enumerate(root.query_selector_all("select")):
        if el.evaluate("el => el.options.length") > 1:
            changed(lambda el=el: el.evaluate(MOVE_SELECT_JS), f"select {i + 1}")
    for el in root.query_selector_all("button"):
        if el.is_enabled() and el.is_visible():
            changed(lambda el=el: el.click(), f"button '{el.inner_text().strip()}'")
    return problems


@pytest.fixture(scope="module")
def visits(site, offline):
    """Every chapter of both editions opened once: what each check needs, per page."""
    out = {}
    for edition, ed in EDITIONS.items():
        for name in chapters(edition):
            label = f"{edition}/{name}"
            page = offline.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto((site / edition / f"{name}.html").as_uri(), wait_until="load", timeout=60_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
            orphans = page.evaluate(ORPHANS_JS)
            page.wait_for_function(WIDGETS_RENDERED_JS, timeout=30_000)
            v = {"errors": errors, "orphans": orphans, "figures": expected_figures(REPO / ed["notebooks"] / f"{name}.ipynb")}
            v["math"] = page.evaluate("() => [document.querySelectorAll('mjx-container').length, "
                                      "[...document.querySelectorAll('.math')].filter(e => !e.querySelector("
                                      "'mjx-container')).map(e => e.textContent.slice(0, 60))]")
            v["images"] = page.evaluate(IMAGES_JS, "main")
            kinds = page.evaluate(ROOTS_JS, LEGACY_CLASSES)
            v["static"] = page.evaluate(STATIC_JS, "[data-vae-explorer], " + ", ".join("." + c for c in LEGACY_CLASSES))
            v["live"], v["controls"], v["oracles"] = [], [], []
            handles = page.query_selector_all(", ".join(["[data-vae-explorer]", *("." + c for c in LEGACY_CLASSES)]))
            roots = [h for h in handles if h.evaluate("(e, sel) => !e.parentElement.closest(sel)",
                                                      ", ".join(["[data-vae-explorer]", *("." + c for c in LEGACY_CLASSES)]))]
            for kind, root in zip(kinds, roots):
                v["live"].append(kind)
                try:
                    v["controls"] += move_controls(page, root, f"{label}: {kind}")
                except Exception as exc:  # a control that cannot be moved: said, and the other pages still visited
                    v["controls"].append(f"{label}: {kind}: moving the controls failed: {type(exc).__name__}: {exc}")
                oracle = ORACLES.get(kind)
                try:
                    v["oracles"].append((kind, True, oracle(page, root) if oracle else None))
                except Exception as exc:  # a disagreement (AssertionError) or an oracle that could not run
                    v["oracles"].append((kind, False, f"{type(exc).__name__}: {str(exc)[:500]}"))
            v["errors"] = list(errors)
            out[label] = v
            page.close()
    return out


def test_no_page_asks_the_network_for_anything_or_raises_an_error(visits, offline):
    assert not offline.far, f"requests to the network: {offline.far[:10]}"
    errors = {label: v["errors"][:3] for label, v in visits.items() if v["errors"]}
    assert not errors, f"script errors: {errors}"
    assert len(visits) == sum(len(chapters(e)) for e in EDITIONS)


def test_every_widget_output_has_its_saved_state(visits):
    orphans = [f"{label}: {len(v['orphans'])} widget outputs" for label, v in visits.items() if v["orphans"]]
    assert not orphans, ("widget outputs whose model is missing from the notebook's saved widget state (they show "
                         "nothing; re-execute the notebook):\n" + "\n".join(orphans))


def test_every_chapter_has_its_formulas_typeset_and_its_figures_loaded(visits):
    problems = []
    for label, v in visits.items():
        (n_math, raw), (n_img, broken), (n_fig, has_math) = v["math"], v["images"], v["figures"]
        if raw or (has_math and n_math == 0):
            problems.append(f"{label}: {n_math} typeset formulas, untypeset: {raw[:3]}")
        if broken or n_img < n_fig:
            problems.append(f"{label}: {n_img} images loaded for {n_fig} figures; broken: {broken[:3]}")
    assert not problems, "\n".join(problems)
    print("\n" + "\n".join(f"{label}: {v['math'][0]} formulas, {v['images'][0]} images" for label, v in visits.items()))


def test_every_control_of_every_live_explorer_changes_its_pixels(visits):
    live = {label: v["live"] for label, v in visits.items() if v["live"]}
    assert live, "no live explorer on any page (notebook 02's draw-a-digit explorer should be one)"
    problems = [p for v in visits.values() for p in v["controls"]]
    assert not problems, "\n".join(problems)
    print("\nlive explorers: " + "; ".join(f"{label}: {', '.join(k)}" for label, k in live.items()))


def test_every_live_explorer_computes_what_python_computes(visits):
    problems, summary = [], []
    for label, v in visits.items():
        for kind, ok, text in v["oracles"]:
            if text is None:
                problems.append(f"{label}: {kind}: no oracle in tests/browser/site_oracles.py ORACLES")
            elif not ok:
                problems.append(f"{label}: {kind}: {text}")
            else:
                summary.append(f"{label}: {kind}: {text}")
    print("\n" + "\n".join(summary))
    assert not problems, "\n".join(problems)


def test_every_explorer_runs_in_the_page(visits):
    static = [f"{label}: {name} shows saved state only" for label, v in visits.items() for name in v["static"]]
    assert not static, f"{len(static)} explorers are not in-page twins yet:\n" + "\n".join(static)


def test_search_works_from_file_and_the_switch_opens_the_same_chapter_in_the_other_edition(site, offline):
    page = offline.new_page()
    for edition in EDITIONS:
        page.goto((site / edition / f"{chapters(edition)[1]}.html").as_uri())
        title = page.title()
        word = max(re.findall(r"[^\W\d_]{3,}", title), key=len)  # the longest word of chapter 01's title
        page.goto((site / edition / "search.html").as_uri() + f"?q={word}")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        hits = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
        assert any(chapters(edition)[1] in h for h in hits), f"{edition}: searching {word!r} found {hits[:5]}"
    for edition, ed in EDITIONS.items():
        name = chapters(edition)[-1]
        page.goto((site / edition / f"{name}.html").as_uri())
        page.click("a.vae-lang-switch")
        page.wait_for_load_state("load")
        assert page.url == (site / ed["other"] / f"{name}.html").as_uri()
        assert page.evaluate("() => document.documentElement.lang") == ed["other"]
    page.close()
    assert not offline.far, offline.far
