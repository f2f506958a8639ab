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
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoints, validate
from .checkpoints import CheckpointError
from .data import load_mnist
from .recipes import BETAS, RECIPES, Recipe

__all__ = ["BETAS", "EVALUATION", "RECIPES", "CheckpointError", "Recipe", "beta_grid", "build", "default_root",
           "evaluate_model", "info", "load", "main", "manifest", "names", "select", "sha256", "test_set"]

MANIFEST = "manifest.json"
FORMAT = "vae_lib.zoo"
VERSION = 2
SUBSET = 1000            # the fixed test subset: the first 1,000 test images
ACTIVE_THRESHOLD = 0.01  # A_k > 0.01 counts as an active unit
EVAL_SEED = 0            # test binarization seed and evaluation generator seed
SNAPSHOT_EVERY = 25      # epochs between two snapshots of a build with --snapshots

#: How every number of the manifest is measured (nats per example unless a key says otherwise).
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
                f"k, seed {EVAL_SEED}, on the images its 'n' says (the first n test images)",
    "bits_per_dim": "for densities on dequantized pixels (Gaussian decoders): (nll_iwae + 784 log 256) / (784 log 2), "
                    "vae_lib.metrics.bits_per_dim; a Bernoulli decoder on grey pixels has none (its numbers are binary "
                    "cross-entropies, not log-densities)",
    "classifier": "test accuracy, and the fraction of test digits labelled with probability > 0.9",
    "weights": "every metric is computed from the saved float16 file loaded back as float32, on the CPU",
}


# --------------------------------------------------------------------------- locating, hashing
def default_root() -> Path:
    """The zoo folder: ``$VAE_LIB_ZOO`` if set, else the package's own ``vae_lib/pretrained``."""
    env = os.environ.get("VAE_LIB_ZOO")
    if env:
        return Path(env).expanduser()
    return Path(str(resources.files("vae_lib") / "pretrained"))


def names(group: str | None = None) -> list[str]:
    """Every model name of the zoo in build order (``group``: only that set, e.g. ``"beta-10d"``)."""
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
    return Path(root) if root is not None else default_root()


_manifest_cache: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def _read_manifest(root: Path) -> dict[str, Any]:
    """The parsed, checked manifest of ``root`` (cached while the file's size and mtime stay the same)."""
    path = root / MANIFEST
    try:
        st = path.stat()
    except FileNotFoundError:
        return {"format": FORMAT, "version": VERSION, "models": {}}
    key = (st.st_mtime_ns, st.st_size)
    hit = _manifest_cache.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    fix = "restore it (git checkout) or rebuild with `python -m vae_lib.zoo build`"
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(path, f"the manifest is not valid JSON ({exc}); {fix}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("models"), dict):
        raise CheckpointError(path, f"not a vae_lib zoo manifest (expected a JSON object with format {FORMAT!r} and "
                                    f"a 'models' table); {fix}")
    if data.get("version") != VERSION:
        raise CheckpointError(path, f"manifest version {data.get('version')!r}; this vae_lib reads {VERSION}; {fix}")
    for name, entry in data["models"].items():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("file", "sha256")):
            raise CheckpointError(path, f"the entry of {name!r} is not an object with 'file' and 'sha256'; {fix}")
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


def info(name: str, *, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest entry of ``name`` (a copy): ``file``, ``sha256``, ``bytes``, ``parameters``, ``recipe``
    (the :class:`Recipe` it was built with), ``build`` (device, time ...), ``history`` and ``metrics``.

    Raises:
        KeyError: ``name`` is not a zoo model (the message lists the known ones).
        CheckpointError: the model has not been built into ``root``.
    """
    _check_name(name)
    root = _root(root)
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
    path = _root(root) / entry["file"]
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


def beta_grid(latent_dim: int, *, root: str | os.PathLike | None = None) -> dict[float, nn.Module]:
    """The beta grid with ``latent_dim`` latent dimensions (2 or 10) as ``{beta: model}``, betas ascending:
    the zoo models of recipe group ``f"beta-{latent_dim}d"`` that are built."""
    group = f"beta-{latent_dim}d"
    members = names(group)
    if not members:
        groups = sorted({r.group for r in RECIPES.values() if r.group.startswith("beta-")})
        raise ValueError(f"the zoo has no beta grid with latent_dim={latent_dim!r}; it has {', '.join(groups)}")
    built = _read_manifest(_root(root))["models"]
    return {RECIPES[n].beta: load(n, root=root) for n in sorted(members, key=lambda n: RECIPES[n].beta) if n in built}


# --------------------------------------------------------------------------- evaluation
def test_set(dataset: str, pixels: str = "binary", *, download: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed test set of ``dataset``: binarized or dequantized once with seed :data:`EVAL_SEED`, or grey
    (``download`` as :func:`vae_lib.data.load_mnist`)."""
    mode = {"binary": "dynamic", "dequantized": "dequantize", "grey": None}[validate.choice(
        pixels, "pixels", ("binary", "dequantized", "grey"))]
    kwargs = {} if download is None else {"download": download}
    return load_mnist("test", dataset=dataset, binarize=mode, seed=EVAL_SEED, **kwargs)


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
    if recipe.trainer == "classifier":
        from .classifier import confident_fraction, predict_proba

        grey = load_mnist("test", dataset=recipe.dataset)[0] if test is None else x
        acc = float((predict_proba(model, grey).argmax(-1) == y).float().mean())
        return {"test_accuracy": _clean(acc), "confident_fraction": _clean(confident_fraction(model, grey, 0.9))}
    from .metrics import active_units, negative_log_likelihood
    from .train import evaluate

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
        nll = negative_log_likelihood(model, x[:n], recipe.iwae_k, labels=None if labels is None else labels[:n],
                                      seed=EVAL_SEED)
        out["nll_iwae"] = {"value": _clean(nll), "k": recipe.iwae_k, "n": n, "seed": EVAL_SEED,
                           "seconds": round(time.perf_counter() - t0, 1)}
        if recipe.pixels == "dequantized" and recipe.config.get("likelihood") == "gaussian":  # a density
            from .metrics import bits_per_dim

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
                                    "another with --out DIR (or out_dir=...)") from exc


