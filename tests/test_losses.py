"""Every math claim in vae_lib.losses, checked numerically (closed form vs Monte Carlo,
numerical integration, exact marginals of a linear-Gaussian model)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from vae_lib.losses import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_log_likelihood,
    iwae_bound,
    kl_normal,
    kl_std_normal,
    log_normal_diag,
    log_prior,
    reparameterize,
)
from vae_lib.toy import LinearGaussian

# ---------------------------------------------------------------- KL divergence


def _mc_kl(mu_q, logvar_q, mu_p, logvar_p, n=400_000, seed=0):
    """KL(q||p) = E_q[log q(z) - log p(z)], estimated with n samples (float64)."""
    g = torch.Generator().manual_seed(seed)
    z = reparameterize(mu_q, logvar_q, n, g)
    diff = log_normal_diag(z, mu_q, logvar_q) - log_normal_diag(z, mu_p, logvar_p)
    return diff.mean(0), diff.std(0) / math.sqrt(n)


def test_kl_std_normal_matches_monte_carlo():
    mu = torch.tensor([[0.3, -1.2, 2.0], [0.0, 0.5, -0.7]], dtype=torch.float64)
    logvar = torch.tensor([[-0.5, 0.8, 0.0], [1.2, -2.0, 0.3]], dtype=torch.float64)
    closed = kl_std_normal(mu, logvar)
    mc, se = _mc_kl(mu, logvar, torch.zeros_like(mu), torch.zeros_like(logvar))
    assert closed.shape == (2,)
    assert torch.all((closed - mc).abs() < 5 * se), (closed, mc, se)


def test_kl_normal_matches_monte_carlo_and_std_special_case():
    g = torch.Generator().manual_seed(1)
    mu_q, mu_p = torch.randn(4, 5, generator=g, dtype=torch.float64), torch.randn(4, 5, generator=g, dtype=torch.float64)
    lv_q, lv_p = torch.randn(4, 5, generator=g, dtype=torch.float64), torch.randn(4, 5, generator=g, dtype=torch.float64)
    closed = kl_normal(mu_q, lv_q, mu_p, lv_p)
    mc, se = _mc_kl(mu_q, lv_q, mu_p, lv_p)
    assert torch.all((closed - mc).abs() < 5 * se + 1e-9), (closed, mc, se)
    zeros = torch.zeros_like(mu_q)
    torch.testing.assert_close(kl_normal(mu_q, lv_q, zeros, zeros), kl_std_normal(mu_q, lv_q))


@pytest.mark.parametrize("mq,sq,mp,sp", [(0.0, 1.0, 0.0, 1.0), (1.0, 0.5, -0.5, 2.0), (-2.0, 3.0, 1.0, 0.7)])
def test_kl_1d_matches_numerical_integration(mq, sq, mp, sp):
    q, p = stats.norm(mq, sq), stats.norm(mp, sp)
    numeric, _ = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)), -np.inf, np.inf)
    closed = kl_normal(torch.tensor([mq]), torch.tensor([2 * math.log(sq)]),
                       torch.tensor([mp]), torch.tensor([2 * math.log(sp)]))
    assert closed.item() == pytest.approx(numeric, abs=1e-5)



def test_kl_nonnegative_and_zero_only_at_standard_normal():
    g = torch.Generator().manual_seed(2)
    mu, logvar = 3 * torch.randn(10_000, 4, generator=g), 3 * torch.randn(10_000, 4, generator=g)
    kl = kl_std_normal(mu, logvar)
    assert torch.all(kl >= 0)
    assert kl_std_normal(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 0.0
    # any move away from N(0, I), in the mean or the variance, makes it strictly positive
    for d_mu, d_lv in [(1e-2, 0.0), (0.0, 1e-2), (0.0, -1e-2)]:
        assert kl_std_normal(torch.full((1, 4), d_mu), torch.full((1, 4), d_lv)).item() > 0


def test_kl_normal_is_asymmetric():
    mu_q, lv_q = torch.tensor([0.0]), torch.tensor([math.log(0.25)])
    mu_p, lv_p = torch.tensor([1.0]), torch.tensor([math.log(4.0)])
    forward, reverse = kl_normal(mu_q, lv_q, mu_p, lv_p), kl_normal(mu_p, lv_p, mu_q, lv_q)
    assert forward.item() > 0 and reverse.item() > 0
    assert abs(forward.item() - reverse.item()) > 0.5


def test_kl_multivariate_diagonal_is_sum_of_1d_terms():
    g = torch.Generator().manual_seed(3)
    mu_q, mu_p, lv_q, lv_p = (torch.randn(6, generator=g, dtype=torch.float64) for _ in range(4))
    full = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(mu_q, torch.diag(lv_q.exp())),
        torch.distributions.MultivariateNormal(mu_p, torch.diag(lv_p.exp())))
    per_dim = sum(kl_normal(mu_q[i:i + 1], lv_q[i:i + 1], mu_p[i:i + 1], lv_p[i:i + 1]) for i in range(6))
    torch.testing.assert_close(kl_normal(mu_q, lv_q, mu_p, lv_p), full)
    torch.testing.assert_close(per_dim.squeeze(), full)

# ---------------------------------------------------------------- likelihoods


def test_bernoulli_log_likelihood_equals_hand_formula():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(3, 1, 28, 28, generator=g, dtype=torch.float64)  # grey values too, not only {0, 1}
    logits = 4 * torch.randn(3, 1, 28, 28, generator=g, dtype=torch.float64)
    p = torch.sigmoid(logits)
    hand = (x * p.log() + (1 - x) * (1 - p).log()).sum(dim=(1, 2, 3))
    torch.testing.assert_close(bernoulli_log_likelihood(x, logits), hand)
    # several samples of logits: one value per (sample, example)
    stacked = torch.stack([logits, logits + 1])
    out = bernoulli_log_likelihood(x, stacked)
    assert out.shape == (2, 3)
    torch.testing.assert_close(out[0], hand)


def test_bernoulli_log_likelihood_is_stable_for_extreme_logits():
    x = torch.tensor([[1.0, 0.0]])
    out = bernoulli_log_likelihood(x, torch.tensor([[200.0, -200.0]]))
    assert torch.isfinite(out).all() and out.item() == pytest.approx(0.0, abs=1e-6)


def test_gaussian_log_likelihood_equals_hand_formula_and_torch():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(4, 7, generator=g, dtype=torch.float64)
    mean = torch.randn(4, 7, generator=g, dtype=torch.float64)
    sigma2 = 0.3
    hand = -0.5 * ((x - mean) ** 2).sum(1) / sigma2 - 7 / 2 * math.log(2 * math.pi * sigma2)
    ours = gaussian_log_likelihood(x, mean, math.log(sigma2))
    torch.testing.assert_close(ours, hand)
    ref = torch.distributions.Normal(mean, math.sqrt(sigma2)).log_prob(x).sum(1)
    torch.testing.assert_close(ours, ref)
    lv = torch.randn(4, 7, generator=g, dtype=torch.float64)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, lv),
                               torch.distributions.Normal(mean, (0.5 * lv).exp()).log_prob(x).sum(1))


def test_log_prior_is_standard_normal():
    z = torch.randn(10, 3, dtype=torch.float64)
    torch.testing.assert_close(log_prior(z), torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1).double())

# ---------------------------------------------------------------- reparameterization


def test_reparameterization_gradients():
    mu = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    sigma = torch.tensor([0.3, 1.5, 0.8], requires_grad=True)
    eps = torch.randn(3, generator=torch.Generator().manual_seed(6))
    z = mu + sigma * eps
    dz_dmu = torch.autograd.grad(z.sum(), mu, retain_graph=True)[0]
    dz_dsigma = torch.autograd.grad(z.sum(), sigma)[0]
    torch.testing.assert_close(dz_dmu, torch.ones(3))
    torch.testing.assert_close(dz_dsigma, eps)
    # the library's version with logvar: dz/dlogvar = eps * sigma / 2, and the same z for the same generator
    lv = (2 * sigma.detach().log()).requires_grad_()
    mu2 = mu.detach().clone().requires_grad_()
    z2 = reparameterize(mu2, lv, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(z2, z.detach())
    z2.sum().backward()
    torch.testing.assert_close(mu2.grad, torch.ones(3))
    torch.testing.assert_close(lv.grad, eps * sigma.detach() / 2)


def test_reparameterize_draws_independent_eps_per_example():
    mu, lv = torch.zeros(5000, 2), torch.zeros(5000, 2)
    z = reparameterize(mu, lv, generator=torch.Generator().manual_seed(7))
    assert z.shape == (5000, 2)
    # rows are not copies of one eps: sample correlation between examples ~ 0, per-dim std ~ 1
    assert z.std(0).sub(1).abs().max() < 0.05
    corr = torch.corrcoef(torch.stack([z[:-1, 0], z[1:, 0]]))[0, 1]
    assert abs(corr.item()) < 0.05
    assert reparameterize(mu, lv, 3).shape == (3, 5000, 2)

# ---------------------------------------------------------------- ELBO and IWAE on an exact model


def _toy(orthogonal: bool, seed: int = 0) -> tuple[LinearGaussian, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    D, K = 6, 2
    W = torch.randn(D, K, generator=g, dtype=torch.float64)
    if orthogonal:
        W = torch.linalg.qr(W).Q * torch.tensor([2.0, 0.7], dtype=torch.float64)
    model = LinearGaussian(W, torch.randn(D, generator=g, dtype=torch.float64), s=0.5)
    z = torch.randn(64, K, generator=g, dtype=torch.float64)
    x = z @ model.W.detach().T + model.b.detach() + 0.5 * torch.randn(64, D, generator=g, dtype=torch.float64)
    return model, x


def test_linear_gaussian_marginal_matches_quadrature():
    """log p(x) = log of the integral of p(x|z) p(z) dz over a fine 2-D grid (independent of the closed form)."""
    model, x = _toy(orthogonal=False)
    with torch.no_grad():
        t = torch.linspace(-8, 8, 801, dtype=torch.float64)
        zz = torch.cartesian_prod(t, t).unsqueeze(1)  # [G, 1, 2]
        log_joint = model.log_joint(x[:4], zz)  # [G, 4]
        quad = torch.logsumexp(log_joint, 0) + 2 * math.log(t[1] - t[0])
        torch.testing.assert_close(quad, model.log_marginal(x[:4]), atol=1e-6, rtol=0)


@torch.no_grad()
def test_elbo_equals_log_px_when_q_is_the_true_posterior():
    model, x = _toy(orthogonal=True)
    m, S = model.posterior(x)
    assert torch.allclose(S, torch.diag(torch.diagonal(S)))  # orthogonal W: the posterior is diagonal
    mu, logvar = model.encode(x)
    torch.testing.assert_close(mu, m)
    torch.testing.assert_close(logvar[0].exp(), torch.diagonal(S))
    log_px = model.log_marginal(x)
    # with q = p(z|x) every importance weight p(x, z) / q(z|x) equals p(x): zero variance, exact
    one_weight = iwae_bound(model, x, 1, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(one_weight, log_px, atol=1e-8, rtol=0)
    # elbo() pairs a Monte Carlo reconstruction term with the exact KL: equal in expectation
    out = elbo(model, x[:16], n_samples=50_000, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(out.elbo, log_px[:16], atol=0.06, rtol=0)


@torch.no_grad()
def test_elbo_is_below_log_px_for_other_q():
    model, x = _toy(orthogonal=False)  # diagonal q cannot match the correlated posterior
    model.c += 0.3  # and a shifted mean
    out = elbo(model, x, n_samples=20_000, generator=torch.Generator().manual_seed(10))
    gap = model.log_marginal(x) - out.elbo
    assert torch.all(gap > 0.01), gap.min()
    torch.testing.assert_close(out.elbo, out.log_likelihood - out.kl)


@torch.no_grad()
def test_iwae_bound_rises_with_k_toward_log_px():
    model, x = _toy(orthogonal=False)
    model.c += 0.3
    log_px = model.log_marginal(x).mean().item()
    g = torch.Generator().manual_seed(11)
    el = elbo(model, x, n_samples=20_000, generator=g).elbo.mean().item()
    # expectation over repeated draws: average the bound over 200 repetitions of each k
    means = []
    for k in (1, 4, 16, 64, 256):
        reps = torch.stack([iwae_bound(model, x, k, generator=g, chunk_size=64) for _ in range(200)])
        means.append(reps.mean().item())
    assert means[0] == pytest.approx(el, abs=0.02)  # k = 1 is the ELBO in expectation
    assert all(b > a for a, b in zip(means, means[1:])), means
    assert all(m <= log_px + 1e-3 for m in means), (means, log_px)
    assert log_px - means[-1] < 0.1 * (log_px - el), (means, log_px, el)


@torch.no_grad()
def test_iwae_chunking_does_not_change_the_value():
    model, x = _toy(orthogonal=False)
    a = iwae_bound(model, x, 300, chunk_size=300, generator=torch.Generator().manual_seed(12))
    b = iwae_bound(model, x, 300, chunk_size=300, generator=torch.Generator().manual_seed(12))
    torch.testing.assert_close(a, b)
    # same k, other chunking: the running log-sum-exp merges chunks exactly (same draws one by one)
    g1, g2 = torch.Generator().manual_seed(13), torch.Generator().manual_seed(13)
    one = iwae_bound(model, x[:1], 5, chunk_size=1, generator=g1)
    mu, logvar = model.encode(x[:1])
    zs = torch.cat([reparameterize(mu, logvar, 1, g2) for _ in range(5)])
    log_w = model.log_likelihood(x[:1], zs) + log_prior(zs) - log_normal_diag(zs, mu, logvar)
    torch.testing.assert_close(one, torch.logsumexp(log_w, 0) - math.log(5))

# ---------------------------------------------------------------- errors


def test_negative_beta_is_rejected_with_a_clear_message():
    model, x = _toy(orthogonal=True)
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="beta must be a finite number >= 0"):
            elbo(model, x, beta=bad)


def test_bad_sample_counts_are_rejected():
    model, x = _toy(orthogonal=True)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        elbo(model, x, n_samples=0)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        iwae_bound(model, x, 0)


def test_terms_carry_names_true_for_every_model():
    """Terms(objective, log_likelihood, regularizer): the VAE's ELBO and KL, the AE's log-likelihood and a zero
    regularizer, the AAE's adversarial term; .elbo and .kl are the VAE's names of the same fields."""
    from vae_lib.aae import AdversarialAutoencoder
    from vae_lib.losses import ELBO, Terms
    from vae_lib.models import VAE, Autoencoder

    assert ELBO is Terms and Terms._fields == ("objective", "log_likelihood", "regularizer")
    torch.manual_seed(0)
    x = torch.rand(4, 1, 28, 28).bernoulli()
    g = torch.Generator().manual_seed(0)
    vae = VAE(latent_dim=2, hidden=[16])
    t = vae.terms(x, generator=g)
    assert isinstance(t, Terms) and t.elbo is t.objective and t.kl is t.regularizer
    assert torch.allclose(t.objective, t.log_likelihood - t.regularizer)
    ae = Autoencoder(latent_dim=2, hidden=[16]).terms(x)
    assert torch.equal(ae.objective, ae.log_likelihood) and torch.count_nonzero(ae.regularizer) == 0
    aae = AdversarialAutoencoder(latent_dim=2, hidden=[16]).terms(x, generator=torch.Generator().manual_seed(0))
    assert isinstance(aae, Terms) and torch.isfinite(aae.regularizer).all()
