"""vae_lib.models: shapes, the encoder/decoder contract, sampling, and clear input errors."""

from __future__ import annotations

import pytest
import torch

from vae_lib.models import VAE, Autoencoder, ConditionalVAE

X = torch.rand(5, 1, 28, 28)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("k", [1, 2, 20])
def test_vae_shapes(arch, k):
    m = VAE(k, hidden=(32, 16), arch=arch)
    mu, logvar = m.encode(X)
    assert mu.shape == logvar.shape == (5, k)
    assert m.decode(mu).shape == X.shape
    logits, mu2, lv2 = m(X)
    assert logits.shape == X.shape and torch.equal(mu, mu2) and torch.equal(logvar, lv2)
    assert m.decode(torch.zeros(3, 5, k)).shape == (3, 5, 1, 28, 28)  # leading sample dims
    assert m.log_likelihood(X, torch.zeros(3, 5, k)).shape == (3, 5)
    s = m.sample(7, generator=torch.Generator().manual_seed(0))
    assert s.shape == (7, 1, 28, 28) and s.min() >= 0 and s.max() <= 1
    assert torch.equal(s, m.sample(7, generator=torch.Generator().manual_seed(0)))


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_autoencoder_shapes(arch):
    m = Autoencoder(2, hidden=(32,), arch=arch)
    z = m.encode(X)
    assert z.shape == (5, 2)
    assert m(X).shape == X.shape and m.decode(z).shape == X.shape


def test_vae_forward_samples_around_the_mean():
    torch.manual_seed(0)
    m = VAE(2, hidden=(16,)).eval()
    a, _, _ = m(X, generator=torch.Generator().manual_seed(1))
    b, _, _ = m(X, generator=torch.Generator().manual_seed(2))
    assert not torch.equal(a, b)  # z is a sample, so two passes differ


