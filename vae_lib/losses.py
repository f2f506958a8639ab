"""KL divergences, log-likelihoods, the ELBO and the importance-weighted bound.

Conventions (the same in every notebook): every function returns one value **per
example**, summed over pixels (D) and latent dimensions (K), in **nats**. Encoders give
``mu`` and ``logvar = log sigma^2``; the prior is p(z) = N(0, I).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from . import validate
from .interface import ELBO, Terms  # the objective and its two parts: the models' output

__all__ = [
    "ELBO",
    "Terms",
    "bernoulli_log_likelihood",
    "elbo",
    "gaussian_log_likelihood",
    "iwae_bound",
    "kl_normal",
    "kl_std_normal",
    "log_normal_diag",
    "log_prior",
    "reparameterize",
]

LOG_2PI = math.log(2.0 * math.pi)


def _pair(mu: Any, logvar: Any, what: str, names: tuple[str, str] = ("mu", "logvar")) -> None:
    """The parameters of one diagonal Gaussian: float tensors of one shape (at least 1-D), no NaN in them
    (a mean of +-inf is refused too: it is not a distribution; a log-variance of +-inf is a limit case)."""
    validate.float_tensor(mu, f"{what}: {names[0]}", min_ndim=1)
    validate.float_tensor(logvar, f"{what}: {names[1]}", finite="nan", min_ndim=1)
    if mu.shape != logvar.shape:
        raise ValueError(f"{what}: {names[0]} and {names[1]} must have the same shape [..., K] (one mean and one "
                         f"log-variance per latent dimension); got {list(mu.shape)} and {list(logvar.shape)}. "
                         f"To use one {names[1]} for every row, expand it: {names[1]}.expand_as({names[0]})")


def _check_kl_std(a: dict[str, Any]) -> None:
    _pair(a["mu"], a["logvar"], "kl_std_normal")


@validate.checked(_check_kl_std)
def kl_std_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over the last (latent) dimension.

    .. math:: \mathrm{KL} = \tfrac12 \sum_{j=1}^{K} \big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)

    computed with ``expm1`` (:math:`\sigma_j^2 - 1 = e^{\log\sigma_j^2} - 1`, exact near 0), so that a q close
    to the prior gives a small positive KL, never a negative one from rounding.
    ``mu`` and ``logvar`` are float tensors of one shape ``[..., K]``. Returns ``[...]`` (the shape of ``mu``
    without its last dimension), in nats.
    """
    return 0.5 * (mu.pow(2) + torch.expm1(logvar) - logvar).sum(-1)


def _check_kl_normal(a: dict[str, Any]) -> None:
    _pair(a["mu_q"], a["logvar_q"], "kl_normal", ("mu_q", "logvar_q"))
    _pair(a["mu_p"], a["logvar_p"], "kl_normal", ("mu_p", "logvar_p"))
    try:
        torch.broadcast_shapes(a["mu_q"].shape, a["mu_p"].shape)
    except RuntimeError:
        raise ValueError(f"kl_normal: q's parameters {list(a['mu_q'].shape)} and p's {list(a['mu_p'].shape)} do not "
                         "broadcast (they need the same latent size K and matching batch dimensions)") from None


