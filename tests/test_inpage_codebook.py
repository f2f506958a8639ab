"""The in-page codebook explorer: its JavaScript (conv.js + codebook.js, run in node) decodes code grids as the
VQ-VAE does, and the precomputed prior table holds what the reference computes for every edit it can show.

* decoded pixels of the image's own grid, of edited grids and of grids filled with one code: the page's float64
  convolutions of the float32 weights against ``model.decode_codes`` (float32), within 1e-5;
* the pixels an edit moved (> 0.1): the same count, except pixels within 1e-5 of the threshold;
* -log p(edited grid): the table entry against ``-model.prior.log_prob`` of that grid, one grid at a time as the
  reference computes it (1e-3 nats: a batched float32 forward against a single one).

For the zoo's ``vqvae-64`` (the notebook's) and a small random VQ-VAE with other channel counts.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _node_js import run_js

from vae_lib import zoo
from vae_lib.vq import VQVAE
from vae_lib.widgets.codebook import CodebookExplorer
from vae_lib.widgets.inpage import UnsupportedModel
from vae_lib.widgets.inpage_codebook import InPageCodebookExplorer, codebook_explorer, export_conv

TOL_PIXEL = 1e-5
TOL_NATS = 1e-3

JS = """
const W = float32(args.weights), s = args.spec;
const book = W.subarray(0, s.codebook_size * s.code_dim), net = convNetwork(s.decoder, W);
const recon = decodeCodes(net, book, s.code_dim, args.base);
return args.grids.map((g) => {
  const p = decodeCodes(net, book, s.code_dim, g);
  return { p: Array.from(p), changed: editDiff(p, recon, s.threshold).changed };
});
"""


def _data(n: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return (torch.rand(n, 1, 28, 28, generator=g) > 0.7).float(), torch.arange(n) % 10


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
@pytest.mark.parametrize("make", [lambda: zoo.load("vqvae-64"),
                                  lambda: VQVAE(codebook_size=12, code_dim=5, hidden=(6, 10), prior_channels=8,
                                                prior_layers=1)], ids=["vqvae-64", "small"])
def test_the_page_decodes_code_grids_and_the_table_holds_the_priors_numbers(make):
    torch.manual_seed(0)
    model = make().eval()
    ex = InPageCodebookExplorer(model, dataset=_data(), index=5, n_images=2, code=3, row=2, col=4)
    assert ex.offered == [0, 1, 5]
    spec, M = ex.view.spec, model.codebook_size
    base = ex.codes[5]
    g = torch.Generator().manual_seed(0)
    grids = [base.clone()]
    for _ in range(6):  # single-position edits, and grids of one code
        e = base.clone()
        e[torch.randint(0, 7, (1,), generator=g), torch.randint(0, 7, (1,), generator=g)] = int(torch.randint(0, M, (1,), generator=g))
        grids.append(e)
    grids += [torch.full_like(base, c) for c in (0, M - 1)]
    js = run_js(ex.view._esm, JS, {"spec": spec, "weights": ex.view.weights, "base": base.flatten().tolist(),
                                   "grids": [q.flatten().tolist() for q in grids]})
    with torch.no_grad():
        py = model.decode_codes(torch.stack(grids)).reshape(len(grids), -1).double().numpy()
        recon = py[0]
    worst = max(float(np.abs(np.array(j["p"]) - p).max()) for j, p in zip(js, py))
    assert worst <= TOL_PIXEL, worst
    for j, p in zip(js, py):
        d = np.abs(p - recon)
        sure = np.abs(d - 0.1) > TOL_PIXEL
        page = np.abs(np.array(j["p"]) - np.array(js[0]["p"])) > 0.1
        assert (page[sure] == (d > 0.1)[sure]).all()
    table = np.frombuffer(ex.view.priors, dtype="<f4").reshape(len(ex.offered), 49, M)
    assert np.array_equal(table[2], ex.tables[5].numpy())
    with torch.no_grad():
        for q in grids[:7]:
            diff = (q != base).flatten().nonzero()
            pos = int(diff[0]) if len(diff) else 0
            want = float(-model.prior.log_prob(q[None])[0])
            assert abs(table[2, pos, int(q.flatten()[pos])] - want) <= TOL_NATS


def test_python_side_is_the_reference_explorers_numbers():
    torch.manual_seed(0)
    model = VQVAE(codebook_size=10, code_dim=4, hidden=(6, 8), prior_channels=8, prior_layers=1).eval()
    ex = InPageCodebookExplorer(model, dataset=_data(), index=3, n_images=4, code=7, row=1, col=6)
    ref = CodebookExplorer(model, dataset=_data(), index=3, code=7, row=1, col=6)
    n = ex.numbers()
    assert torch.equal(n["edited"], ref.edited) and n["changed"] == ref.changed
    assert n["prior_nll"] == pytest.approx(ref.prior_nll) and n["edited_prior_nll"] == pytest.approx(ref.edited_prior_nll)
    assert torch.allclose(n["alone"], ref.alone) and torch.allclose(n["edited_image"], ref.edited_image)
    table = ex.tables[3]
    assert table[1 * 7 + 6, 7].item() == pytest.approx(ref.edited_prior_nll, abs=TOL_NATS)
    ex.set(index=0, code=2, row=0, col=0)
    assert (ex.index, ex.code, ex.row, ex.col) == (0, 2, 0, 0)
    with pytest.raises(ValueError, match="offers"):
        ex.set(index=11)
    with pytest.raises(ValueError):
        ex.set(code=10)
    assert type(codebook_explorer(model, dataset=_data(), in_page=False)) is CodebookExplorer


def test_layers_that_do_not_run_in_the_page_are_refused():
    with pytest.raises(UnsupportedModel, match="BatchNorm"):
        export_conv(torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3)), (2, 7, 7))
    with pytest.raises(UnsupportedModel, match="groups"):
        export_conv(torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, groups=2)), (2, 7, 7))
    with pytest.raises(UnsupportedModel, match="square"):
        export_conv(torch.nn.Sequential(torch.nn.Conv2d(2, 4, (3, 1))), (2, 7, 7))
