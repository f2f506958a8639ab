r"""The codebook explorer in the page: :class:`InPageCodebookExplorer`, the twin of
:class:`~vae_lib.widgets.CodebookExplorer` (the reference, still used by the lecture app).

**What runs in the page.** The VQ-VAE's decoder is convolutional but small (a 3 x 3 convolution and two 4 x 4
transposed convolutions, about 43,000 weights): ``conv.js`` runs it in JavaScript from its float32 weights
(:func:`export_conv`), after the embedding :math:`z_q = e_{c}` of a grid of codes (the codebook, sent with the
weights). Every move decodes the edited grid (and, when the code changes, the grid filled with that code), and the
page computes the pixels the edit moved (:math:`|\hat x_{\text{edited}} - \hat x| > 0.1`) as the reference does.

**What is precomputed.** The prior :math:`p_\lambda(c)` is a PixelCNN (about 250,000 weights, masked convolutions):
instead of porting it, Python computes exactly what the sliders can reach. For each test image the page offers (the
first ``n_images`` of the test set, and ``index``), the edited grids differ from the image's codes :math:`c(x)` in one
position, so there are :math:`49 \times M` of them: their :math:`-\log p_\lambda` (nats) are sent as one float32 table
per image (12.5 kB for M = 64), together with :math:`c(x)` and the binary test image.

The page's numbers (``data-vae-value``): ``code``, ``row``, ``col``, ``was`` (the code at that position before the
edit), ``changed`` (pixels moved by more than 0.1), ``prior_nll`` and ``edited_prior_nll`` (nats), ``index`` (the
test image). :func:`codebook_explorer` returns the twin (``in_page=False``: the Python explorer).
"""

from __future__ import annotations

import warnings
from typing import Any

import anywidget
import numpy as np
import torch
import traitlets
from torch import nn

from .. import validate
from ..i18n import tr
from ..runtime import one_thread
from .base import Explorer
from .codebook import CodebookExplorer, _resolve_vq, codebook_inputs
from .inpage import _ACTS, HERE, InPageExplorer, UnsupportedModel, css_sizes, esm_source
from .inpage_interpolation import zoo_name

__all__ = ["InPageCodebookExplorer", "codebook_explorer", "export_conv", "prior_table"]


def _pair(v: Any, what: str) -> int:
    a, b = (v, v) if isinstance(v, int) else tuple(v)
    if a != b:
        raise UnsupportedModel(f"{what}: only square kernels, strides and paddings run in the page; got {v}")
    return int(a)


