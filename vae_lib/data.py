"""Datasets as in-memory tensors, binarization, an offline-aware data root, fast batches.

MNIST and Fashion-MNIST are small (60,000 + 10,000 images of 28 x 28 pixels), so the
whole split lives in memory as one float32 tensor ``[N, 1, 28, 28]`` in [0, 1]. Training
then slices batches out of that tensor: no ``DataLoader``, no per-item ``ToTensor()``.

The data root is, in order: the ``root`` argument, the ``VAE_LIB_DATA`` environment
variable, ``<repository>/data``. Inside it the files sit in torchvision's layout
(``MNIST/raw/`` or ``FashionMNIST/raw/``, the uncompressed IDX files). When they are
missing, torchvision downloads them; when that is impossible (offline), you get a
:class:`DatasetNotFoundError` that says where we looked and how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import torch

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "batches",
    "binarize_images",
    "data_root",
    "load_mnist",
]

#: dataset name -> (torchvision class name, which is also its folder under the data root; class names)
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mnist": ("MNIST", tuple(str(i) for i in range(10))),
    "fashion": (
        "FashionMNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}

_REPO_ROOT = Path(__file__).resolve().parent.parent


class DatasetNotFoundError(FileNotFoundError):
    """The dataset files are not on disk and could not be downloaded."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds the datasets: ``root``, else ``$VAE_LIB_DATA``, else ``<repo>/data``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("VAE_LIB_DATA")
    if env:
        return Path(env).expanduser()
    return _REPO_ROOT / "data"


def _missing_message(dataset: str, root: Path, cause: BaseException | None) -> str:
    folder, _ = DATASETS[dataset]
    raw = root / folder / "raw"
    why = f" (download failed: {type(cause).__name__}: {cause})" if cause else ""
    return (
        f"{folder} was not found in {raw} and could not be downloaded{why}.\n"
        "Fix it in one of two ways:\n"
        f"  1. connect to the internet and run again: torchvision downloads {folder} into {root};\n"
        f"  2. copy the four uncompressed IDX files (train-images-idx3-ubyte, ...) into {raw},\n"
        "     or point the VAE_LIB_DATA environment variable (or root=...) at a folder whose\n"
        f"     {folder}/raw/ holds them."
    )


@lru_cache(maxsize=8)
def _load_uint8(dataset: str, train: bool, root: str, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Read one split through torchvision, once per process; uint8 images and int64 labels."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, DATASETS[dataset][0])
    try:
        ds = cls(root, train=train, download=False)
    except RuntimeError as not_found:
        if not download:
            raise DatasetNotFoundError(_missing_message(dataset, Path(root), None)) from not_found
        try:  # torchvision raises RuntimeError / URLError / OSError when offline
            ds = cls(root, train=train, download=True)
        except Exception as exc:  # noqa: BLE001 - turned into one clear error below
            raise DatasetNotFoundError(_missing_message(dataset, Path(root), exc)) from exc
    return ds.data.clone(), ds.targets.to(torch.int64).clone()


def binarize_images(images: torch.Tensor, mode: str = "dynamic", *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Turn grey pixels in [0, 1] into {0, 1}.

    ``"static"``: threshold at 0.5 (the same every time). ``"dynamic"``: draw each pixel
    from Bernoulli(intensity), ``x_bin ~ Bernoulli(x)``, with ``generator`` for repeatability.
    """
    if mode == "static":
        return (images > 0.5).to(images.dtype)
    if mode == "dynamic":
        return torch.bernoulli(images, generator=generator)
    raise ValueError(f"binarize must be 'static' or 'dynamic'; got {mode!r}")


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
        binarize: ``None`` (grey values), ``"static"`` (x > 0.5) or ``"dynamic"``
            (one Bernoulli draw per pixel, seeded by ``seed``: the same draw every call).
        seed: seed of the dynamic binarization.
        download: try to download when the files are absent (``False``: never touch the network).

    Returns:
        ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1], int64 ``[N]``.

    Raises:
        DatasetNotFoundError: files absent and not downloadable; the message says how to fix it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {dataset!r}")
    if binarize not in (None, "static", "dynamic"):
        raise ValueError(f"binarize must be None, 'static' or 'dynamic'; got {binarize!r}")
    folder = data_root(root)
    data, labels = _load_uint8(dataset, split == "train", str(folder), bool(download))
    images = data.unsqueeze(1).to(torch.float32).div_(255.0)
    if binarize is not None:
        images = binarize_images(images, binarize, generator=torch.Generator().manual_seed(seed))
    return images, labels.clone()


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
    n = tensors[0].shape[0]
    for t in tensors[1:]:
        if t.shape[0] != n:
            raise ValueError(f"all tensors must have the same first dimension; got {[t.shape[0] for t in tensors]}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    if shuffle:
        perm = torch.randperm(n, generator=generator, device=tensors[0].device)
        tensors = tuple(t[perm] for t in tensors)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield tuple(t[start:start + batch_size] for t in tensors)
