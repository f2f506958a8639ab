"""Diffusion as a hierarchical VAE with a fixed encoder (vae_lib.diffusion): the forward process, the closed-form
posterior q(x_{t-1} | x_t, x_0), the per-step KL and its eps form, the ELBO term by term, the trainer, the shipped
toy model, and the noise-level explorer (vae_lib.widgets.diffusion)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_lib import checkpoints, zoo
from vae_lib.diffusion import (
    DiffusionModel,
    diffusion_elbo,
    eps_loss,
    eps_weight,
    evaluate_recipe,
    p_mean,
    prior_kl,
    q_posterior,
    q_sample,
    step_kl,
    step_kl_constant,
    train_recipe,
    two_moons,
)
from vae_lib.recipes import RECIPES


def _model(**kw) -> DiffusionModel:
    torch.manual_seed(0)
    return DiffusionModel(**{"hidden": [16, 16], "steps": 20, **kw}).eval()


def test_schedule_and_forward_marginal_match_the_chain_of_one_step_noisings():
    m = _model()
    assert m.alpha_bar[0] == 1 and torch.allclose(m.alpha_bar[1:], torch.cumprod(1 - m.betas[1:], 0))
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[1.5, -0.5]]).expand(40_000, 2)
    x = x0.clone()
    for t in range(1, 11):  # x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps, ten times
        x = math.sqrt(float(m.alphas[t])) * x + math.sqrt(float(m.betas[t])) * torch.randn(x.shape, generator=g)
    direct = q_sample(m, x0, 10, torch.randn(x0.shape, generator=g))
    ab = float(m.alpha_bar[10])
    for cloud in (x, direct):
        assert torch.allclose(cloud.mean(0), math.sqrt(ab) * x0[0], atol=0.02)
        assert torch.allclose(cloud.var(0), torch.full((2,), 1 - ab), rtol=0.03)


def test_posterior_is_bayes_rule_of_the_two_forward_gaussians():
    m = _model()
    g = torch.Generator().manual_seed(1)
    x0, x_t = torch.randn(1, 2, generator=g), torch.randn(1, 2, generator=g)
    t = 7
    mean, var = q_posterior(m, x0, x_t, t)
    # q(x_{t-1}|x_t,x0) ∝ q(x_t|x_{t-1}) q(x_{t-1}|x0): the log-ratio does not depend on x_{t-1}
    xs = torch.randn(50, 2, generator=g) * 2
    a, b, ab1 = float(m.alphas[t]), float(m.betas[t]), float(m.alpha_bar[t - 1])
    lik = Normal(math.sqrt(a) * xs, math.sqrt(b)).log_prob(x_t).sum(1)
    prior = Normal(math.sqrt(ab1) * x0, math.sqrt(1 - ab1)).log_prob(xs).sum(1)
    post = Normal(mean, math.sqrt(var)).log_prob(xs).sum(1)
    r = lik + prior - post
    assert torch.allclose(r, r[0].expand_as(r), atol=1e-3)


def test_step_kl_is_the_gaussian_closed_form_and_a_weighted_eps_error():
    m = _model()
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(30, 2, generator=g)
    for t in (2, 5, 20):
        eps = torch.randn(x0.shape, generator=g)
        x_t = q_sample(m, x0, t, eps)
        eps_hat = eps + 0.3 * torch.randn(x0.shape, generator=g)
        kl = step_kl(m, x0, x_t, t, eps_hat)
        mu_q, var_q = q_posterior(m, x0, x_t, t)
        exact = kl_divergence(Normal(mu_q, math.sqrt(var_q)),
                              Normal(p_mean(m, x_t, t, eps_hat), math.sqrt(float(m.sigma2[t])))).sum(1)
        assert torch.allclose(kl, exact, rtol=1e-4, atol=1e-5)
        via_eps = step_kl_constant(m, t) + eps_weight(m, t) * (eps - eps_hat).pow(2).sum(1)
        assert torch.allclose(kl, via_eps, rtol=1e-3, atol=1e-4)
        # a perfect eps leaves only the constant: the variances' mismatch
        assert float(step_kl(m, x0, x_t, t, eps).max()) == pytest.approx(step_kl_constant(m, t), abs=1e-4)


def test_elbo_is_the_sum_of_its_terms_and_the_prior_term_is_the_closed_form():
    m = _model()
    x0 = two_moons(100, seed=3)
    out = diffusion_elbo(m, x0, seed=0)
    assert torch.allclose(out["elbo"], out["rec"] - out["prior"] - out["kl"].sum(1), atol=1e-9)
    assert (out["kl"][:, :2] == 0).all() and (out["kl"][:, 2:] > 0).all()
    ab = float(m.alpha_bar[m.steps])
    exact = kl_divergence(Normal(math.sqrt(ab) * x0, math.sqrt(1 - ab)), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(prior_kl(m, x0).float(), exact, atol=1e-5)
    assert torch.equal(diffusion_elbo(m, x0, seed=0)["elbo"], out["elbo"])


def test_two_moons_and_sampling_shapes():
    pts = two_moons(1000, seed=0)
    assert pts.shape == (1000, 2) and torch.equal(pts, two_moons(1000, seed=0))
    assert pts.std(0).min() > 0.5 and pts.abs().max() < 4
    m = _model()
    path = m.sample(8, seed=0, trajectory=True)
    assert path.shape == (21, 8, 2) and torch.equal(path[0], m.sample(8, seed=0))


def test_bad_inputs_get_clear_errors():
    m = _model()
    with pytest.raises(ValueError, match="time_dim"):
        DiffusionModel(time_dim=3)
    with pytest.raises(ValueError, match="points"):
        diffusion_elbo(m, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="t must be"):
        m.predict_x0(torch.zeros(2, 2), 21)
    with pytest.raises(TypeError, match="DiffusionModel"):
        diffusion_elbo("diffusion-moons", torch.zeros(4, 2))
    with pytest.raises(ValueError, match="beta_max"):
        DiffusionModel(beta_min=0.1, beta_max=0.05)


def test_trainer_is_deterministic_and_learns(tmp_path):
    r = SimpleNamespace(name="d", config={"hidden": [16, 16], "steps": 20}, seed=0, lr=2e-3, batch_size=256,
                        schedule="cosine", extra={"data": "two-moons", "n_train": 2000, "n_test": 500})
    m1, h1 = train_recipe(r, epochs=6)
    m2, h2 = train_recipe(r, epochs=6)
    assert h1["train_eps_loss"] == h2["train_eps_loss"] and h1["train_eps_loss"][-1] < h1["train_eps_loss"][0]
    e = evaluate_recipe(m1, r)
    assert e["test"]["n"] == 500 and e["subset1000"]["n"] == 500
    assert e["test"]["elbo"] == pytest.approx(e["test"]["rec"] - e["test"]["prior"] - e["test"]["kl_steps"], abs=1e-3)
    checkpoints.save(m1, tmp_path / "d.pt")
    back = checkpoints.load(tmp_path / "d.pt")
    assert back.config == m1.config and torch.allclose(back.alpha_bar, m1.alpha_bar.to(back.alpha_bar.dtype))
    loss = eps_loss(m1, two_moons(256), torch.Generator().manual_seed(0))
    assert loss.shape == () and loss > 0


def _shipped():
    try:
        return zoo.info("diffusion-moons"), zoo.load("diffusion-moons")
    except (KeyError, zoo.CheckpointError) as exc:
        pytest.skip(f"diffusion-moons is not built: {exc}")


def test_shipped_model_reproduces_its_manifest_figures():
    entry, model = _shipped()
    got = evaluate_recipe(model, RECIPES["diffusion-moons"])
    for part in ("test", "subset1000"):
        for k in ("elbo", "rec", "prior", "kl_steps", "eps_err"):
            assert got[part][k] == pytest.approx(entry["metrics"][part][k], abs=0.05), (part, k)


# ---------------------------------------------------------------------------------------------- the explorer
def test_explorer_moves_and_agrees_with_the_model():
    from vae_lib.widgets.diffusion import DiffusionExplorer

    m = _model()
    pts = two_moons(300, seed=1)
    ex = DiffusionExplorer(m, pts, t=0)
    assert ex.values["mse_xt"] == 0 and ex.values["mse_x0hat"] == 0 and ex.values["noise_std"] == 0
    png0 = ex.image.value
    ex.slider.value = 12
    assert ex.image.value != png0 and "t = 12" in ex.text.value
    eps = torch.randn(pts.shape, generator=torch.Generator().manual_seed(0))
    x_t = q_sample(m, pts, 12, eps)
    x0_hat = m.predict_x0(x_t, 12)
    assert ex.values["mse_xt"] == pytest.approx(float((x_t - pts).pow(2).sum(1).mean()), rel=1e-5)
    assert ex.values["mse_x0hat"] == pytest.approx(float((x0_hat - pts).pow(2).sum(1).mean()), rel=1e-5)
    assert ex.values["alpha_bar"] == pytest.approx(float(m.alpha_bar[12]))
    ex.slider.value = 20
    assert ex.values["noise_std"] > 0.9
    large = DiffusionExplorer(m, pts, t=5, size="large")
    texts = large.plot_texts()["vae-diffusion-plot"]
    assert min(px for _, px in texts) >= 12
    with pytest.raises(TypeError, match="DiffusionModel"):
        DiffusionExplorer("nope", pts)
    with pytest.raises(ValueError, match="points"):
        DiffusionExplorer(m, torch.zeros(5, 3))
    ex.close()
    large.close()
