"""A figure in two layers for the toy explorers: static parts rasterised once, the changing curves as SVG.

:class:`LiveFigure` sends its axes once as a palette PNG and, per slider move, only its animated artists
(lines and bars, read from their current data) as a few kB of inline SVG laid over the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from PIL import Image

from .render import draw_recording_text, png_bytes

__all__ = ["LiveFigure"]


def _svg_color(c: Any) -> tuple[str, float]:
    from matplotlib.colors import to_hex, to_rgba

    rgba = to_rgba(c)
    return to_hex(rgba, keep_alpha=False), rgba[3]


class LiveFigure:
    """A matplotlib figure in two layers: its static parts rasterised once into a palette PNG
    (``picture``), and its ``animated`` artists (lines and bars) drawn as inline SVG over it (``layer``,
    an ``HTML`` widget laid over the picture, which can also carry HTML below the figure: the numbers).

    An update (:meth:`update`) sends one message: the SVG of the animated artists, read from their
    current data (``set_ydata``, ``set_height`` ...), and the HTML under it; a few kB of text instead of
    a PNG of the whole figure (which at projector size takes tens of ms to encode). Lines are thinned
    to about two points per screen pixel and clipped to their axes. :meth:`refresh` redraws the static
    parts (after changing limits); pictures already drawn for the same limits come from a cache.

    Attributes:
        picture: the ``Image`` of the static parts; ``layer``: the ``HTML`` of the animated artists (and
        what :meth:`update` puts under the figure); ``box``: the ``GridBox`` holding both in one cell (what
        to put in a layout); ``width`` / ``height``: pixels; ``texts``: the static texts drawn, ``(text, px)``,
        smallest first.
    """

    _count = 0  # each figure's SVG ids are unique in the page

    def __init__(self, fig: Any, animated: Sequence[Any]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.animated = list(animated)
        for a in self.animated:
            a.set_animated(True)  # Agg's draw leaves them out of the static picture
        self.width, self.height = (int(v) for v in self.canvas.get_width_height(physical=True))
        self._cache: dict[Any, bytes] = {}
        LiveFigure._count += 1
        self._id = f"vae-live-{LiveFigure._count}"
        self.picture = W.Image(format="png", layout=W.Layout(width=f"{self.width}px", height=f"{self.height}px",
                                                             grid_area="a", margin="0"))  # (layer and picture align)
        self.layer = W.HTML(layout=W.Layout(grid_area="a", margin="0", width=f"{self.width}px"))
        self.box = W.GridBox([self.picture, self.layer],
                             layout=W.Layout(grid_template_areas='"a"', width=f"{self.width}px",
                                             justify_items="flex-start", align_items="flex-start"))
        self.texts: list[tuple[str, float]] = []
        self.refresh()

    def _limits(self) -> tuple:
        return tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)

    def refresh(self) -> None:
        """Redraw the static parts (after changing limits, labels, ...); cached per set of axis limits."""
        key = self._limits()
        png = self._cache.get(key)
        if png is None:
            self.texts = draw_recording_text(self.fig)
            rgb = np.asarray(self.canvas.buffer_rgba())[:, :, :3]
            img = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
            png = self._cache[key] = png_bytes(img.quantize(colors=256, method=Image.Quantize.MEDIANCUT))
        if self.picture.value != png:
            self.picture.value = png

    def _clip(self, ax: Any) -> tuple[str, str]:
        x0, y0, x1, y1 = ax.bbox.extents
        cid = f"{self._id}-{self.fig.axes.index(ax)}"
        rect = (f'<clipPath id="{cid}"><rect x="{x0:.1f}" y="{self.height - y1:.1f}" width="{x1 - x0:.1f}" '
                f'height="{y1 - y0:.1f}"/></clipPath>')
        return cid, rect

    def _line(self, line: Any, cid: str) -> str:
        xy = line.get_xydata()
        if len(xy) == 0:
            return ""
        pts = line.get_transform().transform(xy)
        pts[:, 1] = self.height - pts[:, 1]
        x0, _, x1, _ = line.axes.bbox.extents
        keep = (pts[:, 0] >= x0 - 2) & (pts[:, 0] <= x1 + 2) & np.isfinite(pts).all(1)
        pts = pts[keep]
        if len(pts) > 2:  # about two points per screen pixel
            bins = np.floor(pts[:, 0] * 2)
            first = np.r_[True, bins[1:] != bins[:-1]]
            first[-1] = True
            pts = pts[first]
        if len(pts) > 2:  # drop the inside of flat runs (the tails of a density)
            d = np.abs(np.diff(pts[:, 1]))
            flat = np.r_[False, (d[:-1] < 0.05) & (d[1:] < 0.05), False]
            pts = pts[~flat]
        # coordinates in tenths of a pixel, as integers (fast to format); the group scales them back
        tenths = np.rint(np.clip(pts, -1e4, 1e4) * 10).astype(np.int64).ravel().tolist()
        color, alpha = _svg_color(line.get_color())
        lw = line.get_linewidth() * self.fig.dpi / 72
        dash = ""
        offset, seq = getattr(line, "_dash_pattern", (None, None))
        if seq:
            dash = f' stroke-dasharray="{" ".join(f"{v * self.fig.dpi / 72 * 10:.1f}" for v in seq)}"'
        return (f'<g clip-path="url(#{cid})"><polyline transform="scale(0.1)" fill="none" stroke="{color}" '
                f'stroke-opacity="{alpha:g}" stroke-width="{lw * 10:.1f}" stroke-linejoin="round"{dash} '
                f'points="{",".join(map(str, tenths))}"/></g>')

    def _patch(self, patch: Any, cid: str) -> str:
        (x0, y0), (x1, y1) = patch.get_data_transform().transform(
            patch.get_bbox().get_points() if hasattr(patch, "get_bbox") else patch.get_extents())
        top, bottom = self.height - max(y0, y1), self.height - min(y0, y1)
        color, alpha = _svg_color(patch.get_facecolor())
        return (f'<rect clip-path="url(#{cid})" x="{min(x0, x1):.1f}" y="{top:.1f}" width="{abs(x1 - x0):.1f}" '
                f'height="{bottom - top:.1f}" fill="{color}" fill-opacity="{alpha:g}"/>')

    def render(self) -> str:
        """SVG of the animated artists at their current data (the figure's pixel size and coordinates)."""
        from matplotlib.lines import Line2D

        clips, body, ids = [], [], {}
        for a in self.animated:
            if not a.get_visible():
                continue
            ax = a.axes
            if ax not in ids:
                ids[ax], rect = self._clip(ax)
                clips.append(rect)
            body.append(self._line(a, ids[ax]) if isinstance(a, Line2D) else self._patch(a, ids[ax]))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" style="display: block"><defs>{"".join(clips)}</defs>'
                f'{"".join(body)}</svg>')

    def update(self, below: str = "") -> None:
        """Send the animated artists' SVG over the picture and the HTML ``below`` it, in one message."""
        html = (f'<div style="height: {self.height}px; line-height: 0">{self.render()}</div>'
                f'<div class="vae-below">{below}</div>')
        if self.layer.value != html:
            self.layer.value = html
