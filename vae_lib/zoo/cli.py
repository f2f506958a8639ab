"""``python -m vae_lib.zoo {list,verify,build} ...``: list the zoo and check its files, re-evaluate its models, or
rebuild them."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .. import validate
from ..checkpoints import CheckpointError
from ..recipes import RECIPES
from .build import build
from .manifest import EVALUATION, SNAPSHOT_EVERY, _entry_path, _read_manifest, default_root, sha256
from .verify import verify

__all__ = ["main"]


def _list(root: Path) -> int:
    if not root.is_dir():
        print(f"error: no zoo at {root} (no such folder); build one with `python -m vae_lib.zoo build --out {root}`",
              file=sys.stderr)
        return 1
    models = _read_manifest(root)["models"]
    bad = 0
    for n, r in RECIPES.items():
        e = models.get(n)
        try:
            path = None if e is None else _entry_path(root, n, e)
        except CheckpointError:
            path = None
            status, bad = "BAD ENTRY", bad + 1
        if path is None:
            if e is None:
                status = "not built"
        elif not path.is_file():
            status, bad = "MISSING FILE", bad + 1
        elif sha256(path) != e["sha256"]:
            status, bad = "SHA256 MISMATCH", bad + 1
        else:
            status = f"ok {e['bytes'] / 1e6:5.2f} MB"
        print(f"{n:22s} {r.model_class:15s} {status:16s} {r.purpose}")
    print(f"\n{root}\nevaluation scheme:")
    for k, v in EVALUATION.items():
        print(f"  {k}: {v}")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vae_lib.zoo {list,verify,build} ...``; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m vae_lib.zoo", description="The pretrained model zoo of vae_lib.")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("list", help="list the models, verify their files, print the evaluation scheme")
    pl.add_argument("--root", type=Path, default=None, help="zoo folder (default: the package's pretrained/)")
    pv = sub.add_parser("verify", help="re-evaluate models from their files; print the table and what does not reproduce")
    pv.add_argument("names", nargs="*", help="names or globs (default: every model in the manifest)")
    pv.add_argument("--manifest-only", action="store_true", help="print the manifest's table, evaluate nothing")
    pv.add_argument("--no-iwae", action="store_true", help="skip the -log p(x) estimates (the slow part)")
    pv.add_argument("--nll-images", type=int, default=0,
                    help="also estimate -log p(x) on the first N test images (10000: all; ~10 CPU-minutes for vae-20d)")
    pv.add_argument("--tolerance", type=float, default=0.05, help="report differences above this many nats")
    pv.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
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
        if args.command == "verify":
            tolerance = validate.number(args.tolerance, "--tolerance", minimum=0.0)
            return verify(args.names, manifest_only=args.manifest_only, iwae=not args.no_iwae,
                          nll_images=validate.count(args.nll_images, "--nll-images", minimum=0), tolerance=tolerance,
                          progress=lambda s: print(s, file=sys.stderr, flush=True))
        t0 = time.perf_counter()
        done = build(args.names, out_dir=args.out, epochs_override=args.epochs, limit=args.limit,
                     device=args.device, progress=not args.no_progress, log=lambda s: print(s, flush=True),
                     snapshots=args.snapshots)
        print(f"[zoo] built {len(done)} model(s) in {time.perf_counter() - t0:.0f} s", flush=True)
        return 0
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback: the message says what to do
        text = " ".join(str(exc).split()) or type(exc).__name__
        known = isinstance(exc, (CheckpointError, TypeError, ValueError, OSError))
        print(f"error: {text}" if known else f"error: {type(exc).__name__}: {text}", file=sys.stderr)
        return 1
