"""The in-page widgets' Python side: exported networks, fallbacks, MNIST's preprocessing, the draw explorer's terms.

The JavaScript itself is checked in Chromium (tests/browser/test_inpage_browser.py); here a numpy forward
pass of the exported layers stands in for it, so that a wrong offset or layout fails without a browser.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest
import torch
from conftest import _load

from vae_lib.losses import bernoulli_log_likelihood, kl_std_normal
from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.widgets.draw import DrawDigitExplorer, mnist_preprocess
from vae_lib.widgets.inpage import (
    InPageLatentExplorer,
    UnsupportedModel,
    export_networks,
    in_page_problem,
    latent_explorer,
    standalone_html,
)

ACTS = {"none": lambda x: x, "relu": lambda x: np.maximum(x, 0), "silu": lambda x: x / (1 + np.exp(-x)),
        "tanh": np.tanh, "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))}


def numpy_forward(spec: dict, weights: bytes, x: np.ndarray) -> np.ndarray:
    """The layer contract mlp.js implements: h = act(W h + b), W [n_out, n_in] row-major at offset w."""
    w = np.frombuffer(weights, dtype="<f4").astype(np.float64)
    h = x.astype(np.float64)
    for L in spec["layers"]:
        W = w[L["w"]:L["w"] + L["n_in"] * L["n_out"]].reshape(L["n_out"], L["n_in"])
        h = ACTS[L["act"]](h @ W.T + w[L["b"]:L["b"] + L["n_out"]])
    return h


def _images(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


@pytest.mark.parametrize("make", [
    lambda: VAE(2, hidden=(32, 16)),
    lambda: VAE(3, hidden=(24,), activation="elu"),
    lambda: Autoencoder(2, hidden=(32, 16), activation="relu"),
    lambda: ConditionalVAE(2, hidden=(32, 16), activation="tanh"),
    lambda: VAE(4, hidden=(16, 16), likelihood="gaussian", decoder_std="learned"),
], ids=["vae-silu", "vae-elu", "ae-relu", "cvae-tanh", "gauss"])
def test_exported_networks_compute_what_the_model_computes(make):
    model = make().eval()
    specs, weights = export_networks(model, ("encoder", "decoder"))
    assert len(weights) == 4 * sum(p.numel() for n, p in model.named_parameters() if n.startswith(("encoder.", "decoder.")))
    K, C = model.latent_dim, model.n_classes if model.is_conditional else 0
    z = torch.randn(20, K) * 2
    y = torch.arange(20) % 10 if C else None
    zin = torch.cat([z, torch.nn.functional.one_hot(y, C).float()], 1) if C else z
    pixels = 1 / (1 + np.exp(-numpy_forward(specs["decoder"], weights, zin.numpy())))
    with torch.no_grad():
        assert np.abs(pixels - model.decode_mean(z, y).reshape(20, -1).numpy()).max() < 1e-5
        x, _ = _images(20)
        xin = torch.cat([x.flatten(1), torch.nn.functional.one_hot(y, C).float()], 1) if C else x.flatten(1)
        enc = model.encode(x, y) if C else model.encode(x)
        enc = torch.cat(enc, 1) if isinstance(enc, tuple) else enc
        assert np.abs(numpy_forward(specs["encoder"], weights, xin.numpy()) - enc.numpy()).max() < 1e-4


def test_conv_models_are_refused_with_what_to_use_and_latent_explorer_falls_back():
    conv = VAE(2, hidden=(16,), arch="conv").eval()
    assert "Conv" in in_page_problem(conv) or "conv" in in_page_problem(conv)
    with pytest.raises(UnsupportedModel, match="LatentExplorer"):
        InPageLatentExplorer(conv, scatter=False)
    with pytest.warns(UserWarning, match="kernel"):
        ex = latent_explorer(conv, dataset=_images())
    assert type(ex).__name__ == "LatentExplorer"
    assert type(latent_explorer(VAE(2, hidden=(16,)), scatter=False)).__name__ == "InPageLatentExplorer"
    assert in_page_problem(VAE(2, hidden=(16,))) is None
    with pytest.raises(UnsupportedModel, match="draw-a-digit"):
        DrawDigitExplorer(Autoencoder(2, hidden=(16,)))
    with pytest.raises(UnsupportedModel, match="unconditional"):
        DrawDigitExplorer(ConditionalVAE(2, hidden=(16,)))
    with pytest.raises(UnsupportedModel, match="prior"):
        DrawDigitExplorer(VAE(2, hidden=(16,), prior="mog", prior_components=3))
    with pytest.raises(UnsupportedModel):
        DrawDigitExplorer(conv, dataset=_images())


def test_inpage_explorer_state_and_python_side():
    torch.manual_seed(0)
    model = ConditionalVAE(2, hidden=(32, 16)).eval()
    ex = InPageLatentExplorer(model, dataset=_images())
    spec = ex.view.spec
    assert spec["latent_dim"] == 2 and spec["n_classes"] == 10 and spec["map"]["width"] > 100
    assert ex.bounds == [(-3.0, 3.0), (-3.0, 3.0)] and ex.view.scatter[:4] == b"\x89PNG"
    assert ex.widget is ex.view and "export default" in ex.view._esm and "function network(" in ex.view._esm
    assert ex.set_z([5.0, -0.5]).tolist() == [3.0, -0.5]  # clamped into the slider's range
    ex.set_label(7)
    with torch.no_grad():
        assert torch.allclose(ex.decode(), model.decode_mean(torch.tensor([[3.0, -0.5]]), torch.tensor([7]))[0])
    with pytest.raises(ValueError):
        ex.set_z([0.0])
    m = spec["map"]  # the transform maps data to the scatter's pixels as the background does
    px, py = ex.background.to_pixel(1.5, -2.0)
    assert math.isclose(m["ax"] + m["bx"] * 1.5, px, abs_tol=1e-6) and math.isclose(m["ay"] + m["by"] * -2.0, py,
                                                                                    abs_tol=1e-6)
    ae = InPageLatentExplorer(Autoencoder(3, hidden=(16,)), dataset=_images(), size="large")
    assert ae.range == "posterior" and ae.view.spec["map"] is None and ae.view.spec["scale"] == ae.style.image_scale
    assert ae.view.spec["font_px"] > 0


def test_standalone_page_carries_the_module_and_the_state():
    ex = InPageLatentExplorer(VAE(2, hidden=(16,)), scatter=False)
    page = standalone_html(ex.view, "t</title>")
    state = json.loads(re.search(r"const state = (\{.*\});\n", page).group(1).replace("<\\/", "</"))
    assert set(state) == {"label", "scatter", "spec", "weights", "z"}
    assert base64.b64decode(state["weights"]["$b64"]) == ex.view.weights
    assert "</script" not in page.split("<script type=\"module\">")[1][:-len("</script></body></html>\n")]
    assert "t&lt;/title&gt;" in page


# ------------------------------------------------------------------ MNIST's preprocessing


@pytest.fixture(scope="module")
def mnist_test_grey(real_mnist_test_binary):
    """Real grey test digits (MNIST's preprocessing is what is tested: synthetic images would not do)."""
    return _load("test")


def test_mnist_preprocessing_returns_mnist_digits_unchanged(mnist_test_grey):
    """A real digit, blown up 10x (nearest neighbour) and put anywhere on a larger pad, comes back exactly:
    MNIST's digits are 20 pixels on their longer side with their centre of mass at pixel (14, 14)."""
    digits = mnist_test_grey[0][:300, 0].double().numpy()
    rng = np.random.default_rng(0)
    for d in digits:
        rows, cols = np.nonzero(d.any(1))[0], np.nonzero(d.any(0))[0]
        big = np.kron(d[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], np.ones((10, 10)))
        pad = np.zeros((320, 300))
        oy, ox = rng.integers(0, pad.shape[0] - big.shape[0]), rng.integers(0, pad.shape[1] - big.shape[1])
        pad[oy:oy + big.shape[0], ox:ox + big.shape[1]] = big
        assert np.abs(mnist_preprocess(pad) - d).max() < 1e-12


def test_mnist_preprocessing_scales_keeps_aspect_and_centres():
    pad = np.zeros((280, 280))
    pad[40:240, 100:140] = 1.0  # a bar 200 x 40: becomes 20 x 4
    x = mnist_preprocess(pad)
    rows, cols = np.nonzero(x.any(1))[0], np.nonzero(x.any(0))[0]
    assert (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == (20, 4)
    assert np.allclose(x[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], 1.0)
    i = np.arange(28)
    assert abs((x.sum(1) * i).sum() / x.sum() - 14) <= 0.5 and abs((x.sum(0) * i).sum() / x.sum() - 14) <= 0.5
    pad2 = np.roll(np.roll(pad, 17, 0), -60, 1)  # moved: the same image
    assert np.array_equal(mnist_preprocess(pad2), x)
    half = pad * 0.5  # grey ink stays grey (area averages keep the level)
    assert np.allclose(mnist_preprocess(half), x * 0.5)
    assert not mnist_preprocess(np.zeros((50, 60))).any()
    for bad in (np.ones((3, 3, 3)), np.full((5, 5), 2.0), np.full((5, 5), np.nan)):
        with pytest.raises(ValueError, match="ink"):
            mnist_preprocess(bad)


def test_draw_explorer_terms_are_the_elbo_terms_of_the_model():
    torch.manual_seed(0)
    model = VAE(2, hidden=(32, 16)).eval()
    ex = DrawDigitExplorer(model, dataset=_images())
    assert ex.image is None and ex.view.spec["likelihood"] == "bernoulli"
    assert set(ex.view.spec) >= {"encoder", "decoder", "map", "latent_dim", "pad_px"}
    x = torch.from_numpy(mnist_preprocess(np.pad(np.ones((100, 30)), 60))).float()[None, None]
    ex.view.image = x.numpy().astype("<f4").tobytes()  # what the page sends when a stroke ends
    assert torch.equal(ex.image, x)
    t = ex.terms()
    with torch.no_grad():
        mu, logvar = model.encode(x)
        assert math.isclose(t["rec"], float(bernoulli_log_likelihood(x, model.decode(mu))[0]), rel_tol=1e-6)
        assert math.isclose(t["kl"], float(kl_std_normal(mu, logvar)[0]), rel_tol=1e-6)
    assert t["sigma"] == pytest.approx([math.exp(0.5 * v) for v in t["logvar"]])
    g = DrawDigitExplorer(VAE(5, hidden=(16,), likelihood="gaussian", decoder_std=0.3), dataset=_images())
    assert g.background is None and g.view.spec["decoder_logvar"] == pytest.approx([2 * math.log(0.3)])


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
def test_compact_export_sends_float16_only_when_it_is_exact_and_the_page_widens_it_back_exactly():
    """A zoo model's weights are float16 numbers (its file stores float16): compact export sends half the bytes and
    mlp.js's float16() gives back exactly the float32 weights; a freshly initialised model stays float32."""
    from _node_js import run_js

    from vae_lib import zoo
    from vae_lib.widgets.inpage import esm_source

    model = zoo.load("vae-2d")
    full_specs, full = export_networks(model, ("decoder",))
    specs, half = export_networks(model, ("decoder",), compact=True)
    assert specs["decoder"]["dtype"] == "float16" and full_specs["decoder"]["dtype"] == "float32"
    assert len(half) * 2 == len(full)
    widened = run_js(esm_source(), "return Array.from(float16(args.w));", {"w": half})
    assert np.array_equal(np.asarray(widened, dtype=np.float32), np.frombuffer(full, dtype="<f4"))
    fresh = VAE(latent_dim=2, hidden=[16])
    specs, w = export_networks(fresh, ("decoder",), compact=True)
    assert specs["decoder"]["dtype"] == "float32"
    assert len(w) == 4 * sum(p.numel() for n, p in fresh.named_parameters() if n.startswith("decoder."))
