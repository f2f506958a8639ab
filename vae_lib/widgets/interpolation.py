r"""InterpolationExplorer: two test digits, an alpha slider, and the decoded path of several models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import torch

from .. import validate
from ..models import LatentModel
from ..toy import one_thread
from .base import Explorer, resolve_dataset, resolve_model
from .render import image_widget, render_png

__all__ = ["InterpolationExplorer"]


class InterpolationExplorer(Explorer):
    r"""Two test digits, an alpha slider, and the decoded path for each model side by side.

    .. math:: z_\alpha = (1-\alpha)\,z_1 + \alpha\,z_2

    where :math:`z_i` is the code of digit i (``model.posterior_mean``: the encoder mean of a VAE, the
    code of an Autoencoder). For each model a strip shows the whole path (``steps`` points, drawn
    when the digits change) and a large image shows the pixel means ``model.decode_mean(z_alpha)``,
    updated while alpha moves.

    Args:
        models: ``{name: model}``, or a list of models or zoo names; default zoo ``["ae-2d", "vae-2d"]``.
            Unconditional models only (a conditional decoder also needs a label).
        dataset: test images, as for :class:`~vae_lib.widgets.LatentExplorer`.
        index_a, index_b: the two test images (indices into the test set).
        alpha: the starting alpha (clamped into [0, 1]).
        steps: points on each strip (an integer >= 2).
        scale: screen pixels per image pixel of the large images (default ``style.compare_scale``, 5).

    Attributes:
        alpha_slider: ``FloatSlider`` in [0, 1]; ``index_a`` / ``index_b``: ``BoundedIntText``.
        images: ``{name: Image}`` of the decoded z_alpha; ``paths``: ``{name: Image}`` of the strips;
        endpoints: the ``Image`` of the two digits.
        models: ``{name: model}``; z: ``{name: tensor [K]}``, the current z_alpha of each model.
    """

    def __init__(self, models: Any = None, *, dataset: Any = None, index_a: int = 0, index_b: int = 1,
                 alpha: float = 0.5, steps: int = 11, scale: int | None = None) -> None:
        self.steps = validate.count(steps, "steps", minimum=2)
        self.scale = validate.count(scale if scale is not None else self.style.compare_scale, "scale")
        if models is None:
            models = ["ae-2d", "vae-2d"]
        if isinstance(models, Mapping):
            named = [(str(k), v) for k, v in models.items()]
        elif isinstance(models, (list, tuple)):
            named = [(m if isinstance(m, str) else f"{type(m).__name__} {i + 1}", m) for i, m in enumerate(models)]
        else:
            raise TypeError(f"models must be {{name: model}} or a list of models or zoo names; got "
                            f"{type(models).__name__}")
        if not named:
            raise ValueError("InterpolationExplorer needs at least one model")
        self.models: dict[str, LatentModel] = {}
        for name, m in named:
            m = resolve_model(m, who=repr(name))
            if m.is_conditional:
                raise TypeError(f"InterpolationExplorer takes unconditional models; {name!r} is a "
                                f"{type(m).__name__} (its decoder also needs a label). Use LatentExplorer for it.")
            self.models[name] = m.eval()
        data = resolve_dataset(dataset, next(iter(self.models.values())))
        if data is None:
            raise ValueError("InterpolationExplorer needs test images: pass dataset=(images, labels) or extract "
                             "MNIST into the data folder (see vae_lib.data)")
        self._images = data[0]
        n = self._images.shape[0]
        ia, ib = (self._index(v, k, n) for k, v in (("index_a", index_a), ("index_b", index_b)))
        self.index_a = W.BoundedIntText(value=ia, min=0, max=n - 1, description="digit 1", layout=self.control_layout())
        self.index_b = W.BoundedIntText(value=ib, min=0, max=n - 1, description="digit 2", layout=self.control_layout())
        self.alpha_slider = self.slider("α", alpha, 0.0, 1.0, wide=True, name="alpha")
        self.endpoints = image_widget()
        self.images = {name: image_widget(size=28 * self.scale) for name in self.models}
        self.paths = {name: image_widget() for name in self.models}
        self.z: dict[str, torch.Tensor] = {}
        self._ends: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.watch(self.index_a, self.index_b, then=self._new_digits)
        self.watch(self.alpha_slider)
        self._new_digits()
        cols = [W.VBox([W.HTML(f"<b>{name}</b>"), self.images[name], self.paths[name]]) for name in self.models]
        self.widget = W.VBox([W.HBox([self.index_a, self.index_b, self.endpoints]), self.alpha_slider, W.HBox(cols)])

    @staticmethod
    def _index(v: Any, name: str, n: int) -> int:
        i = validate.count(v, name, minimum=0)
        if i >= n:
            raise ValueError(f"{name} must be a test-image index in [0, {n - 1}]; got {i}")
        return i

    def _new_digits(self) -> None:
        """Encode the two chosen digits and redraw each model's path strip."""
        x = self._images[[int(self.index_a.value), int(self.index_b.value)]]
        thumb = self.style.thumb_scale
        self.endpoints.value = render_png(x, scale=thumb, nrow=2)
        alphas = torch.linspace(0, 1, self.steps)[:, None]
        with torch.inference_mode():
            for name, m in self.models.items():
                z = m.posterior_mean(x)
                self._ends[name] = (z[0].clone(), z[1].clone())
                path = (1 - alphas) * z[0] + alphas * z[1]
                self.paths[name].value = render_png(m.decode_mean(path), scale=thumb, nrow=self.steps)
        self.update()

    def update(self) -> None:
        """Decode z_alpha for each model (one forward per model)."""
        a = float(self.alpha_slider.value)
        with torch.inference_mode(), one_thread():
            for name, m in self.models.items():
                z1, z2 = self._ends[name]
                z = (1 - a) * z1 + a * z2
                self.z[name] = z
                self.images[name].value = render_png(m.decode_mean(z[None])[0], scale=self.scale)
