"""Plot helpers return figures and put decoded images where their codes are."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from vae_lib.models import VAE, Autoencoder
from vae_lib.plots import latent_grid


@pytest.fixture(autouse=True)
def _agg():
    """pyplot on Agg for every test here, whatever an earlier test (an ipympl explorer) left as the backend."""
    plt.switch_backend("Agg")


def test_latent_grid_places_each_tile_at_its_code():
    torch.manual_seed(0)
    model = VAE(2, hidden=(8,))
    n, extent = 3, (-1.0, 1.0, -2.0, 2.0)
    fig = latent_grid(model, extent, n=n)
    mosaic = fig.axes[0].images[0].get_array()
    assert mosaic.shape == (28 * n, 28 * n)
    # the top-left tile is z = (z1_min, z2_max), the bottom-right one z = (z1_max, z2_min)
    for (row, col), z in {(0, 0): (-1.0, 2.0), (n - 1, n - 1): (1.0, -2.0), (0, n - 1): (1.0, 2.0)}.items():
        expected = torch.sigmoid(model.decode(torch.tensor([z]))).detach()[0, 0].numpy()
        tile = mosaic[row * 28:(row + 1) * 28, col * 28:(col + 1) * 28]
        assert abs(tile - expected).max() < 1e-6
    lo, hi, bottom, top = fig.axes[0].images[0].get_extent()
    assert (lo, hi, bottom, top) == (-1.5, 1.5, -3.0, 3.0)   # half a step beyond the outer codes
    plt.close(fig)


def test_latent_grid_works_for_an_autoencoder_and_rejects_k_other_than_2():
    torch.manual_seed(0)
    fig = latent_grid(Autoencoder(2, hidden=(8,)), n=2)
    plt.close(fig)
    with pytest.raises(ValueError, match="2-D latent space"):
        latent_grid(VAE(3, hidden=(8,)))


def test_image_grid_separators_are_light_not_ink():
    from vae_lib.plots import image_grid

    images = torch.zeros(2, 1, 28, 28)
    fig = image_grid(images, nrow=2)
    grid = fig.axes[0].images[0].get_array()
    assert grid.shape == (28, 57)
    assert 0 < grid[0, 28] < 0.5          # the 1-pixel separator column: light grey, not black ink (1.0)
    plt.close(fig)