@validate.checked(_check_kl_normal)
def kl_normal(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    r"""KL(q || p) between two diagonal Gaussians, summed over the last dimension.

    .. math:: \mathrm{KL} = \tfrac12 \sum_j \Big(\log\frac{\sigma_{p,j}^2}{\sigma_{q,j}^2}
              + \frac{\sigma_{q,j}^2 + (\mu_{q,j}-\mu_{p,j})^2}{\sigma_{p,j}^2} - 1\Big)

    computed as :math:`\tfrac12\sum_j \big(f(r_j) + (\mu_{q,j}-\mu_{p,j})^2/\sigma_{p,j}^2\big)` with
    :math:`r = \log\sigma_q^2 - \log\sigma_p^2` and :math:`f(r) = e^r - 1 - r \ge 0` (``expm1``: accurate
    when q and p are close). Where the true value is infinite (``sigma_p = 0`` with ``sigma_q > 0``, or
    ``sigma_q = inf``), the result is ``+inf``, never NaN; where the two variances are equal, infinite ones
    included, :math:`r = 0` (the limit of equal widths).
    ``mu_q`` and ``logvar_q`` have one shape, ``mu_p`` and ``logvar_p`` one shape, and the two broadcast (one
    p for a batch of q is fine); NaN and infinite means are refused.
    Not symmetric: ``kl_normal(q, p) != kl_normal(p, q)`` in general.
    """
    r = torch.where(logvar_q == logvar_p, torch.zeros_like(logvar_q), logvar_q - logvar_p)
    f = torch.where(r == math.inf, torch.full_like(r, math.inf), torch.expm1(r) - r)
    d2 = (mu_q - mu_p).pow(2)
    m = torch.where(d2 == 0, torch.zeros_like(d2), d2 * (-logvar_p).exp())
    return 0.5 * (f + m).sum(-1)


def _sum_event(t: torch.Tensor, event_ndim: int) -> torch.Tensor:
    return t.sum(dim=tuple(range(-event_ndim, 0))) if event_ndim > 0 else t


def _check_event(x: torch.Tensor, out: torch.Tensor, what: str, out_name: str) -> None:
    """``out`` is ``[..., B, *event]`` for ``x`` of ``[B, *event]``: x's shape is the end of out's."""
    event = list(x.shape[1:])
    ok = out.dim() >= x.dim() and list(out.shape[out.dim() - len(event):]) == event
    try:
        torch.broadcast_shapes(out.shape, x.shape)
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(f"{what}: {out_name} must have the shape of x, {list(x.shape)}, with optional leading sample "
                         f"dimensions [S, ...] (or a batch axis that broadcasts); got {list(out.shape)}")


def _check_bernoulli(a: dict[str, Any]) -> None:
    x, logits = a["x"], a["logits"]
    validate.float_tensor(x, "bernoulli_log_likelihood: x (the targets)", min_ndim=1)
    validate.float_tensor(logits, "bernoulli_log_likelihood: logits", finite="nan", min_ndim=1)
    lo, hi = (float(v) for v in torch.aminmax(x.detach())) if x.numel() else (0.0, 0.0)
    if lo < 0 or hi > 1:
        hint = " (0..255 grey levels? divide by 255)" if 1 < hi <= 255 and lo >= 0 else ""
        raise ValueError(f"bernoulli_log_likelihood: the targets x must lie in [0, 1] (they are pixel "
                         f"probabilities); got values from {lo:g} to {hi:g}{hint}")
    _check_event(x, logits, "bernoulli_log_likelihood", "logits")


@validate.checked(_check_bernoulli)
def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    r"""log p(x | z) for a Bernoulli decoder with ``p = sigmoid(logits)``, per example.

    .. math:: \log p(x\mid z) = \sum_d x_d \log p_d + (1 - x_d)\log(1 - p_d)

    i.e. minus the binary cross-entropy, computed from logits (stable for any logit).
    ``x`` is ``[B, ...]`` with values in [0, 1]; ``logits`` is ``[B, ...]`` or ``[S, B, ...]`` (S samples of z);
    the sum runs over the dimensions of one example, giving ``[B]`` or ``[S, B]``.
    """
    logits, xb = torch.broadcast_tensors(logits, x)
    ll = -F.binary_cross_entropy_with_logits(logits, xb, reduction="none")
    return _sum_event(ll, x.dim() - 1)


def _check_gaussian(a: dict[str, Any]) -> None:
    x, mean, logvar = a["x"], a["mean"], a["logvar"]
    validate.float_tensor(x, "gaussian_log_likelihood: x", min_ndim=1)
    validate.float_tensor(mean, "gaussian_log_likelihood: mean", finite="nan", min_ndim=1)
    if isinstance(logvar, torch.Tensor):
        validate.float_tensor(logvar, "gaussian_log_likelihood: logvar (log s^2)")
        try:
            torch.broadcast_shapes(logvar.shape, mean.shape)
        except RuntimeError:
            raise ValueError(f"gaussian_log_likelihood: logvar {list(logvar.shape)} does not broadcast against the "
                             f"mean {list(mean.shape)}") from None
    else:
        validate.number(logvar, "gaussian_log_likelihood: logvar (log s^2)")
    _check_event(x, mean, "gaussian_log_likelihood", "mean")


@validate.checked(_check_gaussian)
def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor | float) -> torch.Tensor:
    r"""log N(x; mean, diag(exp(logvar))) per example, summed over the dimensions of one example.

    .. math:: \log p(x\mid z) = -\tfrac12 \sum_d \Big(\frac{(x_d-\hat x_d)^2}{\sigma^2} + \log\sigma^2 + \log 2\pi\Big)

    With a fixed sigma this is ``-||x - mean||^2 / (2 sigma^2)`` plus a constant: squared error.
    ``x`` is ``[B, ...]``; ``mean`` may carry leading sample dimensions ``[S, B, ...]``; ``logvar`` is a finite
    number or a tensor that broadcasts against ``mean`` (one per pixel, say).
    """
    logvar = torch.as_tensor(logvar, dtype=mean.dtype, device=mean.device)
    ll = -0.5 * ((x - mean).pow(2) * (-logvar).exp() + logvar + LOG_2PI)
    ll = ll.expand(torch.broadcast_shapes(ll.shape, mean.shape))
    return _sum_event(ll, x.dim() - 1)


