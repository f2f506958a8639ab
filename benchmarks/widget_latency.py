"""Server-side latency of the live explorers (vae_lib.widgets), side by side with a bare baseline.

Each explorer's sliders are set programmatically ``--n`` times (default 200) to random values;
a slider assignment runs the explorer's whole update path synchronously (decoder forward,
PNG encode, marker composite, widget value assignment), so the wall time of the assignment
is the server-side cost of one slider event. Printed per explorer: median and p95 in ms,
and the ratio of the median to the baseline's.

Baseline, measured interleaved with the latent explorer (same model, same z): a bare
``model.decode_mean(z)`` (= sigmoid of the decoder's logits) under ``torch.inference_mode()`` followed by a PIL nearest-neighbour
upscale and a PNG encode -- the least any slider that shows a decoded image can do.

Models: the zoo's (``vae-2d``, ``vae-2d-beta-*``, ``ae-2d``, ``vae-20d``) when they are built;
otherwise untrained models of the same architectures (the latency depends on the
architecture, not on the weights) and the script says so.

Targets on the 2-core CPU: latent explorer median <= 5 ms and p95 <= 15 ms; beta explorer
median <= 25 ms.

    python benchmarks/widget_latency.py [--n 200] [--threads N] [--size notebook|large]
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import statistics
import time
from collections.abc import Callable

import torch
from PIL import Image

from vae_lib import widgets
from vae_lib.models import VAE, Autoencoder

TARGETS = {"LatentExplorer (vae-2d)": (5.0, 15.0), "BetaExplorer": (25.0, None)}


def zoo_or(name: str, fallback: Callable[[], torch.nn.Module]) -> tuple[torch.nn.Module, str]:
    """The zoo model ``name`` if it is built, else ``fallback()`` (untrained, same architecture)."""
    try:
        from vae_lib import zoo

        return zoo.load(name), f"zoo:{name}"
    except Exception as exc:  # noqa: BLE001 - not built yet, or no zoo module
        torch.manual_seed(0)
        return fallback().eval(), f"untrained stand-in for {name} ({type(exc).__name__})"


def stats(ts: list[float]) -> tuple[float, float]:
    ts = sorted(ts)
    return statistics.median(ts) * 1e3, ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))] * 1e3


def baseline_once(model: torch.nn.Module, z: torch.Tensor) -> bytes:
    with torch.inference_mode():
        p = model.decode_mean(z[None])[0, 0]
    img = Image.fromarray(((1 - p) * 255).to(torch.uint8).numpy(), mode="L").resize((168, 168), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def move(widget, value) -> float:
    """Set a slider's value as the front end would; the seconds its observers (the update path) take."""
    t0 = time.perf_counter()
    widget.value = value
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="slider moves per explorer")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads before measuring")
    ap.add_argument("--size", choices=["notebook", "large"], default="notebook",
                    help="the explorers' size (large: the lecture app's, for a projector)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = random.Random(0)
    print(f"# widget latency, {args.n} slider moves per explorer, size={args.size}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")

    rows: list[tuple[str, float, float, str]] = []

    # --- latent explorer vs the bare baseline, interleaved ---------------------------------
    vae2, src = zoo_or("vae-2d", lambda: VAE(2, hidden=(512, 256)))
    size = args.size
    ex = widgets.LatentExplorer(vae2, size=size)
    base_t, lat_t = [], []
    for i in range(args.n):
        k = i % len(ex.sliders)
        lo, hi = ex.bounds[k]
        v = rng.uniform(lo, hi)
        z = ex.z.clone()
        z[k] = v
        t0 = time.perf_counter()
        baseline_once(vae2, z)
        base_t.append(time.perf_counter() - t0)
        lat_t.append(move(ex.sliders[k], v))
    b_med, b_p95 = stats(base_t)
    rows.append(("baseline: bare decode + PNG", b_med, b_p95, src))
    rows.append(("LatentExplorer (vae-2d)", *stats(lat_t), src + " + scatter marker offset"))

    # --- latent explorer, many dimensions ---------------------------------------------------
    vae20, src20 = zoo_or("vae-20d", lambda: VAE(20, hidden=(1024, 512)))
    ex20 = widgets.LatentExplorer(vae20, size=size)
    ts = []
    for i in range(args.n):
        k = i % len(ex20.sliders)
        v = rng.uniform(*ex20.bounds[k])
        ts.append(move(ex20.sliders[k], v))
    rows.append(("LatentExplorer (vae-20d)", *stats(ts), src20))

    # --- beta explorer -----------------------------------------------------------------------
    try:
        t0 = time.perf_counter()
        bex = widgets.BetaExplorer(latent_dim=2, size=size)  # zoo.beta_grid(2)
        bsrc = f"zoo: {len(bex.betas)} models vae-2d-beta-*"
    except Exception as exc:  # noqa: BLE001 - zoo grid not built: stand-ins
        torch.manual_seed(0)
        grid = {b: VAE(2, hidden=(256, 128)).eval() for b in (0, 0.1, 0.5, 1, 2, 4, 8, 16)}
        t0 = time.perf_counter()
        bex = widgets.BetaExplorer(grid, size=size)
        bsrc = f"untrained stand-ins, 8 betas ({type(exc).__name__}: {str(exc)[:60]})"
    build = time.perf_counter() - t0
    ts = []
    for _ in range(args.n):
        b = rng.choice([x for x in bex.betas if x != bex.beta_slider.value])
        ts.append(move(bex.beta_slider, b))
    rows.append(("BetaExplorer", *stats(ts), f"{bsrc}; panels precomputed at build ({build:.1f} s)"))
    bcold = widgets.BetaExplorer(dict(bex.models), precompute=False, size=size,
                                 metrics={b: bex.rd[b] for b in bex.betas})
    ts = []
    for b in bcold.betas:
        if b != bcold.beta_slider.value:
            ts.append(move(bcold.beta_slider, b))
    rows.append(("BetaExplorer, first visit (precompute=False)", *stats(ts), f"{len(ts)} cold visits"))

    # --- interpolation -------------------------------------------------------------------------
    ae, asrc = zoo_or("ae-2d", lambda: Autoencoder(2, hidden=(256, 128)))
    iex = widgets.InterpolationExplorer({"ae-2d": ae, "vae-2d": vae2}, size=size)
    ts = [move(iex.alpha_slider, round(rng.uniform(0, 1), 2) or 0.01) for _ in range(args.n)]
    rows.append(("InterpolationExplorer (2 models)", *stats(ts), f"{asrc}, {src}"))

    # --- toy explorers ---------------------------------------------------------------------------
    kex = widgets.KLExplorer(size=size)
    names = ["mu_q", "sigma_q", "mu_p", "sigma_p"]
    ts = []
    for i in range(args.n):
        s = kex.sliders[names[i % 4]]
        v = round(rng.uniform(s.min, s.max), 2)
        ts.append(move(s, v))
    rows.append(("KLExplorer (gaussian)", *stats(ts), "closed form + MC (n=2000) + the curves as SVG"))
    gex = widgets.ELBOGapExplorer(size=size)
    ts = []
    for i in range(args.n):
        s = gex.sliders["mu" if i % 2 else "sigma"]
        v = round(rng.uniform(s.min, s.max), 2)
        ts.append(move(s, v))
    rows.append(("ELBOGapExplorer", *stats(ts), "exact grid ELBO/KL (12,001 points) + curves and bars as SVG"))

    print("\n| explorer | median ms | p95 ms | x baseline | target | models |\n|---|---:|---:|---:|---|---|")
    for name, med, p95, note in rows:
        tgt = TARGETS.get(name)
        verdict = ""
        if tgt:
            ok = med <= tgt[0] and (tgt[1] is None or p95 <= tgt[1])
            verdict = f"median <= {tgt[0]:g}" + (f", p95 <= {tgt[1]:g}" if tgt[1] else "") + (": OK" if ok else ": MISSED")
        print(f"| {name} | {med:.2f} | {p95:.2f} | {med / b_med:.1f} | {verdict} | {note} |")


if __name__ == "__main__":
    main()
