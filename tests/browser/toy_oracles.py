"""Oracles for the in-page twins of notebooks 00, 03, 04, 10 and 13: ``ORACLES[kind](page, root)``.

``root`` is a Playwright Locator or ElementHandle of an explorer's root element (``[data-vae-explorer="<kind>"]``) in any page
(a standalone page, an HTML copy, the site). Each oracle moves a control as a reader does (focus and arrow keys,
a click), reads the numbers the page prints (``[data-vae-value]``), and compares them with what the Python
explorer computes for the control values the page now shows (read exactly through the test hook ``root.vae``,
as printed they are rounded). A mismatch raises ``AssertionError`` naming the number; agreement returns a
one-line summary (tests/browser/site_oracles.py registers these by kind for the site test).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .oracles_models import _one
from .oracles_models import values as shown


def hook(root, call: str) -> Any:
    """``root.vae.<call>`` evaluated in the page (the twins' test hook)."""
    return root.evaluate(f"r => r.vae.{call}")


def press(page, root, control: str, key: str = "ArrowRight", times: int = 10) -> None:
    """Focus the control ``[data-vae-control=<control>]`` and press ``key`` ``times`` times."""
    _one(root, f"[data-vae-control='{control}']").focus()
    for _ in range(times):
        page.keyboard.press(key)


def agree(got: dict[str, str], want: dict[str, float], digits: int | dict[str, int], what: str) -> None:
    """Each printed number equals Python's, rounded to the printed digits (half a unit of the last digit)."""
    for name, value in want.items():
        d = digits if isinstance(digits, int) else digits[name]
        assert name in got, f"{what}: the page prints no {name} (has {sorted(got)})"
        assert abs(float(got[name]) - value) <= 0.5 * 10 ** -d + 1e-9 * abs(value), \
            f"{what}: {name} shows {got[name]}, Python computes {value:.{d + 3}f}"


def kl(page, root) -> str:
    from vae_lib.widgets import KLExplorer

    spec = hook(root, "spec()")
    press(page, root, "mu_q", "ArrowLeft", 25)
    press(page, root, "sigma_q", "ArrowRight", 15)
    c = hook(root, "controls()")
    py = KLExplorer(**c, n_mc=spec["n_mc"], seed=spec["seed"])
    agree(shown(root), {k: py.values[k] for k in ("kl_qp", "kl_pq", "kl_qp_mc", "kl_pq_mc")}, 4, f"KL at {c}")
    for direction in ("qp", "pq"):
        before = hook(root, "controls()")
        _one(root, f"button.vae-fit-{direction}").click()
        after = hook(root, "controls()")
        py = KLExplorer(**before, n_mc=spec["n_mc"], seed=spec["seed"])
        mu, sigma = py.fit(direction)
        assert abs(after["mu_q"] - mu) <= 1e-6 and abs(after["sigma_q"] - sigma) <= 1e-6, (direction, after, mu, sigma)
        agree(shown(root), {k: py.values[k] for k in ("kl_qp", "kl_pq")}, 4, f"KL after the {direction} fit")
    return f"KL ({c['mode']}): both KLs, both Monte Carlo estimates and both fits as KLExplorer computes them"


def elbo_gap(page, root) -> str:
    from vae_lib.toy import NonlinearToy1D
    from vae_lib.widgets import ELBOGapExplorer

    spec = hook(root, "spec()")
    toy = NonlinearToy1D(s=spec["s"], L=spec["L"], n=spec["n"])   # the default f(z) = z^2 + z/2
    press(page, root, "sigma", "ArrowLeft", 30)
    press(page, root, "x", "ArrowRight", 20)
    c = hook(root, "controls()")
    v = toy.elbo_terms(c["x"], c["mu"], c["sigma"])
    agree(shown(root), {k: v[k] for k in ("log_px", "elbo", "kl")}, 4, f"ELBO gap at {c}")
    _one(root, "button.vae-fit").click()
    after = hook(root, "controls()")
    py = ELBOGapExplorer(toy, **c)
    py.fit(steps=spec["fit_steps"], lr=spec["fit_lr"])
    want = (float(py.sliders["mu"].value), float(py.sliders["sigma"].value))
    assert abs(after["mu"] - want[0]) <= 1e-6 and abs(after["sigma"] - want[1]) <= 1e-6, (after, want)
    agree(shown(root), {k: py.values[k] for k in ("log_px", "elbo", "kl")}, 4, "ELBO gap after the fit")
    return f"ELBO gap at x = {c['x']:.2f}: log p(x), ELBO, KL and the fit as ELBOGapExplorer computes them"


def diffusion(page, root) -> str:
    from vae_lib import zoo
    from vae_lib.widgets import DiffusionExplorer

    spec = hook(root, "spec()")
    points = torch.tensor(hook(root, "points()"), dtype=torch.float32).reshape(-1, 2)
    press(page, root, "t", "ArrowRight", 7)
    t = hook(root, "controls()")["t"]
    py = DiffusionExplorer(zoo.load("diffusion-moons"), points, t=t, seed=spec["seed"])
    agree(shown(root), py.values, {"t": 0, "alpha_bar": 4, "noise_std": 3, "mse_xt": 3, "mse_x0hat": 3},
          f"diffusion at t = {t}")
    fr = hook(root, f"frame({t})")
    for i, key in enumerate(("xt", "x0hat")):
        d = (torch.tensor(fr[key]).reshape(-1, 2) - py.frames[t, i].double()).abs().max().item()
        assert d <= 1e-4, f"diffusion at t = {t}: the page's {key} differs from Python's by {d:.2e}"
    return f"diffusion at t = {t}: the numbers and {len(points)} points of x_t and x0_hat as DiffusionExplorer's"


def gauss_s(page, root) -> str:
    from vae_lib.widgets.gauss_s import best_s, log_lik_curve

    press(page, root, "s", "ArrowLeft", 20)
    c = hook(root, "controls()")
    a = hook(root, "arrays()")
    x, x_hat = torch.tensor(a["x"]), torch.tensor(a["hats"][c["decoder"]])
    want = {"log_lik": float(log_lik_curve(x, x_hat, [c["s"]])[0]), "s": c["s"], "best_s": best_s(x, x_hat)}
    agree(shown(root), want, {"log_lik": 1, "s": 3, "best_s": 3}, f"s explorer at {c}")
    assert math.isclose(hook(root, "values()")["log_lik"], want["log_lik"], rel_tol=1e-9)
    return f"s explorer ({c['decoder']}, s = {c['s']:.3f}): log N(x; x_hat, s^2 I) and the best s as Python's"


def digits(page, root) -> str:
    from vae_lib.data import load_mnist

    x_test, y_test = load_mnist("test")
    press(page, root, "index", "ArrowRight", 13)
    i = hook(root, "controls()")["index"]
    got = shown(root)
    assert int(got["index"]) == i and int(got["label"]) == int(y_test[i]), (got, i, int(y_test[i]))
    grey = _one(root, "canvas.vae-digit").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, k) => k % 4 === 0))")
    want = torch.round(255 * (1 - x_test[i, 0].double())).flatten()
    assert (torch.tensor(grey, dtype=torch.float64) - want).abs().max() <= 1, f"image {i}: the pixels differ"
    return f"test image {i}: its label and its 784 painted pixels as MNIST's"


ORACLES = {"kl": kl, "elbo-gap": elbo_gap, "diffusion": diffusion, "gauss-s": gauss_s, "digits": digits}
