r"""A small digit classifier that judges generated images: is this one clear digit, and which one?

Notebooks 07-09 turn "every z decodes to something meaningful" (completeness) into a number:
the fraction of decoded images that a classifier trained on real digits labels *confidently*,

.. math:: \mathrm{completeness} = \frac1N \sum_{n=1}^N \mathbf 1\big[\max_c\, p(c \mid \hat x_n) > \tau\big],
          \qquad \hat x_n = \mathrm{sigmoid}(\mathrm{decoder}(z_n)),\ z_n \sim p(z).

The classifier is a 784-256-10 MLP trained on grey MNIST training images. Plain classifiers are
over-confident on images unlike their training data (noise, a blend of two digits), which would
make them useless as a judge. So a fraction ``mixup`` of every batch is replaced by blends
:math:`\lambda x_a + (1-\lambda) x_b` with the *soft* target :math:`\lambda y_a + (1-\lambda) y_b`
(mixup, Zhang et al. 2018), and by uniform noise with the uniform target 1/10: the classifier
learns to hesitate exactly where a decoder that fills a hole in its latent space produces a
blend or a smudge.

A trained copy ships in ``assets/classifier/digit_mlp.pt`` (float16, 0.4 MB);
:func:`load_pretrained` loads it, and ``python -m vae_lib.classifier`` retrains it (seeded).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .data import _REPO_ROOT, batches

__all__ = ["DigitClassifier", "confident_fraction", "default_path", "load_pretrained", "predict_proba",
           "train_classifier"]

FORMAT = "vae_lib.classifier"


class DigitClassifier(nn.Module):
    """x [B, 1, 28, 28] in [0, 1] -> class logits [B, n_classes] (an MLP with one hidden layer)."""

    def __init__(self, hidden: int = 256, n_classes: int = 10) -> None:
        super().__init__()
        if hidden < 1 or n_classes < 2:
            raise ValueError(f"need hidden >= 1 and n_classes >= 2; got hidden={hidden}, n_classes={n_classes}")
        self.hidden, self.n_classes = int(hidden), int(n_classes)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"expected images of shape [batch, 1, 28, 28]; got {list(x.shape)}")
        return self.net(x)


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 2, hidden: int = 256,
                     batch_size: int = 128, lr: float = 1e-3, seed: int = 0, n_classes: int = 10,
                     mixup: float = 0.5, noise: float = 0.05) -> DigitClassifier:
    r"""Train a :class:`DigitClassifier` with Adam on the soft cross-entropy :math:`-\sum_c t_c \log p(c\mid x)`.

    In every batch a fraction ``mixup`` of the images become blends of two digits (soft targets)
    and a fraction ``noise`` become uniform noise (uniform target); the rest keep their one-hot
    labels. ``mixup=0, noise=0`` is ordinary training. Seeded; returned in eval mode.
    """
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"images and labels differ in length: {images.shape[0]} vs {labels.shape[0]}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}")
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
            loss = -(t * F.log_softmax(clf(x), dim=-1)).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return clf.eval()


@torch.no_grad()
def predict_proba(clf: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Class probabilities ``softmax(clf(x))``, shape [N, n_classes]."""
    clf.eval()
    return torch.cat([F.softmax(clf(images[s:s + batch_size]), dim=-1) for s in range(0, images.shape[0], batch_size)])


def confident_fraction(clf: nn.Module, images: torch.Tensor, threshold: float = 0.9) -> float:
    r"""The fraction of images whose most likely class has probability above ``threshold``:
    :math:`\frac1N\sum_n \mathbf 1[\max_c p(c\mid x_n) > \tau]`."""
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must lie in [0, 1); got {threshold}")
    return float((predict_proba(clf, images).max(dim=-1).values > threshold).float().mean())


def default_path() -> Path:
    """``<repository>/assets/classifier/digit_mlp.pt``."""
    return _REPO_ROOT / "assets" / "classifier" / "digit_mlp.pt"


def save(clf: DigitClassifier, path: str | Path, **metadata: object) -> Path:
    """Write the classifier's weights (float16) with its sizes and ``metadata``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "hidden": clf.hidden, "n_classes": clf.n_classes,
                "state_dict": {k: v.detach().cpu().half() for k, v in clf.state_dict().items()},
                "metadata": dict(metadata)}, path)
    return path


def load_pretrained(path: str | Path | None = None) -> DigitClassifier:
    """The shipped classifier (float32, eval mode), loaded with ``weights_only=True``."""
    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"no classifier at {path}: rebuild it with `python -m vae_lib.classifier` "
                                "(about a minute on a CPU) or train one with train_classifier(...)")
    ck = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise ValueError(f"{path} is not a vae_lib classifier file (expected format {FORMAT!r})")
    clf = DigitClassifier(ck["hidden"], ck["n_classes"])
    clf.load_state_dict({k: v.float() for k, v in ck["state_dict"].items()})
    clf.metadata = ck.get("metadata", {})
    return clf.eval()


def main() -> int:  # pragma: no cover - a build script
    """Retrain the shipped classifier: ``python -m vae_lib.classifier [EPOCHS]``."""
    from .data import load_mnist

    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    x, y = load_mnist("train")
    xt, yt = load_mnist("test")
    clf = train_classifier(x, y, epochs=epochs, seed=0)
    acc = float((predict_proba(clf, xt).argmax(-1) == yt).float().mean())
    conf = confident_fraction(clf, xt)
    path = save(clf, default_path(), epochs=epochs, seed=0, mixup=0.5, noise=0.05, test_accuracy=round(acc, 4),
                test_confident_fraction=round(conf, 4))
    reloaded = load_pretrained(path)
    acc16 = float((predict_proba(reloaded, xt).argmax(-1) == yt).float().mean())
    print(f"test accuracy {acc:.4f} (float16 copy {acc16:.4f}); confident (> 0.9) on {conf:.3f} of test digits; "
          f"{path.stat().st_size / 1e6:.2f} MB")
    return 0 if math.isfinite(acc) else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