def _train(recipe: Recipe, epochs: int, limit: int | None, dev: torch.device, progress: bool,
           on_epoch: Callable[[nn.Module, dict[str, Any]], None] | None = None):
    """Train one recipe from scratch; returns ``(model, history columns or {}, number of training images)``."""
    from .checkpoints import CLASSES

    x, y = load_mnist("train", dataset=recipe.dataset)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    torch.manual_seed(recipe.seed)
    if recipe.trainer == "classifier":
        from .classifier import train_classifier

        model = train_classifier(x, y, epochs=epochs, batch_size=recipe.batch_size, lr=recipe.lr, seed=recipe.seed,
                                 **recipe.config, **recipe.extra)
        return model, {}, x.shape[0]
    from .train import fit

    model = CLASSES[recipe.model_class](**recipe.config)
    if recipe.config.get("prior") == "vamp":  # pseudo-images start at training images, chosen by the seed
        model.prior.init_from(x, torch.Generator().manual_seed(recipe.seed))
    hist = fit(model, x, epochs=epochs, beta=recipe.beta, batch_size=recipe.batch_size, lr=recipe.lr,
               seed=recipe.seed, device=dev, progress=progress, labels=y if recipe.conditional else None,
               binarize="dynamic" if recipe.pixels == "binary" else None, schedule=recipe.schedule,
               dequantize=recipe.pixels == "dequantized",
               kl_warmup_epochs=recipe.kl_warmup_epochs, iwae_k=recipe.extra.get("iwae_k_train", 1),
               on_epoch=on_epoch)
    if hist.interrupted:
        raise KeyboardInterrupt(f"building {recipe.name} was interrupted; its checkpoint was not written")
    cols = ("train_elbo", "train_objective", "train_rec", "train_kl")
    return model, {k: [_clean(v) for v in hist.column(k)] for k in cols}, x.shape[0]


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

    from .train import resolve_device

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
    t = m["test"]
    nll = f", -log p(x) {m['nll_iwae']['value']:.2f} (k={m['nll_iwae']['k']})" if m["nll_iwae"] else ""
    return f"test ELBO {t['elbo']}, rec {t['rec']}, KL {t['kl']}, active units {m['active_units']}{nll}"


# --------------------------------------------------------------------------- command line
def _list(root: Path) -> int:
    if not root.is_dir():
        print(f"error: no zoo at {root} (no such folder); build one with `python -m vae_lib.zoo build --out {root}`",
              file=sys.stderr)
        return 1
    models = _read_manifest(root)["models"]
    bad = 0
    for n, r in RECIPES.items():
        e = models.get(n)
        if e is None:
            status = "not built"
        elif not (root / e["file"]).is_file():
            status, bad = "MISSING FILE", bad + 1
        elif sha256(root / e["file"]) != e["sha256"]:
            status, bad = "SHA256 MISMATCH", bad + 1
        else:
            status = f"ok {e['bytes'] / 1e6:5.2f} MB"
        print(f"{n:22s} {r.model_class:15s} {status:16s} {r.purpose}")
    print(f"\n{root}\nevaluation scheme:")
    for k, v in EVALUATION.items():
        print(f"  {k}: {v}")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vae_lib.zoo {list,build} ...``; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m vae_lib.zoo", description="The pretrained model zoo of vae_lib.")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("list", help="list the models, verify their files, print the evaluation scheme")
    pl.add_argument("--root", type=Path, default=None, help="zoo folder (default: the package's pretrained/)")
    pb = sub.add_parser("build", help="retrain models from scratch and rewrite their manifest entries")
    pb.add_argument("names", nargs="*", help="names or globs (default: all, in build order)")
    pb.add_argument("--out", type=Path, default=None, help="zoo folder to write (default: the package's pretrained/)")
    pb.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs (quick checks)")
    pb.add_argument("--limit", type=int, default=None, help="train on the first N training images (quick checks)")
    pb.add_argument("--device", default="auto", help="auto (GPU if any), cpu, cuda, ...")
    pb.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    pb.add_argument("--no-progress", action="store_true", help="no progress bars")
    pb.add_argument("--snapshots", type=Path, default=None, help=f"save a checkpoint every {SNAPSHOT_EVERY} epochs into DIR")
    args = p.parse_args(argv)
    try:
        if args.command == "list":
            return _list(args.root or default_root())
        if args.threads is not None:
            torch.set_num_threads(validate.count(args.threads, "--threads"))
        t0 = time.perf_counter()
        done = build(args.names, out_dir=args.out, epochs_override=args.epochs, limit=args.limit,
                     device=args.device, progress=not args.no_progress, log=lambda s: print(s, flush=True),
                     snapshots=args.snapshots)
        print(f"[zoo] built {len(done)} model(s) in {time.perf_counter() - t0:.0f} s", flush=True)
        return 0
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except (CheckpointError, TypeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
