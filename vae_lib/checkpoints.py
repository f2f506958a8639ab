"""Save a model with its architecture; load it back safely (``torch.load(weights_only=True)``).

A checkpoint is a plain dictionary of strings, numbers, lists and tensors::

    {"format": "vae_lib.checkpoint", "version": 1,
     "class": "VAE", "config": {"latent_dim": 2, "hidden": [512, 256], ...},
     "state_dict": {...}, "metadata": {...}}

so it loads with ``weights_only=True`` (no pickled code runs) and rebuilds the model from
its config without the reader having to know the architecture.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .aae import AdversarialAutoencoder
from .classifier import DigitClassifier
from .models import MODEL_CLASSES

__all__ = ["CLASSES", "CheckpointError", "load", "load_checkpoint", "save"]

#: every class a checkpoint can hold: the models of :mod:`vae_lib.models` and the digit classifier
CLASSES: dict[str, type[nn.Module]] = {**MODEL_CLASSES, "AdversarialAutoencoder": AdversarialAutoencoder,
                                       "DigitClassifier": DigitClassifier}
_STORAGE = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

FORMAT = "vae_lib.checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: corrupt, foreign, or not matching its config."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot load checkpoint {self.path}: {reason}")


def _check_plain(value: Any, where: str) -> None:
    """Metadata must load with ``weights_only=True``: str, int, float, bool, None, lists and dicts of them."""
    if value is None or isinstance(value, (str, bool, int, float)) and type(value) in (str, bool, int, float):
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"checkpoint metadata {where} has a key {k!r} that is not a string")
            _check_plain(v, f"{where}[{k!r}]")
        return
    hint = {"PosixPath": "str(path)", "WindowsPath": "str(path)", "Tensor": "t.tolist() or float(t)"}.get(
        type(value).__name__, "float(v), int(v) or str(v)")
    raise TypeError(f"checkpoint metadata {where} is a {type(value).__name__} ({value!r:.60}); only str, int, float, "
                    f"bool, None, lists and dicts load back safely (weights_only=True): convert it, e.g. {hint}")


def save(model: nn.Module, path: str | os.PathLike, *, storage_dtype: torch.dtype | None = None,
         **metadata: Any) -> Path:
    """Write ``model`` (class, config, weights) and ``metadata`` to ``path``, atomically.

    ``storage_dtype=torch.float16`` halves the file; :func:`load` converts back to float32.
    Metadata values must be plain data (str, int, float, bool, None, lists, dicts): anything else is
    refused before a byte is written, so every file that saves also loads.
    """
    name = type(model).__name__
    if name not in CLASSES or not hasattr(model, "config"):
        raise TypeError(f"save() takes a vae_lib model ({', '.join(CLASSES)}); got {name}")
    if storage_dtype is not None and storage_dtype not in _STORAGE:
        raise ValueError(f"storage_dtype must be a floating-point type ({', '.join(map(str, _STORAGE))}) or None; "
                         f"got {storage_dtype} (an integer type would round every weight to a whole number)")
    for key, value in metadata.items():
        _check_plain(value, repr(key))
    state = {k: v.detach().to("cpu", storage_dtype if (storage_dtype and v.is_floating_point()) else v.dtype)
             .clone() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "version": VERSION, "class": name, "config": model.config,
               "state_dict": state, "metadata": metadata}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)  # never leave a half-written file under the real name
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a checkpoint file; returns its dictionary (weights on the CPU)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated zip, random bytes, pickled code ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CheckpointError(path, f"the file is corrupt or not a PyTorch file ({type(exc).__name__}: "
                                    f"{first[:200]}); rebuild or re-download it") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(path, "not a vae_lib checkpoint (a bare state_dict or another program's file?); "
                                    "save models with vae_lib.checkpoints.save")
    if payload.get("version") != VERSION:
        raise CheckpointError(path, f"format version {payload.get('version')!r}, this vae_lib reads {VERSION}")
    if payload.get("class") not in CLASSES:
        raise CheckpointError(path, f"unknown model class {payload.get('class')!r}; "
                                    f"known: {', '.join(CLASSES)}")
    for key, kind in (("config", dict), ("state_dict", dict), ("metadata", dict)):
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(path, f"field {key!r} is missing or not a {kind.__name__}")
    return payload


def load(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model stored at ``path`` (float32, eval mode) on ``device``.

    The checkpoint's metadata is attached as ``model.metadata``.

    Raises:
        CheckpointError: the file is missing, corrupt, foreign, or its weights do not fit its config.
    """
    payload = load_checkpoint(path)
    cls = CLASSES[payload["class"]]
    try:
        model = cls(**payload["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"its config {payload['config']} does not build a {cls.__name__}: {exc}") from exc
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(path, f"the weights do not match the config {payload['config']}: "
                                    f"{' '.join(str(exc).split())[:400]}") from exc
    model.metadata = payload["metadata"]
    return model.to(device).eval()
