"""What every latent-variable model of the series has, whatever its kind: capability flags, where its weights
live, the input checks, and the form of its training objective (:class:`Terms`). :class:`vae_lib.models.LatentModel` (AE, VAE, CVAE, AAE) and
:class:`vae_lib.hierarchical.HierarchicalVAE` derive from it, so that a check or a flag is written once.

Capability flags say what a model *has* (ask them instead of its class):

* ``has_prior``: a prior p(z) to sample from (a VAE, an adversarial autoencoder, a hierarchical VAE; not an AE);
* ``has_elbo``: an ELBO, a KL(q(z|x) || p(z)) per example (a VAE; not an AE, not an AAE);
* ``is_variational``: the older name of ``has_elbo`` (kept; always equal to it);
* ``is_conditional`` (with ``n_classes``): it reads a label y beside x.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn

from . import validate

__all__ = ["ELBO", "ModelInterface", "Terms"]


class ModelInterface(nn.Module):
    """The flags, ``device``/``dtype`` and :meth:`check_inputs` shared by every latent-variable model."""

    has_prior: bool = False
    has_elbo: bool = False
    is_variational: bool = False  # = has_elbo
    is_conditional: bool = False
    n_classes: int = 0

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the weights (float32 unless converted): inputs must have it (half precision is converted)."""
        return next(self.parameters()).dtype

    def check_inputs(self, x: Any, y: Any = None, *, values: bool = True,
                     name: str = "images") -> tuple[torch.Tensor, torch.Tensor | None]:
        """Check images (shape, dtype, and with ``values`` their range and NaNs) and labels for this
        model kind (required by a conditional model, refused by the others); ``name``: the argument, for messages."""
        x = validate.images(x, values=values, dtype=self.dtype, name=name)
        return x, self._check_labels(y, x.shape[0])

    def _check_labels(self, y: Any, n: int | None) -> torch.Tensor | None:
        if not self.is_conditional:
            if y is not None:
                raise ValueError(f"{type(self).__name__} is not conditional, but labels were given: drop them "
                                 "(only a ConditionalVAE uses labels)")
            return None
        if y is None:
            raise ValueError(f"a {type(self).__name__} needs the labels y of its inputs (one integer per image, "
                             f"0 to {self.n_classes - 1})")
        y = validate.labels(y, n if n is not None else len(y), self.n_classes)
        return y.to(self.device)


class Terms(NamedTuple):
    r"""A model's training objective and its two parts, each ``[B]`` in nats per example (higher is better):
    ``objective = log_likelihood - beta * regularizer``, under names that are true for every model (as pythae
    splits a loss into reconstruction and regularization). What each part is, by model:

    =========================  ====================================  =====================  ==========================
    model                      ``objective``                         ``log_likelihood``     ``regularizer``
    =========================  ====================================  =====================  ==========================
    VAE, ConditionalVAE        the ELBO (beta = 1) or beta-ELBO      E_q[log p(x|z)]        KL(q(z|x) || p(z))
    VAE trained with iwae_k    the importance-weighted bound L_k     mean of log p(x|z_i)   mean of log q(z_i|x)/p(z_i)
    Autoencoder                log p(x | z = encoder(x))             the same               0 (no regularizer)
    AdversarialAutoencoder     rec - beta * fool - judge             log p(x | z)           fool, the adversarial term
    =========================  ====================================  =====================  ==========================

    ``elbo`` and ``kl`` are the VAE's names of the first and the last field (kept for the series' VAE code; for
    an AE or an AAE they are no ELBO and no KL: read ``objective`` and ``regularizer``).
    """

    objective: torch.Tensor
    log_likelihood: torch.Tensor
    regularizer: torch.Tensor

    @property
    def elbo(self) -> torch.Tensor:
        """``objective``, under the VAE's name."""
        return self.objective

    @property
    def kl(self) -> torch.Tensor:
        """``regularizer``, under the VAE's name."""
        return self.regularizer


#: the older name of :class:`Terms`
ELBO = Terms
