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
    with pytest.raises(ValueError, match=r"labels must have shape \[batch\] = \[5\]"):
        m.encode(X, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels must be integers"):
        m.encode(X, torch.zeros(5))


def test_config_rebuilds_the_same_architecture():
    for m in (Autoencoder(3, (20,), "conv"), VAE(4, (30, 10)), ConditionalVAE(2, 10, (16,))):
        clone = type(m)(**m.config)
        assert [p.shape for p in clone.parameters()] == [p.shape for p in m.parameters()]


@pytest.mark.parametrize("bad,match", [
    (torch.rand(5, 28, 28), r"\[batch, 1, 28, 28\]; got \[5, 28, 28\] \(add the channel axis"),
    (torch.rand(5, 784), r"got \[5, 784\] \(reshape"),
    (torch.rand(5, 3, 32, 32), r"\[batch, 1, 28, 28\]; got \[5, 3, 32, 32\]"),
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
                          ({"latent_dim": 2.5}, "latent_dim must be an integer"),
                          ({"latent_dim": 2, "arch": "rnn"}, "arch must be 'mlp' or 'conv'"),
                          ({"latent_dim": 2, "activation": "gelu2"}, "activation must be one of"),
                          ({"latent_dim": 2, "hidden": (0,)}, "hidden sizes must be >= 1")]:
        with pytest.raises(ValueError, match=match):
            VAE(**kwargs)
