"""Autoencoder, VAE and conditional VAE for 28 x 28 images, behind one interface.

All three share one encoder/decoder design, so that comparing them changes one idea at a time:

* the **Autoencoder** maps x to a single code ``z`` and back;
* the **VAE** maps x to a distribution ``q_phi(z|x) = N(mu, diag(exp(logvar)))`` and decodes a
  sample of it; its prior is ``N(0, I)`` or a learned one (:mod:`vae_lib.priors`); its decoder is a
  Bernoulli (``decode`` gives logits) or a Gaussian over pixels (``decode`` gives the mean before a sigmoid);
* the **ConditionalVAE** also feeds the label (one-hot) to the encoder and the decoder.

**One interface answers what kind of model this is**, so callers never dispatch on classes (the flags and the
input checks are :class:`vae_lib.interface.ModelInterface`'s, shared with the hierarchical VAE):

========================  ==============================================================
``has_prior``             a prior p(z) to sample from (VAE, ConditionalVAE, AdversarialAutoencoder)
``has_elbo``              an ELBO, a KL term per example (VAE, ConditionalVAE); not the AE or the AAE
``is_variational``        the older name of ``has_elbo``, kept: always equal to it
``is_conditional``        needs labels ``y`` (ConditionalVAE); ``n_classes`` is then > 0
``encode(x, y=None)``     AE: ``z``; VAE: ``(mu, logvar)``
``decode(z, y=None)``     logits ``[..., 1, 28, 28]``; ``decode_mean`` gives pixel means in [0, 1]
``posterior_mean(x, y)``  the code of each image, ``E_q[z|x]`` (AE: z), batched, without gradients
``terms(x, y, beta=)``    per-example ``(objective, log_likelihood, regularizer)`` (:class:`vae_lib.losses.Terms`)
``check_inputs(x, y)``    the input checks every entry point runs once
========================  ==============================================================

``arch="mlp"``: fully connected, ``D -> hidden[0] -> ... -> out``. ``arch="conv"``: two stride-2 convolutions
(28 -> 14 -> 7) before the fully connected layers, and the mirror image (transposed convolutions) in the decoder.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from . import validate
from .interface import ModelInterface
from .losses import (
    Terms,
    _check_beta,
    _elbo,
    _iwae_terms,
    bernoulli_log_likelihood,
    gaussian_log_likelihood,
    reparameterize,
)
from .networks import ACTIVATIONS, IMAGE_SHAPE, D, _decoder, _encoder, mlp_layers  # noqa: F401 - mlp_layers for aae
from .priors import Prior, VampPrior, make_prior

__all__ = ["MODEL_CLASSES", "Autoencoder", "ConditionalVAE", "LatentModel", "VAE"]

_STD_LEARNED = ("learned", "learned-pixel")
#: the smallest fixed decoder standard deviation s: a thousandth of the pixel range (below it, log N(x; mean, s^2)
#: of any real image is dominated by 1/s^2 and float32 overflows towards -inf)
STD_MIN = 1e-3


def _overridden(model: Any, name: str) -> bool:
    """True when ``type(model)``'s method ``name`` comes from outside vae_lib (a subclass of a notebook or a test):
    then the unchecked fast paths call that method, so that the override is what runs."""
    f = getattr(type(model), name, None)
    return f is not None and not getattr(f, "__module__", "").startswith("vae_lib.")


def _check_terms(a: dict[str, Any]) -> None:
    """The checks of every model's ``terms``: images and labels as the model needs them, beta >= 0, a generator,
    iwae_k >= 1 (converted values are put back into the call's arguments)."""
    model = a["self"]
    a["x"], a["y"] = model.check_inputs(a["x"], a["y"])
    a["beta"] = _check_beta(a["beta"])
    validate.generator(a["generator"])
    a["iwae_k"] = validate.count(a["iwae_k"], "iwae_k", cap="samples")
    validate.elements(a["iwae_k"] * a["x"].numel(), f"terms with iwae_k={a['iwae_k']} for {a['x'].shape[0]} images")


#: the decorator of every model's ``terms``: check once, then the body; ``terms.unchecked`` is the body alone
checked_terms = validate.checked(_check_terms)


class LatentModel(ModelInterface):
    """What every model of :mod:`vae_lib.models` has: the config, the decoder's likelihood, and the interface
    listed in the module docstring (flags, ``device``/``dtype`` and the input checks: :class:`ModelInterface`)."""

    def __init__(self, latent_dim: int, hidden: Sequence[int], arch: str, activation: str,
                 likelihood: str = "bernoulli", decoder_std: float | str | None = None) -> None:
        super().__init__()
        latent_dim = validate.count(latent_dim, "latent_dim", cap="latent_dim")
        hidden = validate.layer_sizes(hidden, "hidden")
        validate.choice(arch, "arch", ("mlp", "conv"))
        validate.choice(activation, "activation", sorted(ACTIVATIONS))
        validate.choice(likelihood, "likelihood", ("bernoulli", "gaussian"))
        if likelihood == "bernoulli" and decoder_std is not None:
            raise ValueError("decoder_std is for likelihood='gaussian'; a Bernoulli decoder has no standard deviation")
        if likelihood == "gaussian" and decoder_std not in _STD_LEARNED:
            if isinstance(decoder_std, str):
                raise ValueError(f"decoder_std must be a number s >= {STD_MIN:g} (a fixed standard deviation), "
                                 f"'learned' or 'learned-pixel'; got {decoder_std!r:.40}")
            decoder_std = validate.number(decoder_std if decoder_std is not None else float("nan"),
                                          f"decoder_std (a fixed standard deviation s >= {STD_MIN:g}, 'learned' or "
                                          "'learned-pixel')", minimum=STD_MIN)
        self.latent_dim, self.hidden, self.arch, self.activation = latent_dim, hidden, arch, activation
        self.likelihood, self.decoder_std = likelihood, decoder_std
        self._act = ACTIVATIONS[activation]
        if decoder_std in _STD_LEARNED:
            shape = () if decoder_std == "learned" else IMAGE_SHAPE
            self.decoder_logvar = nn.Parameter(torch.full(shape, -2.0))   # s = e^-1 = 0.37 to start

    # ---------------------------------------------------------------- description
    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments: ``type(model)(**model.config)`` builds the same architecture."""
        cfg: dict[str, Any] = {"latent_dim": self.latent_dim, "hidden": list(self.hidden), "arch": self.arch,
                               "activation": self.activation}
        if self.likelihood != "bernoulli":
            cfg.update(likelihood=self.likelihood, decoder_std=self.decoder_std)
        return cfg

    # ---------------------------------------------------------------- checks
    def _check_z(self, z: Any) -> torch.Tensor:
        return validate.codes(z, self.latent_dim, dtype=self.dtype)

    def _check_decoder_labels(self, z: torch.Tensor, y: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Labels for decoding z ``[..., K]``: one per code of the last batch axis (a single code ``[K]`` takes one
        label, an int or a one-element tensor)."""
        if not self.is_conditional:
            self._check_labels(y, None)
            return z, None
        if z.dim() == 1:  # one code, one label
            if isinstance(y, numbers.Integral) and not isinstance(y, bool):
                y = torch.tensor([int(y)])
            elif isinstance(y, torch.Tensor) and y.dim() == 0:
                y = y.reshape(1)
            return z, self._check_labels(y, 1)
        if isinstance(y, numbers.Integral) and not isinstance(y, bool):
            raise ValueError(f"a {type(self).__name__} needs one label per code: for {z.shape[-2]} codes pass "
                             f"torch.full(({z.shape[-2]},), {int(y)}) (one int labels a single code [K] only)")
        return z, self._check_labels(y, z.shape[-2])

    # ---------------------------------------------------------------- decoder
    def _decode_raw(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decode z of shape [..., K] (any leading dims; labels [B] match the last of them), without checks: the
        explorers' update path and the training loop call this after checking once."""
        lead = z.shape[:-1]
        flat = z.reshape(-1, self.latent_dim)
        if y is not None and self.is_conditional:
            extra = nn.functional.one_hot(y, self.n_classes).to(z.dtype)
            flat = torch.cat([flat, extra.expand(*lead, extra.shape[-1]).reshape(flat.shape[0], -1)], dim=-1)
        return self.decoder(flat).reshape(*lead, *IMAGE_SHAPE)

    def _decode_mean_raw(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """``sigmoid(decode(z, y))`` without the checks: the explorers' update path (the codes come from their own
        sliders), through a subclass's own ``decode`` when it has one."""
        if _overridden(self, "decode"):
            return torch.sigmoid(self.decode(z, y))
        return torch.sigmoid(self._decode_raw(z, y))

    def _decode_flat(self, z: Any, y: Any = None) -> torch.Tensor:
        """Check z (finite codes ``[..., K]``) and the labels, then decode."""
        z = self._check_z(z)
        z, y = self._check_decoder_labels(z, y)
        validate.elements(math.prod(z.shape[:-1]) * D, f"decoding {math.prod(z.shape[:-1]):,} codes")
        if z.dim() == 1 and y is not None:  # one code and its label: decode it as a batch of one
            return self._decode_raw(z[None], y)[0]
        return self._decode_raw(z, y)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z ``[..., K]`` -> decoder output ``[..., 1, 28, 28]``: Bernoulli logits (a Gaussian decoder:
        its mean before the sigmoid). NaN or infinite codes are refused."""
        return self._decode_flat(z, y)

    def decode_mean(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's pixel means ``sigmoid(decode(z))`` in [0, 1] (ink = 1): what a picture shows."""
        return torch.sigmoid(self.decode(z, y))

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        r"""log p_theta(x | z) per example; z may be ``[B, K]`` or ``[S, B, K]`` (then ``[S, B]``).

        Bernoulli: :math:`\sum_d x_d\log p_d + (1-x_d)\log(1-p_d)`; Gaussian:
        :math:`\log\mathcal N(x;\ \mathrm{sigmoid}(\text{decode}(z)), s^2 I)`, with the decoder's standard deviation s.
        """
        x, y = self.check_inputs(x, y)
        z = self._check_z(z)
        if z.dim() not in (2, 3) or z.shape[-2] != x.shape[0]:
            raise ValueError(f"z must hold one code per image, [B, K] or [S, B, K] with B = {x.shape[0]} (the images); "
                             f"got {list(z.shape)}")
        validate.elements(math.prod(z.shape[:-1]) * D, f"log_likelihood of {math.prod(z.shape[:-1]):,} codes")
        return self._log_likelihood_raw(x, z, y)

    def _log_likelihood_raw(self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`log_likelihood` without the checks (through a subclass's own ``log_likelihood`` or ``decode``)."""
        if _overridden(self, "log_likelihood"):
            return self.log_likelihood(x, z, y)
        out = self.decode(z, y) if _overridden(self, "decode") else self._decode_raw(z, y)
        if self.likelihood == "bernoulli":
            return bernoulli_log_likelihood.unchecked(x, out)
        return gaussian_log_likelihood.unchecked(x, torch.sigmoid(out), self.decoder_log_variance())


    def decoder_log_variance(self) -> torch.Tensor:
        """log s^2 of a Gaussian decoder (a learned parameter, or the fixed value as a tensor)."""
        if self.likelihood != "gaussian":
            raise AttributeError("a Bernoulli decoder has no variance")
        if self.decoder_std in _STD_LEARNED:
            return self.decoder_logvar
        return torch.tensor(2.0 * math.log(self.decoder_std), device=self.device)

    # ---------------------------------------------------------------- encoder side
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None):
        raise NotImplementedError

    def _mean(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def posterior_mean(self, x: torch.Tensor, y: torch.Tensor | None = None, *, batch_size: int = 2000) -> torch.Tensor:
        """The code of every image, ``E_q[z | x]`` (``mu`` of a VAE, ``z`` of an Autoencoder), ``[N, K]``.

        Batched, without gradients, in eval mode; the model's train/eval mode is restored afterwards.
        """
        x, y = self.check_inputs(x, y)
        batch_size = validate.count(batch_size, "batch_size")
        was_training = self.training
        self.eval()
        try:
            dev = self.device
            out = [self._mean(x[s:s + batch_size].to(dev), None if y is None else y[s:s + batch_size])
                   for s in range(0, x.shape[0], batch_size)]
        finally:
            self.train(was_training)
        return torch.cat(out)

    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None, *, beta: float = 1.0,
              generator: torch.Generator | None = None, iwae_k: int = 1) -> Terms:
        """Per-example ``(objective, log_likelihood, kl)``, in nats: what training maximizes. Every subclass
        decorates its ``terms`` with :func:`checked_terms` (the inputs are checked once per call)."""
        raise NotImplementedError

    def _terms(self, x: torch.Tensor, y: torch.Tensor | None = None, **kw: Any) -> Terms:
        """:meth:`terms` without the checks: ``fit`` and ``evaluate`` check their data once, then call this
        batch by batch (a subclass's own ``terms`` runs as it is)."""
        terms = type(self).terms
        raw = getattr(terms, "unchecked", None)
        return raw(self, x, y, **kw) if raw is not None else terms(self, x, y, **kw)


class Autoencoder(LatentModel):
    """A deterministic autoencoder: ``z = encoder(x)``, ``logits = decoder(z)``.

    Trained to maximize the log-likelihood of x given its own code (reconstruction only). Its
    latent space has no prior, so it is not a generative model: ``is_variational`` is False.
    """

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu", likelihood: str = "bernoulli",
                 decoder_std: float | str | None = None) -> None:
        super().__init__(latent_dim, hidden, arch, activation, likelihood, decoder_std)
        self.encoder = _encoder(arch, self.hidden, self.latent_dim, self._act, 0)
        self.decoder = _decoder(arch, self.hidden, self.latent_dim, self._act)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, 1, 28, 28] -> z [B, K]."""
        x, _ = self.check_inputs(x, y)
        return self.encoder(x)

    def _mean(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @checked_terms
    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None, *, beta: float = 1.0,
              generator: torch.Generator | None = None, iwae_k: int = 1) -> Terms:
        """``(rec, rec, 0)``: an autoencoder maximizes its reconstruction term alone (beta plays no part)."""
        rec = self.log_likelihood(x, self.encoder(x))
        return Terms(rec, rec, torch.zeros_like(rec))


class VAE(LatentModel):
    r"""A variational autoencoder with a Gaussian encoder.

    * encoder: ``q_phi(z|x) = N(mu(x), diag(exp(logvar(x))))``
    * prior: ``p(z) = N(0, I)`` (``prior="normal"``), or learned: ``"mog"`` / ``"vamp"`` with
      ``prior_components`` components (:mod:`vae_lib.priors`)
    * decoder: ``p_theta(x|z) = prod_d Bernoulli(x_d; sigmoid(logits_d(z)))`` (``likelihood="bernoulli"``),
      or ``N(x; sigmoid(decode(z)), s^2 I)`` (``likelihood="gaussian"``, ``decoder_std`` the decoder's standard
      deviation s: a fixed number, ``"learned"`` (one s) or ``"learned-pixel"`` (one per pixel))
    """

    has_prior = True
    has_elbo = True
    is_variational = True  # = has_elbo

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu", likelihood: str = "bernoulli", decoder_std: float | str | None = None,
                 prior: str = "normal", prior_components: int | None = None) -> None:
        self._build(latent_dim, hidden, arch, activation, likelihood, decoder_std, prior, prior_components, 0)

    def _build(self, latent_dim: int, hidden: Sequence[int], arch: str, activation: str, likelihood: str,
               decoder_std: float | str | None, prior: str, prior_components: int | None, n_cond: int) -> None:
        """Encoder to 2K outputs (mu and logvar), decoder from K (+ n_cond label inputs), the prior."""
        LatentModel.__init__(self, latent_dim, hidden, arch, activation, likelihood, decoder_std)
        self.encoder = _encoder(arch, self.hidden, 2 * self.latent_dim, self._act, n_cond)
        self.decoder = _decoder(arch, self.hidden, self.latent_dim + n_cond, self._act)
        if prior == "vamp" and n_cond:
            raise ValueError("the VampPrior needs an unconditional encoder; use prior='mog' for a ConditionalVAE")
        self.prior: Prior = make_prior(prior, self.latent_dim, prior_components)
        if isinstance(self.prior, VampPrior):
            self.prior.attach(lambda u: self.encoder(u).chunk(2, dim=-1))

    @property
    def config(self) -> dict[str, Any]:
        cfg = super().config
        if self.prior.name != "normal":
            cfg.update(prior=self.prior.name, prior_components=self.prior.components)
        return cfg

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, 1, 28, 28] -> (mu, logvar), each [B, K]."""
        x, y = self.check_inputs(x, y)
        return self._encode(x, y)

    def _encode(self, x: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        extra = None if y is None else nn.functional.one_hot(y, self.n_classes).to(x.dtype)
        mu, logvar = self.encoder(x, extra).chunk(2, dim=-1)
        return mu, logvar

    def _encode_raw(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder without the checks: what vae_lib.losses calls batch by batch, after checking once (through a
        subclass's own ``encode`` when it has one)."""
        if _overridden(self, "encode"):
            return self.encode(x, y)
        return self._encode(x, y)

    def _mean(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self._encode(x, y)[0]

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """x -> (logits, mu, logvar), decoding one reparameterized sample z ~ q(z|x)."""
        mu, logvar = self.encode(x, y)
        return self.decode(reparameterize(mu, logvar, generator=generator), y), mu, logvar

    def log_prior(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z), summed over the latent dimension."""
        return self.prior.log_prob(z)

    def _log_prior_raw(self, z: torch.Tensor) -> torch.Tensor:
        return self.prior._log_prob(z)

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example: closed form for N(0, I), else estimated with the samples ``z``
        ``[S, B, K]`` of q (required then)."""
        return self.prior.kl(mu, logvar, z)

    def _kl_raw(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        return self.prior._kl(mu, logvar, z)

    @checked_terms
    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None, *, beta: float = 1.0,
              generator: torch.Generator | None = None, iwae_k: int = 1) -> Terms:
        """The beta-ELBO terms with one sample; ``iwae_k > 1``: the importance-weighted bound L_k as the
        objective, with the reconstruction and KL terms averaged over its k samples (beta must be 1)."""
        if iwae_k > 1:
            return _iwae_terms(self, x, iwae_k, y, generator)
        return _elbo(self, x, beta, 1, y, generator)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Draw z ~ p(z) and return the decoder's pixel means, ``[n, 1, 28, 28]`` in [0, 1]."""
        n = validate.count(n, "n", cap="samples")
        validate.elements(n * D, f"{n:,} samples of {D} pixels")
        if self.is_conditional and labels is None:
            labels = torch.arange(n) % self.n_classes
        return self.decode_mean(self.prior.sample(n, generator).to(self.device), labels)


class ConditionalVAE(VAE):
    """A VAE whose encoder q(z|x, y) and decoder p(x|z, y) also see the label y (one-hot)."""

    is_conditional = True

    def __init__(self, latent_dim: int, n_classes: int = 10, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu", likelihood: str = "bernoulli", decoder_std: float | str | None = None,
                 prior: str = "normal", prior_components: int | None = None) -> None:
        n_classes = validate.count(n_classes, "n_classes", minimum=2, cap="n_classes")
        self._build(latent_dim, hidden, arch, activation, likelihood, decoder_std, prior, prior_components,
                    n_classes)
        self.n_classes = n_classes

    @property
    def config(self) -> dict[str, Any]:
        return {**super().config, "n_classes": self.n_classes}


#: class name -> class, for checkpoints
MODEL_CLASSES: dict[str, type[nn.Module]] = {c.__name__: c for c in (Autoencoder, VAE, ConditionalVAE)}
