r"""Priors p(z) of a VAE: the standard normal, and two learned priors that close its "holes".

* :class:`StandardNormal` -- :math:`p(z) = \mathcal N(0, I)`; KL to a Gaussian encoder in closed form.
* :class:`MixturePrior` -- a learned mixture of C diagonal Gaussians,
  :math:`p_\lambda(z) = \frac1C\sum_c \mathcal N(z; m_c, \operatorname{diag} e^{v_c})`.
* :class:`VampPrior` -- the "variational mixture of posteriors" (Tomczak & Welling 2018): the mixture of
  the encoder's own posteriors at C learned pseudo-images :math:`u_c`,
  :math:`p_\lambda(z) = \frac1C\sum_c q_\phi(z\mid u_c)`. The best prior for a given encoder is the
  aggregate posterior :math:`q(z) = \mathbb E_x\,q_\phi(z\mid x)`; the VampPrior is that mixture with
  C learned inputs standing in for the data.

For a learned prior the KL term of the ELBO has no closed form; it is estimated with the same
samples as the reconstruction term, :math:`\mathrm{KL} \approx \frac1S\sum_s [\log q_\phi(z_s\mid x) -
\log p_\lambda(z_s)]` (unbiased, and exact in expectation).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from . import validate
from .losses import LOG_2PI, _pair, kl_std_normal, log_normal_diag, log_prior

__all__ = ["PRIORS", "MixturePrior", "Prior", "StandardNormal", "VampPrior", "make_prior"]


class Prior(nn.Module):
    """p(z) over K latent dimensions: ``log_prob(z)``, ``sample(n)``, ``kl(mu, logvar, z)``."""

    name: str = ""
    closed_form_kl = False

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z), summed over the last (latent) dimension: ``[..., K] -> [...]``."""
        return self._log_prob(self.check_z(z))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws ``z ~ p(z)``, shape ``[n, K]``."""
        n = validate.count(n, "n", cap="samples")
        validate.elements(n * self.latent_dim, f"{n} samples of {self.latent_dim} latent dimensions")
        return self._sample(n, validate.generator(generator))

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        r"""KL(q(z|x) || p(z)) per example, ``[B]``; ``z`` ``[S, B, K]`` are samples of q (used when there
        is no closed form: :math:`\frac1S\sum_s \log q(z_s|x) - \log p(z_s)`)."""
        self.check_q(mu, logvar, z)
        return self._kl(mu, logvar, z)

    # the checks, and the work without them (the models call these once per batch, after checking once)
    def check_z(self, z: torch.Tensor, name: str = "z") -> torch.Tensor:
        """Codes ``[..., K]`` of this prior's latent size: a float tensor without NaN."""
        validate.float_tensor(z, name, finite="nan", min_ndim=1)
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"{name} must have shape [..., {self.latent_dim}] (the latent size); got {list(z.shape)}")
        return z

    def check_q(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None) -> None:
        """q's parameters ``[B, K]`` and, for a KL estimated by sampling, its samples ``z`` ``[S, B, K]``."""
        _pair(mu, logvar, "kl")
        self.check_z(mu, "mu")
        if z is None:
            if not self.closed_form_kl:
                raise ValueError(f"the KL to a {type(self).__name__} has no closed form: pass samples z of q "
                                 "[S, B, K] (e.g. reparameterize(mu, logvar, 16))")
            return
        self.check_z(z)
        if z.dim() != mu.dim() + 1 or z.shape[1:] != mu.shape:
            raise ValueError(f"z must hold samples of q, shape [S, *mu.shape] = [S, {', '.join(map(str, mu.shape))}]; "
                             f"got {list(z.shape)}")

    def _log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _sample(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def _kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        return (log_normal_diag.unchecked(z, mu, logvar) - self._log_prob(z)).mean(0)

    @property
    def device(self) -> torch.device:
        for t in [*self.parameters(), *self.buffers()]:
            return t.device
        return torch.device("cpu")


class StandardNormal(Prior):
    r""":math:`p(z) = \mathcal N(0, I)`: nothing to learn, and a closed-form KL (notebook 03)."""

    name = "normal"
    closed_form_kl = True

    def _log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return log_prior.unchecked(z)

    def _sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=generator, device=self.device)

    def _kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        return kl_std_normal.unchecked(mu, logvar)


