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

A trained copy ships with the zoo as ``digit-classifier`` (float16, 0.4 MB, hash-checked like every
model): :func:`load_pretrained` loads it, and ``python -m vae_lib.zoo build digit-classifier`` retrains it
(seeded) from its recipe in :data:`vae_lib.recipes.RECIPES`.
"""

from __future__ import annotations

from . import zoo
from .digit_classifier import DigitClassifier, confident_fraction, predict_proba, train_classifier

__all__ = ["DigitClassifier", "confident_fraction", "load_pretrained", "predict_proba", "train_classifier"]


def load_pretrained() -> DigitClassifier:
    """The shipped classifier (the zoo's ``digit-classifier``: sha256-checked, float32, eval mode)."""
    return zoo.load("digit-classifier")
