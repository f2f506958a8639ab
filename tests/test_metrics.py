"""vae_lib.metrics: active units (checked against a hand-computed variance) and the IWAE estimate."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vae_lib.losses import elbo
from vae_lib.metrics import active_units, hole_fraction, knn_accuracy, latent_activity, negative_log_likelihood
from vae_lib.models import VAE, Autoencoder, ConditionalVAE


class FixedMeans(VAE):
    """A stand-in VAE whose posterior means are a fixed table, looked up by the image's first pixel (i / n)."""

    def __init__(self, mu: torch.Tensor) -> None:
        super().__init__(mu.shape[1], hidden=(1,))
        self.register_buffer("mu", mu)

    def _encode(self, x: torch.Tensor, y=None) -> tuple[torch.Tensor, torch.Tensor]:
        idx = (x[:, 0, 0, 0] * self.mu.shape[0]).round().long()
        return self.mu[idx], torch.zeros_like(self.mu[idx])


def _indexed_images(n: int) -> torch.Tensor:
    x = torch.zeros(n, 1, 28, 28)
    x[:, 0, 0, 0] = torch.arange(n, dtype=torch.float32) / n
    return x


def test_latent_activity_is_the_population_variance_of_the_means():
    g = torch.Generator().manual_seed(1)
    n = 500
    # columns with standard deviations 1, 0.05 (A = 0.0025) and 0.2 (A = 0.04), and a constant one
    mu = torch.randn(n, 4, generator=g, dtype=torch.float64) * torch.tensor([1.0, 0.05, 0.2, 0.0], dtype=torch.float64)
    mu[:, 3] = 3.0
    model = FixedMeans(mu.float())
    x = _indexed_images(n)
    a = latent_activity(model, x, batch_size=37)  # batches that do not divide n
    expected = ((mu.float().double() - mu.float().double().mean(0)) ** 2).mean(0)
    torch.testing.assert_close(a, expected, rtol=1e-9, atol=1e-12)
    assert a[3] == 0
    assert active_units(model, x) == 2                    # A = 1 and 0.04 exceed 0.01
    assert active_units(model, x, threshold=0.001) == 3   # ... and 0.0025 exceeds 0.001
    assert active_units(model, x, threshold=2.0) == 0


def _one_dead_dimension(model, K: int):
    """Make latent dimension 0 constant (dead) and dimensions 1..K-1 strongly input-dependent."""

    last = [m for m in model.encoder.modules() if isinstance(m, nn.Linear)][-1]  # rows 0..K-1: mu (or z)
    with torch.no_grad():
        last.weight[0].zero_()
        last.bias[0] = 0.7
        last.weight[1:K] *= 50.0
    return model


def test_active_units_for_every_model_kind():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    assert active_units(_one_dead_dimension(VAE(3, hidden=[16]), 3), x) == 2
    assert active_units(_one_dead_dimension(Autoencoder(2, hidden=[16]), 2), x) == 1
    cvae = _one_dead_dimension(ConditionalVAE(2, hidden=[16]), 2)
    assert active_units(cvae, x, labels=torch.arange(64) % 10) == 1
    assert latent_activity(cvae, x, labels=torch.arange(64) % 10)[0] == 0
    with pytest.raises(ValueError, match="labels"):
        active_units(cvae, x)
    with pytest.raises(ValueError, match="at least 2"):
        latent_activity(VAE(3, hidden=[16]), x[:1])


