r"""The pretrained models: load them offline in milliseconds, rebuild them reproducibly.

Notebooks and live sliders never wait for training: every model they show is a :class:`Recipe` in
:data:`vae_lib.recipes.RECIPES` and ships as a float16 checkpoint in the package folder
``vae_lib/pretrained/`` (package data: it travels with ``pip install``), next to ``manifest.json``.

>>> from vae_lib import zoo
>>> model = zoo.load("vae-2d")                 # float32, eval mode, on the CPU; sha256 checked first
>>> zoo.info("vae-2d")["metrics"]["test"]      # nats per example, measured as EVALUATION says
>>> grid = zoo.beta_grid(10)                   # {beta: model} of the vae-10d-beta-* models

Rebuild from scratch (deterministic for a given seed and device; uses a GPU when there is one)::

    python -m vae_lib.zoo build                 # every model
    python -m vae_lib.zoo build vae-2d 'vae-10d-beta-*' --threads 2
    python -m vae_lib.zoo build ae-2d --out /tmp/zoo --epochs 1 --limit 2000   # a quick check
    python -m vae_lib.zoo list                  # names, purposes, whether each file verifies; the scheme

How every number of the manifest is measured is :data:`EVALUATION` (also written into the manifest).
This package is the zoo's face: :mod:`.manifest` reads it (the manifest, hashes, loading), :mod:`.build` trains and
evaluates models into it, :mod:`.cli` is the command line; each imports only the ones before it.
"""

from __future__ import annotations

from typing import Any

from .. import validate
from ..checkpoints import CheckpointError
from ..recipes import BETAS, RECIPES, Recipe
from . import build as _build_module
from .build import evaluate_model, train
from .cli import main
from .manifest import (  # noqa: F401 - the manifest's names are this package's
    ACTIVE_THRESHOLD,
    EVAL_SEED,
    EVALUATION,
    FORMAT,
    MANIFEST,
    SNAPSHOT_EVERY,
    SUBSET,
    VERSION,
    ZooEntry,
    _check_name,
    _entry_path,
    _manifest_cache,
    _read_manifest,
    _root,
    _where,
    _write_manifest,
    beta_grid,
    default_root,
    info,
    load,
    manifest,
    names,
    sha256,
    test_set,
)

__all__ = ["BETAS", "EVALUATION", "RECIPES", "CheckpointError", "Recipe", "beta_grid", "build", "default_root",
           "evaluate_model", "info", "ZooEntry", "load", "main", "manifest", "names", "select", "sha256", "test_set", "train"]


def _check_selection(patterns: Any) -> None:
    if isinstance(patterns, (str, bytes)):
        raise TypeError(f"the selection is a list of zoo names or globs, e.g. [{patterns!r:.40}]; got "
                        f"{validate._kind(patterns)} (a string would be read letter by letter)")


def select(patterns: Any) -> list[str]:
    """Names matching ``patterns`` (a list of exact names or shell globs such as ``vae-2d-beta-*``), in build order."""
    _check_selection(patterns)
    return _build_module.select(patterns)


def build(selection: Any = None, **kwargs: Any) -> list[str]:
    """Train the models ``selection`` (a list of names or globs; ``None``: all) into the zoo: see
    :func:`vae_lib.zoo.build.build` for the arguments."""
    _check_selection(selection)
    return _build_module.build(selection, **kwargs)

