"""The digit classifier itself: the network, its training, its verdicts (:mod:`vae_lib.classifier` explains it).

This module sits low in the stack, next to :mod:`vae_lib.models`, so that :mod:`vae_lib.checkpoints` can hold a
:class:`DigitClassifier` without importing the zoo; :mod:`vae_lib.classifier` re-exports everything here and adds
:func:`~vae_lib.classifier.load_pretrained`, which reads the zoo.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .data import batches

__all__ = ["DigitClassifier", "confident_fraction", "predict_proba", "train_classifier"]


class DigitClassifier(nn.Module):
    """x [B, 1, 28, 28] in [0, 1] -> class logits [B, n_classes] (an MLP with one hidden layer)."""

    def __init__(self, hidden: int = 256, n_classes: int = 10) -> None:
        super().__init__()
        self.hidden = validate.count(hidden, "hidden", cap="layer")
        self.n_classes = validate.count(n_classes, "n_classes", minimum=2, cap="n_classes")
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (for :mod:`vae_lib.checkpoints`)."""
        return {"hidden": self.hidden, "n_classes": self.n_classes}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(validate.images(x, dtype=next(self.parameters()).dtype))


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 2, hidden: int = 256,
                     batch_size: int = 128, lr: float = 1e-3, seed: int = 0, n_classes: int = 10,
                     mixup: float = 0.5, noise: float = 0.05) -> DigitClassifier:
    r"""Train a :class:`DigitClassifier` with Adam on the soft cross-entropy :math:`-\sum_c t_c \log p(c\mid x)`.

    In every batch a fraction ``mixup`` of the images become blends of two digits (soft targets)
    and a fraction ``noise`` become uniform noise (uniform target); the rest keep their one-hot
    labels. ``mixup=0, noise=0`` is ordinary training. Seeded; returned in eval mode.
    """
    images = validate.images(images)
    n_classes = validate.count(n_classes, "n_classes", minimum=2, cap="n_classes")
    labels = validate.labels(labels, images.shape[0], n_classes)
    epochs = validate.count(epochs, "epochs")
    batch_size = validate.count(batch_size, "batch_size")
    hidden = validate.count(hidden, "hidden", cap="layer")
    lr = validate.number(lr, "lr", minimum=0.0, strict_min=True)
    seed = validate.seed(seed)
    mixup = validate.number(mixup, "mixup (the fraction of blended images)", minimum=0.0, maximum=1.0)
    noise = validate.number(noise, "noise (the fraction of noise images)", minimum=0.0, maximum=1.0)
    if not (0 <= mixup and 0 <= noise and mixup + noise <= 1):
        raise ValueError(f"need mixup >= 0, noise >= 0 and mixup + noise <= 1; got {mixup}, {noise}")
    torch.manual_seed(seed)
    clf = DigitClassifier(hidden, n_classes)
    opt = torch.optim.Adam(clf.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    clf.train()
    for _ in range(epochs):
        for x, y in batches(images, labels, batch_size=batch_size, generator=gen):
            t = F.one_hot(y, n_classes).float()
            b = x.shape[0]
            n_mix, n_noise = int(mixup * b), int(noise * b)
            if n_mix:
                lam = torch.rand(n_mix, 1, generator=gen)
                partner = torch.randperm(b, generator=gen)[:n_mix]
                x = torch.cat([lam[:, :, None, None] * x[:n_mix] + (1 - lam[:, :, None, None]) * x[partner], x[n_mix:]])
                t = torch.cat([lam * t[:n_mix] + (1 - lam) * t[partner], t[n_mix:]])
            if n_noise:
                x = torch.cat([x[:b - n_noise], torch.rand(n_noise, 1, 28, 28, generator=gen)])
                t = torch.cat([t[:b - n_noise], torch.full((n_noise, n_classes), 1.0 / n_classes)])
            loss = -(t * F.log_softmax(clf.net(x), dim=-1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return clf.eval()


@torch.no_grad()
def predict_proba(clf: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Class probabilities ``softmax(clf(x))``, shape [N, n_classes]."""
    if not (isinstance(clf, nn.Module) and isinstance(getattr(clf, "net", None), nn.Module)
            and hasattr(clf, "n_classes")):
        hint = " (that is a VAE or autoencoder: a classifier is vae_lib.classifier.load_pretrained())" \
            if hasattr(clf, "latent_dim") else ""
        raise TypeError(f"predict_proba needs a DigitClassifier (vae_lib.classifier.load_pretrained() or "
                        f"train_classifier(...)); got {validate._kind(clf)}{hint}")
    images = validate.images(images, dtype=next(clf.parameters()).dtype)
    batch_size = validate.count(batch_size, "batch_size")
    clf.eval()
    return torch.cat([F.softmax(clf.net(images[s:s + batch_size]), dim=-1)
                      for s in range(0, images.shape[0], batch_size)])


def confident_fraction(clf: nn.Module, images: torch.Tensor, threshold: float = 0.9) -> float:
    r"""The fraction of images whose most likely class has probability above ``threshold``:
    :math:`\frac1N\sum_n \mathbf 1[\max_c p(c\mid x_n) > \tau]`."""
    if not 0.0 <= validate.number(threshold, "threshold") < 1.0:
        raise ValueError(f"threshold must lie in [0, 1); got {threshold}")
    return float((predict_proba(clf, images).max(dim=-1).values > threshold).float().mean())
