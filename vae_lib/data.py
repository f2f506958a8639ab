"""Datasets as in-memory tensors, binarization, an offline-aware data root, fast batches.

MNIST and Fashion-MNIST are small (60,000 + 10,000 images of 28 x 28 pixels), so the
whole split lives in memory as one float32 tensor ``[N, 1, 28, 28]`` in [0, 1]. Training
then slices batches out of that tensor: no ``DataLoader``, no per-item ``ToTensor()``.

The data root is, in order: the ``root`` argument, the ``VAE_LIB_DATA`` environment
variable, ``<repository>/data`` when vae_lib runs from a checkout of the repository, else
``~/.cache/vae_lib/data`` (``$XDG_CACHE_HOME`` respected). Inside it the files sit in torchvision's
layout (``MNIST/raw/`` or ``FashionMNIST/raw/``, the uncompressed IDX files). When they are
missing they are downloaded from torchvision's mirrors, with a bounded wait
(``VAE_LIB_DOWNLOAD_TIMEOUT`` seconds per connection or stalled read, 30 by default); when that is
impossible (offline), you get a :class:`DatasetNotFoundError` that says where we looked and how
to fix it. Files that are there but damaged (truncated, not IDX, images and labels of different
lengths) are named in a :class:`DatasetCorruptError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from . import validate

__all__ = [
    "DATASETS",
    "DatasetCorruptError",
    "DatasetNotFoundError",
    "batches",
    "BINARIZE_PIXELS",
    "PIXELS",
    "apply_pixels",
    "binarize_images",
    "dequantize",
    "data_root",
    "load_mnist",
    "mnist_preprocess",
]

from .mnist_files import (  # noqa: F401 - the data root, the files and their errors are this module's names too
    DATASETS,
    REPO_ROOT,
    DatasetCorruptError,
    DatasetNotFoundError,
    _load_uint8,
    data_root,
    download_timeout,
)

#: the pixel modes of the series, one vocabulary for data, ``fit``, the zoo's recipes (``Recipe.pixels``) and the
#: widgets: ``"binary"`` (dynamically binarized), ``"dequantized"`` (grey levels spread over their bins), ``"grey"``
PIXELS = ("binary", "dequantized", "grey")

#: ``load_mnist(binarize=...)`` -> the pixel mode it gives (``"static"``, a fixed threshold, is no training mode)
BINARIZE_PIXELS = {"dynamic": "binary", "dequantize": "dequantized", None: "grey"}


def _is_float(x: object) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


def binarize_images(images: torch.Tensor, mode: str = "dynamic", *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Turn grey pixels in [0, 1] into {0, 1}.

    ``"static"``: threshold at 0.5 (the same every time). ``"dynamic"``: draw each pixel
    from Bernoulli(intensity), ``x_bin ~ Bernoulli(x)``, with ``generator`` for repeatability.
    """
    images = validate.images(images, dtype=images.dtype if _is_float(images) else torch.float32)
    if not isinstance(mode, str) or mode not in ("static", "dynamic"):
        raise ValueError(f"binarize must be 'static' or 'dynamic'; got {mode!r:.60}")
    generator = validate.generator(generator)
    if mode == "static":
        return (images > 0.5).to(images.dtype)
    if mode == "dynamic":
        return torch.bernoulli(images, generator=generator)
    raise ValueError(f"binarize must be 'static' or 'dynamic'; got {mode!r}")


