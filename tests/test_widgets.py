"""The live explorers of vae_lib.widgets, headless: slider -> model -> picture, clamping, errors.

Small untrained models stand in for the zoo (the explorers take any vae_lib model), so these
tests run in seconds; a few tests load the zoo's checkpoints (vae_lib/pretrained) to check
that zoo names, the zoo's beta grid and its manifest metrics are used.
"""

from __future__ import annotations

import io
import math

import ipywidgets as W
import numpy as np
import pytest
import torch
from PIL import Image

from vae_lib import widgets, zoo
from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.widgets import (
    SCALE,
    BetaExplorer,
    ELBOGapExplorer,
    InterpolationExplorer,
    KLExplorer,
    LatentExplorer,
    render_png,
)
from vae_lib.widgets.base import model_dataset, resolve_dataset
from vae_lib.widgets.render import Style

N = 600  # test images used for scatters / ranges
NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    x, y = mnist_test_binary
    return x[:N], y[:N]


def _vae(k: int = 2, seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(k, hidden=(32,)).eval()


def _ae(seed: int = 0) -> Autoencoder:
    torch.manual_seed(seed)
    return Autoencoder(2, hidden=(32,)).eval()


def _decoded_png(model, z: torch.Tensor, scale: int = SCALE, y: torch.Tensor | None = None) -> bytes:
    with torch.inference_mode():
        return render_png(model.decode_mean(z[None], y)[0], scale=scale)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _count_decodes(model, monkeypatch) -> list[int]:
    """Count the decoder forwards of ``model`` (every picture goes through ``model._decode_raw``: ``decode`` after
    its checks, and the explorers' update paths without them)."""
    calls = [0]
    orig = model._decode_raw

    def decode(*a, **k):
        calls[0] += 1
        return orig(*a, **k)

    monkeypatch.setattr(model, "_decode_raw", decode)
    return calls


def _tree(w: W.Widget) -> list[W.Widget]:
    out = [w]
    for child in getattr(w, "children", ()):
        out += _tree(child)
    return out


# --------------------------------------------------------------------------- render_png
def test_render_png_tiles_images_with_white_gaps():
    imgs = torch.zeros(3, 1, 28, 28)
    imgs[0, 0, 0, 0] = 1.0    # ink in the top-left corner of the first image
    imgs[1, 0, 27, 27] = 1.0  # ink in the bottom-right corner of the second
    imgs[2] = 0.5
    px = _pixels(render_png(imgs, scale=1, nrow=2, pad=1))
    assert px.shape == (57, 57)  # 2 x 28 + one gap, no outer frame
    assert px[0, 0] == 0 and px[27, 29 + 27] == 0  # ink is black, each image at its place
    assert (px[:28, :28] == 255).sum() == 28 * 28 - 1 and (px[:28, 29:] == 255).sum() == 28 * 28 - 1
    assert (px[28, :] == 255).all() and (px[:, 28] == 255).all()  # the gaps are white
    assert (px[29:, :28] == 128).all()  # the third image: grey 0.5 -> 128
    assert (px[29:, 29:] == 255).all()  # no fourth image: white
    big = _pixels(render_png(imgs, scale=3, nrow=2))
    assert big.shape == (171, 171) and (big[:3, :3] == 0).all() and big[3, 3] == 255  # 3 x 3 blocks
    row = _pixels(render_png(imgs, scale=1))  # nrow defaults to all in one row
    assert row.shape == (28, 3 * 28 + 2)
    one = torch.rand(28, 28)
    assert render_png(one) == render_png(one[None]) == render_png(one[None, None])
    assert _pixels(render_png(one, scale=1)).shape == (28, 28)
    assert _pixels(render_png(one)).shape == (28 * SCALE, 28 * SCALE)
    with pytest.raises(ValueError, match=r"render_png expects"):
        render_png(torch.zeros(2, 28, 28))


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


# --------------------------------------------------------------------------- errors, before any work
@pytest.mark.parametrize("make, error, match", [
    (lambda d: LatentExplorer(torch.nn.Linear(2, 2)), TypeError, "expected a vae_lib model.*zoo.load"),
    (lambda d: LatentExplorer("no-such-model"), KeyError, "unknown zoo model"),
    (lambda d: LatentExplorer(_vae(), dataset=d, range="wide"), ValueError, "range must be"),
    (lambda d: LatentExplorer(_vae(), dataset=d, n_points=0), ValueError, "n_points must be an integer >= 1"),
    (lambda d: LatentExplorer(_vae(), dataset=d, n_points=2.5), TypeError, "n_points"),
    (lambda d: LatentExplorer(_vae(), dataset=d, scale=0), ValueError, "scale must be an integer >= 1"),
    (lambda d: LatentExplorer(_vae(), dataset="cifar"), ValueError, "dataset must be one of"),
    (lambda d: LatentExplorer(_vae(), dataset=[1, 2, 3]), TypeError, "dataset must be"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0] * 255, d[1])), ValueError, "divide by 255"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0], d[1][:10])), ValueError, r"dataset labels must have shape"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0], d[1] + 10)), ValueError, r"dataset labels must lie in \[0, 10\)"),
    (lambda d: BetaExplorer({0.0: _ae(), 1.0: _vae()}, dataset=d), TypeError,
     "BetaExplorer needs unconditional VAEs.*Autoencoder"),
    (lambda d: BetaExplorer({1.0: ConditionalVAE(2, hidden=(32,))}, dataset=d), TypeError, "ConditionalVAE"),
    (lambda d: BetaExplorer({0.0: torch.nn.Linear(2, 2)}, dataset=d), TypeError, "expected a vae_lib model"),
    (lambda d: BetaExplorer({0.0: _vae(2), 1.0: _vae(3)}, dataset=d), ValueError, "same latent size"),
    (lambda d: BetaExplorer(["vae-2d-beta-0", "vae-2d-beta-1"]), TypeError, "models must be a mapping"),
    (lambda d: BetaExplorer({}, dataset=d), ValueError, "at least one model"),
    (lambda d: BetaExplorer({-1.0: _vae()}, dataset=d), ValueError, "beta.*>= 0"),
    (lambda d: BetaExplorer({NAN: _vae()}, dataset=d), ValueError, "beta.*finite"),
    (lambda d: BetaExplorer({torch.tensor(1.0): _vae(), 1.0: _vae()}, dataset=d), ValueError, "one model per beta"),
    (lambda d: BetaExplorer(latent_dim=3), ValueError, "no beta grid with latent_dim=3"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: 5.0}), ValueError, "pair"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: (NAN, 1.0)}), ValueError, "rate.*finite"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: (-1.0, 1.0)}), ValueError, "rate.*>= 0"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_digits=0), ValueError, "n_digits"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_samples=0), ValueError, "n_samples"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_points=-1), ValueError, "n_points"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, scale=0), ValueError, "scale"),
    (lambda d: InterpolationExplorer([ConditionalVAE(2, hidden=(32,))], dataset=d), TypeError, "ConditionalVAE"),
    (lambda d: InterpolationExplorer([torch.nn.Linear(2, 2)], dataset=d), TypeError, "expected a vae_lib model"),
    (lambda d: InterpolationExplorer([], dataset=d), ValueError, "at least one model"),
    (lambda d: InterpolationExplorer(_vae(), dataset=d), TypeError, "models must be"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, steps=1), ValueError, "steps must be an integer >= 2"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_a=-1), ValueError, "index_a must be an integer >= 0"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_a=N), ValueError,
     rf"index_a must be a test-image index in \[0, {N - 1}\]; got {N}"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_b=10**6), ValueError, "index_b must be a test-image"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_b=1.0), TypeError, "index_b"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, alpha=NAN), ValueError, r"alpha must be a finite number in \[0, 1\]"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, scale=0), ValueError, "scale"),
    (lambda d: KLExplorer(mode="bimodal"), ValueError, "mode must be"),
    (lambda d: KLExplorer(n_mc=0), ValueError, "n_mc .*must be an integer >= 1; got 0"),
    (lambda d: KLExplorer(n_mc=-5), ValueError, "n_mc .*>= 1; got -5"),
    (lambda d: KLExplorer(n_mc=2.5), TypeError, "n_mc .*must be an integer"),
    (lambda d: KLExplorer(seed=-1), ValueError, "seed"),
    (lambda d: KLExplorer(mu_q=NAN), ValueError, r"mu_q must be a finite number in \[-4, 4\]"),
    (lambda d: KLExplorer(sigma_p=INF), ValueError, r"sigma_p must be a finite number in \[0.2, 3\]"),
    (lambda d: KLExplorer(weight=-INF), ValueError, r"weight must be a finite number in \[0.05, 0.95\]"),
    (lambda d: ELBOGapExplorer(x=NAN), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(x=INF), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(x=-INF), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(mu=NAN), ValueError, r"mu must be a finite number in \[-4, 4\]"),
    (lambda d: ELBOGapExplorer(sigma=INF), ValueError, r"sigma must be a finite number in \[0.02, 1.5\]"),
    (lambda d: ELBOGapExplorer(x="1.5"), TypeError, "x must be a number"),
    (lambda d: ELBOGapExplorer(toy="toy"), TypeError, "NonlinearToy1D"),
])
def test_bad_inputs_raise_clear_errors(data, make, error, match):
    with pytest.raises(error, match=match):
        make(data)


