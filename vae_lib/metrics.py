r"""Numbers that describe a trained model: active latent units and a log-likelihood estimate.

* **Active units** (Burda et al. 2016, appendix): a latent dimension j is *active* when the
  encoder's mean moves with the input,

  .. math:: A_j = \operatorname{Cov}_x\big(\mathbb{E}_{q_\phi(z\mid x)}[z_j]\big)
            = \operatorname{Var}_x\big(\mu_j(x)\big) > 0.01 .

  A collapsed dimension has ``mu_j(x) ~= 0`` for every x (its posterior equals the prior), so
  ``A_j ~= 0``: the decoder gets no information through it.
* **-log p(x)** estimated with the importance-weighted bound (:func:`vae_lib.losses.iwae_bound`),
  seeded and batched so that k = 1000 or 5000 samples stay within memory.

The activity works for every model in :mod:`vae_lib.models` (through ``model.posterior_mean``: an
Autoencoder's "posterior mean" is its code z = encoder(x)); a ConditionalVAE needs the labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

from . import validate
from .data import apply_pixels
from .losses import _check_model_inputs, iwae_bound
from .protocol import PROTOCOL
from .train import evaluate

__all__ = ["active_units", "bits_per_dim", "hole_fraction", "importance_weighted_bounds", "knn_accuracy",
           "latent_activity", "negative_log_likelihood", "rate_distortion"]


def _check_encoder_model(model: nn.Module, what: str) -> None:
    if not (isinstance(model, nn.Module) and callable(getattr(model, "posterior_mean", None))
            and callable(getattr(model, "check_inputs", None))):
        hint = f": load it first, vae_lib.zoo.load({model!r:.40})" if isinstance(model, str) else ""
        raise TypeError(f"{what} needs a vae_lib model with an encoder (Autoencoder, VAE, ConditionalVAE, or "
                        f"vae_lib.zoo.load(name)); got {validate._kind(model)}{hint}")


def _codes(t: torch.Tensor, name: str) -> torch.Tensor:
    """Latent codes ``[N, K]``: a non-empty float tensor with finite values (NaN codes would count as far or near)."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of codes [N, K]; got {validate._kind(t)} (convert with "
                        "torch.as_tensor(x, dtype=torch.float32))")
    if t.dim() != 2 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty tensor of codes [N, K]; got {validate._shape(t)}")
    return validate.float_tensor(t, name)


@torch.no_grad()
def latent_activity(model: nn.Module, images: torch.Tensor, *, labels: torch.Tensor | None = None,
                    batch_size: int = 1000) -> torch.Tensor:
    r"""The activity of every latent dimension, ``A_j = Var_x(E_q[z_j | x])``, shape ``[K]``.

    .. math:: A_j = \frac{1}{N}\sum_{n=1}^{N}\big(\mu_j(x_n) - \bar\mu_j\big)^2,
              \qquad \bar\mu_j = \frac1N\sum_n \mu_j(x_n)

    (the population variance over ``images``, accumulated in float64).
    """
    _check_encoder_model(model, "latent_activity")
    if isinstance(images, torch.Tensor) and images.dim() >= 1 and images.shape[0] < 2:
        raise ValueError(f"the activity is a variance over inputs: need at least 2 images; got {images.shape[0]}")
    mu = model.posterior_mean(images, labels, batch_size=batch_size).double()
    return mu.var(dim=0, unbiased=False)


def active_units(model: nn.Module, images: torch.Tensor, threshold: float = 0.01, *,
                 labels: torch.Tensor | None = None, batch_size: int = 1000) -> int:
    r"""The number of active latent units: :math:`\#\{j : A_j > \text{threshold}\}`, with
    :math:`A_j = \mathrm{Cov}_x(\mathbb{E}_{q(z\mid x)}[z_j])` (see :func:`latent_activity`).

    The usual threshold is 0.01 (Burda et al. 2016); the prior's variance is 1, so an active
    unit's means spread over a good part of the prior, an inactive one's barely move.
    """
    threshold = validate.number(threshold, "threshold", minimum=0.0)
    _check_encoder_model(model, "active_units")
    return int((latent_activity(model, images, labels=labels, batch_size=batch_size) > threshold).sum())


