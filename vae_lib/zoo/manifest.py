"""The zoo's manifest: where the zoo is, how its numbers are measured (:data:`EVALUATION`), reading and writing
``manifest.json``, and loading a model from it (sha256 first). :mod:`vae_lib.zoo` is this module's face, with
building (:mod:`.build`) and the command line (:mod:`.cli`) on top; nothing here imports either of them.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

import torch
from torch import nn

from .. import checkpoints, validate
from ..checkpoints import CheckpointError
from ..data import PIXELS, apply_pixels, load_mnist
from ..protocol import PROTOCOL
from ..recipes import RECIPES, Recipe

__all__ = ["EVALUATION", "ZooEntry", "beta_grid", "default_root", "info", "load", "manifest", "names", "sha256", "test_set"]

MANIFEST = "manifest.json"
FORMAT = "vae_lib.zoo"
VERSION = 2
SUBSET = PROTOCOL.subset                      # the fixed test subset: the first 1,000 test images
ACTIVE_THRESHOLD = PROTOCOL.active_threshold  # A_k > 0.01 counts as an active unit
EVAL_SEED = PROTOCOL.seed                     # test binarization seed and evaluation generator seed
SNAPSHOT_EVERY = 25      # epochs between two snapshots of a build with --snapshots

#: How every number of the manifest is measured (nats per example unless a key says otherwise), in words, written
#: from :data:`vae_lib.protocol.PROTOCOL`'s fields.
EVALUATION: dict[str, str] = {
    "units": "nats per example",
    "train_pixels": "binary: a fresh dynamic binarization, x ~ Bernoulli(grey value), of every batch; "
                    "dequantized: a fresh (k + u) / 256 of the grey levels k for every batch; grey: the grey values",
    "test_set": f"binary: the 10,000 test images binarized once, load_mnist('test', dataset=..., binarize='dynamic', "
                f"seed={EVAL_SEED}); dequantized: dequantized once, binarize='dequantize', seed={EVAL_SEED}; "
                "grey: the grey test images",
    "test": f"vae_lib.train.evaluate(model, test_images, seed={EVAL_SEED}): beta = 1, one seeded sample per image "
            "(an Autoencoder has no ELBO: its elbo and kl are null, rec is log p(x | z = encoder(x)))",
    "subset1000": f"the same on the first {SUBSET} test images (re-checked by the tests within 0.5 nats)",
    "active_units": f"the number of latent dimensions j with Cov_x(E_q[z_j]) > {ACTIVE_THRESHOLD} over the test set",
    "nll_iwae": f"-mean importance-weighted bound L_k (vae_lib.metrics.negative_log_likelihood) with the recipe's "
                f"k, seed {EVAL_SEED}, on the images its 'n' says (the first n test images); 'se': the standard error of "
                f"that mean over the n images (vae_lib.metrics.importance_weighted_bounds)",
    "bits_per_dim": "for densities on dequantized pixels (Gaussian decoders): (nll_iwae + 784 log 256) / (784 log 2), "
                    "vae_lib.metrics.bits_per_dim; a Bernoulli decoder on grey pixels has none (its numbers are binary "
                    "cross-entropies, not log-densities)",
    "classifier": "test accuracy, and the fraction of test digits labelled with probability > 0.9",
    "weights": "every metric is computed from the saved float16 file loaded back as float32, on the CPU",
}


class Build(TypedDict):
    """How a model was built (``info(name)["build"]``)."""

    train_images: int
    limit: int | None
    torch_version: str
    device: str
    threads: int
    train_seconds: float | None
    eval_seconds: float | None
    built_at: str


class _Curve(TypedDict, total=False):
    """The keys only some entries have: a long build's -log p(x) at its snapshots (vae-vamp-40d) and how it was
    measured."""

    curve: list[dict[str, float]]
    curve_measure: str


class ZooEntry(_Curve):
    """A model's manifest entry, as :func:`info` returns it: its file (``file``, ``sha256``, ``bytes``, weights
    stored as ``storage_dtype``), ``parameters``, the ``recipe`` it was built with (the fields of :class:`Recipe`),
    ``build``, the training ``history`` (column -> one value per epoch) and the ``metrics`` measured as
    :data:`EVALUATION` says (``test`` and ``subset1000``: ``{elbo, rec, kl, n}`` for the models ``fit`` trains, each
    kind's own figures for the kinds of ``zoo.build.TRAINERS``; ``active_units``; ``nll_iwae``: ``{value, se, k, n,
    seed}`` or None)."""

    file: str
    sha256: str
    bytes: int
    parameters: int
    storage_dtype: str
    recipe: dict[str, Any]
    build: Build
    history: dict[str, list[float | None]]
    metrics: dict[str, Any]


# --------------------------------------------------------------------------- locating, hashing
def default_root() -> Path:
    """The zoo folder: ``$VAE_LIB_ZOO`` if set, else the package's own ``vae_lib/pretrained``."""
    env = os.environ.get("VAE_LIB_ZOO")
    if env:
        return Path(env).expanduser()
    return Path(str(resources.files("vae_lib") / "pretrained"))


