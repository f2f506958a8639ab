"""The in-page twins of notebooks 00, 03, 04, 10 and 13: their JavaScript math, run in node, against the Python
explorers (the reference), for every setting the tests try and every model the explorers can show; and their
Python side (state, factories, bad input). The same pages in Chromium: tests/browser/test_inpage_toys_browser.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _node_js import run_js

from vae_lib import zoo
from vae_lib.checkpoints import CheckpointError
from vae_lib.diffusion import DiffusionModel, two_moons
from vae_lib.recipes import RECIPES
from vae_lib.toy import NonlinearToy1D
from vae_lib.widgets import DiffusionExplorer, ELBOGapExplorer, KLExplorer
from vae_lib.widgets.diffusion_inpage import InPageDiffusionExplorer, diffusion_explorer
from vae_lib.widgets.digits import DigitBrowser
from vae_lib.widgets.elbo_gap_inpage import InPageELBOGapExplorer, elbo_gap_explorer
from vae_lib.widgets.gauss_s import InPageSExplorer, SExplorer, best_s, log_lik_curve, s_explorer
from vae_lib.widgets.kl_inpage import InPageKLExplorer, kl_explorer

TOL = 1e-9          # float64 math on both sides: only the order of the sums differs
TOL_FIT = 1e-7      # the same optimiser, step for step, in both (Nelder-Mead, Adam)
TOL_POINTS = 1e-4   # the diffusion network: float32 in torch, float64 sums in the page


def kl_cases() -> list[dict]:
    rng = np.random.default_rng(1)
    cases = [dict(mode="mixture", mu_q=1.0, sigma_q=0.5, mu_p=0.0, sigma_p=0.6, separation=2.0, weight=0.5),
             dict(mode="gaussian", mu_q=0.0, sigma_q=1.0, mu_p=1.0, sigma_p=0.8, separation=2.5, weight=0.5)]
    for mode in ("gaussian", "mixture") * 3:
        mu_q, mu_p = rng.uniform(-4, 4, 2)
        sigma_q, sigma_p = rng.uniform(0.2, 3.0, 2)
        cases.append(dict(mode=mode, mu_q=mu_q, sigma_q=sigma_q, mu_p=mu_p, sigma_p=sigma_p,
                          separation=rng.uniform(0, 4), weight=rng.uniform(0.05, 0.95)))
    return cases


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
def test_kl_page_computes_the_python_explorers_numbers_and_fits():
    ex = InPageKLExplorer(n_mc=500, seed=3)
    cases = kl_cases()
    js = run_js(ex.view._esm, """
        const s = args.spec, d = float64(args.data), m = s.n_mc, grid = linspace(...s.grid);
        return args.cases.map((c) => ({ values: klState(c, c.mode, grid, d.subarray(0, m), d.subarray(m, 2 * m)).values,
          qp: klFit(c, c.mode, grid, "qp", s.ranges), pq: klFit(c, c.mode, grid, "pq", s.ranges) }));
    """, {"spec": ex.view.spec, "data": ex.view.data, "cases": cases})
    for case, page in zip(cases, js):
        py = KLExplorer(**case, n_mc=500, seed=3)
        assert set(page["values"]) == set(py.values)
        for k, v in py.values.items():
            assert abs(page["values"][k] - v) <= TOL * max(1.0, abs(v)), (case, k, page["values"][k], v)
        for direction in ("qp", "pq"):
            fitted = KLExplorer(**case, n_mc=500, seed=3).fit(direction)
            assert np.allclose(page[direction], fitted, atol=TOL_FIT, rtol=0), (case, direction, page[direction], fitted)


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
def test_elbo_gap_page_computes_the_toys_terms_and_fit_for_the_default_and_another_decoder():
    toys = {"default": NonlinearToy1D(), "sin, s = 0.3": NonlinearToy1D(lambda z: 2 * torch.sin(z), s=0.3, n=6001)}
    cases = [dict(x=3.0, mu=0.0, sigma=1.0), dict(x=-1.0, mu=0.5, sigma=0.3), dict(x=5.5, mu=-2.0, sigma=0.05),
             dict(x=1.5, mu=3.9, sigma=1.5)]
    for name, toy in toys.items():
        ex = InPageELBOGapExplorer(toy)
        js = run_js(ex.view._esm, """
            const toy = toy1d(args.spec, float64(args.data)), s = args.spec;
            return args.cases.map((c) => ({ terms: toy.terms(c.x, c.mu, c.sigma),
              fit: toy.fit(c.x, c.mu, c.sigma, s.fit_steps, s.fit_lr) }));
        """, {"spec": ex.view.spec, "data": ex.view.data, "cases": cases})
        for case, page in zip(cases, js):
            py = ELBOGapExplorer(toy, **case)
            for k, v in py.values.items():
                assert abs(page["terms"][k] - v) <= TOL * max(1.0, abs(v)), (name, case, k, page["terms"][k], v)
            py.fit()
            fitted = (float(py.sliders["mu"].value), float(py.sliders["sigma"].value))
            assert np.allclose(page["fit"], fitted, atol=TOL_FIT, rtol=0), (name, case, page["fit"], fitted)


def diffusion_models() -> list[str]:
    names = [n for n in zoo.names() if RECIPES[n].model_class == "DiffusionModel"]
    assert names, "the zoo has no diffusion model"
    return names


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
@pytest.mark.parametrize("name", diffusion_models())
def test_diffusion_page_computes_every_steps_points_and_numbers(name):
    try:
        model = zoo.load(name)
    except CheckpointError as exc:
        pytest.skip(f"{name} is not built: {exc}")
    points = two_moons(300, seed=10_000)
    ex = InPageDiffusionExplorer(model, points, t=7, seed=2)
    js = run_js(ex.view._esm, """
        const e = diffusionEngine(args.spec, args.data), out = [];
        for (let t = 0; t <= args.spec.steps; t++) { const f = e.frame(t); out.push({ xt: f.xt, x0hat: f.x0hat, v: e.values(t) }); }
        return out;
    """, {"spec": ex.view.spec, "data": ex.view.data})
    py = DiffusionExplorer(model, points, t=7, seed=2)
    frames = py.frames.double().numpy()
    assert len(js) == model.steps + 1
    worst = {"xt": 0.0, "x0hat": 0.0}
    for t, page in enumerate(js):
        for i, key in enumerate(("xt", "x0hat")):
            worst[key] = max(worst[key], float(np.abs(np.reshape(page[key], (-1, 2)) - frames[t, i]).max()))
        py.slider.value = t
        for k, v in py.values.items():
            assert abs(page["v"][k] - v) <= 1e-5 * max(1.0, abs(v)), (t, k, page["v"][k], v)
    assert worst["xt"] <= 1e-5 and worst["x0hat"] <= TOL_POINTS, worst
    print(f"\n{name}: max |page - Python| over every step: x_t {worst['xt']:.1e}, x0_hat {worst['x0hat']:.1e}")


def gaussian_decoders() -> dict[str, torch.nn.Module]:
    out = {}
    for n in zoo.names("fashion-likelihoods"):
        try:
            model = zoo.load(n)
        except CheckpointError:
            continue
        if model.likelihood == "gaussian":
            out[n] = model
    return out


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
def test_s_explorer_page_computes_the_curve_for_every_gaussian_decoder_of_notebook_10():
    models = gaussian_decoders()
    assert len(models) >= 2, "notebook 10's Gaussian models are not built"
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, 28, 28, generator=g)
    eta = torch.randn(x.shape, generator=g)
    with torch.no_grad():
        hats = {n: m.decode_mean(m.posterior_mean(x)) for n, m in models.items()}
    ex = InPageSExplorer(x, hats, eta)
    s_values = list(np.logspace(-2.5, 0.5, 13))
    js = run_js(ex.view._esm, """
        const P = args.spec.n_pixels, all = float32(args.data), x = all.subarray(0, P);
        return args.spec.decoders.map(([n], i) => {
          const g = gaussS(x, all.subarray((2 + i) * P, (3 + i) * P));
          return { name: n, best: g.best, curve: args.s.map(g.curve) };
        });
    """, {"spec": ex.view.spec, "data": ex.view.data, "s": s_values})
    assert [p["name"] for p in js] == list(models)
    for page in js:
        want = log_lik_curve(x, hats[page["name"]], s_values)
        assert np.allclose(page["curve"], want, rtol=TOL, atol=0), page["name"]
        assert abs(page["best"] - best_s(x, hats[page["name"]])) <= TOL
        ref = SExplorer(x, hats, eta, decoder=page["name"], s=0.05)
        assert abs(ref.log_lik - ex.log_lik(0.05, page["name"])) <= TOL * abs(ref.log_lik)


@pytest.mark.slow   # runs the page's JavaScript in Node (a subprocess): the full tier
def test_the_digit_browser_page_shows_the_images_python_holds(mnist_train):
    images, labels = mnist_train
    ex = DigitBrowser(images, labels, n=40, index=3)
    js = run_js(ex.view._esm, "return args.idx.map((i) => digitPixels(args.data, i, 784));",
                {"data": ex.view.data, "idx": [0, 3, 39]})
    for i, page in zip([0, 3, 39], js):
        assert np.abs(np.array(page) - images[i, 0].double().numpy().ravel()).max() <= 0.5 / 255 + 1e-12
    assert ex.view.spec["labels"] == [int(v) for v in labels[:40]] and ex.controls == {"index": 3}
    with pytest.raises(ValueError, match="labels"):
        DigitBrowser(images[:5], labels[:4])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DigitBrowser(images[:5] * 2, labels[:5])


def test_twins_state_factories_and_bad_input():
    ex = kl_explorer(mode="mixture", mu_q=9.0)
    assert isinstance(ex, InPageKLExplorer) and ex.widget is ex.view
    assert ex.controls["mu_q"] == KLExplorer.MU_RANGE[1] and ex.controls["mode"] == "mixture"
    assert ex.view._esm.rstrip().endswith("export default { render };") and "function nelderMead(" in ex.view._esm
    assert len(ex.view.data) == 2 * 2000 * 8   # the normals and the uniforms, float64
    ex.set_controls(mu_q=-2.0)
    assert ex.reference().values == KLExplorer(mode="mixture", mu_q=-2.0).values
    with pytest.raises(ValueError, match="unknown control"):
        ex.set_controls(mu=1.0)
    assert isinstance(kl_explorer(in_page=False), KLExplorer)
    with pytest.raises(ValueError):
        kl_explorer(mode="three")
    with pytest.raises(ValueError):
        kl_explorer(mu_q=float("nan"))
    assert isinstance(elbo_gap_explorer(x=2.0), InPageELBOGapExplorer)
    assert isinstance(elbo_gap_explorer(in_page=False), ELBOGapExplorer)
    with pytest.raises(TypeError, match="NonlinearToy1D"):
        elbo_gap_explorer("toy")
    model = DiffusionModel(hidden=(8,), steps=5)
    d = diffusion_explorer(model, two_moons(20), t=99)
    assert isinstance(d, InPageDiffusionExplorer) and d.controls == {"t": 5} and d.view.picture[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="DiffusionModel"):
        diffusion_explorer(torch.nn.Linear(2, 2), two_moons(20))
    with pytest.raises(ValueError, match="points"):
        diffusion_explorer(model, torch.zeros(5, 3))
    x = torch.rand(1, 1, 28, 28)
    s = s_explorer(x, {"a": x * 0.5}, torch.randn(1, 784), s=0.2)
    assert isinstance(s, InPageSExplorer) and s.controls == {"s": 0.2, "decoder": "a"}
    with pytest.raises(ValueError, match="decoder"):
        s_explorer(x, {"a": x}, x, decoder="b")
    with pytest.raises(ValueError, match="pixels"):
        s_explorer(x, {"a": torch.rand(1, 100)}, x)
    with pytest.raises(ValueError):
        s_explorer(x, {"a": x}, x, s=50.0)
    assert isinstance(s_explorer(x, {"a": x}, x, in_page=False), SExplorer)


def test_the_twins_texts_come_through_tr_so_the_korean_edition_shows_korean(monkeypatch):
    from vae_lib import i18n

    monkeypatch.setattr(i18n, "_chosen", "ko")
    labels = InPageKLExplorer().view.labels
    assert labels["gaussian"] == i18n.tr("two Gaussians") != "two Gaussians"
    assert InPageELBOGapExplorer().view.labels["fit"] != "fit q (max ELBO)"
    monkeypatch.setattr(i18n, "_chosen", "en")
    assert InPageKLExplorer().view.labels["gaussian"] == "two Gaussians"
