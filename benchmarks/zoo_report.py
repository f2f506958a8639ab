"""Re-evaluate every model of the zoo from its file and print the table of models.

    python benchmarks/zoo_report.py                 # load + re-evaluate everything (about 2 minutes)
    python benchmarks/zoo_report.py --manifest-only # the README's table, from the manifest (instant)
    python benchmarks/zoo_report.py vae-2d 'vae-10d-beta-*' --no-iwae
    python benchmarks/zoo_report.py vae-20d --nll-images 10000   # -log p(x) on the whole test set (~10 min)

For each model: the time ``vae_lib.zoo.load`` takes (sha256 check + unpickling + float16 ->
float32), then the manifest's metrics recomputed now (test ELBO, reconstruction term, KL, active
units, and -log p(x) by the importance-weighted bound for the models that record it), printed
as a markdown table, followed by "manifest vs now": every number that moved by more than
``--tolerance`` nats (they should agree to a few thousandths: evaluation is seeded).
All numbers are nats per example on each model's test set (binarized MNIST; dequantized Fashion-MNIST for the `fashion-*-16d` models), measured as ``vae_lib.zoo.EVALUATION`` says.
The load-time goal (< 1 s per model) lives here, not in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from vae_lib import zoo
from vae_lib.metrics import negative_log_likelihood
from vae_lib.zoo.build import TRAINERS


def _fmt(v: float | int | None, digits: int = 2) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


HEADER = ("| model | class | K | β | data | epochs | train s | test ELBO | rec | KL | active units "
          "| −log p(x) (k) | MB | load ms |")


def _row(name: str, e: dict[str, Any], m: dict[str, Any], load_ms: float | None) -> str:
    r, b = e["recipe"], e["build"]
    nll = m.get("nll_iwae")
    nll_s = f"{nll['value']:.2f} (k={nll['k']}, n={nll['n']})" if nll else "–"
    beta = "–" if r["model_class"] == "Autoencoder" else f"{r['beta']:g}"  # an Autoencoder has no KL term
    secs = "–" if b["train_seconds"] is None else f"{b['train_seconds']:.0f}"
    k = r["config"]["latent_dim"]
    return (f"| `{name}` | {r['model_class']} | {k} | {beta} | {r['dataset']} | {r['epochs']} | {secs} | "
            f"{_fmt(m['test']['elbo'])} | {_fmt(m['test']['rec'])} | {_fmt(m['test']['kl'])} | {m['active_units']}/{k} | "
            f"{nll_s} | {e['bytes'] / 1e6:.2f} | {_fmt(load_ms, 0)} |")


OTHER_HEADER = "| model | class | data | epochs | train s | test figures (nats per example unless named) | −log p(x) (k) | MB |"


def _other_row(name: str, e: dict[str, Any], m: dict[str, Any]) -> str:
    """A model of a kind that vae_lib.train.fit does not train (zoo.build's TRAINERS): its own test figures."""
    r, b = e["recipe"], e["build"]
    nll = m.get("nll_iwae")
    nll_s = f"{nll['value']:.2f} (k={nll['k']}, n={nll['n']})" if nll else "–"
    figures = ", ".join(f"{k} {_fmt(v)}" for k, v in m["test"].items() if k != "n" and isinstance(v, (int, float)))
    secs = "–" if b["train_seconds"] is None else f"{b['train_seconds']:.0f}"
    return (f"| `{name}` | {r['model_class']} | {r['dataset'] if r['trainer'] != 'diffusion' else '2-D toy'} | "
            f"{r['epochs']} | {secs} | {figures} | {nll_s} | {e['bytes'] / 1e6:.2f} |")


def _diffs(name: str, old: dict[str, Any], new: dict[str, Any], tol: float) -> list[str]:
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


def recipe_test_set(recipe: zoo.Recipe, cache: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set a model was evaluated on: its dataset *and* pixel mode (binarized, dequantized or grey),
    kept in ``cache`` under both, so that models of one dataset but different pixels never share one."""
    key = (recipe.dataset, recipe.pixels)
    if key not in cache:
        cache[key] = zoo.test_set(recipe.dataset, recipe.pixels)
    return cache[key]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="names or globs (default: every model in the manifest)")
    p.add_argument("--manifest-only", action="store_true", help="print the manifest's table, evaluate nothing")
    p.add_argument("--no-iwae", action="store_true", help="skip the -log p(x) estimates (the slow part)")
    p.add_argument("--nll-images", type=int, default=0,
                   help="also estimate -log p(x) on the first N test images (10000: the whole test set; slow: "
                        "about 10 CPU-minutes for vae-20d)")
    p.add_argument("--tolerance", type=float, default=0.05, help="report differences above this (nats)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    root = zoo.default_root()
    built = [n for n in zoo.select(args.names) if n in zoo.manifest(root=root)["models"]
             and zoo.RECIPES[n].trainer != "classifier"]
    if not built:
        print(f"no models built in {root}: run `make pretrained` (python -m vae_lib.zoo build)", file=sys.stderr)
        return 1
    rows, other, diffs, load_times, extra = [], [], [], [], []
    tests: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]] = {}
    for name in built:
        entry = zoo.info(name)
        own_kind = zoo.RECIPES[name].trainer in TRAINERS
        if args.manifest_only:
            (other.append(_other_row(name, entry, entry["metrics"])) if own_kind
             else rows.append(_row(name, entry, entry["metrics"], None)))
            continue
        t0 = time.perf_counter()
        model = zoo.load(name)
        load_ms = 1000 * (time.perf_counter() - t0)
        load_times.append(load_ms)
        recipe = zoo.RECIPES[name]
        test = recipe_test_set(recipe, tests)
        now = zoo.evaluate_model(model, recipe, iwae=not args.no_iwae, test=test)
        (other.append(_other_row(name, entry, now)) if own_kind else rows.append(_row(name, entry, now, load_ms)))
        diffs += _diffs(name, entry["metrics"], now, args.tolerance)
        if args.nll_images and recipe.iwae_k and not own_kind:
            x = test[0][:args.nll_images]
            nll = negative_log_likelihood(model, x, recipe.iwae_k, seed=zoo.EVAL_SEED)
            extra.append(f"{name}: -log p(x) <= {nll:.2f} nats on the first {x.shape[0]} test images (k = {recipe.iwae_k})")
        print(f"evaluated {name} (load {load_ms:.0f} ms)", file=sys.stderr, flush=True)

    sizes = sum(p.stat().st_size for p in root.iterdir() if p.is_file())
    source = "from the manifest" if args.manifest_only else "re-evaluated now from the files"
    print(f"\n## Pretrained models ({source}; nats per example, test sets as in vae_lib.zoo.EVALUATION, torch {torch.__version__})\n")
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    print("\n".join(rows))
    if other:
        print("\nThe models of notebooks 12 and 13, each with its own figures (vq: rec = -log p(x|z_q) and prior = -log p(c) are costs, "
              "bound their sum; hvae: the ELBO's terms per layer; diffusion: log-densities of 2-D points):\n")
        print(OTHER_HEADER)
        print("|" + "---|" * (OTHER_HEADER.count("|") - 1))
        print("\n".join(other))
    where = root.relative_to(Path.cwd()) if root.is_relative_to(Path.cwd()) else root
    print(f"\n{len(built)} models, {sizes / 1e6:.1f} MB in {where} (budget 64 MB: every model ships in the wheel).")
    if not args.manifest_only:
        print(f"load time per model: median {statistics.median(load_times):.0f} ms, max {max(load_times):.0f} ms "
              f"(goal < 1000 ms)")
        print(f"\n### manifest vs now (tolerance {args.tolerance} nats)\n")
        print("\n".join(diffs) if diffs else "no differences: every number reproduces")
        if extra:
            print("\n### -log p(x) on more test images\n\n" + "\n".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
