"""KLExplorer: closed form and Monte Carlo KLs, the mixture's mode-seeking and mass-covering fits.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import math

import pytest

from vae_lib.widgets import KLExplorer


# --------------------------------------------------------------------------- KLExplorer
def _kl_gauss(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2)), the closed form of the docstring."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def test_kl_closed_form_and_monte_carlo():
    ex = KLExplorer(mu_q=0.3, sigma_q=0.7, mu_p=-0.5, sigma_p=1.2)
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(0.3, 0.7, -0.5, 1.2), rel_tol=1e-9)
    assert math.isclose(ex.values["kl_pq"], _kl_gauss(-0.5, 1.2, 0.3, 0.7), rel_tol=1e-9)
    assert abs(ex.values["kl_qp_mc"] - ex.values["kl_qp"]) < 0.1
    assert abs(ex.values["kl_pq_mc"] - ex.values["kl_pq"]) < 0.15
    assert abs(ex.values["kl_pq_grid"] - ex.values["kl_pq"]) < 1e-6
    assert abs(ex.values["kl_qp_grid"] - ex.values["kl_qp"]) < 1e-6
    assert f"{ex.values['kl_qp']:.4f}" in ex.text.value and "closed form" in ex.text.value
    assert ex.sliders["separation"].disabled and ex.sliders["weight"].disabled  # mixture only
    img = ex.image.value
    ex.sliders["mu_q"].value = 2.0
    assert ex.image.value != img and math.isclose(ex.values["kl_qp"], _kl_gauss(2.0, 0.7, -0.5, 1.2), rel_tol=1e-9)
    ex.sliders["sigma_q"].value = 0.0  # clamped to the slider's minimum
    assert ex.sliders["sigma_q"].value == ex.SIGMA_RANGE[0]
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(2.0, 0.2, -0.5, 1.2), rel_tol=1e-9)
    same = KLExplorer(mu_q=1.0, sigma_q=0.8, mu_p=1.0, sigma_p=0.8)
    assert abs(same.values["kl_qp"]) < 1e-12 and abs(same.values["kl_qp_mc"]) < 1e-12
    small = KLExplorer(n_mc=1, mu_q=10.0)  # one Monte Carlo sample is allowed; mu_q clamped to 4
    assert small.sliders["mu_q"].value == 4.0 and "n=1" in small.text.value


def test_kl_mixture_mode_seeking_vs_mass_covering():
    ex = KLExplorer(mode="mixture", mu_q=0.3, sigma_q=1.0, mu_p=0.0, sigma_p=0.6, separation=2.5)
    assert not ex.sliders["separation"].disabled and "quadrature" in ex.text.value
    assert ex.values["kl_qp"] == ex.values["kl_qp_grid"] and abs(ex.values["kl_qp_mc"] - ex.values["kl_qp"]) < 0.1
    mu, sigma = ex.fit("qp")  # mode-seeking: one bump
    assert abs(abs(mu) - 2.5) < 0.2 and sigma < 0.8
    assert (ex.sliders["mu_q"].value, ex.sliders["sigma_q"].value) == (mu, sigma)
    mu, sigma = ex.fit("pq")  # mass-covering: p's mean and variance
    assert abs(mu) < 0.05 and abs(sigma - math.sqrt(0.6**2 + 2.5**2)) < 0.02
    with pytest.raises(ValueError, match="direction"):
        ex.fit("both")
    ex.mode.value = "gaussian"  # back to the closed form
    assert ex.sliders["separation"].disabled
    assert math.isclose(ex.values["kl_qp"], _kl_gauss(mu, sigma, 0.0, 0.6), rel_tol=1e-9)
