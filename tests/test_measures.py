"""vae_lib.measures: one protocol per shared measurement, checked against the metrics it is built from."""

from __future__ import annotations

import math

import pytest
import torch

from vae_lib import measures, zoo
from vae_lib.classifier import confident_fraction, load_pretrained
from vae_lib.metrics import hole_mask, importance_weighted_bounds, negative_log_likelihood
from vae_lib.models import VAE

SMALL = measures.Protocol(n_train=2000, n_test=1000, n_samples=2000, n_real=1000)


@pytest.fixture(scope="module")
def data(real_mnist_train, real_mnist_test_binary):
    """The real data on disk (the fixtures skip locally, fail in CI, when it is not): these are the shipped models."""
    return real_mnist_train, real_mnist_test_binary


@pytest.mark.mnist
def test_codes_follow_the_protocol(data):
    vae = zoo.load("vae-2d")
    c = measures.codes(vae, SMALL)
    assert c.train.shape == (2000, 2) and c.test.shape == (1000, 2)
    from vae_lib.data import load_mnist
    x_train = load_mnist("train", binarize="dynamic", seed=0)[0][:2000]   # binarized, as the decoder was trained
    assert torch.equal(c.train, vae.posterior_mean(x_train))
    x_test = zoo.test_set("mnist", "binary")[0][:1000]
    assert torch.equal(c.test, vae.posterior_mean(x_test))
    assert measures.codes(vae, SMALL) is c                                   # computed once per model and protocol
    assert torch.allclose(measures.code_spread(vae, SMALL), c.test.std(0))


@pytest.mark.mnist
def test_the_same_model_gives_the_same_numbers_twice(data):
    a, b = zoo.load("ae-2d"), zoo.load("ae-2d")                               # two loads: nothing shared but the file
    assert measures.hole_fraction(a, protocol=SMALL) == measures.hole_fraction(b, protocol=SMALL)
    assert torch.equal(measures.prior_samples(a, SMALL), measures.prior_samples(b, SMALL))


@pytest.mark.mnist
def test_an_autoencoder_samples_a_gaussian_fitted_to_its_training_codes(data):
    ae = zoo.load("ae-2d")
    z = measures.codes(ae, SMALL).train.double()
    s = measures.prior_samples(ae, SMALL).double()
    # the fitted Gaussian has the codes' mean and covariance; its samples match both within sampling error
    assert torch.allclose(measures.fitted_gaussian(ae, SMALL).loc, z.mean(0))
    assert torch.allclose(measures.fitted_gaussian(ae, SMALL).covariance_matrix, torch.cov(z.T))
    se = z.std(0) / math.sqrt(s.shape[0])
    assert ((s.mean(0) - z.mean(0)).abs() < 5 * se).all()
    assert torch.allclose(s.std(0), z.std(0), rtol=0.1)


@pytest.mark.mnist
def test_a_vae_samples_its_prior(data):
    vae = zoo.load("vae-2d")
    s = measures.prior_samples(vae, SMALL)
    expected = vae.prior.sample(SMALL.n_samples, generator=torch.Generator().manual_seed(SMALL.seed))
    assert torch.equal(s, expected.float())


@pytest.mark.mnist
def test_hole_fraction_is_the_mean_of_hole_mask(data):
    ae = zoo.load("ae-2d")
    c = measures.codes(ae, SMALL)
    pts = measures.prior_samples(ae, SMALL)
    expected = float(hole_mask(pts, c.train, c.test, SMALL.quantile).float().mean())
    assert measures.hole_fraction(ae, protocol=SMALL) == expected
    # by construction about 1 - quantile of the test codes themselves lie in holes
    assert measures.hole_fraction(ae, c.test, SMALL) == pytest.approx(1 - SMALL.quantile, abs=2e-3)


@pytest.mark.mnist
def test_judge_reports_the_real_rate_beside_the_fraction(data):
    clf = load_pretrained()
    vae = zoo.load("vae-2d")
    images = vae.decode_mean(measures.prior_samples(vae, SMALL)[:500])
    j = measures.judge(images, SMALL)
    assert j.threshold == 0.8
    assert j.confident == confident_fraction(clf, images, 0.8)
    from vae_lib.data import load_mnist
    assert j.real == confident_fraction(clf, load_mnist("test")[0][:1000], 0.8)
    assert "0.8" in str(j) and "real test digits" in str(j)


def test_protocol_refuses_bad_settings():
    with pytest.raises(TypeError, match="n_samples"):
        measures.Protocol(n_samples=2.5)
    with pytest.raises(ValueError, match="threshold"):
        measures.Protocol(threshold=1.0)
    with pytest.raises(ValueError, match="quantile"):
        measures.Protocol(quantile=1.5)
    with pytest.raises(TypeError, match="Protocol"):
        measures.codes(VAE(2, hidden=(8,)), {"n_train": 10})


def test_importance_weighted_bounds_average_to_the_estimate():
    torch.manual_seed(0)
    model = VAE(3, hidden=(16,))
    x = torch.rand(7, 1, 28, 28).bernoulli()
    b = importance_weighted_bounds(model, x, 20, batch_size=3, seed=4)
    assert b.shape == (7,) and b.dtype == torch.float64
    assert float(-b.mean()) == pytest.approx(negative_log_likelihood(model, x, 20, batch_size=3, seed=4), abs=1e-9)


def test_one_evaluation_settings_object_is_read_everywhere():
    """vae_lib.protocol.PROTOCOL is the only home of the evaluation settings: the shared measures, the zoo's
    manifest constants and its description, and rate_distortion's defaults all read it."""
    import inspect

    from vae_lib import metrics, protocol, zoo

    assert measures.PROTOCOL is protocol.PROTOCOL and measures.Protocol is protocol.Protocol
    assert (zoo.EVAL_SEED, zoo.SUBSET, zoo.ACTIVE_THRESHOLD) == (
        protocol.PROTOCOL.seed, protocol.PROTOCOL.subset, protocol.PROTOCOL.active_threshold)
    defaults = inspect.signature(metrics.rate_distortion).parameters
    assert (defaults["n_eval"].default, defaults["seed"].default) == (protocol.PROTOCOL.subset, protocol.PROTOCOL.seed)
    assert f"seed={protocol.PROTOCOL.seed}" in zoo.EVALUATION["test"]
    assert f"first {protocol.PROTOCOL.subset} test images" in zoo.EVALUATION["subset1000"]
    assert f"> {protocol.PROTOCOL.active_threshold}" in zoo.EVALUATION["active_units"]
    with pytest.raises(ValueError, match="threshold"):
        protocol.Protocol(threshold=1.5)
