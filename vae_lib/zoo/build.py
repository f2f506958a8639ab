"""Rebuilding the zoo: train a recipe from scratch, evaluate it as :data:`vae_lib.zoo.EVALUATION` says, and write
its checkpoint and manifest entry (``vae_lib.zoo.build``, ``python -m vae_lib.zoo build``)."""

from __future__ import annotations

import fnmatch
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import checkpoints, validate
from ..checkpoints import CLASSES, CheckpointError
from ..data import load_mnist
from ..digit_classifier import confident_fraction, predict_proba, train_classifier
from ..metrics import active_units, bits_per_dim, importance_weighted_bounds
from ..recipes import RECIPES, Recipe
from ..train import evaluate, fit, resolve_device
from .manifest import (
    ACTIVE_THRESHOLD,
    EVAL_SEED,
    EVALUATION,
    FORMAT,
    MANIFEST,
    SNAPSHOT_EVERY,
    SUBSET,
    VERSION,
    _check_name,
    _read_manifest,
    _root,
    _write_manifest,
    names,
    sha256,
    test_set,
)

__all__ = ["TRAINERS", "build", "evaluate_model", "select", "train"]

#: ``Recipe.trainer`` -> the module that trains and evaluates that kind of model, for the kinds that
#: :func:`vae_lib.train.fit` does not train. Such a module defines
#: ``train_recipe(recipe, x, y, *, epochs, device, progress, on_epoch) -> (model, history columns)`` and
#: ``evaluate_recipe(model, recipe, x, y) -> metrics dict`` (x, y: the training images / the test set of the
#: recipe's pixels). The one place where a new kind of zoo model is plugged in.
TRAINERS: dict[str, str] = {
    "hvae": "vae_lib.hierarchical",
    "diffusion": "vae_lib.diffusion",
    "vqvae": "vae_lib.vq_train",
}


def _trainer_module(recipe: Recipe):
    import importlib

    return importlib.import_module(TRAINERS[recipe.trainer])


def _clean(value: float | None) -> float | None:
    """A JSON-safe, rounded number (NaN -> None)."""
    return None if value is None or math.isnan(value) else round(float(value), 4)


def evaluate_model(model: nn.Module, recipe: Recipe, *, iwae: bool = True,
                   test: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, Any]:
    """The manifest's metrics of ``model``, measured as :data:`EVALUATION` says.

    Returns ``{"test": {elbo, rec, kl, n}, "subset1000": {...}, "active_units": int,
    "nll_iwae": {value, k, n, seed} or None}`` (a classifier: ``{"test_accuracy", "confident_fraction"}``).
    """
    x, y = test if test is not None else test_set(recipe.dataset, recipe.pixels)
    if recipe.trainer in TRAINERS:
        return _trainer_module(recipe).evaluate_recipe(model, recipe, x, y)
    if recipe.trainer == "classifier":
        grey = load_mnist("test", dataset=recipe.dataset)[0] if test is None else x
        acc = float((predict_proba(model, grey).argmax(-1) == y).float().mean())
        return {"test_accuracy": _clean(acc), "confident_fraction": _clean(confident_fraction(model, grey, 0.9))}
    labels = y if recipe.conditional else None
    sub_labels = None if labels is None else labels[:SUBSET]
    full = evaluate(model, x, labels=labels, seed=EVAL_SEED)
    sub = evaluate(model, x[:SUBSET], labels=sub_labels, seed=EVAL_SEED)
    out: dict[str, Any] = {
        "test": {k: _clean(v) for k, v in full.items()} | {"n": int(x.shape[0])},
        "subset1000": {k: _clean(v) for k, v in sub.items()} | {"n": SUBSET},
        "active_units": active_units(model, x, ACTIVE_THRESHOLD, labels=labels),
        "active_unit_threshold": ACTIVE_THRESHOLD,
        "nll_iwae": None,
    }
    if iwae and recipe.iwae_k:
        n = int(recipe.extra.get("nll_images", SUBSET))
        t0 = time.perf_counter()
        bounds = importance_weighted_bounds(model, x[:n], recipe.iwae_k, seed=EVAL_SEED,
                                            labels=None if labels is None else labels[:n])
        nll = float(-bounds.mean())
        out["nll_iwae"] = {"value": _clean(nll), "se": _clean(float(bounds.std() / math.sqrt(n))),
                           "k": recipe.iwae_k, "n": n, "seed": EVAL_SEED,
                           "seconds": round(time.perf_counter() - t0, 1)}
        if recipe.pixels == "dequantized" and recipe.config.get("likelihood") == "gaussian":  # a density
            out["bits_per_dim"] = _clean(bits_per_dim(nll))
    return out


