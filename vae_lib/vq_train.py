"""The VQ-VAE's zoo plug-in (``zoo.build.TRAINERS["vqvae"]``): train a :class:`~vae_lib.vq.VQVAE` recipe in two
stages (:func:`train_recipe`) and measure it (:func:`measure`, :func:`evaluate_recipe`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from . import validate
from .data import binarize_images
from .protocol import PROTOCOL
from .vq import POSITIONS, VQVAE, code_counts, dead_codes, perplexity

__all__ = ["evaluate_recipe", "measure", "train_recipe"]


def _restart_dead(model: VQVAE, counts: torch.Tensor, z_e: torch.Tensor, g: torch.Generator) -> int:
    """Move every code unused since the last restart onto a random encoder vector of this batch; returns how many."""
    dead = (counts == 0).nonzero().flatten()
    if dead.numel() == 0:
        return 0
    flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, model.code_dim)
    pick = torch.randint(flat.shape[0], (dead.numel(),), generator=g)
    with torch.no_grad():
        model.codebook[dead] = flat[pick]
        if model.ema_decay is not None:
            model.ema_total[dead] = flat[pick]
            model.ema_count[dead] = 1.0
    return int(dead.numel())


def train_recipe(recipe: Any, x: torch.Tensor, y: torch.Tensor, *, epochs: int, device: Any = "cpu",
                 progress: bool = False, on_epoch: Callable[[nn.Module, dict[str, Any]], None] | None = None
                 ) -> tuple[VQVAE, dict[str, list[float]]]:
    """Train a :class:`VQVAE` recipe in two stages: ``epochs`` epochs of the autoencoder and codebook (Adam(lr),
    cosine decay, dynamic binarization per batch seeded by ``recipe.seed``), then ``recipe.extra["prior_epochs"]``
    epochs of the prior on the codes of freshly binarized training images (the autoencoder frozen).

    ``recipe.extra``: ``prior_epochs`` (default 6), ``restart_every`` (steps between dead-code restarts; 0 or
    absent: none), ``prior_lr`` (default ``recipe.lr``). Returns ``(model, history columns)``.
    """
    epochs = validate.count(epochs, "epochs")
    x = validate.images(x, name="training images")
    extra = dict(recipe.extra)
    prior_epochs = validate.count(extra.get("prior_epochs", 6), "prior_epochs", minimum=0)
    restart_every = validate.count(extra.get("restart_every", 0), "restart_every", minimum=0)
    torch.manual_seed(recipe.seed)
    model = VQVAE(**recipe.config).to(device)
    g = torch.Generator().manual_seed(recipe.seed)
    n, bs = x.shape[0], recipe.batch_size
    steps = epochs * math.ceil(n / bs)
    params = [p for n_, p in model.named_parameters() if not n_.startswith("prior.") and p.requires_grad]
    opt = torch.optim.Adam(params, lr=recipe.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if recipe.schedule == "cosine" else None
    hist: dict[str, list[float]] = {k: [] for k in ("train_rec", "train_commitment", "train_perplexity",
                                                    "train_dead_codes", "restarts", "prior_nll", "seconds",
                                                    "cpu_seconds")}
    t0, c0 = time.perf_counter(), time.process_time()
    step = 0
    since = torch.zeros(model.codebook_size, dtype=torch.long)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=g)
        rec_sum = cm_sum = 0.0
        counts = torch.zeros(model.codebook_size, dtype=torch.long)
        restarts = 0
        for i in range(0, n, bs):
            xb = binarize_images(x[order[i:i + bs]], generator=g).to(device)
            out = model.loss(xb)
            opt.zero_grad(set_to_none=True)
            out["loss"].backward()
            opt.step()
            if sched is not None:
                sched.step()
            if model.ema_decay is not None:
                model.ema_step(out["z_e"], out["codes"])
            c = code_counts(out["codes"].cpu(), model.codebook_size)
            counts += c
            since += c
            step += 1
            if restart_every and step % restart_every == 0 and step < steps:
                restarts += _restart_dead(model, since, out["z_e"], g)
                since.zero_()
            rec_sum += float(out["rec"].detach()) * xb.shape[0]
            cm_sum += float(out["commitment"].detach()) * xb.shape[0]
        row = {"train_rec": rec_sum / n, "train_commitment": cm_sum / n, "train_perplexity": perplexity(counts),
               "train_dead_codes": float(dead_codes(counts)), "restarts": float(restarts), "prior_nll": float("nan"),
               "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
        for k, v in row.items():
            hist[k].append(round(v, 4))
        if progress:
            print(f"VQ epoch {epoch + 1}/{epochs}: rec {row['train_rec']:.2f} nats, perplexity "
                  f"{row['train_perplexity']:.1f}, dead {int(row['train_dead_codes'])}", flush=True)
        if on_epoch is not None:
            on_epoch(model, row)
    # stage 2: the prior over the frozen codes
    model.eval()
    popt = torch.optim.Adam(model.prior.parameters(), lr=float(extra.get("prior_lr", recipe.lr)))
    psteps = max(1, prior_epochs * math.ceil(n / bs))
    psched = torch.optim.lr_scheduler.CosineAnnealingLR(popt, psteps)
    for epoch in range(prior_epochs):
        model.prior.train()
        order = torch.randperm(n, generator=g)
        nll_sum = 0.0
        for i in range(0, n, bs):
            xb = binarize_images(x[order[i:i + bs]], generator=g).to(device)
            with torch.no_grad():
                codes = model.codes(xb)
            nll = -model.prior.log_prob(codes).mean()
            popt.zero_grad(set_to_none=True)
            nll.backward()
            popt.step()
            psched.step()
            nll_sum += float(nll.detach()) * xb.shape[0]
        for k in hist:
            hist[k].append(float("nan"))
        hist["prior_nll"][-1] = round(nll_sum / n, 4)
        hist["seconds"][-1] = round(time.perf_counter() - t0, 4)
        hist["cpu_seconds"][-1] = round(time.process_time() - c0, 4)
        if progress:
            print(f"prior epoch {epoch + 1}/{prior_epochs}: -log p(c) {nll_sum / n:.2f} nats", flush=True)
    model.prior.eval()
    hist = {k: [None if isinstance(v, float) and math.isnan(v) else v for v in col] for k, col in hist.items()}
    return model.cpu().eval(), hist


def measure(model: VQVAE, x: torch.Tensor, batch: int = 500) -> dict[str, Any]:
    """Nats per example on images ``x`` (binary): ``rec``, ``prior``, ``bound`` (rec + prior, an upper bound on
    -log p(x)), ``uniform`` (rec + G log M), and the codebook usage of their codes (perplexity, dead codes)."""
    x = validate.images(x)
    sums = {"rec": 0.0, "prior": 0.0, "bound": 0.0, "uniform": 0.0}
    counts = torch.zeros(model.codebook_size, dtype=torch.long)
    model.eval()
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch]
            terms = model.nll_bound(xb)
            for k in sums:
                sums[k] += float(terms[k].double().sum())
            counts += code_counts(model.codes(xb), model.codebook_size)
    n = x.shape[0]
    out: dict[str, Any] = {k: round(v / n, 4) for k, v in sums.items()}
    out |= {"perplexity": round(perplexity(counts), 3), "dead_codes": dead_codes(counts), "n": int(n)}
    return out


def evaluate_recipe(model: VQVAE, recipe: Any, x: torch.Tensor, y: torch.Tensor) -> dict[str, Any]:
    """The manifest's figures (nats per example) on the recipe's fixed test set ``x`` (binarized once, seed 0):
    ``{"test": measure(x), "subset1000": measure(x[:1000]), "codebook_size", "positions", "uniform_kl"}`` (the subset:
    :data:`vae_lib.protocol.PROTOCOL`'s)."""
    t0 = time.perf_counter()
    out = {"test": measure(model, x), "subset1000": measure(model, x[:PROTOCOL.subset]),
           "codebook_size": model.codebook_size, "positions": POSITIONS,
           "uniform_kl": round(POSITIONS * math.log(model.codebook_size), 4)}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out
