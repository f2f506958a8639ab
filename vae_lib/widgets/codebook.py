r"""CodebookExplorer: what each code of a VQ-VAE decodes to, and what changing one code of an image does."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W
import torch

from .. import validate
from ..i18n import tr
from ..runtime import one_thread
from .base import Explorer, missing_data, resolve_dataset
from .render import image_widget, render_png

__all__ = ["CodebookExplorer"]


def _resolve_vq(model: Any):
    from ..vq import VQVAE

    if isinstance(model, str):
        from .. import zoo

        model = zoo.load(model)
    if not isinstance(model, VQVAE):
        raise TypeError(f"CodebookExplorer: expected a vae_lib.vq.VQVAE (or a zoo name such as 'vqvae-64'); got "
                        f"{type(model).__name__}")
    return model.eval()


def codebook_inputs(model: Any, dataset: Any, index: Any, code: Any, row: Any,
                    col: Any) -> tuple[torch.Tensor, int, int, int, int]:
    """The explorer's checked inputs: ``(images, index, code, row, col)``; named datasets binarized once with seed 0
    (as the zoo's test set). Shared by :class:`CodebookExplorer` and its in-page twin."""
    from ..data import binarize_images
    from ..vq import GRID

    data = resolve_dataset(dataset)
    if data is None:
        raise ValueError("CodebookExplorer needs test images: pass dataset=(images, labels) or extract MNIST "
                         "into the data folder (see vae_lib.data). " + missing_data(dataset))
    images = data[0]
    if dataset is None or isinstance(dataset, str):
        images = binarize_images(images, generator=torch.Generator().manual_seed(0))
    n = images.shape[0]
    index = validate.count(index, "index", minimum=0)
    if index >= n:
        raise ValueError(f"index must be a test-image index in [0, {n - 1}]; got {index}")
    code = validate.count(code, "code", minimum=0, maximum=model.codebook_size - 1)
    row = validate.count(row, "row", minimum=0, maximum=GRID - 1)
    col = validate.count(col, "col", minimum=0, maximum=GRID - 1)
    return images, index, code, row, col


class CodebookExplorer(Explorer):
    r"""Pick a code and see what it decodes to; put it at one position of a test image's 7 x 7 code grid and watch
    the decoded image change.

    Panels: the test image :math:`x`; its reconstruction from its codes :math:`c(x)`; the same grid with position
    (``row``, ``col``) set to code ``code`` (the edit) and the pixels the edit changed; the grid filled with that
    one code alone; the 7 x 7 grid of code numbers (the edited position framed). Readouts, in nats per example:
    :math:`-\log p_\lambda(c)` of the original and of the edited grid under the model's prior.

    Every code's lone decode is computed once; a move decodes one grid (one decoder forward).

    Args:
        model: a :class:`~vae_lib.vq.VQVAE` or a zoo name (default ``"vqvae-64"``).
        dataset: test images as for :class:`~vae_lib.widgets.LatentExplorer` (named datasets are binarized once
            with seed 0, as the zoo's test set).
        index: the test image; code, row, col: the starting code and position.
        size: ``"notebook"`` or ``"large"``.

    Attributes:
        code_slider, row_slider, col_slider: ``IntSlider``; index: ``BoundedIntText``.
        codes: int64 ``[7, 7]``, the test image's codes; edited: the grid after the edit.
        recon, edited_image, alone: pixel probabilities ``[1, 28, 28]`` of the three decodes shown.
        changed: the number of pixels whose probability moved by more than 0.1; prior_nll, edited_prior_nll: floats.
    """

    def __init__(self, model: Any = "vqvae-64", *, dataset: Any = None, index: int = 0, code: int = 0,
                 row: int = 3, col: int = 3, size: Any = "notebook") -> None:
        self.use_size(size)
        from ..vq import GRID

        self.model = _resolve_vq(model)
        m = self.model.codebook_size
        self._images, index, code, row, col = codebook_inputs(self.model, dataset, index, code, row, col)
        n = self._images.shape[0]
        with torch.inference_mode(), one_thread():
            full = torch.arange(m)[:, None, None].expand(m, GRID, GRID)
            self.alone_all = self.model.decode_codes(full)          # [M, 1, 28, 28], once
        st = self.style
        desc = self.description_style()
        self.index = W.BoundedIntText(value=index, min=0, max=n - 1, description=tr("test image #"),
                                      layout=self.control_layout(), **desc)
        lay = W.Layout(width=f"{st.wide_slider_width}px")
        self.code_slider = W.IntSlider(value=code, min=0, max=m - 1, description=tr("code m"), continuous_update=True,
                                       layout=lay, **desc)
        lay = W.Layout(width=f"{st.slider_width}px")
        self.row_slider = W.IntSlider(value=row, min=0, max=GRID - 1, description=tr("row"), continuous_update=True,
                                      layout=lay, **desc)
        self.col_slider = W.IntSlider(value=col, min=0, max=GRID - 1, description=tr("column"),
                                      continuous_update=True, layout=lay, **desc)
        big = 28 * st.compare_scale
        self.png_scale = st.png_scale if 0 < st.png_scale < st.compare_scale else st.compare_scale
        pix = self.png_scale != st.compare_scale
        self.images = {k: image_widget(size=big, pixelated=pix) for k in ("x", "recon", "edited", "diff", "alone")}
        self.grid_html = W.HTML()
        self.readout = W.HTML()
        self.watch(self.index, then=self._new_image)
        self.watch(self.code_slider, self.row_slider, self.col_slider)
        titles = {"x": tr("test image x (binary)"), "recon": tr("decoded from its codes c(x)"),
                  "edited": tr("one code changed"), "diff": tr("pixels the change moved"),
                  "alone": tr("the grid filled with code m")}
        cols = [W.VBox([W.HTML(f"<b>{html.escape(titles[k])}</b>"), self.images[k]],
                       layout=W.Layout(width=f"{big + 16}px")) for k in ("x", "recon", "edited", "diff", "alone")]
        gap = f"{st.gap_px}px"
        controls = W.VBox([self.index, self.code_slider, W.HBox([self.row_slider, self.col_slider])])
        body = W.HBox(cols, layout=W.Layout(grid_gap=gap, flex_flow="row wrap"))
        bottom = W.HBox([self.grid_html, self.readout], layout=W.Layout(grid_gap=gap, align_items="flex-start"))
        self.widget = self.finish(W.VBox([controls, body, bottom]))
        self._new_image()

    def _new_image(self) -> None:
        """Encode the chosen test image (its codes and reconstruction), then redraw."""
        x = self._images[int(self.index.value)][None]
        with torch.inference_mode(), one_thread():
            self.codes = self.model.codes(x)[0]
            self.recon = self.model.decode_codes(self.codes[None])[0]
            self.prior_nll = float(-self.model.prior.log_prob(self.codes[None])[0])
        self.images["x"].value = render_png(x[0], scale=self.png_scale)
        self.images["recon"].value = render_png(self.recon, scale=self.png_scale)
        self.update()

    def _grid_table(self) -> str:
        r, c = int(self.row_slider.value), int(self.col_slider.value)
        px = self.style.css_font_px or 12
        cells = []
        for i, line in enumerate(self.edited.tolist()):
            tds = []
            for j, v in enumerate(line):
                on = i == r and j == c
                style = "border: 3px solid #E8710A; font-weight: bold" if on else "border: 1px solid #ccc"
                tds.append(f"<td style='{style}; padding: 1px 4px; text-align: right'>{v}</td>")
            cells.append("<tr>" + "".join(tds) + "</tr>")
        return (f"<div><b>{html.escape(tr('the codes c(x), edited'))}</b><table style='border-collapse: collapse; "
                f"font-family: monospace; font-size: {px}px'>{''.join(cells)}</table></div>")

    def update(self) -> None:
        """Put the chosen code at the chosen position, decode the edited grid (one forward), redraw."""
        m, r, c = int(self.code_slider.value), int(self.row_slider.value), int(self.col_slider.value)
        self.edited = self.codes.clone()
        self.edited[r, c] = m
        with torch.inference_mode(), one_thread():
            self.edited_image = self.model.decode_codes(self.edited[None])[0]
            self.edited_prior_nll = float(-self.model.prior.log_prob(self.edited[None])[0])
        self.alone = self.alone_all[m]
        diff = (self.edited_image - self.recon).abs()
        self.changed = int((diff > 0.1).sum())
        self.images["edited"].value = render_png(self.edited_image, scale=self.png_scale)
        self.images["diff"].value = render_png(diff.clamp(0, 1), scale=self.png_scale)
        self.images["alone"].value = render_png(self.alone, scale=self.png_scale)
        self.grid_html.value = self._grid_table()
        was = int(self.codes[r, c])
        lines = [tr("position (row {r}, column {c}): code {was} → {m}").format(r=r, c=c, was=was, m=m),
                 tr("pixels moved by more than 0.1: {n} of 784").format(n=self.changed),
                 tr("−log p_λ(c) under the prior: {a:.1f} → {b:.1f} nats").format(a=self.prior_nll,
                                                                                   b=self.edited_prior_nll)]
        self.readout.value = self.caption_html("<br>".join(html.escape(s) for s in lines))