def test_conditional_vae():
    m = ConditionalVAE(2, hidden=(32,))
    y = torch.tensor([0, 1, 2, 3, 9])
    mu, logvar = m.encode(X, y)
    assert mu.shape == (5, 2)
    assert m.decode(mu, y).shape == X.shape
    assert m.log_likelihood(X, torch.zeros(4, 5, 2), y).shape == (4, 5)
    # the label changes the decoded image
    z = torch.zeros(1, 2)
    assert not torch.allclose(m.decode(z, torch.tensor([3])), m.decode(z, torch.tensor([7])))
    assert m.sample(10).shape == (10, 1, 28, 28)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        m.encode(X, torch.tensor([0, 1, 2, 3, 10]))
    with pytest.raises(ValueError, match=r"labels must have shape \[5\] \(one label per image\); got \[2\]"):
        m.encode(X, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels must be integers"):
        m.encode(X, torch.zeros(5))


def test_config_rebuilds_the_same_architecture():
    for m in (Autoencoder(3, (20,), "conv"), VAE(4, (30, 10)), ConditionalVAE(2, 10, (16,))):
        clone = type(m)(**m.config)
        assert [p.shape for p in clone.parameters()] == [p.shape for p in m.parameters()]


@pytest.mark.parametrize("bad,match", [
    (torch.rand(5, 28, 28), r"\[N, 1, 28, 28\]; got \[5, 28, 28\] \(add the channel axis"),
    (torch.rand(5, 784), r"got \[5, 784\] \(reshape"),
    (torch.rand(5, 3, 32, 32), r"\[N, 1, 28, 28\]; got \[5, 3, 32, 32\]"),
    ((torch.rand(5, 1, 28, 28) * 255).to(torch.uint8), r"float pixels in \[0, 1\].*x.float\(\) / 255"),
])
def test_wrong_inputs_get_clear_errors(bad, match):
    for m in (VAE(2, (8,)), Autoencoder(2, (8,))):
        with pytest.raises(ValueError, match=match):
            m.encode(bad)


def test_wrong_latent_codes_and_constructor_arguments():
    m = VAE(3, (8,))
    with pytest.raises(ValueError, match=r"latent codes of shape \[\.\.\., 3\]; got \[4, 2\]"):
        m.decode(torch.zeros(4, 2))
    for kwargs, match in [({"latent_dim": 0}, "latent_dim must be an integer >= 1"),

                          ({"latent_dim": 2, "arch": "rnn"}, "arch must be one of 'mlp', 'conv'"),
                          ({"latent_dim": 2, "activation": "gelu2"}, "activation must be one of"),
                          ({"latent_dim": 2, "hidden": (0,)}, "every hidden size must be an integer >= 1")]:
        with pytest.raises(ValueError, match=match):
            VAE(**kwargs)
    with pytest.raises(TypeError, match="latent_dim must be an integer"):
        VAE(2.5)


@pytest.mark.parametrize("model", [Autoencoder(2, (16,)), VAE(3, (16,)), ConditionalVAE(2, 10, (16,))])
def test_one_interface_says_what_kind_of_model_it_is(model):
    y = torch.tensor([1, 2, 3, 4, 5]) if model.is_conditional else None
    assert model.is_variational == (not isinstance(model, Autoencoder))
    assert model.is_conditional == isinstance(model, ConditionalVAE)
    model.train()
    codes = model.posterior_mean(X, y, batch_size=2)           # batched, no gradients, mode restored
    assert codes.shape == (5, model.latent_dim) and not codes.requires_grad and model.training
    expect = model.encode(X, y) if not model.is_variational else model.encode(X, y)[0]
    torch.testing.assert_close(codes, expect.detach())
    out = model.terms(X, y, generator=torch.Generator().manual_seed(0))
    assert out.elbo.shape == out.log_likelihood.shape == out.kl.shape == (5,)
    torch.testing.assert_close(model.decode_mean(codes, y), torch.sigmoid(model.decode(codes, y)))


def test_labels_are_required_by_a_conditional_model_and_refused_by_the_others():
    with pytest.raises(ValueError, match="needs the labels"):
        ConditionalVAE(2, 10, (8,)).encode(X)
    for m in (VAE(2, (8,)), Autoencoder(2, (8,))):
        with pytest.raises(ValueError, match="is not conditional, but labels were given"):
            m.encode(X, torch.zeros(5, dtype=torch.long))
        with pytest.raises(ValueError, match="is not conditional"):
            m.decode(torch.zeros(5, 2), torch.zeros(5, dtype=torch.long))


@pytest.mark.parametrize("prior", ["mog", "vamp"])
def test_learned_priors_are_densities_and_their_kl_is_unbiased(prior):
    torch.manual_seed(0)
    m = VAE(2, (16,), prior=prior, prior_components=3)
    # log p(z) integrates to 1 over the plane (quadrature on a grid that holds the mass)
    g = torch.linspace(-9, 9, 301)
    zz = torch.stack(torch.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    with torch.no_grad():
        mass = (m.log_prior(zz).exp().sum() * (g[1] - g[0]) ** 2).item()
    assert abs(mass - 1) < 1e-3
    # the Monte Carlo KL averages to the KL computed on the same grid
    mu, logvar = torch.tensor([[0.3, -0.2]]), torch.tensor([[-1.0, -0.5]])
    with torch.no_grad():
        from vae_lib.losses import log_normal_diag, reparameterize

        q = log_normal_diag(zz, mu, logvar)
        exact = ((q.exp() * (q - m.log_prior(zz))).sum() * (g[1] - g[0]) ** 2).item()
        z = reparameterize(mu, logvar, 200_000, torch.Generator().manual_seed(1))
        terms = log_normal_diag(z, mu, logvar) - m.log_prior(z)
        mc, se = terms.mean().item(), terms.std().item() / 200_000 ** 0.5
        assert abs(m.kl(mu, logvar, z).item() - mc) < 1e-5
    assert abs(mc - exact) < 4 * se
    assert m.sample(5).shape == (5, 1, 28, 28)
    assert type(m)(**m.config).config == m.config


def test_gaussian_decoders():
    x = torch.rand(4, 1, 28, 28)
    for sigma in (0.1, "learned", "learned-pixel"):
        m = VAE(2, (8,), likelihood="gaussian", decoder_std=sigma)
        z = torch.zeros(4, 2)
        from vae_lib.losses import gaussian_log_likelihood

        expect = gaussian_log_likelihood(x, m.decode_mean(z), m.decoder_log_variance())
        torch.testing.assert_close(m.log_likelihood(x, z), expect)
        assert type(m)(**m.config).config == m.config
    with pytest.raises(ValueError, match="decoder_std"):
        VAE(2, likelihood="gaussian")
    with pytest.raises(ValueError, match="a Bernoulli decoder has no standard deviation"):
        VAE(2, decoder_std=0.5)


def test_capability_flags_say_what_each_model_has():
    from vae_lib.aae import AdversarialAutoencoder
    from vae_lib.checkpoints import CLASSES
    from vae_lib.models import LatentModel

    have = {c: (c.has_prior, c.has_elbo) for c in CLASSES.values() if issubclass(c, LatentModel)}
    assert have[Autoencoder] == (False, False)             # a code, no prior, no ELBO
    assert have[AdversarialAutoencoder] == (True, False)   # a prior N(0, I) it samples from, but no KL per example
    assert have[VAE] == have[ConditionalVAE] == (True, True)
    for c in have:
        assert c.is_variational == c.has_elbo            # the older name, kept as an alias
