r"""The beta explorer in the page: :class:`InPageBetaExplorer`, the twin of :class:`~vae_lib.widgets.BetaExplorer`.

Every picture of the beta explorer is static per model (the scatter of test codes, the reconstructions of fixed
test digits, the decoded prior draws, the rate--distortion curve): the Python explorer (the reference, still used by
the lecture app) sends them once and a slider move switches which set is shown. The twin does the same in
JavaScript (``beta.js``): Python draws each model's panels with the reference's own code (:class:`.beta.BetaGrid`)
and sends them once, as PNG bytes in one buffer; the page's slider picks a model, shows its pictures, moves the ring
on the rate--distortion curve (an SVG circle at the model's point, placed by the figure's affine map) and prints its
numbers (``data-vae-value``: ``beta``, ``rate`` = KL(q(z|x) || p(z)), ``distortion`` = -E_q[log p(x|z)] and
``neg_elbo``, their sum, in nats per example). Nothing is decoded in the page, so nothing can drift from Python:
what can drift, the numbers and which picture belongs to which beta, is what the tests check.
:func:`beta_explorer` returns the twin (``in_page=False``: the Python explorer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets

from .. import validate
from ..i18n import tr
from .base import Explorer
from .beta import BetaExplorer, BetaGrid, _fmt_beta
from .inpage import HERE, InPageExplorer, css_sizes, esm_source, map_transform
from .inpage_interpolation import zoo_name

__all__ = ["InPageBetaExplorer", "beta_explorer"]

PANELS = ("scatter", "reconstructions", "samples")


def _finite(v: float) -> float | None:
    """A number for the page's JSON (None: not measured, shown as a dash)."""
    return float(v) if math.isfinite(v) else None


class BetaView(anywidget.AnyWidget):
    """The front end of :class:`InPageBetaExplorer` (``beta.js`` after ``mlp.js``)."""

    _esm = esm_source("beta.js")
    _css = (HERE / "inpage.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # the betas, their numbers, the pictures' places in `pictures`
    labels = traitlets.Dict().tag(sync=True)     # the page's words (vae_lib.i18n)
    pictures = traitlets.Bytes().tag(sync=True)  # every PNG, one after the other, sent once
    beta = traitlets.Float(1.0).tag(sync=True)   # the page's beta (sent back after each move)

    def __repr__(self) -> str:  # a notebook cell that ends with the explorer prints no memory address
        return f"BetaView({len(self.spec.get('options', []))} betas, beta = {self.beta:g})"


class InPageBetaExplorer(BetaGrid, InPageExplorer):
    """A beta slider over a grid of beta-VAEs; the page switches the pictures and prints the numbers.

    Args: as :class:`~vae_lib.widgets.BetaExplorer` (``precompute`` is always on: the page needs every picture).

    Attributes:
        view (also ``.widget``): the anywidget; ``betas``, ``models``, ``rd``, ``z_samples``: as the reference;
        ``beta``: the page's beta (:meth:`set_beta`); ``model``: its model; ``images``: ``{panel: PNG bytes}``
        shown for it (``scatter``, ``reconstructions``, ``samples``).
    """

    background = None

    def __init__(self, models: Mapping[float, Any] | None = None, *, latent_dim: int = 2, dataset: Any = None,
                 metrics: Mapping[float, tuple[float, float]] | None = None, n_points: int = 3000,
                 n_eval: int = 1000, n_digits: int = 8, n_samples: int = 8, scale: int | None = None,
                 size: Any = "notebook") -> None:
        self._setup(models, latent_dim=latent_dim, dataset=dataset, metrics=metrics, n_points=n_points,
                    n_eval=n_eval, n_digits=n_digits, n_samples=n_samples, scale=scale, size=size)
        chunks: list[bytes] = []
        offset = 0

        def put(png: bytes) -> list[int]:
            nonlocal offset
            chunks.append(png)
            offset += len(png)
            return [offset - len(png), len(png)]

        rd_bg = self._draw_rd()
        rd_place = put(rd_bg.plain)
        options = []
        for b in self.betas:
            p = self._panels(b)
            r, d = self.rd[b]
            options.append({"beta": b, "text": _fmt_beta(b), "rate": _finite(r), "distortion": _finite(d),
                            "zoo": zoo_name(self.models[b]),
                            **{k: put(p[k]) for k in PANELS}})
        self._texts = [t for b in self.betas for t in self._cache[b]["texts"]]
        self._rd_texts = rd_bg.texts
        start = 1.0 if 1.0 in self.models else self.betas[len(self.betas) // 2]
        st = self.style
        spec = {"title": tr("β-VAEs of one architecture: move β to switch model (its pictures were drawn by Python, "
                            "once)"),
                "options": options, "rd": {"place": rd_place, **map_transform(rd_bg)}, "scale": self.scale,
                "marker_radius": st.marker_radius, "latent_dim": self.latent_dim, **css_sizes(st)}
        labels = {"beta": tr("beta"), "rate": tr("rate KL"), "distortion": tr("distortion"), "neg_elbo": "−ELBO",
                  "nats": tr("nats per example"),
                  "reconstructions": tr("test digits (top) and reconstructions (bottom)"),
                  "samples": tr("samples z ~ N(0, I) (the same z for every beta)")}
        self._show(BetaView(spec=spec, labels=labels, pictures=b"".join(chunks), beta=start))
        self.view.add_class("vae-beta-inpage")

    @property
    def beta(self) -> float:
        """The beta the page shows."""
        return float(self.view.beta)

    @property
    def model(self):
        return self.models[self.beta]

    def set_beta(self, beta: float) -> None:
        """Show the model of ``beta`` (one of :attr:`betas`); the page follows."""
        beta = validate.number(beta, "beta")
        if beta not in self.models:
            raise ValueError(f"beta must be one of the grid's betas {[_fmt_beta(b) for b in self.betas]}; got {beta:g}")
        self.view.beta = beta

    @property
    def images(self) -> dict[str, bytes]:
        """The PNG bytes the page shows for the current beta: ``scatter``, ``reconstructions``, ``samples``."""
        p = self._panels(self.beta)
        return {k: p[k] for k in PANELS}

    def numbers(self, beta: float | None = None) -> dict[str, float]:
        """What the page prints for ``beta`` (default: the current one): rate, distortion, neg_elbo (nats)."""
        r, d = self.rd[self.beta if beta is None else beta]
        return {"beta": self.beta if beta is None else beta, "rate": r, "distortion": d, "neg_elbo": r + d}

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        return {"vae-beta-scatter": sorted(self._texts, key=lambda t: t[1]), "vae-beta-rate-distortion": self._rd_texts}


def beta_explorer(models: Mapping[float, Any] | None = None, *, in_page: bool = True, **kw: Any) -> Explorer:
    """The in-page :class:`InPageBetaExplorer` (every model's pictures are static, so any grid runs in the page), or
    the Python :class:`~vae_lib.widgets.BetaExplorer` with ``in_page=False``."""
    if validate.flag(in_page, "in_page"):
        kw.pop("precompute", None)
        return InPageBetaExplorer(models, **kw)
    return BetaExplorer(models, **kw)