@torch.no_grad()
def importance_weighted_bounds(model: nn.Module, images: torch.Tensor, k: int = 1000, *,
                               labels: torch.Tensor | None = None, batch_size: int = 100,
                               chunk_size: int = 100, seed: int = 0) -> torch.Tensor:
    r"""The importance-weighted bound :math:`\mathcal{L}_k(x_n)` of every image, in nats, shape ``[N]`` (float64).

    :func:`negative_log_likelihood` is minus their mean; their spread over images gives its standard error.
    Images go ``batch_size`` at a time, samples ``chunk_size`` at a time (memory ``batch_size * chunk_size * 784``
    floats); the samples come from a generator seeded by ``seed``, so the same call gives the same numbers.
    """
    _check_encoder_model(model, "importance_weighted_bounds")
    if not getattr(model, "is_variational", False):
        raise TypeError(f"{type(model).__name__} has no likelihood bound from its encoder (it has no q(z|x)): "
                        "-log p(x) is estimated by importance sampling for VAEs only")
    images, labels = _check_model_inputs(model, images, labels, "importance_weighted_bounds")
    k = validate.count(k, "k")
    batch_size = validate.count(batch_size, "batch_size")
    chunk_size = validate.count(chunk_size, "chunk_size")
    seed = validate.seed(seed)
    validate.elements(min(batch_size, images.shape[0]) * min(chunk_size, k) * images[0].numel(),
                      f"batch_size={batch_size} images times chunk_size={chunk_size} samples held at once")
    was_training = model.training
    model.eval()
    device = model.device
    gen = torch.Generator(device=device).manual_seed(seed)
    out = []
    try:
        for start in range(0, images.shape[0], batch_size):
            x = images[start:start + batch_size].to(device)
            y = None if labels is None else labels[start:start + batch_size]
            out.append(iwae_bound.unchecked(model, x, k, labels=y, chunk_size=chunk_size, generator=gen).double().cpu())
    finally:
        model.train(was_training)
    return torch.cat(out)


def negative_log_likelihood(model: nn.Module, images: torch.Tensor, k: int = 1000, *,
                            labels: torch.Tensor | None = None, batch_size: int = 100,
                            chunk_size: int = 100, seed: int = 0) -> float:
    r"""Estimate the test negative log-likelihood, in nats per example, by the importance-weighted bound.

    .. math:: -\log p(x) \approx -\frac1N\sum_{n=1}^N \mathcal{L}_k(x_n),\qquad
              \mathcal{L}_k(x) = \log\frac1k\sum_{i=1}^k \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)}

    Since :math:`\mathcal{L}_k \le \log p(x)`, the estimate is an *upper* bound on -log p(x)
    (in expectation) that tightens as k grows. The per-image bounds: :func:`importance_weighted_bounds`.
    """
    bounds = importance_weighted_bounds(model, images, k, labels=labels, batch_size=batch_size,
                                        chunk_size=chunk_size, seed=seed)
    return float(-bounds.mean())


def knn_accuracy(z: torch.Tensor, labels: torch.Tensor, n_train: int = 4000, n_eval: int = 1000, k: int = 5) -> float:
    """How well the label can be read off a code: k-nearest-neighbour accuracy in latent space.

    Each of the codes ``z[n_train : n_train + n_eval]`` is given the most common label among its
    ``k`` nearest codes (Euclidean) in ``z[:n_train]``; returns the fraction labelled correctly
    (chance is 1 / number of classes). High for a VAE's codes of digits, low when the code
    carries no label information (a KL-only encoder, or a conditional VAE, whose label is given).
    """
    n_train = validate.count(n_train, "n_train")
    n_eval = validate.count(n_eval, "n_eval")
    k = validate.count(k, "k")
    _codes(z, "z")
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a tensor of class labels [N]; got {validate._kind(labels)} (convert with "
                        "torch.as_tensor(labels))")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"labels must be integer class labels; got dtype {labels.dtype} (convert with .long())")
    if labels.shape != z.shape[:1]:
        raise ValueError(f"expected codes [N, K] and labels [N]; got {validate._shape(z)} and {validate._shape(labels)}")
    if z.shape[0] < n_train + n_eval:
        raise ValueError(f"need at least n_train + n_eval = {n_train + n_eval} codes; got {z.shape[0]}")
    if not 1 <= k <= n_train:
        raise ValueError(f"k must lie in [1, n_train = {n_train}]; got {k}")
    d = torch.cdist(z[n_train:n_train + n_eval].float(), z[:n_train].float())
    nearest = labels[:n_train][d.topk(k, largest=False).indices]
    return (nearest.mode(dim=1).values == labels[n_train:n_train + n_eval]).float().mean().item()


