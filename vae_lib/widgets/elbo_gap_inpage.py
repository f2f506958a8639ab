r"""The ELBO-gap explorer in the page: :class:`InPageELBOGapExplorer`, the twin of
:class:`~vae_lib.widgets.ELBOGapExplorer`.

``elbo_gap.js`` computes on the toy's own grid (:class:`vae_lib.toy.NonlinearToy1D`: 12,001 points, trapezoidal
weights) what :meth:`NonlinearToy1D.elbo_terms` computes: log p(x), the ELBO and KL(q || p(z|x)) of q = N(mu,
sigma^2), and the exact posterior p(z|x) drawn under q. The decoder's mean f is any Python function, so it travels
as its values on the grid (float64 bytes, 96 kB). The fit button runs :meth:`NonlinearToy1D.fit_q`'s ascent in the
page: torch's Adam step for step on the exact gradient of the grid ELBO (written out in ``elbo_gap.js``); nothing
is precomputed. :meth:`InPageELBOGapExplorer.reference` is the Python explorer at the page's controls.
"""

from __future__ import annotations

from typing import Any

from .. import validate
from ..i18n import tr
from ..toy import NonlinearToy1D
from .base import clamp, finite
from .elbo_gap import ELBOGapExplorer
from .twin import TwinExplorer, TwinView, f64_bytes, module_source

__all__ = ["InPageELBOGapExplorer", "elbo_gap_explorer"]


class ELBOGapView(TwinView):
    """The front end of :class:`InPageELBOGapExplorer` (``elbo_gap.js``)."""

    _esm = module_source("elbo_gap.js")


class InPageELBOGapExplorer(TwinExplorer):
    """log p(x) = ELBO(q) + KL(q || p(z|x)) at every q, computed in the page; arguments as
    :class:`~vae_lib.widgets.ELBOGapExplorer` (``toy``, ``x``, ``mu``, ``sigma``, ``size``).

    Attributes:
        toy; view (also ``.widget``); ``controls``: ``{"x", "mu", "sigma"}`` as the page shows them.
    """

    kind = "elbo-gap"
    FIT_STEPS, FIT_LR = 150, 0.05   # ELBOGapExplorer.fit's defaults

    def __init__(self, toy: NonlinearToy1D | None = None, *, x: float = 1.5, mu: float = 0.0, sigma: float = 1.0,
                 size: Any = "notebook") -> None:
        self.use_size(size)
        if toy is not None and not isinstance(toy, NonlinearToy1D):
            raise TypeError(f"toy must be a vae_lib.toy.NonlinearToy1D; got {type(toy).__name__}")
        self.toy = T = toy if toy is not None else NonlinearToy1D()
        ranges = {"x": ELBOGapExplorer.X_RANGE, "mu": (-T.MU_MAX, T.MU_MAX), "sigma": (T.SIGMA_MIN, T.SIGMA_MAX)}
        controls = {k: clamp(finite(v, k, *ranges[k]), *ranges[k]) for k, v in (("x", x), ("mu", mu), ("sigma", sigma))}
        st = self.style
        spec = {"n": int(T.z.numel()), "L": float(T.z[-1]), "s": T.s, "mu_max": T.MU_MAX, "sigma_min": T.SIGMA_MIN,
                "sigma_max": T.SIGMA_MAX, "x_range": list(ELBOGapExplorer.X_RANGE), "fit_steps": self.FIT_STEPS,
                "fit_lr": self.FIT_LR, "plot": [round(st.elbo_size[0] * st.dpi), round(st.elbo_size[1] * st.dpi)]}
        labels = {"title": tr("ELBO gap"), "mu": tr("μ of q"), "sigma": tr("σ of q"), "fit": tr("fit q (max ELBO)"),
                  "density": tr("density"), "nats": tr("nats"), "posterior": tr("p(z|x) exact"), "caption": tr("nats")}
        self._twin(ELBOGapView, spec, labels, controls, f64_bytes(T.f(T.z).numpy()))

    def reference(self) -> ELBOGapExplorer:
        """The Python explorer at the page's current controls: its ``values`` are the numbers the page shows."""
        c = self.controls
        return ELBOGapExplorer(self.toy, x=c["x"], mu=c["mu"], sigma=c["sigma"], size=self.style)


def elbo_gap_explorer(toy: NonlinearToy1D | None = None, *, in_page: bool = True,
                      **kw: Any) -> InPageELBOGapExplorer | ELBOGapExplorer:
    """The ELBO-gap explorer a notebook shows: in the page (:class:`InPageELBOGapExplorer`, works in a saved page
    with no kernel), or with ``in_page=False`` the Python :class:`~vae_lib.widgets.ELBOGapExplorer`."""
    cls = InPageELBOGapExplorer if validate.flag(in_page, "in_page") else ELBOGapExplorer
    return cls(toy, **kw)
