r"""The pretrained models in ``assets/checkpoints/``: build them reproducibly, load them offline.

Notebooks and live sliders never wait for training: every model they show is listed in
:data:`RECIPES` (one table: name -> class, architecture, dataset, beta, epochs, ...) and ships
as a float16 checkpoint next to ``manifest.json``, trained by this module's :func:`build`.

>>> from vae_lib import zoo
>>> zoo.names()[:3]
['ae-2d', 'vae-2d', 'vae-2d-beta-0']
>>> model = zoo.load("vae-2d")        # float32, eval mode, on the CPU; sha256 checked first
>>> zoo.info("vae-2d")["metrics"]["test"]["elbo"]   # nats per example, from the manifest

Rebuild from scratch (deterministic for a given seed and device; uses a GPU when there is one)::

    python -m vae_lib.zoo build                 # every model, into assets/checkpoints/
    python -m vae_lib.zoo build vae-2d 'vae-10d-beta-*' --threads 2
    python -m vae_lib.zoo build ae-2d --out /tmp/zoo --epochs 1 --limit 2000   # a quick check
    python -m vae_lib.zoo list                  # names, purposes, and whether each file verifies

**Evaluation scheme** (every number in the manifest, in nats per example):

* training: *dynamic* binarization, a fresh draw :math:`x \sim \mathrm{Bernoulli}(\text{grey value})`
  for every batch (``fit(..., binarize="dynamic")``);
* test set: the 10,000 test images binarized *once*, dynamically with seed 0
  (``load_mnist("test", binarize="dynamic", seed=0)``, or ``dataset="fashion"``);
* ``test``: ELBO, reconstruction term :math:`\mathbb{E}_q[\log p_\theta(x\mid z)]` and
  :math:`\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))` over the 10,000 test images, beta = 1, one
  reparameterized sample per image from a generator seeded with 0 (``evaluate(model, x, seed=0)``);
* ``subset1000``: the same on the first 1,000 of them (what the tests re-check, within 0.5 nats);
* ``active_units``: :math:`\#\{k : \mathrm{Cov}_x(\mathbb{E}_q[z_k]) > 0.01\}` over the test set;
* ``nll_iwae`` (vae-2d, vae-20d): :math:`-\frac1N\sum_n \mathcal{L}_k(x_n)` with k = 1000 on the
  first 1,000 test images, seed 0 (an upper bound on :math:`-\log p(x)`, tight as k grows).

Every metric is computed from the *saved* file (float16 weights loaded back as float32), so
the manifest describes exactly what :func:`load` returns. An Autoencoder has no ELBO: its
``elbo`` and ``kl`` are ``null`` and ``rec`` is :math:`\log p(x\mid z = \text{encoder}(x))`.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoints
from .checkpoints import CheckpointError
from .data import _REPO_ROOT, load_mnist
from .metrics import active_units, negative_log_likelihood
from .models import MODEL_CLASSES

__all__ = [
    "BETAS",
    "CheckpointError",
    "RECIPES",
    "Recipe",
    "build",
    "default_root",
    "evaluate_model",
    "info",
    "load",
    "main",
    "manifest",
    "names",
    "select",
    "sha256",
    "test_set",
]

MANIFEST = "manifest.json"
FORMAT = "vae_lib.zoo"
VERSION = 1
#: the beta grid of the ``vae-2d-beta-*`` and ``vae-10d-beta-*`` models (0 = reconstruction only)
BETAS: tuple[float, ...] = (0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
SUBSET = 1000            # the fixed test subset: the first 1,000 binarized test images
ACTIVE_THRESHOLD = 0.01  # A_k > 0.01 counts as an active unit
EVAL_SEED = 0            # test binarization seed and evaluation generator seed


@dataclass(frozen=True)
class Recipe:
    """How one zoo model is trained: everything :func:`build` needs, nothing else.

    ``model_class`` is a key of :data:`vae_lib.models.MODEL_CLASSES`; ``config`` its constructor
    arguments. Training: Adam(``lr``), ``batch_size``, ``epochs``, learning-rate ``schedule``,
    objective ``E_q[log p(x|z)] - beta * KL`` with dynamic binarization, all seeded by ``seed``
    (initial weights: ``torch.manual_seed(seed)`` before the constructor).
    ``iwae_k``: estimate -log p(x) with this many importance samples (None: skip).
    """

    name: str
    model_class: str
    config: dict[str, Any]
    purpose: str
    dataset: str = "mnist"
    beta: float = 1.0
    epochs: int = 12
    batch_size: int = 128
    lr: float = 1e-3
    schedule: str = "cosine"
    seed: int = 0
    iwae_k: int | None = None
    notes: str = ""

    @property
    def conditional(self) -> bool:
        """True for a model that needs the labels (ConditionalVAE)."""
        return self.model_class == "ConditionalVAE"


_SMALL = (256, 128)   # 2-D / 10-D explorers: ~0.47 M parameters, ~0.9 MB in float16


def _recipes() -> dict[str, Recipe]:
    table = [
        Recipe("ae-2d", "Autoencoder", {"latent_dim": 2, "hidden": _SMALL},
               "AE vs VAE, holes in the latent space", epochs=12,
               notes="an Autoencoder has no ELBO: rec is log p(x | z = encoder(x)); elbo and kl are null"),
        Recipe("vae-2d", "VAE", {"latent_dim": 2, "hidden": [512, 256]},
               "latent sliders, manifold, interpolation", epochs=25, iwae_k=1000),
        *(Recipe(f"vae-2d-beta-{b:g}", "VAE", {"latent_dim": 2, "hidden": _SMALL},
                 "the beta slider: latent scatter, samples, reconstructions", beta=b, epochs=8,
                 notes="beta = 0: reconstruction only, with a stochastic encoder" if b == 0 else "")
          for b in BETAS),
        *(Recipe(f"vae-10d-beta-{b:g}", "VAE", {"latent_dim": 10, "hidden": _SMALL},
                 "rate-distortion curve, active units, posterior collapse", beta=b, epochs=8,
                 notes="beta = 0: reconstruction only, with a stochastic encoder" if b == 0 else "")
          for b in BETAS),
        Recipe("cvae-2d", "ConditionalVAE", {"latent_dim": 2, "hidden": _SMALL, "n_classes": 10},
               "conditional generation (label -> encoder and decoder)", epochs=8),
        Recipe("fashion-vae-2d", "VAE", {"latent_dim": 2, "hidden": _SMALL},
               "a second dataset in the explorers", dataset="fashion", epochs=8),
        Recipe("vae-20d", "VAE", {"latent_dim": 20, "hidden": [512, 256]},
               "quality, importance-weighted log-likelihood, samples", epochs=100, iwae_k=1000,
               notes="the best MLP VAE the shared-CPU budget allowed: 784-512-256-20, SiLU, Adam 1e-3 with "
                     "cosine decay, 100 epochs (about 11 minutes of one idle CPU core)"),
    ]
    return {r.name: r for r in table}


#: name -> :class:`Recipe`, in build order (the small models the notebooks need first, vae-20d last)
RECIPES: dict[str, Recipe] = _recipes()


# --------------------------------------------------------------------------- locating, hashing
def default_root() -> Path:
    """The zoo folder: ``$VAE_LIB_ZOO`` if set, else ``<repository>/assets/checkpoints``."""
    env = os.environ.get("VAE_LIB_ZOO")
    return Path(env).expanduser() if env else _REPO_ROOT / "assets" / "checkpoints"


def names() -> list[str]:
    """Every model name of the zoo, in build order."""
    return list(RECIPES)


def _check_name(name: str) -> Recipe:
    if name not in RECIPES:
        raise KeyError(f"unknown zoo model {name!r}; known models: {', '.join(RECIPES)}")
    return RECIPES[name]


def sha256(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_manifest_cache: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def _read_manifest(root: Path) -> dict[str, Any]:
    """The parsed manifest of ``root`` (cached while the file's size and mtime stay the same)."""
    path = root / MANIFEST
    try:
        st = path.stat()
    except FileNotFoundError:
        return {"format": FORMAT, "version": VERSION, "models": {}}
    key = (st.st_mtime_ns, st.st_size)
    hit = _manifest_cache.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(path, f"the manifest is not valid JSON ({exc}); restore it with git or rebuild "
                                    "with `python -m vae_lib.zoo build`") from exc
    if data.get("format") != FORMAT or not isinstance(data.get("models"), dict):
        raise CheckpointError(path, f"not a vae_lib zoo manifest (expected format {FORMAT!r} and a 'models' table)")
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


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder ``root`` itself (POSIX; no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # Windows: do not run two builds into one folder at the same time
        yield
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --------------------------------------------------------------------------- public API
def manifest(*, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The whole manifest of ``root`` (default :func:`default_root`): ``{"format", "version",
    "evaluation", "models": {name: entry}}`` (a copy; an empty ``models`` table when nothing is built)."""
    return json.loads(json.dumps(_read_manifest(Path(root) if root is not None else default_root())))


def info(name: str, *, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest entry of ``name``: file, sha256, architecture, data, training, metrics (a copy).

    Raises:
        KeyError: ``name`` is not a zoo model (the message lists the known ones).
        CheckpointError: the model has not been built into ``root``.
    """
    _check_name(name)
    root = Path(root) if root is not None else default_root()
    entry = _read_manifest(root)["models"].get(name)
    if entry is None:
        raise CheckpointError(root / MANIFEST, f"{name!r} has no entry: build it with "
                                               f"`python -m vae_lib.zoo build {name}` (or `make pretrained`)")
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
    root = Path(root) if root is not None else default_root()
    path = root / entry["file"]
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
    model.zoo_info = entry
    return model


# --------------------------------------------------------------------------- evaluation
def test_set(dataset: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed binarized test set of ``dataset`` (seed :data:`EVAL_SEED`)."""
    return load_mnist("test", dataset=dataset, binarize="dynamic", seed=EVAL_SEED)


def _clean(value: float) -> float | None:
    """A JSON-safe, rounded number (NaN -> None)."""
    return None if value is None or math.isnan(value) else round(float(value), 4)


def evaluate_model(model: nn.Module, recipe: Recipe, *, iwae: bool = True,
                   test: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, Any]:
    """The manifest's metrics of ``model`` (see the module docstring for the scheme).

    Returns ``{"test": {elbo, rec, kl, n}, "subset1000": {...}, "active_units": int,
    "nll_iwae": {value, k, n, seed} or None}``; nats per example, ``None`` where undefined.
    """
    from .train import evaluate

    x, y = test if test is not None else test_set(recipe.dataset)
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
        t0 = time.perf_counter()
        nll = negative_log_likelihood(model, x[:SUBSET], recipe.iwae_k, labels=sub_labels, seed=EVAL_SEED)
        out["nll_iwae"] = {"value": _clean(nll), "k": recipe.iwae_k, "n": SUBSET, "seed": EVAL_SEED,
                           "seconds": round(time.perf_counter() - t0, 1)}
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


def _train_data(recipe: Recipe, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load_mnist("train", dataset=recipe.dataset)
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1 training images; got {limit}")
        x, y = x[:limit], y[:limit]
    return x, y


def build(
    selection: Sequence[str] | None = None,
    *,
    out_dir: str | os.PathLike | None = None,
    epochs_override: int | None = None,
    limit: int | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Train the selected zoo models from scratch, save them, evaluate them, update the manifest.

    For each recipe: ``torch.manual_seed(seed)``, construct the model, ``fit`` it on the
    training set (dynamic binarization, seeded), save it in float16, load the file back and
    evaluate *that* on the CPU, then write its manifest entry (after every model, atomically,
    so an interrupted build keeps what it finished).

    Args:
        selection: names or globs (``"vae-2d-beta-*"``); ``None``: every model, in :data:`RECIPES` order.
        out_dir: the zoo folder to write (default :func:`default_root`, i.e. ``assets/checkpoints``).
        epochs_override: train every selected model for this many epochs instead (quick checks).
        limit: train on the first ``limit`` training images only (quick checks).
        device: ``"auto"`` (a GPU when there is one), ``"cpu"``, ``"cuda"``; evaluation is always on the CPU.
        progress: show ``fit``'s progress bar.
        log: where one line per model goes.

    Returns:
        name -> the manifest entry written.
    """
    from .train import fit, resolve_device

    chosen = select(selection)
    root = Path(out_dir) if out_dir is not None else default_root()
    root.mkdir(parents=True, exist_ok=True)
    dev = resolve_device(device)
    written: dict[str, dict[str, Any]] = {}
    for name in chosen:
        r = RECIPES[name]
        epochs = int(epochs_override) if epochs_override is not None else r.epochs
        x, y = _train_data(r, limit)
        torch.manual_seed(r.seed)
        model = MODEL_CLASSES[r.model_class](**r.config)
        n_params = sum(p.numel() for p in model.parameters())
        log(f"[zoo] {name}: {r.model_class} {model.config}, {n_params:,} parameters, {r.dataset}, beta={r.beta:g}, "
            f"{epochs} epochs on {x.shape[0]:,} images, device {dev}, {torch.get_num_threads()} threads")
        t0 = time.perf_counter()
        hist = fit(model, x, epochs=epochs, beta=r.beta, batch_size=r.batch_size, lr=r.lr, seed=r.seed,
                   device=dev, progress=progress, labels=y if r.conditional else None,
                   binarize="dynamic", schedule=r.schedule)
        train_seconds = time.perf_counter() - t0
        if hist.interrupted:
            raise KeyboardInterrupt(f"building {name} was interrupted; its checkpoint was not written")
        path = root / f"{name}.pt"
        recipe_meta = {"name": name, "dataset": r.dataset, "beta": r.beta, "epochs": epochs,
                       "batch_size": r.batch_size, "lr": r.lr, "schedule": r.schedule, "seed": r.seed,
                       "limit": limit}
        checkpoints.save(model.cpu(), path, storage_dtype=torch.float16, zoo=recipe_meta,
                         torch_version=str(torch.__version__), device=str(dev.type))
        t1 = time.perf_counter()
        reloaded = checkpoints.load(path, device="cpu")
        metrics = evaluate_model(reloaded, r)
        eval_seconds = time.perf_counter() - t1
        entry = {
            "file": path.name,
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "class": r.model_class,
            "config": reloaded.config,
            "parameters": n_params,
            "storage_dtype": "float16",
            "purpose": r.purpose,
            "dataset": r.dataset,
            "binarization": {"train": "dynamic: a fresh Bernoulli(grey value) draw for every batch",
                             "test": f"dynamic, drawn once with seed {EVAL_SEED} (load_mnist('test', "
                                     f"dataset={r.dataset!r}, binarize='dynamic', seed={EVAL_SEED}))"},
            "beta": r.beta,
            "epochs": epochs,
            "batch_size": r.batch_size,
            "lr": r.lr,
            "schedule": r.schedule,
            "optimizer": "Adam",
            "seed": r.seed,
            "train_images": int(x.shape[0]),
            "torch_version": str(torch.__version__),
            "device": str(dev.type),
            "threads": torch.get_num_threads(),
            "train_seconds": round(train_seconds, 1),
            "eval_seconds": round(eval_seconds, 1),
            "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "history": {k: [_clean(v) for v in hist.column(k)] for k in ("train_elbo", "train_objective", "train_rec", "train_kl")},
            "metrics": metrics,
            "notes": r.notes,
        }
        with _locked(root):  # two builds into one folder must not lose each other's entries
            data = _read_manifest(root)
            data = {"format": FORMAT, "version": VERSION, "evaluation": _EVALUATION,
                    "models": {**data["models"], name: entry}}
            _write_manifest(root, data)
        written[name] = entry
        m = metrics
        nll = f", -log p(x) {m['nll_iwae']['value']:.2f} (k={m['nll_iwae']['k']})" if m["nll_iwae"] else ""
        log(f"[zoo] {name}: trained {train_seconds:.0f} s; test ELBO {m['test']['elbo']}, rec {m['test']['rec']}, "
            f"KL {m['test']['kl']}, active units {m['active_units']}{nll}; {entry['bytes'] / 1e6:.2f} MB -> {path}")
    return written


_EVALUATION = {
    "units": "nats per example",
    "train_binarization": "dynamic (fresh Bernoulli draw of every pixel for every batch)",
    "test_set": f"the 10,000 test images binarized once: load_mnist('test', dataset=..., binarize='dynamic', "
                f"seed={EVAL_SEED})",
    "test": f"vae_lib.train.evaluate(model, test_images, seed={EVAL_SEED}): beta = 1, one seeded sample per image",
    "subset1000": f"the same on the first {SUBSET} test images (re-checked by tests/test_zoo.py within 0.5 nats)",
    "active_units": f"count of k with Cov_x(E_q[z_k]) > {ACTIVE_THRESHOLD} over the test set",
    "nll_iwae": f"-mean importance-weighted bound L_k (vae_lib.metrics.negative_log_likelihood) on the first "
                f"{SUBSET} test images, seed {EVAL_SEED}",
    "weights": "metrics are computed from the saved float16 file loaded back as float32, on the CPU",
}


# --------------------------------------------------------------------------- command line
def _list(root: Path) -> int:
    manifest = _read_manifest(root)["models"]
    bad = 0
    for n, r in RECIPES.items():
        e = manifest.get(n)
        if e is None:
            status = "not built"
        elif not (root / e["file"]).is_file():
            status, bad = "MISSING FILE", bad + 1
        elif sha256(root / e["file"]) != e["sha256"]:
            status, bad = "SHA256 MISMATCH", bad + 1
        else:
            status = f"ok {e['bytes'] / 1e6:5.2f} MB"
        print(f"{n:18s} {r.model_class:15s} {status:16s} {r.purpose}")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vae_lib.zoo {list,build} ...``; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m vae_lib.zoo", description="The pretrained model zoo of vae_lib.")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("list", help="list the models and verify their files")
    pl.add_argument("--root", type=Path, default=None, help="zoo folder (default: assets/checkpoints)")
    pb = sub.add_parser("build", help="retrain models from scratch and rewrite their manifest entries")
    pb.add_argument("names", nargs="*", help="names or globs (default: all, in build order)")
    pb.add_argument("--out", type=Path, default=None, help="zoo folder to write (default: assets/checkpoints)")
    pb.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs (quick checks)")
    pb.add_argument("--limit", type=int, default=None, help="train on the first N training images (quick checks)")
    pb.add_argument("--device", default="auto", help="auto (GPU if any), cpu, cuda, ...")
    pb.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    pb.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    try:
        if args.command == "list":
            return _list(args.root or default_root())
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        t0 = time.perf_counter()
        done = build(args.names, out_dir=args.out, epochs_override=args.epochs, limit=args.limit,
                     device=args.device, progress=not args.no_progress, log=lambda s: print(s, flush=True))
        print(f"[zoo] built {len(done)} model(s) in {time.perf_counter() - t0:.0f} s", flush=True)
        return 0
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
