"""Plotting helpers shared by the notebooks and the explorers. Every function returns its figure.

Figures get titles and labelled axes with units; images are shown in grey with pixel
values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from . import validate

__all__ = ["image_grid", "latent_grid", "latent_scatter", "plot_history", "show_images"]


def _grid(images: torch.Tensor, nrow: int, pad: int = 1, pad_value: float = 0.2) -> torch.Tensor:
    """Tile ``[N, 1, H, W]`` images into one ``[H', W']`` array with ``torchvision.utils.make_grid``.

    The separators are light grey (0.2 with the ``gray_r`` colormap): black lines would look like ink, e.g. a "1".
    """
    images = images.detach().float().cpu()
    if images.dim() == 3:
        images = images.unsqueeze(1)
    grid = make_grid(images, nrow=nrow, padding=pad, pad_value=pad_value)[0]
    return grid[pad:grid.shape[0] - pad, pad:grid.shape[1] - pad]  # separators between images, no outer frame


def image_grid(images: torch.Tensor, nrow: int = 10, *, title: str | None = None, ax: Axes | None = None,
               figsize: tuple[float, float] | None = None) -> Figure:
    """Show images ``[N, 1, 28, 28]`` (values in [0, 1]) as one grid with ``nrow`` per row."""
    grid = _grid(images, nrow)
    if ax is None:
        rows = grid.shape[0] / (grid.shape[1] / nrow)
        fig, ax = plt.subplots(figsize=figsize or (min(1.0 * nrow, 12), min(1.0 * rows, 12)))
    ax.imshow(grid.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax.figure


def show_images(rows: Sequence[torch.Tensor], row_titles: Sequence[str], *, title: str | None = None) -> Figure:
    """Several rows of images with a label at the left of each (e.g. inputs / reconstructions)."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(rows[0].shape[0], 12), 1.2 * len(rows) + 0.4), squeeze=False)
    for ax, imgs, name in zip(axes[:, 0], rows, row_titles):
        image_grid(imgs, nrow=imgs.shape[0], ax=ax)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        for s in ax.spines.values():
            s.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def latent_scatter(z: torch.Tensor, labels: torch.Tensor | None = None, *, ax: Axes | None = None,
                   title: str = "Latent codes of test images", class_names: Sequence[str] | None = None,
                   s: float = 3.0, alpha: float = 0.6) -> Figure:
    """Scatter 2-D codes ``z [N, 2]`` coloured by label, with a legend of classes."""
    z = z.detach().cpu()
    if z.dim() != 2 or z.shape[1] < 2:
        raise ValueError(f"latent_scatter needs codes of shape [N, 2] (or more: the first two are shown); got {list(z.shape)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, color="tab:blue", rasterized=True)
    else:
        labels = labels.cpu()
        cmap = plt.get_cmap("tab10")
        for c in sorted(set(labels.tolist())):
            m = labels == c
            name = class_names[c] if class_names is not None else str(c)
            ax.scatter(z[m, 0], z[m, 1], s=s, alpha=alpha, color=cmap(c % 10), label=name, rasterized=True)
        ax.legend(markerscale=4, fontsize=8, loc="upper right", framealpha=0.8, title="label")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return ax.figure


def plot_history(history: Sequence[dict], *, title: str = "Training curves") -> Figure:
    """ELBO, reconstruction term and KL per epoch (train and test), in nats per example."""
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, key, name in zip(axes, ("elbo", "rec", "kl"),
                             ("ELBO", "reconstruction  E_q[log p(x|z)]", "KL(q(z|x) || p(z))")):
        for split, style in (("train", "-o"), ("test", "--s")):
            vals = [r[f"{split}_{key}"] for r in history]
            if any(v == v for v in vals):  # skip all-NaN series
                ax.plot(epochs, vals, style, label=split, markersize=3)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per example")
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@torch.no_grad()
def latent_grid(model: torch.nn.Module, extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0),
                n: int = 15, *, ax: Axes | None = None, title: str = "Decoded latent plane") -> Figure:
    """Decode an ``n x n`` grid of 2-D codes and tile the images where their codes lie.

    ``extent = (z1_min, z1_max, z2_min, z2_max)``. The tile centred at ``(z1, z2)`` shows
    ``sigmoid(model.decode(z))``, the decoder's pixel means for that code. The axes are in latent
    units, so codes (``latent_scatter(..., ax=ax)``) or points can be drawn on top.
    Works for any model with ``latent_dim == 2`` and ``decode(z) -> logits`` (Autoencoder, VAE).
    """
    n = validate.count(n, "n", minimum=2)
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError(f"latent_grid needs a model with a 2-D latent space; got latent_dim = "
                         f"{getattr(model, 'latent_dim', None)} (decode a 2-D slice yourself for K > 2)")
    if len(extent) != 4:
        raise ValueError(f"extent must be (z1_min, z1_max, z2_min, z2_max); got {extent!r}")
    x0, x1, y0, y1 = (validate.number(v, "every extent value") for v in extent)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"extent must have z1_min < z1_max and z2_min < z2_max; got {extent!r}")
    device = next(model.parameters()).device
    z1 = torch.linspace(x0, x1, n)
    z2 = torch.linspace(y1, y0, n)                      # top row of the picture = largest z2
    g2, g1 = torch.meshgrid(z2, z1, indexing="ij")
    z = torch.stack([g1, g2], dim=-1).reshape(-1, 2)    # row-major: rows top to bottom
    was_training = model.training
    model.eval()
    try:
        images = model.decode_mean(z.to(device)).cpu()
    finally:
        model.train(was_training)
    mosaic = _grid(images, nrow=n, pad=0)
    dx, dy = (x1 - x0) / (n - 1), (y1 - y0) / (n - 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(mosaic.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest",
              extent=(x0 - dx / 2, x1 + dx / 2, y0 - dy / 2, y1 + dy / 2))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    return ax.figure