class MixturePrior(Prior):
    r"""A learned mixture of ``components`` equally weighted diagonal Gaussians in latent space.

    .. math:: p_\lambda(z) = \frac1C\sum_{c=1}^{C} \mathcal N\big(z;\ m_c, \operatorname{diag}(e^{v_c})\big)

    The means start as draws of N(0, I), the log-variances at 0, so training starts near N(0, I).
    """

    name = "mog"

    def __init__(self, latent_dim: int, components: int) -> None:
        super().__init__(latent_dim)
        self.components = components
        g = torch.Generator().manual_seed(0)
        self.means = nn.Parameter(torch.randn(components, latent_dim, generator=g))
        self.logvars = nn.Parameter(torch.zeros(components, latent_dim))

    def _components(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.means, self.logvars

    def _log_prob(self, z: torch.Tensor) -> torch.Tensor:
        m, lv = self._components()
        return torch.logsumexp(self._log_components(z, m, lv), dim=-1) - math.log(m.shape[0])

    @staticmethod
    def _log_components(z: torch.Tensor, m: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
        r"""log N(z; m_c, diag e^{v_c}) for every component c, ``[..., K] -> [..., C]``.

        Expanded so that the work is two matrix products instead of a ``[..., C, K]`` tensor:
        :math:`-\tfrac12\sum_k \big(z_k^2 P_{ck} - 2 z_k m_{ck} P_{ck} + m_{ck}^2 P_{ck} + v_{ck} + \log 2\pi\big)`
        with the precisions :math:`P = e^{-v}` (equal to :func:`vae_lib.losses.log_normal_diag`, tested).
        """
        prec = (-lv).exp()                                                   # [C, K]
        const = (m.pow(2) * prec + lv).sum(-1) + m.shape[-1] * LOG_2PI         # [C]
        quad = z.pow(2) @ prec.T - 2 * z @ (m * prec).T                       # [..., C]
        return -0.5 * (quad + const)

    def _sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        m, lv = self._components()
        c = torch.randint(0, m.shape[0], (n,), generator=generator, device=m.device)
        eps = torch.randn(n, self.latent_dim, generator=generator, device=m.device)
        return m[c] + (0.5 * lv[c]).exp() * eps


class VampPrior(MixturePrior):
    r"""The VampPrior: the encoder's posteriors at ``components`` learned pseudo-images ``u_c``.

    .. math:: p_\lambda(z) = \frac1C\sum_{c=1}^{C} q_\phi(z\mid u_c),\qquad u_c = \mathrm{sigmoid}(a_c) \in (0, 1)^{D}

    The pseudo-images are parameters of the prior (their logits ``a_c``, initialised from
    training images when the model is built by the zoo, else at random); the encoder is the
    model's own, attached with :meth:`attach` (it is not a submodule of the prior, so its
    weights are stored once).
    """

    name = "vamp"

    def __init__(self, latent_dim: int, components: int) -> None:
        Prior.__init__(self, latent_dim)
        self.components = components
        g = torch.Generator().manual_seed(0)
        self.pseudo_logits = nn.Parameter(0.5 * torch.randn(components, 1, 28, 28, generator=g) - 2.0)
        self._encode: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None

    def attach(self, encode: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Use ``encode(u) -> (mu, logvar)`` (the model's encoder) for the mixture components."""
        object.__setattr__(self, "_encode", encode)

    def pseudo_inputs(self) -> torch.Tensor:
        """The pseudo-images ``u_c`` in (0, 1), ``[C, 1, 28, 28]``."""
        return torch.sigmoid(self.pseudo_logits)

    def init_from(self, images: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Start the pseudo-images at ``C`` random images (grey values, kept away from 0 and 1)."""
        images = validate.images(images, dtype=self.pseudo_logits.dtype)
        validate.generator(generator)
        if images.shape[0] < self.pseudo_logits.shape[0]:
            raise ValueError(f"init_from needs at least {self.pseudo_logits.shape[0]} images (one per pseudo-image); "
                             f"got {images.shape[0]}")
        idx = torch.randperm(images.shape[0], generator=generator)[: self.pseudo_logits.shape[0]]
        with torch.no_grad():
            self.pseudo_logits.copy_(torch.logit(images[idx].clamp(0.02, 0.98)))

    def _components(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._encode is None:
            raise RuntimeError("a VampPrior needs its model's encoder: it is attached when the VAE is built")
        return self._encode(self.pseudo_inputs())


#: name -> prior class (the ``prior`` argument of :class:`vae_lib.models.VAE`)
PRIORS: dict[str, type[Prior]] = {"normal": StandardNormal, "mog": MixturePrior, "vamp": VampPrior}


def make_prior(name: str, latent_dim: int, components: int | None) -> Prior:
    """Build the prior ``name`` (``"normal"``, ``"mog"`` or ``"vamp"``) for ``latent_dim`` dimensions."""
    validate.choice(name, "prior", tuple(PRIORS))
    latent_dim = validate.count(latent_dim, "latent_dim", cap="latent_dim")
    if name == "normal":
        if components is not None:
            raise ValueError("prior_components is only for the learned priors 'mog' and 'vamp'")
        return StandardNormal(latent_dim)
    if components is None:
        raise ValueError(f"prior {name!r} needs prior_components, an integer >= 1; got None")
    components = validate.count(components, f"prior_components (of the prior {name!r})", cap="components")
    return PRIORS[name](latent_dim, components)

