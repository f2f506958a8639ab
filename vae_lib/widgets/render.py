"""Pictures for the explorers: PNG bytes of images, static figures sent once, blitted figures, a marker.

Everything a slider event may touch is cheap here: :func:`render_png` (a nearest-neighbour
upscale and a PNG encode), :meth:`BlitFigure.render` (redraw the changing lines on a saved
background), :meth:`Overlay.place` (change a marker's CSS margin: a few bytes of JSON).
Everything else (matplotlib drawing, palette quantisation) runs once per explorer.

The sizes (image scale, figure resolution, font sizes, slider widths, marker radius) are
fields of one :class:`Style`, so that a larger presentation (a projector) changes one object.
Images follow :mod:`vae_lib.plots`: pixel probability 1 (ink) is black, 0 is white.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

from .. import validate

__all__ = ["MARKER_COLOR", "SCALE", "BlitFigure", "Overlay", "PaletteBackground", "Style", "image_widget",
           "new_figure", "png_bytes", "render_png", "scatter_background"]


@dataclass(frozen=True)
class Style:
    """Every size the explorers use, in one place (screen pixels unless a field says otherwise)."""

    image_scale: int = 6          # screen pixels per image pixel: the large decoded image (28 -> 168)
    compare_scale: int = 5        # the same, several large images side by side (InterpolationExplorer)
    thumb_scale: int = 2          # grids of small images (panels, strips, thumbnails)
    slider_width: int = 320       # a slider with its description and readout
    wide_slider_width: int = 420  # the one slider an explorer is about (beta, alpha)
    control_width: int = 170      # a dropdown or a number box
    dpi: int = 80                 # matplotlib figures (their sizes are in inches)
    font_normal: float = 10       # figure titles, legends of the toy plots (matplotlib's default size)
    font_label: float = 8         # small legends, tick labels
    font_small: float = 7         # annotations, the smallest legends
    font_tiny: float = 6          # the scatter's class legend
    marker_radius: int = 9        # the ring that marks the current point on a static picture


#: the default screen pixels per image pixel (28 x 28 -> 168 x 168)
SCALE = Style().image_scale
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
    no outer frame; a missing image at the end of the last row is white.
    """
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
    if type(scale) is not int or scale < 1:
        scale = validate.count(scale, "scale")
    a = p.numpy()  # numpy is faster than torch on a few hundred numbers
    img = Image.fromarray(np.rint((1.0 - np.clip(a, 0.0, 1.0)) * 255.0).astype(np.uint8), mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return png_bytes(img)


def new_figure(figsize: tuple[float, float], dpi: int = 80, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    """A figure with an Agg canvas that pyplot never shows (no stray output in notebooks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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
        ``height`` / ``width``: its size in pixels.
    """

    def __init__(self, fig: Any, ax: Any) -> None:
        fig.canvas.draw()
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
    """

    def __init__(self, background: PaletteBackground, radius: int) -> None:
        self.background, self.radius = background, radius
        h, w = background.height, background.width
        self.picture = W.Image(value=background.plain, format="png",
                               layout=W.Layout(width=f"{w}px", height=f"{h}px", grid_area="a"))
        self.marker = W.Image(value=_marker_png(radius), format="png",
                              layout=W.Layout(width=f"{2 * radius}px", height=f"{2 * radius}px", grid_area="a",
                                              align_self="flex-start"))
        self.box = W.GridBox([self.picture, self.marker],
                             layout=W.Layout(grid_template_areas='"a"', justify_items="flex-start",
                                             align_items="flex-start", width=f"{w}px", height=f"{h}px"))

    def place(self, x: float, y: float) -> None:
        """Centre the marker on the data point (x, y) of the background's axes (and show it)."""
        px, py = self.background.to_pixel(x, y)
        margin = f"{round(py) - self.radius}px 0 0 {round(px) - self.radius}px"
        lay = self.marker.layout
        if lay.margin != margin:
            lay.margin = margin
        if lay.visibility != "visible":
            lay.visibility = "visible"

    def hide(self) -> None:
        self.marker.layout.visibility = "hidden"


def image_widget(value: bytes = b"", size: int | None = None) -> W.Image:
    """A PNG ``Image`` shown at its natural size (``size``: a square's side in CSS pixels), never
    stretched by its container (stretching would blur the nearest-neighbour pixels)."""
    lay = {"align_self": "flex-start"}
    if size:
        lay.update(width=f"{size}px", height=f"{size}px")
    return W.Image(value=value, format="png", layout=W.Layout(**lay))


def scatter_background(z: torch.Tensor, labels: torch.Tensor | None, lims: Sequence[tuple[float, float]],
                       title: str, style: Style, xlabel: str = "$z_1$", ylabel: str = "$z_2$",
                       class_names: Sequence[str] | None = None) -> PaletteBackground:
    """A scatter of 2-D codes coloured by label (:func:`vae_lib.plots.latent_scatter`), drawn once."""
    from ..plots import latent_scatter

    fig, ax = new_figure((3.6, 3.6), dpi=style.dpi)
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
