"""The toy models of vae_lib.toy: exact quantities and the identity log p(x) = ELBO + KL."""

from __future__ import annotations

import math

import pytest
import torch

from vae_lib.losses import kl_normal
from vae_lib.toy import NonlinearToy1D

Q_POINTS = [(0.0, 1.0), (1.0, 0.3), (-1.2, 0.02), (2.4, 0.05), (-4.0, 1.5), (4.0, 1.5), (0.7, 0.2)]


@pytest.fixture(scope="module")
def toy() -> NonlinearToy1D:
    return NonlinearToy1D()


@pytest.mark.parametrize("x", [-0.5, 1.5, 6.0])
@pytest.mark.parametrize("mu,sigma", Q_POINTS)
def test_identity_log_px_equals_elbo_plus_kl(toy, x, mu, sigma):
    t = toy.elbo_terms(x, mu, sigma)
    assert abs(t["log_px"] - (t["elbo"] + t["kl"])) < 1e-6
    assert t["kl"] >= -1e-9  # KL >= 0
    assert t["elbo"] <= t["log_px"] + 1e-9


@pytest.mark.parametrize("x", [-0.5, 1.5, 6.0])
def test_grid_is_converged(toy, x):
    """The documented grid accuracy: a 16x finer grid changes nothing beyond 1e-8 nats."""
    fine = NonlinearToy1D(n=16 * 12000 + 1)
    assert abs(toy.log_marginal(x) - fine.log_marginal(x)) < 1e-8
    for mu, sigma in Q_POINTS:
        a, b = toy.elbo_terms(x, mu, sigma), fine.elbo_terms(x, mu, sigma)
        assert abs(a["elbo"] - b["elbo"]) < 1e-7 and abs(a["kl"] - b["kl"]) < 1e-7


def test_posterior_is_normalised_and_bimodal(toy):
    log_post = toy.log_posterior(1.5)
    w = toy.log_w.exp()
    assert abs(float((log_post.exp() * w).sum()) - 1.0) < 1e-9
    p = log_post.exp()
    # two local maxima: near z = +-sqrt(x), i.e. the posterior is not Gaussian
    peaks = ((p[1:-1] > p[:-2]) & (p[1:-1] > p[2:])).nonzero().flatten()
    assert len(peaks) == 2
    assert float(toy.z[peaks[0] + 1]) < 0 < float(toy.z[peaks[1] + 1])


def test_log_marginal_against_monte_carlo(toy):
    """log p(x) = log E_{p(z)}[p(x|z)], estimated with 400k prior samples."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, generator=g, dtype=torch.float64)
    x = 1.5
    mc = float(torch.logsumexp(toy.log_likelihood(x, z), 0)) - math.log(z.numel())
    assert abs(mc - toy.log_marginal(x)) < 0.01


def test_elbo_against_monte_carlo(toy):
    g = torch.Generator().manual_seed(1)
    mu, sigma, x = 0.8, 0.3, 1.5
    z = mu + sigma * torch.randn(400_000, generator=g, dtype=torch.float64)
    log_q = -0.5 * ((z - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)
    mc = float((toy.log_joint(x, z) - log_q).mean())
    assert abs(mc - toy.elbo_terms(x, mu, sigma)["elbo"]) < 0.01


def test_linear_f_matches_closed_forms():
    """With f(z) = w z the model is linear-Gaussian: p(x) and p(z|x) are Gaussian in closed form."""
    w, s, x = 1.7, 0.6, 0.9
    toy = NonlinearToy1D(f=lambda z: w * z, s=s)
    var_x = w * w + s * s
    exact_log_px = -0.5 * (x * x / var_x + math.log(2 * math.pi * var_x))
    assert abs(toy.log_marginal(x) - exact_log_px) < 1e-9
    post_var = 1.0 / (1.0 + w * w / s**2)
    post_mu = post_var * w * x / s**2
    for mu, sigma in [(0.0, 1.0), (post_mu, math.sqrt(post_var)), (-1.0, 0.1)]:
        kl = float(kl_normal(torch.tensor([mu]), torch.tensor([2 * math.log(sigma)]),
                             torch.tensor([post_mu]), torch.tensor([math.log(post_var)])))
        assert abs(toy.elbo_terms(x, mu, sigma)["kl"] - kl) < 1e-5
    # at the exact posterior the gap closes
    assert toy.elbo_terms(x, post_mu, math.sqrt(post_var))["kl"] < 1e-9


def test_fit_q_reduces_the_gap(toy):
    out = toy.fit_q(1.5, mu=0.5, sigma=1.0, steps=150, lr=0.05)
    first, last = out["history"][0], out["history"][-1]
    assert last["kl"] < 0.25 * first["kl"]
    assert last["elbo"] > first["elbo"]
    assert abs(last["log_px"] - first["log_px"]) < 1e-12  # log p(x) does not depend on q
    assert 0.5 < out["mu"] < 1.3  # it settles on the heavier mode near +sqrt(1.5)


def test_clamp_q_and_errors():
    assert NonlinearToy1D.clamp_q(10, 100) == (NonlinearToy1D.MU_MAX, NonlinearToy1D.SIGMA_MAX)
    assert NonlinearToy1D.clamp_q(-10, 0) == (-NonlinearToy1D.MU_MAX, NonlinearToy1D.SIGMA_MIN)
    with pytest.raises(ValueError, match="s"):
        NonlinearToy1D(s=0)


def test_one_dimensional_kls_and_fits_agree_with_the_closed_forms():
    import math

    import numpy as np
    from scipy.stats import norm

    from vae_lib.losses import kl_normal
    from vae_lib.toy import fit_gaussian_1d, gaussian_kl_1d, kl_quadrature, mixture_log_pdf

    g = np.linspace(-12, 12, 4801)
    exact = gaussian_kl_1d(0.3, 0.7, -0.5, 1.2)
    lv = lambda s: torch.tensor([2 * math.log(s)], dtype=torch.float64)  # noqa: E731
    t = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
    assert math.isclose(exact, float(kl_normal(t(0.3), lv(0.7), t(-0.5), lv(1.2))), rel_tol=1e-12)
    assert abs(kl_quadrature(norm.logpdf(g, 0.3, 0.7), norm.logpdf(g, -0.5, 1.2), g) - exact) < 1e-6
    lp = mixture_log_pdf(g, 0.0, 0.6, 2.0, 0.5)
    mu, sigma = fit_gaussian_1d(lp, g, "pq")                  # moment matching: mean 0, variance 0.36 + 4
    assert abs(mu) < 1e-9 and abs(sigma - math.sqrt(0.36 + 4.0)) < 1e-6
    mu, sigma = fit_gaussian_1d(lp, g, "qp", start=(1.0, 0.5))  # mode-seeking: one bump
    assert abs(mu - 2.0) < 0.05 and abs(sigma - 0.6) < 0.05