# --------------------------------------------------------------------------- building
def select(patterns: Iterable[str] | None) -> list[str]:
    """Names matching ``patterns`` (exact names or shell globs such as ``vae-2d-beta-*``), in build order."""
    if not patterns:
        return names()
    chosen: set[str] = set()
    for p in patterns:
        hits = [n for n in RECIPES if fnmatch.fnmatchcase(n, p)]
        if not hits:
            _check_name(p)  # raises KeyError listing the known names
        chosen.update(hits)
    return [n for n in RECIPES if n in chosen]


def _check_writable(root: Path) -> None:
    """Fail before any training when the zoo folder cannot be written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise CheckpointError(root, f"the zoo folder cannot be written ({type(exc).__name__}: {exc}); choose "
                                    "another with --out DIR (or out_dir=...)", action="build into") from exc


def _train(recipe: Recipe, epochs: int, limit: int | None, dev: torch.device, progress: bool,
           on_epoch: Callable[[nn.Module, dict[str, Any]], None] | None = None):
    """Train one recipe from scratch; returns ``(model, history columns or {}, number of training images)``."""
    x, y = load_mnist("train", dataset=recipe.dataset)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    torch.manual_seed(recipe.seed)
    if recipe.trainer == "classifier":
        model = train_classifier(x, y, epochs=epochs, batch_size=recipe.batch_size, lr=recipe.lr, seed=recipe.seed,
                                 **recipe.config, **recipe.extra)
        return model, {}, x.shape[0]
    if recipe.trainer in TRAINERS:
        model, history = _trainer_module(recipe).train_recipe(recipe, x, y, epochs=epochs, device=dev,
                                                              progress=progress, on_epoch=on_epoch)
        return model, history, x.shape[0]
    model = CLASSES[recipe.model_class](**recipe.config)
    if recipe.config.get("prior") == "vamp":  # pseudo-images start at training images, chosen by the seed
        model.prior.init_from(x, torch.Generator().manual_seed(recipe.seed))
    hist = fit(model, x, epochs=epochs, beta=recipe.beta, batch_size=recipe.batch_size, lr=recipe.lr,
               seed=recipe.seed, device=dev, progress=progress, labels=y if recipe.conditional else None,
               pixels=recipe.pixels, schedule=recipe.schedule,
               kl_warmup_epochs=recipe.kl_warmup_epochs, iwae_k=recipe.extra.get("iwae_k_train", 1),
               on_epoch=on_epoch)
    if hist.interrupted:
        raise KeyboardInterrupt(f"building {recipe.name} was interrupted; its checkpoint was not written")
    cols = ("train_elbo", "train_objective", "train_rec", "train_kl")
    return model, {k: [_clean(v) for v in hist.column(k)] for k in cols}, x.shape[0]


def train(name: str, *, epochs: int | None = None, limit: int | None = None, device: str | torch.device = "auto",
          progress: bool = True) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train the zoo model ``name`` from scratch exactly as :func:`build` does, and return it (eval mode, on the
    CPU) with its per-epoch training history, without saving anything: the one function that turns a recipe into a
    trained model, for a notebook's ``TRAIN_FROM_SCRATCH = True`` cell. ``epochs`` / ``limit`` shorten it (the
    result then differs from the shipped model); everything else (architecture, seed, optimizer, schedule, KL
    warm-up, pixels, prior initialization) comes from :data:`vae_lib.recipes.RECIPES` alone.
    """
    recipe = _check_name(name)
    n_epochs = recipe.epochs if epochs is None else validate.count(epochs, "epochs")
    if limit is not None:
        limit = validate.count(limit, "limit")
    model, history, _ = _train(recipe, n_epochs, limit, resolve_device(device), progress)
    return model.cpu().eval(), history