def names(group: str | None = None) -> list[str]:
    """Every model name of the zoo in build order (``group``: only that set, e.g. ``"beta-10d"``)."""
    if group is not None:
        groups = sorted({r.group for r in RECIPES.values() if r.group})
        validate.choice(group, "group", groups)
    return [n for n, r in RECIPES.items() if group is None or r.group == group]


def _check_name(name: Any) -> Recipe:
    if not isinstance(name, str) or name not in RECIPES:
        raise KeyError(f"unknown zoo model {name!r}; known models: {', '.join(RECIPES)}")
    return RECIPES[name]


def sha256(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _root(root: str | os.PathLike | None) -> Path:
    return validate.path(root, "root") if root is not None else default_root()


def _where(root: Path) -> str:
    """How ``root`` was chosen, for messages: the folder, and the variable that named it."""
    env = os.environ.get("VAE_LIB_ZOO")
    return f"{root} (from VAE_LIB_ZOO)" if env and Path(env).expanduser() == root else str(root)


def _entry_path(root: Path, name: str, entry: dict[str, Any]) -> Path:
    """The checkpoint file of ``name``: always ``<root>/<name>.pt``, the zoo's own naming. A manifest entry that
    points elsewhere (another model's file, a path outside the zoo folder) is refused."""
    expected = f"{name}.pt"
    if entry["file"] != expected:
        raise CheckpointError(root / MANIFEST, f"the entry of {name!r} names the file {entry['file']!r:.80}; a zoo model's "
                                               f"file is {expected!r} in the zoo folder: the manifest was edited or "
                                               "damaged; restore it (git checkout) or rebuild the model", action="use the zoo manifest")
    return root / expected


_manifest_cache: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def _read_manifest(root: Path) -> dict[str, Any]:
    """The parsed, checked manifest of ``root`` (cached while the file's size and mtime stay the same)."""
    path = root / MANIFEST
    try:
        st = path.stat()
    except FileNotFoundError:
        return {"format": FORMAT, "version": VERSION, "models": {}}
    except OSError as exc:
        raise CheckpointError(path, f"the manifest cannot be read ({type(exc).__name__}: {exc})", action="use the zoo manifest") from exc
    if not path.is_file():
        raise CheckpointError(path, "the manifest is not a file (a folder?); restore it (git checkout) or rebuild with "
                                    "`python -m vae_lib.zoo build`", action="use the zoo manifest")
    key = (st.st_mtime_ns, st.st_size)
    hit = _manifest_cache.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    fix = "restore it (git checkout) or rebuild with `python -m vae_lib.zoo build`"
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(path, f"the manifest is not valid JSON ({exc}); {fix}", action="use the zoo manifest") from exc
    except OSError as exc:
        raise CheckpointError(path, f"the manifest cannot be read ({type(exc).__name__}: {exc}); {fix}", action="use the zoo manifest") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("models"), dict):
        raise CheckpointError(path, f"not a vae_lib zoo manifest (expected a JSON object with format {FORMAT!r} and "
                                    f"a 'models' table); {fix}", action="use the zoo manifest")
    if data.get("version") != VERSION:
        raise CheckpointError(path, f"manifest version {data.get('version')!r}; this vae_lib reads {VERSION}; {fix}", action="use the zoo manifest")
    for name, entry in data["models"].items():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("file", "sha256")):
            raise CheckpointError(path, f"the entry of {name!r} is not an object with 'file' and 'sha256'; {fix}", action="use the zoo manifest")
    _manifest_cache[str(path)] = (key, data)
    return data


