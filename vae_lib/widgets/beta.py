r"""BetaExplorer: a beta slider over a grid of beta-VAEs (the zoo's :func:`vae_lib.zoo.beta_grid` by default)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np
import torch

from .. import validate
from ..i18n import tr
from ..metrics import rate_distortion
from ..models import LatentModel
from .base import Explorer, has_elbo, has_prior, resolve_dataset, resolve_model
from .render import Overlay, PaletteBackground, image_widget, new_figure, render_png, scatter_background

__all__ = ["BetaExplorer"]


def _fmt_beta(b: float) -> str:
    return f"{b:g}"


class BetaGrid:
    """What the Python explorer and its in-page twin (:mod:`.inpage_beta`) share: the checked grid of models, the
    rate--distortion numbers, the fixed test digits and prior draws, and each model's panels (PNG bytes)."""

    def _setup(self, models: Mapping[float, Any] | None, *, latent_dim: int, dataset: Any,
               metrics: Mapping[float, tuple[float, float]] | None, n_points: int, n_eval: int, n_digits: int,
               n_samples: int, scale: int | None, size: Any) -> None:
        self.use_size(size)
        n_points, n_eval = validate.count(n_points, "n_points"), validate.count(n_eval, "n_eval")
        n_digits = validate.count(n_digits, "n_digits", cap="grid")
        n_samples = validate.count(n_samples, "n_samples", cap="grid")
        self.scale = validate.count(scale if scale is not None else self.style.thumb_scale, "scale", cap="scale")
        metrics = self._check_metrics(metrics)
        grid = self._resolve_models(models, latent_dim)
        self.betas = sorted(grid)
        self.models: dict[float, LatentModel] = {b: grid[b].eval() for b in self.betas}
        dims = {m.latent_dim for m in self.models.values()}
        if len(dims) != 1:
            raise ValueError(f"all models of the beta grid need the same latent size; got {sorted(dims)}")
        self.latent_dim = dims.pop()
        self._data = data = resolve_dataset(dataset, self.models[self.betas[0]])
        self._digits = None
        if data is not None:
            imgs, labels = data
            idx = [int((labels == c).nonzero()[0]) for c in labels.unique().tolist()][:n_digits]
            self._digits = imgs[idx]
            self._scatter_x, self._scatter_y = imgs[:n_points], labels[:n_points]
        self.z_samples = torch.randn(n_samples, self.latent_dim, generator=torch.Generator().manual_seed(0))
        self.rd = self._rate_distortion(metrics, n_eval)
        self._cache: dict[float, dict[str, Any]] = {}

    @staticmethod
    def _resolve_models(models: Any, latent_dim: int) -> dict[float, LatentModel]:
        if models is None:
            from .. import zoo

            latent_dim = validate.count(latent_dim, "latent_dim")
            models = zoo.beta_grid(latent_dim)
            if len(models) < 2:
                raise ValueError(f"BetaExplorer needs at least two built models of the zoo's beta-{latent_dim}d grid; "
                                 f"found {len(models)}. Build them with `python -m vae_lib.zoo build "
                                 f"'vae-{latent_dim}d-beta-*'` or pass {{beta: model}}.")
        if not isinstance(models, Mapping):
            raise TypeError(f"models must be a mapping {{beta: model or zoo name}} (e.g. vae_lib.zoo.beta_grid(2)) "
                            f"or None for the zoo's grid; got {type(models).__name__}")
        out: dict[float, LatentModel] = {}
        for b, m in models.items():
            beta = validate.number(b, "every beta (a key of models)", minimum=0.0)
            if beta in out:
                raise ValueError(f"two models have beta = {_fmt_beta(beta)}; a beta grid needs one model per beta")
            m = out[beta] = resolve_model(m, who=f"the model for beta={_fmt_beta(beta)}")
            if not has_elbo(m) or m.is_conditional:
                what = ("no prior, no KL, no beta" if not has_prior(m) else
                        "a prior but no KL term per example, so no beta" if not has_elbo(m) else
                        "a conditional model: its decoder needs labels")
                raise TypeError(f"BetaExplorer needs unconditional VAEs (vae_lib.models.VAE) trained with different "
                                f"betas; the model for beta={_fmt_beta(beta)} is a {type(m).__name__} ({what}). "
                                "Use vae_lib.zoo.beta_grid(latent_dim) or pass {beta: VAE}.")
        if not out:
            raise ValueError("BetaExplorer needs at least one model")
        return out

    @staticmethod
    def _check_metrics(metrics: Any) -> dict[float, tuple[float, float]] | None:
        if metrics is None:
            return None
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics must be a mapping {{beta: (rate, distortion)}}; got {type(metrics).__name__}")
        out = {}
        for b, v in metrics.items():
            if not (isinstance(v, (tuple, list)) and len(v) == 2):
                raise ValueError(f"metrics[{b!r}] must be a pair (rate, distortion) in nats; got {v!r}")
            out[validate.number(b, "every beta (a key of metrics)", minimum=0.0)] = (
                validate.number(v[0], f"the rate of metrics[{b!r}]", minimum=0.0),
                validate.number(v[1], f"the distortion of metrics[{b!r}]"))
        return out

    def _rate_distortion(self, metrics: dict[float, tuple[float, float]] | None,
                         n_eval: int) -> dict[float, tuple[float, float]]:
        return rate_distortion(self.models, None if self._data is None else self._data[0], metrics=metrics,
                               n_eval=n_eval, seed=0)

    def _draw_rd(self) -> PaletteBackground:
        st = self.style
        fig, ax = new_figure(st.scatter_size, dpi=st.dpi)
        pts = np.array([self.rd[b] for b in self.betas])
        ax.plot(pts[:, 0], pts[:, 1], "-o", color="0.4", markersize=4)
        for b, (r, d) in zip(self.betas, pts):
            if math.isfinite(r):
                ax.annotate(f"β={_fmt_beta(b)}", (r, d), textcoords="offset points", xytext=(5, 3),
                            fontsize=st.font_small)
        ax.set_xlabel(tr("rate  KL(q(z|x) || p(z))  [nats]"))
        ax.set_ylabel(tr("distortion  -E_q[log p(x|z)]  [nats]"))
        ax.set_title(tr("rate-distortion (test set)"), fontsize=st.font_normal)
        fin = pts[np.isfinite(pts).all(1)]
        if len(fin):
            lo, hi = fin.min(0), fin.max(0)
            pad = np.maximum((hi - lo) * 0.12, 1.0)
            ax.set_xlim(lo[0] - pad[0], hi[0] + 2.5 * pad[0])
            ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        fig.tight_layout(pad=0.4)
        return PaletteBackground(fig, ax)

    def _panels(self, b: float) -> dict[str, Any]:
        """The pictures of one model, drawn on its first visit and cached (they never change)."""
        hit = self._cache.get(b)
        if hit is not None:
            return hit
        m = self.models[b]
        blank = render_png(torch.zeros(1, 28, 28), scale=1)
        out: dict[str, Any] = {"reconstructions": blank, "scatter": blank, "texts": []}
        with torch.inference_mode():
            out["samples"] = render_png(m.decode_mean(self.z_samples), scale=self.scale,
                                        nrow=(self.z_samples.shape[0] + 1) // 2)
            if self._digits is not None:
                rec = m.decode_mean(m.posterior_mean(self._digits))
                out["reconstructions"] = render_png(torch.cat([self._digits, rec]), scale=self.scale,
                                                    nrow=self._digits.shape[0])
        if self._digits is not None:
            codes = m.posterior_mean(self._scatter_x)
            dims = codes.var(0).argsort(descending=True)[:2].tolist() if self.latent_dim > 2 else [0, 1]
            c = codes[:, dims]
            lim = max(3.0, float(c.abs().quantile(0.995)) * 1.05)
            bg = scatter_background(c, self._scatter_y, [(-lim, lim), (-lim, lim)], tr("test codes, β={beta}").format(beta=_fmt_beta(b)),
                                    self.style, f"$z_{{{dims[0] + 1}}}$", f"$z_{{{dims[1] + 1}}}$")
            out["scatter"], out["texts"] = bg.plain, bg.texts
        r, d = self.rd[b]
        out["rd_point"] = (r, d)
        out["info"] = (f"β = {_fmt_beta(b)}: rate KL = {r:.2f} nats, distortion = {d:.2f} nats, "
                       f"-ELBO = {r + d:.2f} nats per example")
        self._cache[b] = out
        return out


class BetaExplorer(BetaGrid, Explorer):
    r"""A beta slider over a grid of beta-VAEs (same architecture, different beta).

    Objective of each model: :math:`\mathbb{E}_q[\log p(x\mid z)] - \beta\,\mathrm{KL}(q(z\mid x)\,\|\,p(z))`.
    Moving the slider swaps four panels: the latent scatter of test images (2-D models; for
    K > 2 the two dimensions whose means vary most), reconstructions of fixed test digits,
    samples from the prior (the same z for every beta), and the rate (KL) and distortion
    (-reconstruction term) of the current model on the rate--distortion curve of the grid.

    Every model's panels are sent to the browser once (hidden images, one set per beta); a slider
    move only changes which set is shown: one CSS class of the root (``vae-show-<i>``, a few bytes).

    Args:
        models: ``{beta: model or zoo name}`` of unconditional VAEs with one latent size; ``None``:
            the zoo's grid, ``vae_lib.zoo.beta_grid(latent_dim)`` (the built ``vae-{latent_dim}d-beta-*``).
        latent_dim: the zoo grid to load when ``models`` is ``None`` (2 or 10).
        dataset: test images, as for :class:`~vae_lib.widgets.LatentExplorer`.
        metrics: ``{beta: (rate, distortion)}`` in nats. The numbers of a model come from ``metrics`` when
            it names its beta, else from its manifest entry's test metrics (``model.zoo_info["metrics"]["test"]``:
            rate = ``kl``, distortion = ``-rec``) when it has them, else they are
            evaluated on ``n_eval`` binarized test images (:func:`vae_lib.metrics.rate_distortion`).
        n_points: test images in each scatter; ``n_digits``: test digits reconstructed (the first of each
            class); ``n_samples``: prior samples (integers >= 1).
        precompute: draw every model's panels now (about 0.3 s per model; then every move is
            instant); ``False``: each model's panels are drawn on its first visit and cached.
        scale: screen pixels per image pixel of the panels (default ``style.thumb_scale``: 2, or 3 at
            ``size="large"``).
        size: ``"notebook"`` (default) or ``"large"`` (a projector: :data:`~vae_lib.widgets.render.SIZES`).

    Attributes:
        beta_slider: a ``SelectionSlider`` over the grid's betas (equal steps: log-like spacing).
        images: ``{"scatter", "reconstructions", "samples", "rate_distortion"}`` -> ``ipywidgets.Image``
            shown for the current beta (the rate--distortion curve is static: ``rd_marker``, the ring laid
            over it at the current model's point, is the current beta's); ``panels``: ``{beta: {name: widget}}``
            of every beta drawn so far (``scatter``, ``reconstructions``, ``samples``, ``info``, ``rd_marker``).
        betas: the sorted betas; ``models``: ``{beta: model}``; ``model``: the current model.
        rd: ``{beta: (rate, distortion)}`` in nats per example.
        z_samples: the fixed prior draws ``[n_samples, K]`` decoded by every model (``samples`` panel:
            ``render_png(model.decode_mean(z_samples), scale=scale, nrow=ceil(n_samples / 2))``).
        info: the ``HTML`` line with the current beta's numbers.
    """

    #: the classes of each panel's image, for pages that look for them (tests, benchmarks)
    PANEL_CLASSES = {"scatter": "vae-beta-scatter", "reconstructions": "vae-beta-reconstructions",
                     "samples": "vae-beta-samples", "info": "vae-beta-info"}

    def __init__(self, models: Mapping[float, Any] | None = None, *, latent_dim: int = 2, dataset: Any = None,
                 metrics: Mapping[float, tuple[float, float]] | None = None, n_points: int = 3000,
                 n_eval: int = 1000, n_digits: int = 8, n_samples: int = 8, precompute: bool = True,
                 scale: int | None = None, size: Any = "notebook") -> None:
        precompute = validate.flag(precompute, "precompute")
        self._setup(models, latent_dim=latent_dim, dataset=dataset, metrics=metrics, n_points=n_points, n_eval=n_eval,
                    n_digits=n_digits, n_samples=n_samples, scale=scale, size=size)
        self.panels: dict[float, dict[str, W.Widget]] = {}
        st = self.style
        self.beta_slider = W.SelectionSlider(options=[(_fmt_beta(b), b) for b in self.betas],
                                             value=1.0 if 1.0 in self.models else self.betas[len(self.betas) // 2],
                                             description=tr("beta"), continuous_update=True,
                                             layout=W.Layout(width=f"{st.wide_slider_width}px"),
                                             **self.description_style())
        self._rd = Overlay(self._draw_rd(), st.marker_radius)
        self._rd.marker.layout.visibility = "hidden"  # each beta has its own ring (self.panels[b]["rd_marker"])
        self._rd.picture.add_class("vae-beta-rate-distortion")
        # one row (or column) per kind of panel; each beta's widgets are appended once, then shown by class
        gap = f"{st.gap_px}px"
        self._rows = {"info": W.HBox([self.beta_slider], layout=W.Layout(grid_gap=gap, align_items="center")),
                      "scatter": W.HBox([]), "reconstructions": W.VBox([W.HTML(self.caption_html(
                          tr("test digits (top) and reconstructions (bottom)")))]),
                      "samples": W.VBox([W.HTML(self.caption_html(tr("samples z ~ N(0, I) (the same z for every beta)")))])}
        if st.css_font_px:  # a projector: the four panels in one row
            body = W.HBox([self._rows["scatter"], self._rd.box,
                           W.VBox([self._rows["reconstructions"], self._rows["samples"]], layout=W.Layout(grid_gap="8px"))],
                          layout=W.Layout(grid_gap=gap, align_items="flex-start"))
            rows = [self._rows["info"], body]
        else:
            rows = [self._rows["info"], W.HBox([self._rows["scatter"], self._rd.box]),
                    W.HBox([self._rows["reconstructions"], self._rows["samples"]],
                           layout=W.Layout(grid_gap="24px", justify_content="flex-start"))]
        css = "".join(f".vae-beta:not(.vae-show-{i}) .vae-option-{i} {{display: none}}\n"
                      for i in range(len(self.betas)))
        self.widget = self.finish(W.VBox(rows), css)
        self.widget.add_class("vae-beta")
        if precompute:
            for b in self.betas:
                self._option(b)
        self.watch(self.beta_slider)
        self.update()

    @property
    def model(self) -> LatentModel:
        """The model of the slider's beta."""
        return self.models[self.beta_slider.value]

    def _option(self, b: float) -> dict[str, W.Widget]:
        """The widgets of one beta's panels, made (and sent to the browser) on its first visit, hidden
        unless the root's class says ``vae-show-<i>`` for this beta."""
        hit = self.panels.get(b)
        if hit is not None:
            return hit
        p = self._panels(b)
        i = self.betas.index(b)
        out: dict[str, W.Widget] = {k: image_widget(p[k]) for k in ("scatter", "reconstructions", "samples")}
        out["info"] = W.HTML(p["info"])
        out["rd_marker"] = self._rd.pin(*p["rd_point"])
        for k, w in out.items():
            w.add_class(f"vae-option-{i}")
            if k in self.PANEL_CLASSES:
                w.add_class(self.PANEL_CLASSES[k])
        for k in ("info", "scatter", "reconstructions", "samples"):
            row = self._rows[k]
            row.children = (*row.children, out[k])
        self.panels[b] = out
        return out

    def update(self) -> None:
        """Show the panels of the slider's beta (drawn and sent on the first visit): one CSS class changes."""
        b = self.beta_slider.value
        self._option(b)
        show = f"vae-show-{self.betas.index(b)}"
        now = self.widget._dom_classes
        classes = (*(c for c in now if not c.startswith("vae-show-")), show)
        if classes != now:
            self.widget._dom_classes = classes

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        texts = [t for b in self.panels for t in self._cache[b]["texts"]]
        return {"vae-beta-scatter": sorted(texts, key=lambda t: t[1]),
                "vae-beta-rate-distortion": self._rd.background.texts}

    @property
    def images(self) -> dict[str, W.Image]:
        """The images shown for the current beta: ``scatter``, ``reconstructions``, ``samples``, ``rate_distortion``."""
        p = self.panels[self.beta_slider.value]
        return {"scatter": p["scatter"], "reconstructions": p["reconstructions"], "samples": p["samples"],
                "rate_distortion": self._rd.picture}

    @property
    def rd_marker(self) -> W.Image:
        """The ring on the rate--distortion curve at the current model's point."""
        return self.panels[self.beta_slider.value]["rd_marker"]

    @property
    def info(self) -> W.HTML:
        """The line with the current beta's numbers."""
        return self.panels[self.beta_slider.value]["info"]
