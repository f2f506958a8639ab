"""Pictures for the explorers: PNG bytes of images, static figures sent once, blitted figures, a marker.

Everything a slider event may touch is cheap here: :func:`render_png` (a nearest-neighbour
upscale and a PNG encode), :meth:`BlitFigure.render` (redraw the changing lines on a saved
background), :meth:`Overlay.place` (change a marker's CSS margin: a few bytes of JSON), and
:meth:`.svg.LiveFigure.update` (the changing curves as a few kB of SVG, in :mod:`.svg`).
Everything else (matplotlib drawing, palette quantisation) runs once per explorer.

The sizes (image scale, figure resolution, font sizes, slider widths, marker radius) are
fields of one :class:`Style`, so that a larger presentation (a projector) changes one object.
Images follow :mod:`vae_lib.plots`: pixel probability 1 (ink) is black, 0 is white.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

from .. import validate
from ..i18n import use_fonts

__all__ = ["MARKER_COLOR", "SCALE", "SIZES", "BlitFigure", "Overlay", "PaletteBackground", "Style",
           "draw_recording_text", "image_widget", "new_figure", "png_bytes", "render_png", "scatter_background",
           "style_css"]


@dataclass(frozen=True)
class Style:
    """Every size the explorers use, in one place (screen pixels unless a field says otherwise).

    Two are defined (:data:`SIZES`): ``"notebook"`` (the default: sized for a notebook column) and
    ``"large"`` (a projector: a 1920 x 1080 screen filled, the main picture >= 420 px tall, labels,
    readouts, captions and numbers at 20 px, plot text >= 16 px). An explorer takes ``size="large"``.
    Text in figures is in points (matplotlib's default 10 pt for ticks and axis labels); on screen it is
    ``points * dpi / 72`` pixels (:meth:`px`): at the large style's 120 dpi, 10 pt is 16.7 px.
    """

    name: str = "notebook"
    image_scale: int = 6          # screen pixels per image pixel: the large decoded image (28 -> 168)
    png_scale: int = 0            # pixels per image pixel in the PNG a move sends (0: the screen scale; else the
                                  # browser enlarges it to the screen scale, pixelated: fewer bytes to encode/decode)
    compare_scale: int = 5        # the same, several large images side by side (InterpolationExplorer)
    thumb_scale: int = 2          # grids of small images (panels, thumbnails)
    strip_scale: int = 2          # the interpolation path strips
    slider_width: int = 320       # a slider with its description and readout
    wide_slider_width: int = 420  # the one slider an explorer is about (beta, alpha)
    control_width: int = 170      # a dropdown or a number box
    description_width: str = ""   # CSS width of a slider's description ("": ipywidgets' default)
    dpi: int = 80                 # matplotlib figures (their sizes are in inches)
    scatter_size: tuple[float, float] = (3.6, 3.6)  # latent scatters and the rate-distortion curve (inches)
    kl_size: tuple[float, float] = (5.2, 2.8)       # the KL explorer's densities
    elbo_size: tuple[float, float] = (7.0, 2.8)     # the ELBO-gap explorer's densities and bars
    font_normal: float = 10       # figure titles, legends of the toy plots
    font_label: float = 8         # small legends, tick labels of the bars
    font_small: float = 7         # annotations, the smallest legends
    font_tiny: float = 6          # the scatter's class legend
    line_width: float = 2         # the curves of the toy explorers (points)
    marker_radius: int = 9        # the ring that marks the current point on a static picture
    css_font_px: int = 0          # labels, readouts, captions and numbers (0: the notebook theme's sizes)
    gap_px: int = 24              # space between panels

    def px(self, points: float) -> float:
        """Screen pixels of ``points`` of matplotlib text drawn at this style's dpi (shown at natural size)."""
        return points * self.dpi / 72


#: the sizes an explorer takes (``size="notebook"`` or ``size="large"``)
SIZES: dict[str, Style] = {
    "notebook": Style(),
    "large": Style(name="large", image_scale=17, png_scale=1, compare_scale=17, thumb_scale=3, strip_scale=2,
                   slider_width=560,
                   wide_slider_width=680, control_width=250, description_width="130px", dpi=120,
                   scatter_size=(4.0, 4.0), kl_size=(8.4, 4.0), elbo_size=(9.6, 4.0), font_normal=12,
                   font_label=10, font_small=10, font_tiny=10, line_width=2.5, marker_radius=14, css_font_px=20,
                   gap_px=32),
}


def style_css(style: Style) -> str:
    """The CSS of an explorer drawn in ``style`` (scoped to the root's class ``vae-size-<name>``): for a
    style with ``css_font_px``, every label, readout, caption and number at that size and the controls
    grown to match; nothing for the notebook style (the theme's sizes)."""
    f = style.css_font_px
    root = f".vae-size-{style.name}"
    pixels = f"{root} img.vae-pixels {{image-rendering: pixelated}}\n" if style.png_scale else ""
    if not f:
        return pixels
    texts = ", ".join(f"{root} {sel}" for sel in (
        ".widget-label", ".widget-readout", ".widget-html-content", ".widget-button", ".widget-toggle-button",
        ".widget-dropdown select", ".widget-text input", "td", "th", ".lm-TabBar-tab"))
    return (f"{root} {{--jp-widgets-font-size: {f}px; --jp-ui-font-size1: {f}px; "
            f"--jp-widgets-inline-height: {round(f * 1.8)}px; --jp-widgets-inline-label-width: "
            f"{style.description_width or '130px'}; --jp-widgets-slider-handle-size: {round(f * 1.1)}px; "
            f"--jp-widgets-slider-track-thickness: {round(f * 0.3)}px; "
            f"--jp-widgets-horizontal-tab-height: {round(f * 2)}px; --jp-widgets-horizontal-tab-width: "
            f"{f * 11}px; font-size: {f}px}}\n"
            f"{texts} {{font-size: {f}px}}\n"
            f"{root} .widget-readout {{min-width: {f * 3.5:.0f}px}}\n"
            f"{root} .widget-html-content {{line-height: 1.35}}\n"
            f"{root} td, {root} th {{padding: 1px 10px 1px 0}}\n"
            f"{root} .lm-TabBar-tab {{line-height: {round(f * 2)}px; min-height: {round(f * 2)}px}}\n" + pixels)


def draw_recording_text(fig: Any) -> list[tuple[str, float]]:
    """Draw ``fig`` on its Agg canvas and return every text the renderer drew, with its font size in
    screen pixels at the figure's natural size (points * dpi / 72), smallest first."""
    canvas = fig.canvas
    renderer = canvas.get_renderer()
    seen: list[tuple[str, float]] = []
    draw_text = renderer.draw_text

    def spy(gc: Any, x: float, y: float, s: str, prop: Any, angle: float, *a: Any, **k: Any) -> Any:
        if s.strip():
            seen.append((s, prop.get_size_in_points() * fig.dpi / 72))
        return draw_text(gc, x, y, s, prop, angle, *a, **k)

    renderer.draw_text = spy
    try:
        canvas.draw()
    finally:
        del renderer.draw_text
    return sorted(seen, key=lambda t: t[1])


#: the default screen pixels per image pixel (28 x 28 -> 168 x 168)
SCALE = Style().image_scale
_MAX_SCALE = validate.CAPS["scale"][0]
MARKER_COLOR = (230, 20, 20)


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes of a PIL image (fast compression: these are sent to a browser once each)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def render_png(probs: torch.Tensor, *, scale: int = SCALE, nrow: int | None = None, pad: int = 1) -> bytes:
    """PNG bytes of pixel probabilities ``[H, W]``, ``[1, H, W]`` or ``[N, 1, H, W]`` in [0, 1].

    Ink (probability 1) is black on white, as in :mod:`vae_lib.plots`; each pixel becomes a
    ``scale x scale`` block (nearest neighbour, no blur). Several images are tiled ``nrow`` per
    row (``torchvision.utils.make_grid``) with ``pad`` white pixels between them (before scaling),
    no outer frame; a missing image at the end of the last row is white. NaN pixels are refused; ``scale`` is
    capped (``vae_lib.validate.CAPS["scale"]``) and so is the size of the picture.
    """
    if not isinstance(probs, torch.Tensor):
        raise TypeError(f"render_png draws a tensor of pixel probabilities; got {validate._kind(probs)}")
    if type(scale) is not int or not 1 <= scale <= _MAX_SCALE:
        scale = validate.count(scale, "scale", cap="scale")
    if nrow is not None:
        nrow = validate.count(nrow, "nrow")
    p = probs.detach().to("cpu", torch.float32)
    shape = p.shape
    if len(shape) == 3 and shape[0] == 1:  # one image: the update path of a slider
        p = p[0]
    elif len(shape) == 4 and shape[1] == 1:
        if shape[0] == 1:
            p = p[0, 0]
        else:
            n = shape[0]
            nrow = n if nrow is None else max(1, min(int(nrow), n))
            grid = make_grid(p, nrow=nrow, padding=pad, pad_value=0.0)[0]
            p = grid[pad:grid.shape[0] - pad, pad:grid.shape[1] - pad]
    if p.dim() != 2:
        raise ValueError(f"render_png expects [H, W], [1, H, W] or [N, 1, H, W]; got {list(probs.shape)}")
    validate.elements(p.numel() * scale * scale, f"a picture of {p.shape[0]} x {p.shape[1]} pixels at scale {scale}")
    a = p.numpy()  # numpy is faster than torch on a few hundred numbers
    if not np.isfinite(a).all():
        raise ValueError("render_png: the pixel probabilities hold NaN or infinite values (a decoder fed NaN codes?)")
    img = Image.fromarray(np.rint((1.0 - np.clip(a, 0.0, 1.0)) * 255.0).astype(np.uint8), mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return png_bytes(img)


def new_figure(figsize: tuple[float, float], dpi: int = 80, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A figure with an Agg canvas that pyplot never shows (no stray output in notebooks), its text in a font of the
    current language (:func:`vae_lib.i18n.use_fonts`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_fonts()
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, **kw)
    return fig, axes


class PaletteBackground:
    """A matplotlib figure rasterised once into a palette PNG (``plain``: ~20 kB, sent once).

    ``to_pixel(x, y)`` maps data coordinates of ``ax`` to image pixels (origin top left), so a
    marker can be laid over the picture (:class:`Overlay`) instead of redrawing the figure
    (tens of ms); ``to_data`` is its inverse.

    Attributes:
        plain: the PNG bytes; ``image``: the palette PIL image; ``rgb``: its ``[H, W, 3]`` pixels;
        ``height`` / ``width``: its size in pixels; ``texts``: every text drawn, ``(text, px)`` with its
        font size in screen pixels at natural size, smallest first (:func:`draw_recording_text`).
    """

    def __init__(self, fig: Any, ax: Any) -> None:
        self.texts = draw_recording_text(fig)
        rgba = np.asarray(fig.canvas.buffer_rgba())
        self.height, self.width = rgba.shape[:2]
        self.rgb = np.ascontiguousarray(rgba[:, :, :3])
        self.image = Image.fromarray(self.rgb, mode="RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        self._trans = ax.transData
        self.plain = png_bytes(self.image)

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """The picture's pixel ``(column, row)`` of the data point (x, y)."""
        px, py = self._trans.transform((x, y))
        return float(px), float(self.height - py)

    def to_data(self, px: float, py: float) -> tuple[float, float]:
        """The data point at the picture's pixel ``(column, row)`` (the inverse of :meth:`to_pixel`)."""
        x, y = self._trans.inverted().transform((px, self.height - py))
        return float(x), float(y)


class BlitFigure:
    """A small matplotlib figure whose static parts are drawn once; :meth:`render` redraws only
    the ``animated`` artists on the saved background (blitting) and returns PNG bytes."""

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
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def render(self) -> bytes:
        self.canvas.restore_region(self._background)
        for a in self.animated:
            if a.get_visible():
                a.axes.draw_artist(a)
        w, h = self.canvas.get_width_height(physical=True)  # PIL drops the alpha channel 6x faster than numpy
        return png_bytes(Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB"))


def _marker_png(r: int) -> bytes:
    """A red ring of radius ``r`` with a white rim and a cross at its centre, on a transparent square."""
    img = Image.new("RGBA", (2 * r, 2 * r), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, 2 * r - 1, 2 * r - 1), outline=(255, 255, 255, 255), width=5)
    d.ellipse((1, 1, 2 * r - 2, 2 * r - 2), outline=(*MARKER_COLOR, 255), width=3)
    d.line((r - 3, r, r + 2, r), fill=(*MARKER_COLOR, 255))
    d.line((r, r - 3, r, r + 2), fill=(*MARKER_COLOR, 255))
    return png_bytes(img)


class Overlay:
    """The static picture of a :class:`PaletteBackground` with a marker ``Image`` laid over it (same grid cell).

    Moving the marker (:meth:`place`) changes its CSS ``margin`` (a few bytes of JSON); the picture
    is sent to the browser once.

    Attributes:
        picture: the ``Image`` of the background; ``marker``: the ring; ``box``: the ``GridBox``
        holding both (what to put in a layout); ``background``; ``radius``: the ring's radius.

    :meth:`pin` adds more rings, each fixed at one point (to be shown and hidden by CSS classes).
    """

    def __init__(self, background: PaletteBackground, radius: int) -> None:
        self.background, self.radius = background, radius
        h, w = background.height, background.width
        self.picture = W.Image(value=background.plain, format="png",  # no margin: the rings' margins count from here
                               layout=W.Layout(width=f"{w}px", height=f"{h}px", grid_area="a", margin="0"))
        self.marker = self._ring()
        self.box = W.GridBox([self.picture, self.marker],
                             layout=W.Layout(grid_template_areas='"a"', justify_items="flex-start",
                                             align_items="flex-start", width=f"{w}px", height=f"{h}px"))

    def _ring(self) -> W.Image:
        r = self.radius
        return W.Image(value=_marker_png(r), format="png",
                       layout=W.Layout(width=f"{2 * r}px", height=f"{2 * r}px", grid_area="a", align_self="flex-start"))

    def margin(self, x: float, y: float) -> str:
        """The CSS margin that centres a ring on the data point (x, y) of the background's axes."""
        px, py = self.background.to_pixel(x, y)
        return f"{round(py) - self.radius}px 0 0 {round(px) - self.radius}px"

    def pin(self, x: float, y: float) -> W.Image:
        """A new ring fixed on the data point (x, y) (hidden when x or y is not finite), laid over the picture."""
        ring = self._ring()
        if math.isfinite(x) and math.isfinite(y):
            ring.layout.margin = self.margin(x, y)
        else:
            ring.layout.visibility = "hidden"
        self.box.children = (*self.box.children, ring)
        return ring

    def place(self, x: float, y: float) -> None:
        """Centre the marker on the data point (x, y) of the background's axes (and show it)."""
        self.place_at(self.margin(x, y))

    def place_at(self, margin: str) -> None:
        """Move the marker to a CSS ``margin`` from :meth:`margin` (and show it)."""
        lay = self.marker.layout
        if lay.margin != margin:
            lay.margin = margin
        if lay.visibility != "visible":
            lay.visibility = "visible"

    def hide(self) -> None:
        self.marker.layout.visibility = "hidden"


def image_widget(value: bytes = b"", size: int | None = None, pixelated: bool = False) -> W.Image:
    """A PNG ``Image`` shown at its natural size (``size``: a square's side in CSS pixels), never
    stretched by its container (stretching would blur the nearest-neighbour pixels). ``pixelated``:
    its PNG is smaller than ``size`` and the browser enlarges it without blur (CSS class ``vae-pixels``,
    ``image-rendering: pixelated`` from :func:`style_css`)."""
    lay = {"align_self": "flex-start"}
    if size:
        lay.update(width=f"{size}px", height=f"{size}px")
    img = W.Image(value=value, format="png", layout=W.Layout(**lay))
    if pixelated:
        img.add_class("vae-pixels")
    return img


def scatter_background(z: torch.Tensor, labels: torch.Tensor | None, lims: Sequence[tuple[float, float]],
                       title: str, style: Style, xlabel: str = "$z_1$", ylabel: str = "$z_2$",
                       class_names: Sequence[str] | None = None) -> PaletteBackground:
    """A scatter of 2-D codes coloured by label (:func:`vae_lib.plots.latent_scatter`), drawn once."""
    from ..plots import latent_scatter

    fig, ax = new_figure(style.scatter_size, dpi=style.dpi)
    latent_scatter(z, labels, ax=ax, title=title, s=2.0, alpha=0.5, class_names=class_names)
    ax.set_xlim(*lims[0])
    ax.set_ylim(*lims[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    leg = ax.get_legend()
    if leg is not None:
        leg.remove()
        ax.legend(markerscale=3, fontsize=style.font_tiny, loc="upper right", framealpha=0.7, ncol=2, title=None)
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.14, top=0.92)  # (tight_layout costs 0.1 s)
    return PaletteBackground(fig, ax)
