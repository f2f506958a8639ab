"""The drawing primitives of :mod:`vae_tools.diagrams`: a canvas in inches, nodes that grow to fit their text,
arrows clipped at node edges, panels; and the series' diagram style (sizes, colours: encoder blue, decoder green,
random nodes purple ellipses, losses red, gradients dashed orange)."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon
from matplotlib.path import Path as MplPath

from vae_tools.diagram_labels import LABELS

DPI = 120
FS, FS_SMALL, FS_TITLE = 15, 13, 17
INK, MUTED, GRAD, CROSS = "#222222", "#666666", "#E8710A", "#D62728"
COLORS = {  # kind -> (edge, fill)
    "enc": ("#2F6DB5", "#DCE8F7"), "dec": ("#2E8B57", "#DDF1E4"), "rand": ("#7A4EA3", "#EFE7F7"),
    "data": ("#555555", "#F0F0F0"), "loss": ("#C0392B", "#FBE3E0"), "op": ("#555555", "#FFFFFF"),
}


# ----------------------------------------------------------------------------------------------- helpers
class _Canvas:
    """A figure whose data units are inches (one axes over all of it), with the drawing primitives."""

    def __init__(self, w: float, h: float, lang: str) -> None:
        self.fig = Figure(figsize=(w, h), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set(xlim=(0, w), ylim=(0, h), aspect="equal")
        self.ax.axis("off")
        self.t = LABELS[lang]
        self._renderer = self.fig.canvas.get_renderer()

    def text(self, x, y, s, fs=FS, color=INK, **kw):
        kw = {"ha": "center", "va": "center", "linespacing": 1.3, "zorder": 6, **kw}
        return self.ax.text(x, y, s, fontsize=fs, color=color, **kw)

    def node(self, x, y, s, kind, sub=None, w=0.0, h=0.0, shape="box"):
        """A node centred at (x, y), grown to fit its lines of text (and grey ``sub`` lines below them).
        shape: "box" (deterministic), "ellipse" (random), "enc" / "dec" (narrowing / widening trapezoids)."""
        lines = [(line, FS, INK) for line in s.split("\n")] + [(line, FS_SMALL, MUTED) for line in (sub or "").split("\n") if line]
        texts = [self.text(x, y, *line, va="baseline") for line in lines]
        # ink extents (a Text's own extent is one line high, even for a tall formula); at least a line's height
        sizes = [[v / DPI for v in self._renderer.get_text_width_height_descent(s, t.get_fontproperties(), "$" in s)]
                 for t, (s, fs, _) in zip(texts, lines)]
        above = [max(h - d, 0.78 * fs / 72) for (_, h, d), (_, fs, _) in zip(sizes, lines)]
        below = [max(d, 0.24 * fs / 72) for (_, _, d), (_, fs, _) in zip(sizes, lines)]
        tw, th = max(s[0] for s in sizes), sum(above) + sum(below) + 0.07 * (len(texts) - 1)
        top = y + th / 2
        for t, a, b in zip(texts, above, below):
            t.set_y(top - a)
            top -= a + b + 0.07
        if shape == "ellipse":
            w, h = max(w, 1.42 * tw + 0.1), max(h, 1.42 * th + 0.15)
        else:
            w, h = max(w, tw + 0.4), max(h, (th + 0.3) / (0.72 if shape in ("enc", "dec") else 1))
        edge, fill = COLORS[kind]
        style = {"edgecolor": edge, "facecolor": fill, "linewidth": 2.0, "zorder": 3}
        if shape == "ellipse":
            patch = Ellipse((x, y), w, h, **style)
        elif shape in ("enc", "dec"):
            a, b = (h / 2, 0.72 * h / 2) if shape == "enc" else (0.72 * h / 2, h / 2)
            patch = Polygon([(x - w / 2, y - a), (x + w / 2, y - b), (x + w / 2, y + b), (x - w / 2, y + a)], **style)
        else:
            patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12", **style)
        self.ax.add_patch(patch)
        patch.geom = (x, y, w, h)
        return patch

    def arrow(self, a, b, color=INK, dashed=False, shift=(0.0, 0.0), label=None, label_xy=None, **text_kw):
        """A straight arrow from node (or point) a to node (or point) b, clipped at the node edges and moved
        by ``shift``; returns its middle."""
        (xa, ya), (xb, yb) = (a.geom[:2] if hasattr(a, "geom") else a), (b.geom[:2] if hasattr(b, "geom") else b)
        pa, pb = (xa + shift[0], ya + shift[1]), (xb + shift[0], yb + shift[1])
        self.ax.add_patch(FancyArrowPatch(pa, pb, patchA=a if hasattr(a, "geom") else None,
                                          patchB=b if hasattr(b, "geom") else None, shrinkA=3, shrinkB=3,
                                          **self._arrow_style(color, dashed)))
        if label:
            self.text(*label_xy, label, FS_SMALL, color, **text_kw)
        return (pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2

    def route(self, points, color=INK, label=None, label_xy=None):
        """A polyline arrow through ``points`` (the first and the last on node edges)."""
        self.ax.add_patch(FancyArrowPatch(path=MplPath(points), **self._arrow_style(color, False)))
        if label:
            self.text(*label_xy, label, FS_SMALL, color)

    @staticmethod
    def _arrow_style(color, dashed):
        return {"arrowstyle": "-|>", "mutation_scale": 20, "color": color, "zorder": 4, "linewidth": 2.2 if dashed else 2.0,
                "linestyle": (0, (4, 2.5)) if dashed else "-"}

    def line(self, xs, ys, color=INK, **kw):
        self.ax.add_line(Line2D(xs, ys, color=color, **{"lw": 1.5, "zorder": 4, **kw}))

    def cross(self, x, y, r=0.16):
        for s in (1, -1):
            self.line([x - r, x + r], [y - s * r, y + s * r], CROSS, lw=4, zorder=7)

    def panel(self, x0, y0, x1, y1, title):
        self.ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.18",
                                         facecolor="#FAFAFA", edgecolor="#CCCCCC", linewidth=1.2, zorder=1))
        self.text(x0 + 0.2, y1 - 0.32, title, FS_TITLE, ha="left", fontweight="bold")


def edge(p, side: str, f: float = 0.0):
    """The middle of a node's side ("n", "s", "e", "w"), moved by f inches along that side."""
    x, y, w, h = p.geom
    return {"n": (x + f, y + h / 2), "s": (x + f, y - h / 2), "e": (x + w / 2, y + f), "w": (x - w / 2, y + f)}[side]


def _minus(n: float) -> str:
    return f"{n:g}".replace("-", "−")
