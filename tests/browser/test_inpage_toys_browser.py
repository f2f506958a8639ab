"""The in-page twins of notebooks 00, 03, 04, 10 and 13 in headless Chromium, from file:// with no kernel.

Each twin's standalone page (:func:`vae_lib.widgets.inpage.standalone_html`: its module and saved state, no Jupyter)
is opened; its oracle (``toy_oracles.ORACLES``, the same functions the site test runs) moves the controls and
checks the printed numbers against the Python explorer; and a move must change the explorer's pixels.
"""

from __future__ import annotations

import pytest
import torch

from .test_inpage_browser import browser, open_page  # noqa: F401  (browser: a fixture)
from .toy_oracles import ORACLES, press

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _kl():
    from vae_lib.widgets.kl_inpage import InPageKLExplorer

    return InPageKLExplorer(mode="mixture", mu_q=1.0, sigma_q=0.5, mu_p=0.0, sigma_p=0.6, separation=2.0), "mu_q"


def _elbo_gap():
    from vae_lib.widgets.elbo_gap_inpage import InPageELBOGapExplorer

    return InPageELBOGapExplorer(x=3.0), "mu"


def _diffusion():
    from vae_lib import zoo
    from vae_lib.diffusion import two_moons
    from vae_lib.widgets.diffusion_inpage import InPageDiffusionExplorer

    return InPageDiffusionExplorer(zoo.load("diffusion-moons"), two_moons(2000, seed=10_000)[:1000], t=10), "t"


def _gauss_s():
    from vae_lib.widgets.gauss_s import InPageSExplorer

    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 28, 28, generator=g)
    hats = {f"decoder {i}": (x + 0.03 * (i + 1) * torch.randn(x.shape, generator=g)).clamp(0, 1) for i in range(3)}
    return InPageSExplorer(x, hats, torch.randn(x.shape, generator=g), decoder="decoder 1"), "s"


def _digits():
    from vae_lib.data import load_mnist
    from vae_lib.widgets.digits import DigitBrowser

    return DigitBrowser(*load_mnist("test"), n=50), "index"


MAKERS = {"kl": _kl, "elbo-gap": _elbo_gap, "diffusion": _diffusion, "gauss-s": _gauss_s, "digits": _digits}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_the_page_computes_what_python_computes_and_a_move_repaints(browser, tmp_path, kind):  # noqa: F811
    explorer, control = MAKERS[kind]()
    page = open_page(browser, tmp_path, explorer.view, kind)
    root = page.locator(f"[data-vae-explorer='{kind}']")
    assert root.count() == 1, f"no element with data-vae-explorer={kind}"
    page.wait_for_timeout(200)  # a picture that loads (the diffusion axes' PNG) is drawn
    before = root.screenshot()
    press(page, root, control, "ArrowRight", 5)
    assert root.screenshot() != before, f"{kind}: moving {control} changed no pixel"
    print(f"\n{kind}: {ORACLES[kind](page, root)}")
    assert not page.errors, page.errors
    page.close()
