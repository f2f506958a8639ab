"""``python -m vae_lib.zoo verify``: re-evaluate the shipped models from their files and compare with the manifest.

    python -m vae_lib.zoo verify                     # load + re-evaluate everything (about 2 minutes)
    python -m vae_lib.zoo verify --manifest-only     # the README's table, from the manifest (instant)
    python -m vae_lib.zoo verify vae-2d 'vae-10d-beta-*' --no-iwae
    python -m vae_lib.zoo verify vae-20d --nll-images 10000   # -log p(x) on the whole test set (~10 min)

For each model: the time :func:`vae_lib.zoo.load` takes (sha256 check + unpickling + float16 -> float32), then the
manifest's metrics recomputed now by :func:`vae_lib.zoo.evaluate_model` (the one evaluation the build used, on the
test set the model was measured on: its dataset *and* pixel mode, :func:`recipe_test_set`), printed as a markdown
table, then "manifest vs now": every number that moved by more than ``tolerance`` nats (evaluation is seeded: they
agree to a few thousandths). The exit status is 1 when a number does not reproduce.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from ..metrics import negative_log_likelihood
from ..recipes import RECIPES, Recipe
from .build import TRAINERS, evaluate_model, select
from .manifest import EVAL_SEED, default_root, info, load, manifest, test_set

__all__ = ["recipe_test_set", "verify"]

HEADER = ("| model | class | K | β | data | epochs | train s | test ELBO | rec | KL | active units "
          "| −log p(x) (k) | MB | load ms |")
OTHER_HEADER = "| model | class | data | epochs | train s | test figures (nats per example unless named) | −log p(x) (k) | MB |"


def _fmt(v: float | int | None, digits: int = 2) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _nll(m: dict[str, Any]) -> str:
    nll = m.get("nll_iwae")
    return f"{nll['value']:.2f} (k={nll['k']}, n={nll['n']})" if nll else "–"


def _row(name: str, e: dict[str, Any], m: dict[str, Any], load_ms: float | None) -> str:
    r, b = e["recipe"], e["build"]
    beta = "–" if r["model_class"] == "Autoencoder" else f"{r['beta']:g}"  # an Autoencoder has no KL term
    secs = "–" if b["train_seconds"] is None else f"{b['train_seconds']:.0f}"
    k = r["config"]["latent_dim"]
    return (f"| `{name}` | {r['model_class']} | {k} | {beta} | {r['dataset']} | {r['epochs']} | {secs} | "
            f"{_fmt(m['test']['elbo'])} | {_fmt(m['test']['rec'])} | {_fmt(m['test']['kl'])} | {m['active_units']}/{k} | "
            f"{_nll(m)} | {e['bytes'] / 1e6:.2f} | {_fmt(load_ms, 0)} |")


def _other_row(name: str, e: dict[str, Any], m: dict[str, Any]) -> str:
    """A model of a kind that vae_lib.train.fit does not train (zoo.build's TRAINERS): its own test figures."""
    r, b = e["recipe"], e["build"]
    figures = ", ".join(f"{k} {_fmt(v)}" for k, v in m["test"].items() if k != "n" and isinstance(v, (int, float)))
    secs = "–" if b["train_seconds"] is None else f"{b['train_seconds']:.0f}"
    return (f"| `{name}` | {r['model_class']} | {r['dataset'] if r['trainer'] != 'diffusion' else '2-D toy'} | "
            f"{r['epochs']} | {secs} | {figures} | {_nll(m)} | {e['bytes'] / 1e6:.2f} |")


def _diffs(name: str, old: dict[str, Any], new: dict[str, Any], tol: float) -> list[str]:
    """Every number of the manifest's ``old`` metrics that ``new`` does not reproduce within ``tol``."""
    out = []
    if "active_units" not in old or "elbo" not in old["test"]:   # a TRAINERS kind: compare its own figures
        for part in ("test", "subset1000"):
            for key, a in old[part].items():
                b = new[part].get(key)
                if isinstance(a, (int, float)) and (b is None or abs(a - b) > tol):
                    out.append(f"{name}: {part}.{key} manifest {a} now {b}")
        return out
    for part in ("test", "subset1000"):
        for key in ("elbo", "rec", "kl"):
            a, b = old[part][key], new[part][key]
            if a is None and b is None:
                continue
            if a is None or b is None or abs(a - b) > tol:
                out.append(f"{name}: {part}.{key} manifest {a} now {b}")
    if old["active_units"] != new["active_units"]:
        out.append(f"{name}: active units manifest {old['active_units']} now {new['active_units']}")
    if old.get("nll_iwae") and new.get("nll_iwae"):
        a, b = old["nll_iwae"]["value"], new["nll_iwae"]["value"]
        if abs(a - b) > tol:
            out.append(f"{name}: -log p(x) manifest {a} now {b}")
    return out


def recipe_test_set(recipe: Recipe, cache: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set a model was evaluated on: its dataset *and* pixel mode (binarized, dequantized or grey),
    kept in ``cache`` under both, so that models of one dataset but different pixels never share one."""
    key = (recipe.dataset, recipe.pixels)
    if key not in cache:
        cache[key] = test_set(recipe.dataset, recipe.pixels)
    return cache[key]


def verify(names: Sequence[str] | None = None, *, manifest_only: bool = False, iwae: bool = True, nll_images: int = 0,
           tolerance: float = 0.05, out: Callable[[str], None] = print,
           progress: Callable[[str], None] | None = None) -> int:
    """Print the table of models (re-evaluated now, or ``manifest_only``) and the differences; returns the exit
    status: 0 when every number reproduces within ``tolerance`` nats, 1 when one does not or nothing is built."""
    root = default_root()
    built = [n for n in select(names) if n in manifest(root=root)["models"] and RECIPES[n].trainer != "classifier"]
    if not built:
        print(f"error: no models built in {root}: run `make pretrained` (python -m vae_lib.zoo build)", file=sys.stderr)
        return 1
    rows, other, diffs, load_times, extra = [], [], [], [], []
    tests: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]] = {}
    for name in built:
        entry, recipe = info(name), RECIPES[name]
        own_kind = recipe.trainer in TRAINERS
        if manifest_only:
            (other.append(_other_row(name, entry, entry["metrics"])) if own_kind
             else rows.append(_row(name, entry, entry["metrics"], None)))
            continue
        t0 = time.perf_counter()
        model = load(name)
        load_ms = 1000 * (time.perf_counter() - t0)
        load_times.append(load_ms)
        test = recipe_test_set(recipe, tests)
        now = evaluate_model(model, recipe, iwae=iwae, test=test)
        (other.append(_other_row(name, entry, now)) if own_kind else rows.append(_row(name, entry, now, load_ms)))
        diffs += _diffs(name, entry["metrics"], now, tolerance)
        if nll_images and recipe.iwae_k and not own_kind:
            x = test[0][:nll_images]
            nll = negative_log_likelihood(model, x, recipe.iwae_k, seed=EVAL_SEED)
            extra.append(f"{name}: -log p(x) <= {nll:.2f} nats on the first {x.shape[0]} test images (k = {recipe.iwae_k})")
        if progress:
            progress(f"evaluated {name} (load {load_ms:.0f} ms)")

    sizes = sum(p.stat().st_size for p in root.iterdir() if p.is_file())
    source = "from the manifest" if manifest_only else "re-evaluated now from the files"
    out(f"\n## Pretrained models ({source}; nats per example, test sets as in vae_lib.zoo.EVALUATION, "
        f"torch {torch.__version__})\n")
    out(HEADER)
    out("|" + "---|" * (HEADER.count("|") - 1))
    out("\n".join(rows))
    if other:
        out("\nThe models of notebooks 12 and 13, each with its own figures (vq: rec = -log p(x|z_q) and prior = -log p(c) "
            "are costs, bound their sum; hvae: the ELBO's terms per layer; diffusion: log-densities of 2-D points):\n")
        out(OTHER_HEADER)
        out("|" + "---|" * (OTHER_HEADER.count("|") - 1))
        out("\n".join(other))
    where = root.relative_to(Path.cwd()) if root.is_relative_to(Path.cwd()) else root
    out(f"\n{len(built)} models, {sizes / 1e6:.1f} MB in {where} (budget 64 MB: every model ships in the wheel).")
    if manifest_only:
        return 0
    out(f"load time per model: median {statistics.median(load_times):.0f} ms, max {max(load_times):.0f} ms "
        f"(goal < 1000 ms)")
    out(f"\n### manifest vs now (tolerance {tolerance} nats)\n")
    out("\n".join(diffs) if diffs else "no differences: every number reproduces")
    if extra:
        out("\n### -log p(x) on more test images\n\n" + "\n".join(extra))
    return 1 if diffs else 0