def build(
    selection: Sequence[str] | None = None,
    *,
    out_dir: str | os.PathLike | None = None,
    epochs_override: int | None = None,
    limit: int | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    log: Callable[[str], None] = print,
    snapshots: str | os.PathLike | None = None,
) -> dict[str, dict[str, Any]]:
    """Train the selected zoo models from scratch, save them, evaluate them, update the manifest.

    For each recipe: ``torch.manual_seed(seed)``, construct the model, train it, save it in float16
    with its recipe, load the file back and evaluate *that* on the CPU, then write its manifest entry
    (after every model, atomically and under a file lock, so an interrupted build keeps what it
    finished and two builds into one folder keep each other's entries). Every argument and the
    output folder are checked before the first model trains.

    Args:
        selection: names or globs (``"vae-2d-beta-*"``); ``None``: every model, in :data:`RECIPES` order.
        out_dir: the zoo folder to write (default :func:`default_root`).
        epochs_override: train every selected model for this many epochs instead (quick checks).
        limit: train on the first ``limit`` training images only (quick checks).
        device: ``"auto"`` (a GPU when there is one), ``"cpu"``, ``"cuda"``; evaluation is always on the CPU.
        progress: show the progress bar.
        log: where one line per model goes.
        snapshots: a folder where a checkpoint of every model is saved every :data:`SNAPSHOT_EVERY` epochs
            (``NAME-eEPOCH.pt``: the material for a curve of -log p(x) against training time); not part of the zoo.

    Returns:
        name -> the manifest entry written.
    """
    from filelock import FileLock

    chosen = select(selection)
    if epochs_override is not None:
        epochs_override = validate.count(epochs_override, "epochs")
    if limit is not None:
        limit = validate.count(limit, "limit (training images)")
    root = _root(out_dir)
    _check_writable(root)
    dev = resolve_device(device)
    written: dict[str, dict[str, Any]] = {}
    for name in chosen:
        r = RECIPES[name]
        epochs = epochs_override if epochs_override is not None else r.epochs
        log(f"[zoo] {name}: {r.model_class} {r.config}, {r.dataset}, beta={r.beta:g}, {epochs} epochs, "
            f"device {dev}, {torch.get_num_threads()} threads")
        t0 = time.perf_counter()
        model, history, n_train = _train(r, epochs, limit, dev, progress, _snapshotter(snapshots, name, t0))
        train_seconds = time.perf_counter() - t0
        recipe = r.as_dict(epochs=epochs)
        path = root / f"{name}.pt"
        checkpoints.save(model.cpu(), path, storage_dtype=torch.float16, recipe=recipe)
        t1 = time.perf_counter()
        reloaded = checkpoints.load(path, device="cpu")
        metrics = evaluate_model(reloaded, r)
        entry = {
            "file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size,
            "parameters": sum(p.numel() for p in reloaded.parameters()), "storage_dtype": "float16",
            "recipe": recipe,
            "build": {"train_images": int(n_train), "limit": limit, "torch_version": str(torch.__version__),
                      "device": dev.type, "threads": torch.get_num_threads(),
                      "train_seconds": round(train_seconds, 1), "eval_seconds": round(time.perf_counter() - t1, 1),
                      "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "history": history,
            "metrics": metrics,
        }
        with FileLock(str(root / (MANIFEST + ".lock"))):  # two builds into one folder keep each other's entries
            data = _read_manifest(root)
            _write_manifest(root, {"format": FORMAT, "version": VERSION, "evaluation": EVALUATION,
                                   "models": {**data["models"], name: entry}})
        written[name] = entry
        log(f"[zoo] {name}: trained {train_seconds:.0f} s; {_summary(metrics)}; {entry['bytes'] / 1e6:.2f} MB -> {path}")
    return written


def _snapshotter(folder: str | os.PathLike | None, name: str, t0: float):
    if folder is None:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def save(model: nn.Module, row: dict[str, Any]) -> None:
        if row["epoch"] % SNAPSHOT_EVERY:
            return
        checkpoints.save(model, folder / f"{name}-e{row['epoch']:04d}.pt", storage_dtype=torch.float16,
                         epoch=row["epoch"], seconds=round(time.perf_counter() - t0, 1),
                         train_elbo=_clean(row["train_elbo"]))

    return save


def _summary(m: dict[str, Any]) -> str:
    if "test_accuracy" in m:
        return f"test accuracy {m['test_accuracy']}, confident {m['confident_fraction']}"
    if "test" not in m or "active_units" not in m:  # a kind of model of TRAINERS: its own metrics
        return ", ".join(f"{k} {v}" for k, v in m.items() if isinstance(v, (int, float)))
    t = m["test"]
    nll = f", -log p(x) {m['nll_iwae']['value']:.2f} (k={m['nll_iwae']['k']})" if m["nll_iwae"] else ""
    return f"test ELBO {t['elbo']}, rec {t['rec']}, KL {t['kl']}, active units {m['active_units']}{nll}"
