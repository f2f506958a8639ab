"""The model explorers' in-page twins in headless Chromium (one browser for all three): from a standalone page
(:func:`vae_lib.widgets.inpage.standalone_html`, file://, no kernel), with the zoo's models of notebooks 07, 08 and 12.

For each twin: every control moves the pictures (canvas or image pixels change), the page raises no error, and the
kind's oracle (tests/browser/oracles_models.py, also used on the built site) finds the numbers the page prints equal
to the Python reference explorer's for the control values it sets.
"""

from __future__ import annotations

import pytest

from vae_lib.widgets.inpage_beta import InPageBetaExplorer
from vae_lib.widgets.inpage_codebook import InPageCodebookExplorer
from vae_lib.widgets.inpage_interpolation import InPageInterpolationExplorer

from .oracles_models import ORACLES, set_range
from .test_inpage_browser import browser, open_page  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.mnist]

PIXELS = """(r) => [...r.querySelectorAll('canvas, img')].map((e) => {
  if (e.tagName === 'IMG') return e.src;
  return Array.from(e.getContext('2d').getImageData(0, 0, e.width, e.height).data.filter((_, i) => i % 4 === 0)).join();
}).join('|')"""

MAKERS = {
    "interpolation": lambda: InPageInterpolationExplorer({"AE (ae-2d)": "ae-2d", "VAE (vae-2d)": "vae-2d"},
                                                         index_a=3, index_b=2, share=False),
    "beta": lambda: InPageBetaExplorer(n_points=500),
    "codebook": lambda: InPageCodebookExplorer("vqvae-64", index=0, code=5, n_images=3),
}
CONTROLS = {  # per kind: (css, how to move it)
    "interpolation": [("input.vae-alpha", 0.1), ("select.vae-class-a", "7"), ("select.vae-example-b", None)],
    "beta": [("input.vae-beta-slider", 0), ("input.vae-beta-slider", 6)],
    "codebook": [("input.vae-code", 40), ("input.vae-row", 0), ("input.vae-col", 6), ("select.vae-image", "2")],
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_every_control_repaints_and_the_numbers_are_pythons(browser, tmp_path, kind):  # noqa: F811
    ex = MAKERS[kind]()
    page = open_page(browser, tmp_path, ex.view, kind)
    root = page.locator(f"[data-vae-explorer='{kind}']")
    assert root.count() == 1
    for css, value in CONTROLS[kind]:
        before = root.evaluate(PIXELS)
        el = root.locator(css).first
        if css.startswith("select"):
            options = el.evaluate("(e) => [...e.options].map((o) => o.value)")
            el.select_option(value if value is not None else options[-1])
        else:
            set_range(root, css, value)
        page.wait_for_timeout(50)  # image elements load their new blob
        assert root.evaluate(PIXELS) != before, f"{kind}: moving {css} changed no pixels"
    ORACLES[kind](page, root)
    assert not page.errors, page.errors
    page.close()
