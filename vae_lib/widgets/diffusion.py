r"""DiffusionExplorer: a noise-level slider over q(x_t | x_0) and the model's denoised estimate of x_0 (2-D points)."""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as W
import numpy as np
import torch
from PIL import Image

from .. import validate
from ..i18n import tr
from .base import Explorer
from .render import new_figure, png_bytes

__all__ = ["DiffusionExplorer", "diffusion_inputs", "dot_size", "noise_panels"]


def diffusion_inputs(model: Any, points: Any, seed: int, max_points: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The explorer's checked inputs: the points x0 ``[N, 2]`` and the noise of each, ``randn`` seeded with
    ``seed`` (drawn once: moving t moves every point smoothly)."""
    from ..diffusion import DiffusionModel

    if not isinstance(model, DiffusionModel):
        raise TypeError(f"model must be a vae_lib.diffusion.DiffusionModel (vae_lib.zoo.load('diffusion-moons')); "
                        f"got {validate._kind(model)}")
    x0 = model.check_points(points, "points")
    if x0.shape[0] > max_points:
        raise ValueError(f"points: at most {max_points:,} points; got {x0.shape[0]:,}")
    if x0.shape[1] != 2:
        raise ValueError(f"the explorer draws 2-D points; the model's points have {x0.shape[1]} dimensions")
    return x0, torch.randn(x0.shape, generator=torch.Generator().manual_seed(validate.seed(seed)))


def dot_size(style: Any) -> float:
    """The points' marker size (points): 2 in the notebook, 3 on a projector."""
    return 2.0 if style.css_font_px == 0 else 3.0


def noise_panels(x0: torch.Tensor, style: Any) -> tuple[Any, tuple[Any, Any], np.ndarray]:
    """The explorer's static picture: two panels (x_t on the left, the estimate of x_0 on the right) with the data
    points x0 in grey, equal axes; returns ``(figure, (left, right), RGB pixels [H, W, 3])``."""
    st = style
    fig, (ax, bx) = new_figure((st.elbo_size[0], st.elbo_size[0] / 2 + 0.4), dpi=st.dpi, ncols=2)
    lim = float(x0.abs().max()) * 1.6 + 0.5
    for a, title in ((ax, tr("x_t ~ q(x_t | x_0): the fixed encoder")), (bx, tr("denoised estimate of x_0"))):
        a.plot(*x0.T.numpy(), ".", color="0.78", ms=dot_size(st), zorder=0)
        a.set_xlim(-lim, lim)
        a.set_ylim(-lim, lim)
        a.set_aspect("equal")
        a.set_xlabel(tr("coordinate 1"))
        a.set_ylabel(tr("coordinate 2"))
        a.set_title(title, fontsize=st.font_normal)
    fig.tight_layout(pad=0.4)
    fig.canvas.draw()                              # the static picture: axes, titles, the grey data
    return fig, (ax, bx), np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()


class DiffusionExplorer(Explorer):
    r"""Move the step t of a trained :class:`~vae_lib.diffusion.DiffusionModel` and see both halves of the VAE.

    Left: the data points :math:`x_0` (grey) and one draw of :math:`x_t \sim q(x_t\mid x_0) =
    \mathcal N(\sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)` for each (the fixed encoder). Right: the model's
    denoised estimate :math:`\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon_\theta(x_t, t))/
    \sqrt{\bar\alpha_t}` of every noised point. The noise of every point is drawn once (seeded), so moving t
    moves the points smoothly. Every frame's points are computed when the explorer is built; a move stamps them
    onto the static axes (rasterised once) and sends one PNG, a few milliseconds, cached per step.

    Args:
        model: a trained ``DiffusionModel`` (e.g. ``vae_lib.zoo.load("diffusion-moons")``).
        points: ``[N, 2]`` data points x_0 (at most 5,000).
        t: the starting step, 0..T (clamped).
        seed: the noise's seed.
        size: ``"notebook"`` (default) or ``"large"`` (a projector).

    Attributes:
        slider: the ``IntSlider`` of t; ``image``: the two panels (PNG); ``text``: the numbers (HTML);
        ``values``: ``{"t", "alpha_bar", "noise_std", "mse_xt", "mse_x0hat"}`` at the current t, where ``mse_*``
        is the mean over points of the squared distance to x_0; ``frames``: ``[T + 1, 2, N, 2]`` (x_t and x0_hat
        of every step; at t = 0 both are x_0).
    """

    MAX_POINTS = 5_000

    def __init__(self, model: Any, points: Any, *, t: int = 10, seed: int = 0, size: Any = "notebook") -> None:
        from ..diffusion import q_sample

        self.use_size(size)
        x0, eps = diffusion_inputs(model, points, seed, self.MAX_POINTS)
        self.model, self.x0 = model, x0
        T = model.steps
        t = validate.number(t, "t")
        frames = [torch.stack([x0, x0])]
        with torch.no_grad():
            for s in range(1, T + 1):
                x_t = q_sample(model, x0, s, eps)
                frames.append(torch.stack([x_t, model.predict_x0(x_t, s)]))
        self.frames = torch.stack(frames)
        st = self.style
        fig, self._axes, self._background = noise_panels(x0, st)
        self._fig = fig
        ms = dot_size(st)
        r = max(1, round(ms * st.dpi / 72 / 2))        # the dots' radius in pixels
        self._disc = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dx * dx + dy * dy <= r * r + 1]
        self._cache: dict[int, bytes] = {}
        self.slider = W.IntSlider(value=int(min(max(round(t), 0), T)), min=0, max=T, step=1, description="t",
                                  continuous_update=True, layout=W.Layout(width=f"{st.wide_slider_width}px"),
                                  **self.description_style())
        self.image = W.Image(format="png")
        self.image.add_class("vae-diffusion-plot")
        self.text = W.HTML()
        self.values: dict[str, float] = {}
        self.watch(self.slider)
        self.update()
        self.widget = self.finish(W.VBox([self.slider, self.image, self.text]))

    def _png(self, t: int) -> bytes:
        """Step t's picture: x_t (blue) and x0_hat (red) stamped as dots onto the static axes, clipped to them."""
        png = self._cache.get(t)
        if png is None:
            img = self._background.copy()
            height = img.shape[0]
            for points, ax, color in zip(self.frames[t].numpy(), self._axes, ((31, 119, 180), (214, 39, 40))):
                pix = ax.transData.transform(points)
                x0, y0, x1, y1 = ax.bbox.extents
                px, py = np.rint(pix[:, 0]).astype(int), np.rint(height - pix[:, 1]).astype(int)
                top, bottom = round(height - y1), round(height - y0)
                for dy, dx in self._disc:
                    xs, ys = px + dx, py + dy
                    keep = (xs > x0) & (xs < x1) & (ys > top) & (ys < bottom)
                    img[ys[keep], xs[keep]] = color
            png = self._cache[t] = png_bytes(Image.fromarray(img))
        return png

    def update(self) -> None:
        """Show step t: the noised cloud, the denoised estimate, and the numbers."""
        t = int(self.slider.value)
        ab = float(self.model.alpha_bar[t])
        xt, xh = self.frames[t]
        self.values = {"t": t, "alpha_bar": ab, "noise_std": math.sqrt(max(1.0 - ab, 0.0)),
                       "mse_xt": float((xt - self.x0).pow(2).sum(1).mean()),
                       "mse_x0hat": float((xh - self.x0).pow(2).sum(1).mean())}
        self.image.value = self._png(t)
        v = self.values
        self.text.value = self.caption_html(
            tr("t = {t} of {steps}: ᾱ_t = {ab:.4f}, noise std √(1−ᾱ_t) = {std:.3f}; ").format(
                t=t, steps=self.model.steps, ab=ab, std=v["noise_std"])
            + f"{tr('mean squared distance to x_0')}: x_t {v['mse_xt']:.3f}, x̂_0 {v['mse_x0hat']:.3f}")

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        from .render import draw_recording_text

        return {"vae-diffusion-plot": draw_recording_text(self._fig)}
