"""The live explorers of vae_lib.widgets, headless: slider -> model -> picture, clamping, errors.

Small untrained models stand in for the zoo (the explorers take any model of the right kind),
so these tests run in seconds and do not wait for assets/checkpoints.
"""

from __future__ import annotations

import math

import pytest
import torch

from vae_lib import widgets
from vae_lib.losses import kl_normal
from vae_lib.models import VAE, Autoencoder, ConditionalVAE

N = 600  # test images used for scatters / ranges


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    x, y = mnist_test_binary
    return x[:N], y[:N]


def _vae(k: int = 2, seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(k, hidden=(32,)).eval()


def _decoded_png(model, z: torch.Tensor, scale: int = widgets.SCALE) -> bytes:
    with torch.inference_mode():
        return widgets.render_png(torch.sigmoid(model.decode(z[None]))[0], scale=scale)


# --------------------------------------------------------------------------- LatentExplorer
def test_latent_slider_moves_z_and_image(data):
    model = _vae()
    ex = widgets.LatentExplorer(model, dataset=data)
    assert len(ex.sliders) == 2 and ex.scatter is not None
    assert ex.bounds == [(-3.0, 3.0), (-3.0, 3.0)]  # +-3 sigma of the prior
    before_img, scatter_png, before_margin = ex.image.value, ex.scatter.value, ex.marker.layout.margin
    ex.sliders[0].value = 1.25
    assert torch.allclose(ex.z, torch.tensor([1.25, 0.0]))
    assert ex.image.value != before_img
    assert ex.scatter.value == scatter_png  # the scatter is static: never re-sent
    assert ex.marker.layout.margin != before_margin  # the marker moved ...
    px, py = ex._bg.to_pixel(1.25, 0.0)  # ... to the pixel of z (its centre = offset + radius)
    top, _, _, left = (int(v.rstrip("px")) for v in ex.marker.layout.margin.split())
    r = widgets._MARKER_R
    assert abs(left + r - px) <= 1 and abs(top + r - py) <= 1
    assert ex.image.value == _decoded_png(model, ex.z)  # the picture is decode(z), rendered
    ex.sliders[1].value = -2.0
    assert torch.allclose(ex.z, torch.tensor([1.25, -2.0]))
    assert ex.image.value == _decoded_png(model, ex.z)
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n" and ex.image.format == "png"


def test_latent_update_path_draws_no_matplotlib_figure(data, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    ex = widgets.LatentExplorer(_vae(), dataset=data)

    def boom(*a, **k):
        raise AssertionError("a matplotlib figure was drawn on a slider event")

    monkeypatch.setattr(FigureCanvasAgg, "draw", boom)
    for v in (-2.0, 0.5, 2.9):
        before = ex.image.value
        ex.sliders[0].value = v
        assert ex.image.value != before and float(ex.z[0]) == pytest.approx(v)  # it did update, without a figure


def test_latent_clamping_and_set_z(data):
    model = _vae()
    ex = widgets.LatentExplorer(model, dataset=data)
    z = ex.set_z([10.0, -float("inf")])
    assert torch.allclose(z, torch.tensor([3.0, -3.0]))
    ex.sliders[0].value = -99  # ipywidgets clamps to the slider's range
    assert ex.sliders[0].value == -3.0 and float(ex.z[0]) == -3.0
    assert ex.image.value == _decoded_png(model, ex.z)
    with pytest.raises(ValueError, match="expected 2 latent values"):
        ex.set_z([0.0, 0.0, 0.0])


def test_latent_high_dim_and_posterior_range(data):
    model = _vae(5)
    ex = widgets.LatentExplorer(model, dataset=data)
    assert len(ex.sliders) == 5 and ex.scatter is None
    ex.sliders[4].value = 2.0
    assert float(ex.z[4]) == 2.0 and ex.image.value == _decoded_png(model, ex.z)
    post = widgets.LatentExplorer(model, dataset=data, range="posterior")
    from vae_lib.plots import encode_means

    codes = encode_means(model, data[0])
    lo, hi = post.bounds[0]
    assert math.isclose(lo, float(codes[:, 0].mean() - 3 * codes[:, 0].std()), rel_tol=1e-4, abs_tol=1e-5)
    assert math.isclose(hi, float(codes[:, 0].mean() + 3 * codes[:, 0].std()), rel_tol=1e-4, abs_tol=1e-5)


def test_latent_autoencoder_and_conditional(data):
    torch.manual_seed(0)
    ae = Autoencoder(2, hidden=(32,)).eval()
    ex = widgets.LatentExplorer(ae, dataset=data)
    assert ex.range == "posterior"  # an AE has no prior
    with pytest.raises(ValueError, match="no prior"):
        widgets.LatentExplorer(ae, dataset=data, range="prior")
    torch.manual_seed(0)
    cvae = ConditionalVAE(2, hidden=(32,)).eval()
    cx = widgets.LatentExplorer(cvae, dataset=data)
    img0 = cx.image.value
    cx.label.value = 7
    assert cx.image.value != img0
    with torch.inference_mode():
        want = widgets.render_png(torch.sigmoid(cvae.decode(cx.z[None], torch.tensor([7])))[0])
    assert cx.image.value == want


def test_wrong_kind_errors(data):
    with pytest.raises(TypeError, match="expected a vae_lib model"):
        widgets.LatentExplorer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="range must be"):
        widgets.LatentExplorer(_vae(), dataset=data, range="wide")
    torch.manual_seed(0)
    ae = Autoencoder(2, hidden=(32,)).eval()
    with pytest.raises(TypeError, match="BetaExplorer needs unconditional VAEs.*Autoencoder"):
        widgets.BetaExplorer({0.0: ae, 1.0: _vae()}, dataset=data, metrics={0.0: (1, 2), 1.0: (1, 2)})
    with pytest.raises(TypeError, match="ConditionalVAE"):
        widgets.InterpolationExplorer([ConditionalVAE(2, hidden=(32,))], dataset=data)
    with pytest.raises(ValueError, match="same latent size"):
        widgets.BetaExplorer({0.0: _vae(2), 1.0: _vae(3)}, dataset=data, metrics={0.0: (1, 2), 1.0: (1, 2)})
    with pytest.raises(ValueError, match="mode must be"):
        widgets.KLExplorer(mode="bimodal")


# --------------------------------------------------------------------------- BetaExplorer
def test_beta_slider_swaps_panels(data):
    grid = {b: _vae(2, seed=i) for i, b in enumerate([0.0, 1.0, 4.0])}
    ex = widgets.BetaExplorer(grid, dataset=data, n_points=300, n_eval=200)
    assert [v for _, v in ex.beta_slider.options] == [0.0, 1.0, 4.0]
    assert ex.beta_slider.value == 1.0
    assert set(ex.images) == {"scatter", "reconstructions", "samples", "rate_distortion"}
    before = {k: im.value for k, im in ex.images.items()}
    margin = ex.rd_marker.layout.margin
    ex.beta_slider.value = 4.0
    assert ex.model is grid[4.0]
    for k in ("scatter", "reconstructions", "samples"):
        assert ex.images[k].value != before[k], k
    assert ex.images["rate_distortion"].value == before["rate_distortion"]  # the curve is drawn once ...
    assert ex.rd_marker.layout.margin != margin  # ... and the ring on it moves to this model's point
    # the samples are decode(z) of the fixed prior draws, rendered
    with torch.inference_mode():
        want = widgets.render_png(torch.sigmoid(grid[4.0].decode(ex._z_samples)), scale=ex.scale, nrow=4)
    assert ex.images["samples"].value == want
    # rate and distortion were measured (nats, finite, KL >= 0)
    for rate, dist in ex.rd.values():
        assert rate >= 0 and math.isfinite(dist)
    ex.beta_slider.value = 1.0
    assert ex.images["samples"].value == before["samples"]  # cached panels come back unchanged


def test_beta_uses_given_metrics(data):
    grid = {0.5: _vae(2, 1), 2: _vae(2, 2)}
    ex = widgets.BetaExplorer(grid, dataset=data, metrics={0.5: (10.0, 100.0), 2: (3.0, 120.0)},
                              n_points=200, precompute=False)
    assert ex.rd == {0.5: (10.0, 100.0), 2.0: (3.0, 120.0)}
    assert "rate KL = " in ex.info.value


# --------------------------------------------------------------------------- InterpolationExplorer
def test_interpolation_endpoints_and_path(data):
    torch.manual_seed(0)
    ae, vae = Autoencoder(2, hidden=(32,)).eval(), _vae()
    ex = widgets.InterpolationExplorer({"ae": ae, "vae": vae}, dataset=data, index_a=3, index_b=10)
    x = data[0][[3, 10]]
    with torch.inference_mode():
        za, (mu, _) = ae.encode(x), vae.encode(x)
    ex.alpha_slider.value = 0.0
    assert torch.allclose(ex.z["ae"], za[0]) and torch.allclose(ex.z["vae"], mu[0])
    ex.alpha_slider.value = 1.0
    assert torch.allclose(ex.z["vae"], mu[1])
    ex.alpha_slider.value = 0.25
    assert torch.allclose(ex.z["vae"], 0.75 * mu[0] + 0.25 * mu[1])
    assert ex.images["vae"].value == _decoded_png(vae, ex.z["vae"], scale=ex.scale)
    path = ex.paths["ae"].value
    ex.index_b.value = 11
    assert ex.paths["ae"].value != path
    ex.alpha_slider.value = 7.0  # clamped
    assert ex.alpha_slider.value == 1.0


# --------------------------------------------------------------------------- KLExplorer
def test_kl_closed_form_and_monte_carlo():
    ex = widgets.KLExplorer(mu_q=0.3, sigma_q=0.7, mu_p=-0.5, sigma_p=1.2)
    t = lambda m, s: (torch.tensor([m], dtype=torch.float64), torch.tensor([2 * math.log(s)], dtype=torch.float64))  # noqa: E731
    assert math.isclose(ex.values["kl_qp"], float(kl_normal(*t(0.3, 0.7), *t(-0.5, 1.2))), rel_tol=1e-9)
    assert math.isclose(ex.values["kl_pq"], float(kl_normal(*t(-0.5, 1.2), *t(0.3, 0.7))), rel_tol=1e-9)
    assert abs(ex.values["kl_qp_mc"] - ex.values["kl_qp"]) < 0.1
    assert abs(ex.values["kl_pq_grid"] - ex.values["kl_pq"]) < 1e-6
    img = ex.image.value
    ex.sliders["mu_q"].value = 2.0
    assert ex.image.value != img and ex.values["kl_qp"] > 0
    ex.sliders["sigma_q"].value = 0.0  # clamped to the slider's minimum
    assert ex.sliders["sigma_q"].value == ex.SIGMA_RANGE[0]


def test_kl_mixture_mode_seeking_vs_mass_covering():
    ex = widgets.KLExplorer(mode="mixture", mu_q=0.3, sigma_q=1.0, mu_p=0.0, sigma_p=0.6, separation=2.5)
    mu, sigma = ex.fit("qp")  # mode-seeking: one bump
    assert abs(abs(mu) - 2.5) < 0.2 and sigma < 0.8
    mu, sigma = ex.fit("pq")  # mass-covering: p's mean and variance
    assert abs(mu) < 0.05 and abs(sigma - math.sqrt(0.6**2 + 2.5**2)) < 0.02
    with pytest.raises(ValueError, match="direction"):
        ex.fit("both")


# --------------------------------------------------------------------------- ELBOGapExplorer
def test_elbo_gap_identity_at_every_position():
    ex = widgets.ELBOGapExplorer()
    for mu, sigma in [(-2.0, 0.3), (0.0, 1.0), (0.9, 0.2), (3.5, 1.4)]:
        ex.sliders["mu"].value, ex.sliders["sigma"].value = mu, sigma
        v = ex.values
        assert abs(v["log_px"] - (v["elbo"] + v["kl"])) < 1e-6 and v["kl"] >= 0
    img = ex.image.value
    ex.sliders["x"].value = 3.0
    assert ex.image.value != img
    ex.sliders["sigma"].value = 0.0  # clamped where the grid is accurate
    assert ex.sliders["sigma"].value == ex.toy.SIGMA_MIN
    start = dict(ex.values)
    ex.sliders["mu"].value, ex.sliders["sigma"].value = 0.5, 1.0
    start = dict(ex.values)
    after = ex.fit()
    assert after["elbo"] > start["elbo"] and after["kl"] < start["kl"]


def test_display_hooks(data, capsys):
    ex = widgets.KLExplorer()
    ex.display()
    ex._ipython_display_()
    assert "VBox" in capsys.readouterr().out  # outside a kernel, IPython prints the widget's repr


def test_latent_clickable_scatter_moves_z(data):
    from types import SimpleNamespace

    model = _vae()
    ex = widgets.LatentExplorer(model, dataset=data, clickable=True)
    px, py = ex._bg.to_pixel(1.5, -2.0)
    ex._on_click(SimpleNamespace(xdata=px, ydata=py))  # what ipympl calls on a click at that pixel
    assert torch.allclose(ex.z, torch.tensor([1.5, -2.0]), atol=1e-4)
    assert ex.image.value == _decoded_png(model, ex.z)
    px, py = ex._bg.to_pixel(50.0, 0.0)  # outside the range: clamped
    ex._on_click(SimpleNamespace(xdata=px, ydata=py))
    assert float(ex.z[0]) == 3.0


def test_close_closes_only_this_explorer():
    import ipywidgets

    other = ipywidgets.IntSlider()
    ex = widgets.KLExplorer()
    ex.close()
    assert ex.image.comm is None and ex.sliders["mu_q"].comm is None
    assert other.comm is not None  # other widgets stay open (Widget.close_all would close them)
