r"""The KL explorer in the page: :class:`InPageKLExplorer`, the twin of :class:`~vae_lib.widgets.KLExplorer`.

``kl.js`` computes in the page what :class:`~vae_lib.widgets.KLExplorer` computes in the kernel, with the same
inputs: the closed form of KL between two Gaussians, the trapezoidal rule on the same grid for the mixture, and
the Monte Carlo estimates with the explorer's own draws (:func:`~vae_lib.widgets.kl.monte_carlo_draws`: numpy's
generator cannot run in the page, so its ``n_mc`` normals and uniforms travel as float64 bytes, 32 kB for the
default 2,000). The fit buttons run the same algorithms as :func:`vae_lib.toy.fit_gaussian_1d`: moment matching
by quadrature for KL(p || q), and for KL(q || p) scipy's Nelder--Mead, ported step for step (``nelderMead`` in
``gauss.js``: the same initial simplex, moves and stopping rule), from the current q. No fit is precomputed.
:meth:`InPageKLExplorer.reference` builds the Python explorer at the page's controls (the numbers it shows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import validate
from ..i18n import tr
from .base import clamp, finite
from .kl import KLExplorer, monte_carlo_draws
from .twin import TwinExplorer, TwinView, f64_bytes, module_source

__all__ = ["InPageKLExplorer", "kl_explorer"]


class KLView(TwinView):
    """The front end of :class:`InPageKLExplorer` (``kl.js``)."""

    _esm = module_source("kl.js")


class InPageKLExplorer(TwinExplorer):
    """Two 1-D densities and both KL divergences, computed in the page; arguments as
    :class:`~vae_lib.widgets.KLExplorer` (``mode``, the six starting values, ``n_mc``, ``seed``, ``size``).

    Attributes:
        view (also ``.widget``): the anywidget; ``controls``: ``{"mode", "mu_q", "sigma_q", "mu_p", "sigma_p",
        "separation", "weight"}`` as the page shows them.
    """

    kind = "kl"
    NAMES = ("mu_q", "sigma_q", "mu_p", "sigma_p", "separation", "weight")

    def __init__(self, *, mode: str = "gaussian", mu_q: float = 0.0, sigma_q: float = 1.0, mu_p: float = 1.0,
                 sigma_p: float = 0.8, separation: float = 2.5, weight: float = 0.5, n_mc: int = 2000,
                 seed: int = 0, size: Any = "notebook") -> None:
        self.use_size(size)
        validate.choice(mode, "mode", ("gaussian", "mixture"))
        self.n_mc, self.seed = validate.count(n_mc, "n_mc (Monte Carlo samples)", cap="samples"), validate.seed(seed)
        eps, u = monte_carlo_draws(self.n_mc, self.seed)
        K = KLExplorer
        ranges = {"mu": K.MU_RANGE, "sigma": K.SIGMA_RANGE, "separation": K.SEPARATION_RANGE, "weight": K.WEIGHT_RANGE}
        of = {"mu_q": "mu", "sigma_q": "sigma", "mu_p": "mu", "sigma_p": "sigma", "separation": "separation",
              "weight": "weight"}
        start = dict(zip(self.NAMES, (mu_q, sigma_q, mu_p, sigma_p, separation, weight)))
        controls = {"mode": mode, **{k: clamp(finite(v, k, *ranges[of[k]]), *ranges[of[k]]) for k, v in start.items()}}
        st = self.style
        spec = {"n_mc": self.n_mc, "seed": self.seed, "grid": list(K.GRID), "ranges": ranges,
                "plot": [round(st.kl_size[0] * st.dpi), round(st.kl_size[1] * st.dpi)]}
        labels = {"title": tr("KL divergence"), "gaussian": tr("two Gaussians"), "mixture": tr("mixture target"),
                  "fit_qp": tr("fit q: min KL(q‖p)"), "fit_pq": tr("fit q: min KL(p‖q)"),
                  "mode_seeking": tr("mode-seeking"), "mass_covering": tr("mass-covering"), "density": tr("density"),
                  "mu_q": "μ_q", "sigma_q": "σ_q", "mu_p": "μ_p", "sigma_p": "σ_p", "separation": tr("separation"),
                  "weight": tr("weight"), "closed_form": tr("closed form"),
                  "quadrature": tr("quadrature (no closed form for a mixture)"), "monte_carlo": tr("Monte Carlo"),
                  "caption": tr("nats; KL is not symmetric")}
        self._twin(KLView, spec, labels, controls, f64_bytes(np.concatenate([eps, u])))

    def reference(self) -> KLExplorer:
        """The Python explorer at the page's current controls: its ``values`` are the numbers the page shows."""
        c = self.controls
        return KLExplorer(**{k: c[k] for k in ("mode", *self.NAMES)}, n_mc=self.n_mc, seed=self.seed,
                          size=self.style)


def kl_explorer(*, in_page: bool = True, **kw: Any) -> InPageKLExplorer | KLExplorer:
    """The KL explorer a notebook shows: in the page (:class:`InPageKLExplorer`, works in a saved page with no
    kernel), or with ``in_page=False`` the Python :class:`~vae_lib.widgets.KLExplorer`."""
    return InPageKLExplorer(**kw) if validate.flag(in_page, "in_page") else KLExplorer(**kw)
