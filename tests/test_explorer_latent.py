"""LatentExplorer: sliders -> z -> decoded image, clamping, ranges, an Autoencoder and a conditional model, zoo names, the click-to-move scatter.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import math

import pytest
import torch
from _explorers import INF, NAN, _ae, _count_decodes, _decoded_png, _vae, first_images

from vae_lib import zoo
from vae_lib.models import ConditionalVAE
from vae_lib.widgets import LatentExplorer
from vae_lib.widgets.base import model_dataset, resolve_dataset


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    """The first N synthetic test images (binarized once, seed 0) and their labels."""
    return first_images(mnist_test_binary)


# --------------------------------------------------------------------------- LatentExplorer
def test_latent_slider_moves_z_and_image(data):
    model = _vae()
    ex = LatentExplorer(model, dataset=data)
    assert len(ex.sliders) == 2 and ex.scatter is not None and ex.background is not None
    assert ex.bounds == [(-3.0, 3.0), (-3.0, 3.0)]  # +-3 sigma of the prior
    before_img, scatter_png, before_margin = ex.image.value, ex.scatter.value, ex.marker.layout.margin
    ex.sliders[0].value = 1.25
    assert torch.allclose(ex.z, torch.tensor([1.25, 0.0]))
    assert ex.image.value != before_img
    assert ex.scatter.value == scatter_png  # the scatter is static: never re-sent
    assert ex.marker.layout.margin != before_margin  # the marker moved ...
    px, py = ex.background.to_pixel(1.25, 0.0)  # ... to the pixel of z (its centre = offset + radius)
    top, _, _, left = (int(v.rstrip("px")) for v in ex.marker.layout.margin.split())
    r = ex.style.marker_radius
    assert abs(left + r - px) <= 1 and abs(top + r - py) <= 1
    assert ex.background.to_data(px, py) == pytest.approx((1.25, 0.0), abs=1e-9)
    assert ex.image.value == _decoded_png(model, ex.z)  # the picture is decode_mean(z), rendered
    ex.sliders[1].value = -2.0
    assert torch.allclose(ex.z, torch.tensor([1.25, -2.0]))
    assert ex.image.value == _decoded_png(model, ex.z)
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n" and ex.image.format == "png"


def test_latent_update_path_is_one_decode_and_no_matplotlib_figure(data, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    model = _vae()
    ex = LatentExplorer(model, dataset=data)
    calls = _count_decodes(model, monkeypatch)

    def boom(*a, **k):
        raise AssertionError("a matplotlib figure was drawn on a slider event")

    monkeypatch.setattr(FigureCanvasAgg, "draw", boom)
    for i, v in enumerate((-2.0, 0.5, 2.9)):
        before = ex.image.value
        ex.sliders[0].value = v
        assert ex.image.value != before and float(ex.z[0]) == pytest.approx(v)  # it did update, without a figure
        assert calls[0] == i + 1  # one decoder forward per event
        assert not torch.is_inference_mode_enabled()


def test_latent_clamping_and_set_z(data, monkeypatch):
    model = _vae()
    ex = LatentExplorer(model, dataset=data)
    calls = _count_decodes(model, monkeypatch)
    z = ex.set_z([10.0, -INF])
    assert torch.allclose(z, torch.tensor([3.0, -3.0]))
    assert calls[0] == 1  # two sliders moved, one update
    assert ex.image.value == _decoded_png(model, ex.z)
    assert torch.equal(ex.set_z(torch.tensor([NAN, 1.0])), torch.tensor([0.0, 1.0]))  # NaN -> 0
    ex.sliders[0].value = -99  # ipywidgets clamps to the slider's range
    assert ex.sliders[0].value == -3.0 and float(ex.z[0]) == -3.0
    assert ex.image.value == _decoded_png(model, ex.z)
    with pytest.raises(ValueError, match="expected 2 latent values"):
        ex.set_z([0.0, 0.0, 0.0])


def test_holding_defers_the_update(data):
    model = _vae()
    ex = LatentExplorer(model, dataset=data)
    before = ex.image.value
    with ex.holding():
        ex.sliders[0].value = 2.0
        ex.sliders[1].value = -1.0
        assert ex.image.value == before and torch.equal(ex.z, torch.zeros(2))  # nothing redrawn inside
    ex.sliders[0].value = 1.0  # events work again after the block
    assert torch.equal(ex.z, torch.tensor([1.0, -1.0])) and ex.image.value == _decoded_png(model, ex.z)
    with pytest.raises(RuntimeError), ex.holding():
        raise RuntimeError
    ex.sliders[1].value = 0.5  # the flag was reset by the error
    assert float(ex.z[1]) == 0.5


def test_latent_high_dim_and_posterior_range(data):
    model = _vae(5)
    ex = LatentExplorer(model, dataset=data)
    assert len(ex.sliders) == 5 and ex.scatter is None and ex.background is None
    ex.sliders[4].value = 2.0
    assert float(ex.z[4]) == 2.0 and ex.image.value == _decoded_png(model, ex.z)
    post = LatentExplorer(model, dataset=data, range="posterior")
    codes = model.posterior_mean(data[0])
    for k in range(5):
        lo, hi = post.bounds[k]
        assert math.isclose(lo, float(codes[:, k].mean() - 3 * codes[:, k].std()), rel_tol=1e-4, abs_tol=1e-5)
        assert math.isclose(hi, float(codes[:, k].mean() + 3 * codes[:, k].std()), rel_tol=1e-4, abs_tol=1e-5)
    few = LatentExplorer(model, dataset=data, range="posterior", n_points=50)  # n_points: the codes used
    codes = model.posterior_mean(data[0][:50])
    assert few.bounds[0][0] == pytest.approx(float(codes[:, 0].mean() - 3 * codes[:, 0].std()), rel=1e-4)


def test_latent_autoencoder_and_conditional(data):
    ae = _ae()
    ex = LatentExplorer(ae, dataset=data)
    assert ex.range == "posterior" and ex.label is None  # an AE has no prior
    with pytest.raises(ValueError, match="no prior"):
        LatentExplorer(ae, dataset=data, range="prior")
    torch.manual_seed(0)
    cvae = ConditionalVAE(2, hidden=(32,)).eval()
    cx = LatentExplorer(cvae, dataset=data)
    assert cx.range == "prior" and cx.label.options == tuple(range(10))
    img0 = cx.image.value
    assert img0 == _decoded_png(cvae, cx.z, y=torch.tensor([0]))
    cx.label.value = 7
    assert cx.image.value != img0
    assert cx.image.value == _decoded_png(cvae, cx.z, y=torch.tensor([7]))
    cx.sliders[0].value = 1.0  # the label stays with z moves
    assert cx.image.value == _decoded_png(cvae, cx.z, y=torch.tensor([7]))


def test_latent_takes_a_zoo_name():
    ex = LatentExplorer("vae-2d", scatter=False)
    assert ex.model.zoo_info["recipe"]["name"] == "vae-2d" and ex.scatter is None
    ex.set_z([1.0, -1.0])
    assert ex.image.value == _decoded_png(ex.model, torch.tensor([1.0, -1.0]))


def test_model_dataset_comes_from_the_recipe(data):
    model = _vae()
    assert model_dataset(model) == "mnist"  # no recipe: MNIST
    model.zoo_info = {"recipe": {"dataset": "fashion"}}
    assert model_dataset(model) == "fashion"
    images, labels = resolve_dataset(None, model)
    from vae_lib.data import load_mnist

    want = load_mnist("test", dataset="fashion", download=False)
    assert torch.equal(images, want[0]) and torch.equal(labels, want[1])
    assert model_dataset(zoo.load("fashion-vae-2d")) == "fashion"
    x, y = resolve_dataset(data, model)  # a pair is used as given
    assert x is data[0] and torch.equal(y, data[1])


def test_latent_clickable_scatter_moves_z(data):
    from matplotlib.backend_bases import MouseEvent

    model = _vae()
    ex = LatentExplorer(model, dataset=data, clickable=True)
    assert ex.marker is None and ex.scatter is not None
    px, py = ex.background.to_pixel(1.5, -2.0)
    canvas = ex.scatter
    h = canvas.figure.bbox.height  # a click at that pixel, as ipympl delivers it (display y from the bottom)
    canvas.callbacks.process("button_press_event", MouseEvent("button_press_event", canvas, px, h - py, button=1))
    assert torch.allclose(ex.z, torch.tensor([1.5, -2.0]), atol=1e-3)
    assert ex.image.value == _decoded_png(model, ex.z)
    ex.click_at(*ex.background.to_pixel(50.0, 0.0))  # outside the range: clamped
    assert float(ex.z[0]) == 3.0 and ex.image.value == _decoded_png(model, ex.z)


def test_latent_prior_range_follows_has_prior(data):
    from vae_lib.aae import AdversarialAutoencoder

    torch.manual_seed(0)
    aae = AdversarialAutoencoder(2, hidden=(32,)).eval()
    assert LatentExplorer(aae, dataset=data).range == "posterior"       # the default: no ELBO, as before
    ex = LatentExplorer(aae, dataset=data, range="prior")                # it has a prior, N(0, I): allowed
    assert ex.bounds == [(-3.0, 3.0), (-3.0, 3.0)]
    with pytest.raises(ValueError, match="an? Autoencoder has no prior"):
        LatentExplorer(_ae(), dataset=data, range="prior")
