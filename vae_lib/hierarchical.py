r"""A two-layer hierarchical VAE with top-down inference (ladder-style), and its zoo trainer (``trainer="hvae"``).

Generative model (top down): :math:`p(z_2) = \mathcal N(0, I)`, :math:`p_\theta(z_1\mid z_2) = \mathcal N(\mu_p(z_2),
\sigma_p^2(z_2))`, :math:`p_\theta(x\mid z_1)` Bernoulli. Inference: one bottom-up pass :math:`h = d(x)` gives
:math:`q_\phi(z_2\mid x)` and a bottom-up estimate :math:`(\hat\mu_1, \hat\sigma_1^2)` of :math:`z_1`; then top down,
:math:`q(z_1\mid x, z_2)` combines that estimate with the prior :math:`p(z_1\mid z_2)` by precision weighting
(Sønderby et al. 2016, the ladder VAE):

.. math:: \sigma_q^{-2} = \hat\sigma_1^{-2} + \sigma_p^{-2},\qquad
          \mu_q = \sigma_q^2\,(\hat\mu_1\hat\sigma_1^{-2} + \mu_p\sigma_p^{-2}).

The ELBO term by term (nats per example):

.. math:: \mathcal L(x) = \mathbb E_q[\log p(x\mid z_1)] - \mathrm{KL}(q(z_2\mid x)\,\|\,\mathcal N(0, I))
          - \mathbb E_{q(z_2\mid x)}\,\mathrm{KL}(q(z_1\mid x, z_2)\,\|\,p(z_1\mid z_2)).

The network shares its trunk with the zoo's one-layer :class:`~vae_lib.models.VAE` (``784 -> hidden -> 2K``, decoder
mirrored): only the top layer (``top_dim`` latents, ``top_hidden`` units) is new.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from . import validate
from .interface import ModelInterface
from .losses import bernoulli_log_likelihood, log_normal_diag
from .networks import ACTIVATIONS, IMAGE_SHAPE, mlp_layers
from .protocol import PROTOCOL

__all__ = ["HierarchicalVAE", "active_units_per_layer", "elbo_terms", "evaluate_recipe", "iwae_bounds",
           "kl_per_dimension", "train_recipe"]

D = math.prod(IMAGE_SHAPE)
LOGVAR_RANGE = (-12.0, 8.0)   # log-variances are clamped here (numerical safety; never reached by a trained model)
MEAN_SAMPLES = 16             # z2 draws that estimate E_q[z1 | x] for the active units of the lower layer


class HierarchicalVAE(ModelInterface):
    """Two stochastic layers, ``x -> z1 (latent_dim) -> z2 (top_dim)``, with top-down inference.

    Args:
        latent_dim: dimensions of the lower layer z1 (the one the decoder reads).
        top_dim: dimensions of the top layer z2.
        hidden: the trunk's layer sizes (``784 -> hidden`` bottom up; the decoder mirrors it).
        top_hidden: the layer sizes of the two small networks of the top layer (h -> q(z2|x), z2 -> p(z1|z2)).
        activation: ``"silu"`` (default), ``"relu"``, ``"tanh"`` or ``"elu"``.
    """

    has_prior = True
    has_elbo = True
    is_variational = True  # = has_elbo

    def __init__(self, latent_dim: int = 20, top_dim: int = 10, hidden: Sequence[int] = (512, 256),
                 top_hidden: Sequence[int] = (64,), activation: str = "silu") -> None:
        super().__init__()
        self.latent_dim = validate.count(latent_dim, "latent_dim", cap="latent_dim")
        self.top_dim = validate.count(top_dim, "top_dim", cap="latent_dim")
        self.hidden = validate.layer_sizes(hidden, "hidden", allow_empty=False)
        self.top_hidden = validate.layer_sizes(top_hidden, "top_hidden")
        self.activation = validate.choice(activation, "activation", sorted(ACTIVATIONS))
        act = ACTIVATIONS[activation]
        h = self.hidden[-1]
        self.bottom_up = nn.Sequential(nn.Flatten(), *mlp_layers([D, *self.hidden], act, True))
        self.q1_head = nn.Linear(h, 2 * self.latent_dim)                       # bottom-up estimate of z1
        self.q2_net = nn.Sequential(*mlp_layers([h, *self.top_hidden, 2 * self.top_dim], act, False))
        self.p1_net = nn.Sequential(*mlp_layers([self.top_dim, *self.top_hidden, 2 * self.latent_dim], act, False))
        self.decoder = nn.Sequential(*mlp_layers([self.latent_dim, *reversed(self.hidden), D], act, False),
                                     nn.Unflatten(1, IMAGE_SHAPE))

    # ---------------------------------------------------------------- description
    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments: ``HierarchicalVAE(**model.config)`` builds the same architecture."""
        return {"latent_dim": self.latent_dim, "top_dim": self.top_dim, "hidden": list(self.hidden),
                "top_hidden": list(self.top_hidden), "activation": self.activation}

    # ---------------------------------------------------------------- the pieces
    @staticmethod
    def _split(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = t.chunk(2, dim=-1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    def _bottom_up(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """x -> (mu2, logvar2) of q(z2|x) and the bottom-up estimate (mu1_hat, logvar1_hat) of z1."""
        h = self.bottom_up(x)
        return (*self._split(self.q2_net(h)), *self._split(self.q1_head(h)))

    def prior1(self, z2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """p(z1 | z2): its mean and log-variance, ``[..., latent_dim]`` each."""
        return self._split(self.p1_net(z2))

    @staticmethod
    def combine(mu_hat: torch.Tensor, logvar_hat: torch.Tensor, mu_p: torch.Tensor,
                logvar_p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Precision-weighted combination of the bottom-up estimate and the top-down prior: q(z1 | x, z2)."""
        prec_hat, prec_p = torch.exp(-logvar_hat), torch.exp(-logvar_p)
        var = 1.0 / (prec_hat + prec_p)
        return var * (mu_hat * prec_hat + mu_p * prec_p), torch.log(var)

    def _terms(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """One sample of the top-down pass; per example ``rec``, ``kl2``, ``kl1`` and the per-dimension KLs."""
        mu2, lv2, mu1h, lv1h = self._bottom_up(x)
        z2 = mu2 + torch.exp(0.5 * lv2) * torch.randn(mu2.shape, generator=generator, device=x.device, dtype=x.dtype)
        mup, lvp = self.prior1(z2)
        mu1, lv1 = self.combine(mu1h, lv1h, mup, lvp)
        z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn(mu1.shape, generator=generator, device=x.device, dtype=x.dtype)
        rec = bernoulli_log_likelihood.unchecked(x, self.decoder(z1))
        kl2_d = 0.5 * (mu2.pow(2) + lv2.exp() - 1.0 - lv2)                              # KL(q(z2|x) || N(0, I))
        kl1_d = 0.5 * (lvp - lv1 + (lv1.exp() + (mu1 - mup).pow(2)) / lvp.exp() - 1.0)  # KL(q(z1|x,z2) || p(z1|z2))
        return {"rec": rec, "kl2": kl2_d.sum(-1), "kl1": kl1_d.sum(-1), "kl2_d": kl2_d, "kl1_d": kl1_d,
                "mu1": mu1, "lv1": lv1, "mu1p": mup, "lv1p": lvp, "mu2": mu2, "lv2": lv2, "z1": z1, "z2": z2}

    # ---------------------------------------------------------------- public interface
    def decode(self, z1: torch.Tensor) -> torch.Tensor:
        """z1 ``[..., latent_dim]`` -> Bernoulli logits ``[..., 1, 28, 28]``."""
        z1 = validate.codes(z1, self.latent_dim, name="z1", dtype=self.dtype)
        lead = z1.shape[:-1]
        return self.decoder(z1.reshape(-1, self.latent_dim).to(self.device)).reshape(*lead, *IMAGE_SHAPE)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ancestral samples: z2 ~ N(0, I), z1 ~ p(z1|z2), then the decoder's mean image ``[n, 1, 28, 28]``."""
        n = validate.count(n, "n", cap="samples")
        generator = validate.generator(generator)
        z2 = torch.randn(n, self.top_dim, generator=generator)
        mup, lvp = self.prior1(z2)
        z1 = mup + torch.exp(0.5 * lvp) * torch.randn(mup.shape, generator=generator)
        return torch.sigmoid(self.decoder(z1))

    @torch.no_grad()
    def posterior_mean(self, images: torch.Tensor, labels: Any = None, *, batch_size: int = 1000,
                       seed: int = 0) -> torch.Tensor:
        r"""``[E_q[z1 | x], E_q[z2 | x]]`` concatenated, ``[N, latent_dim + top_dim]``: the posterior means that
        :func:`vae_lib.metrics.active_units` reads. :math:`E_q[z_1\mid x] = E_{q(z_2\mid x)}[\mu_q(x, z_2)]` is
        averaged over :data:`MEAN_SAMPLES` seeded draws of z2."""
        images, _ = self.check_inputs(images, labels)
        batch_size = validate.count(batch_size, "batch_size")
        gen = torch.Generator().manual_seed(validate.seed(seed))
        out = []
        for start in range(0, images.shape[0], batch_size):
            x = images[start:start + batch_size]
            mu2, lv2, mu1h, lv1h = self._bottom_up(x)
            eps = torch.randn((MEAN_SAMPLES, *mu2.shape), generator=gen)
            mup, lvp = self.prior1(mu2 + torch.exp(0.5 * lv2) * eps)
            mu1, _ = self.combine(mu1h, lv1h, mup, lvp)
            out.append(torch.cat([mu1.mean(0), mu2], dim=-1))
        return torch.cat(out)

    def log_weights(self, x: torch.Tensor, k: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        r"""``[k, B]`` importance log-weights :math:`\log p(x\mid z_1) + \log p(z_1\mid z_2) + \log p(z_2)
        - \log q(z_1\mid x, z_2) - \log q(z_2\mid x)` for k joint draws from q (unchecked: :func:`iwae_bounds`)."""
        mu2, lv2, mu1h, lv1h = self._bottom_up(x)
        shape2 = (k, *mu2.shape)
        z2 = mu2 + torch.exp(0.5 * lv2) * torch.randn(shape2, generator=generator, device=x.device)
        mup, lvp = self.prior1(z2)
        mu1, lv1 = self.combine(mu1h, lv1h, mup, lvp)
        z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn(mu1.shape, generator=generator, device=x.device)
        logits = self.decoder(z1.reshape(-1, self.latent_dim)).reshape(k, *x.shape)
        rec = bernoulli_log_likelihood.unchecked(x, logits)
        log_p = log_normal_diag(z1, mup, lvp) + log_normal_diag(z2, torch.zeros_like(z2), torch.zeros_like(z2))
        log_q = log_normal_diag(z1, mu1, lv1) + log_normal_diag(z2, mu2, lv2)
        return rec + log_p - log_q


def _term_sums(model: HierarchicalVAE, images: torch.Tensor, seed: int, batch_size: int, who: str,
               keys: tuple[str, ...]) -> tuple[list[torch.Tensor], int]:
    """The sums over ``images`` (float64) of the per-example terms ``keys`` of :meth:`HierarchicalVAE._terms`, one
    seeded top-down sample per image, in eval mode and without gradients; and the number of images."""
    if not isinstance(model, HierarchicalVAE):
        raise TypeError(f"{who} needs a HierarchicalVAE; got {validate._kind(model)}")
    images, _ = model.check_inputs(images)
    seed, batch_size = validate.seed(seed), validate.count(batch_size, "batch_size")
    gen = torch.Generator().manual_seed(seed)
    sums: list[torch.Tensor] = []
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, images.shape[0], batch_size):
                t = model._terms(images[start:start + batch_size], gen)
                parts = [t[k].double().sum(0) for k in keys]
                sums = parts if not sums else [a + b for a, b in zip(sums, parts)]
    finally:
        model.train(was)
    return sums, images.shape[0]


def elbo_terms(model: HierarchicalVAE, images: torch.Tensor, *, seed: int = 0,
               batch_size: int = 1000) -> dict[str, float]:
    r"""The ELBO term by term, means over ``images`` in nats per example, one seeded top-down sample per image:
    ``rec`` = E_q[log p(x|z1)], ``kl_top`` = KL(q(z2|x) || N(0, I)), ``kl_bottom`` = KL(q(z1|x,z2) || p(z1|z2))
    (at the sampled z2: an unbiased estimate of its expectation over q(z2|x)), ``kl`` = their sum and
    ``elbo = rec - kl_top - kl_bottom``."""
    sums, n = _term_sums(model, images, seed, batch_size, "elbo_terms", ("rec", "kl2", "kl1"))
    rec, kl2, kl1 = (float(v) / n for v in sums)
    return {"elbo": rec - kl2 - kl1, "rec": rec, "kl": kl2 + kl1, "kl_top": kl2, "kl_bottom": kl1}


def kl_per_dimension(model: HierarchicalVAE, images: torch.Tensor, *, seed: int = 0,
                     batch_size: int = 1000) -> dict[str, torch.Tensor]:
    """The two KL terms split by latent dimension, means over ``images`` in nats per example (float64): ``"z2"``
    ``[top_dim]`` (KL(q(z2|x) || N(0, I)) per dimension) and ``"z1"`` ``[latent_dim]`` (KL(q(z1|x,z2) || p(z1|z2))
    per dimension at one seeded z2 per image). Their sums are :func:`elbo_terms`' ``kl_top`` and ``kl_bottom``."""
    (s1, s2), n = _term_sums(model, images, seed, batch_size, "kl_per_dimension", ("kl1_d", "kl2_d"))
    return {"z1": s1 / n, "z2": s2 / n}


def active_units_per_layer(model: HierarchicalVAE, images: torch.Tensor, threshold: float = 0.01) -> dict[str, int]:
    r"""Active units of each layer, the series' definition (:func:`vae_lib.metrics.active_units`):
    :math:`\#\{j: \mathrm{Cov}_x(E_q[z_j]) > \text{threshold}\}`, counted separately for z1 and z2."""
    from .metrics import latent_activity

    if not isinstance(model, HierarchicalVAE):
        raise TypeError(f"active_units_per_layer needs a HierarchicalVAE; got {validate._kind(model)}")
    threshold = validate.number(threshold, "threshold", minimum=0.0)
    a = latent_activity(model, images)
    return {"z1": int((a[:model.latent_dim] > threshold).sum()), "z2": int((a[model.latent_dim:] > threshold).sum())}


@torch.no_grad()
def iwae_bounds(model: HierarchicalVAE, images: torch.Tensor, k: int = 1000, *, seed: int = 0,
                batch_size: int = 100, chunk_size: int = 100) -> torch.Tensor:
    r"""The importance-weighted bound :math:`\mathcal L_k(x_n) = \log\frac1k\sum_i w_i` of every image, float64
    ``[N]``, with joint draws :math:`(z_1, z_2) \sim q(z_2\mid x)\,q(z_1\mid x, z_2)`; ``-mean`` estimates
    -log p(x) (an upper bound in expectation, as :func:`vae_lib.metrics.negative_log_likelihood`)."""
    if not isinstance(model, HierarchicalVAE):
        raise TypeError(f"iwae_bounds needs a HierarchicalVAE; got {validate._kind(model)}")
    images, _ = model.check_inputs(images)
    k = validate.count(k, "k", cap="samples")
    seed = validate.seed(seed)
    batch_size, chunk_size = validate.count(batch_size, "batch_size"), validate.count(chunk_size, "chunk_size")
    validate.elements(min(batch_size, images.shape[0]) * min(chunk_size, k) * D, "batch_size times chunk_size")
    gen = torch.Generator().manual_seed(seed)
    was = model.training
    model.eval()
    out = []
    try:
        for start in range(0, images.shape[0], batch_size):
            x = images[start:start + batch_size]
            lw = torch.cat([model.log_weights(x, min(chunk_size, k - c), generator=gen)
                            for c in range(0, k, chunk_size)]).double()
            out.append(torch.logsumexp(lw, 0) - math.log(k))
    finally:
        model.train(was)
    return torch.cat(out)


# --------------------------------------------------------------------------- the zoo's trainer ("hvae")
def train_recipe(recipe: Any, x: torch.Tensor, y: torch.Tensor, *, epochs: int, device: Any = "cpu",
                 progress: bool = False, on_epoch: Any = None) -> tuple[HierarchicalVAE, dict[str, list[float]]]:
    """Train a recipe's HierarchicalVAE as :func:`vae_lib.train.fit` trains a VAE: Adam(``lr``), ``batch_size``,
    cosine decay over the run, dynamic binarization (``pixels="binary"``), seeds ``seed`` (order), ``seed + 1``
    (pixels), ``seed + 2`` (eps); KL warm-up over ``kl_warmup_epochs``; ``extra["free_bits_top"]`` = lambda (free
    bits, Kingma et al. 2016, on the top layer): the KL of every top-layer dimension (batch mean) enters the
    objective as max(lambda, KL_j), so that below lambda nats a dimension's information costs nothing."""
    from .data import batches
    from .train import kl_weight, resolve_device

    epochs = validate.count(epochs, "epochs")
    if recipe.pixels != "binary":
        raise ValueError(f"the hvae trainer trains on binary pixels; recipe {recipe.name} asks for {recipe.pixels!r}")
    free_bits = validate.number(recipe.extra.get("free_bits_top", 0.0), "extra.free_bits_top", minimum=0.0)
    dev = resolve_device(device)
    torch.manual_seed(recipe.seed)
    model = HierarchicalVAE(**recipe.config).to(dev)
    x_all, _ = model.check_inputs(x)
    x_all = x_all.to(dev)
    g_order = torch.Generator(device=dev).manual_seed(recipe.seed)
    g_bin = torch.Generator(device=dev).manual_seed(recipe.seed + 1)
    g_eps = torch.Generator(device=dev).manual_seed(recipe.seed + 2)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    steps_per_epoch = math.ceil(x_all.shape[0] / recipe.batch_size)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * steps_per_epoch)
             if recipe.schedule == "cosine" else None)
    warm = round(recipe.kl_warmup_epochs * steps_per_epoch)
    hist: dict[str, list[float]] = {k: [] for k in ("train_elbo", "train_rec", "train_kl_top", "train_kl_bottom",
                                                     "seconds")}
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        sums = torch.zeros(3, dtype=torch.float64)
        for (xb,) in batches(x_all, batch_size=recipe.batch_size, generator=g_order):
            if recipe.pixels == "binary":
                xb = torch.bernoulli(xb, generator=g_bin)
            t = model._terms(xb, g_eps)
            kl2_d = t["kl2_d"].mean(0)            # the top layer's KL per dimension, batch mean
            if free_bits > 0:                        # free bits: below lambda nats a dimension's KL costs nothing
                kl2_d = kl2_d.clamp(min=free_bits)
            b = kl_weight.unchecked(step, beta=recipe.beta, warmup_steps=warm)
            loss = -t["rec"].mean() + b * (kl2_d.sum() + t["kl1"].mean())
            if not torch.isfinite(loss):
                raise RuntimeError(f"training {recipe.name} diverged at epoch {epoch} (loss {loss.item()})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            with torch.no_grad():
                sums += torch.stack([t["rec"].sum(), t["kl2"].sum(), t["kl1"].sum()]).double().cpu()
        rec, kl2, kl1 = (sums / x_all.shape[0]).tolist()
        for key, v in zip(hist, (rec - kl2 - kl1, rec, kl2, kl1, time.perf_counter() - t0)):
            hist[key].append(round(v, 4))
        if progress:
            print(f"[hvae] {recipe.name} epoch {epoch}/{epochs}: ELBO {rec - kl2 - kl1:.2f}, rec {rec:.2f}, "
                  f"KL top {kl2:.2f}, KL bottom {kl1:.2f} nats ({hist['seconds'][-1]:.0f} s)", flush=True)
        if on_epoch is not None:
            on_epoch(model, {"epoch": epoch, "train_elbo": rec - kl2 - kl1})
    model.eval()
    return model.cpu(), hist


def _measure(model: HierarchicalVAE, x: torch.Tensor) -> dict[str, float]:
    return {k: round(v, 4) for k, v in elbo_terms(model, x, seed=PROTOCOL.seed).items()} | {"n": int(x.shape[0])}


def evaluate_recipe(model: HierarchicalVAE, recipe: Any, x: torch.Tensor, y: Any = None) -> dict[str, Any]:
    """The manifest figures (nats per example), under :data:`vae_lib.protocol.PROTOCOL`: ELBO term by term on the
    test set and on its first ``subset`` = 1,000 images (seed 0), active units per layer (threshold 0.01), and
    -log p(x) by L_k (k = recipe.iwae_k, seed 0) on the first 1,000 test images."""
    n, seed = PROTOCOL.subset, PROTOCOL.seed
    out: dict[str, Any] = {"test": _measure(model, x), "subset1000": _measure(model, x[:n])}
    au = active_units_per_layer(model, x, PROTOCOL.active_threshold)
    out["active_units"] = au["z1"] + au["z2"]
    out["active_units_z1"], out["active_units_z2"] = au["z1"], au["z2"]
    out["active_unit_threshold"] = PROTOCOL.active_threshold
    out["nll_iwae"] = None
    if recipe.iwae_k:
        t0 = time.perf_counter()
        b = iwae_bounds(model, x[:n], recipe.iwae_k, seed=seed)
        out["nll_iwae"] = {"value": round(float(-b.mean()), 4), "se": round(float(b.std() / math.sqrt(len(b))), 4),
                           "k": recipe.iwae_k, "n": n, "seed": seed, "seconds": round(time.perf_counter() - t0, 1)}
    return out
