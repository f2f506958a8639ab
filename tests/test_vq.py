"""The VQ-VAE of vae_lib.vq (notebook 12): quantization, straight-through gradient, codebook losses and EMA,
usage measures, the causal prior, the bound on -log p(x), the zoo's trainer, the shipped models and the explorer."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from vae_lib import zoo
from vae_lib.recipes import RECIPES, Recipe
from vae_lib.vq import (
    GRID,
    VQVAE,
    CodePrior,
    code_counts,
    dead_codes,
    ema_update,
    nearest_code,
    perplexity,
    straight_through,
    vq_losses,
)
from vae_lib.vq_train import evaluate_recipe, train_recipe
from vae_lib.widgets.codebook import CodebookExplorer
from vae_lib.widgets.render import render_png


def _model(seed: int = 0, **kw) -> VQVAE:
    torch.manual_seed(seed)
    return VQVAE(codebook_size=8, code_dim=4, hidden=[4, 8], prior_channels=8, prior_layers=1, **kw).eval()


def test_nearest_code_is_the_argmin_of_the_distances():
    g = torch.Generator().manual_seed(1)
    z, e = torch.randn(200, 5, generator=g), torch.randn(16, 5, generator=g)
    assert torch.equal(nearest_code(z, e), torch.cdist(z, e).argmin(1))
    assert torch.equal(nearest_code(e, e), torch.arange(16))  # every code is its own nearest code


def test_straight_through_value_and_gradient_match_autograd():
    g = torch.Generator().manual_seed(2)
    z_e = torch.randn(3, 4, 7, 7, generator=g, requires_grad=True)
    codebook = torch.randn(8, 4, generator=g, requires_grad=True)
    flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, 4)
    z_q = codebook[nearest_code(flat, codebook.detach())].view(3, 7, 7, 4).permute(0, 3, 1, 2)
    w = torch.randn(3, 4, 7, 7, generator=g)
    out = straight_through(z_e, z_q)
    assert torch.allclose(out, z_q, atol=1e-6)                     # forward: the codes (up to rounding)
    (out * w).sum().backward()
    assert torch.allclose(z_e.grad, w)                             # backward: dl/dz_e = dl/dz_q
    assert codebook.grad is None or torch.count_nonzero(codebook.grad) == 0   # nothing reaches the codebook


def test_codebook_and_commitment_losses_send_their_gradients_apart():
    g = torch.Generator().manual_seed(3)
    z_e = torch.randn(2, 4, 7, 7, generator=g, requires_grad=True)
    z_q = torch.randn(2, 4, 7, 7, generator=g, requires_grad=True)
    cb, cm = vq_losses(z_e, z_q)
    assert torch.allclose(cb, cm)
    assert torch.allclose(cb, ((z_e - z_q) ** 2).sum() / 2)
    gq, = torch.autograd.grad(cb, z_q, retain_graph=True)
    assert torch.allclose(gq, (z_q - z_e).detach())                # d/dz_q of ||z_e - z_q||^2 / B
    assert torch.autograd.grad(cb, z_e, allow_unused=True)[0] is None
    ge, = torch.autograd.grad(cm, z_e)
    assert torch.allclose(ge, (z_e - z_q).detach())
    with pytest.raises(ValueError, match="same shape"):
        vq_losses(z_e, z_q[:1])


def test_ema_update_with_no_memory_is_the_mean_of_the_assigned_vectors():
    g = torch.Generator().manual_seed(4)
    z = torch.randn(300, 3, generator=g)
    codebook = torch.randn(5, 3, generator=g)
    idx = nearest_code(z, codebook)
    new, count, total = ema_update(codebook, torch.zeros(5), torch.zeros(5, 3), z, idx, decay=0.0, eps=1e-9)
    for m in range(5):
        if (idx == m).any():
            assert torch.allclose(new[m], z[idx == m].mean(0), atol=1e-5)
    assert torch.allclose(count, torch.bincount(idx, minlength=5).float())
    # decay rho: the counts are a moving average
    _, count2, _ = ema_update(codebook, count, total, z, idx, decay=0.9)
    assert torch.allclose(count2, count)  # the same batch again: the average does not move
    with pytest.raises(ValueError):
        ema_update(codebook, count, total, z, idx, decay=1.5)


def test_perplexity_and_dead_codes():
    assert perplexity(torch.full((64,), 10)) == pytest.approx(64)
    assert perplexity(torch.tensor([5, 0, 0, 0])) == pytest.approx(1.0)
    assert perplexity(torch.tensor([1, 1, 0, 0])) == pytest.approx(2.0)
    counts = code_counts(torch.tensor([[0, 0], [3, 3]]), 6)
    assert counts.tolist() == [2, 0, 0, 2, 0, 0] and dead_codes(counts) == 4
    with pytest.raises(ValueError, match="lie in"):
        code_counts(torch.tensor([6]), 6)
    with pytest.raises(ValueError):
        perplexity(torch.zeros(3))


def test_prior_is_causal_in_raster_order_and_normalized():
    torch.manual_seed(0)
    prior = CodePrior(5, channels=8, layers=2).eval().requires_grad_(False)
    g = torch.Generator().manual_seed(5)
    c = torch.randint(5, (2, GRID, GRID), generator=g)
    base = prior.logits(c)
    for i in (0, 10, 24, 48):
        r, col = divmod(i, GRID)
        d = c.clone()
        d[:, r, col] = (d[:, r, col] + 1) % 5
        changed = (prior.logits(d) - base).abs().amax(1).flatten(1)   # [2, 49]
        assert float(changed[:, :i + 1].max()) == 0.0                  # positions <= i do not see c_i
        if i < 48:
            assert float(changed[:, i + 1:].max()) > 0.0               # later ones do
    lp = torch.log_softmax(base, 1)
    assert torch.allclose(lp.exp().sum(1), torch.ones(2, GRID, GRID))
    assert torch.allclose(prior.log_prob(c), lp.gather(1, c[:, None]).flatten(1).sum(1))
    s = prior.sample(3, generator=torch.Generator().manual_seed(0))
    assert s.shape == (3, GRID, GRID) and int(s.min()) >= 0 and int(s.max()) < 5
    assert torch.equal(s, prior.sample(3, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match="lie in"):
        prior.log_prob(torch.full((1, GRID, GRID), 5))


def test_model_bound_and_config(mnist_test_binary):
    m = _model()
    x = mnist_test_binary[0][:16]
    t = m.nll_bound(x)
    assert torch.allclose(t["bound"], t["rec"] + t["prior"])
    assert torch.allclose(t["uniform"], t["rec"] + 49 * math.log(8))
    assert torch.allclose(t["rec"], m.rec_nll(x))
    assert bool((t["prior"] > 0).all()) and bool((t["rec"] > 0).all())
    assert VQVAE(**m.config).config == m.config
    codes = m.codes(x)
    z_q, c2 = m.quantize(m.encode(x))
    assert torch.equal(codes, c2) and torch.allclose(m.embed(codes), z_q)
    probs, c = m.sample(4, seed=1)
    assert probs.shape == (4, 1, 28, 28) and torch.equal(c, m.sample(4, seed=1)[1])


@pytest.mark.parametrize("kw, err, match", [
    ({"codebook_size": 1}, ValueError, "codebook_size"),
    ({"hidden": [4]}, ValueError, "two channel counts"),
    ({"ema_decay": 1.0}, ValueError, "ema_decay"),
    ({"commitment": -1}, ValueError, "commitment"),
])
def test_bad_configs_are_refused(kw, err, match):
    with pytest.raises(err, match=match):
        VQVAE(**kw)


def test_bad_inputs_are_refused():
    m = _model()
    with pytest.raises(ValueError, match="shape"):
        m.encode(torch.rand(2, 28, 28))
    with pytest.raises(ValueError, match="integer tensor"):
        m.decode_codes(torch.zeros(1, 7, 7))
    with pytest.raises(ValueError, match="lie in"):
        m.decode_codes(torch.full((1, 7, 7), 8))
    with pytest.raises(RuntimeError, match="codebook loss"):
        m.ema_step(torch.zeros(1, 4, 7, 7), torch.zeros(1, 7, 7, dtype=torch.long))


def test_ema_model_moves_its_codebook_without_gradients(mnist_test_binary):
    m = _model(ema_decay=0.5).train()
    before = m.codebook.detach().clone()
    out = m.loss(mnist_test_binary[0][:32])
    assert not m.codebook.requires_grad
    m.ema_step(out["z_e"], out["codes"])
    assert not torch.equal(before, m.codebook)


def _tiny_recipe(**extra) -> Recipe:
    return Recipe("tiny", "VQVAE", {"codebook_size": 16, "code_dim": 4, "hidden": [4, 8], "prior_channels": 8,
                                    "prior_layers": 1}, "test", trainer="vqvae", batch_size=64,
                  extra={"prior_epochs": 1, **extra})


def test_trainer_is_deterministic_and_restarts_revive_dead_codes(mnist_test_binary):
    x, y = mnist_test_binary
    x = x[:512]
    a, ha = train_recipe(_tiny_recipe(restart_every=2), x, y, epochs=2)
    b, hb = train_recipe(_tiny_recipe(restart_every=2), x, y, epochs=2)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert ha["train_rec"] == hb["train_rec"] and len(ha["train_rec"]) == 3     # 2 VQ epochs + 1 prior epoch
    c, hc = train_recipe(_tiny_recipe(), x, y, epochs=2)
    assert sum(ha["restarts"][:2]) > 0 and sum(hc["restarts"][:2]) == 0
    assert ha["train_dead_codes"][1] < hc["train_dead_codes"][1]
    m = evaluate_recipe(a, _tiny_recipe(), x[:1000], y)
    assert m["subset1000"]["bound"] == pytest.approx(m["subset1000"]["rec"] + m["subset1000"]["prior"], abs=1e-3)
    assert m["uniform_kl"] == pytest.approx(49 * math.log(16), abs=1e-3)


# ---------------------------------------------------------------------------------------------- the shipped models
VQ_NAMES = [n for n, r in RECIPES.items() if r.trainer == "vqvae"]


@pytest.mark.parametrize("name", VQ_NAMES)
def test_shipped_model_reproduces_its_manifest_figures(name, real_mnist_test_binary):
    model = zoo.load(name)
    x = real_mnist_test_binary[0][:1000]
    got = evaluate_recipe(model, RECIPES[name], x, None)["test"]
    want = zoo.info(name)["metrics"]["subset1000"]
    for k in ("rec", "prior", "bound"):
        assert got[k] == pytest.approx(want[k], abs=0.5), k
    assert got["dead_codes"] == want["dead_codes"]
    assert got["perplexity"] == pytest.approx(want["perplexity"], rel=0.01)


def test_restarts_fix_the_collapse_of_the_shipped_pair():
    plain = zoo.info("vqvae-64-no-restarts")["metrics"]["test"]
    fixed = zoo.info("vqvae-64")["metrics"]["test"]
    assert plain["dead_codes"] >= 8 and fixed["dead_codes"] <= 2
    assert fixed["perplexity"] > 2 * plain["perplexity"] and fixed["rec"] < plain["rec"]
    # the price, which notebook 12 states: more codes in use cost the prior more nats, and the bound worsens
    assert fixed["prior"] > plain["prior"] + 10 and fixed["bound"] > plain["bound"]


# ---------------------------------------------------------------------------------------------- the explorer
def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_explorer_follows_its_controls(mnist_test_binary):
    m = _model(seed=3)
    ex = CodebookExplorer(m, dataset=mnist_test_binary, index=2, code=0, row=3, col=3)
    first = ex.images["edited"].value
    with torch.inference_mode():
        codes = m.codes(mnist_test_binary[0][2:3])[0]
    assert torch.equal(ex.codes, codes)
    target = next(k for k in range(8) if k != int(codes[3, 3]))
    ex.code_slider.value = target
    assert int(ex.edited[3, 3]) == target and int((ex.edited != codes).sum()) == 1
    with torch.inference_mode():
        want = m.decode_codes(ex.edited[None])[0]
        nll = float(-m.prior.log_prob(ex.edited[None])[0])
    assert torch.allclose(ex.edited_image, want)
    assert ex.images["edited"].value == render_png(want, scale=ex.png_scale)
    assert ex.images["edited"].value != first or target == 0
    assert ex.edited_prior_nll == pytest.approx(nll, abs=1e-4)
    assert _pixels(ex.images["alone"].value).shape == _pixels(render_png(m.decode_codes(
        torch.full((1, 7, 7), target))[0], scale=ex.png_scale)).shape
    assert torch.allclose(ex.alone, m.decode_codes(torch.full((1, 7, 7), target))[0])
    ex.row_slider.value, ex.col_slider.value = 0, 6
    assert int(ex.edited[0, 6]) == target and int(ex.edited[3, 3]) == int(codes[3, 3])
    assert f"{nll:.1f} nats" in ex.readout.value
    ex.index.value = 5
    assert not torch.equal(ex.recon, want) and ex.prior_nll > 0
    big = CodebookExplorer(m, dataset=mnist_test_binary, size="large")
    assert big.images["x"].layout.width == f"{28 * big.style.compare_scale}px" == "476px"   # projector size
    with pytest.raises(TypeError, match="VQVAE"):
        CodebookExplorer(torch.nn.Linear(2, 2), dataset=mnist_test_binary)
    with pytest.raises(ValueError, match="code"):
        CodebookExplorer(m, dataset=mnist_test_binary, code=8)
    ex.close()
    big.close()


def test_checkpoint_round_trip(tmp_path, mnist_test_binary):
    from vae_lib.checkpoints import load, save

    m = _model(ema_decay=0.9)
    back = load(save(m, tmp_path / "vq.pt"))
    assert type(back) is VQVAE and back.config == m.config and not back.training
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), back.state_dict().values()))
    x = mnist_test_binary[0][:8]
    assert torch.equal(back.codes(x), m.codes(x))
