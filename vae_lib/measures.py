r"""One function per quantity that more than one notebook reports, with one default protocol.

The series measures a few things about its 2-D models in several notebooks: where the codes lie (their spread),
how many samples from a prior land in a *hole*, and how often the digit classifier (the *judge*) is confident about
decoded images. Each is computed here, and only here, under :data:`PROTOCOL` (:mod:`vae_lib.protocol`, the series' one evaluation-settings object), so that the same model gives the
same number in every notebook. A notebook that departs from the protocol passes its own :class:`Protocol` and says why.

The protocol (every field of :class:`Protocol`):

* **training codes**: the encoder's means of the first ``n_train`` = 10,000 training images, binarized once with
  seed ``seed`` (the decoder was trained on binarized images, so their codes are where it was trained);
* **test codes**: the encoder's means of the fixed test set (:func:`vae_lib.zoo.test_set`: all 10,000 test images,
  binarized once with seed 0), the first ``n_test`` of them;
* **samples**: ``n_samples`` = 10,000 draws from the model's prior with generator seed ``seed`` (an autoencoder has no
  prior: a Gaussian fitted to its training codes stands in for one, :func:`fitted_gaussian`);
* **holes**: a point lies in a hole when it is farther from every training code than ``quantile`` = 99 % of the test
  codes are (:func:`vae_lib.metrics.hole_mask`);
* **the judge**: :func:`vae_lib.classifier.confident_fraction` with ``threshold`` = 0.8, always reported beside its
  rate on real test images (grey, the first ``n_real`` = 10,000), since a rate means little without it.

The training and test codes of a model are computed once per model and protocol and kept (they are the slow part).
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import torch
from torch import nn

from .i18n import tr
from .protocol import PROTOCOL, Protocol

__all__ = ["PROTOCOL", "Judgement", "Protocol", "code_spread", "codes", "fitted_gaussian", "hole_fraction",
           "judge", "prior_samples", "real_confident_fraction"]




class Codes(NamedTuple):
    """A model's codes under a protocol: ``train`` ``[n_train, K]`` and ``test`` ``[n_test, K]`` (posterior means)."""

    train: torch.Tensor
    test: torch.Tensor


class Judgement(NamedTuple):
    """The judge's verdict on a set of images: the ``confident`` fraction (max class probability > ``threshold``)
    and the same fraction for ``real`` test images, the reference to read it against."""

    confident: float
    real: float
    threshold: float

    def __str__(self) -> str:
        return tr("confident (p > {threshold:g}) on {confident:.0%} of them (on {real:.0%} of real test digits)").format(
            threshold=self.threshold, confident=self.confident, real=self.real)   # printed in the notebooks


_CODES: weakref.WeakKeyDictionary[nn.Module, dict[Protocol, Codes]] = weakref.WeakKeyDictionary()
_REAL: dict[tuple[Protocol, int], float] = {}


def _dataset(model: nn.Module) -> str:
    info = getattr(model, "zoo_info", None) or {}
    return (info.get("recipe") or {}).get("dataset", "mnist")


@torch.no_grad()
def codes(model: nn.Module, protocol: Protocol = PROTOCOL) -> Codes:
    """The model's training and test codes (posterior means; an autoencoder's codes) under ``protocol``.

    A conditional model gets each image's own label. Computed once per model and protocol.
    """
    if not isinstance(protocol, Protocol):
        raise TypeError(f"protocol must be a vae_lib.measures.Protocol; got {type(protocol).__name__}")
    if not hasattr(model, "posterior_mean"):
        raise TypeError(f"expected a vae_lib model (Autoencoder, VAE, ...); got {type(model).__name__}")
    cached = _CODES.setdefault(model, {})
    if protocol not in cached:
        from .data import load_mnist
        from .zoo import test_set

        dataset = _dataset(model)
        x_train, y_train = load_mnist("train", dataset=dataset, binarize="dynamic", seed=protocol.seed)
        x_test, y_test = test_set(dataset, "binary")
        n_tr, n_te = protocol.n_train, protocol.n_test
        cond = getattr(model, "is_conditional", False)
        train = model.posterior_mean(x_train[:n_tr], y_train[:n_tr] if cond else None)
        test = model.posterior_mean(x_test[:n_te], y_test[:n_te] if cond else None)
        cached[protocol] = Codes(train, test)
    return cached[protocol]


