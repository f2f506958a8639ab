"""KL divergences, log-likelihoods, the ELBO and the importance-weighted bound.

Conventions (the same in every notebook): every function returns one value **per
example**, summed over pixels (D) and latent dimensions (K), in **nats**. Encoders give
``mu`` and ``logvar = log sigma^2``; the prior is p(z) = N(0, I).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from . import validate

__all__ = [
    "ELBO",
    "bernoulli_log_likelihood",
    "elbo",
    "gaussian_log_likelihood",
    "iwae_bound",
    "kl_normal",
    "kl_std_normal",
    "log_normal_diag",
    "log_prior",
    "reparameterize",
]

LOG_2PI = math.log(2.0 * math.pi)


def kl_std_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over the last (latent) dimension.

    .. math:: \mathrm{KL} = \tfrac12 \sum_{j=1}^{K} \big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)

    Returns ``[...]`` (the shape of ``mu`` without its last dimension), in nats.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def kl_normal(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    r"""KL(q || p) between two diagonal Gaussians, summed over the last dimension.

    .. math:: \mathrm{KL} = \tfrac12 \sum_j \Big(\log\frac{\sigma_{p,j}^2}{\sigma_{q,j}^2}
              + \frac{\sigma_{q,j}^2 + (\mu_{q,j}-\mu_{p,j})^2}{\sigma_{p,j}^2} - 1\Big)

    computed as :math:`\tfrac12\sum_j \big(f(r_j) + (\mu_{q,j}-\mu_{p,j})^2/\sigma_{p,j}^2\big)` with
    :math:`r = \log\sigma_q^2 - \log\sigma_p^2` and :math:`f(r) = e^r - 1 - r \ge 0` (``expm1``: accurate
    when q and p are close). Where the true value is infinite (``sigma_p = 0`` with ``sigma_q > 0``, or
    ``sigma_q = inf``), the result is ``+inf``, never NaN.
    Not symmetric: ``kl_normal(q, p) != kl_normal(p, q)`` in general.
    """
    r = logvar_q - logvar_p
    f = torch.where(r == math.inf, torch.full_like(r, math.inf), torch.expm1(r) - r)
    d2 = (mu_q - mu_p).pow(2)
    m = torch.where(d2 == 0, torch.zeros_like(d2), d2 * (-logvar_p).exp())
    return 0.5 * (f + m).sum(-1)


def _sum_event(t: torch.Tensor, event_ndim: int) -> torch.Tensor:
    return t.sum(dim=tuple(range(-event_ndim, 0))) if event_ndim > 0 else t


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    r"""log p(x | z) for a Bernoulli decoder with ``p = sigmoid(logits)``, per example.

    .. math:: \log p(x\mid z) = \sum_d x_d \log p_d + (1 - x_d)\log(1 - p_d)

    i.e. minus the binary cross-entropy, computed from logits (stable for any logit).
    ``x`` is ``[B, ...]``; ``logits`` is ``[B, ...]`` or ``[S, B, ...]`` (S samples of z);
    the sum runs over the dimensions of one example, giving ``[B]`` or ``[S, B]``.
    """
    logits, xb = torch.broadcast_tensors(logits, x)
    ll = -F.binary_cross_entropy_with_logits(logits, xb, reduction="none")
    return _sum_event(ll, x.dim() - 1)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor | float) -> torch.Tensor:
    r"""log N(x; mean, diag(exp(logvar))) per example, summed over the dimensions of one example.

    .. math:: \log p(x\mid z) = -\tfrac12 \sum_d \Big(\frac{(x_d-\hat x_d)^2}{\sigma^2} + \log\sigma^2 + \log 2\pi\Big)

    With a fixed sigma this is ``-||x - mean||^2 / (2 sigma^2)`` plus a constant: squared error.
    ``x`` is ``[B, ...]``; ``mean`` may carry leading sample dimensions ``[S, B, ...]``.
    """
    logvar = torch.as_tensor(logvar, dtype=mean.dtype, device=mean.device)
    ll = -0.5 * ((x - mean).pow(2) * (-logvar).exp() + logvar + LOG_2PI)
    ll = ll.expand(torch.broadcast_shapes(ll.shape, mean.shape))
    return _sum_event(ll, x.dim() - 1)


def log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""log N(z; mu, diag(exp(logvar))), summed over the last (latent) dimension."""
    return -0.5 * ((z - mu).pow(2) * (-logvar).exp() + logvar + LOG_2PI).sum(-1)