def test_bad_arguments_fail_before_any_model_work(data, monkeypatch):
    model = _vae()

    def boom(*a, **k):
        raise AssertionError("the model ran before the arguments were checked")

    monkeypatch.setattr(model, "posterior_mean", boom)
    monkeypatch.setattr(model, "decode", boom)
    with pytest.raises(ValueError, match="n_points"):
        LatentExplorer(model, dataset=data, n_points=0)
    with pytest.raises(ValueError, match="steps"):
        InterpolationExplorer([model], dataset=data, steps=0)
    with pytest.raises(ValueError, match="index_b"):
        InterpolationExplorer([model], dataset=data, index_b=N)
    with pytest.raises(ValueError, match="n_samples"):
        BetaExplorer({1.0: model}, dataset=data, n_samples=0)


@pytest.mark.parametrize("fit, bad, error", [
    (lambda ex, v: ex.fit(steps=v), 0, ValueError),
    (lambda ex, v: ex.fit(steps=v), 2.5, TypeError),
    (lambda ex, v: ex.fit(lr=v), 0.0, ValueError),
    (lambda ex, v: ex.fit(lr=v), NAN, ValueError),
])
def test_elbo_gap_fit_checks_its_arguments(fit, bad, error):
    ex = ELBOGapExplorer()
    before = dict(ex.values)
    with pytest.raises(error):
        fit(ex, bad)
    assert ex.values == before  # nothing moved


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