def code_spread(model: nn.Module, protocol: Protocol = PROTOCOL) -> torch.Tensor:
    """The standard deviation of the model's test codes along each latent axis, ``[K]``, in latent units."""
    return codes(model, protocol).test.std(dim=0)


def fitted_gaussian(model: nn.Module, protocol: Protocol = PROTOCOL) -> torch.distributions.MultivariateNormal:
    """A full-covariance Gaussian fitted to the model's training codes: the simplest density one can put on an
    autoencoder's codes after training (it stands in for the prior that an autoencoder does not have)."""
    z = codes(model, protocol).train.double()
    cov = torch.cov(z.T).reshape(z.shape[1], z.shape[1])
    return torch.distributions.MultivariateNormal(z.mean(0), covariance_matrix=cov)


@torch.no_grad()
def prior_samples(model: nn.Module, protocol: Protocol = PROTOCOL) -> torch.Tensor:
    """``n_samples`` latent points from the model's prior with generator seed ``seed``, ``[n_samples, K]``.

    A VAE samples its prior p(z) (N(0, I) or a learned one). A model without a prior (an autoencoder) gets
    samples of :func:`fitted_gaussian` instead; an adversarial autoencoder samples N(0, I), the prior it was
    trained to match.
    """
    gen = torch.Generator().manual_seed(protocol.seed)
    prior = getattr(model, "prior", None)
    if prior is not None and hasattr(prior, "sample"):
        return prior.sample(protocol.n_samples, generator=gen).float()
    if type(model).__name__ == "AdversarialAutoencoder":
        return torch.randn(protocol.n_samples, model.latent_dim, generator=gen)
    g = fitted_gaussian(model, protocol)
    eps = torch.randn(protocol.n_samples, g.loc.shape[0], generator=gen, dtype=torch.float64)
    return (g.loc + eps @ g.scale_tril.T).float()


def hole_fraction(model: nn.Module, points: torch.Tensor | None = None, protocol: Protocol = PROTOCOL) -> float:
    """The share of ``points`` (default: :func:`prior_samples`) that land in a hole of the model's latent space:
    farther from every training code than ``quantile`` of the test codes are (:func:`vae_lib.metrics.hole_mask`)."""
    from .metrics import hole_mask

    c = codes(model, protocol)
    pts = prior_samples(model, protocol) if points is None else points
    return float(hole_mask(pts, c.train, c.test, protocol.quantile).float().mean())


def real_confident_fraction(protocol: Protocol = PROTOCOL, classifier: nn.Module | None = None) -> float:
    """The judge's confident fraction on real (grey) test digits, the first ``n_real``: the reference rate."""
    from .classifier import confident_fraction, load_pretrained

    clf = load_pretrained() if classifier is None else classifier
    key = (protocol, id(clf))
    if key not in _REAL:
        from .data import load_mnist

        x = load_mnist("test")[0][:protocol.n_real]
        _REAL[key] = confident_fraction(clf, x, protocol.threshold)
    return _REAL[key]


def judge(images: torch.Tensor, protocol: Protocol = PROTOCOL, classifier: nn.Module | None = None) -> Judgement:
    """How often the digit classifier is confident (max class probability > ``threshold``) about ``images``,
    with the same rate on real test digits beside it."""
    from .classifier import confident_fraction, load_pretrained

    clf = load_pretrained() if classifier is None else classifier
    return Judgement(confident_fraction(clf, images, protocol.threshold),
                     real_confident_fraction(protocol, clf), protocol.threshold)
