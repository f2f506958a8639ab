"""vae_lib.train.fit: it learns, it is reproducible, it fails loudly and stops cleanly."""

from __future__ import annotations

import math

import pytest
import torch

from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.train import TrainingDivergedError, evaluate, fit


@pytest.fixture(scope="module")
def small(mnist_train, mnist_test_binary):
    x, y = mnist_train
    xt, yt = mnist_test_binary
    return x[:3000], y[:3000], xt[:1000], yt[:1000]


def _vae(seed=0):
    torch.manual_seed(seed)
    return VAE(4, hidden=(128,))


def test_fit_improves_the_test_elbo(small):
    x, _, xt, _ = small
    model = _vae()
    before = evaluate(model, xt)["elbo"]
    hist = fit(model, x, epochs=3, test_images=xt, progress=False, binarize="dynamic", device="cpu")
    assert len(hist) == 3 and not hist.interrupted
    assert set(hist[0]) == {"epoch", "train_elbo", "train_objective", "train_rec", "train_kl", "test_elbo", "test_rec",
                            "test_kl", "seconds"}
    after = hist[-1]["test_elbo"]
    assert after > before + 200, (before, after)  # from ~ -545 nats (random) to ~ -200 nats
    assert hist[-1]["test_elbo"] > hist[0]["test_elbo"]
    row = hist[-1]
    assert row["test_elbo"] == pytest.approx(row["test_rec"] - row["test_kl"])
    assert row["test_kl"] > 0
    assert evaluate(model, xt)["elbo"] == pytest.approx(after)  # evaluation is seeded


def test_same_seed_same_history(small):
    x, _, xt, _ = small
    runs = []
    for _ in range(2):
        model = _vae()
        h = fit(model, x[:1000], epochs=2, test_images=xt[:300], progress=False, seed=3, binarize="dynamic", device="cpu")
        runs.append(([{k: v for k, v in r.items() if k != "seconds"} for r in h], model.state_dict()))
    (h1, s1), (h2, s2) = runs
    assert h1 == h2
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    model = _vae()
    h3 = fit(model, x[:1000], epochs=2, test_images=xt[:300], progress=False, seed=4, binarize="dynamic", device="cpu")
    assert h3[-1]["test_elbo"] != h1[-1]["test_elbo"]


def test_autoencoder_and_conditional_vae(small):
    x, y, xt, yt = small
    torch.manual_seed(0)
    ae = Autoencoder(2, hidden=(64,))
    before = evaluate(ae, xt[:300])["rec"]
    h = fit(ae, x[:2000], epochs=2, test_images=xt[:300], progress=False, device="cpu")
    assert math.isnan(h[-1]["test_elbo"]) and math.isnan(h[-1]["test_kl"])
    assert h[-1]["test_rec"] > h[0]["test_rec"] and h[-1]["test_rec"] > before + 100, (before, h)
    cvae = ConditionalVAE(2, hidden=(64,))
    h = fit(cvae, x[:2000], labels=y[:2000], epochs=2, test_images=xt[:300], test_labels=yt[:300],
            progress=False, device="cpu")
    assert h[-1]["test_elbo"] > h[0]["test_elbo"]
    with pytest.raises(ValueError, match="needs the labels"):
        fit(cvae, x[:100], epochs=1, progress=False)


def test_beta_zero_trains_reconstruction_only_and_beta_weights_the_kl(small):
    x, _, xt, _ = small
    m0, m8 = _vae(), _vae()
    h0 = fit(m0, x[:2000], epochs=2, beta=0.0, test_images=xt[:300], progress=False, device="cpu")
    h8 = fit(m8, x[:2000], epochs=2, beta=8.0, test_images=xt[:300], progress=False, device="cpu")
    assert h0[-1]["test_kl"] > 2 * h8[-1]["test_kl"]  # nothing holds the posterior near the prior at beta = 0
    assert h0[-1]["train_objective"] == pytest.approx(h0[-1]["train_rec"])  # the objective is rec - 0 * KL
    for h, beta in ((h0, 0.0), (h8, 8.0)):  # train_elbo is the true ELBO whatever beta was maximized
        row = h[-1]
        assert row["train_elbo"] == pytest.approx(row["train_rec"] - row["train_kl"])
        assert row["train_objective"] == pytest.approx(row["train_rec"] - beta * row["train_kl"])


class _NaNAt(VAE):
    """A VAE whose objective becomes NaN at a chosen training step, like a diverging run."""

    def __init__(self, step: int) -> None:
        super().__init__(2, hidden=(32,))
        self.step = step

    def terms(self, x, y=None, *, beta=1.0, generator=None, iwae_k=1):
        out = super().terms(x, y, beta=beta, generator=generator, iwae_k=iwae_k)
        self.step -= 1
        return out if self.step else type(out)(*(t * float("nan") for t in out))


def test_nan_loss_stops_with_epoch_and_step_and_keeps_the_weights():
    torch.manual_seed(0)
    model = _NaNAt(step=5)  # 3 batches per epoch: the 5th step is step 2 of epoch 2
    with pytest.raises(TrainingDivergedError, match=r"the loss became nan at epoch 2, step 2 of 3; lower lr"):
        fit(model, torch.rand(300, 1, 28, 28), epochs=3, batch_size=128, progress=False, device="cpu")
    assert all(torch.isfinite(p).all() for p in model.parameters())  # the NaN step was not applied


class _InterruptAfter(VAE):
    """A VAE whose encoder raises KeyboardInterrupt at a chosen call, like Ctrl-C mid-epoch."""

    def __init__(self, calls: int) -> None:
        super().__init__(2, hidden=(32,))
        self.calls = calls

    def encode(self, x, y=None):
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt
        return super().encode(x, y)


def test_keyboard_interrupt_keeps_the_weights(capsys):
    torch.manual_seed(0)
    model = _InterruptAfter(calls=12)  # 5 batches per epoch: stops in epoch 3
    start = {k: v.clone() for k, v in model.state_dict().items()}
    hist = fit(model, torch.rand(600, 1, 28, 28), epochs=5, progress=False, device="cpu")
    assert hist.interrupted and len(hist) == 2
    assert "interrupted in epoch 3" in capsys.readouterr().out
    assert not model.training
    assert any(not torch.equal(start[k], v) for k, v in model.state_dict().items())  # trained weights kept


def test_kl_weight_ramps_linearly_then_stays():
    from vae_lib.train import kl_weight

    assert [kl_weight(t, beta=2.0, warmup_steps=4) for t in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    assert kl_weight(0, beta=0.7, warmup_steps=0) == 0.7