# --------------------------------------------------------------------------- InterpolationExplorer
def test_interpolation_endpoints_and_path(data, monkeypatch):
    ae, vae = _ae(), _vae()
    ex = InterpolationExplorer({"ae": ae, "vae": vae}, dataset=data, index_a=3, index_b=10)
    x = data[0][[3, 10]]
    za, mu = ae.posterior_mean(x), vae.posterior_mean(x)
    ex.alpha_slider.value = 0.0
    assert torch.allclose(ex.z["ae"], za[0]) and torch.allclose(ex.z["vae"], mu[0])
    ex.alpha_slider.value = 1.0
    assert torch.allclose(ex.z["vae"], mu[1])
    calls = _count_decodes(vae, monkeypatch)
    ex.alpha_slider.value = 0.25
    assert calls[0] == 1  # one forward per model per alpha event
    assert torch.allclose(ex.z["vae"], 0.75 * mu[0] + 0.25 * mu[1])
    assert ex.images["vae"].value == _decoded_png(vae, ex.z["vae"], scale=ex.scale)
    assert ex.images["ae"].value == _decoded_png(ae, ex.z["ae"], scale=ex.scale)
    assert ex.endpoints.value == render_png(x, scale=ex.style.thumb_scale, nrow=2)
    alphas = torch.linspace(0, 1, ex.steps)[:, None]
    with torch.inference_mode():
        want = render_png(vae.decode_mean((1 - alphas) * mu[0] + alphas * mu[1]), scale=ex.style.thumb_scale,
                          nrow=ex.steps)
    assert ex.paths["vae"].value == want
    path = ex.paths["ae"].value
    ex.index_b.value = 11
    assert ex.paths["ae"].value != path
    assert torch.allclose(ex.z["ae"], 0.75 * za[0] + 0.25 * ae.posterior_mean(data[0][[11]])[0])
    ex.alpha_slider.value = 7.0  # clamped
    assert ex.alpha_slider.value == 1.0
    clamped = InterpolationExplorer([vae], dataset=data, alpha=-3.0, steps=2)
    assert clamped.alpha_slider.value == 0.0 and list(clamped.models) == ["VAE 1"]


