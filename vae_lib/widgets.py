r"""Live explorers for JupyterLab (ipywidgets 8): sliders that respond while they move.

Five explorers, each one object with ``.display()`` (or just leave it last in a cell):

* :class:`LatentExplorer` -- one slider per latent dimension of a VAE / Autoencoder /
  conditional VAE; the decoded image follows the sliders, and for a 2-D model a scatter of
  test codes shows where z is.
* :class:`BetaExplorer` -- a beta slider over a grid of beta-VAEs (the zoo's by default):
  latent scatter, reconstructions, prior samples and the rate--distortion curve.
* :class:`InterpolationExplorer` -- two test digits, an alpha slider, the decoded path
  :math:`z_\alpha = (1-\alpha) z_1 + \alpha z_2` for several models side by side.
* :class:`KLExplorer` -- two 1-D densities q and p, KL(q||p) and KL(p||q) in closed form and by
  Monte Carlo; a mixture target shows mode-seeking against mass-covering.
* :class:`ELBOGapExplorer` -- a toy model with an exact posterior
  (:class:`vae_lib.toy.NonlinearToy1D`): log p(x) = ELBO + KL(q || p(z|x)) at every q.

**Fast and honest.** A slider event does only what changed: one decoder forward under
``torch.inference_mode()`` on a single thread and a PNG encode (PIL, nearest-neighbour
upscale). Pictures that are static per model (scatters, curves) are drawn once with
matplotlib into a palette PNG and sent to the browser once; the marker of the current z
(or beta) is a small image laid over it, moved by changing its CSS margin (a few bytes).
The toy explorers blit their changing lines onto a background drawn once.
``benchmarks/widget_latency.py`` measures the update paths against a bare decode + PNG.

Images follow :mod:`vae_lib.plots`: pixel probability 1 (ink) is black, 0 is white.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from PIL import Image, ImageDraw

from .losses import kl_normal
from .models import VAE, Autoencoder, ConditionalVAE
from .toy import NonlinearToy1D
from .toy import one_thread as _one_thread

__all__ = [
    "BetaExplorer",
    "ELBOGapExplorer",
    "InterpolationExplorer",
    "KLExplorer",
    "LatentExplorer",
    "render_png",
]

SCALE = 6            # 28 x 28 -> 168 x 168 pixels on screen
_MARKER = (230, 20, 20)
_MARKER_R = 9        # radius in screen pixels of the ring that marks z on a scatter


# --------------------------------------------------------------------------- rendering helpers
def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def render_png(probs: torch.Tensor, *, scale: int = SCALE, nrow: int | None = None, pad: int = 1) -> bytes:
    """PNG bytes of pixel probabilities ``[H, W]``, ``[1, H, W]`` or ``[N, 1, H, W]`` in [0, 1].

    Ink (probability 1) is black on white, as in :mod:`vae_lib.plots`; each pixel becomes a
    ``scale x scale`` block (nearest neighbour, no blur). Several images are tiled ``nrow`` per
    row with ``pad`` white pixels between them (before scaling).
    """
    p = probs.detach().to("cpu", torch.float32)
    if p.dim() == 4:
        n, _, h, w = p.shape
        nrow = n if nrow is None else max(1, min(nrow, n))
        rows = (n + nrow - 1) // nrow
        grid = torch.zeros(rows * (h + pad) - pad, nrow * (w + pad) - pad)
        for i in range(n):
            r, c = divmod(i, nrow)
            grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = p[i, 0]
        p = grid
    elif p.dim() == 3:
        p = p[0]
    if p.dim() != 2:
        raise ValueError(f"render_png expects [H, W], [1, H, W] or [N, 1, H, W]; got {list(probs.shape)}")
    arr = ((1.0 - p.clamp(0, 1)) * 255.0).round().to(torch.uint8).numpy()
    img = Image.fromarray(arr, mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return _png(img)


class _PaletteBackground:
    """A matplotlib figure rasterised once into a palette PNG (``plain``: ~20 kB, sent once).

    ``to_pixel(x, y)`` maps data coordinates of ``ax`` to image pixels, so a marker can be
    placed over the picture (see :func:`_overlay`) instead of redrawing the figure (tens of ms).
    """

    def __init__(self, fig: Any, ax: Any) -> None:
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        self.height = rgba.shape[0]
        img = Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]), mode="RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT)
        self.image = img
        self.rgb = np.ascontiguousarray(rgba[:, :, :3])
        self._trans = ax.transData
        self.plain = _png(img)

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        px, py = self._trans.transform((x, y))
        return float(px), float(self.height - py)

    def to_data(self, px: float, py: float) -> tuple[float, float]:
        """The inverse of :meth:`to_pixel`."""
        x, y = self._trans.inverted().transform((px, self.height - py))
        return float(x), float(y)


class _BlitFigure:
    """A small matplotlib figure whose static parts are drawn once; ``render()`` redraws only
    the given artists on the saved background (blitting) and returns PNG bytes."""

    def __init__(self, fig: Any, animated: Sequence[Any]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.animated = list(animated)
        for a in self.animated:
            a.set_animated(True)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the static background (after changing limits, labels, ...)."""
        self.canvas.draw()
        self._bg = self.canvas.copy_from_bbox(self.fig.bbox)

    def render(self) -> bytes:
        self.canvas.restore_region(self._bg)
        for a in self.animated:
            if a.get_visible():
                a.axes.draw_artist(a)
        rgba = np.asarray(self.canvas.buffer_rgba())
        return _png(Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]), mode="RGB"))


def _marker_png() -> bytes:
    """A red ring with a white rim and a cross at its centre, on a transparent square."""
    r = _MARKER_R
    img = Image.new("RGBA", (2 * r, 2 * r), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, 2 * r - 1, 2 * r - 1), outline=(255, 255, 255, 255), width=5)
    d.ellipse((1, 1, 2 * r - 2, 2 * r - 2), outline=(*_MARKER, 255), width=3)
    d.line((r - 3, r, r + 2, r), fill=(*_MARKER, 255))
    d.line((r, r - 3, r, r + 2), fill=(*_MARKER, 255))
    return _png(img)


def _overlay(bg: _PaletteBackground) -> tuple[W.Image, W.Image, W.GridBox]:
    """The static picture of ``bg`` with a marker ``Image`` laid over it (same grid cell).

    Moving the marker is a change of its CSS ``margin`` (a few bytes of JSON); the picture is
    sent to the browser once.
    """
    h, w = bg.height, bg.image.width
    picture = W.Image(value=bg.plain, format="png", layout=W.Layout(width=f"{w}px", height=f"{h}px", grid_area="a"))
    marker = W.Image(value=_marker_png(), format="png",
                     layout=W.Layout(width=f"{2 * _MARKER_R}px", height=f"{2 * _MARKER_R}px", grid_area="a",
                                     align_self="flex-start"))
    box = W.GridBox([picture, marker], layout=W.Layout(grid_template_areas='"a"', justify_items="flex-start",
                                                        align_items="flex-start", width=f"{w}px", height=f"{h}px"))
    return picture, marker, box


