"""One pixel-mode vocabulary (``Recipe.pixels``): :func:`vae_lib.data.apply_pixels` gives, bit for bit, what the
three older paths gave for the same seeds (``fit``'s own per-batch transforms, ``load_mnist(binarize=...)`` as
``zoo.test_set`` called it), and ``fit(pixels=...)`` trains exactly as its aliases ``binarize=`` / ``dequantize=``."""

from __future__ import annotations

import pytest
import torch

from vae_lib import zoo
from vae_lib.data import PIXELS, apply_pixels, binarize_images, dequantize, load_mnist
from vae_lib.models import VAE
from vae_lib.recipes import RECIPES
from vae_lib.train import fit


def _old_fit_batches(images, mode, seed, batch_size):
    """fit's per-batch pixels before apply_pixels (copied from vae_lib/train.py as it was)."""
    x_all = torch.round(images * 255.0) if mode == "dequantize" else images
    gen_binary = torch.Generator().manual_seed(seed + 1)
    out = []
    for s in range(0, x_all.shape[0], batch_size):
        x = x_all[s:s + batch_size]
        if mode == "dynamic":
            x = torch.bernoulli(x, generator=gen_binary)
        elif mode == "dequantize":
            x = (x + torch.rand(x.shape, generator=gen_binary)) / 256.0
        out.append(x)
    return out


@pytest.mark.parametrize("mode,pixels", [("dynamic", "binary"), ("dequantize", "dequantized"), (None, "grey")])
@pytest.mark.parametrize("seed", [0, 7])
def test_apply_pixels_is_bit_identical_to_fits_old_batches(mnist_train, mode, pixels, seed):
    images = mnist_train[0][:500]
    gen = torch.Generator().manual_seed(seed + 1)
    new = [apply_pixels.unchecked(images[s:s + 128], pixels, gen) for s in range(0, 500, 128)]
    for a, b in zip(_old_fit_batches(images, mode, seed, 128), new, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("pixels,binarize", [("binary", "dynamic"), ("dequantized", "dequantize"), ("grey", None)])
def test_test_set_is_bit_identical_to_load_mnist_binarize(pixels, binarize):
    old = load_mnist("test", binarize=binarize, seed=zoo.EVAL_SEED, download=False)
    new = zoo.test_set("mnist", pixels, download=False)
    assert torch.equal(old[0], new[0]) and torch.equal(old[1], new[1])


def test_apply_pixels_matches_the_public_transforms():
    x = torch.rand(20, 1, 28, 28)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert torch.equal(apply_pixels(x, "binary", generator=g()), binarize_images(x, "dynamic", generator=g()))
    assert torch.equal(apply_pixels(x, "dequantized", generator=g()), dequantize(x, generator=g()))
    assert torch.equal(apply_pixels(x, "grey"), x)
    with pytest.raises(ValueError, match="pixels must be one of"):
        apply_pixels(x, "dynamic")


def test_recipes_speak_the_same_vocabulary():
    assert {r.pixels for r in RECIPES.values()} <= set(PIXELS)


@pytest.mark.parametrize("pixels,alias", [("binary", {"binarize": "dynamic"}), ("dequantized", {"dequantize": True}),
                                          ("grey", {})])
def test_fit_pixels_trains_exactly_as_its_aliases(mnist_train, pixels, alias):
    x = mnist_train[0][:256]
    weights = []
    for kw in ({"pixels": pixels}, alias, {"pixels": pixels, **alias}):
        torch.manual_seed(0)
        m = VAE(2, (16,))
        fit(m, x, epochs=1, batch_size=64, seed=1, progress=False, **kw)
        weights.append(torch.cat([p.detach().flatten() for p in m.parameters()]))
    assert torch.equal(weights[0], weights[1]) and torch.equal(weights[0], weights[2])


def test_fit_refuses_pixels_that_contradict_an_alias(mnist_train):
    with pytest.raises(ValueError, match="disagree"):
        fit(VAE(2, (16,)), mnist_train[0][:64], epochs=1, pixels="grey", binarize="dynamic", progress=False)
    with pytest.raises(ValueError, match="pixels must be one of"):
        fit(VAE(2, (16,)), mnist_train[0][:64], epochs=1, pixels="dynamic", progress=False)
