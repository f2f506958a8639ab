r"""LatentExplorer: one slider per latent dimension; the decoded image follows while a slider moves."""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence
from typing import Any

import ipywidgets as W
import torch

from .. import validate
from ..i18n import tr
from ..runtime import one_thread
from .base import Explorer, clamp, has_elbo, has_prior, missing_data, model_dataset, resolve_dataset, resolve_model
from .render import MARKER_COLOR, Overlay, PaletteBackground, image_widget, render_png, scatter_background

__all__ = ["LatentExplorer"]


def _latent_values(z: Any, k: int) -> list[float]:
    """``k`` latent values from a tensor or a sequence of numbers (NaN and inf are clamped later, as documented)."""
    if isinstance(z, (str, bytes)) or z is None or not (isinstance(z, (torch.Tensor, Sequence))
                                                          or hasattr(z, "__array__")):
        raise TypeError(f"z must be {k} numbers (a list or a tensor); got {validate._kind(z)}")
    try:
        values = torch.as_tensor(z, dtype=torch.float32).flatten().tolist()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"z must be {k} numbers (a list or a tensor); got {validate._kind(z)} ({exc})") from None
    if len(values) != k:
        raise ValueError(f"expected {k} latent values; got {len(values)}")
    return values


class LatentExplorer(Explorer):
    r"""One slider per latent dimension; the decoded image follows while a slider moves.

    Each slider spans :math:`\pm 3\sigma`: of the prior N(0, 1) (``range="prior"``, the
    default for a model with an ELBO) or of the aggregate posterior, i.e. mean +- 3 std of the
    test codes (``range="posterior"``, the default for the other models, and the only choice for a plain
    Autoencoder, which has no prior; an adversarial autoencoder has one, N(0, I), and may take either).
    For a 2-D model a scatter of test codes coloured by label sits beside the image, with a red
    ring at the current z. A conditional model gets a label selector too.

    Args:
        model: a VAE, Autoencoder or ConditionalVAE (any latent size), or a zoo name.
        dataset: test images for the scatter and the posterior range: ``"mnist"``, ``"fashion"``,
            an ``(images, labels)`` pair, or ``None`` (the model's zoo dataset, else MNIST).
            Without them (offline, no copy) the scatter is left out.
        range: ``"prior"`` or ``"posterior"`` (see above).
        n_points: test images encoded for the scatter / range (an integer >= 1).
        scale: screen pixels per image pixel (default ``style.image_scale``: 6, or 17 at ``size="large"``).
        scatter: show the scatter of a 2-D model.
        clickable: show the scatter in an ipympl canvas that takes clicks (a click moves z);
            its marker is redrawn by matplotlib after each event (slower than the default).
        size: ``"notebook"`` (default) or ``"large"`` (a projector: :data:`~vae_lib.widgets.render.SIZES`).

    Attributes:
        sliders: the ``FloatSlider`` of each latent dimension (``z_k``).
        image: an ``ipywidgets.Image`` whose ``.value`` is the PNG of ``model.decode_mean(z)``, drawn at
            ``png_scale`` pixels per image pixel (= ``scale``, unless the style has a ``png_scale``: the large
            style sends 28 x 28 and the browser enlarges it, pixelated) and shown at ``scale``.
        scatter: the scatter ``Image`` (2-D models with test data), sent once, else ``None``; with
            ``clickable=True`` an ipympl canvas instead, where a click moves z to the clicked point.
        marker: the small ring ``Image`` laid over the scatter; an event only changes its CSS
            ``layout.margin`` (its offset), so the scatter is never re-sent.
        background: the scatter's :class:`~vae_lib.widgets.render.PaletteBackground` (else ``None``):
            ``background.to_pixel(z1, z2)`` is the pixel of a point on the scatter, ``to_data`` the inverse.
        label: the label ``Dropdown`` of a conditional model, else ``None``.
        z: the current latent code, a float32 tensor ``[K]``.
        bounds: ``[(low, high)]`` of each slider; ``range``: ``"prior"`` or ``"posterior"``.

    ``set_z(z)`` moves all sliders at once (clamped) with a single update; ``click_at(px, py)``
    does what a click on the scatter's pixel (px, py) does.
    """

    def __init__(self, model: torch.nn.Module | str, *, dataset: Any = None, range: str | None = None,
                 n_points: int = 5000, scale: int | None = None, scatter: bool = True, clickable: bool = False,
                 size: Any = "notebook") -> None:
        self.use_size(size)
        model = resolve_model(model)
        n_points = validate.count(n_points, "n_points")
        self.scale = validate.count(scale if scale is not None else self.style.image_scale, "scale", cap="scale")
        scatter = validate.flag(scatter, "scatter")
        clickable = validate.flag(clickable, "clickable")
        if range is None:
            range = "prior" if has_elbo(model) else "posterior"
        validate.choice(range, "range", ("prior", "posterior"))
        if range == "prior" and not has_prior(model):
            raise ValueError(f"a {type(model).__name__} has no prior: use range='posterior' (mean +- 3 std of the "
                             "test codes)")
        self.model = model.eval()
        K = model.latent_dim
        need_data = range == "posterior" or (K == 2 and scatter)
        data = resolve_dataset(dataset, model) if need_data else None
        if range == "posterior" and data is None:
            raise ValueError("range='posterior' needs test images: pass dataset=(images, labels) or extract MNIST "
                             "into the data folder (see vae_lib.data). " + missing_data(dataset, model))
        codes = labels = None
        if data is not None:
            images, labels = data[0][:n_points], data[1][:n_points]
            codes = model.posterior_mean(images, labels if model.is_conditional else None)
        if range == "posterior":
            center, spread = codes.mean(0), codes.std(0).nan_to_num(0.0).clamp_min(1e-3)
        else:
            center, spread = torch.zeros(K), torch.ones(K)
        self.range = range
        self.bounds = [(float(c - 3 * s), float(c + 3 * s)) for c, s in zip(center, spread)]
        self.sliders: list[W.FloatSlider] = [
            self.slider(f"z{k + 1}", float(center[k]), lo, hi, step=(hi - lo) / 300)
            for k, (lo, hi) in enumerate(self.bounds)]
        self.label: W.Dropdown | None = None
        if model.is_conditional:
            self.label = W.Dropdown(options=list(builtins.range(model.n_classes)), value=0, description=tr("label"),
                                    layout=self.control_layout(), **self.description_style())
        self.z = torch.tensor([s.value for s in self.sliders], dtype=torch.float32)
        # the PNG is drawn at png_scale (the browser enlarges it, pixelated) when the style says so
        self.png_scale = self.style.png_scale if 0 < self.style.png_scale < self.scale else self.scale
        self.image = image_widget(size=28 * self.scale, pixelated=self.png_scale != self.scale)
        self.scatter: W.DOMWidget | None = None
        self.marker: W.Image | None = None
        self.background: PaletteBackground | None = None
        self._overlay: Overlay | None = None
        if K == 2 and scatter and codes is not None:
            names = None
            if (dataset if isinstance(dataset, str) else model_dataset(model)) == "fashion":
                from ..data import DATASETS

                names = DATASETS["fashion"][1]
            self.background = scatter_background(codes, labels, self.bounds, tr("test codes (mean of q(z|x))"),
                                                 self.style, class_names=names)
            if clickable:
                self.scatter = scatter_view = self._click_canvas()
            else:  # the scatter is sent once; only the marker's CSS position changes per event
                self._overlay = Overlay(self.background, self.style.marker_radius)
                self.scatter, self.marker, scatter_view = self._overlay.picture, self._overlay.marker, self._overlay.box
            self.scatter.add_class("vae-latent-scatter")
        self.watch(*self.sliders, *([self.label] if self.label is not None else []))
        self.update()
        title = W.HTML(tr("<b>{model}</b>, K = {K}: drag a slider to move z (range: +-3 sigma of the prior)")
                       .format(model=type(model).__name__, K=K) if range == "prior" else
                       tr("<b>{model}</b>, K = {K}: drag a slider to move z (range: mean +-3 std of the test codes)")
                       .format(model=type(model).__name__, K=K))
        left = W.VBox([*([self.label] if self.label is not None else []), *self.sliders, self.image])
        row = W.HBox([left, scatter_view] if self.scatter is not None else [left])
        if self.style.css_font_px:
            row.layout.grid_gap = f"{self.style.gap_px}px"
        self.widget = self.finish(W.VBox([title, row]))

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        return {} if self.background is None else {"vae-latent-scatter": self.background.texts}

    # the update path: one decoder forward + one PNG (+ the marker's CSS offset for 2-D)
    def update(self) -> None:
        """Decode the sliders' z and refresh the image (and the marker on the scatter)."""
        self.z = z = torch.tensor([s.value for s in self.sliders], dtype=torch.float32)
        y = None if self.label is None else torch.tensor([int(self.label.value)])
        with torch.inference_mode(), one_thread():  # z comes from the sliders: finite, in range (no checks here)
            probs = self.model._decode_mean_raw(z[None], y)[0]
        png = render_png(probs, scale=self.png_scale)
        # everything computed first, then sent back to back (the kernel publishes both in one go)
        margin = self._overlay.margin(float(z[0]), float(z[1])) if self._overlay is not None else None
        self.image.value = png
        if margin is not None:  # a few bytes of JSON: the marker's offset in CSS pixels
            self._overlay.place_at(margin)
        elif self.background is not None:  # ipympl canvas: move the marker, redraw later
            self._click_marker.set_data(*([v] for v in self.background.to_pixel(float(z[0]), float(z[1]))))
            self.scatter.draw_idle()

    def set_z(self, z: Sequence[float] | torch.Tensor) -> torch.Tensor:
        """Move every slider at once (values clamped to the sliders' ranges); one update. Returns ``.z``."""
        values = _latent_values(z, len(self.sliders))
        with self.holding():
            for s, v, (lo, hi) in zip(self.sliders, values, self.bounds):
                s.value = clamp(v, lo, hi)
        self.update()
        return self.z

    # the clickable scatter (ipympl)
    def _click_canvas(self) -> W.DOMWidget:
        """An ipympl canvas showing the scatter (one pre-rendered image) and a marker; clicks move z."""
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        bg = self.background
        h, w = bg.height, bg.width
        fig = Figure(figsize=(w / self.style.dpi, h / self.style.dpi), dpi=self.style.dpi)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(bg.rgb, extent=(0, w, h, 0), interpolation="nearest")
        ax.set_axis_off()
        (self._click_marker,) = ax.plot([0], [0], "o", mfc="none", mec=[c / 255 for c in MARKER_COLOR],
                                        ms=13 * self.style.marker_radius / 9, mew=3)
        canvas = Canvas(fig)
        with warnings.catch_warnings():  # ipympl 0.10's Toolbar trips a traitlets DeprecationWarning
            warnings.simplefilter("ignore", DeprecationWarning)
            FigureManager(canvas, 0)
        canvas.toolbar_visible = canvas.header_visible = canvas.footer_visible = canvas.resizable = False
        canvas.layout = W.Layout(width=f"{w + 8}px", height=f"{h + 8}px")
        canvas.mpl_connect("button_press_event", self._on_click)
        return canvas

    def _on_click(self, event: Any) -> None:
        if event.xdata is not None and event.ydata is not None:
            self.click_at(event.xdata, event.ydata)

    def click_at(self, px: float, py: float) -> torch.Tensor:
        """Move z to the point under the scatter's pixel (px, py) (clamped), as a click does. Returns ``.z``."""
        px, py = validate.number(px, "px"), validate.number(py, "py")
        if self.background is None:
            raise ValueError("this explorer has no scatter (a 2-D model with test images) to click on")
        return self.set_z(self.background.to_data(px, py))
