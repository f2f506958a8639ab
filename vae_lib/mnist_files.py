"""The MNIST-family files on disk: where they are (the data root), reading the IDX files, downloading them.

The data root is, in order: the ``root`` argument, the ``VAE_LIB_DATA`` environment variable, ``<repository>/data``
when vae_lib runs from a checkout of the repository, else ``~/.cache/vae_lib/data`` (``$XDG_CACHE_HOME`` respected).
Inside it the files sit in torchvision's layout (``MNIST/raw/`` or ``FashionMNIST/raw/``, the uncompressed IDX
files). When they are missing they are downloaded from torchvision's mirrors with a bounded wait
(:func:`download_timeout`); when that is impossible (offline) a :class:`DatasetNotFoundError` says where we looked
and how to fix it; files that are there but damaged are named in a :class:`DatasetCorruptError`.
:mod:`vae_lib.data` turns them into tensors (and re-exports the public names here).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import time
import urllib.request
from functools import lru_cache
from pathlib import Path

import torch

from . import validate

__all__ = ["DATASETS", "REPO_ROOT", "DatasetCorruptError", "DatasetNotFoundError", "data_root", "download_timeout"]

#: dataset name -> (torchvision class name, which is also its folder under the data root; class names)
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mnist": ("MNIST", tuple(str(i) for i in range(10))),
    "fashion": (
        "FashionMNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}

_PACKAGE = Path(__file__).resolve().parent
#: the repository checkout vae_lib runs from, or None for an installed package
REPO_ROOT: Path | None = _PACKAGE.parent if (_PACKAGE.parent / "pyproject.toml").is_file() \
    and (_PACKAGE.parent / "notebooks").is_dir() else None


class DatasetNotFoundError(FileNotFoundError):
    """The dataset files are not on disk and could not be downloaded."""


class DatasetCorruptError(ValueError):
    """A dataset file is on disk but damaged: truncated, not an IDX file, or not matching its partner."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds the datasets: ``root``, else ``$VAE_LIB_DATA``, else ``<repo>/data`` (a
    checkout) or ``~/.cache/vae_lib/data`` (an installed package)."""
    if root is not None:
        return validate.path(root, "root")
    env = os.environ.get("VAE_LIB_DATA")
    if env:
        return Path(env).expanduser()
    if REPO_ROOT is not None:
        return REPO_ROOT / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "vae_lib" / "data"


def _missing_message(dataset: str, root: Path, cause: BaseException | None) -> str:
    folder, _ = DATASETS[dataset]
    raw = root / folder / "raw"
    why = f" (download failed: {cause})" if cause else ""
    return (
        f"{folder} was not found in {raw} and could not be downloaded{why}.\n"
        "Fix it in one of two ways:\n"
        f"  1. connect to the internet and run again: torchvision downloads {folder} into {root};\n"
        f"  2. copy the four uncompressed IDX files (train-images-idx3-ubyte, ...) into {raw},\n"
        "     or point the VAE_LIB_DATA environment variable (or root=...) at a folder whose\n"
        f"     {folder}/raw/ holds them."
    )


_IDX_MAGIC = {1: 0x00000801, 3: 0x00000803}   # unsigned bytes, 1 dimension (labels) or 3 (images)


def _idx_count(path: Path, ndim: int) -> int:
    """Check an uncompressed IDX file (magic number, header, size); return its number of items."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4 * (1 + ndim))
    fix = f"delete {path} and run again (it is downloaded anew), or copy an intact file there"
    if len(head) < 4 * (1 + ndim):
        raise DatasetCorruptError(f"{path} is truncated ({size} bytes, shorter than an IDX header); {fix}")
    magic = int.from_bytes(head[:4], "big")
    if magic != _IDX_MAGIC[ndim]:
        raise DatasetCorruptError(f"{path} is not an IDX file of {'labels' if ndim == 1 else 'images'} (magic number "
                                  f"{magic:#010x}, expected {_IDX_MAGIC[ndim]:#010x}); {fix}")
    dims = [int.from_bytes(head[4 * (i + 1):4 * (i + 2)], "big") for i in range(ndim)]
    if ndim == 3 and dims[1:] != [28, 28]:
        raise DatasetCorruptError(f"{path} holds images of {dims[1]} x {dims[2]} pixels, expected 28 x 28; {fix}")
    if dims[0] == 0:
        raise DatasetCorruptError(f"{path} holds no {'labels' if ndim == 1 else 'images'} (its header says 0); {fix}")
    expected = 4 * (1 + ndim) + math.prod(dims)
    if size != expected:
        raise DatasetCorruptError(f"{path} has {size} bytes; its header ({dims}) says {expected}: the file is "
                                  f"{'truncated' if size < expected else 'too long'}; {fix}")
    return dims[0]


