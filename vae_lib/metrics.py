r"""Numbers that describe a trained model: active latent units and a log-likelihood estimate.

* **Active units** (Burda et al. 2015, appendix): a latent dimension k is *active* when the
  encoder's mean moves with the input,

  .. math:: A_k = \operatorname{Cov}_x\big(\mathbb{E}_{q_\phi(z\mid x)}[z_k]\big)
            = \operatorname{Var}_x\big(\mu_k(x)\big) > 0.01 .

  A collapsed dimension has ``mu_k(x) ~= 0`` for every x (its posterior equals the prior), so
  ``A_k ~= 0``: the decoder gets no information through it.
* **-log p(x)** estimated with the importance-weighted bound (:func:`vae_lib.losses.iwae_bound`),
  seeded and batched so that k = 1000 or 5000 samples stay within memory.

Both work for every model in :mod:`vae_lib.models`: an Autoencoder's "posterior mean" is its
code z = encoder(x); a ConditionalVAE needs the labels.
"""

from __future__ import annotations

import torch
from torch import nn

from .losses import iwae_bound
from .models import Autoencoder

__all__ = ["active_units", "knn_accuracy", "latent_activity", "negative_log_likelihood"]


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _posterior_mean(model: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """E_q[z | x]: ``mu`` of a VAE, the code of an Autoencoder; ``[B, K]``."""
    if isinstance(model, Autoencoder):
        return model.encode(x)
    if hasattr(model, "n_classes"):
        if labels is None:
            raise ValueError("a ConditionalVAE needs labels=... to encode its inputs")
        return model.encode(x, labels)[0]
    return model.encode(x)[0]


@torch.no_grad()
def latent_activity(model: nn.Module, images: torch.Tensor, *, labels: torch.Tensor | None = None,
                    batch_size: int = 1000) -> torch.Tensor:
    r"""The activity of every latent dimension, ``A_k = Var_x(E_q[z_k | x])``, shape ``[K]``.

    .. math:: A_k = \frac{1}{N}\sum_{n=1}^{N}\big(\mu_k(x_n) - \bar\mu_k\big)^2,
              \qquad \bar\mu_k = \frac1N\sum_n \mu_k(x_n)

    (the population variance over ``images``, accumulated in float64).
    """
    if images.shape[0] < 2:
        raise ValueError(f"the activity is a variance over inputs: need at least 2 images; got {images.shape[0]}")
    was_training = model.training
    model.eval()
    device = _device(model)
    means = []
    for start in range(0, images.shape[0], batch_size):
        x = images[start:start + batch_size].to(device)
        y = None if labels is None else labels[start:start + batch_size].to(device)
        means.append(_posterior_mean(model, x, y).double().cpu())
    model.train(was_training)
    mu = torch.cat(means)
    return mu.var(dim=0, unbiased=False)


def active_units(model: nn.Module, images: torch.Tensor, threshold: float = 0.01, *,
                 labels: torch.Tensor | None = None, batch_size: int = 1000) -> int:
    r"""The number of active latent units: :math:`\#\{k : A_k > \text{threshold}\}`, with
    :math:`A_k = \mathrm{Cov}_x(\mathbb{E}_{q(z\mid x)}[z_k])` (see :func:`latent_activity`).

    The usual threshold is 0.01 (Burda et al. 2015); the prior's variance is 1, so an active
    unit's means spread over a good part of the prior, an inactive one's barely move.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0; got {threshold}")
    return int((latent_activity(model, images, labels=labels, batch_size=batch_size) > threshold).sum())


@torch.no_grad()
def negative_log_likelihood(model: nn.Module, images: torch.Tensor, k: int = 1000, *,
                            labels: torch.Tensor | None = None, batch_size: int = 100,
                            chunk_size: int = 100, seed: int = 0) -> float:
    r"""Estimate the test negative log-likelihood, in nats per example, by the importance-weighted bound.

    .. math:: -\log p(x) \approx -\frac1N\sum_{n=1}^N \mathcal{L}_k(x_n),\qquad
              \mathcal{L}_k(x) = \log\frac1k\sum_{i=1}^k \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)}

    Since :math:`\mathcal{L}_k \le \log p(x)`, the estimate is an *upper* bound on -log p(x)
    (in expectation) that tightens as k grows. Images go ``batch_size`` at a time, samples
    ``chunk_size`` at a time (memory ``batch_size * chunk_size * 784`` floats); the samples come
    from a generator seeded by ``seed``, so the same call gives the same number.
    """
    if isinstance(model, Autoencoder):
        raise TypeError("an Autoencoder has no likelihood p(x): it is not a generative model")
    was_training = model.training
    model.eval()
    device = _device(model)
    gen = torch.Generator(device=device).manual_seed(seed)
    total = torch.zeros((), dtype=torch.float64)
    for start in range(0, images.shape[0], batch_size):
        x = images[start:start + batch_size].to(device)
        y = None if labels is None else labels[start:start + batch_size].to(device)
        total += iwae_bound(model, x, k, labels=y, chunk_size=chunk_size, generator=gen).double().sum().cpu()
    model.train(was_training)
    return float(-total / images.shape[0])


def knn_accuracy(z: torch.Tensor, labels: torch.Tensor, n_train: int = 4000, n_eval: int = 1000, k: int = 5) -> float:
    """How well the label can be read off a code: k-nearest-neighbour accuracy in latent space.

    Each of the codes ``z[n_train : n_train + n_eval]`` is given the most common label among its
    ``k`` nearest codes (Euclidean) in ``z[:n_train]``; returns the fraction labelled correctly
    (chance is 1 / number of classes). High for a VAE's codes of digits, low when the code
    carries no label information (a KL-only encoder, or a conditional VAE, whose label is given).
    """
    if z.dim() != 2 or labels.shape != z.shape[:1]:
        raise ValueError(f"expected codes [N, K] and labels [N]; got {list(z.shape)} and {list(labels.shape)}")
    if z.shape[0] < n_train + n_eval:
        raise ValueError(f"need at least n_train + n_eval = {n_train + n_eval} codes; got {z.shape[0]}")
    if not 1 <= k <= n_train:
        raise ValueError(f"k must lie in [1, n_train = {n_train}]; got {k}")
    d = torch.cdist(z[n_train:n_train + n_eval].float(), z[:n_train].float())
    nearest = labels[:n_train][d.topk(k, largest=False).indices]
    return (nearest.mode(dim=1).values == labels[n_train:n_train + n_eval]).float().mean().item()
