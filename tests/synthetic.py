"""A small synthetic data set in MNIST's shape and file format, so that the unit tests run on any machine.

``write(root)`` writes ``MNIST/raw/`` and ``FashionMNIST/raw/`` under ``root`` as the uncompressed IDX files that
torchvision's download leaves there (the same magic numbers, shapes and dtypes), so that :func:`vae_lib.data.load_mnist`
reads them through its real code path. The images are not digits: each of the 10 classes is a smooth stroke
pattern of its own (seeded), drawn with a random shift of up to two pixels, a random ink level and a little noise,
grey values in 0..255 with mostly-blank backgrounds like MNIST's. The classes are easy to tell apart and a small
VAE learns them within an epoch, which is what the unit tests need. Tests that measure the *shipped* models need the
real data: they carry the ``mnist`` marker and are not part of ``make test-fast``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import torch
import torch.nn.functional as F

SIZES = {"train": 3000, "t10k": 1000}
FOLDERS = ("MNIST", "FashionMNIST")


def _prototypes(seed: int) -> torch.Tensor:
    """10 smooth stroke patterns, [10, 28, 28] in 0..1, blank near the border."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(10, 1, 6, 6, generator=g)
    fine = F.interpolate(coarse, size=(20, 20), mode="bicubic", align_corners=False)[:, 0]
    strokes = ((fine - fine.flatten(1).quantile(0.72, dim=1)[:, None, None]) * 6).clamp(0, 1)
    out = torch.zeros(10, 28, 28)
    out[:, 4:24, 4:24] = strokes
    return out


def images_and_labels(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images [n, 28, 28] (uint8) and labels [n] (uint8), balanced over the 10 classes."""
    g = torch.Generator().manual_seed(seed)
    protos = _prototypes(seed=1234)                        # the same classes in every split
    labels = torch.arange(n) % 10
    labels = labels[torch.randperm(n, generator=g)]
    x = protos[labels]
    shifts = torch.randint(-2, 3, (n, 2), generator=g)
    x = torch.stack([torch.roll(img, (int(dy), int(dx)), dims=(0, 1)) for img, (dy, dx) in zip(x, shifts)])
    ink = 0.7 + 0.3 * torch.rand(n, 1, 1, generator=g)
    x = (x * ink + 0.05 * torch.randn(n, 28, 28, generator=g) * (x > 0)).clamp(0, 1)
    return (x * 255).round().to(torch.uint8), labels.to(torch.uint8)


def _write_idx(path: Path, data: torch.Tensor) -> None:
    """An IDX file: magic (0, 0, dtype 0x08 = ubyte, number of dimensions), the sizes (big-endian), the bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, data.dim()) + b"".join(struct.pack(">I", s) for s in data.shape)
    path.write_bytes(header + data.contiguous().numpy().tobytes())


def write(root: str | Path, sizes: dict[str, int] | None = None) -> Path:
    """Write the synthetic MNIST and Fashion-MNIST (the same images) under ``root``; returns ``root``. ``sizes``:
    images per split (default :data:`SIZES`; ``{"train": 3000, "t10k": 10000}`` gives a test set of MNIST's size)."""
    root = Path(root)
    for folder in FOLDERS:
        raw = root / folder / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for split, n in (sizes or SIZES).items():
            x, y = images_and_labels(n, seed={"train": 0, "t10k": 1}[split])
            _write_idx(raw / f"{split}-images-idx3-ubyte", x)
            _write_idx(raw / f"{split}-labels-idx1-ubyte", y)
    return root