def hole_fraction(samples: torch.Tensor, train_codes: torch.Tensor, test_codes: torch.Tensor,
                  quantile: float = 0.99) -> float:
    r"""The share of ``samples`` (latent codes) that land in a *hole*: farther from every training code than
    the fraction ``quantile`` of the test codes are.

    .. math:: \frac1N\sum_{n=1}^{N}\mathbf 1\Big[\min_j \lVert s_n - z^{\text{train}}_j\rVert
              > Q_{q}\big(\{\min_j \lVert z^{\text{test}}_i - z^{\text{train}}_j\rVert\}_i\big)\Big]

    Real, unseen digits (the test codes) land this close to the training codes; a sample farther away than
    99 % of them lies where the decoder was never trained. Distances are Euclidean in latent units;
    the threshold adapts to each model's scale, so AE and VAE compare fairly. ``[N, K]`` each.
    """
    return float(hole_mask(samples, train_codes, test_codes, quantile).float().mean())


def bits_per_dim(nll_nats: float, dims: int = 784, levels: int = 256) -> float:
    r"""Nats per example of a density on dequantized pixels (:func:`vae_lib.data.dequantize`) -> bits per
    dimension of the discrete image:

    .. math:: \text{bits/dim} = \frac{-\log p(y) + D \log(\text{levels})}{D \ln 2}

    (the :math:`D\log 256` undoes the scaling of each grey level's bin to width 1/256). Only a *density*
    gives a meaningful number here: the binary cross-entropy of grey targets is not one.
    """
    dims = validate.count(dims, "dims")
    levels = validate.count(levels, "levels", minimum=2)
    return (validate.number(nll_nats, "nll_nats") + dims * math.log(levels)) / (dims * math.log(2))


def hole_mask(samples: torch.Tensor, train_codes: torch.Tensor, test_codes: torch.Tensor,
              quantile: float = 0.99) -> torch.Tensor:
    r"""Which of ``samples`` land in a hole, as a boolean tensor ``[N]``: the per-sample test of
    :func:`hole_fraction` (whose value is ``hole_mask(...).float().mean()``), so that a notebook can ask what
    the samples *in* holes decode to.

    .. math:: \mathbf 1\Big[\min_j \lVert s_n - z^{\text{train}}_j\rVert
              > Q_{q}\big(\{\min_j \lVert z^{\text{test}}_i - z^{\text{train}}_j\rVert\}_i\big)\Big]
    """
    for name, t in (("samples", samples), ("train_codes", train_codes), ("test_codes", test_codes)):
        _codes(t, name)
    if not samples.shape[1] == train_codes.shape[1] == test_codes.shape[1]:
        raise ValueError(f"the codes differ in size: {samples.shape[1]}, {train_codes.shape[1]}, {test_codes.shape[1]}")
    quantile = validate.number(quantile, "quantile", minimum=0.0, maximum=1.0)
    train = train_codes.float()
    d_test = torch.cdist(test_codes.float(), train).min(dim=1).values
    return torch.cdist(samples.float(), train).min(dim=1).values > torch.quantile(d_test, quantile)


__all__ += ["hole_mask"]


