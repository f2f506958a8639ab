"""Plotting helpers shared by the notebooks and the explorers. Every function returns its figure.

Figures get titles and labelled axes with units; images are shown in grey with pixel
values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from . import validate
from .i18n import N_, tr

__all__ = ["image_grid", "latent_grid", "latent_scatter", "plot_history", "show_images"]


def _images(images: Any, name: str = "images") -> torch.Tensor:
    """Grey images to draw: ``[N, 1, H, W]`` or ``[N, H, W]`` (any float dtype), finite, pixels in [0, 1]."""
    if isinstance(images, torch.Tensor) and images.dim() == 3:
        images = images.unsqueeze(1)
    if isinstance(images, torch.Tensor) and images.dim() == 4 and images.shape[1] == 1:
        shape = tuple(images.shape[1:])
    else:
        shape = validate.IMAGE_SHAPE   # the message then names the expected layout and the fix
    dtype = images.dtype if isinstance(images, torch.Tensor) and images.is_floating_point() else torch.float32
    if isinstance(images, torch.Tensor):   # the size first: the check of the values reads every pixel
        validate.elements(images.numel(), f"drawing {images.shape[0] if images.dim() else 0:,} images")
    images = validate.images(images, name=name, shape=shape, dtype=dtype)
    return images


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
    images = _images(images)
    nrow = validate.count(nrow, "nrow (images per row)")
    _check_ax(ax)
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
    if isinstance(rows, torch.Tensor) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise TypeError(f"rows must be a non-empty list of image tensors, one per row; got {validate._kind(rows)}"
                        + (" (one row? pass [images])" if isinstance(rows, torch.Tensor) else ""))
    rows = [_images(r, f"rows[{i}]") for i, r in enumerate(rows)]
    if isinstance(row_titles, str) or not isinstance(row_titles, Sequence) or len(row_titles) != len(rows):
        raise ValueError(f"row_titles must be a list of {len(rows)} titles, one per row; got "
                         f"{len(row_titles) if isinstance(row_titles, Sequence) and not isinstance(row_titles, str) else validate._kind(row_titles)}")
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
                   title: str = N_("Latent codes of test images"), class_names: Sequence[str] | None = None,
                   s: float = 3.0, alpha: float = 0.6) -> Figure:
    """Scatter 2-D codes ``z [N, 2]`` coloured by label, with a legend of classes."""
    validate.float_tensor(z, "z (the codes)", finite="nan")
    z = z.detach().cpu()
    if z.dim() != 2 or z.shape[1] < 2:
        raise ValueError(f"latent_scatter needs codes of shape [N, 2] (or more: the first two are shown); got {list(z.shape)}")
    if labels is not None:
        if not isinstance(labels, torch.Tensor):
            raise TypeError(f"labels must be a tensor of class labels [N]; got {validate._kind(labels)} (convert with "
                            "torch.as_tensor(labels))")
        n_classes = len(class_names) if class_names is not None else max(10, int(labels.max()) + 1 if labels.numel()
                                                                         and not labels.is_floating_point() else 10)
        labels = validate.labels(labels, z.shape[0], n_classes, name="labels (one per code)")
    if class_names is not None and (isinstance(class_names, str) or not isinstance(class_names, Sequence)):
        raise TypeError(f"class_names must be a list of names, one per class; got {validate._kind(class_names)}")
    s = validate.number(s, "s (the marker size)", minimum=0.0)
    alpha = validate.number(alpha, "alpha", minimum=0.0, maximum=1.0)
    _check_ax(ax)
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
        ax.legend(markerscale=4, fontsize=8, loc="upper right", framealpha=0.8, title=tr("label"))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(tr(title))   # the default title in the current language; a caller's own title as given
    return ax.figure


def plot_history(history: Sequence[dict], *, title: str = N_("Training curves")) -> Figure:
    """ELBO, reconstruction term and KL per epoch (train and test), in nats per example (words in the current
    language, :func:`vae_lib.i18n.tr`)."""
    if isinstance(history, (str, bytes, dict)) or not isinstance(history, Sequence) or not history:
        raise TypeError(f"history must be what fit returns: a non-empty list of dicts, one per epoch; got "
                        f"{validate._kind(history) if not isinstance(history, Sequence) or isinstance(history, (str, dict)) else 'an empty list'}")
    need = ("epoch", *(f"{split}_{key}" for split in ("train", "test") for key in ("elbo", "rec", "kl")))
    for i, r in enumerate(history):
        missing = [k for k in need if not isinstance(r, dict) or k not in r]
        if missing:
            raise ValueError(f"history[{i}] lacks {', '.join(missing)}: plot_history draws the rows fit returns "
                             f"(keys {', '.join(need)})")
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, key, name in zip(axes, ("elbo", "rec", "kl"),
                             ("ELBO", tr("reconstruction  E_q[log p(x|z)]"), "KL(q(z|x) || p(z))")):
        for split, label, style in (("train", tr("train"), "-o"), ("test", tr("test"), "--s")):
            vals = [r[f"{split}_{key}"] for r in history]
            if any(v == v for v in vals):  # skip all-NaN series
                ax.plot(epochs, vals, style, label=label, markersize=3)
        ax.set_title(name)
        ax.set_xlabel(tr("epoch"))
        ax.set_ylabel(tr("nats per example"))
        ax.legend()
    fig.suptitle(tr(title))
    fig.tight_layout()
    return fig


def _check_ax(ax: Any) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()) or None; got {validate._kind(ax)}")


@torch.no_grad()
def latent_grid(model: torch.nn.Module, extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0),
                n: int = 15, *, ax: Axes | None = None, title: str = N_("Decoded latent plane")) -> Figure:
    """Decode an ``n x n`` grid of 2-D codes and tile the images where their codes lie.

    ``extent = (z1_min, z1_max, z2_min, z2_max)``. The tile centred at ``(z1, z2)`` shows
    ``sigmoid(model.decode(z))``, the decoder's pixel means for that code. The axes are in latent
    units, so codes (``latent_scatter(..., ax=ax)``) or points can be drawn on top.
    Works for any model with ``latent_dim == 2`` and ``decode(z) -> logits`` (Autoencoder, VAE).
    """
    n = validate.count(n, "n", minimum=2, cap="grid")
    if isinstance(model, str):
        raise TypeError(f"latent_grid needs a model; got the str {model!r:.40}: load it first, "
                        f"vae_lib.zoo.load({model!r:.40})")
    if not callable(getattr(model, "decode_mean", None)):
        raise TypeError(f"latent_grid needs a vae_lib model with a decoder; got {validate._kind(model)}")
    if getattr(model, "is_conditional", False):
        raise TypeError(f"latent_grid decodes z alone; a {type(model).__name__}'s decoder also needs a label: decode "
                        "the grid yourself with model.decode_mean(z, torch.full((n * n,), label))")
    if getattr(model, "latent_dim", None) != 2:
        raise ValueError(f"latent_grid needs a model with a 2-D latent space; got latent_dim = "
                         f"{getattr(model, 'latent_dim', None)} (decode a 2-D slice yourself for K > 2)")
    if isinstance(extent, (str, bytes)) or not isinstance(extent, Sequence) or len(extent) != 4:
        raise ValueError(f"extent must be (z1_min, z1_max, z2_min, z2_max); got {extent!r:.60}")
    _check_ax(ax)
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
    ax.set_title(tr(title))
    return ax.figure
