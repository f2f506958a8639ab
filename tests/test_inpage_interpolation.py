"""The in-page interpolation explorer: its JavaScript (run in node) decodes the path as the models do.

For the notebook's zoo models (ae-2d, vae-2d) and small models with every activation mlp.js knows, the page's
z_alpha (``lerp``) and decoded pixel means (``decodeMean`` over the shared buffer of every decoder) equal
``(1 - alpha) z_a + alpha z_b`` and ``model.decode_mean`` (pixels within 1e-5: float64 sums of float32 weights
against PyTorch's float32).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _node_js import run_js

from vae_lib import zoo
from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.widgets.inpage import InPageLatentExplorer, UnsupportedModel
from vae_lib.widgets.inpage_interpolation import InPageInterpolationExplorer, interpolation_explorer
from vae_lib.widgets.interpolation import InterpolationExplorer

TOL_PIXEL = 1e-5
TOL_Z = 1e-6
ALPHAS = [0.0, 0.25, 0.6, 1.0]

JS_PATHS = """
const nets = args.models.map((m) => network(m.decoder, m.decoder.weights_from ? args.shared[m.decoder.weights_from] : args.weights));
return args.models.map((m, i) => args.pairs.map(([a, b]) => args.alphas.map((al) => {
  const z = lerp(m.codes[a], m.codes[b], al);
  return { z, p: Array.from(decodeMean(nets[i], z)) };
})));
"""


def _data(n: int = 80) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def _zoo_models() -> dict[str, torch.nn.Module]:
    return {name: zoo.load(name) for name in ("ae-2d", "vae-2d")}


@pytest.fixture(autouse=True)
def no_live_widgets():
    """Sharing reads a decoder from ANY live widget that holds the same bytes: start each test with none alive (an
    earlier test's explorer of an identically seeded model would otherwise be found)."""
    import ipywidgets

    ipywidgets.Widget.close_all()
    yield


def spec_dtype(ex):
    (dtype,) = {m["decoder"]["dtype"] for m in ex.view.spec["models"]}   # one buffer, one dtype
    return dtype


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
@pytest.mark.parametrize("make", [
    _zoo_models,
    lambda: {"silu": VAE(3, hidden=(24, 16)), "elu": VAE(2, hidden=(16,), activation="elu"),
             "relu": Autoencoder(4, hidden=(20,), activation="relu"), "tanh": VAE(2, hidden=(12,), activation="tanh"),
             "gauss": VAE(2, hidden=(16,), likelihood="gaussian", decoder_std="learned")},
], ids=["zoo", "activations"])
def test_the_page_decodes_the_path_the_models_decode(make):
    models = make()
    first = next(iter(models.values()))
    latent = InPageLatentExplorer(first, scatter=False, range="posterior", dataset=_data())  # holds that decoder
    ex = InPageInterpolationExplorer(models, dataset=_data(), index_a=3, index_b=14, n_examples=3)
    shared = [m["decoder"]["weights_from"] for m in ex.view.spec["models"]]
    assert shared[0] == latent.view.model_id and shared[1:] == [None] * (len(models) - 1)
    own = sum(p.numel() for m in list(models.values())[1:] for p in m.decoder.parameters())
    per = 2 if spec_dtype(ex) == "float16" else 4   # zoo models: float16 numbers, sent as float16 (compact export)
    assert len(ex.view.weights) == per * own  # the shared decoder is not sent twice
    spec = ex.view.spec
    pairs = [(0, 1), (ex.offered.index(3), ex.offered.index(14)), (len(ex.offered) - 1, 2)]
    js = run_js(ex.view._esm, JS_PATHS, {"models": spec["models"], "weights": ex.view.weights, "pairs": pairs,
                                          "alphas": ALPHAS, "shared": {v.model_id: v.weights for v in ex._shared}})
    worst_p = worst_z = 0.0
    for i, (name, m) in enumerate(ex.models.items()):
        for j, (a, b) in enumerate(pairs):
            za, zb = ex.codes[name][a], ex.codes[name][b]
            z = torch.stack([(1 - al) * za + al * zb for al in ALPHAS])
            with torch.no_grad():
                p = m.decode_mean(z).reshape(len(ALPHAS), -1).double().numpy()
            got = js[i][j]
            worst_z = max(worst_z, float(np.abs(np.array([g["z"] for g in got]) - z.double().numpy()).max()))
            worst_p = max(worst_p, float(np.abs(np.array([g["p"] for g in got]) - p).max()))
    assert worst_z <= TOL_Z and worst_p <= TOL_PIXEL, (worst_z, worst_p)


def test_python_side_codes_ends_and_z_are_the_reference_explorers():
    data = _data()
    models = {"AE": Autoencoder(2, hidden=(16,)), "VAE": VAE(2, hidden=(16,))}
    ex = InPageInterpolationExplorer(models, dataset=data, index_a=3, index_b=52, alpha=0.3, n_examples=2)
    # the first two of each class, plus the two ends
    assert ex.offered == sorted(set(range(20)) | {52}) and ex.index_a == 3 and ex.index_b == 52
    assert "vae-interpolation" in ex.view._dom_classes
    ref = InterpolationExplorer(models, dataset=data, index_a=3, index_b=52, alpha=0.3)
    for name in models:
        assert torch.allclose(ex.z[name], ref.z[name], atol=1e-6)
    assert ex.set_alpha(1.7) == 1.0  # clamped
    ex.set_digits(52, 3)
    ref.index_a.value, ref.index_b.value = 52, 3
    ref.alpha_slider.value = 1.0
    for name in models:
        assert torch.allclose(ex.z[name], ref.z[name], atol=1e-6)
        with torch.no_grad():
            assert torch.allclose(ex.decode()[name], models[name].decode_mean(ref.z[name][None])[0])
    with pytest.raises(ValueError, match="offers"):
        ex.set_digits(0, 60)
    assert len(ex.view.images) == 784 * len(ex.offered)
    assert set(ex.view.labels) >= {"from", "to", "example", "path", "ink"}


def test_conv_and_conditional_models_are_refused_and_the_factory_falls_back():
    conv = VAE(2, hidden=(16,), arch="conv")
    with pytest.raises(UnsupportedModel, match="interpolation_explorer"):
        InPageInterpolationExplorer({"conv": conv}, dataset=_data())
    with pytest.raises(TypeError, match="unconditional"):
        InPageInterpolationExplorer({"c": ConditionalVAE(2, hidden=(16,))}, dataset=_data())
    with pytest.warns(UserWarning, match="kernel"):
        ex = interpolation_explorer({"conv": conv, "mlp": VAE(2, hidden=(16,))}, dataset=_data(), n_examples=2)
    assert type(ex) is InterpolationExplorer
    assert type(interpolation_explorer([VAE(2, hidden=(16,))], dataset=_data())) is InPageInterpolationExplorer
    with pytest.raises(ValueError):
        InPageInterpolationExplorer([VAE(2, hidden=(16,))], dataset=_data(), index_a=500)


def test_a_saved_page_carries_every_decoder(tmp_path):
    import base64
    import json
    import re

    vae = VAE(2, hidden=(16,))
    latent = InPageLatentExplorer(vae, scatter=False)
    ex = InPageInterpolationExplorer({"VAE": vae}, dataset=_data(), n_examples=1)
    assert ex.view.spec["models"][0]["decoder"]["weights_from"] == latent.view.model_id and ex.view.weights == b""
    page = ex.save_html(tmp_path / "interp.html").read_text()
    state = json.loads(re.search(r"const state = (\{.*\});\n", page).group(1).replace("<\\/", "</"))
    assert state["spec"]["models"][0]["decoder"]["weights_from"] is None
    assert base64.b64decode(state["weights"]["$b64"]) == latent.view.weights
    latent.close()
    assert InPageInterpolationExplorer({"VAE": vae}, dataset=_data()).view.spec["models"][0]["decoder"]["weights_from"] is None
