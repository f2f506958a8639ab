r"""Diffusion as a hierarchical VAE with a fixed encoder, on 2-D toy data (``trainer="diffusion"`` in the zoo).

The latents are :math:`x_1, \dots, x_T` (each the size of the data). The *encoder is fixed*: the forward noising

.. math:: q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I),\qquad
          q(x_t\mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I),\qquad
          \alpha_t = 1-\beta_t,\ \bar\alpha_t = \textstyle\prod_{s\le t}\alpha_s,

and the decoder is learned: :math:`p(x_T) = \mathcal N(0, I)`, :math:`p_\theta(x_{t-1}\mid x_t) =
\mathcal N(\mu_\theta(x_t, t), \sigma_t^2 I)` with :math:`\sigma_t^2 = \beta_t` and
:math:`\mu_\theta = (x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat\varepsilon_\theta(x_t, t))/\sqrt{\alpha_t}`.
The ELBO in the series' terms (nats per example):

.. math:: \mathcal L(x_0) = \underbrace{\mathbb E_q \log p_\theta(x_0\mid x_1)}_{\text{reconstruction}}
   - \underbrace{\mathrm{KL}(q(x_T\mid x_0)\,\|\,\mathcal N(0, I))}_{\text{prior term}}
   - \sum_{t=2}^{T}\underbrace{\mathbb E_q\,\mathrm{KL}(q(x_{t-1}\mid x_t, x_0)\,\|\,p_\theta(x_{t-1}\mid x_t))}_{\text{one KL per step}}

and each step's KL is a constant plus a weighted ε-error,
:math:`\mathrm{KL}_t = C_t + w_t\,\lVert\varepsilon - \hat\varepsilon_\theta\rVert^2` with
:math:`w_t = \beta_t^2 / (2\sigma_t^2\alpha_t(1-\bar\alpha_t))`: the ε-prediction loss is a reweighted ELBO.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from . import validate

__all__ = ["DiffusionModel", "diffusion_elbo", "eps_loss", "eps_weight", "evaluate_recipe", "prior_kl",
           "q_posterior", "q_sample", "step_kl", "step_kl_constant", "train_recipe", "two_moons"]

LOG_2PI = math.log(2 * math.pi)


def two_moons(n: int, *, noise: float = 0.08, seed: int = 0) -> torch.Tensor:
    """``n`` points ``[n, 2]`` of the two-moons set (two interleaved half circles with Gaussian noise), centred and
    scaled to about unit spread; seeded."""
    n = validate.count(n, "n", cap="samples")
    noise = validate.number(noise, "noise", minimum=0.0)
    g = torch.Generator().manual_seed(validate.seed(seed))
    upper = torch.rand(n, generator=g) < 0.5
    angle = torch.rand(n, generator=g) * math.pi
    x = torch.where(upper, torch.cos(angle), 1.0 - torch.cos(angle))
    y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
    pts = torch.stack([x, y], dim=1) + noise * torch.randn(n, 2, generator=g)
    return ((pts - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])).float()


class DiffusionModel(nn.Module):
    r"""The decoder of a diffusion model on D-dimensional points: an MLP :math:`\hat\varepsilon_\theta(x_t, t)` with a
    sinusoidal embedding of t, and the fixed linear noise schedule :math:`\beta_1 \dots \beta_T` it was trained with.

    Args:
        data_dim: D (2 for the toy sets).
        hidden: the MLP's layer sizes.
        steps: T, the number of noising steps.
        beta_min, beta_max: the schedule, linear from beta_1 = beta_min to beta_T = beta_max.
        time_dim: size of the time embedding (sines and cosines of t / T at time_dim / 2 frequencies).
    """

    def __init__(self, data_dim: int = 2, hidden: Sequence[int] = (64, 64), steps: int = 50,
                 beta_min: float = 1e-3, beta_max: float = 0.2, time_dim: int = 16) -> None:
        super().__init__()
        self.data_dim = validate.count(data_dim, "data_dim", cap="latent_dim")
        self.hidden = validate.layer_sizes(hidden, "hidden", allow_empty=False)
        self.steps = validate.count(steps, "steps", maximum=10_000)
        self.beta_min = validate.number(beta_min, "beta_min", minimum=0.0, strict_min=True, maximum=0.5)
        self.beta_max = validate.number(beta_max, "beta_max", minimum=self.beta_min, maximum=0.999)
        self.time_dim = validate.count(time_dim, "time_dim", minimum=2)
        if self.time_dim % 2:
            raise ValueError(f"time_dim must be even (sines and cosines); got {time_dim}")
        sizes = [self.data_dim + self.time_dim, *self.hidden, self.data_dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.SiLU())
        self.net = nn.Sequential(*layers)
        # the schedule, index t = 0..T (index 0: no noise, beta_0 = 0, alpha_bar_0 = 1), float64
        betas = torch.cat([torch.zeros(1, dtype=torch.float64),
                           torch.linspace(self.beta_min, self.beta_max, self.steps, dtype=torch.float64)])
        self.register_buffer("betas", betas, persistent=False)
        self.register_buffer("alpha_bar", torch.cumprod(1.0 - betas, 0), persistent=False)

    @property
    def config(self) -> dict[str, Any]:
        return {"data_dim": self.data_dim, "hidden": list(self.hidden), "steps": self.steps,
                "beta_min": self.beta_min, "beta_max": self.beta_max, "time_dim": self.time_dim}

    @property
    def alphas(self) -> torch.Tensor:
        return 1.0 - self.betas

    @property
    def sigma2(self) -> torch.Tensor:
        """The reverse process's variances sigma_t^2 = beta_t (index t = 0..T)."""
        return self.betas

    def embed(self, t: torch.Tensor) -> torch.Tensor:
        """Sinusoidal embedding of integer steps ``t`` ``[B]`` -> ``[B, time_dim]``."""
        half = self.time_dim // 2
        freqs = torch.exp(torch.linspace(0.0, math.log(100.0), half))
        ang = (t.float() / self.steps)[:, None] * freqs[None] * math.pi
        return torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The predicted noise eps_hat(x_t, t), ``[B, D]``; ``t``: integers 1..T, ``[B]``."""
        return self.net(torch.cat([x_t, self.embed(t)], dim=1))

    def check_points(self, x: Any, name: str = "x0") -> torch.Tensor:
        x = validate.float_tensor(x, name, ndim=2)
        if x.shape[1] != self.data_dim or x.shape[0] == 0:
            raise ValueError(f"{name} must be points [N, {self.data_dim}] (N >= 1); got {list(x.shape)}")
        return x

    def check_step(self, t: Any, name: str = "t") -> int:
        return validate.count(t, name, minimum=1, maximum=self.steps)

    @torch.no_grad()
    def predict_x0(self, x_t: torch.Tensor, t: int) -> torch.Tensor:
        r"""The model's denoised estimate :math:`\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/
        \sqrt{\bar\alpha_t}` from points at step t (1..T)."""
        x_t, t = self.check_points(x_t, "x_t"), self.check_step(t)
        ab = float(self.alpha_bar[t])
        eps = self(x_t, torch.full((x_t.shape[0],), t))
        return (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0, trajectory: bool = False) -> torch.Tensor:
        """Ancestral sampling x_T ~ N(0, I), x_{t-1} ~ p(x_{t-1}|x_t), down to the mean of p(x_0|x_1). Returns
        ``[n, D]``, or with ``trajectory`` every step ``[T + 1, n, D]`` (index t: x_t)."""
        n = validate.count(n, "n", cap="samples")
        g = torch.Generator().manual_seed(validate.seed(seed))
        x = torch.randn(n, self.data_dim, generator=g)
        path = [x]
        for t in range(self.steps, 0, -1):
            mean = p_mean(self, x, t, self(x, torch.full((n,), t)))
            x = mean if t == 1 else mean + math.sqrt(float(self.sigma2[t])) * torch.randn(x.shape, generator=g)
            path.append(x)
        return torch.stack(path[::-1]) if trajectory else x


# --------------------------------------------------------------------------- the closed forms
def q_sample(model: DiffusionModel, x0: torch.Tensor, t: int, eps: torch.Tensor) -> torch.Tensor:
    r"""A draw from :math:`q(x_t\mid x_0)`: :math:`\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon`
    (t = 0..T; t = 0 returns x0)."""
    ab = model.alpha_bar[t].float()
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def q_posterior(model: DiffusionModel, x0: torch.Tensor, x_t: torch.Tensor, t: int) -> tuple[torch.Tensor, float]:
    r""":math:`q(x_{t-1}\mid x_t, x_0) = \mathcal N(\tilde\mu_t, \tilde\beta_t I)` (t = 2..T): its mean ``[B, D]`` and
    variance :math:`\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t`."""
    b, a, ab, ab1 = (float(v) for v in (model.betas[t], model.alphas[t], model.alpha_bar[t], model.alpha_bar[t - 1]))
    mean = (math.sqrt(ab1) * b / (1 - ab)) * x0 + (math.sqrt(a) * (1 - ab1) / (1 - ab)) * x_t
    return mean, (1 - ab1) / (1 - ab) * b


def p_mean(model: DiffusionModel, x_t: torch.Tensor, t: int, eps_hat: torch.Tensor) -> torch.Tensor:
    r"""The reverse mean :math:`\mu_\theta = (x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat\varepsilon)/\sqrt{\alpha_t}`."""
    b, a, ab = (float(v) for v in (model.betas[t], model.alphas[t], model.alpha_bar[t]))
    return (x_t - b / math.sqrt(1 - ab) * eps_hat) / math.sqrt(a)


def step_kl(model: DiffusionModel, x0: torch.Tensor, x_t: torch.Tensor, t: int, eps_hat: torch.Tensor) -> torch.Tensor:
    r""":math:`\mathrm{KL}(q(x_{t-1}\mid x_t, x_0)\,\|\,p_\theta(x_{t-1}\mid x_t))` per example ``[B]``, nats, from
    the two Gaussians' closed form (t = 2..T)."""
    mu_q, var_q = q_posterior(model, x0, x_t, t)
    var_p = float(model.sigma2[t])
    mu_p = p_mean(model, x_t, t, eps_hat)
    d = x0.shape[1]
    return 0.5 * (d * (math.log(var_p / var_q) + var_q / var_p - 1.0) + (mu_q - mu_p).pow(2).sum(1) / var_p)


def eps_weight(model: DiffusionModel, t: int) -> float:
    r""":math:`w_t = \beta_t^2 / (2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t))`: step t's KL is
    :math:`C_t + w_t\lVert\varepsilon-\hat\varepsilon\rVert^2`."""
    b, a, ab = (float(v) for v in (model.betas[t], model.alphas[t], model.alpha_bar[t]))
    return b * b / (2 * float(model.sigma2[t]) * a * (1 - ab))


def step_kl_constant(model: DiffusionModel, t: int) -> float:
    r""":math:`C_t = \frac D2(\log\frac{\sigma_t^2}{\tilde\beta_t} + \frac{\tilde\beta_t}{\sigma_t^2} - 1)`: the part of
    step t's KL that no network can remove (the two variances differ)."""
    b, ab, ab1 = (float(v) for v in (model.betas[t], model.alpha_bar[t], model.alpha_bar[t - 1]))
    var_q, var_p = (1 - ab1) / (1 - ab) * b, float(model.sigma2[t])
    return 0.5 * model.data_dim * (math.log(var_p / var_q) + var_q / var_p - 1.0)


def prior_kl(model: DiffusionModel, x0: torch.Tensor) -> torch.Tensor:
    r""":math:`\mathrm{KL}(q(x_T\mid x_0)\,\|\,\mathcal N(0, I))` per example ``[B]``: no parameters in it."""
    ab = float(model.alpha_bar[model.steps])
    return 0.5 * (ab * x0.pow(2) + (1 - ab) - 1 - math.log(1 - ab)).sum(1)


def diffusion_elbo(model: DiffusionModel, x0: torch.Tensor, *, seed: int = 0) -> dict[str, torch.Tensor]:
    r"""The diffusion ELBO term by term, per example, one seeded draw of every :math:`x_t \sim q(x_t\mid x_0)`:
    ``rec`` ``[B]`` (:math:`\log p_\theta(x_0\mid x_1)`, a Gaussian density in nats), ``prior`` ``[B]``,
    ``kl`` ``[B, T + 1]`` (column t: step t's KL for t = 2..T; columns 0 and 1 are 0), ``eps_err`` ``[B, T + 1]``
    (:math:`\lVert\varepsilon-\hat\varepsilon\rVert^2` at every step t = 1..T), and ``elbo`` ``[B]``."""
    if not isinstance(model, DiffusionModel):
        raise TypeError(f"diffusion_elbo needs a DiffusionModel; got {validate._kind(model)}")
    x0 = model.check_points(x0)
    g = torch.Generator().manual_seed(validate.seed(seed))
    n, T = x0.shape[0], model.steps
    kl = torch.zeros(n, T + 1, dtype=torch.float64)
    err = torch.zeros(n, T + 1, dtype=torch.float64)
    with torch.no_grad():
        for t in range(1, T + 1):
            eps = torch.randn(x0.shape, generator=g)
            x_t = q_sample(model, x0, t, eps)
            eps_hat = model(x_t, torch.full((n,), t))
            err[:, t] = (eps - eps_hat).pow(2).sum(1).double()
            if t == 1:
                mean, var = p_mean(model, x_t, 1, eps_hat), float(model.sigma2[1])
                rec = (-0.5 * ((x0 - mean).pow(2) / var + math.log(var) + LOG_2PI).sum(1)).double()
            else:
                kl[:, t] = step_kl(model, x0, x_t, t, eps_hat).double()
        prior = prior_kl(model, x0).double()
    return {"rec": rec, "prior": prior, "kl": kl, "eps_err": err, "elbo": rec - prior - kl.sum(1)}


def eps_loss(model: DiffusionModel, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""The ε-prediction loss of a batch (Ho et al. 2020): t uniform on 1..T, :math:`\lVert\varepsilon -
    \hat\varepsilon_\theta(x_t, t)\rVert^2` averaged over the batch: every step's ε-error with weight 1 instead of
    the ELBO's :math:`w_t`."""
    n = x0.shape[0]
    t = torch.randint(1, model.steps + 1, (n,), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    ab = model.alpha_bar[t].float()[:, None]
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    return (eps - model(x_t, t)).pow(2).sum(1).mean()


# --------------------------------------------------------------------------- the zoo's trainer ("diffusion")
def _data(recipe: Any, split: str) -> torch.Tensor:
    extra = recipe.extra
    if extra.get("data") != "two-moons":
        raise ValueError(f"the diffusion trainer knows extra.data = 'two-moons'; got {extra.get('data')!r}")
    n = int(extra["n_train"]) if split == "train" else int(extra["n_test"])
    return two_moons(n, seed=recipe.seed if split == "train" else 10_000 + recipe.seed)


def train_recipe(recipe: Any, x: Any = None, y: Any = None, *, epochs: int, device: Any = "cpu",
                 progress: bool = False, on_epoch: Any = None) -> tuple[DiffusionModel, dict[str, list[float]]]:
    """Train a recipe's DiffusionModel on the 2-D toy set its ``extra`` names (the MNIST images the zoo passes in
    are not used): the ε-prediction loss, Adam(``lr``), ``batch_size``, cosine decay, seed ``recipe.seed``."""
    from .data import batches

    epochs = validate.count(epochs, "epochs")
    torch.manual_seed(recipe.seed)
    model = DiffusionModel(**recipe.config)
    data = _data(recipe, "train")
    g_order = torch.Generator().manual_seed(recipe.seed)
    g_noise = torch.Generator().manual_seed(recipe.seed + 2)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    steps = epochs * math.ceil(data.shape[0] / recipe.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if recipe.schedule == "cosine" else None
    hist: dict[str, list[float]] = {"train_eps_loss": [], "seconds": []}
    model.train()
    for epoch in range(1, epochs + 1):
        t0, total, seen = time.perf_counter(), 0.0, 0
        for (xb,) in batches(data, batch_size=recipe.batch_size, generator=g_order):
            loss = eps_loss(model, xb, g_noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total, seen = total + loss.item() * xb.shape[0], seen + xb.shape[0]
        hist["train_eps_loss"].append(round(total / seen, 5))
        hist["seconds"].append(round(time.perf_counter() - t0, 2))
        if progress and epoch % 10 == 0:
            print(f"[diffusion] {recipe.name} epoch {epoch}/{epochs}: eps loss {total / seen:.4f}", flush=True)
        if on_epoch is not None:
            on_epoch(model, {"epoch": epoch, "train_elbo": float("nan")})
    model.eval()
    return model, hist


def _measure(model: DiffusionModel, x0: torch.Tensor) -> dict[str, float]:
    t = diffusion_elbo(model, x0, seed=0)
    return {"elbo": round(float(t["elbo"].mean()), 4), "rec": round(float(t["rec"].mean()), 4),
            "prior": round(float(t["prior"].mean()), 4), "kl_steps": round(float(t["kl"].sum(1).mean()), 4),
            "eps_err": round(float(t["eps_err"][:, 1:].mean()), 4), "n": int(x0.shape[0])}


def evaluate_recipe(model: DiffusionModel, recipe: Any, x: Any = None, y: Any = None) -> dict[str, Any]:
    """The manifest figures on the recipe's toy test points (seed 10,000 + seed; the MNIST test set passed in is not
    used): the diffusion ELBO term by term in nats per example (a log-density of 2-D points), on all of them
    (``test``) and on the first 1,000 (``subset1000``)."""
    pts = _data(recipe, "test")
    return {"test": _measure(model, pts), "subset1000": _measure(model, pts[:1000]),
            "units": "nats per example (log-density of 2-D points)"}