def _write_manifest(root: Path, data: dict[str, Any]) -> None:
    """Atomically write the manifest, models in :data:`RECIPES` order (unknown names last)."""
    order = {n: i for i, n in enumerate(RECIPES)}
    data["models"] = dict(sorted(data["models"].items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    path = root / MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- public API
def manifest(*, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The whole manifest of ``root`` (default :func:`default_root`): ``{"format", "version",
    "evaluation", "models": {name: entry}}`` (a copy; an empty ``models`` table when nothing is built)."""
    return json.loads(json.dumps(_read_manifest(_root(root))))


def info(name: str, *, root: str | os.PathLike | None = None) -> ZooEntry:
    """The manifest entry of ``name`` (a copy): ``file``, ``sha256``, ``bytes``, ``parameters``, ``recipe``
    (the :class:`Recipe` it was built with), ``build`` (device, time ...), ``history`` and ``metrics``.

    Raises:
        KeyError: ``name`` is not a zoo model (the message lists the known ones).
        CheckpointError: the model has not been built into ``root``.
    """
    _check_name(name)
    root = _root(root)
    if not root.is_dir():
        raise CheckpointError(_where(root), "the folder does not exist (or is not a folder); point "
                                    "root= or VAE_LIB_ZOO at a zoo folder, or build one with `python -m vae_lib.zoo "
                                    f"build {name} --out {root}`", action="use the zoo at")
    if not (root / MANIFEST).exists():
        raise CheckpointError(root / MANIFEST, f"the zoo folder {_where(root)} has no {MANIFEST}: nothing is built "
                                               f"there; build {name!r} with `python -m vae_lib.zoo build {name} --out "
                                               f"{root}`, or point VAE_LIB_ZOO at the package's zoo", action="load a zoo model from")
    entry = _read_manifest(root)["models"].get(name)
    if entry is None:
        raise CheckpointError(root / MANIFEST, f"{name!r} has no entry: build it with "
                                               f"`python -m vae_lib.zoo build {name}` (or `make pretrained`)", action="load a zoo model from")
    return json.loads(json.dumps(entry))


def load(name: str, *, root: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> nn.Module:
    """The zoo model ``name``, float32, in eval mode, on ``device`` (a fresh copy on every call).

    The file's SHA-256 is checked against the manifest before anything is unpickled; the
    manifest entry is attached as ``model.zoo_info`` and the checkpoint's metadata as
    ``model.metadata``.

    Raises:
        KeyError: unknown name (the message lists the known ones).
        CheckpointError: not built, missing, tampered or truncated file (names the file and both hashes).
    """
    entry = info(name, root=root)
    path = _entry_path(_root(root), name, entry)
    validate.device(device)
    if not path.is_file():
        raise CheckpointError(path, f"the file of {name!r} is missing; restore it (git checkout {path}) or "
                                    f"rebuild it with `python -m vae_lib.zoo build {name}`")
    found = sha256(path)
    if found != entry["sha256"]:
        raise CheckpointError(path, f"sha256 mismatch: the manifest expects {entry['sha256']}, the file has {found} "
                                    f"({path.stat().st_size} bytes, manifest says {entry.get('bytes')}); the file was "
                                    f"changed or truncated: restore it (git checkout {path}) or rebuild it with "
                                    f"`python -m vae_lib.zoo build {name}`")
    model = checkpoints.load(path, device=device)
    expected = RECIPES[name].model_class
    if type(model).__name__ != expected:
        raise CheckpointError(path, f"holds a {type(model).__name__}, but {name!r} is a {expected} (its recipe): the "
                                    "file or the manifest was swapped; restore them (git checkout) or rebuild "
                                    f"`python -m vae_lib.zoo build {name}`")
    model.zoo_info = entry
    return model


def beta_grid(latent_dim: int, *, root: str | os.PathLike | None = None) -> dict[float, nn.Module]:
    """The beta grid with ``latent_dim`` latent dimensions (2 or 10) as ``{beta: model}``, betas ascending:
    the zoo models of recipe group ``f"beta-{latent_dim}d"`` that are built."""
    latent_dim = validate.count(latent_dim, "latent_dim")
    group = f"beta-{latent_dim}d"
    members = [n for n, r in RECIPES.items() if r.group == group]
    if not members:
        groups = sorted({r.group for r in RECIPES.values() if r.group.startswith("beta-")})
        raise ValueError(f"the zoo has no beta grid with latent_dim={latent_dim!r}; it has {', '.join(groups)}")
    built = _read_manifest(_root(root))["models"]
    return {RECIPES[n].beta: load(n, root=root) for n in sorted(members, key=lambda n: RECIPES[n].beta) if n in built}


# --------------------------------------------------------------------------- evaluation
def test_set(dataset: str, pixels: str = "binary", *, download: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed test set of ``dataset``: binarized or dequantized once with seed :data:`EVAL_SEED`, or grey
    (``download`` as :func:`vae_lib.data.load_mnist`)."""
    validate.choice(pixels, "pixels", PIXELS)
    kwargs = {} if download is None else {"download": download}
    images, labels = load_mnist("test", dataset=dataset, **kwargs)
    return apply_pixels(images, pixels, generator=torch.Generator().manual_seed(EVAL_SEED)), labels
