"""Tiny latent-variable models where log p(x) and p(z|x) are known exactly.

They let a notebook (and a test) check the claims that are only bounds on a real VAE:
ELBO <= log p(x), log p(x) = ELBO + KL(q(z|x) || p(z|x)), IWAE bounds rising with k.

``LinearGaussian``: p(z) = N(0, I_K), p(x|z) = N(W z + b, sigma^2 I_D). Then

* marginal:  p(x) = N(b, W W^T + sigma^2 I)
* posterior: p(z|x) = N(m, S),  S = (I + W^T W / sigma^2)^{-1},  m = S W^T (x - b) / sigma^2

Its ``encode`` is an amortized Gaussian encoder with a *diagonal* covariance, set by
default to the exact posterior's mean and diagonal; when the columns of W are orthogonal,
S is diagonal and q equals p(z|x) exactly, so the ELBO equals log p(x).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .losses import LOG_2PI, gaussian_log_likelihood

__all__ = ["LinearGaussian"]


class LinearGaussian(nn.Module):
    """A linear-Gaussian latent-variable model with an exact marginal and posterior.

    Works with :func:`vae_lib.losses.elbo` and :func:`vae_lib.losses.iwae_bound` (it has
    ``encode`` and ``log_likelihood``). Data ``x`` is ``[B, D]``, codes ``z`` are ``[B, K]``.
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor | None = None, sigma: float = 0.5) -> None:
        super().__init__()
        if W.dim() != 2:
            raise ValueError(f"W must be a [D, K] matrix; got shape {list(W.shape)}")
        if sigma <= 0:
            raise ValueError(f"sigma must be > 0; got {sigma}")
        D, K = W.shape
        self.W = nn.Parameter(W.clone().double())
        self.b = nn.Parameter((torch.zeros(D) if b is None else b.clone()).double())
        self.log_sigma2 = math.log(sigma**2)
        # the amortized encoder q(z|x) = N(A (x - b) + c, diag(exp(logvar))); start at the exact posterior
        m_mat, s_diag = self._posterior_maps()
        self.A = nn.Parameter(m_mat.clone())
        self.c = nn.Parameter(torch.zeros(K, dtype=torch.float64))
        self.q_logvar = nn.Parameter(s_diag.log().clone())

    @property
    def sigma2(self) -> float:
        return math.exp(self.log_sigma2)

    def _posterior_maps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """S W^T / sigma^2 (maps x - b to the posterior mean) and the diagonal of S."""
        K = self.W.shape[1]
        S = torch.linalg.inv(torch.eye(K, dtype=self.W.dtype) + self.W.T @ self.W / self.sigma2)
        return (S @ self.W.T / self.sigma2).detach(), torch.diagonal(S).detach()

    # --- the pieces elbo() and iwae_bound() use ---------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu = (x - self.b) @ self.A.T + self.c
        return mu, self.q_logvar.expand_as(mu)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x; W z + b, sigma^2 I) per example; z is [B, K] or [S, B, K]."""
        return gaussian_log_likelihood(x, z @ self.W.T + self.b, self.log_sigma2)

    # --- exact quantities -------------------------------------------------------
    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) = log N(x; b, W W^T + sigma^2 I), exactly, per example."""
        D = self.W.shape[0]
        cov = self.W @ self.W.T + self.sigma2 * torch.eye(D, dtype=self.W.dtype)
        return torch.distributions.MultivariateNormal(self.b, covariance_matrix=cov).log_prob(x)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact p(z|x) = N(m, S): returns m [B, K] and the full covariance S [K, K]."""
        K = self.W.shape[1]
        S = torch.linalg.inv(torch.eye(K, dtype=self.W.dtype) + self.W.T @ self.W / self.sigma2)
        return (x - self.b) @ (S @ self.W.T / self.sigma2).T, S

    def log_joint(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x, z) = log p(x|z) + log p(z)."""
        return self.log_likelihood(x, z) - 0.5 * (z.pow(2) + LOG_2PI).sum(-1)
