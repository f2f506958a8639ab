r"""The diffusion explorer in the page: :class:`InPageDiffusionExplorer`, the twin of
:class:`~vae_lib.widgets.DiffusionExplorer`.

The network of a :class:`~vae_lib.diffusion.DiffusionModel` is small (a chain of Linear and SiLU layers, 5,506
weights for the zoo's ``diffusion-moons``), so the page runs it: ``diffusion.js`` computes every step's
:math:`x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon` (float32, as
:func:`vae_lib.diffusion.q_sample`) and :math:`\hat x_0` of every point with ``mlp.js``'s forward pass, from the
weights, the points, their seeded noise and the time embeddings of t = 0..T (``model.embed``), all float32 bytes
(about 40 kB for 1,000 points). The static axes are the Python explorer's picture (:func:`.diffusion.noise_panels`,
one PNG); the page stamps the dots onto it as the Python explorer does. Nothing per frame is precomputed.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch
import traitlets
from PIL import Image

from .. import validate
from ..i18n import tr
from .diffusion import DiffusionExplorer, diffusion_inputs, dot_size, noise_panels
from .inpage import export_networks
from .twin import TwinExplorer, TwinView, f32_bytes, module_source

__all__ = ["InPageDiffusionExplorer", "diffusion_explorer"]


class DiffusionView(TwinView):
    """The front end of :class:`InPageDiffusionExplorer` (``diffusion.js``)."""

    _esm = module_source("diffusion.js")
    picture = traitlets.Bytes().tag(sync=True)   # the static axes with the grey data (PNG), sent once


def _axes_map(ax: Any, height: int) -> dict[str, float]:
    """A panel's data -> picture-pixel map (display coordinates, y up) and its clipping box in rows and columns."""
    (x0, y0), (x1, y1) = ax.transData.transform(np.array([[0.0, 0.0], [1.0, 1.0]]))
    bx0, by0, bx1, by1 = ax.bbox.extents
    return {"ax": float(x0), "bx": float(x1 - x0), "ay": float(y0), "by": float(y1 - y0), "x0": float(bx0),
            "x1": float(bx1), "top": round(height - by1), "bottom": round(height - by0)}


class InPageDiffusionExplorer(TwinExplorer):
    """The noise-level slider over a trained diffusion model, computed in the page; arguments as
    :class:`~vae_lib.widgets.DiffusionExplorer` (``model``, ``points``, ``t``, ``seed``, ``size``).

    Attributes:
        model, x0, eps (the points' noise); view (also ``.widget``); ``controls``: ``{"t"}`` as the page shows it.
    """

    kind = "diffusion"

    def __init__(self, model: Any, points: Any, *, t: int = 10, seed: int = 0, size: Any = "notebook") -> None:
        self.use_size(size)
        self.seed = validate.seed(seed)
        self.x0, self.eps = diffusion_inputs(model, points, self.seed, DiffusionExplorer.MAX_POINTS)
        self.model, T = model.eval(), model.steps
        t = int(min(max(round(validate.number(t, "t")), 0), T))
        specs, weights = export_networks(model, ("net",))
        with torch.no_grad():
            emb = model.embed(torch.arange(T + 1))
        n_w = len(weights) // 4
        n = self.x0.shape[0]
        fig, axes, background = noise_panels(self.x0, self.style)
        import matplotlib.pyplot as plt

        plt.close(fig)
        height, width = background.shape[:2]
        buf = io.BytesIO()
        Image.fromarray(background).save(buf, format="PNG", optimize=True)   # the Python explorer's pixels
        st = self.style
        spec = {"n": n, "seed": self.seed, "steps": T, "time_dim": model.time_dim, "net": specs["net"],
                "alpha_bar": [float(a) for a in model.alpha_bar], "x0": n_w, "eps": n_w + 2 * n, "emb": n_w + 4 * n,
                "picture": [width, height], "axes": [_axes_map(a, height) for a in axes],
                "dot_radius": max(1, round(dot_size(st) * st.dpi / 72 / 2))}
        data = weights + f32_bytes(self.x0) + f32_bytes(self.eps) + f32_bytes(emb)
        self._twin(DiffusionView, spec, {"mse": tr("mean squared distance to x_0"), "noise": tr("noise std")}, {"t": t}, data,
                   picture=buf.getvalue())

    def reference(self) -> DiffusionExplorer:
        """The Python explorer at the page's step t: its ``frames`` and ``values`` are what the page computes."""
        return DiffusionExplorer(self.model, self.x0, t=self.controls["t"], seed=self.seed, size=self.style)


def diffusion_explorer(model: Any, points: Any, *, in_page: bool = True,
                       **kw: Any) -> InPageDiffusionExplorer | DiffusionExplorer:
    """The diffusion explorer a notebook shows: in the page (:class:`InPageDiffusionExplorer`, works in a saved
    page with no kernel), or with ``in_page=False`` the Python :class:`~vae_lib.widgets.DiffusionExplorer`."""
    cls = InPageDiffusionExplorer if validate.flag(in_page, "in_page") else DiffusionExplorer
    return cls(model, points, **kw)
