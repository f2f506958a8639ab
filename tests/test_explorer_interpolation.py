"""InterpolationExplorer: endpoints, the path between them, picking images by digit.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import pytest
import torch
from _explorers import _ae, _count_decodes, _decoded_png, _vae, first_images

from vae_lib.widgets import (
    InterpolationExplorer,
    render_png,
)


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    """The first N synthetic test images (binarized once, seed 0) and their labels."""
    return first_images(mnist_test_binary)


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
