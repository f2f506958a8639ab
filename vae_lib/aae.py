r"""The adversarial autoencoder (Makhzani et al. 2016): a deterministic autoencoder whose *aggregate*
posterior is pushed onto the prior by a discriminator, instead of a KL term per example.

A VAE pays :math:`\mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))` for every image; what sampling needs is only that
the codes, all images together, fill the prior: :math:`q(z) = \mathbb E_x\, q_\phi(z\mid x) \approx p(z)`.
The AAE asks for exactly that. A discriminator :math:`T_\psi(z)` learns to tell prior samples
:math:`z \sim p(z)` (label 1) from codes :math:`z = e_\phi(x)` (label 0); the encoder learns to fool it:

.. math:: \min_\psi\ -\log T_\psi(z_{\text{prior}}) - \log\big(1 - T_\psi(e_\phi(x))\big),\qquad
          \min_{\phi,\theta}\ -\log p_\theta(x\mid e_\phi(x)) + \lambda\,\big(-\log T_\psi(e_\phi(x))\big)

(the "non-saturating" generator loss). All three run in one step: :meth:`AdversarialAutoencoder.terms`
returns a per-example objective whose gradient is the right one for each group of parameters (the
encoder's adversarial term is computed through a *frozen* copy of the discriminator's weights, so its
gradient reaches the encoder only). ``fit`` trains it like any model; ``beta`` is the weight
:math:`\lambda` of the adversarial term.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from . import validate
from .losses import Terms
from .models import Autoencoder, checked_terms, mlp_layers

__all__ = ["AdversarialAutoencoder"]


class AdversarialAutoencoder(Autoencoder):
    """An :class:`~vae_lib.models.Autoencoder` plus a discriminator on the codes; prior p(z) = N(0, I).

    ``terms`` gives ``(objective, log_likelihood, adversarial)``: the third slot holds the encoder's
    adversarial loss :math:`-\\log T_\\psi(e_\\phi(x))` per example (in nats), where a VAE holds its KL.
    ``sample(n)`` decodes prior draws, since the codes were trained to look like them. So it has a prior
    (``has_prior``) but no ELBO (``has_elbo`` and its older name ``is_variational`` are False).
    """

    has_prior = True

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu", likelihood: str = "bernoulli", decoder_std: float | str | None = None,
                 disc_hidden: Sequence[int] = (256, 256)) -> None:
        super().__init__(latent_dim, hidden, arch, activation, likelihood, decoder_std)
        self.disc_hidden = validate.layer_sizes(disc_hidden, "disc_hidden")
        self.discriminator = nn.Sequential(*mlp_layers([self.latent_dim, *self.disc_hidden, 1], self._act, False))

    @property
    def config(self) -> dict[str, Any]:
        return {**super().config, "disc_hidden": list(self.disc_hidden)}

    def discriminate(self, z: torch.Tensor) -> torch.Tensor:
        """The discriminator's logit that z is a prior sample, ``[..., K] -> [...]``."""
        return self.discriminator(self._check_z(z)).squeeze(-1)

    @checked_terms
    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None, *, beta: float = 1.0,
              generator: torch.Generator | None = None, iwae_k: int = 1) -> Terms:
        z = self.encoder(x)
        rec = self.log_likelihood(x, z)
        frozen = {k: v.detach() for k, v in self.discriminator.named_parameters()}
        fool = F.softplus(-functional_call(self.discriminator, frozen, (z,)).squeeze(-1))   # -log T_psi(e(x))
        z_prior = torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)
        judge = F.softplus(-self.discriminate(z_prior)) + F.softplus(self.discriminate(z.detach()))
        return Terms(rec - beta * fool - judge, rec, fool.detach())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` draws of the prior N(0, I): pixel means ``[n, 1, 28, 28]`` in [0, 1]."""
        n = validate.count(n, "n", cap="samples")
        validate.generator(generator)
        return self.decode_mean(torch.randn(n, self.latent_dim, generator=generator, device=self.device))