# --------------------------------------------------------------------------- KLExplorer
def _kl_gauss(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2)), the closed form of the docstring."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def test_kl_closed_form_and_monte_carlo():
    ex = KLExplorer(mu_q=0.3, sigma_q=0.7, mu_p=-0.5, sigma_p=1.2)
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(0.3, 0.7, -0.5, 1.2), rel_tol=1e-9)
    assert math.isclose(ex.values["kl_pq"], _kl_gauss(-0.5, 1.2, 0.3, 0.7), rel_tol=1e-9)
    assert abs(ex.values["kl_qp_mc"] - ex.values["kl_qp"]) < 0.1
    assert abs(ex.values["kl_pq_mc"] - ex.values["kl_pq"]) < 0.15
    assert abs(ex.values["kl_pq_grid"] - ex.values["kl_pq"]) < 1e-6
    assert abs(ex.values["kl_qp_grid"] - ex.values["kl_qp"]) < 1e-6
    assert f"{ex.values['kl_qp']:.4f}" in ex.text.value and "closed form" in ex.text.value
    assert ex.sliders["separation"].disabled and ex.sliders["weight"].disabled  # mixture only
    img = ex.image.value
    ex.sliders["mu_q"].value = 2.0
    assert ex.image.value != img and math.isclose(ex.values["kl_qp"], _kl_gauss(2.0, 0.7, -0.5, 1.2), rel_tol=1e-9)
    ex.sliders["sigma_q"].value = 0.0  # clamped to the slider's minimum
    assert ex.sliders["sigma_q"].value == ex.SIGMA_RANGE[0]
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(2.0, 0.2, -0.5, 1.2), rel_tol=1e-9)
    same = KLExplorer(mu_q=1.0, sigma_q=0.8, mu_p=1.0, sigma_p=0.8)
    assert abs(same.values["kl_qp"]) < 1e-12 and abs(same.values["kl_qp_mc"]) < 1e-12
    small = KLExplorer(n_mc=1, mu_q=10.0)  # one Monte Carlo sample is allowed; mu_q clamped to 4
    assert small.sliders["mu_q"].value == 4.0 and "n=1" in small.text.value


def test_kl_mixture_mode_seeking_vs_mass_covering():
    ex = KLExplorer(mode="mixture", mu_q=0.3, sigma_q=1.0, mu_p=0.0, sigma_p=0.6, separation=2.5)
    assert not ex.sliders["separation"].disabled and "quadrature" in ex.text.value
    assert ex.values["kl_qp"] == ex.values["kl_qp_grid"] and abs(ex.values["kl_qp_mc"] - ex.values["kl_qp"]) < 0.1
    mu, sigma = ex.fit("qp")  # mode-seeking: one bump
    assert abs(abs(mu) - 2.5) < 0.2 and sigma < 0.8
    assert (ex.sliders["mu_q"].value, ex.sliders["sigma_q"].value) == (mu, sigma)
    mu, sigma = ex.fit("pq")  # mass-covering: p's mean and variance
    assert abs(mu) < 0.05 and abs(sigma - math.sqrt(0.6**2 + 2.5**2)) < 0.02
    with pytest.raises(ValueError, match="direction"):
        ex.fit("both")
    ex.mode.value = "gaussian"  # back to the closed form
    assert ex.sliders["separation"].disabled
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(mu, sigma, 0.0, 0.6), rel_tol=1e-9)


