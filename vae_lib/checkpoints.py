"""Save a model with its architecture; load it back safely (``torch.load(weights_only=True)``).

A checkpoint is a plain dictionary of strings, numbers, lists and tensors::

    {"format": "vae_lib.checkpoint", "version": 1,
     "class": "VAE", "config": {"latent_dim": 2, "hidden": [512, 256], ...},
     "state_dict": {...}, "metadata": {...}, "digest": "sha256:..."}

so it loads with ``weights_only=True`` (no pickled code runs) and rebuilds the model from
its config without the reader having to know the architecture.

**Integrity.** ``digest`` is the SHA-256 of everything else (class, config, metadata, and every tensor's name,
dtype, shape and bytes: :func:`digest`), written by :func:`save` and verified by :func:`load_checkpoint`, so one
changed byte anywhere in a weight is found; files written before digests existed (the shipped zoo's, which its
manifest's sha256 protects) load without one. Weights that are NaN or infinite are refused on save and on load.
A file that holds pickled Python objects (a whole model saved with ``torch.save(model)``, or anything else that
``weights_only=True`` refuses) is refused as "not a safe checkpoint": vae_lib never unpickles code.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import validate
from .aae import AdversarialAutoencoder
from .diffusion import DiffusionModel
from .digit_classifier import DigitClassifier
from .hierarchical import HierarchicalVAE
from .models import MODEL_CLASSES
from .vq import VQVAE

__all__ = ["CLASSES", "CheckpointError", "digest", "load", "load_checkpoint", "save"]

#: every class a checkpoint can hold, by name: the one registry of model classes (the models of :mod:`vae_lib.models`
#: and of the other model modules, the digit classifier's included). Only model modules are imported here, never the
#: zoo, so everything above (the zoo, ``classifier.load_pretrained``) imports this module at its top without a circle.
CLASSES: dict[str, type[nn.Module]] = {**MODEL_CLASSES, "AdversarialAutoencoder": AdversarialAutoencoder,
                                       "DigitClassifier": DigitClassifier,
                                       "HierarchicalVAE": HierarchicalVAE, "VQVAE": VQVAE,
                                       "DiffusionModel": DiffusionModel}
_STORAGE = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

FORMAT = "vae_lib.checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: corrupt, foreign, or not matching its config."""

    def __init__(self, path: str | os.PathLike, reason: str, *, action: str = "load checkpoint") -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot {action} {self.path}: {reason}")


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


def digest(payload: dict[str, Any]) -> str:
    """``"sha256:<hex>"`` of a checkpoint's class, config and metadata (canonical JSON) and of every tensor of its
    state_dict (name, dtype, shape, bytes, in name order): what :func:`save` writes and :func:`load_checkpoint`
    checks."""
    h = hashlib.sha256()
    head = {k: payload.get(k) for k in ("format", "version", "class", "config", "metadata")}
    h.update(json.dumps(head, sort_keys=True, separators=(",", ":"), allow_nan=True).encode())
    for name in sorted(payload["state_dict"]):
        t = payload["state_dict"][name]
        h.update(f"\n{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return "sha256:" + h.hexdigest()


def _check_weights(state: dict[str, Any], path: str | os.PathLike, when: str, action: str = "load checkpoint") -> None:
    """Every value a tensor; every floating one finite."""
    for k, v in state.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise CheckpointError(path, f"state_dict[{k!r:.60}] is {validate._kind(v)}, not a tensor: the file was not "
                                        "written by vae_lib.checkpoints.save (or was edited)", action=action)
        if v.is_floating_point() and v.numel() and not bool(torch.isfinite(v).all()):
            bad = int((~torch.isfinite(v)).sum())
            raise CheckpointError(path, f"the weights {k!r} hold {bad} NaN or infinite value(s) ({when}): a diverged "
                                        "training run or a damaged file; retrain, or use an earlier checkpoint",
                                  action=action)


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
    raw = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    path = validate.path(path, "path")
    if path.is_dir() or isinstance(raw, str) and raw.endswith(("/", os.sep)):
        raise CheckpointError(path, "the path is a folder; give a file name such as "
                                    f"{path / 'model.pt'}", action="save checkpoint")
    _check_weights(model.state_dict(), path, "not saved", action="save checkpoint")
    state = {k: v.detach().to("cpu", storage_dtype if (storage_dtype and v.is_floating_point()) else v.dtype)
             .clone() for k, v in model.state_dict().items()}
    if storage_dtype is not None:  # a weight too large for float16 becomes inf: refuse rather than store it
        _check_weights(state, path, f"not saved: too large for {storage_dtype}", action="save checkpoint")
    payload = {"format": FORMAT, "version": VERSION, "class": name, "config": model.config,
               "state_dict": state, "metadata": metadata}
    payload["digest"] = digest(payload)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, tmp)
        os.replace(tmp, path)  # never leave a half-written file under the real name
    except (OSError, RuntimeError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise CheckpointError(path, f"cannot save there ({type(exc).__name__}: {first}); check that the folder "
                                    f"{path.parent} exists or can be made, and that you may write to it",
                              action="save checkpoint") from exc
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a checkpoint file; returns its dictionary (weights on the CPU)."""
    path = validate.path(path, "path")
    if path.is_dir():
        raise CheckpointError(path, "this is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before refusing
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # weights_only refused a pickled object: never load it otherwise
        text = " ".join(str(exc).split())
        found = ""
        if "GLOBAL " in text:
            found = " (it refers to " + text.split("GLOBAL ", 1)[1].split(" ", 1)[0] + ")"
        raise CheckpointError(path, f"not a safe checkpoint: the file holds pickled Python objects{found}, which "
                                    "vae_lib does not load because unpickling can run code. A whole model saved with "
                                    "torch.save(model)? Save it with vae_lib.checkpoints.save(model, path) in the "
                                    "program that made it") from None
    except Exception as exc:  # noqa: BLE001 - truncated zip, random bytes ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CheckpointError(path, f"the file is corrupt or not a PyTorch file ({type(exc).__name__}: "
                                    f"{first[:200]}); rebuild or re-download it") from None
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
    _check_weights(payload["state_dict"], path, "refused")
    stored = payload.get("digest")
    if stored is not None:
        if not isinstance(stored, str) or stored != digest(payload):
            raise CheckpointError(path, "its contents do not match the digest saved with them: bytes of the file "
                                        "changed after it was written (a damaged copy or an edit); re-download or "
                                        "rebuild it")
    return payload


def load(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model stored at ``path`` (float32, eval mode) on ``device``.

    The checkpoint's metadata is attached as ``model.metadata``.

    Raises:
        CheckpointError: the file is missing, corrupt, foreign, or its weights do not fit its config.
    """
    device = validate.device(device)
    if device == "auto":
        from .train import resolve_device

        device = resolve_device("auto")
    payload = load_checkpoint(path)
    cls = CLASSES[payload["class"]]
    try:
        model = cls(**payload["config"])
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(path, f"its config {payload['config']} does not build a {cls.__name__}: {exc}") from exc
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(path, f"the weights do not match the config {payload['config']}: "
                                    f"{' '.join(str(exc).split())[:400]}") from exc
    model.metadata = payload["metadata"]
    return model.to(device).eval()