def dequantize(images: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Turn grey levels :math:`k/255` into continuous values :math:`y = (k + u)/256`, :math:`u \sim U(0, 1)`.

    A density :math:`p(y)` on :math:`[0, 1]^D` then gives the 256 grey levels the probability
    :math:`P(k) = \int_{[0,1]^D} p\big((k + u)/256\big)\,256^{-D}\,du \ge 256^{-D} \exp \mathbb E_u \log p`, so
    a continuous model's :math:`-\log p(y)` plus :math:`D\log 256` bounds the nats needed for the real,
    discrete image: comparable across likelihoods (bits per dimension, :func:`vae_lib.metrics.bits_per_dim`).
    """
    images = validate.images(images, dtype=images.dtype if _is_float(images) else torch.float32)
    generator = validate.generator(generator)
    return _apply_pixels(images, "dequantized", generator)


def _apply_pixels(x: torch.Tensor, pixels: str, generator: torch.Generator | None) -> torch.Tensor:
    """:func:`apply_pixels` without its checks (for a training loop that checked its images once)."""
    if pixels == "binary":       # x_bin ~ Bernoulli(x)
        return torch.bernoulli(x, generator=generator)
    if pixels == "dequantized":  # (k + u) / 256 of the grey levels k = round(255 x)
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return (torch.round(x * 255.0) + u) / 256.0
    return x                     # grey


def apply_pixels(images: torch.Tensor, pixels: str = "binary", *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Grey images in [0, 1] as the pixel mode ``pixels`` (:data:`PIXELS`, a recipe's ``pixels``) wants them:

    * ``"binary"``: a dynamic binarization, :math:`x_{bin} \sim \mathrm{Bernoulli}(x)` (:func:`binarize_images`);
    * ``"dequantized"``: :math:`(k + u)/256` of the grey levels :math:`k`, :math:`u \sim U(0, 1)` (:func:`dequantize`);
    * ``"grey"``: the images as they are.

    One draw per call with ``generator``: :func:`vae_lib.train.fit` calls it on every batch (fresh pixels each
    time), :func:`vae_lib.zoo.test_set` once on the test set with a fixed seed.
    """
    validate.choice(pixels, "pixels", PIXELS)
    images = validate.images(images, dtype=images.dtype if _is_float(images) else torch.float32)
    return _apply_pixels(images, pixels, validate.generator(generator))


apply_pixels.unchecked = _apply_pixels  # type: ignore[attr-defined]


def load_mnist(
    split: str = "train",
    *,
    dataset: str = "mnist",
    root: str | os.PathLike | None = None,
    binarize: str | None = None,
    seed: int = 0,
    download: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST or Fashion-MNIST into memory.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000).
        dataset: ``"mnist"`` or ``"fashion"``.
        root: data folder; default ``$VAE_LIB_DATA`` or ``<repo>/data``.
        binarize: ``None`` (grey values), ``"static"`` (x > 0.5), ``"dynamic"`` (one Bernoulli draw per
            pixel, seeded by ``seed``: the same draw every call), or ``"dequantize"`` (not binary: grey levels
            spread uniformly over their bin, :func:`dequantize`, seeded by ``seed``).
        seed: seed of the dynamic binarization.
        download: try to download when the files are absent (``False``: never touch the network).

    Returns:
        ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1], int64 ``[N]``.

    Raises:
        DatasetNotFoundError: files absent and not downloadable; the message says how to fix it.
    """
    validate.choice(split, "split", ("train", "test"))
    validate.choice(dataset, "dataset", tuple(DATASETS))
    validate.choice(binarize, "binarize", (None, "static", "dynamic", "dequantize"))
    seed = validate.seed(seed)
    download = validate.flag(download, "download")
    folder = data_root(root)
    data, labels = _load_uint8(dataset, split == "train", str(folder), bool(download))
    images = data.unsqueeze(1).to(torch.float32).div_(255.0)
    if binarize == "dequantize":
        images = dequantize(images, generator=torch.Generator().manual_seed(seed))
    elif binarize is not None:
        images = binarize_images(images, binarize, generator=torch.Generator().manual_seed(seed))
    return images, labels.clone()


# --------------------------------------------------------------------------- a drawn digit, made like MNIST
_BOX, _SIZE = 20, 28  # mnist_preprocess: the digit's longer side, the field


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    r"""Box-filter resampling ``[n_out, n_in]``: output cell i covers the input interval :math:`[i f, (i+1) f)`,
    :math:`f = n_{in}/n_{out}`; its weight on input cell r is the overlap of :math:`[r, r+1)` with it, over f."""
    f = n_in / n_out
    i = np.arange(n_out, dtype=np.float64)[:, None]
    r = np.arange(n_in, dtype=np.float64)[None, :]
    lo, hi = i * f, (i + 1) * f
    return np.clip(np.minimum(r + 1, hi) - np.maximum(r, lo), 0.0, None) / f


def mnist_preprocess(ink: Any) -> np.ndarray:
    r"""MNIST's normalisation of a drawn digit: ink ``[H, W]`` in [0, 1] -> a ``[28, 28]`` float64 image.

    1. the bounding box of the ink (pixels > 0), :math:`h \times w`;
    2. scaled by :math:`s = 20/\max(h, w)` to :math:`h' \times w'`, :math:`h' = \lfloor h s + \frac12\rfloor`
       (aspect kept, the longer side 20), anti-aliased by area averaging: each output pixel is the mean of
       the ink over its footprint (:func:`_area_matrix`, rows then columns);
    3. placed in a 28 x 28 field so that its centre of mass :math:`(c_y, c_x) = \sum_{ij} v_{ij}\,(i, j) / \sum v`
       (pixel indices) lands on pixel (14, 14): offset :math:`\lfloor 14 - c + \frac12\rfloor`, clamped so the box
       stays inside. MNIST's own test digits come out of this unchanged (``tests/test_inpage.py``).

    An empty drawing gives zeros. ``vae_lib/widgets/draw.js`` (the drawing pad of
    :class:`~vae_lib.widgets.DrawDigitExplorer`) implements the same steps (float64; equal to ~1e-12).
    """
    if isinstance(ink, (str, bytes)) or ink is None:
        raise TypeError(f"ink must be a [H, W] array of values in [0, 1]; got {validate._kind(ink)}")
    try:
        a = np.asarray(ink.detach().cpu() if isinstance(ink, torch.Tensor) else ink, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"ink must be a [H, W] array of numbers in [0, 1]; got {validate._kind(ink)} ({exc})") from None
    if a.ndim != 2:
        raise ValueError(f"ink must be a [H, W] array (one grey channel); got shape {a.shape}")
    validate.elements(a.size, f"ink of {a.shape[0]} x {a.shape[1]} pixels")
    if not np.isfinite(a).all():
        raise ValueError(f"ink holds {int((~np.isfinite(a)).sum())} NaN or infinite values; repair them first")
    if a.min(initial=0.0) < 0 or a.max(initial=0.0) > 1:
        lo, hi = float(a.min()), float(a.max())
        hint = " (0..255 grey levels? divide by 255)" if lo >= 0 and hi <= 255 else ""
        raise ValueError(f"ink must hold values in [0, 1]; got values from {lo:g} to {hi:g}{hint}")
    out = np.zeros((_SIZE, _SIZE))
    rows, cols = np.nonzero(a > 0)
    if rows.size == 0:
        return out
    r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
    h, w = r1 - r0 + 1, c1 - c0 + 1
    s = _BOX / max(h, w)
    oh, ow = max(1, math.floor(h * s + 0.5)), max(1, math.floor(w * s + 0.5))
    b = _area_matrix(h, oh) @ a[r0:r1 + 1, c0:c1 + 1] @ _area_matrix(w, ow).T
    m = b.sum()
    cy = (b.sum(1) * np.arange(oh)).sum() / m
    cx = (b.sum(0) * np.arange(ow)).sum() / m
    top = min(_SIZE - oh, max(0, math.floor(_SIZE // 2 - cy + 0.5)))
    left = min(_SIZE - ow, max(0, math.floor(_SIZE // 2 - cx + 0.5)))
    out[top:top + oh, left:left + ow] = np.minimum(b, 1.0)
    return out


def batches(
    *tensors: torch.Tensor,
    batch_size: int = 128,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Yield aligned mini-batches of in-memory tensors.

    The permutation is drawn once per call from ``generator`` (seeded: same order again), and
    each tensor is gathered once, so every batch is a contiguous slice: no per-item work.
    """
    if not tensors:
        raise ValueError("batches() needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"batches() takes tensors (argument {i + 1} is {validate._kind(t)}); convert with "
                            "torch.as_tensor(...), or pass batch_size=... by name")
        if t.dim() == 0:
            raise ValueError(f"batches() slices tensors along their first axis; argument {i + 1} is a scalar tensor")
    batch_size = validate.count(batch_size, "batch_size")
    shuffle = validate.flag(shuffle, "shuffle")
    drop_last = validate.flag(drop_last, "drop_last")
    generator = validate.generator(generator)
    n = tensors[0].shape[0]
    for t in tensors[1:]:
        if t.shape[0] != n:
            raise ValueError(f"all tensors must have the same first dimension; got {[t.shape[0] for t in tensors]}")
    if shuffle:
        perm = torch.randperm(n, generator=generator, device=tensors[0].device)
        tensors = tuple(t[perm] for t in tensors)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield tuple(t[start:start + batch_size] for t in tensors)
