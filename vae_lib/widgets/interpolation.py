r"""InterpolationExplorer: two test digits, an alpha slider, and the decoded path of several models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import torch

from .. import validate
from ..i18n import tr
from ..models import LatentModel
from ..runtime import one_thread
from .base import Explorer, missing_data, model_dataset, resolve_dataset, resolve_model
from .render import image_widget, render_png

__all__ = ["InterpolationExplorer"]


def named_models(models: Any) -> list[tuple[str, LatentModel]]:
    """``[(name, model)]`` of ``{name: model or zoo name}`` or a list (default: zoo ``["ae-2d", "vae-2d"]``), every
    model resolved and unconditional (a conditional decoder also needs a label)."""
    if models is None:
        models = ["ae-2d", "vae-2d"]
    if isinstance(models, Mapping):
        named = [(str(k), v) for k, v in models.items()]
    elif isinstance(models, (list, tuple)):
        named = [(m if isinstance(m, str) else f"{type(m).__name__} {i + 1}", m) for i, m in enumerate(models)]
    else:
        raise TypeError(f"models must be {{name: model}} or a list of models or zoo names; got {type(models).__name__}")
    if not named:
        raise ValueError("InterpolationExplorer needs at least one model")
    out = []
    for name, m in named:
        m = resolve_model(m, who=repr(name))
        if m.is_conditional:
            raise TypeError(f"InterpolationExplorer takes unconditional models; {name!r} is a {type(m).__name__} "
                            "(its decoder also needs a label). Use latent_explorer (or LatentExplorer) for it.")
        out.append((name, m))
    return out


class InterpolationExplorer(Explorer):
    r"""Two test digits, an alpha slider, and the decoded path for each model side by side.

    The two digits are picked by class and example (``digit_a`` / ``example_a``: "the first 7 of the
    test set" is digit 7, example 0); ``index_a`` / ``index_b`` hold the test-image indices they stand
    for, and setting an index moves the pickers.

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
        scale: screen pixels per image pixel of the large images (default ``style.compare_scale``: 5, or 17
            at ``size="large"``).
        size: ``"notebook"`` (default) or ``"large"`` (a projector: :data:`~vae_lib.widgets.render.SIZES`).

    Attributes:
        alpha_slider: ``FloatSlider`` in [0, 1]; ``digit_a`` / ``digit_b``: ``Dropdown`` of the classes;
        ``example_a`` / ``example_b``: ``BoundedIntText``, which test image of that class (0: the first);
        ``index_a`` / ``index_b``: ``BoundedIntText``, the test-image indices (not shown; set them from code).
        images: ``{name: Image}`` of the decoded z_alpha (PNGs at ``png_scale``, shown at ``scale``: see
            :class:`~vae_lib.widgets.LatentExplorer`); ``paths``: ``{name: Image}`` of the strips;
        endpoints: the ``Image`` of the two digits.
        models: ``{name: model}``; z: ``{name: tensor [K]}``, the current z_alpha of each model.
    """

    def __init__(self, models: Any = None, *, dataset: Any = None, index_a: int = 0, index_b: int = 1,
                 alpha: float = 0.5, steps: int = 11, scale: int | None = None, size: Any = "notebook") -> None:
        self.use_size(size)
        self.steps = validate.count(steps, "steps", minimum=2, cap="grid")
        self.scale = validate.count(scale if scale is not None else self.style.compare_scale, "scale", cap="scale")
        self.models: dict[str, LatentModel] = {name: m.eval() for name, m in named_models(models)}
        data = resolve_dataset(dataset, next(iter(self.models.values())))
        if data is None:
            raise ValueError("InterpolationExplorer needs test images: pass dataset=(images, labels) or extract "
                             "MNIST into the data folder (see vae_lib.data). "
                             + missing_data(dataset, next(iter(self.models.values()))))
        self._images, labels = data
        n = self._images.shape[0]
        ia, ib = (self._index(v, k, n) for k, v in (("index_a", index_a), ("index_b", index_b)))
        self._labels = labels.tolist()
        self._members: dict[int, list[int]] = {}
        for i, c in enumerate(self._labels):
            self._members.setdefault(int(c), []).append(i)
        names = None
        if (dataset if isinstance(dataset, str) else model_dataset(next(iter(self.models.values())))) == "fashion":
            from ..data import DATASETS

            names = DATASETS["fashion"][1]
        classes = [(names[c] if names is not None and c < len(names) else str(c), c) for c in sorted(self._members)]
        st = self.style
        self.index_a = W.BoundedIntText(value=ia, min=0, max=n - 1, description=tr("test image #"),
                                        layout=self.control_layout())
        self.index_b = W.BoundedIntText(value=ib, min=0, max=n - 1, description=tr("test image #"),
                                        layout=self.control_layout())
        kind = tr("digit") if names is None else tr("class")
        self.digit_a, self.example_a = self._picker(tr("from {kind}").format(kind=kind), classes, ia)
        self.digit_b, self.example_b = self._picker(tr("to {kind}").format(kind=kind), classes, ib)
        self.alpha_slider = self.slider("α", alpha, 0.0, 1.0, wide=True, name="alpha")
        self.endpoints = image_widget()
        self.png_scale = st.png_scale if 0 < st.png_scale < self.scale else self.scale  # (as LatentExplorer)
        self.images = {name: image_widget(size=28 * self.scale, pixelated=self.png_scale != self.scale)
                       for name in self.models}
        self.paths = {name: image_widget() for name in self.models}
        self.z: dict[str, torch.Tensor] = {}
        self._ends: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.watch(self.index_a, self.index_b, then=self._on_index)
        self.watch(self.digit_a, self.example_a, self.digit_b, self.example_b, then=self._on_pick)
        self.watch(self.alpha_slider)
        self._new_digits()
        pickers = W.VBox([W.HBox([self.digit_a, self.example_a]), W.HBox([self.digit_b, self.example_b])])
        gap = f"{st.gap_px}px"
        if st.css_font_px:  # a projector: the large images side by side, the path strips beside them
            cols = [W.VBox([W.HTML(f"<b>{name}</b>"), self.images[name]]) for name in self.models]
            strips = W.VBox([w for name in self.models for w in (
                W.HTML(tr("<b>{name}</b>: the whole path, α = 0 … 1").format(name=name)), self.paths[name])], layout=W.Layout(grid_gap="6px"))
            body = W.HBox([*cols, strips], layout=W.Layout(grid_gap=gap, align_items="flex-start"))
        else:
            body = W.HBox([W.VBox([W.HTML(f"<b>{name}</b>"), self.images[name], self.paths[name]])
                           for name in self.models])
        top = W.HBox([pickers, self.endpoints], layout=W.Layout(grid_gap=gap, align_items="center"))
        self.widget = self.finish(W.VBox([top, self.alpha_slider, body]))

    def _picker(self, where: str, classes: list[tuple[str, int]], index: int) -> tuple[W.Dropdown, W.BoundedIntText]:
        """A class dropdown (``description``: ``where``) and an example number for one end of the path, set to
        test image ``index``."""
        c = int(self._labels[index])
        members = self._members[c]
        digit = W.Dropdown(options=classes, value=c, description=where,
                           layout=self.control_layout(), **self.description_style())
        example = W.BoundedIntText(value=members.index(index), min=0, max=len(members) - 1, description=tr("example"),
                                   layout=self.control_layout(), **self.description_style())
        return digit, example

    def _on_pick(self) -> None:
        """A digit or example picker changed: the test images it names become the path's ends."""
        with self.holding():
            for digit, example, index in ((self.digit_a, self.example_a, self.index_a),
                                          (self.digit_b, self.example_b, self.index_b)):
                members = self._members[int(digit.value)]
                example.max = len(members) - 1  # (clamps the example into range)
                index.value = members[int(example.value)]
        self._new_digits()

    def _on_index(self) -> None:
        """A test-image index was set (from code): move the pickers to it."""
        with self.holding():
            for digit, example, index in ((self.digit_a, self.example_a, self.index_a),
                                          (self.digit_b, self.example_b, self.index_b)):
                c = int(self._labels[int(index.value)])
                members = self._members[c]
                digit.value = c
                example.max = len(members) - 1
                example.value = members.index(int(index.value))
        self._new_digits()

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
        strip = self.style.strip_scale
        alphas = torch.linspace(0, 1, self.steps)[:, None]
        with torch.inference_mode():
            for name, m in self.models.items():
                z = m.posterior_mean(x)
                self._ends[name] = (z[0].clone(), z[1].clone())
                path = (1 - alphas) * z[0] + alphas * z[1]
                self.paths[name].value = render_png(m._decode_mean_raw(path), scale=strip, nrow=self.steps)
        self.update()

    def update(self) -> None:
        """Decode z_alpha for each model (one forward per model)."""
        a = float(self.alpha_slider.value)
        with torch.inference_mode(), one_thread():
            for name, m in self.models.items():
                z1, z2 = self._ends[name]
                z = (1 - a) * z1 + a * z2
                self.z[name] = z
                self.images[name].value = render_png(m._decode_mean_raw(z[None])[0], scale=self.png_scale)