def _files(dataset: str, train: bool, root: Path) -> tuple[Path, Path]:
    raw = root / DATASETS[dataset][0] / "raw"
    prefix = "train" if train else "t10k"
    return raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"


def _download(dataset: str, root: Path, timeout: float) -> None:
    """Fetch the four files of ``dataset`` from torchvision's mirrors: md5-checked, gunzipped into place.

    Every connection and every read waits at most ``timeout`` seconds; a mirror that does not answer
    is given up and the next one tried; what happens is printed.
    """
    import torchvision.datasets as tvd

    cls = getattr(tvd, DATASETS[dataset][0])
    raw = root / DATASETS[dataset][0] / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for filename, md5 in cls.resources:
        target = raw / filename.removesuffix(".gz")
        if target.is_file():
            continue
        errors = []
        for mirror in cls.mirrors:
            url = f"{mirror}{filename}"
            print(f"downloading {url} (waiting at most {timeout:g} s for each answer) ...", flush=True)
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    data = response.read()
                if hashlib.md5(data).hexdigest() != md5:
                    raise OSError(f"the file's md5 is not {md5} (a damaged or different file)")
                tmp = target.with_name(target.name + ".part")
                tmp.write_bytes(gzip.decompress(data))
                os.replace(tmp, target)
                break
            except Exception as exc:  # noqa: BLE001 - timeouts, refusals, HTTP errors: try the next mirror
                errors.append(f"{url}: {type(exc).__name__}: {exc} (after {time.monotonic() - t0:.1f} s)")
                print(f"  failed: {errors[-1]}", flush=True)
        else:
            raise OSError("no mirror answered:\n    " + "\n    ".join(errors))


@lru_cache(maxsize=8)
def _load_uint8(dataset: str, train: bool, root: str, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Check and read one split (torchvision's IDX readers), once per process; uint8 images, int64 labels."""
    from torchvision.datasets.mnist import read_image_file, read_label_file

    folder = Path(root)
    images, labels = _files(dataset, train, folder)
    if folder.exists() and not folder.is_dir():
        raise DatasetNotFoundError(f"the data folder {folder} is a file, not a folder: point root= or VAE_LIB_DATA at "
                                   f"a folder (its {DATASETS[dataset][0]}/raw/ holds the IDX files)")
    for p in (images, labels):
        if p.exists() and not p.is_file():
            raise DatasetCorruptError(f"{p} is not a file (a folder?); delete it and run again (the file is downloaded "
                                      "anew), or copy an intact file there")
    if not (images.is_file() and labels.is_file()):
        if not download:
            raise DatasetNotFoundError(_missing_message(dataset, folder, None))
        timeout = download_timeout()
        try:
            _download(dataset, folder, timeout)
        except OSError as exc:
            raise DatasetNotFoundError(_missing_message(dataset, folder, exc)) from exc
    n_images, n_labels = _idx_count(images, 3), _idx_count(labels, 1)
    if n_images != n_labels:
        raise DatasetCorruptError(f"{images.name} holds {n_images} images but {labels.name} holds {n_labels} labels: "
                                  f"the two files of one split do not belong together (in {images.parent}); "
                                  "replace the wrong one")
    y = read_label_file(str(labels)).to(torch.int64).clone()
    n_classes = len(DATASETS[dataset][1])
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= n_classes:
        raise DatasetCorruptError(f"{labels} holds labels from {lo} to {hi}; {DATASETS[dataset][0]} has classes 0 to "
                                  f"{n_classes - 1}: the file is damaged or from another dataset; delete it and run "
                                  "again (it is downloaded anew), or copy an intact file there")
    return read_image_file(str(images)).clone(), y


def download_timeout() -> float:
    """Seconds to wait for each answer of a download: ``$VAE_LIB_DOWNLOAD_TIMEOUT``, 30 by default."""
    raw = os.environ.get("VAE_LIB_DOWNLOAD_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"the environment variable VAE_LIB_DOWNLOAD_TIMEOUT must be a number of seconds > 0; got "
                         f"{raw!r:.40}") from None
    return validate.number(value, "VAE_LIB_DOWNLOAD_TIMEOUT (seconds)", minimum=0.0, strict_min=True)