def _place(marker: W.Image, bg: _PaletteBackground, x: float, y: float) -> None:
    """Centre ``marker`` on the data point (x, y) of ``bg``'s axes."""
    px, py = bg.to_pixel(x, y)
    margin = f"{round(py) - _MARKER_R}px 0 0 {round(px) - _MARKER_R}px"
    if marker.layout.margin != margin:
        marker.layout.margin = margin


def _new_figure(figsize: tuple[float, float], dpi: int = 80, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A figure that is never shown by pyplot (no stray output in notebooks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, **kw)
    return fig, axes


# --------------------------------------------------------------------------- models and data
def _kind(model: Any) -> str:
    if isinstance(model, ConditionalVAE):
        return "cvae"
    if isinstance(model, VAE):
        return "vae"
    if isinstance(model, Autoencoder):
        return "ae"
    raise TypeError(f"expected a vae_lib model (Autoencoder, VAE or ConditionalVAE); got {type(model).__name__}. "
                    "Build one from vae_lib.models or load one with vae_lib.zoo.load(name).")


def _zoo_load(name: str) -> torch.nn.Module:
    try:
        from . import zoo
    except ImportError as exc:  # pragma: no cover - zoo ships with the package
        raise RuntimeError("vae_lib.zoo is not available: pass the models explicitly") from exc
    return zoo.load(name)


def _as_model(m: Any) -> torch.nn.Module:
    """A model, or a zoo name loaded from the zoo."""
    if isinstance(m, str):
        return _zoo_load(m)
    return m


def _model_dataset(model: Any) -> str:
    info = getattr(model, "zoo_info", None) or {}
    meta = getattr(model, "metadata", None) or {}
    for src in (info, info.get("data", {}) if isinstance(info.get("data"), dict) else {}, meta):
        ds = src.get("dataset") if isinstance(src, dict) else None
        if ds in ("mnist", "fashion"):
            return ds
    return "mnist"


def _resolve_dataset(dataset: Any, model: Any | None = None) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(images, labels)`` of test images, or None when they cannot be loaded (offline, no copy)."""
    from .data import DatasetNotFoundError, load_mnist

    if dataset is None:
        dataset = _model_dataset(model) if model is not None else "mnist"
    if isinstance(dataset, str):
        try:
            return load_mnist("test", dataset=dataset, download=False)
        except DatasetNotFoundError:
            return None
    if isinstance(dataset, Sequence) and len(dataset) == 2:
        images, labels = dataset
        return torch.as_tensor(images), torch.as_tensor(labels)
    if isinstance(dataset, torch.Tensor):
        return dataset, torch.zeros(dataset.shape[0], dtype=torch.int64)
    raise TypeError("dataset must be 'mnist', 'fashion', an (images, labels) pair or None; "
                    f"got {type(dataset).__name__}")


def _clamp(v: float, lo: float, hi: float) -> float:
    """``v`` clamped to [lo, hi]; +-inf go to the nearest end, NaN to 0 (or lo when 0 is outside)."""
    v = float(v)
    if math.isnan(v):
        v = 0.0 if lo <= 0.0 <= hi else lo
    return min(max(v, lo), hi)


class _Explorer:
    """Shared display plumbing: ``.widget`` is the root ipywidgets container."""

    widget: W.Widget

    def display(self) -> None:
        """Show the explorer in the notebook output."""
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()

    def close(self) -> None:
        """Close every widget of the explorer (frees the front-end views)."""
        def close(w: W.Widget) -> None:
            for child in getattr(w, "children", ()):
                close(child)
            w.close()

        close(self.widget)


def _scatter_background(z: torch.Tensor, labels: torch.Tensor | None, lims: Sequence[tuple[float, float]],
                        title: str, xlabel: str = "$z_1$", ylabel: str = "$z_2$",
                        class_names: Sequence[str] | None = None) -> _PaletteBackground:
    from .plots import latent_scatter

    fig, ax = _new_figure((3.6, 3.6), dpi=80)
    latent_scatter(z, labels, ax=ax, title=title, s=2.0, alpha=0.5, class_names=class_names)
    ax.set_xlim(*lims[0])
    ax.set_ylim(*lims[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    leg = ax.get_legend()
    if leg is not None:
        leg.remove()
        ax.legend(markerscale=3, fontsize=6, loc="upper right", framealpha=0.7, ncol=2, title=None)
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.14, top=0.92)  # (tight_layout costs 0.1 s)
    return _PaletteBackground(fig, ax)


def _image(value: bytes = b"", size: int | None = None) -> W.Image:
    """A PNG ``Image`` shown at its natural size (``size``: a square's side in CSS pixels), never
    stretched by its container (stretching would blur the nearest-neighbour pixels)."""
    lay = {"align_self": "flex-start"}
    if size:
        lay.update(width=f"{size}px", height=f"{size}px")
    return W.Image(value=value, format="png", layout=W.Layout(**lay))


# --------------------------------------------------------------------------- LatentExplorer
class LatentExplorer(_Explorer):
    r"""One slider per latent dimension; the decoded image follows while a slider moves.

    Each slider spans :math:`\pm 3\sigma`: of the prior N(0, 1) (``range="prior"``, the
    default for a VAE) or of the aggregate posterior, i.e. mean +- 3 std of the test codes
    (``range="posterior"``, the only choice for an Autoencoder, which has no prior). For a 2-D
    model a scatter of test codes coloured by label sits beside the image, with a red ring at
    the current z. A conditional VAE gets a label selector too.

    Args:
        model: a VAE, Autoencoder or ConditionalVAE (any latent size), or a zoo name.
        dataset: test images for the scatter and the posterior range: ``"mnist"``, ``"fashion"``,
            an ``(images, labels)`` pair, or ``None`` (the model's zoo dataset, else MNIST).
            Without them (offline, no copy) the scatter is left out.
        range: ``"prior"`` or ``"posterior"`` (see above).
        n_points: test images encoded for the scatter / range.
        scale: screen pixels per image pixel.
        clickable: show the scatter in an ipympl canvas that takes clicks (a click moves z);
            its marker is redrawn by matplotlib after each event (slower than the default).

    Attributes:
        sliders: the ``FloatSlider`` of each latent dimension (``z_k``).
        image: an ``ipywidgets.Image`` whose ``.value`` is the PNG of ``sigmoid(decode(z))``.
        scatter: the scatter ``Image`` (2-D models with test data), sent once, else ``None``; with
            ``clickable=True`` an ipympl canvas instead, where a click moves z to the clicked point.
        marker: the small ring ``Image`` laid over the scatter; an event only changes its CSS
            ``layout.margin`` (its offset), so the scatter is never re-sent.
        label: the label ``Dropdown`` of a conditional VAE, else ``None``.
        z: the current latent code, a float32 tensor ``[K]``.
        bounds: ``[(low, high)]`` of each slider.

    ``set_z(z)`` moves all sliders at once (clamped) with a single update.
    """

    def __init__(self, model: torch.nn.Module | str, *, dataset: Any = None, range: str | None = None,
                 n_points: int = 5000, scale: int = SCALE, scatter: bool = True, clickable: bool = False) -> None:
        model = _as_model(model)
        self.kind = _kind(model)
        self.model = model.eval()
        self.scale = int(scale)
        K = int(model.latent_dim)
        if range is None:
            range = "posterior" if self.kind == "ae" else "prior"
        if range not in ("prior", "posterior"):
            raise ValueError(f"range must be 'prior' or 'posterior'; got {range!r}")
        if range == "prior" and self.kind == "ae":
            raise ValueError("an Autoencoder has no prior: use range='posterior' (mean +- 3 std of the test codes)")
        need_data = range == "posterior" or (K == 2 and scatter)
        data = _resolve_dataset(dataset, model) if need_data else None
        if range == "posterior" and data is None:
            raise ValueError("range='posterior' needs test images: pass dataset=(images, labels) or extract MNIST "
                             "into the data folder (see vae_lib.data)")
        codes = labels = None
        if data is not None:
            images, labels = data[0][:n_points], data[1][:n_points]
            from .plots import encode_means

            codes = encode_means(model, images, labels if self.kind == "cvae" else None)
        if range == "posterior":
            center, spread = codes.mean(0), codes.std(0).clamp_min(1e-3)
        else:
            center, spread = torch.zeros(K), torch.ones(K)
        self.range = range
        self.bounds = [(float(c - 3 * s), float(c + 3 * s)) for c, s in zip(center, spread)]
        self.sliders: list[W.FloatSlider] = [
            W.FloatSlider(value=_clamp(float(center[k]), *self.bounds[k]), min=self.bounds[k][0], max=self.bounds[k][1],
                          step=(self.bounds[k][1] - self.bounds[k][0]) / 300, description=f"z{k + 1}",
                          continuous_update=True, readout_format=".2f", layout=W.Layout(width="320px"))
            for k in _range(K)]
        self.label: W.Dropdown | None = None
        if self.kind == "cvae":
            self.label = W.Dropdown(options=list(_range(model.n_classes)), value=0, description="label",
                                    layout=W.Layout(width="160px"))
        self.z = torch.tensor([s.value for s in self.sliders], dtype=torch.float32)
        self.image = _image(size=28 * self.scale)
        self.scatter: W.DOMWidget | None = None
        self.marker: W.Image | None = None
        self._bg: _PaletteBackground | None = None
        if K == 2 and scatter and codes is not None:
            names = None
            ds = dataset if isinstance(dataset, str) else _model_dataset(model)
            if ds == "fashion":
                from .data import DATASETS

                names = DATASETS["fashion"][1]
            self._bg = _scatter_background(codes, labels, self.bounds, "test codes (mean of q(z|x))",
                                           class_names=names)
            if clickable:
                self.scatter = self._click_canvas()
                scatter_view = self.scatter
            else:  # the scatter is sent once; only the marker's CSS position changes per event
                self.scatter, self.marker, scatter_view = _overlay(self._bg)
        self._hold = False
        for s in self.sliders:
            s.observe(self._on_slider, names="value")
        if self.label is not None:
            self.label.observe(self._on_slider, names="value")
        self.update()
        title = W.HTML(f"<b>{type(model).__name__}</b>, K = {K}: drag a slider to move z "
                       f"(range: +-3 sigma of the {'prior' if range == 'prior' else 'aggregate posterior'})")
        left = W.VBox([*( [self.label] if self.label is not None else []), *self.sliders, self.image])
        row = W.HBox([left, scatter_view] if self.scatter is not None else [left])
        self.widget = W.VBox([title, row])

    # the update path: one decoder forward + one PNG (+ one marker composite for 2-D)
    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), _one_thread():
            if self.kind == "cvae":
                logits = self.model.decode(z[None], torch.tensor([int(self.label.value)]))
            else:
                logits = self.model.decode(z[None])
            return torch.sigmoid(logits)[0]

    def update(self) -> None:
        """Decode the sliders' z and refresh the image (and the marker on the scatter)."""
        self.z = torch.tensor([s.value for s in self.sliders], dtype=torch.float32)
        self.image.value = render_png(self._decode(self.z), scale=self.scale)
        if self._bg is not None:
            if self.marker is not None:  # a few bytes of JSON: the marker's offset in CSS pixels
                _place(self.marker, self._bg, float(self.z[0]), float(self.z[1]))
            else:  # ipympl canvas: move the marker, redraw later (the background is one image)
                self._click_marker.set_data(*([v] for v in self._bg.to_pixel(float(self.z[0]), float(self.z[1]))))
                self.scatter.draw_idle()

    def _click_canvas(self) -> W.DOMWidget:
        """An ipympl canvas showing the scatter (one pre-rendered image) and a marker; clicks move z."""
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        bg = self._bg
        h, w = bg.rgb.shape[:2]
        fig = Figure(figsize=(w / 80, h / 80), dpi=80)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(bg.rgb, extent=(0, w, h, 0), interpolation="nearest")
        ax.set_axis_off()
        (self._click_marker,) = ax.plot([0], [0], "o", mfc="none", mec=[c / 255 for c in _MARKER], ms=13, mew=3)
        canvas = Canvas(fig)
        with warnings.catch_warnings():  # ipympl 0.10's Toolbar trips a traitlets DeprecationWarning
            warnings.simplefilter("ignore", DeprecationWarning)
            FigureManager(canvas, 0)
        canvas.toolbar_visible = canvas.header_visible = canvas.footer_visible = canvas.resizable = False
        canvas.layout = W.Layout(width=f"{w + 8}px", height=f"{h + 8}px")
        canvas.mpl_connect("button_press_event", self._on_click)
        return canvas

    def _on_click(self, event: Any) -> None:
        if event.xdata is None or event.ydata is None:
            return
        self.set_z(self._bg.to_data(event.xdata, event.ydata))

    def _on_slider(self, change: dict) -> None:
        if not self._hold:
            self.update()

    def set_z(self, z: Sequence[float] | torch.Tensor) -> torch.Tensor:
        """Move every slider at once (values clamped to the sliders' ranges); one update. Returns ``.z``."""
        values = torch.as_tensor(z, dtype=torch.float32).flatten().tolist()
        if len(values) != len(self.sliders):
            raise ValueError(f"expected {len(self.sliders)} latent values; got {len(values)}")
        self._hold = True
        try:
            for s, v, (lo, hi) in zip(self.sliders, values, self.bounds):
                s.value = _clamp(v, lo, hi)
        finally:
            self._hold = False
        self.update()
        return self.z


_range = range  # LatentExplorer's parameter `range` shadows the builtin inside __init__


# --------------------------------------------------------------------------- BetaExplorer
def _fmt_beta(b: float) -> str:
    return f"{b:g}"


class BetaExplorer(_Explorer):
    r"""A beta slider over a grid of beta-VAEs (same architecture, different beta).

    Objective of each model: :math:`\mathbb{E}_q[\log p(x\mid z)] - \beta\,\mathrm{KL}(q(z\mid x)\,\|\,p(z))`.
    Moving the slider swaps four panels: the latent scatter of test images (2-D models; for
    K > 2 the two dimensions whose means vary most), reconstructions of fixed test digits,
    samples from the prior (the same z for every beta), and the rate (KL) and distortion
    (-reconstruction term) of the current model on the rate--distortion curve of the grid.

    Args:
        models: ``{beta: model}``, a list of zoo names, or ``None`` for the zoo's
            ``vae-2d-beta-*`` (``latent="10d"``: ``vae-10d-beta-*``); only built models are used.
        dataset: test images, as for :class:`LatentExplorer`.
        metrics: ``{beta: (rate, distortion)}`` in nats; default: the zoo manifest's test
            metrics, else evaluated on ``n_eval`` binarized test images.
        precompute: draw every model's panels now (about 0.3 s per model; then every move is
            instant); ``False``: each model's panels are drawn on its first visit and cached.

    Attributes:
        beta_slider: a ``SelectionSlider`` over the grid's betas (equal steps: log-like spacing).
        images: ``{"scatter", "reconstructions", "samples", "rate_distortion"}`` -> ``ipywidgets.Image``
            (the rate--distortion curve is static: ``rd_marker``, a ring laid over it, moves).
        betas: the sorted betas; ``model``: the current model.
    """

    def __init__(self, models: Mapping[float, Any] | Sequence[str] | None = None, *, dataset: Any = None,
                 latent: str = "2d", metrics: Mapping[float, tuple[float, float]] | None = None,
                 n_points: int = 3000, n_eval: int = 1000, n_digits: int = 8, n_samples: int = 8,
                 precompute: bool = True, scale: int = 2) -> None:
        grid = self._resolve_models(models, latent)
        self.betas = sorted(grid)
        self.models = {b: grid[b] for b in self.betas}
        self._check_kinds(self.models)
        for m in self.models.values():
            m.eval()
        dims = {m.latent_dim for m in self.models.values()}
        if len(dims) != 1:
            raise ValueError(f"all models of the beta grid need the same latent size; got {sorted(dims)}")
        self.latent_dim = dims.pop()
        self.scale = scale
        data = _resolve_dataset(dataset, self.models[self.betas[0]])
        self._data = data
        if data is not None:
            imgs, labels = data
            idx = [int((labels == c).nonzero()[0]) for c in _range(10) if (labels == c).any()][:n_digits]
            idx = idx or list(_range(min(n_digits, imgs.shape[0])))
            self._digits = imgs[idx]
            self._scatter_x, self._scatter_y = imgs[:n_points], labels[:n_points]
        else:
            self._digits = None
        g = torch.Generator().manual_seed(0)
        self._z_samples = torch.randn(n_samples, self.latent_dim, generator=g)
        self.rd = self._rate_distortion(metrics, n_eval)
        self._cache: dict[float, dict[str, Any]] = {}
        self._rd_bg = self._draw_rd()
        self.beta_slider = W.SelectionSlider(options=[(_fmt_beta(b), b) for b in self.betas],
                                             value=1.0 if 1.0 in self.models else self.betas[len(self.betas) // 2],
                                             description="beta", continuous_update=True,
                                             layout=W.Layout(width="420px"))
        self.images = {k: _image() for k in ("scatter", "reconstructions", "samples")}
        self.images["rate_distortion"], self.rd_marker, rd_view = _overlay(self._rd_bg)
        self.info = W.HTML()
        if precompute:
            for b in self.betas:
                self._panels(b)
        self.beta_slider.observe(lambda ch: self.update(), names="value")
        self.update()
        cap = {"reconstructions": "test digits (top) and reconstructions (bottom)",
               "samples": "samples z ~ N(0, I) (the same z for every beta)"}
        self.widget = W.VBox([
            W.HBox([self.beta_slider, self.info]),
            W.HBox([self.images["scatter"], rd_view]),
            W.HBox([W.VBox([W.HTML(cap["reconstructions"]), self.images["reconstructions"]]),
                    W.VBox([W.HTML(cap["samples"]), self.images["samples"]])],
                   layout=W.Layout(grid_gap="24px", justify_content="flex-start"))])

    @property
    def model(self) -> torch.nn.Module:
        return self.models[self.beta_slider.value]

    @staticmethod
    def _check_kinds(models: Mapping[float, Any], names: Mapping[float, Any] | None = None) -> None:
        for b, m in models.items():
            kind = _kind(m)
            if kind != "vae":
                what = "an Autoencoder (no prior, no KL, no beta)" if kind == "ae" else "a ConditionalVAE"
                who = repr(names[b]) if names else f"the model for beta={_fmt_beta(b)}"
                raise TypeError(f"BetaExplorer needs unconditional VAEs (vae_lib.models.VAE) trained with different "
                                f"betas; {who} is {what}. Use the zoo's 'vae-2d-beta-*' models or pass "
                                "{beta: VAE}.")

    @staticmethod
    def _resolve_models(models: Any, latent: str) -> dict[float, torch.nn.Module]:
        if models is None:
            from . import zoo

            want = f"vae-{latent}-beta-"
            names = [n for n in zoo.names() if n.startswith(want)]
            if not names:
                raise ValueError(f"the zoo has no models named {want}*; latent must be '2d' or '10d'")
            models = []
            for n in names:
                try:
                    zoo.info(n)
                except Exception:  # noqa: BLE001 - not built yet: skip it
                    continue
                models.append(n)
            if len(models) < 2:
                raise ValueError(f"BetaExplorer needs at least two built '{want}*' zoo models; found {models}. "
                                 "Build them with `python -m vae_lib.zoo build 'vae-2d-beta-*'` or pass {beta: model}.")
        if isinstance(models, Mapping):
            out = {}
            for b, m in models.items():
                b = float(b)
                if not math.isfinite(b) or b < 0:
                    raise ValueError(f"betas must be finite and >= 0; got {b}")
                out[b] = _as_model(m)
            return out
        out = {}
        for m in models:
            model = _as_model(m)
            if _kind(model) != "vae":
                BetaExplorer._check_kinds({-1.0: model}, names={-1.0: m})
            info = getattr(model, "zoo_info", None) or {}
            beta = _find_beta(info, m)
            if beta is None:
                raise ValueError(f"cannot tell the beta of {m!r}: pass models as {{beta: model}}")
            if beta in out:
                raise ValueError(f"two models have beta = {_fmt_beta(beta)} ({m!r} and another); a beta grid needs "
                                 "one model per beta")
            out[beta] = model
        if len(out) < 1:
            raise ValueError("BetaExplorer needs at least one model")
        return out

    def _rate_distortion(self, metrics: Any, n_eval: int) -> dict[float, tuple[float, float]]:
        rd: dict[float, tuple[float, float]] = {}
        test_bin = None
        for b, m in self.models.items():
            if metrics is not None and b in metrics:
                rd[b] = tuple(float(v) for v in metrics[b])
                continue
            t = ((getattr(m, "zoo_info", None) or {}).get("metrics") or {}).get("test") or {}
            if t.get("kl") is not None and t.get("rec") is not None:
                rd[b] = (float(t["kl"]), -float(t["rec"]))
                continue
            if self._data is None:
                rd[b] = (float("nan"), float("nan"))
                continue
            if test_bin is None:
                from .data import binarize_images

                test_bin = binarize_images(self._data[0][:n_eval], "dynamic",
                                           generator=torch.Generator().manual_seed(0))
            from .train import evaluate

            r = evaluate(m, test_bin, seed=0)
            rd[b] = (float(r["kl"]), -float(r["rec"]))
        return rd

    def _draw_rd(self) -> _PaletteBackground:
        fig, ax = _new_figure((3.6, 3.6), dpi=80)
        pts = np.array([self.rd[b] for b in self.betas])
        ax.plot(pts[:, 0], pts[:, 1], "-o", color="0.4", markersize=4)
        for b, (r, d) in zip(self.betas, pts):
            if math.isfinite(r):
                ax.annotate(f"β={_fmt_beta(b)}", (r, d), textcoords="offset points", xytext=(5, 3), fontsize=7)
        ax.set_xlabel("rate  KL(q(z|x) || p(z))  [nats]")
        ax.set_ylabel("distortion  -E_q[log p(x|z)]  [nats]")
        ax.set_title("rate-distortion (test set)", fontsize=10)
        fin = pts[np.isfinite(pts).all(1)]
        if len(fin):
            lo, hi = fin.min(0), fin.max(0)
            pad = np.maximum((hi - lo) * 0.12, 1.0)
            ax.set_xlim(lo[0] - pad[0], hi[0] + 2.5 * pad[0])
            ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        fig.tight_layout(pad=0.4)
        return _PaletteBackground(fig, ax)

    def _panels(self, b: float) -> dict[str, Any]:
        """The pictures of one model, drawn on its first visit and cached (they never change)."""
        hit = self._cache.get(b)
        if hit is not None:
            return hit
        m = self.models[b]
        out: dict[str, Any] = {}
        with torch.inference_mode():
            out["samples"] = render_png(torch.sigmoid(m.decode(self._z_samples)), scale=self.scale,
                                        nrow=(self._z_samples.shape[0] + 1) // 2)
            if self._digits is not None:
                mu, _ = m.encode(self._digits)
                rec = torch.sigmoid(m.decode(mu))
                out["reconstructions"] = render_png(torch.cat([self._digits, rec]), scale=self.scale,
                                                    nrow=self._digits.shape[0])
            else:
                out["reconstructions"] = render_png(torch.zeros(1, 28, 28), scale=1)
        if self._digits is not None:
            from .plots import encode_means

            codes = encode_means(m, self._scatter_x)
            if self.latent_dim > 2:
                dims = codes.var(0).argsort(descending=True)[:2].tolist()
            else:
                dims = [0, 1]
            c = codes[:, dims]
            lim = max(3.0, float(c.abs().quantile(0.995)) * 1.05)
            bg = _scatter_background(c, self._scatter_y, [(-lim, lim), (-lim, lim)],
                                     f"test codes, β={_fmt_beta(b)}", f"$z_{{{dims[0] + 1}}}$",
                                     f"$z_{{{dims[1] + 1}}}$")
            out["scatter"] = bg.plain
        else:
            out["scatter"] = render_png(torch.zeros(1, 28, 28), scale=1)
        r, d = self.rd[b]
        out["rd_point"] = (r, d)
        out["info"] = (f"β = {_fmt_beta(b)}: rate KL = {r:.2f} nats, distortion = {d:.2f} nats, "
                       f"-ELBO = {r + d:.2f} nats per example")
        self._cache[b] = out
        return out

    def update(self) -> None:
        """Show the panels of the slider's beta (cached after the first visit)."""
        p = self._panels(self.beta_slider.value)
        for k in ("scatter", "reconstructions", "samples"):
            if self.images[k].value != p[k]:
                self.images[k].value = p[k]
        r, d = p["rd_point"]
        if math.isfinite(r) and math.isfinite(d):
            self.rd_marker.layout.visibility = "visible"
            _place(self.rd_marker, self._rd_bg, r, d)
        else:
            self.rd_marker.layout.visibility = "hidden"
        self.info.value = p["info"]


def _find_beta(info: Mapping[str, Any], name: Any) -> float | None:
    for key in ("beta",):
        if isinstance(info.get(key), (int, float)):
            return float(info[key])
        for sub in info.values():
            if isinstance(sub, Mapping) and isinstance(sub.get(key), (int, float)):
                return float(sub[key])
    if isinstance(name, str) and "-beta-" in name:
        try:
            return float(name.rsplit("-beta-", 1)[1])
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- InterpolationExplorer
class InterpolationExplorer(_Explorer):
    r"""Two test digits, an alpha slider, and the decoded path for each model side by side.

    .. math:: z_\alpha = (1-\alpha)\,z_1 + \alpha\,z_2

    where :math:`z_i` is the code of digit i (the encoder mean for a VAE). For each model a
    strip shows the whole path (``steps`` points, drawn when the digits change) and a large
    image shows :math:`\mathrm{sigmoid}(\mathrm{decode}(z_\alpha))`, updated while alpha moves.

    Args:
        models: ``{name: model}``, a list of models or zoo names; default zoo ``["ae-2d", "vae-2d"]``.
        dataset: test images, as for :class:`LatentExplorer`.
        index_a, index_b: the two test images.

    Attributes:
        alpha_slider: ``FloatSlider`` in [0, 1]; ``index_a`` / ``index_b``: ``BoundedIntText``.
        images: ``{name: Image}`` of the decoded z_alpha; ``paths``: ``{name: Image}`` of the strips.
        z: ``{name: tensor [K]}``, the current z_alpha of each model.
    """

    def __init__(self, models: Any = None, *, dataset: Any = None, index_a: int = 0, index_b: int = 1,
                 alpha: float = 0.5, steps: int = 11, scale: int = 5) -> None:
        if models is None:
            models = ["ae-2d", "vae-2d"]
        if isinstance(models, Mapping):
            items = [(str(k), _as_model(v)) for k, v in models.items()]
        else:
            items = []
            for i, m in enumerate(models):
                name = m if isinstance(m, str) else f"{type(m).__name__} {i + 1}"
                items.append((name, _as_model(m)))
        if not items:
            raise ValueError("InterpolationExplorer needs at least one model")
        for name, m in items:
            if _kind(m) == "cvae":
                raise TypeError(f"InterpolationExplorer takes Autoencoders and VAEs; {name!r} is a ConditionalVAE "
                                "(its decoder also needs a label). Use LatentExplorer for it.")
            m.eval()
        self.models = dict(items)
        data = _resolve_dataset(dataset, items[0][1])
        if data is None:
            raise ValueError("InterpolationExplorer needs test images: pass dataset=(images, labels) or extract "
                             "MNIST into the data folder (see vae_lib.data)")
        self._images, self._labels = data
        n = self._images.shape[0]
        self.steps, self.scale = max(2, int(steps)), int(scale)
        self.index_a = W.BoundedIntText(value=int(_clamp(index_a, 0, n - 1)), min=0, max=n - 1, description="digit 1",
                                        layout=W.Layout(width="170px"))
        self.index_b = W.BoundedIntText(value=int(_clamp(index_b, 0, n - 1)), min=0, max=n - 1, description="digit 2",
                                        layout=W.Layout(width="170px"))
        self.alpha_slider = W.FloatSlider(value=_clamp(alpha, 0, 1), min=0.0, max=1.0, step=0.01, description="α",
                                          continuous_update=True, readout_format=".2f", layout=W.Layout(width="420px"))
        self.endpoints = _image()
        self.images = {name: _image(size=28 * self.scale) for name in self.models}
        self.paths = {name: _image() for name in self.models}
        self.z: dict[str, torch.Tensor] = {}
        self._ends: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.index_a.observe(lambda ch: self._new_digits(), names="value")
        self.index_b.observe(lambda ch: self._new_digits(), names="value")
        self.alpha_slider.observe(lambda ch: self.update(), names="value")
        self._new_digits()
        cols = [W.VBox([W.HTML(f"<b>{name}</b>"), self.images[name], self.paths[name]]) for name in self.models]
        self.widget = W.VBox([W.HBox([self.index_a, self.index_b, self.endpoints]), self.alpha_slider, W.HBox(cols)])

    def _new_digits(self) -> None:
        """Encode the two chosen digits and redraw each model's path strip."""
        ia, ib = int(self.index_a.value), int(self.index_b.value)
        x = self._images[[ia, ib]]
        self.endpoints.value = render_png(x, scale=2, nrow=2)
        alphas = torch.linspace(0, 1, self.steps)[:, None]
        with torch.inference_mode():
            for name, m in self.models.items():
                z = m.encode(x)
                z = z[0] if isinstance(z, tuple) else z
                self._ends[name] = (z[0].clone(), z[1].clone())
                path = (1 - alphas) * z[0] + alphas * z[1]
                self.paths[name].value = render_png(torch.sigmoid(m.decode(path)), scale=2, nrow=self.steps)
        self.update()

    def update(self) -> None:
        """Decode z_alpha for each model (one forward per model)."""
        a = float(self.alpha_slider.value)
        with torch.inference_mode(), _one_thread():
            for name, m in self.models.items():
                z1, z2 = self._ends[name]
                z = (1 - a) * z1 + a * z2
                self.z[name] = z
                self.images[name].value = render_png(torch.sigmoid(m.decode(z[None]))[0], scale=self.scale)


# --------------------------------------------------------------------------- KLExplorer
def _log_normal(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


class KLExplorer(_Explorer):
    r"""Two 1-D densities and the two KL divergences between them.

    Mode ``"gaussian"``: q = N(mu_q, sigma_q^2), p = N(mu_p, sigma_p^2), and

    .. math:: \mathrm{KL}(q\,\|\,p) = \log\frac{\sigma_p}{\sigma_q} + \frac{\sigma_q^2 + (\mu_q-\mu_p)^2}{2\sigma_p^2} - \frac12

    in closed form (:func:`vae_lib.losses.kl_normal`) and by Monte Carlo,
    :math:`\frac1n\sum_i \log q(z_i) - \log p(z_i)` with :math:`z_i \sim q` (the same
    ``n_mc`` standard-normal draws reused at every position, so the estimate moves smoothly);
    likewise KL(p || q). Mode ``"mixture"``: p is the two-component mixture
    ``w N(mu_p - d, sigma_p^2) + (1 - w) N(mu_p + d, sigma_p^2)``; there is no closed form, so the
    exact value comes from quadrature on a grid. The buttons fit q by minimising KL(q || p)
    (mode-seeking: q settles on one bump) or KL(p || q) (mass-covering: q matches p's mean and
    variance and spreads over both).

    Attributes:
        sliders: ``{"mu_q", "sigma_q", "mu_p", "sigma_p", "separation", "weight"}`` -> ``FloatSlider``.
        mode: ``ToggleButtons`` (``"gaussian"`` / ``"mixture"``); ``image``: the density plot.
        values: the current numbers (``kl_qp``, ``kl_pq`` exact, ``kl_qp_mc``, ``kl_pq_mc``).
    """

    SIGMA_RANGE = (0.2, 3.0)
    MU_RANGE = (-4.0, 4.0)

    def __init__(self, *, mode: str = "gaussian", mu_q: float = 0.0, sigma_q: float = 1.0, mu_p: float = 1.0,
                 sigma_p: float = 0.8, separation: float = 2.5, weight: float = 0.5, n_mc: int = 2000,
                 seed: int = 0) -> None:
        if mode not in ("gaussian", "mixture"):
            raise ValueError(f"mode must be 'gaussian' or 'mixture'; got {mode!r}")
        self._grid = np.linspace(-12, 12, 4801)
        self._w = np.full_like(self._grid, self._grid[1] - self._grid[0])
        self._w[[0, -1]] /= 2
        rng = np.random.default_rng(seed)
        self._eps = rng.standard_normal(n_mc)
        self._u = rng.random(n_mc)

        def fs(desc: str, v: float, rng_: tuple[float, float], step: float = 0.01) -> W.FloatSlider:
            return W.FloatSlider(value=_clamp(v, *rng_), min=rng_[0], max=rng_[1], step=step, description=desc,
                                 continuous_update=True, readout_format=".2f", layout=W.Layout(width="300px"))

        self.sliders = {
            "mu_q": fs("μ_q", mu_q, self.MU_RANGE), "sigma_q": fs("σ_q", sigma_q, self.SIGMA_RANGE),
            "mu_p": fs("μ_p", mu_p, self.MU_RANGE), "sigma_p": fs("σ_p", sigma_p, self.SIGMA_RANGE),
            "separation": fs("separation", separation, (0.0, 4.0)), "weight": fs("weight", weight, (0.05, 0.95)),
        }
        self.mode = W.ToggleButtons(options=[("two Gaussians", "gaussian"), ("mixture target", "mixture")],
                                    value=mode)
        self.fit_qp = W.Button(description="fit q: min KL(q‖p)", tooltip="mode-seeking")
        self.fit_pq = W.Button(description="fit q: min KL(p‖q)", tooltip="mass-covering")
        self.fit_qp.on_click(lambda _: self.fit("qp"))
        self.fit_pq.on_click(lambda _: self.fit("pq"))
        self.text = W.HTML()
        self.values: dict[str, float] = {}
        fig, ax = _new_figure((5.2, 2.8), dpi=80)
        ax.set_xlim(-8, 8)
        self._ax = ax
        self._ytop = 1.0
        ax.set_xlabel("z")
        ax.set_ylabel("density")
        (self._lq,) = ax.plot(self._grid, self._grid * 0, color="tab:blue", lw=2, label="q")
        (self._lp,) = ax.plot(self._grid, self._grid * 0, color="tab:orange", lw=2, label="p")
        ax.legend(loc="upper right")
        fig.tight_layout(pad=0.4)
        self._ax.set_ylim(0, self._ytop)
        self._fig = _BlitFigure(fig, [self._lq, self._lp])
        self.image = _image()
        self._hold = False
        for s in self.sliders.values():
            s.observe(lambda ch: self._changed(), names="value")
        self.mode.observe(lambda ch: self._changed(), names="value")
        self.update()
        sl = self.sliders
        self.widget = W.VBox([self.mode, W.HBox([
            W.VBox([sl["mu_q"], sl["sigma_q"], sl["mu_p"], sl["sigma_p"], sl["separation"], sl["weight"],
                    W.HBox([self.fit_qp, self.fit_pq])]),
            W.VBox([self.image, self.text])])])

    def _changed(self) -> None:
        if not self._hold:
            self.update()

    def _params(self) -> dict[str, float]:
        return {k: float(s.value) for k, s in self.sliders.items()}

    def _log_p(self, z: np.ndarray, v: dict[str, float]) -> np.ndarray:
        if self.mode.value == "gaussian":
            return _log_normal(z, v["mu_p"], v["sigma_p"])
        w, d = v["weight"], v["separation"]
        return np.logaddexp(math.log(w) + _log_normal(z, v["mu_p"] - d, v["sigma_p"]),
                            math.log(1 - w) + _log_normal(z, v["mu_p"] + d, v["sigma_p"]))

    def _sample_p(self, v: dict[str, float]) -> np.ndarray:
        if self.mode.value == "gaussian":
            return v["mu_p"] + v["sigma_p"] * self._eps
        shift = np.where(self._u < v["weight"], -v["separation"], v["separation"])
        return v["mu_p"] + shift + v["sigma_p"] * self._eps

    def _kls(self, v: dict[str, float]) -> dict[str, float]:
        g, w = self._grid, self._w
        lq, lp = _log_normal(g, v["mu_q"], v["sigma_q"]), self._log_p(g, v)
        q, p = np.exp(lq), np.exp(lp)
        out = {"kl_qp_grid": float((w * q * (lq - lp)).sum()), "kl_pq_grid": float((w * p * (lp - lq)).sum())}
        zq = v["mu_q"] + v["sigma_q"] * self._eps
        out["kl_qp_mc"] = float((_log_normal(zq, v["mu_q"], v["sigma_q"]) - self._log_p(zq, v)).mean())
        zp = self._sample_p(v)
        out["kl_pq_mc"] = float((self._log_p(zp, v) - _log_normal(zp, v["mu_q"], v["sigma_q"])).mean())
        if self.mode.value == "gaussian":
            t = lambda m, s: (torch.tensor([m], dtype=torch.float64), torch.tensor([2 * math.log(s)], dtype=torch.float64))  # noqa: E731
            out["kl_qp"] = float(kl_normal(*t(v["mu_q"], v["sigma_q"]), *t(v["mu_p"], v["sigma_p"])))
            out["kl_pq"] = float(kl_normal(*t(v["mu_p"], v["sigma_p"]), *t(v["mu_q"], v["sigma_q"])))
        else:
            out["kl_qp"], out["kl_pq"] = out["kl_qp_grid"], out["kl_pq_grid"]
        out["_q"], out["_p"] = q, p  # type: ignore[assignment]
        return out

    def update(self) -> None:
        """Recompute both KLs and redraw the two curves (blitted onto the static axes)."""
        v = self._params()
        mix = self.mode.value == "mixture"
        self.sliders["separation"].disabled = self.sliders["weight"].disabled = not mix
        r = self._kls(v)
        q, p = r.pop("_q"), r.pop("_p")
        top = next(t for t in (0.6, 1.2, 2.1) if max(q.max(), p.max()) * 1.05 <= t or t == 2.1)
        if top != self._ytop:  # rescale only when the curves outgrow / shrink past a level
            self._ytop = top
            self._ax.set_ylim(0, top)
            self._fig.refresh()
        self._lq.set_ydata(q)
        self._lp.set_ydata(p)
        self.values = r
        self.image.value = self._fig.render()
        exact = "closed form" if not mix else "quadrature (no closed form for a mixture)"
        self.text.value = (
            "<table style='font-family:monospace'>"
            f"<tr><td></td><td>{exact}</td><td>Monte Carlo (n={self._eps.size})</td></tr>"
            f"<tr><td>KL(q‖p)</td><td>{r['kl_qp']:.4f}</td><td>{r['kl_qp_mc']:.4f}</td></tr>"
            f"<tr><td>KL(p‖q)</td><td>{r['kl_pq']:.4f}</td><td>{r['kl_pq_mc']:.4f}</td></tr></table>"
            "<small>nats; KL is not symmetric</small>")

    def fit(self, direction: str) -> tuple[float, float]:
        """Set q to the Gaussian minimising ``"qp"``: KL(q||p) or ``"pq"``: KL(p||q); returns (mu_q, sigma_q).

        KL(p||q) is minimised by moment matching (q gets p's mean and variance); KL(q||p) by a
        numerical search on the grid, started from the current q.
        """
        if direction not in ("qp", "pq"):
            raise ValueError(f"direction must be 'qp' (KL(q||p)) or 'pq' (KL(p||q)); got {direction!r}")
        v = self._params()
        g, w = self._grid, self._w
        p = np.exp(self._log_p(g, v))
        if direction == "pq":
            mean = float((w * p * g).sum())
            mu, sigma = mean, math.sqrt(float((w * p * (g - mean) ** 2).sum()))
        else:
            from scipy.optimize import minimize

            lp = self._log_p(g, v)

            def obj(th: np.ndarray) -> float:
                lq = _log_normal(g, th[0], math.exp(th[1]))
                return float((w * np.exp(lq) * (lq - lp)).sum())

            res = minimize(obj, np.array([v["mu_q"], math.log(v["sigma_q"])]), method="Nelder-Mead",
                           options={"xatol": 1e-4, "fatol": 1e-8})
            mu, sigma = float(res.x[0]), math.exp(float(res.x[1]))
        self._hold = True
        try:
            self.sliders["mu_q"].value = _clamp(mu, *self.MU_RANGE)
            self.sliders["sigma_q"].value = _clamp(sigma, *self.SIGMA_RANGE)
        finally:
            self._hold = False
        self.update()
        return float(self.sliders["mu_q"].value), float(self.sliders["sigma_q"].value)


# --------------------------------------------------------------------------- ELBOGapExplorer
class ELBOGapExplorer(_Explorer):
    r"""Move a Gaussian q(z) and watch log p(x) = ELBO(q) + KL(q || p(z|x)) hold at every position.

    On :class:`vae_lib.toy.NonlinearToy1D` (default: p(z) = N(0, 1),
    p(x|z) = N(x; z^2 + z/2, 0.5^2)) log p(x) and the (two-bump) posterior p(z|x) are exact
    on a fine grid. Left: p(z|x) and q. Right, a waterfall: the bar of log p(x), the bar of the
    ELBO, and the KL stacked on the ELBO's end, which always reaches log p(x) (dashed line). The button runs
    gradient ascent on the ELBO (:meth:`NonlinearToy1D.fit_q`) and moves the sliders there.

    Attributes:
        sliders: ``{"x", "mu", "sigma"}`` -> ``FloatSlider`` (q's ranges are where the grid is accurate).
        image: the plot; ``values``: ``{"log_px", "elbo", "kl", "gap"}`` at the current q.
    """

    def __init__(self, toy: NonlinearToy1D | None = None, *, x: float = 1.5, mu: float = 0.0,
                 sigma: float = 1.0) -> None:
        self.toy = toy if toy is not None else NonlinearToy1D()
        T = self.toy
        mu, sigma = T.clamp_q(mu, sigma)

        def fs(desc: str, v: float, lo: float, hi: float, step: float = 0.01) -> W.FloatSlider:
            return W.FloatSlider(value=_clamp(v, lo, hi), min=lo, max=hi, step=step, description=desc,
                                 continuous_update=True, readout_format=".2f", layout=W.Layout(width="300px"))

        self.sliders = {"x": fs("x", x, -1.0, 6.0), "mu": fs("μ of q", mu, -T.MU_MAX, T.MU_MAX),
                        "sigma": fs("σ of q", sigma, T.SIGMA_MIN, T.SIGMA_MAX)}
        self.fit_button = W.Button(description="fit q (max ELBO)")
        self.fit_button.on_click(lambda _: self.fit())
        self.text = W.HTML()
        self.values: dict[str, float] = {}
        self._zs = T.z[::4].numpy()           # plot on every 4th grid point (3001 points)
        fig, (ax, bx) = _new_figure((7.0, 2.8), dpi=80, ncols=2, gridspec_kw={"width_ratios": [2.0, 1.3]})
        ax.set_xlim(-3.5, 3.5)
        ax.set_xlabel("z")
        ax.set_ylabel("density")
        (self._lpost,) = ax.plot(self._zs, self._zs * 0, color="tab:orange", lw=2, label="p(z|x) exact")
        (self._lq,) = ax.plot(self._zs, self._zs * 0, color="tab:blue", lw=2, label="q(z)")
        ax.legend(loc="upper left", fontsize=8)
        bx.set_xticks([0, 1, 2], ["log p(x)", "ELBO", "+ KL"], fontsize=8)
        bx.set_xlim(-0.6, 2.6)
        self._lpx_line = bx.axhline(0, color="0.2", lw=1, ls="--")
        bx.set_ylabel("nats")
        bx.axhline(0, color="0.5", lw=0.8)
        self._b_lpx = bx.bar([0], [0], color="0.35", width=0.6)[0]
        self._b_elbo = bx.bar([1], [0], color="tab:blue", width=0.6, label="ELBO")[0]
        self._b_kl = bx.bar([2], [0], color="tab:red", width=0.6, label="KL(q‖p(z|x))")[0]
        (self._elbo_level,) = bx.plot([1.3, 1.7], [0, 0], color="0.3", lw=1, ls=":")
        bx.legend(loc="lower right", fontsize=7)
        fig.tight_layout(pad=0.4)
        self._ax, self._bx = ax, bx
        self._fig = _BlitFigure(fig, [self._lpost, self._lq, self._b_lpx, self._b_elbo, self._b_kl, self._elbo_level])
        self._x_drawn: float | None = None
        self.image = _image()
        self._hold = False
        for s in self.sliders.values():
            s.observe(lambda ch: self._changed(), names="value")
        self.update()
        sl = self.sliders
        self.widget = W.HBox([W.VBox([sl["x"], sl["mu"], sl["sigma"], self.fit_button, self.text]), self.image])

    def _changed(self) -> None:
        if not self._hold:
            self.update()

    def _new_x(self, x: float) -> None:
        """x moved: recompute the exact posterior and rescale the axes (a full redraw, rare)."""
        T = self.toy
        post = T.log_posterior(x).exp()[::4].numpy()
        self._post = post
        self._lpost.set_ydata(post)
        lpx = T.log_marginal(x)
        self._ax.set_ylim(0, max(2.0, float(post.max()) * 1.15))
        self._bx.set_ylim(min(lpx, 0) - 8.0, max(lpx, 0) + 1.0)  # ELBOs far below are clipped (value in the text)
        self._lpx_line.set_ydata([lpx, lpx])
        self._x_drawn = x
        self._fig.refresh()

    def update(self) -> None:
        """Exact log p(x), ELBO and KL at the sliders' q; redraw q and the bars (blitted)."""
        x, mu, sigma = (float(self.sliders[k].value) for k in ("x", "mu", "sigma"))
        if self._x_drawn != x:
            self._new_x(x)
        v = self.toy.elbo_terms(x, mu, sigma)
        self.values = v
        q = np.exp(_log_normal(self._zs, mu, sigma))
        self._lq.set_ydata(q)
        lo = self._bx.get_ylim()[0]
        self._b_lpx.set_height(v["log_px"])
        e = max(v["elbo"], lo)  # clip at the axis bottom; the text shows the real value
        self._b_elbo.set_height(e)
        self._b_kl.set_y(e)
        self._b_kl.set_height(v["log_px"] - e)
        self._elbo_level.set_ydata([e, e])
        self.image.value = self._fig.render()
        self.text.value = (
            "<table style='font-family:monospace'>"
            f"<tr><td>log p(x)</td><td>{v['log_px']:.4f}</td></tr>"
            f"<tr><td>ELBO</td><td>{v['elbo']:.4f}</td></tr>"
            f"<tr><td>KL(q‖p(z|x))</td><td>{v['kl']:.4f}</td></tr>"
            f"<tr><td>log p(x) − ELBO − KL</td><td>{v['gap']:.1e}</td></tr></table><small>nats</small>")

    def fit(self, steps: int = 150, lr: float = 0.05) -> dict[str, float]:
        """Gradient ascent on the exact ELBO from the current q; moves the sliders to the optimum."""
        x = float(self.sliders["x"].value)
        out = self.toy.fit_q(x, float(self.sliders["mu"].value), float(self.sliders["sigma"].value),
                             steps=steps, lr=lr)
        self._hold = True
        try:
            self.sliders["mu"].value = _clamp(out["mu"], self.sliders["mu"].min, self.sliders["mu"].max)
            self.sliders["sigma"].value = _clamp(out["sigma"], self.sliders["sigma"].min, self.sliders["sigma"].max)
        finally:
            self._hold = False
        self.update()
        return self.values
