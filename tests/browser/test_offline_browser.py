"""A lecture that survives a dead classroom network: `make slides` and `make html` pages from file://, offline.

Builds, with the Makefile's own recipes (``make slides`` / ``make html`` with ``NOTEBOOKS`` and an output
folder in a temporary directory), a deck and an HTML copy of ``notebooks/03_kl_divergence.ipynb`` and of a
small executed notebook with formulas and an in-page explorer (its widget state saved by nbconvert), copies
the output folders elsewhere (as onto a USB stick), and opens them in headless Chromium with the network
off (``--host-resolver-rules=MAP * ~NOTFOUND`` and Playwright's offline mode). Checks:

* no request leaves the folder: every URL the pages ask for is file://, blob: or data:;
* the deck is a reveal.js slideshow: one slide visible, the right arrow moves to the next;
* formulas are typeset (MathJax elements, no raw ``$...$`` left in the markdown);
* the HTML copy's in-page explorer is drawn and its slider still moves the image.

Needs the npm packages of ``lecture/vendor`` (``make vendor``: npm ci, which .ci/run runs before the tests). When
they are not installed the test is skipped and says so (under CI=true a skipped browser test fails).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vae_tools.browser import CHROMIUM_FLAGS, REPO, find_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
VENDOR = REPO / "lecture" / "vendor"
DECK_NOTEBOOK = REPO / "notebooks" / "03_kl_divergence.ipynb"
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND"]
LOCAL = ("file://", "blob:", "data:")

SMALL_NOTEBOOK_CELLS = [
    ("markdown", "# An offline page\n\nInline $\\mathrm{KL}(q\\,\\|\\,p) \\ge 0$, and displayed:\n\n"
                 "$$\\log p(x) = \\mathcal L(x) + \\mathrm{KL}\\big(q(z\\mid x)\\,\\|\\,p(z\\mid x)\\big)$$"),
    ("code", "from vae_lib.widgets.inpage import InPageLatentExplorer\nInPageLatentExplorer('vae-2d').widget"),
    ("markdown", "## The next slide\n\n$\\sigma_j^2 = e^{\\log\\sigma_j^2}$"),
]


def make(*args: str) -> None:
    """The Makefile's recipe with this interpreter's environment (its .installed stamp is not remade)."""
    venv = Path(sys.prefix)
    cmd = ["make", "--no-print-directory", "-o", str(venv / ".installed"), f"VENV={venv}", *args]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def vendor():
    """The npm packages of lecture/vendor, installed beforehand by `make vendor` (.ci/run does it). A test never
    goes to the network itself: without them it is skipped (and fails under CI=true) and says what to run."""
    stamp = "lecture/vendor/node_modules/.installed"  # the Makefile's: newer than package.json and the lock
    fresh = shutil.which("make") and subprocess.run(["make", "-q", stamp], cwd=REPO).returncode == 0
    if not fresh:
        pytest.skip("the offline pages need the npm packages of lecture/vendor, pinned by its package-lock.json: "
                    "run `make vendor` once (Node.js 20 and npm; .ci/run does this)")
    return VENDOR / "node_modules"


@pytest.fixture(scope="module")
def built(vendor, tmp_path_factory):
    """The deck and the HTML copies, built by the Makefile and moved elsewhere (a USB stick)."""
    import nbformat

    tmp = tmp_path_factory.mktemp("offline")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, src in SMALL_NOTEBOOK_CELLS:
        cell = (nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell)(src)
        cell.metadata["slideshow"] = {"slide_type": "slide"}
        nb.cells.append(cell)
    small = tmp / "inpage_offline.ipynb"
    nbformat.write(nb, small)
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                           str(small)], capture_output=True, text=True, timeout=600, cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "widget-state" in small.read_text()  # nbconvert saved the widgets' state
    make("html", f"NOTEBOOKS={small} {DECK_NOTEBOOK}", f"HTML_DIR={tmp / 'build' / 'html'}")
    make("slides", f"NOTEBOOKS={small} {DECK_NOTEBOOK}", f"SLIDES_DIR={tmp / 'build' / 'slides'}")
    stick = tmp / "usb-stick"
    shutil.copytree(tmp / "build", stick)
    shutil.rmtree(tmp / "build")  # nothing may point back at the build folder
    return stick


@pytest.fixture(scope="module")
def offline_browser():
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium (apt-get install chromium; .ci/run does this as root)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS + OFFLINE_FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
        yield context
        browser.close()


def open_offline(context, path: Path):
    """Open ``path`` from file://; the page records every URL it asks for and its errors."""
    assert path.is_file(), path
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    return page


