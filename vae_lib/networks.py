"""The networks of :mod:`vae_lib.models`: fully connected (``arch="mlp"``) or convolutional (``arch="conv"``)
encoders and decoders for 28 x 28 images, with the cap on their size (:data:`vae_lib.validate.CAPS`).

``arch="mlp"``: ``D -> hidden[0] -> ... -> out``. ``arch="conv"``: two stride-2 convolutions (28 -> 14 -> 7) before
the fully connected layers, and the mirror image (transposed convolutions) in the decoder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from . import validate

IMAGE_SHAPE = validate.IMAGE_SHAPE
D = math.prod(IMAGE_SHAPE)
ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "elu": nn.ELU}
_CONV_CHANNELS = (32, 64)


def mlp_layers(sizes: Sequence[int], act: type[nn.Module], last_act: bool) -> list[nn.Module]:
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    limit, what = validate.CAPS["parameters"]
    if n_params > limit:
        raise ValueError(f"layer sizes {list(sizes)} make a network of {n_params:,} parameters, over the cap of "
                         f"{limit:,} ({what}): use smaller or fewer hidden layers")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if last_act or i < len(sizes) - 2:
            layers.append(act())
    return layers


def _encoder(arch: str, hidden: Sequence[int], out: int, act: type[nn.Module], extra_in: int) -> nn.Module:
    """x [B, 1, 28, 28] (+ extra features) -> [B, out]."""
    if arch == "mlp":
        return _Body(nn.Flatten(), nn.Sequential(*mlp_layers([D + extra_in, *hidden, out], act, False)))
    c1, c2 = _CONV_CHANNELS
    conv = nn.Sequential(
        nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),   # 28 -> 14
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),  # 14 -> 7
        nn.Flatten(),
    )
    return _Body(conv, nn.Sequential(*mlp_layers([c2 * 7 * 7 + extra_in, *hidden, out], act, False)))


def _decoder(arch: str, hidden: Sequence[int], latent: int, act: type[nn.Module]) -> nn.Module:
    """z [N, latent] -> logits [N, 1, 28, 28]."""
    rev = list(reversed(hidden))
    if arch == "mlp":
        return nn.Sequential(*mlp_layers([latent, *rev, D], act, False), nn.Unflatten(1, IMAGE_SHAPE))
    c1, c2 = _CONV_CHANNELS
    return nn.Sequential(
        *mlp_layers([latent, *rev, c2 * 7 * 7], act, True),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),  # 7 -> 14
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),          # 14 -> 28
    )


class _Body(nn.Module):
    """Feature extractor followed by an MLP head; extra inputs (a one-hot label) join at the head."""

    def __init__(self, features: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.features, self.head = features, head

    def layer_sequence(self) -> list[nn.Module]:
        """The layers in the order they apply to an image, the feature extractor's then the head's (the extra
        input, if any, joins before the head's first layer): what :mod:`vae_lib.widgets.inpage` exports to the page."""
        features = list(self.features) if isinstance(self.features, nn.Sequential) else [self.features]
        return [*features, *self.head]

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        if extra is not None:
            h = torch.cat([h, extra], dim=-1)
        return self.head(h)
