"""The digit classifier that measures completeness in notebooks 07-09."""

from __future__ import annotations

import pytest
import torch

from vae_lib.classifier import DigitClassifier, confident_fraction, load_pretrained, predict_proba, train_classifier


def test_shapes_and_probabilities():
    clf = DigitClassifier(hidden=16)
    p = predict_proba(clf, torch.rand(5, 1, 28, 28))
    assert p.shape == (5, 10)
    assert torch.allclose(p.sum(-1), torch.ones(5))
    x = torch.rand(5, 1, 28, 28)
    top = predict_proba(clf, x).max(-1).values
    assert confident_fraction(clf, x, threshold=0.0) == 1.0
    assert confident_fraction(clf, x, threshold=float(top.median())) == pytest.approx((top > top.median()).float().mean().item())
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]; got \[5, 784\] \(reshape"):
        clf(torch.rand(5, 784))
    with pytest.raises(ValueError, match="threshold"):
        confident_fraction(clf, torch.rand(2, 1, 28, 28), threshold=1.5)


def test_training_is_seeded_and_learns(mnist_train):
    x, y = mnist_train
    a = train_classifier(x[:2000], y[:2000], epochs=3, hidden=32, seed=3)
    b = train_classifier(x[:2000], y[:2000], epochs=3, hidden=32, seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    acc = (predict_proba(a, x[2000:4000]).argmax(-1) == y[2000:4000]).float().mean()
    assert acc > 0.7, f"3 epochs on 2,000 images should reach > 70 % accuracy; got {acc:.3f}"


@pytest.mark.mnist
def test_pretrained_is_accurate_and_hesitant_on_junk(real_mnist_test_binary):
    from vae_lib.data import DatasetNotFoundError, load_mnist

    clf = load_pretrained()
    try:
        xt, yt = load_mnist("test", download=False)
    except DatasetNotFoundError:
        pytest.skip("MNIST not on disk")
    acc = (predict_proba(clf, xt).argmax(-1) == yt).float().mean()
    assert acc > 0.95
    assert confident_fraction(clf, xt, 0.8) > 0.8                                   # real digits: confident
    assert confident_fraction(clf, torch.rand(500, 1, 28, 28), 0.8) < 0.05          # noise: not
    assert confident_fraction(clf, 0.5 * xt[:1000] + 0.5 * xt[1000:2000], 0.8) < 0.3  # 50/50 blends: rarely