def check_math(page) -> int:
    """Formulas typeset: MathJax elements, and no $...$ left in the rendered markdown. Returns the count."""
    n = page.locator("mjx-container").count()
    texts = page.eval_on_selector_all(".jp-RenderedMarkdown", "els => els.map(e => e.innerText)")
    raw = [m for t in texts for m in re.findall(r"\$[^$\n]+\$|\\\(|\\\[", t)]
    assert n > 0 and not raw, f"{n} typeset formulas; raw TeX left: {raw[:5]}"
    return n


# the top-level slides drawn on the screen: visible, and mostly inside the viewport (reveal.js moves its
# neighbours off screen; a page without reveal.js shows them all, one under the other)
ON_SCREEN = """() => [...document.querySelectorAll('.reveal .slides > section')].filter(s => {
  if (!s.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
  const r = s.getBoundingClientRect();
  const w = Math.min(r.right, innerWidth) - Math.max(r.left, 0), h = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
  return w > 0 && h > 0 && w * h > 0.5 * Math.min(r.width * r.height, innerWidth * innerHeight);
}).length"""


def check_local(page) -> None:
    far = [u for u in page.requests if not u.startswith(LOCAL)]
    assert not far, f"the page asked the network for {far}"
    assert not page.errors, page.errors


def test_a_deck_is_a_slideshow_with_typeset_formulas_offline(built, offline_browser):
    summary = []
    for name in (DECK_NOTEBOOK.stem, "inpage_offline"):
        page = open_offline(offline_browser, built / "slides" / f"{name}.slides.html")
        page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)  # reveal.js initialised
        visible = ON_SCREEN
        present = ("() => [...document.querySelectorAll('.reveal .slides > section')]"
                   ".findIndex(s => s.classList.contains('present'))")
        n_slides = page.locator(".reveal .slides > section").count()
        assert n_slides >= 3 and page.evaluate(visible) == 1, "not a slideshow: more than one slide is shown"
        first = page.evaluate(present)
        n_math = check_math(page)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({present})() === {first + 1}", timeout=10_000)
        assert page.evaluate(visible) == 1
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"() => ({present})() === {first}", timeout=10_000)
        check_local(page)
        summary.append(f"{name}: {n_slides} slides, {n_math} formulas, {len(page.requests)} requests, all local")
        page.close()
    print("\n" + "\n".join(summary))


def test_an_html_copy_typesets_and_its_in_page_slider_moves_the_image_offline(built, offline_browser):
    page = open_offline(offline_browser, built / "html" / f"{DECK_NOTEBOOK.stem}.html")
    n_deck = check_math(page)
    check_local(page)
    page.close()
    page = open_offline(offline_browser, built / "html" / "inpage_offline.html")
    check_math(page)
    page.wait_for_selector(".vae-inpage canvas.vae-decoded", timeout=30_000)  # anywidget + html-manager, local
    pixels = ("() => document.querySelector('canvas.vae-decoded').toDataURL()")
    before, z0 = page.evaluate(pixels), page.evaluate("() => document.querySelector('.vae-inpage').vae.z()")
    page.focus("input.vae-z1")
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    z1 = page.evaluate("() => document.querySelector('.vae-inpage').vae.z()")
    assert z1[0] > z0[0] and page.evaluate(pixels) != before, "the slider did not move the image"
    check_local(page)
    print(f"\nHTML copies: {n_deck} formulas typeset in {DECK_NOTEBOOK.name}; the in-page slider moved z "
          f"{z0} -> {[round(v, 2) for v in z1]} with no kernel and no network")