def log_prior(z: torch.Tensor) -> torch.Tensor:
    r"""log p(z) for the prior p(z) = N(0, I), summed over the last dimension."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def reparameterize(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Draw z ~ N(mu, sigma^2) as a differentiable function of (mu, logvar).

    .. math:: z = \mu + \sigma \odot \varepsilon,\quad \sigma = e^{\frac12\log\sigma^2},\quad \varepsilon\sim N(0, I)

    One independent eps per example and per latent dimension (never one eps shared by a
    batch). ``n_samples=None`` gives ``[B, K]``; an integer S gives ``[S, B, K]``.
    """
    shape = mu.shape if n_samples is None else (n_samples, *mu.shape)
    eps = torch.randn(shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + (0.5 * logvar).exp() * eps


class ELBO(NamedTuple):
    """The evidence lower bound and its two terms, each ``[B]`` in nats per example."""

    elbo: torch.Tensor
    log_likelihood: torch.Tensor
    kl: torch.Tensor


def _check_beta(beta: float) -> float:
    try:
        return validate.number(beta, "beta", minimum=0.0)
    except (TypeError, ValueError):
        raise ValueError(f"beta must be a finite number >= 0 (it weights the KL term; beta = 1 is the true ELBO); "
                         f"got {beta!r}") from None


def _check_model_inputs(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None, what: str):
    """The model's own input checks (images and labels), when it has them (the toy models do not)."""
    if getattr(model, "is_variational", True) is False:
        raise TypeError(f"{what} needs a model with a prior and an encoder distribution (a VAE); "
                        f"{type(model).__name__} has none. For an Autoencoder use model.terms(x) or "
                        "model.log_likelihood(x, model.encode(x)): its reconstruction term.")
    check = getattr(model, "check_inputs", None)
    if check is not None:
        return check(x, labels)
    if labels is not None:
        raise ValueError(f"{type(model).__name__} takes no labels")
    return x, None


def elbo(
    model: torch.nn.Module,
    x: torch.Tensor,
    beta: float = 1.0,
    n_samples: int = 1,
    *,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> ELBO:
    r"""The (beta-weighted) ELBO of a VAE, per example.

    .. math:: \mathcal{L}_\beta(x) = \mathbb{E}_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]
              - \beta\,\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))

    The expectation is estimated with ``n_samples`` reparameterized samples (L = 1 in
    training); the KL term is exact (closed form) for the prior N(0, I), and estimated with the same
    samples for a learned prior. ``model`` needs ``encode(x) -> (mu, logvar)`` and
    ``log_likelihood(x, z) -> [S, B]`` (the VAEs in :mod:`vae_lib.models` and the toy models have
    both). For a conditional model pass ``labels``. Inputs are checked first (shape, dtype, pixels
    in [0, 1], labels as the model needs them).
    Returns ``ELBO(elbo, log_likelihood, kl)``, each ``[B]``; ``elbo = log_likelihood - beta * kl``.
    """
    beta = _check_beta(beta)
    n_samples = validate.count(n_samples, "n_samples")
    x, labels = _check_model_inputs(model, x, labels, "elbo")
    return _elbo(model, x, beta, n_samples, labels, generator)


def _elbo(model: torch.nn.Module, x: torch.Tensor, beta: float, n_samples: int, labels: torch.Tensor | None,
          generator: torch.Generator | None) -> ELBO:
    """:func:`elbo` without the input checks (the training loop checks its data once, not per batch)."""
    cond = () if labels is None else (labels,)
    mu, logvar = model.encode(x, *cond)
    z = reparameterize(mu, logvar, n_samples, generator)
    rec = model.log_likelihood(x, z, *cond).mean(0)
    kl = model.kl(mu, logvar, z) if hasattr(model, "kl") else kl_std_normal(mu, logvar)
    return ELBO(rec - beta * kl, rec, kl)


def iwae_bound(
    model: torch.nn.Module,
    x: torch.Tensor,
    k: int,
    *,
    labels: torch.Tensor | None = None,
    chunk_size: int = 100,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The importance-weighted bound (Burda et al. 2016) with k samples, per example.

    .. math:: \mathcal{L}_k(x) = \log \frac1k \sum_{i=1}^k
              \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)},\qquad z_i \sim q_\phi(z\mid x)

    :math:`\mathcal L_k(x)` is a random variable (it depends on the draws): E[L_1] = ELBO <= E[L_k] <=
    E[L_{k+1}] <= log p(x), and L_k -> log p(x) as k grows. The k samples are drawn ``chunk_size`` at a
    time and merged with a running log-sum-exp, so memory stays bounded for k = 5000. Returns one draw
    of L_k per example, ``[B]``, in nats.
    """
    k = validate.count(k, "k")
    chunk_size = validate.count(chunk_size, "chunk_size")
    x, labels = _check_model_inputs(model, x, labels, "iwae_bound")
    cond = () if labels is None else (labels,)
    log_p = getattr(model, "log_prior", log_prior)
    mu, logvar = model.encode(x, *cond)
    total = torch.full(mu.shape[:-1], -math.inf, dtype=mu.dtype, device=mu.device)
    done = 0
    while done < k:
        s = min(chunk_size, k - done)
        z = reparameterize(mu, logvar, s, generator)
        log_w = model.log_likelihood(x, z, *cond) + log_p(z) - log_normal_diag(z, mu, logvar)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
        done += s
    return total - math.log(k)


def _iwae_terms(model: torch.nn.Module, x: torch.Tensor, k: int, labels: torch.Tensor | None,
                generator: torch.Generator | None) -> ELBO:
    """The importance-weighted objective for training (Burda et al. 2016): ``(L_k, mean log p(x|z_i), mean
    KL estimate)`` from one set of k samples per example (no input checks, no chunking: k is small)."""
    cond = () if labels is None else (labels,)
    mu, logvar = model.encode(x, *cond)
    z = reparameterize(mu, logvar, k, generator)
    rec = model.log_likelihood(x, z, *cond)
    log_q_over_p = log_normal_diag(z, mu, logvar) - getattr(model, "log_prior", log_prior)(z)
    bound = torch.logsumexp(rec - log_q_over_p, dim=0) - math.log(k)
    return ELBO(bound, rec.mean(0), log_q_over_p.mean(0))