# --------------------------------------------------------------------------- ELBOGapExplorer
def test_elbo_gap_identity_at_every_position():
    ex = ELBOGapExplorer()
    for mu, sigma in [(-2.0, 0.3), (0.0, 1.0), (0.9, 0.2), (3.5, 1.4)]:
        ex.sliders["mu"].value, ex.sliders["sigma"].value = mu, sigma
        v = ex.values
        assert abs(v["log_px"] - (v["elbo"] + v["kl"])) < 1e-6 and v["kl"] >= 0
        assert v == ex.toy.elbo_terms(1.5, mu, sigma)
    img = ex.image.value
    ex.sliders["x"].value = 3.0
    assert ex.image.value != img and ex.values["log_px"] == pytest.approx(ex.toy.log_marginal(3.0))
    ex.sliders["sigma"].value = 0.0  # clamped where the grid is accurate
    assert ex.sliders["sigma"].value == ex.toy.SIGMA_MIN
    ex.sliders["mu"].value, ex.sliders["sigma"].value = 0.5, 1.0
    start = dict(ex.values)
    after = ex.fit()
    assert after["elbo"] > start["elbo"] and after["kl"] < start["kl"]
    assert after == ex.toy.elbo_terms(3.0, ex.sliders["mu"].value, ex.sliders["sigma"].value)
    far = ELBOGapExplorer(x=99.0, mu=-10.0, sigma=5.0)  # finite values are clamped into range
    assert [far.sliders[k].value for k in ("x", "mu", "sigma")] == [6.0, -far.toy.MU_MAX, far.toy.SIGMA_MAX]


