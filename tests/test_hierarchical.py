"""The two-layer hierarchical VAE (vae_lib.hierarchical): its top-down inference, its ELBO term by term, its
importance-weighted bound, its active units per layer, its trainer, and the shipped models' manifest figures."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_lib import checkpoints, zoo
from vae_lib.hierarchical import (
    HierarchicalVAE,
    active_units_per_layer,
    elbo_terms,
    evaluate_recipe,
    iwae_bounds,
    kl_per_dimension,
    train_recipe,
)
from vae_lib.losses import kl_normal, kl_std_normal
from vae_lib.metrics import active_units
from vae_lib.models import VAE
from vae_lib.recipes import PAIRS, RECIPES, recipe_differences


def _small(**kw) -> HierarchicalVAE:
    torch.manual_seed(0)
    return HierarchicalVAE(**{"latent_dim": 4, "top_dim": 2, "hidden": [32], "top_hidden": [16], **kw}).eval()


def _images(n: int = 64, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(torch.rand(n, 1, 28, 28, generator=g) * 0.5, generator=g)


def test_precision_weighting_is_the_product_of_the_two_gaussians():
    g = torch.Generator().manual_seed(0)
    mu_h, lv_h, mu_p, lv_p = (torch.randn(5, 3, generator=g) for _ in range(4))
    mu_q, lv_q = HierarchicalVAE.combine(mu_h, lv_h, mu_p, lv_p)
    # N(z; mu_h) N(z; mu_p) / N(z; mu_q) does not depend on z when q is their normalised product
    z = torch.randn(7, 5, 3, generator=g) * 3
    ratio = Normal(mu_h, (0.5 * lv_h).exp()).log_prob(z) + Normal(mu_p, (0.5 * lv_p).exp()).log_prob(z) \
        - Normal(mu_q, (0.5 * lv_q).exp()).log_prob(z)
    assert torch.allclose(ratio, ratio[0:1].expand_as(ratio), atol=1e-4)
    assert (lv_q < torch.minimum(lv_h, lv_p)).all()  # the combined posterior is narrower than either


def test_each_kl_term_is_the_library_closed_form():
    model = _small()
    t = model._terms(_images(16), torch.Generator().manual_seed(0))
    assert torch.allclose(t["kl2"], kl_std_normal(t["mu2"], t["lv2"]), atol=1e-5)
    assert torch.allclose(t["kl1"], kl_normal(t["mu1"], t["lv1"], t["mu1p"], t["lv1p"]), atol=1e-5)
    exact = kl_divergence(Normal(t["mu1"], (0.5 * t["lv1"]).exp()), Normal(t["mu1p"], (0.5 * t["lv1p"]).exp())).sum(-1)
    assert torch.allclose(t["kl1"], exact, atol=1e-5)


def test_elbo_is_the_sum_of_its_terms_and_below_the_iwae_bound():
    model = _small()
    x = _images(200)
    e = elbo_terms(model, x, seed=0)
    assert e["elbo"] == pytest.approx(e["rec"] - e["kl_top"] - e["kl_bottom"], abs=1e-9)
    assert e["kl"] == pytest.approx(e["kl_top"] + e["kl_bottom"], abs=1e-9)
    per_dim = kl_per_dimension(model, x, seed=0)
    assert float(per_dim["z2"].sum()) == pytest.approx(e["kl_top"], abs=1e-6)
    assert float(per_dim["z1"].sum()) == pytest.approx(e["kl_bottom"], abs=1e-6)
    assert per_dim["z1"].shape == (4,) and (per_dim["z2"] >= 0).all()
    b1 = iwae_bounds(model, x, 1, seed=3)      # k = 1: one joint draw, an unbiased estimate of the ELBO
    assert float(b1.mean()) == pytest.approx(e["elbo"], abs=4 * float(b1.std()) / math.sqrt(200))
    b50 = iwae_bounds(model, x, 50, seed=3)
    assert float(b50.mean()) > e["elbo"] + 0.1  # L_50 is tighter than the ELBO (an untrained model: far tighter)
    assert torch.equal(iwae_bounds(model, x[:10], 20, seed=5), iwae_bounds(model, x[:10], 20, seed=5))


def test_active_units_per_layer_split_the_series_count():
    model = _small()
    x = _images(300)
    au = active_units_per_layer(model, x, 0.0001)
    assert au["z1"] + au["z2"] == active_units(model, x, 0.0001)
    assert 0 <= au["z1"] <= 4 and 0 <= au["z2"] <= 2
    assert active_units_per_layer(model, x, 1e9) == {"z1": 0, "z2": 0}


def test_sample_decode_and_checkpoint_round_trip(tmp_path):
    model = _small()
    s = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert s.shape == (5, 1, 28, 28) and ((s >= 0) & (s <= 1)).all()
    path = tmp_path / "h.pt"
    checkpoints.save(model, path)
    back = checkpoints.load(path)
    assert back.config == model.config
    z1 = torch.randn(3, 4)
    assert torch.allclose(back.decode(z1), model.decode(z1))


def test_bad_inputs_get_clear_errors():
    model = _small()
    with pytest.raises(ValueError, match="top_dim"):
        HierarchicalVAE(top_dim=0)
    with pytest.raises(ValueError, match="not conditional"):
        model.check_inputs(_images(2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError):
        elbo_terms(model, torch.rand(4, 784))
    with pytest.raises(TypeError, match="HierarchicalVAE"):
        elbo_terms(VAE(latent_dim=2, hidden=[16]), _images(2))
    with pytest.raises(ValueError, match="k must be"):
        iwae_bounds(model, _images(2), 0)
    with pytest.raises(ValueError):
        model.decode(torch.zeros(3, 5))


def test_trainer_is_deterministic_and_learns(mnist_train):
    x, y = mnist_train
    r = SimpleNamespace(name="t", config={"latent_dim": 4, "top_dim": 2, "hidden": [32], "top_hidden": [16]},
                        pixels="binary", extra={}, seed=0, lr=1e-3, batch_size=128, schedule="cosine",
                        kl_warmup_epochs=0.0, beta=1.0, iwae_k=None)
    m1, h1 = train_recipe(r, x[:512], y[:512], epochs=2)
    m2, h2 = train_recipe(r, x[:512], y[:512], epochs=2)
    assert h1["train_elbo"] == h2["train_elbo"] and h1["train_elbo"][1] > h1["train_elbo"][0]
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    fb = SimpleNamespace(**{**vars(r), "extra": {"free_bits_top": 0.5}})
    _, h3 = train_recipe(fb, x[:512], y[:512], epochs=2)
    assert h3["train_elbo"] != h1["train_elbo"]  # free bits change the objective


# ---------------------------------------------------------------------------------------------- the shipped models
HVAE_NAMES = [n for n, r in RECIPES.items() if r.trainer == "hvae"]


def test_the_comparisons_are_declared_pairs():
    pairs = {(p.a, p.b): p for p in PAIRS}
    p = pairs[("vae-20d-e30", "hvae-20d-e30")]
    assert recipe_differences(RECIPES[p.a], RECIPES[p.b]) == set(p.differs) == {
        "model_class", "trainer", "config.top_dim", "config.top_hidden"}
    q = pairs[("hvae-small-e10", "hvae-small-e10-freebits")]
    assert recipe_differences(RECIPES[q.a], RECIPES[q.b]) == {"extra.free_bits_top"}


@pytest.mark.parametrize("name", HVAE_NAMES)
def test_shipped_model_reproduces_its_manifest_figures(name, real_mnist_test_binary):
    try:
        entry = zoo.info(name)
    except (KeyError, zoo.CheckpointError) as exc:
        pytest.skip(f"{name} is not built: {exc}")
    model = zoo.load(name)
    x = real_mnist_test_binary[0]
    recipe = SimpleNamespace(iwae_k=None)
    got = evaluate_recipe(model, recipe, x[:1000])["subset1000"]
    want = entry["metrics"]["subset1000"]
    for k in ("elbo", "rec", "kl_top", "kl_bottom"):
        assert got[k] == pytest.approx(want[k], abs=0.5), k
    au = active_units_per_layer(model, x)
    assert (au["z1"], au["z2"]) == (entry["metrics"]["active_units_z1"], entry["metrics"]["active_units_z2"])
    nll = entry["metrics"]["nll_iwae"]
    b = iwae_bounds(model, x[:100], nll["k"], seed=0)
    # the first 100 images' bound, against the 1,000-image figure: within 6 standard errors of 100 images
    assert float(-b.mean()) == pytest.approx(nll["value"], abs=6 * float(b.std()) / 10)
    assert nll["value"] < -entry["metrics"]["subset1000"]["elbo"]