def test_negative_log_likelihood_is_seeded_and_below_minus_elbo():
    torch.manual_seed(0)
    model = VAE(2, hidden=[32]).eval()
    x = torch.bernoulli(torch.rand(20, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    a = negative_log_likelihood(model, x, k=200, batch_size=7, chunk_size=50, seed=3)
    b = negative_log_likelihood(model, x, k=200, batch_size=20, chunk_size=200, seed=3)
    assert a == pytest.approx(negative_log_likelihood(model, x, k=200, batch_size=7, chunk_size=50, seed=3))
    assert a == pytest.approx(b, abs=0.5)  # the same estimate up to Monte Carlo noise
    with torch.no_grad():
        minus_elbo = -elbo(model, x, n_samples=200, generator=torch.Generator().manual_seed(0)).elbo.mean().item()
    assert a <= minus_elbo + 1e-3  # L_k >= ELBO
    with pytest.raises(TypeError, match="Autoencoder"):
        negative_log_likelihood(Autoencoder(2, hidden=[16]), x)


def test_knn_accuracy_reads_labels_off_separated_codes_and_not_off_noise():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(5000) % 10
    centres = 10 * torch.randn(10, 2, generator=g)
    clustered = centres[labels] + 0.1 * torch.randn(5000, 2, generator=g)
    assert knn_accuracy(clustered, labels) == 1.0
    noise = torch.randn(5000, 2, generator=g)
    assert abs(knn_accuracy(noise, labels) - 0.1) < 0.05  # chance, for codes that carry no label
    with pytest.raises(ValueError, match="need at least"):
        knn_accuracy(noise[:100], labels[:100])
    with pytest.raises(ValueError, match=r"codes \[N, K\] and labels \[N\]"):
        knn_accuracy(noise, labels[:10])


def test_hole_fraction_counts_samples_far_from_every_training_code():
    g = torch.Generator().manual_seed(0)
    train = torch.randn(2000, 2, generator=g)
    test = torch.randn(500, 2, generator=g)                     # the same distribution as the training codes
    assert hole_fraction(torch.randn(4000, 2, generator=g), train, test) == pytest.approx(0.01, abs=0.01)
    far = torch.full((300, 2), 50.0)                            # nowhere near the codes: every one is in a hole
    assert hole_fraction(far, train, test) == 1.0
    assert hole_fraction(torch.cat([far, train[:300]]), train, test) == 0.5   # a training code is at distance 0
    with pytest.raises(ValueError, match="differ in size"):
        hole_fraction(far, train[:, :1], test)


def test_hole_mask_is_the_per_sample_test_of_hole_fraction():
    from vae_lib.metrics import hole_mask

    g = torch.Generator().manual_seed(0)
    train, test = torch.randn(2000, 2, generator=g), torch.randn(500, 2, generator=g)
    samples = torch.cat([torch.randn(1000, 2, generator=g), torch.full((100, 2), 50.0)])
    mask = hole_mask(samples, train, test)
    assert mask.dtype == torch.bool and mask.shape == (1100,)
    assert mask[1000:].all()                                    # the far points are all in holes
    assert mask.float().mean().item() == pytest.approx(hole_fraction(samples, train, test))
    with pytest.raises(ValueError, match="differ in size"):
        hole_mask(samples, train[:, :1], test)


def test_log_aggregate_posterior_is_the_log_of_the_mixture_of_encoder_gaussians():
    import math

    from vae_lib.losses import log_normal_diag
    from vae_lib.metrics import log_aggregate_posterior

    g = torch.Generator().manual_seed(0)
    mu, logvar = 2 * torch.randn(30, 3, generator=g), torch.randn(30, 3, generator=g) - 2
    z = 2 * torch.randn(50, 3, generator=g)
    brute = torch.logsumexp(log_normal_diag(z[:, None, :], mu[None], logvar[None]), dim=1) - math.log(30)
    assert torch.allclose(log_aggregate_posterior(z, mu, logvar, chunk_size=7), brute, atol=1e-3)    # float32
    exact = log_aggregate_posterior(z.double(), mu.double(), logvar.double(), chunk_size=7)
    assert exact.dtype == torch.float64 and torch.allclose(exact, brute.double(), atol=1e-5)
    # one component: the Gaussian itself; N copies of it: the same density
    assert torch.allclose(log_aggregate_posterior(z, mu[:1], logvar[:1]), log_normal_diag(z, mu[0], logvar[0]), atol=1e-4)
    assert torch.allclose(log_aggregate_posterior(z, mu[:1].repeat(5, 1), logvar[:1].repeat(5, 1)),
                          log_normal_diag(z, mu[0], logvar[0]), atol=1e-4)
    with pytest.raises(ValueError, match="mu, logvar"):
        log_aggregate_posterior(z, mu[:, :2], logvar[:, :2])


def test_rate_distortion_takes_given_then_zoo_then_measured_numbers(mnist_test_binary):
    from vae_lib.data import binarize_images
    from vae_lib.metrics import rate_distortion
    from vae_lib.train import evaluate

    grey = mnist_test_binary[0][:50]
    torch.manual_seed(0)
    a, b, c = (VAE(2, (16,)).eval() for _ in range(3))
    b.zoo_info = {"metrics": {"test": {"kl": 4.0, "rec": -90.0}}}
    rd = rate_distortion({0.5: a, 1.0: b, 2.0: c}, grey, metrics={0.5: (1.0, 2.0)}, n_eval=40)
    r = evaluate(c, binarize_images(grey[:40], "dynamic", generator=torch.Generator().manual_seed(0)), seed=0)
    assert rd == {0.5: (1.0, 2.0), 1.0: (4.0, 90.0), 2.0: (float(r["kl"]), -float(r["rec"]))}
    assert all(v != v for v in rate_distortion({1.0: c})[1.0])   # nothing to measure on: nan
