r"""KLExplorer: two 1-D densities q and p, and KL(q||p), KL(p||q) exactly and by Monte Carlo."""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np
from scipy.stats import norm

from .. import validate
from ..i18n import tr
from ..toy import fit_gaussian_1d, gaussian_kl_1d, kl_quadrature, mixture_log_pdf
from .base import Explorer, clamp
from .render import new_figure
from .svg import LiveFigure

__all__ = ["KLExplorer", "monte_carlo_draws"]


def monte_carlo_draws(n_mc: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The explorer's fixed draws: ``n_mc`` standard normals and ``n_mc`` uniforms on [0, 1) (which bump of the
    mixture a draw of p comes from), from ``numpy.random.default_rng(seed)``; the in-page twin gets the same."""
    n_mc = validate.count(n_mc, "n_mc (Monte Carlo samples)", cap="samples")
    rng = np.random.default_rng(validate.seed(seed))
    return rng.standard_normal(n_mc), rng.random(n_mc)


class KLExplorer(Explorer):
    r"""Two 1-D densities and the two KL divergences between them.

    Mode ``"gaussian"``: q = N(mu_q, sigma_q^2), p = N(mu_p, sigma_p^2), and

    .. math:: \mathrm{KL}(q\,\|\,p) = \log\frac{\sigma_p}{\sigma_q} + \frac{\sigma_q^2 + (\mu_q-\mu_p)^2}{2\sigma_p^2} - \frac12

    in closed form (:func:`vae_lib.toy.gaussian_kl_1d`) and by Monte Carlo,
    :math:`\frac1n\sum_i \log q(z_i) - \log p(z_i)` with :math:`z_i \sim q` (the same
    ``n_mc`` standard-normal draws reused at every position, so the estimate moves smoothly);
    likewise KL(p || q). Mode ``"mixture"``: p is the two-component mixture
    ``w N(mu_p - d, sigma_p^2) + (1 - w) N(mu_p + d, sigma_p^2)``; there is no closed form, so the
    exact value comes from quadrature on a grid (the trapezoidal rule on 4,801 points of [-12, 12],
    :func:`vae_lib.toy.kl_quadrature`). The buttons fit q by minimising KL(q || p)
    (mode-seeking: q settles on one bump) or KL(p || q) (mass-covering: q matches p's mean and
    variance and spreads over both): :func:`vae_lib.toy.fit_gaussian_1d`. The math lives in :mod:`vae_lib.toy`;
    this class draws it.

    Args:
        mode: ``"gaussian"`` or ``"mixture"``.
        mu_q, sigma_q, mu_p, sigma_p, separation, weight: starting values (finite; clamped into the
            sliders' ranges :attr:`MU_RANGE`, :attr:`SIGMA_RANGE`, :attr:`SEPARATION_RANGE`, :attr:`WEIGHT_RANGE`).
        n_mc: Monte Carlo samples (an integer >= 1); seed: their seed.
        size: ``"notebook"`` (default) or ``"large"`` (a projector: :data:`~vae_lib.widgets.render.SIZES`).

    Attributes:
        sliders: ``{"mu_q", "sigma_q", "mu_p", "sigma_p", "separation", "weight"}`` -> ``FloatSlider``.
        mode: ``ToggleButtons`` (``"gaussian"`` / ``"mixture"``); ``image``: the two density curves (inline
            SVG) and the table of numbers under them, one ``HTML`` laid over ``picture``, the static axes (a
            :class:`~vae_lib.widgets.svg.LiveFigure`: a move sends one message, the curves and the numbers).
        values: the current numbers (``kl_qp``, ``kl_pq`` exact, ``kl_qp_mc``, ``kl_pq_mc``, and the grid
            values ``kl_qp_grid``, ``kl_pq_grid``).
        fit_qp, fit_pq: the two fit buttons; ``text``: the widget with the table of numbers (``image``).
    """

    SIGMA_RANGE = (0.2, 3.0)
    MU_RANGE = (-4.0, 4.0)
    SEPARATION_RANGE = (0.0, 4.0)
    WEIGHT_RANGE = (0.05, 0.95)
    GRID = (-12.0, 12.0, 4801)   # the quadrature grid: linspace(-12, 12, 4801)

    def __init__(self, *, mode: str = "gaussian", mu_q: float = 0.0, sigma_q: float = 1.0, mu_p: float = 1.0,
                 sigma_p: float = 0.8, separation: float = 2.5, weight: float = 0.5, n_mc: int = 2000,
                 seed: int = 0, size: Any = "notebook") -> None:
        self.use_size(size)
        validate.choice(mode, "mode", ("gaussian", "mixture"))
        self._eps, self._u = monte_carlo_draws(n_mc, seed)
        sl = self.slider
        self.sliders = {
            "mu_q": sl("μ_q", mu_q, *self.MU_RANGE, name="mu_q"),
            "sigma_q": sl("σ_q", sigma_q, *self.SIGMA_RANGE, name="sigma_q"),
            "mu_p": sl("μ_p", mu_p, *self.MU_RANGE, name="mu_p"),
            "sigma_p": sl("σ_p", sigma_p, *self.SIGMA_RANGE, name="sigma_p"),
            "separation": sl("separation", separation, *self.SEPARATION_RANGE),
            "weight": sl("weight", weight, *self.WEIGHT_RANGE),
        }
        self._grid = np.linspace(*self.GRID)
        st = self.style
        wide = {"layout": W.Layout(width=f"{st.slider_width // 2 - 4}px")} if st.css_font_px else {}
        self.mode = W.ToggleButtons(options=[(tr("two Gaussians"), "gaussian"), (tr("mixture target"), "mixture")],
                                    value=mode, **({"style": {"button_width": f"{st.slider_width // 2 - 8}px"}}
                                                   if st.css_font_px else {}))
        self.fit_qp = W.Button(description=tr("fit q: min KL(q‖p)"), tooltip=tr("mode-seeking"), **wide)
        self.fit_pq = W.Button(description=tr("fit q: min KL(p‖q)"), tooltip=tr("mass-covering"), **wide)
        self.fit_qp.on_click(lambda _: self.fit("qp"))
        self.fit_pq.on_click(lambda _: self.fit("pq"))
        self.values: dict[str, float] = {}
        fig, ax = new_figure(st.kl_size, dpi=st.dpi)
        ax.set_xlim(-8, 8)
        ax.set_xlabel("z")
        ax.set_ylabel(tr("density"))
        (self._lq,) = ax.plot(self._grid, self._grid * 0, color="tab:blue", lw=st.line_width, label="q")
        (self._lp,) = ax.plot(self._grid, self._grid * 0, color="tab:orange", lw=st.line_width, label="p")
        ax.legend(loc="upper right", fontsize=st.font_normal)
        fig.tight_layout(pad=0.4)
        self._ax, self._ytop = ax, 1.0
        ax.set_ylim(0, self._ytop)
        self._fig = LiveFigure(fig, [self._lq, self._lp])
        self.image, self.picture = self._fig.layer, self._fig.picture
        self.text = self.image  # the numbers travel with the curves: one message per move
        self.picture.add_class("vae-kl-plot")
        self.watch(*self.sliders.values(), self.mode)
        self.update()
        s = self.sliders
        gap = {"layout": W.Layout(grid_gap=f"{st.gap_px}px")} if st.css_font_px else {}
        self.widget = self.finish(W.VBox([self.mode, W.HBox([
            W.VBox([s["mu_q"], s["sigma_q"], s["mu_p"], s["sigma_p"], s["separation"], s["weight"],
                    W.HBox([self.fit_qp, self.fit_pq])]),
            self._fig.box], **gap)]))

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        return {"vae-kl-plot": self._fig.texts}

    def _params(self) -> dict[str, float]:
        return {k: float(s.value) for k, s in self.sliders.items()}

    def _log_p(self, z: np.ndarray, v: dict[str, float]) -> np.ndarray:
        if self.mode.value == "gaussian":
            return norm.logpdf(z, v["mu_p"], v["sigma_p"])
        return mixture_log_pdf(z, v["mu_p"], v["sigma_p"], v["separation"], v["weight"])

    def _sample_p(self, v: dict[str, float]) -> np.ndarray:
        if self.mode.value == "gaussian":
            return v["mu_p"] + v["sigma_p"] * self._eps
        shift = np.where(self._u < v["weight"], -v["separation"], v["separation"])
        return v["mu_p"] + shift + v["sigma_p"] * self._eps

    def _kls(self, v: dict[str, float]) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
        """The KLs, and q and p on the grid. log q and log p are evaluated once each, on the grid and
        both sample sets together."""
        g, n, m = self._grid, self._grid.size, self._eps.size
        pts = np.concatenate([g, v["mu_q"] + v["sigma_q"] * self._eps, self._sample_p(v)])
        lq_all, lp_all = norm.logpdf(pts, v["mu_q"], v["sigma_q"]), self._log_p(pts, v)
        lq, lp = lq_all[:n], lp_all[:n]
        q, p = np.exp(lq), np.exp(lp)
        out = {"kl_qp_grid": kl_quadrature(lq, lp, g), "kl_pq_grid": kl_quadrature(lp, lq, g),
               "kl_qp_mc": float((lq_all[n:n + m] - lp_all[n:n + m]).mean()),   # z ~ q
               "kl_pq_mc": float((lp_all[n + m:] - lq_all[n + m:]).mean())}     # z ~ p
        if self.mode.value == "gaussian":
            q_, p_ = (v["mu_q"], v["sigma_q"]), (v["mu_p"], v["sigma_p"])
            out["kl_qp"], out["kl_pq"] = gaussian_kl_1d(*q_, *p_), gaussian_kl_1d(*p_, *q_)
        else:
            out["kl_qp"], out["kl_pq"] = out["kl_qp_grid"], out["kl_pq_grid"]
        return out, q, p

    def update(self) -> None:
        """Recompute both KLs and redraw the two curves (blitted onto the static axes)."""
        v = self._params()
        mix = self.mode.value == "mixture"
        self.sliders["separation"].disabled = self.sliders["weight"].disabled = not mix
        r, q, p = self._kls(v)
        top = next(t for t in (0.6, 1.2, 2.1) if max(q.max(), p.max()) * 1.05 <= t or t == 2.1)
        if top != self._ytop:  # rescale only when the curves outgrow / shrink past a level
            self._ytop = top
            self._ax.set_ylim(0, top)
            self._fig.refresh()  # the static axes again (cached per level)
        self._lq.set_ydata(q)
        self._lp.set_ydata(p)
        self.values = r
        exact = "closed form" if not mix else "quadrature (no closed form for a mixture)"
        self._fig.update(
            "<table style='font-family:monospace'>"
            f"<tr><td></td><td>{exact}</td><td>Monte Carlo (n={self._eps.size})</td></tr>"
            f"<tr><td>KL(q‖p)</td><td>{r['kl_qp']:.4f}</td><td>{r['kl_qp_mc']:.4f}</td></tr>"
            f"<tr><td>KL(p‖q)</td><td>{r['kl_pq']:.4f}</td><td>{r['kl_pq_mc']:.4f}</td></tr></table>"
            + self.caption_html(tr("nats; KL is not symmetric")))

    def fit(self, direction: str) -> tuple[float, float]:
        """Set q to the Gaussian minimising ``"qp"``: KL(q||p) or ``"pq"``: KL(p||q); returns (mu_q, sigma_q).

        KL(p||q) is minimised by moment matching (q gets p's mean and variance, by quadrature);
        KL(q||p) by a numerical search (Nelder--Mead) on the grid, started from the current q
        (:func:`vae_lib.toy.fit_gaussian_1d`). The result is clamped into the sliders' ranges.
        """
        if direction not in ("qp", "pq"):
            raise ValueError(f"direction must be 'qp' (KL(q||p)) or 'pq' (KL(p||q)); got {direction!r}")
        v = self._params()
        mu, sigma = fit_gaussian_1d(self._log_p(self._grid, v), self._grid, direction, (v["mu_q"], v["sigma_q"]))
        with self.holding():
            self.sliders["mu_q"].value = clamp(mu, *self.MU_RANGE)
            self.sliders["sigma_q"].value = clamp(sigma, *self.SIGMA_RANGE)
        self.update()
        return float(self.sliders["mu_q"].value), float(self.sliders["sigma_q"].value)