# --------------------------------------------------------------------------- display, style, close
def test_display_hooks_show_the_root_widget(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    ex = KLExplorer()
    ex.display()
    ex._ipython_display_()
    assert shown == [ex.widget, ex.widget]
    assert ex.image in _tree(ex.widget) and all(s in _tree(ex.widget) for s in ex.sliders.values())


def test_sizes_come_from_one_style(data):
    class Big(LatentExplorer):
        style = Style(image_scale=8, slider_width=500)

    assert SCALE == Style().image_scale == 6
    model = _vae()
    ex, big = LatentExplorer(model, dataset=data), Big(model, dataset=data)
    assert ex.image.layout.width == f"{28 * 6}px" and big.image.layout.width == f"{28 * 8}px"
    assert ex.sliders[0].layout.width == "320px" and big.sliders[0].layout.width == "500px"
    assert _pixels(big.image.value).shape == (224, 224) and big.image.value == _decoded_png(model, big.z, scale=8)


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


def test_close_closes_only_this_explorer():
    other = W.IntSlider()
    ex = KLExplorer()
    everything = _tree(ex.widget)
    assert len(everything) > 10
    ex.close()
    assert all(w.comm is None for w in everything)
    assert ex.image.comm is None and ex.sliders["mu_q"].comm is None
    assert other.comm is not None  # other widgets stay open (Widget.close_all would close them)


def test_public_api():
    for name in ("LatentExplorer", "BetaExplorer", "InterpolationExplorer", "KLExplorer", "ELBOGapExplorer",
                 "render_png", "SCALE"):
        assert name in widgets.__all__ and hasattr(widgets, name)


# --------------------------------------------------------------------------- projector size, one message per move
def _sent(monkeypatch) -> list[tuple[W.Widget, tuple[str, ...]]]:
    """Record every state update the explorers send to the browser: (widget, the names of the traits sent)."""
    sent = []
    orig = W.Widget.send_state

    def send_state(self, key=None):
        keys = (key,) if isinstance(key, str) else tuple(key or self.keys)
        sent.append((self, keys))
        return orig(self, key)

    monkeypatch.setattr(W.Widget, "send_state", send_state)
    return sent


def test_sizes_notebook_and_large():
    from vae_lib.widgets.render import SIZES, style_css

    assert SIZES["notebook"] == Style() and style_css(SIZES["notebook"]) == ""  # the default stays as it is
    big = SIZES["large"]
    assert big.px(10) >= 16 and big.css_font_px >= 20 and 28 * big.image_scale >= 420
    assert big.scatter_size[1] * big.dpi >= 420 and big.kl_size[1] * big.dpi >= 420 and big.elbo_size[1] * big.dpi >= 420
    css = style_css(big)
    assert ".vae-size-large" in css and "font-size: 20px" in css
    with pytest.raises(ValueError, match="size must be one of"):
        KLExplorer(size="huge")
    assert KLExplorer(size=Style(dpi=90)).style.dpi == 90  # a Style of one's own


@pytest.mark.parametrize("make", [
    lambda d: LatentExplorer(_vae(), dataset=d, size="large"),
    lambda d: BetaExplorer({0.5: _vae(2, 1), 2.0: _vae(2, 2)}, dataset=d, metrics={0.5: (9.0, 150.0), 2.0: (3.0, 160.0)},
                           n_points=200, size="large"),
    lambda d: InterpolationExplorer([_ae(), _vae()], dataset=d, size="large"),
    lambda d: KLExplorer(size="large"),
    lambda d: ELBOGapExplorer(size="large"),
], ids=["latent", "beta", "interpolation", "kl", "elbo_gap"])
def test_large_explorers_have_projector_sizes(data, make):
    ex = make(data)
    st = ex.style
    assert st.name == "large" and "vae-size-large" in ex.widget._dom_classes
    sheet = ex.widget.children[0]
    assert isinstance(sheet, W.HTML) and "<style>" in sheet.value and sheet.layout.display == "none"
    for w in _tree(ex.widget):
        if isinstance(w, (W.FloatSlider, W.SelectionSlider)):
            assert w.style.description_width == st.description_width
    pictures = [w for w in _tree(ex.widget) if isinstance(w, W.Image) and w.format == "png" and len(w.value) > 100]

    def shown(w: W.Image) -> int:  # CSS pixels: the layout's height, else the PNG's own
        return int(w.layout.height[:-2]) if w.layout.height else _pixels(w.value).shape[0]

    assert max(shown(w) for w in pictures) >= 420  # the main image or figure on screen
    for w in pictures:  # a picture is shown at its natural size, or enlarged by a whole factor without blur
        h = _pixels(w.value).shape[0]
        assert shown(w) == h or ("vae-pixels" in w._dom_classes and shown(w) % h == 0), (shown(w), h)
    for cls, texts in ex.plot_texts().items():  # every text drawn into a figure: >= 16 px at natural size
        assert texts and texts[0][1] >= 16, (cls, texts[:3])
        assert any(cls in w._dom_classes for w in _tree(ex.widget))


def test_notebook_explorers_keep_their_sizes(data):
    ex = LatentExplorer(_vae(), dataset=data)
    assert ex.style == Style() and _pixels(ex.image.value).shape == (28 * 6, 28 * 6)
    assert _pixels(ex.scatter.value).shape == (288, 288)  # 3.6 in at 80 dpi, as before
    assert isinstance(ex.widget.children[0], W.HTML) and "<style>" not in ex.widget.children[0].value
    assert min(px for _, px in ex.plot_texts()["vae-latent-scatter"]) == pytest.approx(6 * 80 / 72)
    kl = KLExplorer()
    assert _pixels(kl.picture.value).shape[:2] == (224, 416)  # 5.2 x 2.8 in at 80 dpi


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


def test_kl_and_elbo_moves_send_only_what_moved(monkeypatch):
    kl, gap = KLExplorer(), ELBOGapExplorer()
    sent = _sent(monkeypatch)
    axes = kl.picture.value
    kl.sliders["mu_q"].value = 0.4  # (set from code, the slider itself sends its new value too: not counted)
    assert [w for w, _ in sent if w is not kl.sliders["mu_q"]] == [kl.image]  # one message: curves and numbers
    assert kl.text is kl.image and kl.picture.value == axes  # the axes stay
    html = kl.image.value
    assert html.count("<svg") == 1 and html.count("<polyline") == 2 and f"{kl.values['kl_qp']:.4f}" in html
    sent.clear()
    gap.sliders["mu"].value = 0.7
    assert [w for w, _ in sent if w is not gap.sliders["mu"]] == [gap.image]
    assert gap.image.value.count("<rect ") >= 3 and gap.image.value.count("<polyline") == 4
    assert f"{gap.values['elbo']:.4f}" in gap.image.value
    ids = [v.split('"')[0] for v in (kl.image.value + gap.image.value).split('clipPath id="')[1:]]
    assert len(ids) == len(set(ids)) == 3  # unique in the page (the lecture app shows both)


def test_live_figure_draws_the_artists_where_matplotlib_does():
    from vae_lib.widgets.render import new_figure
    from vae_lib.widgets.svg import LiveFigure

    fig, ax = new_figure((3, 2), dpi=100)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    (line,) = ax.plot([2, 8], [5, 5], lw=3.6, color="#ff0000")
    (bar,) = ax.bar([5], [4], width=2)
    live = LiveFigure(fig, [line, bar])
    svg = live.render()
    (x0, y0), (x1, y1) = ax.transData.transform([(2, 5), (8, 5)])
    h = live.height
    pts = [int(v) for v in svg.split('points="')[1].split('"')[0].split(",")]
    assert pts[:2] == [round(x0 * 10), round((h - y0) * 10)] and pts[-2:] == [round(x1 * 10), round((h - y1) * 10)]
    assert 'stroke="#ff0000"' in svg and 'stroke-width="50.0"' in svg  # 3.6 pt at 100 dpi = 5 px (in tenths)
    (bx0, by0), (bx1, by1) = ax.transData.transform([(4, 0), (6, 4)])
    assert f'x="{bx0:.1f}" y="{h - by1:.1f}" width="{bx1 - bx0:.1f}" height="{by1 - by0:.1f}"' in svg
    assert _pixels(live.picture.value).shape[:2] == (200, 300)  # the static parts: 3 x 2 in at 100 dpi
    picture = live.picture.value
    live.update("<b>numbers</b>")
    first = live.layer.value
    assert svg in first and first.endswith('<div class="vae-below"><b>numbers</b></div>')
    line.set_ydata([1, 9])
    live.update("<b>numbers</b>")
    assert live.picture.value == picture and live.layer.value != first


def test_interpolation_picks_by_digit(data):
    labels = data[1].tolist()
    ex = InterpolationExplorer([_vae()], dataset=data, index_a=3, index_b=10)
    assert ex.digit_a.value == labels[3] and ex.example_a.value == [i for i, c in enumerate(labels)
                                                                      if c == labels[3]].index(3)
    threes = [i for i, c in enumerate(labels) if c == 3]
    ex.digit_a.value = 3
    ex.example_a.value = 1
    assert ex.index_a.value == threes[1]  # the second 3 of the test set
    want = render_png(data[0][[threes[1], 10]], scale=ex.style.thumb_scale, nrow=2)
    assert ex.endpoints.value == want
    ex.index_b.value = threes[2]  # setting an index from code moves the pickers
    assert (ex.digit_b.value, ex.example_b.value) == (3, 2)
    ex.example_b.value = 10**6  # clamped to the last example of the digit
    assert ex.index_b.value == threes[-1]
    assert "digit" in ex.digit_a.description and ex.example_a.description == "example"


def test_large_images_are_sent_small_and_enlarged_by_the_browser(data):
    model = _vae()
    ex = LatentExplorer(model, dataset=data, size="large")
    assert ex.scale == 17 and ex.png_scale == 1 and "vae-pixels" in ex.image._dom_classes
    assert ex.image.layout.width == ex.image.layout.height == "476px"
    ex.sliders[0].value = 1.0
    assert ex.image.value == _decoded_png(model, ex.z, scale=1)  # 28 x 28: the browser enlarges it 17 x
    assert "img.vae-pixels {image-rendering: pixelated}" in ex.widget.children[0].value
    ip = InterpolationExplorer([model], dataset=data, size="large")
    name = next(iter(ip.images))
    assert _pixels(ip.images[name].value).shape == (28, 28) and "vae-pixels" in ip.images[name]._dom_classes
    assert ip.images[name].value == _decoded_png(model, ip.z[name], scale=1)
    nb = LatentExplorer(model, dataset=data)  # the notebook size sends the picture at its screen size, as before
    assert nb.png_scale == nb.scale == 6 and "vae-pixels" not in nb.image._dom_classes