def log_aggregate_posterior(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, *,
                            chunk_size: int = 1000) -> torch.Tensor:
    r"""log q_phi(z) of the *aggregate posterior* of N images at M points: the mixture of their encoder Gaussians.

    .. math:: \log q_\phi(z) = \log\frac1N\sum_{n=1}^{N}\mathcal N\big(z;\ \mu_n, \operatorname{diag}\sigma_n^2\big),
              \qquad q_\phi(z) = \mathbb E_{x}\,q_\phi(z\mid x)\ \text{over the N images}

    ``z`` ``[M, K]``; ``mu``, ``logvar`` ``[N, K]`` (the encoder's outputs for the N images) -> ``[M]``, in nats.
    Each component's log-density is expanded into two matrix products,
    :math:`-\tfrac12\sum_j \big(z_j^2 P_{nj} - 2 z_j \mu_{nj} P_{nj} + \mu_{nj}^2 P_{nj} + \log\sigma_{nj}^2 + \log 2\pi\big)`
    with the precisions :math:`P = e^{-\log\sigma^2}`, ``chunk_size`` points at a time (memory ``chunk_size x N``),
    in the dtype of ``z`` (float32: errors of about 1e-5 nats for codes of a few units; pass float64 for more
    digits). With it, KL(q_phi(z) || p(z)) and the mutual information :math:`I_q(x; z)` of "ELBO surgery"
    (Hoffman & Johnson 2016) are Monte Carlo averages (notebook 11).
    """
    for name, t in (("z", z), ("mu", mu), ("logvar", logvar)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a float tensor [N, K]; got {validate._kind(t)} (convert with "
                            "torch.as_tensor(x, dtype=torch.float32))")
        validate.float_tensor(t, name, finite="nan")
    if not all(t.dim() == 2 for t in (z, mu, logvar)) \
            or mu.shape != logvar.shape or z.shape[1] != mu.shape[1] or mu.shape[0] == 0:
        raise ValueError(f"expected points z [M, K] and the encoder's mu, logvar [N, K] (N >= 1); got "
                         f"{validate._shape(z)}, {validate._shape(mu)}, {validate._shape(logvar)}")
    chunk_size = validate.count(chunk_size, "chunk_size")
    mu, logvar = mu.to(z.dtype), logvar.to(z.dtype)
    prec = (-logvar).exp()                                                         # [N, K]
    const = (mu.pow(2) * prec + logvar).sum(-1) + mu.shape[1] * math.log(2 * math.pi)   # [N]
    out = []
    for s in range(0, z.shape[0], chunk_size):
        zc = z[s:s + chunk_size]
        quad = zc.pow(2) @ prec.T - 2 * zc @ (mu * prec).T                        # [m, N]
        out.append(torch.logsumexp(-0.5 * (quad + const), dim=1) - math.log(mu.shape[0]))
    return torch.cat(out) if out else z.new_zeros(0)


__all__ += ["log_aggregate_posterior"]


def rate_distortion(models: Mapping[float, nn.Module], images: torch.Tensor | None = None, *,
                    metrics: Mapping[float, tuple[float, float]] | None = None,
                    n_eval: int = PROTOCOL.subset, seed: int = PROTOCOL.seed) -> dict[float, tuple[float, float]]:
    r"""Each model's point on the rate--distortion plane, in nats per example: ``{key: (rate, distortion)}``,
    rate :math:`= \mathrm{KL}(q(z\mid x)\,\|\,p(z))`, distortion :math:`= -\mathbb E_q[\log p(x\mid z)]` (their sum
    is the -ELBO). For each ``key, model`` of ``models`` (e.g. ``{beta: model}``), the first that exists:

    1. ``metrics[key]``, a ``(rate, distortion)`` pair given by the caller;
    2. the model's zoo figures (``model.zoo_info["metrics"]["test"]``: kl and -rec on the whole test set, as
       :data:`vae_lib.zoo.EVALUATION` says);
    3. measured with :func:`vae_lib.train.evaluate` (seed ``seed``) on the first ``n_eval`` of ``images``
       (grey), binarized once with seed ``seed`` (:func:`vae_lib.data.apply_pixels`, ``"binary"``);
    4. ``(nan, nan)`` when there are no ``images``.
    """
    rd: dict[float, tuple[float, float]] = {}
    test_bin = None
    for b, m in models.items():
        t = ((getattr(m, "zoo_info", None) or {}).get("metrics") or {}).get("test") or {}
        if metrics is not None and b in metrics:
            rd[b] = metrics[b]
        elif t.get("kl") is not None and t.get("rec") is not None:
            rd[b] = (float(t["kl"]), -float(t["rec"]))
        elif images is None:
            rd[b] = (float("nan"), float("nan"))
        else:
            if test_bin is None:
                test_bin = apply_pixels(images[:n_eval], "binary", generator=torch.Generator().manual_seed(seed))
            r = evaluate(m, test_bin, seed=seed)
            rd[b] = (float(r["kl"]), -float(r["rec"]))
    return rd
