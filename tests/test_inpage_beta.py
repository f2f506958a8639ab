"""The in-page beta explorer: the page (beta.js, run in node) shows each beta's own pictures and numbers.

For the zoo's 2-D beta grid (the notebook's) and a small grid without manifest metrics (numbers evaluated here): the
page's numbers for every beta (rate, distortion, -ELBO) equal the reference :class:`BetaExplorer`'s ``rd``, its
slider maps every beta to its own option, and the bytes it cuts out of the buffer for each panel are the reference's
PNGs of that beta (same length and checksum).
"""

from __future__ import annotations

import zlib

import pytest
import torch
from _node_js import run_js

from vae_lib import zoo
from vae_lib.models import VAE, Autoencoder
from vae_lib.widgets.beta import BetaExplorer
from vae_lib.widgets.inpage_beta import PANELS, InPageBetaExplorer, beta_explorer

TOL_NATS = 1e-9  # the page prints Python's numbers: only JSON's round trip between them

JS = """
const buf = args.pictures;
return args.options.map((o, i) => ({
  numbers: betaNumbers(o),
  nearest: nearestOption(args.options, o.beta),
  panels: Object.fromEntries(args.panels.map((k) => {
    const [off, len] = o[k], b = buf.slice(off, off + len);
    return [k, { len, bytes: Array.from(b) }];
  })),
}));
"""


def _data(n: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
@pytest.mark.parametrize("grid", ["zoo", "small"])
def test_the_page_shows_each_betas_pictures_and_numbers(grid):
    if grid == "zoo":
        models, kw = zoo.beta_grid(2), {"n_points": 200}
        assert len(models) >= 2, "the zoo's 2-D beta grid is not built"
    else:
        models, kw = {0.5: VAE(2, hidden=(16,)), 2.0: VAE(2, hidden=(12,), activation="elu")}, {"n_eval": 40}
    ex = InPageBetaExplorer(models, dataset=_data(), **kw)
    ref = BetaExplorer(models, dataset=_data(), **kw)
    spec = ex.view.spec
    js = run_js(ex.view._esm, JS, {"options": spec["options"], "pictures": ex.view.pictures, "panels": list(PANELS)})
    assert [o["beta"] for o in spec["options"]] == ref.betas
    for i, b in enumerate(ref.betas):
        r, d = ref.rd[b]
        got = js[i]
        assert got["nearest"] == i
        n = got["numbers"]
        assert abs(n["rate"] - r) <= TOL_NATS and abs(n["distortion"] - d) <= TOL_NATS
        assert abs(n["neg_elbo"] - (r + d)) <= 1e-9 and ex.numbers(b)["neg_elbo"] == pytest.approx(r + d)
        for k in PANELS:
            png = ref._panels(b)[k]
            page = bytes(got["panels"][k]["bytes"])
            assert page[:4] == b"\x89PNG" and zlib.crc32(page) == zlib.crc32(png), (b, k)
    ex.set_beta(ref.betas[-1])
    assert ex.images["samples"] == ref._panels(ref.betas[-1])["samples"]
    with pytest.raises(ValueError, match="grid's betas"):
        ex.set_beta(123.0)
    assert set(ex.view.labels) >= {"beta", "rate", "distortion", "reconstructions", "samples"}


def test_the_factory_and_bad_grids():
    models = {0.5: VAE(2, hidden=(16,)), 2.0: VAE(2, hidden=(12,))}
    assert type(beta_explorer(models, dataset=_data(), n_eval=20)) is InPageBetaExplorer
    assert type(beta_explorer(models, dataset=_data(), n_eval=20, in_page=False)) is BetaExplorer
    with pytest.raises(TypeError, match="unconditional VAEs"):
        InPageBetaExplorer({1.0: Autoencoder(2, hidden=(16,))}, dataset=_data())
    with pytest.raises(ValueError, match="same latent size"):
        InPageBetaExplorer({1.0: VAE(2, hidden=(16,)), 2.0: VAE(3, hidden=(16,))}, dataset=_data())
