r"""The decoder's standard deviation s of a Gaussian decoder, for one image (notebook 10): :class:`SExplorer` (in the
kernel) and its twin :class:`InPageSExplorer` (in the page, ``gauss_s.js``); :func:`s_explorer` picks.

For one image :math:`x` (D pixels) and the mean :math:`\hat x` that a decoder gives for it, the log-likelihood of a
Gaussian decoder with standard deviation s is closed form,

.. math:: \log\mathcal N(x;\ \hat x, s^2 I) = -\frac{\lVert x - \hat x\rVert^2}{2s^2} - \frac D2\log(2\pi s^2),

largest at :math:`s^\ast = \lVert x - \hat x\rVert/\sqrt D`, the image's rms error (:func:`best_s`). The explorer
shows the curve over s (log axis) with a marker at the slider's s, the best s, and the images x, :math:`\hat x`
and the sample :math:`\hat x + s\,\eta` (one fixed pixel noise :math:`\eta`, clipped to [0, 1] for display); a
dropdown picks whose :math:`\hat x`. The page gets x, :math:`\eta` and every decoder's :math:`\hat x` as float32
bytes (3 kB each) and computes the same formula in float64.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import torch

from .. import validate
from ..i18n import tr
from .base import Explorer
from .render import BlitFigure, image_widget, new_figure, render_png
from .twin import TwinExplorer, TwinView, f32_bytes, module_source

__all__ = ["InPageSExplorer", "SExplorer", "best_s", "log_lik_curve", "s_explorer"]

S_RANGE = (-2.5, 0.5)   # the slider and the curve: s from 10^-2.5 to 10^0.5 (log scale)
Y_RANGE = (-1500.0, 1400.0)


def log_lik_curve(x: torch.Tensor, x_hat: torch.Tensor, s_values: Any) -> np.ndarray:
    r""":math:`\log\mathcal N(x; \hat x, s^2 I)` in nats for every s of ``s_values`` (float64 sums)."""
    sq = float((x.double() - x_hat.double()).pow(2).sum())
    s = np.asarray(s_values, dtype=np.float64)
    return -sq / (2 * s**2) - x.numel() / 2 * np.log(2 * np.pi * s**2)


def best_s(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """The s that maximises the curve: the rms error of ``x_hat`` on ``x``."""
    return math.sqrt(float((x.double() - x_hat.double()).pow(2).mean()))


def _inputs(x: Any, x_hats: Mapping[str, Any], eta: Any, labels: Mapping[str, str] | None,
            decoder: str | None) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor, dict[str, str], str]:
    x = validate.float_tensor(x, "x (one image)").reshape(1, -1).float()
    eta = validate.float_tensor(eta, "eta (the pixel noise)").reshape(1, -1).float()
    if not isinstance(x_hats, Mapping) or not x_hats:
        raise TypeError("x_hats must be a dict {decoder name: its mean x_hat of x}")
    hats = {str(k): validate.float_tensor(v, f"x_hats[{k!r}]").reshape(1, -1).float() for k, v in x_hats.items()}
    for k, v in hats.items():
        if v.shape != x.shape or eta.shape != x.shape:
            raise ValueError(f"x, eta and x_hats[{k!r}] must have as many pixels: {x.shape[1]}, {eta.shape[1]}, "
                             f"{v.shape[1]}")
    names = {k: (labels or {}).get(k, k) for k in hats}
    decoder = decoder if decoder is not None else next(iter(hats))
    validate.choice(decoder, "decoder", tuple(hats))
    return x, hats, eta, names, decoder


def _texts() -> dict[str, str]:
    return {"title": tr("One test image: log N(x; x_hat, s² I) over s"), "best": tr("best s = rms error"),
            "yours": tr("your s"), "xlabel": tr("decoder standard deviation s (log scale)"),
            "ylabel": tr("log p(x|z) (nats)"), "decoder": tr("x_hat of"),
            "images": tr("images: test image x, mean x_hat, sample x_hat + s eta"),
            "rms": tr("(the image's rms error)"), "at": tr("nats at"), "best_s": tr("best s")}


class SExplorer(Explorer):
    """An s slider (log scale) and a decoder dropdown over one image, computed in the kernel (see the module).

    Args:
        x: one image; x_hats: ``{decoder name: its mean for x}``; eta: the pixel noise of the sample.
        labels: display names of the decoders; decoder: the one shown first; s: the starting s.

    Attributes:
        s (``FloatLogSlider``), decoder (``Dropdown``), curve (PNG), images (PNG), label (HTML); ``log_lik``.
    """

    def __init__(self, x: Any, x_hats: Mapping[str, Any], eta: Any, *, labels: Mapping[str, str] | None = None,
                 decoder: str | None = None, s: float = 0.1, size: Any = "notebook") -> None:
        self.use_size(size)
        self.x, self.x_hats, self.eta, names, decoder = _inputs(x, x_hats, eta, labels, decoder)
        s = validate.number(s, "s", minimum=10 ** S_RANGE[0], maximum=10 ** S_RANGE[1])
        self.texts = T = _texts()
        self.s = W.FloatLogSlider(value=s, base=10, min=S_RANGE[0], max=S_RANGE[1], step=0.02, description="s",
                                  readout_format=".3f")
        self.decoder = W.Dropdown(options=[(names[n], n) for n in self.x_hats], value=decoder, description=T["decoder"])
        self.s_grid = np.logspace(*S_RANGE, 300)
        fig, ax = new_figure((5.2, 2.8), dpi=self.style.dpi)
        (self.line,) = ax.semilogx(self.s_grid, self.s_grid * 0)
        self.best = ax.axvline(0.1, color="grey", ls="--", label=T["best"])
        (self.marker,) = ax.plot([s], [0.0], "o", color="red", label=T["yours"])
        ax.set_ylim(*Y_RANGE)
        ax.set_xlabel(T["xlabel"])
        ax.set_ylabel(T["ylabel"])
        ax.set_title(T["title"], fontsize=9)
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        self.plot = BlitFigure(fig, [self.marker])
        self.curve, self.images, self.label = W.Image(format="png"), image_widget(), W.HTML()
        self.watch(self.s)
        self.watch(self.decoder, then=self.redraw)
        self.widget = self.finish(W.VBox([W.HBox([self.s, self.decoder]), W.HBox([self.curve, self.images]),
                                          self.label]))
        self.redraw()

    def redraw(self) -> None:
        """A new decoder: its curve and best s."""
        x_hat = self.x_hats[self.decoder.value]
        self.line.set_ydata(log_lik_curve(self.x, x_hat, self.s_grid))
        self.best.set_xdata([best_s(self.x, x_hat)] * 2)
        self.plot.refresh()
        self.update()

    def update(self) -> None:
        """A new s: the marker, the sample, the numbers."""
        s, x_hat = float(self.s.value), self.x_hats[self.decoder.value]
        self.log_lik = float(log_lik_curve(self.x, x_hat, [s])[0])
        self.marker.set_data([s], [self.log_lik])
        self.curve.value = self.plot.render()
        side = int(round(math.sqrt(self.x.shape[1])))
        pics = torch.cat([self.x, x_hat, (x_hat + s * self.eta).clamp(0, 1)]).reshape(3, 1, side, -1)
        self.images.value = render_png(pics, scale=4, nrow=3)
        T = self.texts
        self.label.value = (f"log p(x|z) = <b>{self.log_lik:.1f}</b> {T['at']} s = {s:.3f}; {T['best_s']} = "
                            f"{best_s(self.x, x_hat):.3f} {T['rms']}; {T['images']}")


class SView(TwinView):
    """The front end of :class:`InPageSExplorer` (``gauss_s.js``)."""

    _esm = module_source("gauss_s.js")


class InPageSExplorer(TwinExplorer):
    """:class:`SExplorer` computed in the page (same arguments); ``controls``: ``{"s", "decoder"}``."""

    kind = "gauss-s"

    def __init__(self, x: Any, x_hats: Mapping[str, Any], eta: Any, *, labels: Mapping[str, str] | None = None,
                 decoder: str | None = None, s: float = 0.1, size: Any = "notebook") -> None:
        self.use_size(size)
        self.x, self.x_hats, self.eta, names, decoder = _inputs(x, x_hats, eta, labels, decoder)
        self.names = names
        s = validate.number(s, "s", minimum=10 ** S_RANGE[0], maximum=10 ** S_RANGE[1])
        order: Sequence[str] = list(self.x_hats)
        side = int(round(math.sqrt(self.x.shape[1])))
        spec = {"decoders": [[n, names[n]] for n in order], "n_pixels": int(self.x.shape[1]), "side": side,
                "s_range": list(S_RANGE), "y_range": list(Y_RANGE), "plot": [round(5.2 * 80), round(2.8 * 80)]}
        data = f32_bytes(torch.cat([self.x, self.eta, *(self.x_hats[n] for n in order)]))
        self._twin(SView, spec, _texts(), {"s": s, "decoder": decoder}, data)

    def log_lik(self, s: float | None = None, decoder: str | None = None) -> float:
        """Python's number for the page's (or the given) s and decoder: :func:`log_lik_curve`."""
        c = self.controls
        s = c["s"] if s is None else s
        return float(log_lik_curve(self.x, self.x_hats[decoder or c["decoder"]], [s])[0])

    def reference(self) -> SExplorer:
        """The Python explorer at the page's controls."""
        c = self.controls
        return SExplorer(self.x, self.x_hats, self.eta, labels=self.names, decoder=c["decoder"], s=c["s"],
                         size=self.style)


def s_explorer(x: Any, x_hats: Mapping[str, Any], eta: Any, *, in_page: bool = True,
               **kw: Any) -> InPageSExplorer | SExplorer:
    """The s explorer a notebook shows: in the page (:class:`InPageSExplorer`, works in a saved page with no kernel),
    or with ``in_page=False`` the Python :class:`SExplorer`."""
    cls = InPageSExplorer if validate.flag(in_page, "in_page") else SExplorer
    return cls(x, x_hats, eta, **kw)
