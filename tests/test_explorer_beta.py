"""BetaExplorer: the beta slider swaps cached panels; rate and distortion from the argument, the zoo entry or a measurement; the zoo's grid.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import math

import pytest
import torch
from _explorers import _ae, _count_decodes, _sent, _vae, first_images

from vae_lib import zoo
from vae_lib.widgets import (
    BetaExplorer,
    render_png,
)


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    """The first N synthetic test images (binarized once, seed 0) and their labels."""
    return first_images(mnist_test_binary)


# --------------------------------------------------------------------------- BetaExplorer
def test_beta_slider_swaps_panels(data, monkeypatch):
    grid = {b: _vae(2, seed=i) for i, b in enumerate([0.0, 1.0, 4.0])}
    ex = BetaExplorer(grid, dataset=data, n_points=300, n_eval=200)
    assert [v for _, v in ex.beta_slider.options] == [0.0, 1.0, 4.0] and ex.betas == [0.0, 1.0, 4.0]
    assert ex.beta_slider.value == 1.0 and ex.model is grid[1.0]
    assert set(ex.images) == {"scatter", "reconstructions", "samples", "rate_distortion"}
    before = {k: im.value for k, im in ex.images.items()}
    margin = ex.rd_marker.layout.margin
    ex.beta_slider.value = 4.0
    assert ex.model is grid[4.0]
    for k in ("scatter", "reconstructions", "samples"):
        assert ex.images[k].value != before[k], k
    assert ex.images["rate_distortion"].value == before["rate_distortion"]  # the curve is drawn once ...
    assert ex.rd_marker.layout.margin != margin  # ... and the ring on it moves to this model's point
    # the samples are decode_mean(z) of the fixed prior draws, rendered
    assert ex.z_samples.shape == (8, 2)
    with torch.inference_mode():
        want = render_png(grid[4.0].decode_mean(ex.z_samples), scale=ex.scale, nrow=4)
    assert ex.images["samples"].value == want
    # the reconstructions: the first test digit of each class (top) and decode_mean(posterior_mean) (bottom)
    idx = [int((data[1] == c).nonzero()[0]) for c in range(8)]
    digits = data[0][idx]
    with torch.inference_mode():
        rec = grid[4.0].decode_mean(grid[4.0].posterior_mean(digits))
    assert ex.images["reconstructions"].value == render_png(torch.cat([digits, rec]), scale=ex.scale, nrow=8)
    # rate and distortion were measured (nats, finite, KL >= 0)
    for rate, dist in ex.rd.values():
        assert rate >= 0 and math.isfinite(dist)
    assert f"β = 4: rate KL = {ex.rd[4.0][0]:.2f} nats" in ex.info.value
    calls = [_count_decodes(m, monkeypatch) for m in grid.values()]
    ex.beta_slider.value = 1.0
    assert ex.images["samples"].value == before["samples"]  # cached panels come back unchanged ...
    assert ex.rd_marker.layout.margin == margin
    assert [c[0] for c in calls] == [0, 0, 0]  # ... without running a model


def test_beta_panels_are_drawn_on_first_visit_and_cached(data, monkeypatch):
    grid = {0.5: _vae(2, 1), 2: _vae(2, 2)}
    ex = BetaExplorer(grid, dataset=data, metrics={0.5: (10.0, 100.0), 2: (3.0, 120.0)}, n_points=200,
                      precompute=False, n_samples=4)
    assert ex.rd == {0.5: (10.0, 100.0), 2.0: (3.0, 120.0)}
    assert ex.beta_slider.value == 2.0  # no beta = 1: the middle of the grid
    assert ex.info.value == "β = 2: rate KL = 3.00 nats, distortion = 120.00 nats, -ELBO = 123.00 nats per example"
    assert ex.z_samples.shape == (4, 2)
    calls = _count_decodes(grid[0.5], monkeypatch)
    ex.beta_slider.value = 0.5  # first visit: drawn now
    assert calls[0] >= 2 and "rate KL = 10.00" in ex.info.value
    with torch.inference_mode():
        want = render_png(grid[0.5].decode_mean(ex.z_samples), scale=ex.scale, nrow=2)
    assert ex.images["samples"].value == want
    first = calls[0]
    ex.beta_slider.value = 2.0
    ex.beta_slider.value = 0.5
    assert calls[0] == first and ex.images["samples"].value == want  # second visit: from the cache


def test_beta_metrics_come_from_the_argument_then_the_zoo_entry(data):
    a, b, c = _vae(2, 1), _vae(2, 2), _vae(2, 3)
    a.zoo_info = b.zoo_info = {"metrics": {"test": {"elbo": -105.0, "rec": -100.0, "kl": 5.0}}}
    ex = BetaExplorer({0.0: a, 1.0: b, 4.0: c}, dataset=data, metrics={1.0: (3.0, 4.0)},
                      n_eval=100, n_points=100, precompute=False)
    assert ex.rd[0.0] == (5.0, 100.0)  # the manifest's test metrics: rate = kl, distortion = -rec
    assert ex.rd[1.0] == (3.0, 4.0)  # metrics= wins over the manifest
    from vae_lib.data import binarize_images
    from vae_lib.train import evaluate

    r = evaluate(c, binarize_images(data[0][:100], "dynamic", generator=torch.Generator().manual_seed(0)), seed=0)
    assert ex.rd[4.0] == pytest.approx((r["kl"], -r["rec"]))  # evaluated


def test_beta_default_is_the_zoos_grid():
    ex = BetaExplorer(precompute=False, n_points=100, n_digits=2, n_samples=2)
    grid = zoo.beta_grid(2)
    assert ex.betas == sorted(grid) and len(ex.betas) >= 2
    assert all(m.zoo_info["recipe"]["beta"] == b for b, m in ex.models.items())
    t = zoo.info("vae-2d-beta-1")["metrics"]["test"]
    assert ex.rd[1.0] == (t["kl"], -t["rec"])
    ex10 = BetaExplorer(latent_dim=10, precompute=False, n_points=100, n_digits=2, n_samples=2)
    assert ex10.latent_dim == 10 and ex10.betas == sorted(zoo.beta_grid(10))
    named = BetaExplorer({1.0: "vae-2d-beta-1", 4: "vae-2d-beta-4"}, precompute=False, n_points=100)
    assert named.models[4.0].zoo_info["recipe"]["name"] == "vae-2d-beta-4"


def test_beta_move_sends_one_class_change(data, monkeypatch):
    grid = {b: _vae(2, seed=i) for i, b in enumerate([0.0, 1.0, 4.0])}
    ex = BetaExplorer(grid, dataset=data, n_points=200, metrics={0.0: (30.0, 150.0), 1.0: (7.0, 160.0),
                                                                 4.0: (2.0, 190.0)})
    assert set(ex.panels) == {0.0, 1.0, 4.0}  # every beta's panels are in the page already
    assert "vae-show-1" in ex.widget._dom_classes
    ex.widget.add_class("mine")  # other classes survive the moves
    sent = _sent(monkeypatch)
    ex.beta_slider.value = 4.0  # (set from code, the slider itself sends its new value too: not counted)
    assert [s for s in sent if s[0] is not ex.beta_slider] == [(ex.widget, ("_dom_classes",))]  # one message
    assert "vae-show-2" in ex.widget._dom_classes and "vae-show-1" not in ex.widget._dom_classes
    assert "mine" in ex.widget._dom_classes
    for i, b in enumerate(ex.betas):  # each beta's widgets carry their option class, hidden by the CSS unless shown
        assert all(f"vae-option-{i}" in w._dom_classes for w in ex.panels[b].values())
    css = ex.widget.children[0].value
    assert all(f".vae-beta:not(.vae-show-{i}) .vae-option-{i} {{display: none}}" in css for i in range(3))
    assert ex.images["samples"] is ex.panels[4.0]["samples"] and ex.info is ex.panels[4.0]["info"]


def test_beta_refuses_an_adversarial_autoencoder_without_saying_it_has_no_prior(data):
    from vae_lib.aae import AdversarialAutoencoder

    torch.manual_seed(0)
    aae = AdversarialAutoencoder(2, hidden=(32,)).eval()
    with pytest.raises(TypeError, match="a prior but no KL term") as info:
        BetaExplorer({0.0: aae, 1.0: _vae()}, dataset=data)
    assert "no prior" not in str(info.value)
    with pytest.raises(TypeError, match="no prior, no KL"):
        BetaExplorer({0.0: _ae(), 1.0: _vae()}, dataset=data)
