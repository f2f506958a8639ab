"""Notebook 00's first widget in the page: a slider that picks a test image, and the image (:func:`digit_browser`).

It checks that widgets work (if the slider and a digit show, the explorers will work too) and works in a saved
page with no kernel: the first ``n`` test images travel with it as uint8 grey levels (784 bytes each; the
default 300 images are 235 kB), and ``digits.js`` paints image i as :mod:`vae_lib.plots` draws images (ink black
on white, grey level ``round(255 (1 - x))``) with its index and label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import validate
from ..i18n import tr
from .twin import TwinExplorer, TwinView, module_source

__all__ = ["DigitBrowser", "digit_browser"]


class DigitsView(TwinView):
    """The front end of :class:`DigitBrowser` (``digits.js``)."""

    _esm = module_source("digits.js")


class DigitBrowser(TwinExplorer):
    """A slider over the first ``n`` of ``images`` ``[N, 1, H, W]`` (values in [0, 1]) with their ``labels``.

    Attributes:
        images (uint8 ``[n, H, W]``, what the page shows), labels; view (also ``.widget``); ``controls``: ``{"index"}``.
    """

    kind = "digits"

    def __init__(self, images: Any, labels: Any, *, n: int = 300, index: int = 0, scale: int = 4,
                 size: Any = "notebook") -> None:
        self.use_size(size)
        images = validate.float_tensor(images, "images", min_ndim=3)
        labels = torch.as_tensor(labels)
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels must be one per image ({images.shape[0]}); got shape {list(labels.shape)}")
        n = min(validate.count(n, "n (images in the page)", maximum=2000), images.shape[0])
        side = 28
        if tuple(images.shape[1:]) not in ((1, side, side), (side, side)):
            raise ValueError(f"images must be [N, 1, 28, 28] (the page paints 28 x 28 canvases); got {list(images.shape)}")
        if float(images[:n].min()) < 0 or float(images[:n].max()) > 1:
            raise ValueError("images must have values in [0, 1] (ink = 1)")
        self.images = (images[:n].reshape(n, side, side).double().numpy() * 255).round().astype(np.uint8)
        self.labels = [int(v) for v in labels[:n]]
        index = validate.count(index, "index", minimum=0, maximum=n - 1)
        scale = validate.count(scale, "scale", cap="scale")
        spec = {"count": n, "side": side, "scale": scale, "labels": self.labels}
        texts = {"index": tr("index"), "image": tr("test image"), "label": tr("label")}
        self._twin(DigitsView, spec, texts, {"index": index}, self.images.tobytes())


def digit_browser(images: Any, labels: Any, **kw: Any) -> DigitBrowser:
    """The slider over test images that notebook 00 shows (:class:`DigitBrowser`)."""
    return DigitBrowser(images, labels, **kw)