def _check_log_normal(a: dict[str, Any]) -> None:
    for k in ("z", "mu", "logvar"):
        validate.float_tensor(a[k], f"log_normal_diag: {k}", finite="nan", min_ndim=1)
    try:
        torch.broadcast_shapes(a["z"].shape, a["mu"].shape, a["logvar"].shape)
    except RuntimeError:
        raise ValueError(f"log_normal_diag: z {list(a['z'].shape)}, mu {list(a['mu'].shape)} and logvar "
                         f"{list(a['logvar'].shape)} do not broadcast") from None


@validate.checked(_check_log_normal)
def log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""log N(z; mu, diag(exp(logvar))), summed over the last (latent) dimension (the three broadcast:
    ``z [S, B, K]`` against ``mu [B, K]``, say)."""
    return -0.5 * ((z - mu).pow(2) * (-logvar).exp() + logvar + LOG_2PI).sum(-1)


def _check_z(a: dict[str, Any]) -> None:
    validate.float_tensor(a["z"], "log_prior: z", finite="nan", min_ndim=1)


@validate.checked(_check_z)
def log_prior(z: torch.Tensor) -> torch.Tensor:
    r"""log p(z) for the prior p(z) = N(0, I), summed over the last dimension."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def _check_reparameterize(a: dict[str, Any]) -> None:
    _pair(a["mu"], a["logvar"], "reparameterize")
    if bool((a["logvar"] == math.inf).any()):
        raise ValueError("reparameterize: logvar holds +inf (an infinite variance): no sample can be drawn from it")
    if a["n_samples"] is not None:
        n = a["n_samples"] = validate.count(a["n_samples"], "n_samples (None: one sample, no sample axis)",
                                            cap="samples")
        validate.elements(n * a["mu"].numel(), f"reparameterize with n_samples={n} for mu of shape "
                                               f"{list(a['mu'].shape)}")
    validate.generator(a["generator"])


