"""ELBOGapExplorer: log p(x) = ELBO + KL(q || p(z|x)) at every position; its fit's argument checks.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import pytest
from _explorers import NAN

from vae_lib.widgets import ELBOGapExplorer


@pytest.mark.parametrize("fit, bad, error", [
    (lambda ex, v: ex.fit(steps=v), 0, ValueError),
    (lambda ex, v: ex.fit(steps=v), 2.5, TypeError),
    (lambda ex, v: ex.fit(lr=v), 0.0, ValueError),
    (lambda ex, v: ex.fit(lr=v), NAN, ValueError),
])
def test_elbo_gap_fit_checks_its_arguments(fit, bad, error):
    ex = ELBOGapExplorer()
    before = dict(ex.values)
    with pytest.raises(error):
        fit(ex, bad)
    assert ex.values == before  # nothing moved


# --------------------------------------------------------------------------- ELBOGapExplorer
def test_elbo_gap_identity_at_every_position():
    ex = ELBOGapExplorer()
    for mu, sigma in [(-2.0, 0.3), (0.0, 1.0), (0.9, 0.2), (3.5, 1.4)]:
        ex.sliders["mu"].value, ex.sliders["sigma"].value = mu, sigma
        v = ex.values
        assert abs(v["log_px"] - (v["elbo"] + v["kl"])) < 1e-6 and v["kl"] >= 0
        assert v == ex.toy.elbo_terms(1.5, mu, sigma)
    img = ex.image.value
    ex.sliders["x"].value = 3.0
    assert ex.image.value != img and ex.values["log_px"] == pytest.approx(ex.toy.log_marginal(3.0))
    ex.sliders["sigma"].value = 0.0  # clamped where the grid is accurate
    assert ex.sliders["sigma"].value == ex.toy.SIGMA_MIN
    ex.sliders["mu"].value, ex.sliders["sigma"].value = 0.5, 1.0
    start = dict(ex.values)
    after = ex.fit()
    assert after["elbo"] > start["elbo"] and after["kl"] < start["kl"]
    assert after == ex.toy.elbo_terms(3.0, ex.sliders["mu"].value, ex.sliders["sigma"].value)
    far = ELBOGapExplorer(x=99.0, mu=-10.0, sigma=5.0)  # finite values are clamped into range
    assert [far.sliders[k].value for k in ("x", "mu", "sigma")] == [6.0, -far.toy.MU_MAX, far.toy.SIGMA_MAX]