def export_conv(net: nn.Sequential, shape: tuple[int, int, int], offset: int = 0) -> tuple[dict, list[np.ndarray]]:
    """The layers of a chain of ``Conv2d`` / ``ConvTranspose2d`` (each followed by at most one activation) for
    ``conv.js``, on inputs of ``shape`` (C, H, W): ``({"layers": [...]}, float32 chunks)``, offsets from ``offset``.

    Raises:
        UnsupportedModel: another layer, groups, dilation or output padding, or non-square kernels.
    """
    layers: list[dict] = []
    chunks: list[np.ndarray] = []
    c, hh, ww = shape
    for m in net:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            transposed = isinstance(m, nn.ConvTranspose2d)
            if m.groups != 1 or _pair(m.dilation, "dilation") != 1 or (transposed and _pair(m.output_padding, "output padding")):
                raise UnsupportedModel(f"a {type(m).__name__} with groups, dilation or output padding does not run in the page")
            if m.in_channels != c:
                raise UnsupportedModel(f"a {type(m).__name__} takes {m.in_channels} channels after {c}")
            k, s, p = _pair(m.kernel_size, "kernel"), _pair(m.stride, "stride"), _pair(m.padding, "padding")
            ho, wo = (((hh - 1) * s - 2 * p + k, (ww - 1) * s - 2 * p + k) if transposed else
                      ((hh + 2 * p - k) // s + 1, (ww + 2 * p - k) // s + 1))
            w = m.weight.detach().to("cpu", torch.float32).numpy().ravel()
            b = (m.bias.detach().to("cpu", torch.float32).numpy() if m.bias is not None
                 else np.zeros(m.out_channels, np.float32))
            layers.append({"type": "convT" if transposed else "conv", "c_in": c, "c_out": m.out_channels, "k": k,
                           "stride": s, "pad": p, "h_in": hh, "w_in": ww, "h_out": ho, "w_out": wo,
                           "w": offset, "b": offset + w.size, "act": "none"})
            chunks += [w, b]
            offset += w.size + b.size
            c, hh, ww = m.out_channels, ho, wo
        elif type(m) in _ACTS and layers and layers[-1]["act"] == "none":
            layers[-1]["act"] = _ACTS[type(m)]
            if isinstance(m, nn.ELU):
                layers[-1]["alpha"] = float(m.alpha)
        else:
            raise UnsupportedModel(f"a {type(m).__name__} layer does not run in the page (conv.js: Conv2d, "
                                   f"ConvTranspose2d, {'/'.join(_ACTS.values())})")
    return {"layers": layers}, chunks


@torch.inference_mode()
def prior_table(model: Any, codes: torch.Tensor) -> torch.Tensor:
    r""":math:`-\log p_\lambda` (nats) of every grid that differs from ``codes`` ``[7, 7]`` at most in one position:
    ``[49, M]``, entry ``(7 r + c, m)`` for position (r, c) set to code m (the original grid where m is its code)."""
    m = model.codebook_size
    grids = codes.reshape(1, -1).repeat(codes.numel() * m, 1)
    pos = torch.arange(codes.numel()).repeat_interleave(m)
    grids[torch.arange(len(grids)), pos] = torch.arange(m).repeat(codes.numel())
    grids = grids.reshape(-1, *codes.shape)
    return torch.cat([-model.prior.log_prob(g) for g in grids.split(512)]).reshape(codes.numel(), m)


class CodebookView(anywidget.AnyWidget):
    """The front end of :class:`InPageCodebookExplorer` (``codebook.js`` after ``mlp.js`` and ``conv.js``)."""

    _esm = esm_source("conv.js", "codebook.js")
    _css = (HERE / "inpage.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # the layers, the offered images' indices and codes, sizes
    labels = traitlets.Dict().tag(sync=True)     # the page's words (vae_lib.i18n)
    weights = traitlets.Bytes().tag(sync=True)   # float32: the codebook [M, F], then the decoder's layers
    images = traitlets.Bytes().tag(sync=True)    # the offered binary test images, 784 bytes (0 or 1) each
    priors = traitlets.Bytes().tag(sync=True)    # float32 [images, 49, M]: -log p(edited grid), nats
    index = traitlets.Int(0).tag(sync=True)      # what the page shows (sent back after each move)
    code = traitlets.Int(0).tag(sync=True)
    row = traitlets.Int(3).tag(sync=True)
    col = traitlets.Int(3).tag(sync=True)

    def __repr__(self) -> str:  # a notebook cell that ends with the explorer prints no memory address
        return f"CodebookView(test image {self.index}, code {self.code} at ({self.row}, {self.col}))"


class InPageCodebookExplorer(InPageExplorer):
    """A VQ-VAE's codebook: pick a code, put it at one position of a test image's code grid; decoded in the page.

    Args:
        model, dataset, index, code, row, col, size: as :class:`~vae_lib.widgets.CodebookExplorer`.
        n_images: the page offers the first ``n_images`` test images (and ``index``): the prior's numbers of
            their single-position edits are computed here (about 0.5 s per image).

    Attributes:
        view (also ``.widget``); ``model``; ``offered``: the offered test-image indices; ``codes``:
        ``{index: int64 [7, 7]}``; ``tables``: ``{index: [49, M]}`` (:func:`prior_table`); ``index``, ``code``,
        ``row``, ``col``: what the page shows (:meth:`set`).
    """

    background = None

    def __init__(self, model: Any = "vqvae-64", *, dataset: Any = None, index: int = 0, code: int = 0, row: int = 3,
                 col: int = 3, n_images: int = 8, size: Any = "notebook") -> None:
        self.use_size(size)
        from ..vq import GRID

        self.model = _resolve_vq(model)
        m = self.model.codebook_size
        images, index, code, row, col = codebook_inputs(self.model, dataset, index, code, row, col)
        n = images.shape[0]
        n_images = validate.count(n_images, "n_images", cap="grid")
        self.offered = sorted(set(range(min(n_images, n))) | {index})
        x = images[self.offered]
        with torch.inference_mode(), one_thread():
            codes = self.model.codes(x)
            self.codes = {i: codes[k] for k, i in enumerate(self.offered)}
            self.tables = {i: prior_table(self.model, self.codes[i]) for i in self.offered}
        decoder, chunks = export_conv(self.model.decoder, (self.model.code_dim, GRID, GRID),
                                      offset=self.model.codebook.numel())
        book = self.model.codebook.detach().to("cpu", torch.float32).numpy().ravel()
        weights = np.concatenate([book, *chunks]).astype("<f4").tobytes()
        st = self.style
        spec = {"title": tr("{model}: M = {M} codes on a 7 x 7 grid; the decoder runs in this page").format(
                    model=zoo_name(self.model) or "VQVAE", M=m),
                "zoo": zoo_name(self.model), "codebook_size": m, "code_dim": self.model.code_dim, "grid": GRID,
                "decoder": decoder, "offered": self.offered, "codes": [self.codes[i].flatten().tolist() for i in self.offered],
                "scale": st.compare_scale, "threshold": 0.1, **css_sizes(st)}
        labels = {"x": tr("test image x (binary)"), "recon": tr("decoded from its codes c(x)"),
                  "edited": tr("one code changed"), "diff": tr("pixels the change moved"),
                  "alone": tr("the grid filled with code m"), "image": tr("test image #"), "code": tr("code m"),
                  "row": tr("row"), "col": tr("column"), "grid": tr("the codes c(x), edited"),
                  "was": tr("code before the edit"), "changed": tr("pixels moved by more than 0.1 (of 784)"),
                  "prior_nll": tr("−log p_λ(c(x)) under the prior, nats"),
                  "edited_prior_nll": tr("−log p_λ(edited grid), nats")}
        pixels = (x.reshape(len(self.offered), -1) > 0.5).numpy().astype(np.uint8).tobytes()
        table = torch.stack([self.tables[i] for i in self.offered]).numpy().astype("<f4").tobytes()
        self._show(CodebookView(spec=spec, labels=labels, weights=weights, images=pixels, priors=table, index=index,
                                code=code, row=row, col=col))
        self.view.add_class("vae-codebook")

    @property
    def index(self) -> int:
        return int(self.view.index)

    @property
    def code(self) -> int:
        return int(self.view.code)

    @property
    def row(self) -> int:
        return int(self.view.row)

    @property
    def col(self) -> int:
        return int(self.view.col)

    def set(self, *, index: int | None = None, code: int | None = None, row: int | None = None,
            col: int | None = None) -> None:
        """Move the page's controls (an offered test image, a code, a position); the page follows."""
        from ..vq import GRID

        if index is not None:
            index = validate.count(index, "index", minimum=0)
            if index not in self.offered:
                raise ValueError(f"index = {index} is not a test image the page offers ({self.offered}); make the "
                                 f"explorer with index={index} or a larger n_images")
            self.view.index = index
        for name, v, hi in (("code", code, self.model.codebook_size - 1), ("row", row, GRID - 1), ("col", col, GRID - 1)):
            if v is not None:
                setattr(self.view, name, validate.count(v, name, minimum=0, maximum=hi))

    @torch.inference_mode()
    def numbers(self) -> dict[str, Any]:
        """What the page shows, computed by the model (the reference's formulas): the edited grid, its decode,
        ``changed`` and both prior numbers (``-model.prior.log_prob``)."""
        codes = self.codes[self.index]
        edited = codes.clone()
        edited[self.row, self.col] = self.code
        recon = self.model.decode_codes(codes[None])[0]
        image = self.model.decode_codes(edited[None])[0]
        return {"was": int(codes[self.row, self.col]), "edited": edited, "recon": recon, "edited_image": image,
                "alone": self.model.decode_codes(torch.full_like(codes, self.code)[None])[0],
                "changed": int(((image - recon).abs() > 0.1).sum()),
                "prior_nll": float(-self.model.prior.log_prob(codes[None])[0]),
                "edited_prior_nll": float(-self.model.prior.log_prob(edited[None])[0])}


def codebook_explorer(model: Any = "vqvae-64", *, in_page: bool = True, **kw: Any) -> Explorer:
    """The in-page :class:`InPageCodebookExplorer` (when the decoder runs in the page and ``in_page``), else the
    Python :class:`~vae_lib.widgets.CodebookExplorer`."""
    if validate.flag(in_page, "in_page"):
        try:
            return InPageCodebookExplorer(model, **kw)
        except UnsupportedModel as exc:
            warnings.warn(f"{exc}: the decoder runs in the kernel instead (CodebookExplorer)", stacklevel=2)
    kw.pop("n_images", None)
    return CodebookExplorer(model, **kw)