@validate.checked(_check_reparameterize)
def reparameterize(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Draw z ~ N(mu, sigma^2) as a differentiable function of (mu, logvar).

    .. math:: z = \mu + \sigma \odot \varepsilon,\quad \sigma = e^{\frac12\log\sigma^2},\quad \varepsilon\sim N(0, I)

    One independent eps per example and per latent dimension (never one eps shared by a
    batch). ``n_samples=None`` gives ``[B, K]``; an integer S >= 1 gives ``[S, B, K]``. ``mu`` and ``logvar``
    have one shape (a shared ``logvar``: expand it first, ``logvar.expand_as(mu)``).
    """
    shape = mu.shape if n_samples is None else (n_samples, *mu.shape)
    eps = torch.randn(shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + (0.5 * logvar).exp() * eps


def _check_beta(beta: float) -> float:
    try:
        return validate.number(beta, "beta", minimum=0.0)
    except (TypeError, ValueError):
        raise ValueError(f"beta must be a finite number >= 0 (it weights the KL term; beta = 1 is the true ELBO); "
                         f"got {beta!r}") from None


def check_model(model: Any, what: str, *, needs: tuple[str, ...] = ("encode", "log_likelihood")) -> Any:
    """``model`` is a model object with the methods ``needs`` (a vae_lib model, or a toy model of
    :mod:`vae_lib.toy`): a class, a zoo name, a tensor or a plain ``nn.Module`` is refused with what to do."""
    if all(callable(getattr(model, m, None)) for m in needs) and not isinstance(model, type):
        return model
    if isinstance(model, str):
        hint = f": load it first, model = vae_lib.zoo.load({model!r:.40})"
    elif isinstance(model, type):
        hint = f": instantiate the class, e.g. {model.__name__}(latent_dim=2)"
    elif isinstance(model, torch.Tensor):
        hint = " (the arguments are (model, x, ...): did you swap them?)"
    else:
        hint = ""
    raise TypeError(f"{what} needs a model with {' and '.join(n + '()' for n in needs)} (a VAE from vae_lib.models, "
                    f"vae_lib.zoo.load(name), or a toy model of vae_lib.toy); got {validate._kind(model)}{hint}")


def _check_model_inputs(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None, what: str):
    """The model's own input checks (images and labels), when it has them (the toy models do not)."""
    if getattr(model, "is_variational", True) is False:
        raise TypeError(f"{what} needs a model with a prior and an encoder distribution (a VAE); "
                        f"{type(model).__name__} has none. For an Autoencoder use model.terms(x) or "
                        "model.log_likelihood(x, model.encode(x)): its reconstruction term.")
    check_model(model, what)
    check = getattr(model, "check_inputs", None)
    if check is not None:
        return check(x, labels)
    if labels is not None:
        raise ValueError(f"{type(model).__name__} takes no labels")
    check_x = getattr(model, "check_x", None)   # the toy models' data check
    return (check_x(x) if check_x is not None else x), None


def _enc(model: Any, x: torch.Tensor, cond: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoder without the input checks when the model has such a path (vae_lib's models), else ``encode``."""
    raw = getattr(model, "_encode_raw", None)
    return raw(x, *cond) if raw is not None else model.encode(x, *cond)


def _loglik(model: Any, x: torch.Tensor, z: torch.Tensor, cond: tuple) -> torch.Tensor:
    """log p(x | z) without the input checks when the model has such a path, else ``log_likelihood``."""
    raw = getattr(model, "_log_likelihood_raw", None)
    return raw(x, z, *cond) if raw is not None else model.log_likelihood(x, z, *cond)


def _klf(model: Any) -> Any:
    """KL(q || p) per example ``(mu, logvar, z) -> [B]``: the model's own (unchecked when it has such a path),
    else the closed form against N(0, I)."""
    return (getattr(model, "_kl_raw", None) or getattr(model, "kl", None)
            or (lambda mu, logvar, z: kl_std_normal.unchecked(mu, logvar)))


def _logp(model: Any) -> Any:
    return getattr(model, "_log_prior_raw", None) or getattr(model, "log_prior", None) or log_prior.unchecked


def elbo(
    model: torch.nn.Module,
    x: torch.Tensor,
    beta: float = 1.0,
    n_samples: int = 1,
    *,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Terms:
    r"""The (beta-weighted) ELBO of a VAE, per example.

    .. math:: \mathcal{L}_\beta(x) = \mathbb{E}_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]
              - \beta\,\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))

    The expectation is estimated with ``n_samples`` reparameterized samples (S = 1 in
    training); the KL term is exact (closed form) for the prior N(0, I), and estimated with the same
    samples for a learned prior. ``model`` needs ``encode(x) -> (mu, logvar)`` and
    ``log_likelihood(x, z) -> [S, B]`` (the VAEs in :mod:`vae_lib.models` and the toy models have
    both). For a conditional model pass ``labels``. Inputs are checked first (shape, dtype, pixels
    in [0, 1], labels as the model needs them).
    Returns :class:`Terms` ``(objective, log_likelihood, regularizer)``, each ``[B]``: the (beta-)ELBO, the
    expected log-likelihood and the KL (also readable as ``.elbo`` and ``.kl``); ``elbo = log_likelihood - beta * kl``.
    """
    beta = _check_beta(beta)
    n_samples = validate.count(n_samples, "n_samples", cap="samples")
    generator = validate.generator(generator)
    x, labels = _check_model_inputs(model, x, labels, "elbo")
    validate.elements(n_samples * x.numel(), f"elbo with n_samples={n_samples} for {x.shape[0]} images")
    return _elbo(model, x, beta, n_samples, labels, generator)


def _elbo(model: torch.nn.Module, x: torch.Tensor, beta: float, n_samples: int, labels: torch.Tensor | None,
          generator: torch.Generator | None) -> Terms:
    """:func:`elbo` without the input checks (the training loop checks its data once, not per batch)."""
    cond = () if labels is None else (labels,)
    mu, logvar = _enc(model, x, cond)
    z = reparameterize.unchecked(mu, logvar, n_samples, generator)
    rec = _loglik(model, x, z, cond).mean(0)
    kl = _klf(model)(mu, logvar, z)
    return Terms(rec - beta * kl, rec, kl)


def _check_iwae(a: dict[str, Any]) -> None:
    a["k"] = validate.count(a["k"], "k")
    a["chunk_size"] = validate.count(a["chunk_size"], "chunk_size")
    validate.generator(a["generator"])
    a["x"], a["labels"] = _check_model_inputs(a["model"], a["x"], a["labels"], "iwae_bound")
    validate.elements(min(a["k"], a["chunk_size"]) * a["x"].numel(),
                      f"iwae_bound with chunk_size={a['chunk_size']} (samples held at once) for {a['x'].shape[0]} images")


@validate.checked(_check_iwae)
def iwae_bound(
    model: torch.nn.Module,
    x: torch.Tensor,
    k: int,
    *,
    labels: torch.Tensor | None = None,
    chunk_size: int = 100,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The importance-weighted bound (Burda et al. 2016) with k samples, per example.

    .. math:: \mathcal{L}_k(x) = \log \frac1k \sum_{i=1}^k
              \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)},\qquad z_i \sim q_\phi(z\mid x)

    :math:`\mathcal L_k(x)` is a random variable (it depends on the draws): E[L_1] = ELBO <= E[L_k] <=
    E[L_{k+1}] <= log p(x), and L_k -> log p(x) as k grows. The k samples are drawn ``chunk_size`` at a
    time and merged with a running log-sum-exp, so memory stays bounded for k = 5000. Returns one draw
    of L_k per example, ``[B]``, in nats.
    """
    cond = () if labels is None else (labels,)
    log_p = getattr(model, "log_prior", log_prior)
    mu, logvar = model.encode(x, *cond)
    total = torch.full(mu.shape[:-1], -math.inf, dtype=mu.dtype, device=mu.device)
    done = 0
    while done < k:
        s = min(chunk_size, k - done)
        z = reparameterize(mu, logvar, s, generator)
        log_w = model.log_likelihood(x, z, *cond) + log_p(z) - log_normal_diag(z, mu, logvar)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
        done += s
    return total - math.log(k)


def _iwae_terms(model: torch.nn.Module, x: torch.Tensor, k: int, labels: torch.Tensor | None,
                generator: torch.Generator | None) -> Terms:
    """The importance-weighted objective for training (Burda et al. 2016): ``(L_k, mean log p(x|z_i), mean
    KL estimate)`` from one set of k samples per example (no input checks, no chunking: k is small)."""
    cond = () if labels is None else (labels,)
    mu, logvar = _enc(model, x, cond)
    z = reparameterize.unchecked(mu, logvar, k, generator)
    rec = _loglik(model, x, z, cond)
    log_q_over_p = log_normal_diag.unchecked(z, mu, logvar) - _logp(model)(z)
    bound = torch.logsumexp(rec - log_q_over_p, dim=0) - math.log(k)
    return Terms(bound, rec.mean(0), log_q_over_p.mean(0))
