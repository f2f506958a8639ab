"""Autoencoder, VAE and conditional VAE for 28 x 28 images.

All three share one encoder/decoder design, so that comparing them changes one idea at
a time:

* the **Autoencoder** maps x to a single code ``z`` and back;
* the **VAE** maps x to a distribution ``q_phi(z|x) = N(mu, diag(exp(logvar)))`` and decodes
  a sample of it; the decoder outputs Bernoulli **logits** (``sigmoid(logits)`` are the pixel
  probabilities);
* the **ConditionalVAE** also feeds the label (one-hot) to the encoder and the decoder.

``arch="mlp"``: fully connected, ``D -> hidden[0] -> ... -> out``. ``arch="conv"``: two
stride-2 convolutions (28 -> 14 -> 7) before the fully connected layers, and the mirror
image (transposed convolutions) in the decoder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .losses import bernoulli_log_likelihood, reparameterize

__all__ = ["Autoencoder", "ConditionalVAE", "VAE", "MODEL_CLASSES"]

IMAGE_SHAPE = (1, 28, 28)
_ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "elu": nn.ELU}
_CONV_CHANNELS = (32, 64)


def _mlp(sizes: Sequence[int], act: type[nn.Module], last_act: bool) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if last_act or i < len(sizes) - 2:
            layers.append(act())
    return layers


def _encoder(arch: str, hidden: Sequence[int], out: int, act: type[nn.Module], extra_in: int) -> nn.Module:
    """x [B, 1, 28, 28] (+ extra features) -> [B, out]."""
    if arch == "mlp":
        return _Body(nn.Flatten(), nn.Sequential(*_mlp([math.prod(IMAGE_SHAPE) + extra_in, *hidden, out], act, False)))
    c1, c2 = _CONV_CHANNELS
    conv = nn.Sequential(
        nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),   # 28 -> 14
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),  # 14 -> 7
        nn.Flatten(),
    )
    return _Body(conv, nn.Sequential(*_mlp([c2 * 7 * 7 + extra_in, *hidden, out], act, False)))


def _decoder(arch: str, hidden: Sequence[int], latent: int, act: type[nn.Module]) -> nn.Module:
    """z [N, latent] -> logits [N, 1, 28, 28]."""
    rev = list(reversed(hidden))
    if arch == "mlp":
        return nn.Sequential(*_mlp([latent, *rev, math.prod(IMAGE_SHAPE)], act, False), nn.Unflatten(1, IMAGE_SHAPE))
    c1, c2 = _CONV_CHANNELS
    return nn.Sequential(
        *_mlp([latent, *rev, c2 * 7 * 7], act, True),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),  # 7 -> 14
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),          # 14 -> 28
    )


class _Body(nn.Module):
    """Feature extractor followed by an MLP head; extra inputs (a one-hot label) join at the head."""

    def __init__(self, features: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.features, self.head = features, head

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        if extra is not None:
            h = torch.cat([h, extra], dim=-1)
        return self.head(h)


class _ImageModel(nn.Module):
    """Shared constructor checks, input validation and the config used by checkpoints."""

    def __init__(self, latent_dim: int, hidden: Sequence[int], arch: str, activation: str) -> None:
        super().__init__()
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be an integer >= 1; got {latent_dim!r}")
        hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden sizes must be >= 1; got {hidden}")
        if arch not in ("mlp", "conv"):
            raise ValueError(f"arch must be 'mlp' or 'conv'; got {arch!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got {activation!r}")
        self.latent_dim, self.hidden, self.arch, self.activation = latent_dim, hidden, arch, activation
        self._act = _ACTIVATIONS[activation]

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments: ``type(model)(**model.config)`` builds the same architecture."""
        return {"latent_dim": self.latent_dim, "hidden": list(self.hidden), "arch": self.arch,
                "activation": self.activation}

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def _check_x(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"expected a float tensor of shape [batch, 1, 28, 28]; got {type(x).__name__}")
        if x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
            hint = " (add the channel axis: x.unsqueeze(1))" if tuple(x.shape[-2:]) == (28, 28) and x.dim() == 3 else ""
            hint = hint or (" (reshape: x.view(-1, 1, 28, 28))" if x.dim() == 2 and x.shape[-1] == 784 else "")
            raise ValueError(f"expected images of shape [batch, 1, 28, 28]; got {list(x.shape)}{hint}")
        if not x.is_floating_point():
            raise ValueError(f"expected float pixels in [0, 1] (dtype float32); got dtype {x.dtype} "
                             "(convert with x.float() / 255)")
        return x

    def _check_z(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() < 1 or z.shape[-1] != self.latent_dim:
            shape = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"expected latent codes of shape [..., {self.latent_dim}]; got {shape}")
        if not z.is_floating_point():
            raise ValueError(f"expected float latent codes; got dtype {z.dtype}")
        return z

    def _decode_flat(self, z: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """Decode z of shape [..., K] (any leading dims) to logits [..., 1, 28, 28]."""
        z = self._check_z(z)
        lead = z.shape[:-1]
        flat = z.reshape(-1, self.latent_dim)
        if extra is not None:
            flat = torch.cat([flat, extra.expand(*lead, extra.shape[-1]).reshape(flat.shape[0], -1)], dim=-1)
        return self.decoder(flat).reshape(*lead, *IMAGE_SHAPE)


class Autoencoder(_ImageModel):
    """A deterministic autoencoder: ``z = encoder(x)``, ``logits = decoder(z)``.

    Trained to maximize the Bernoulli log-likelihood of x given its own code (reconstruction
    only). Its latent space has no prior, so it is not a generative model.
    """

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu") -> None:
        super().__init__(latent_dim, hidden, arch, activation)
        self.encoder = _encoder(arch, self.hidden, latent_dim, self._act, 0)
        self.decoder = _decoder(arch, self.hidden, latent_dim, self._act)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, 1, 28, 28] -> z [B, K]."""
        return self.encoder(self._check_x(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z [..., K] -> Bernoulli logits [..., 1, 28, 28]."""
        return self._decode_flat(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z) under the Bernoulli decoder, per example."""
        return bernoulli_log_likelihood(x, self.decode(z))


class VAE(_ImageModel):
    r"""A variational autoencoder with a Gaussian encoder and a Bernoulli decoder.

    * encoder: ``q_phi(z|x) = N(mu(x), diag(exp(logvar(x))))``
    * prior: ``p(z) = N(0, I)``
    * decoder: ``p_theta(x|z) = prod_d Bernoulli(x_d; sigmoid(logits_d(z)))``
    """

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (512, 256), arch: str = "mlp",
                 activation: str = "silu") -> None:
        self._build(latent_dim, hidden, arch, activation, n_cond=0)

    def _build(self, latent_dim: int, hidden: Sequence[int], arch: str, activation: str, n_cond: int) -> None:
        """Encoder to 2K outputs (mu and logvar), decoder from K (+ n_cond label inputs)."""
        _ImageModel.__init__(self, latent_dim, hidden, arch, activation)
        self.encoder = _encoder(arch, self.hidden, 2 * latent_dim, self._act, n_cond)
        self.decoder = _decoder(arch, self.hidden, latent_dim + n_cond, self._act)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, 1, 28, 28] -> (mu, logvar), each [B, K]."""
        mu, logvar = self.encoder(self._check_x(x)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z [..., K] -> Bernoulli logits [..., 1, 28, 28]."""
        return self._decode_flat(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """x -> (logits, mu, logvar), decoding one reparameterized sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator=generator)), mu, logvar

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_theta(x | z) per example; z may be [B, K] or [S, B, K]."""
        return bernoulli_log_likelihood(x, self.decode(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(0, I) and return the decoder's pixel means sigmoid(logits), [n, 1, 28, 28] in [0, 1]."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=self.device)
        return torch.sigmoid(self.decode(z))


class ConditionalVAE(VAE):
    """A VAE whose encoder q(z|x, y) and decoder p(x|z, y) also see the label y (one-hot)."""

    def __init__(self, latent_dim: int, n_classes: int = 10, hidden: Sequence[int] = (512, 256),
                 arch: str = "mlp", activation: str = "silu") -> None:
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
        self._build(latent_dim, hidden, arch, activation, n_cond=n_classes)
        self.n_classes = n_classes

    @property
    def config(self) -> dict[str, Any]:
        return {**super().config, "n_classes": self.n_classes}

    def _one_hot(self, y: torch.Tensor, batch: int | None) -> torch.Tensor:
        y = torch.as_tensor(y, device=self.device)
        if y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            raise ValueError(f"labels must be integers in [0, {self.n_classes}); got dtype {y.dtype}")
        if y.dim() != 1 or (batch is not None and y.shape[0] != batch):
            raise ValueError(f"labels must have shape [batch] = [{batch}]; got {list(y.shape)}")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
            raise ValueError(f"labels must lie in [0, {self.n_classes}); got min {int(y.min())}, max {int(y.max())}")
        return nn.functional.one_hot(y.long(), self.n_classes).to(torch.get_default_dtype())

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self._check_x(x)
        mu, logvar = self.encoder(x, self._one_hot(y, x.shape[0])).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z [..., B, K] and labels [B] -> logits [..., B, 1, 28, 28]."""
        z = self._check_z(z)
        return self._decode_flat(z, self._one_hot(y, z.shape[-2] if z.dim() > 1 else None))

    def forward(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x, y)
        return self.decode(reparameterize(mu, logvar, generator=generator), y), mu, logvar

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return bernoulli_log_likelihood(x, self.decode(z, y))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples of the given labels (default: 0, 1, ..., cycling), [n, 1, 28, 28] in [0, 1]."""
        if labels is None:
            labels = torch.arange(n) % self.n_classes
        z = torch.randn(n, self.latent_dim, generator=generator, device=self.device)
        return torch.sigmoid(self.decode(z, labels))


#: class name -> class, for checkpoints
MODEL_CLASSES: dict[str, type[_ImageModel]] = {c.__name__: c for c in (Autoencoder, VAE, ConditionalVAE)}
