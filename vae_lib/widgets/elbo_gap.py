r"""ELBOGapExplorer: log p(x) = ELBO(q) + KL(q || p(z|x)) at every q, on a toy model with an exact posterior."""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as W
from scipy.stats import norm

from .. import validate
from ..i18n import tr
from ..toy import NonlinearToy1D, one_thread
from .base import Explorer, clamp
from .render import new_figure
from .svg import LiveFigure

__all__ = ["ELBOGapExplorer"]


class ELBOGapExplorer(Explorer):
    r"""Move a Gaussian q(z) and watch log p(x) = ELBO(q) + KL(q || p(z|x)) hold at every position.

    On :class:`vae_lib.toy.NonlinearToy1D` (default: p(z) = N(0, 1),
    p(x|z) = N(x; z^2 + z/2, 0.5^2)) log p(x) and the (two-bump) posterior p(z|x) are exact
    on a fine grid:

    .. math:: \log p(x) = \underbrace{\mathbb{E}_q[\log p(x, z) - \log q(z)]}_{\mathrm{ELBO}(q)}
              + \underbrace{\mathbb{E}_q[\log q(z) - \log p(z\mid x)]}_{\mathrm{KL}(q\,\|\,p(z\mid x))\ \ge 0}

    Left: p(z|x) and q. Right, a waterfall: the bar of log p(x), the bar of the ELBO, and the KL
    stacked on the ELBO's end, which always reaches log p(x) (dashed line). The button runs
    gradient ascent on the ELBO (:meth:`NonlinearToy1D.fit_q`) and moves the sliders there.

    Args:
        toy: the model (default ``NonlinearToy1D()``).
        x, mu, sigma: the starting observation and q = N(mu, sigma^2): finite numbers, clamped into the
            sliders' ranges (x in :attr:`X_RANGE`; mu and sigma where the toy's grid is accurate,
            ``|mu| <= toy.MU_MAX``, ``toy.SIGMA_MIN <= sigma <= toy.SIGMA_MAX``).
        size: ``"notebook"`` (default) or ``"large"`` (a projector: :data:`~vae_lib.widgets.render.SIZES`).

    Attributes:
        sliders: ``{"x", "mu", "sigma"}`` -> ``FloatSlider``; ``fit_button``.
        image: the curves and bars (inline SVG) and the table of numbers under them, one ``HTML`` laid over
        ``picture``, the static axes (a :class:`~vae_lib.widgets.svg.LiveFigure`: a move sends one
        message; the axes' limits change in steps, so most moves of x do not redraw them); ``text``: the
        widget with the numbers (``image``); ``values``: ``{"log_px", "elbo", "kl", "gap"}`` at the current q.
    """

    X_RANGE = (-1.0, 6.0)

    def __init__(self, toy: NonlinearToy1D | None = None, *, x: float = 1.5, mu: float = 0.0,
                 sigma: float = 1.0, size: Any = "notebook") -> None:
        self.use_size(size)
        if toy is not None and not isinstance(toy, NonlinearToy1D):
            raise TypeError(f"toy must be a vae_lib.toy.NonlinearToy1D; got {type(toy).__name__}")
        self.toy = T = toy if toy is not None else NonlinearToy1D()
        mu_range, sigma_range = (-T.MU_MAX, T.MU_MAX), (T.SIGMA_MIN, T.SIGMA_MAX)
        self.sliders = {"x": self.slider("x", x, *self.X_RANGE),
                        "mu": self.slider(tr("μ of q"), mu, *mu_range, name="mu"),
                        "sigma": self.slider(tr("σ of q"), sigma, *sigma_range, name="sigma")}
        self.fit_button = W.Button(description=tr("fit q (max ELBO)"),
                                   **({"layout": W.Layout(width="260px")} if self.style.css_font_px else {}))
        self.fit_button.on_click(lambda _: self.fit())
        self.values: dict[str, float] = {}
        st = self.style
        self._zs = T.z[::4].numpy()           # plot on every 4th grid point (3001 points)
        fig, (ax, bx) = new_figure(st.elbo_size, dpi=st.dpi, ncols=2, gridspec_kw={"width_ratios": [2.0, 1.3]})
        ax.set_xlim(-3.5, 3.5)
        ax.set_xlabel("z")
        ax.set_ylabel(tr("density"))
        (self._lpost,) = ax.plot(self._zs, self._zs * 0, color="tab:orange", lw=st.line_width, label=tr("p(z|x) exact"))
        (self._lq,) = ax.plot(self._zs, self._zs * 0, color="tab:blue", lw=st.line_width, label="q(z)")
        ax.legend(loc="upper left", fontsize=st.font_label)
        bx.set_xticks([0, 1, 2], ["log p(x)", "ELBO", "+ KL"], fontsize=st.font_label)
        bx.set_xlim(-0.6, 2.6)
        self._lpx_line = bx.axhline(0, color="0.2", lw=1, ls="--")
        bx.set_ylabel(tr("nats"))
        bx.axhline(0, color="0.5", lw=0.8)
        self._b_lpx = bx.bar([0], [0], color="0.35", width=0.6)[0]
        self._b_elbo = bx.bar([1], [0], color="tab:blue", width=0.6, label="ELBO")[0]
        self._b_kl = bx.bar([2], [0], color="tab:red", width=0.6, label="KL(q‖p(z|x))")[0]
        (self._elbo_level,) = bx.plot([1.3, 1.7], [0, 0], color="0.3", lw=1, ls=":")
        bx.legend(loc="lower right", fontsize=st.font_small)
        fig.tight_layout(pad=0.4)
        self._ax, self._bx = ax, bx
        ax.set_ylim(0, 2.0)
        bx.set_ylim(-9.0, 1.0)
        self._fig = LiveFigure(fig, [self._lpost, self._lq, self._b_lpx, self._b_elbo, self._b_kl, self._elbo_level,
                                     self._lpx_line])
        self.image, self.picture = self._fig.layer, self._fig.picture
        self.text = self.image  # the numbers travel with the curves: one message per move
        self.picture.add_class("vae-elbo-plot")
        self._x_drawn: float | None = None
        self.watch(*self.sliders.values())
        self.update()
        s = self.sliders
        gap = {"layout": W.Layout(grid_gap=f"{st.gap_px}px")} if st.css_font_px else {}
        self.widget = self.finish(W.HBox([W.VBox([s["x"], s["mu"], s["sigma"], self.fit_button]), self._fig.box],
                                         **gap))

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        return {"vae-elbo-plot": self._fig.texts}

    def _new_x(self, x: float) -> None:
        """x moved: recompute the exact posterior; rescale the axes when it outgrows them (in steps: the
        static axes are redrawn, or taken from the cache, only when a step is crossed)."""
        T = self.toy
        post = T.log_posterior(x).exp()[::4].numpy()
        self._lpost.set_ydata(post)
        lpx = T.log_marginal(x)
        top = max(2.0, math.ceil(float(post.max()) * 1.15 / 1.5) * 1.5)
        # ELBOs far below are clipped (the value is in the text)
        lo, hi = math.floor((min(lpx, 0) - 8.0) / 3) * 3, math.ceil(max(lpx, 0) + 1.0)
        if (0, top) != self._ax.get_ylim() or (lo, hi) != self._bx.get_ylim():
            self._ax.set_ylim(0, top)
            self._bx.set_ylim(lo, hi)
            self._fig.refresh()
        self._lpx_line.set_ydata([lpx, lpx])
        self._x_drawn = x

    def update(self) -> None:
        """Exact log p(x), ELBO and KL at the sliders' q; redraw q and the bars (blitted)."""
        x, mu, sigma = (float(self.sliders[k].value) for k in ("x", "mu", "sigma"))
        with one_thread():  # small tensors: one thread is faster than a pool on a busy CPU
            if self._x_drawn != x:
                self._new_x(x)
            v = self.toy.elbo_terms(x, mu, sigma)
        self.values = v
        self._lq.set_ydata(norm.pdf(self._zs, mu, sigma))
        lo = self._bx.get_ylim()[0]
        self._b_lpx.set_height(v["log_px"])
        e = max(v["elbo"], lo)  # clip at the axis bottom; the text shows the real value
        self._b_elbo.set_height(e)
        self._b_kl.set_y(e)
        self._b_kl.set_height(v["log_px"] - e)
        self._elbo_level.set_ydata([e, e])
        self._fig.update(
            "<table style='font-family:monospace'>"
            f"<tr><td>log p(x)</td><td>{v['log_px']:.4f}</td></tr>"
            f"<tr><td>ELBO</td><td>{v['elbo']:.4f}</td></tr>"
            f"<tr><td>KL(q‖p(z|x))</td><td>{v['kl']:.4f}</td></tr>"
            f"<tr><td>log p(x) − ELBO − KL</td><td>{v['gap']:.1e}</td></tr></table>"
            + self.caption_html(tr("nats")))

    def fit(self, steps: int = 150, lr: float = 0.05) -> dict[str, float]:
        """Gradient ascent on the exact ELBO from the current q; moves the sliders to the optimum (clamped)."""
        steps = validate.count(steps, "steps")
        lr = validate.number(lr, "lr", minimum=0.0, strict_min=True)
        x = float(self.sliders["x"].value)
        out = self.toy.fit_q(x, float(self.sliders["mu"].value), float(self.sliders["sigma"].value),
                             steps=steps, lr=lr)
        mu, sigma = self.sliders["mu"], self.sliders["sigma"]
        with self.holding():
            mu.value = clamp(out["mu"], mu.min, mu.max)
            sigma.value = clamp(out["sigma"], sigma.min, sigma.max)
        self.update()
        return self.values
