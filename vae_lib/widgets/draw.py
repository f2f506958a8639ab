r"""Draw a digit: the encoder's q(z|x) follows the pen, live, in the page.

:class:`DrawDigitExplorer` shows a drawing pad (mouse, pen or touch) and a "clear" button. While the pen
moves, the page (``draw.js``, after the shared engine ``mlp.js``; weights sent once as in :mod:`.inpage`):

1. preprocesses the ink like MNIST (:func:`vae_lib.data.mnist_preprocess`, the reference of the JavaScript one) and
   shows the 28 x 28 image the encoder sees, with the ink's bounding box dashed on the pad;
2. runs the encoder: :math:`(\mu, \log\sigma^2) = \mathrm{encoder}(x)`, :math:`\sigma = e^{\frac12\log\sigma^2}`;
3. draws, on the 2-D latent map over the test codes coloured by label, the mean and the 2-sigma ellipse
   :math:`\{z : \sum_j (z_j - \mu_j)^2 / \sigma_j^2 \le 4\}` (axis-aligned, semi-axes :math:`2\sigma_j`; it holds
   :math:`1 - e^{-2} \approx 86\%` of q's mass);
4. decodes the mean: the reconstruction :math:`\hat x = \sigma(\mathrm{decoder}(\mu))`;
5. prints, in nats, the reconstruction score at the single point :math:`z = \mu` (the ELBO's term is its average
   over :math:`z \sim q`, which the page does not compute),

   .. math:: \log p(x \mid z=\mu) = \sum_{d=1}^{D} x_d \log \hat x_d + (1 - x_d) \log(1 - \hat x_d)

   (a Gaussian decoder: :math:`-\frac12\sum_d ((x_d - \hat x_d)^2/s_d^2 + \log s_d^2 + \log 2\pi)`), and
   :math:`\mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I)) = \frac12\sum_{j=1}^K (\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)`.
   Their difference is the ELBO's formula with one point :math:`z = \mu` in place of the average over q.

**Grey targets, not binarized.** The drawn image keeps its grey levels :math:`x_d \in [0, 1]` in the
Bernoulli term. The zoo's models were trained on dynamically binarized digits, :math:`b_d \sim
\mathrm{Bernoulli}(x_d)` afresh in every batch, and the grey-target term is exactly the average of the
binary one over that binarization, :math:`\mathbb E_b[\log p(b \mid z)] = \sum_d x_d\log\hat x_d +
(1-x_d)\log(1-\hat x_d)`: what training saw, on average, and a number that does not flicker while drawing
(a thresholded image would jump at every anti-aliased edge).

When a stroke ends the page sends the preprocessed image to the kernel: ``explorer.image`` is that
``[1, 1, 28, 28]`` tensor and ``explorer.terms()`` computes the same numbers with the model (the reference
the browser test compares the page with).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import torch
import traitlets
from torch import nn

from .. import validate
from ..data import mnist_preprocess
from ..i18n import tr
from ..losses import kl_std_normal
from .base import has_elbo, resolve_model
from .inpage import (
    HERE,
    InPageExplorer,
    UnsupportedModel,
    class_names,
    css_sizes,
    encode_test_codes,
    esm_source,
    export_networks,
    map_transform,
    standalone_html,
)
from .render import PaletteBackground, Style, scatter_background

__all__ = ["DrawDigitExplorer", "mnist_preprocess"]  # mnist_preprocess: vae_lib.data's, re-exported

SIZE = 28


class DrawView(anywidget.AnyWidget):
    """The front end of :class:`DrawDigitExplorer` (anywidget; ``draw.js`` after ``mlp.js``)."""

    _esm = esm_source("draw.js")
    _css = (HERE / "inpage.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # sizes, the layers of both networks, the map's transform
    weights = traitlets.Bytes().tag(sync=True)   # the encoder's and decoder's weights, sent once (float16 when exact)
    scatter = traitlets.Bytes().tag(sync=True)   # PNG of the test codes (2-D models), sent once
    # from the page: the preprocessed drawing, 784 float32 (or empty); the kernel receives a memoryview
    image = traitlets.Bytes().tag(sync=True, from_json=lambda js, _: b"" if js is None else bytes(js))

    def __repr__(self) -> str:  # a notebook cell that ends with the view prints no memory address
        return f"DrawView({len(self.image) // 4} pixels drawn)"


class DrawDigitExplorer(InPageExplorer):
    """Draw a digit; its q(z|x), reconstruction and ELBO terms follow live (see the module docstring).

    Args:
        model: an mlp VAE with the N(0, I) prior (unconditional), or a zoo name (default ``"vae-2d"``);
            the latent map needs K = 2 (other K: mu and sigma are printed, no map).
        dataset: test images for the map (as :class:`~vae_lib.widgets.LatentExplorer`); offline: an empty map.
        n_points: test codes on the map; ``scale``: screen pixels per image pixel of the 28 x 28 images.
        size: ``"notebook"``, ``"large"`` (a projector: larger pad, images and text) or a
            :class:`~vae_lib.widgets.render.Style`.

    Attributes:
        view (also ``.widget``): the anywidget; ``background``: the map's
        :class:`~vae_lib.widgets.render.PaletteBackground` (K = 2), else None; ``bounds``: the map's limits.
    """

    def __init__(self, model: nn.Module | str = "vae-2d", *, dataset: Any = None, n_points: int = 5000,
                 scale: int | None = None, size: str | Style = "notebook") -> None:
        model = resolve_model(model)
        self.use_size(size)
        if not has_elbo(model) or model.is_conditional or getattr(model.prior, "name", "") != "normal":
            raise UnsupportedModel(f"draw-a-digit shows q(z|x) against the prior N(0, I): it needs an unconditional "
                                   f"VAE with prior='normal'; got a {type(model).__name__}"
                                   f"{'' if not has_elbo(model) else ' with prior ' + model.prior.name}")
        n_points = validate.count(n_points, "n_points")
        scale = validate.count(scale if scale is not None else max(4, self.style.image_scale // 2), "scale",
                               cap="scale")
        self.model, K = model.eval(), model.latent_dim
        specs, weights = export_networks(model, ("encoder", "decoder"), compact=True)  # raises UnsupportedModel for conv
        self.background: PaletteBackground | None = None
        self.bounds: list[tuple[float, float]] = [(-3.0, 3.0)] * K
        if K == 2:
            codes, labels = encode_test_codes(model, dataset, n_points)
            if codes is not None:
                q = torch.quantile(codes, torch.tensor([0.005, 0.995]), dim=0)
                self.bounds = [(min(-3.0, float(q[0, j])), max(3.0, float(q[1, j]))) for j in range(2)]
            else:
                codes = torch.zeros(0, 2)
            self.background = scatter_background(codes, labels, self.bounds, tr("test codes and q(z|x) of the drawing"),
                                                 self.style, class_names=class_names(model, dataset))
        spec = {"title": tr("{model}, K = {K}: draw a digit with the mouse (or a finger); everything below "
                            "follows the pen, computed in this page").format(model=type(model).__name__, K=K),
                "text": {"clear": tr("clear"), "pad": tr("draw a digit"), "sees": tr("what the encoder sees"),
                         "preprocessing": tr("MNIST's preprocessing: the ink's bounding box (dashed) scaled to fit "
                                             "20 x 20 (aspect kept, area-averaged), placed in 28 x 28 with its centre "
                                             "of mass at the centre"),
                         "ellipse": tr("q(z|x): mean and 2-sigma ellipse"),
                         "reconstruction": tr("reconstruction (decode the mean)"),
                         "empty": tr("draw a digit in the box"), "rec": tr("log p(b | z = μ), averaged over binarizations b"),
                         "difference": tr("reconstruction − KL")},
                "latent_dim": K, "scale": scale, "likelihood": model.likelihood, "pad_px": min(420, 70 * scale),
                **css_sizes(self.style),
                "map": map_transform(self.background) if self.background is not None else None, **specs}
        if model.likelihood == "gaussian":
            spec["decoder_logvar"] = model.decoder_log_variance().detach().float().flatten().tolist()
        self._show(DrawView(spec=spec, weights=weights,
                            scatter=self.background.plain if self.background is not None else b""))

    @property
    def image(self) -> torch.Tensor | None:
        """The preprocessed drawing the page sent after the last stroke, ``[1, 1, 28, 28]`` (None: empty pad)."""
        raw = self.view.image
        if not raw:
            return None
        return torch.from_numpy(np.frombuffer(bytes(raw), dtype="<f4").copy()).reshape(1, 1, SIZE, SIZE)

    @torch.inference_mode()
    def terms(self, x: Any = None) -> dict[str, Any]:
        """What the page prints, computed by the model for ``x`` (``[1, 1, 28, 28]`` in [0, 1]; default
        :attr:`image`): ``mu``, ``logvar``, ``sigma`` (lists), ``rec`` = log p(x | z = mu) and ``kl`` (nats)."""
        x = self.image if x is None else x
        if x is None:
            raise ValueError("nothing drawn yet: draw a digit, or pass x")
        if not isinstance(x, torch.Tensor) and not hasattr(x, "__array__"):
            raise TypeError(f"x must be a 28 x 28 image (a tensor or an array, [1, 1, 28, 28] or [28, 28]); got "
                            f"{validate._kind(x)}")
        x = torch.as_tensor(x, dtype=torch.float32) if not isinstance(x, torch.Tensor) else x.float()
        if x.numel() != SIZE * SIZE:
            raise ValueError(f"x must be one 28 x 28 image ([1, 1, 28, 28] or [28, 28]); got shape {list(x.shape)}")
        x = validate.images(x.reshape(1, 1, SIZE, SIZE), name="x")
        mu, logvar = self.model.encode(x)
        rec = self.model.log_likelihood(x, mu)
        return {"mu": mu[0].tolist(), "logvar": logvar[0].tolist(), "sigma": (0.5 * logvar).exp()[0].tolist(),
                "rec": float(rec[0]), "kl": float(kl_std_normal(mu, logvar)[0])}

    def save_html(self, path: str | os.PathLike, title: str = "Draw a digit") -> Path:
        """Write a self-contained HTML page of this explorer (works from file://, no Jupyter, no network)."""
        path = Path(path)
        path.write_text(standalone_html(self.view, title))
        return path
