r"""The interpolation explorer with its decoders in the page: :class:`InPageInterpolationExplorer`.

The in-page twin of :class:`~vae_lib.widgets.InterpolationExplorer` (the reference, still used by the lecture app).
For each model it shows the decoded path between the codes of two test images,

.. math:: z_\alpha = (1-\alpha)\,z_a + \alpha\,z_b, \qquad \hat x = \text{model.decode\_mean}(z_\alpha),

with the decoders running in JavaScript (``mlp.js``, the weights exported as :mod:`.inpage` does), so the alpha
slider repaints with no kernel, also in a saved page. What the page cannot compute, the encoder means
:math:`z_i` (``model.posterior_mean``), is computed here for the digits the pickers offer: the first
``n_examples`` test images of each class (and ``index_a``, ``index_b``), their codes sent once as numbers.
A decoder that an in-page latent explorer of the same kernel already holds (the same weights, byte for byte: notebook
07 shows both for the same models) is not sent again: the page reads it from that widget through the widget manager,
so a saved notebook holds each decoder once (``share=False``, and :meth:`InPageInterpolationExplorer.save_html`,
inline every decoder).
The page's numbers (``data-vae-value``): ``alpha``, each model's ``z<k>-<i>`` (component k of model i's
:math:`z_\alpha`) and ``ink-<i>`` (:math:`\sum_d \hat x_d`, the decoded image's total ink).
:func:`interpolation_explorer` picks this twin when every model runs in the page (fully connected), else the
Python explorer.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import torch
import traitlets

from .. import validate
from ..i18n import tr
from .base import Explorer, clamp, finite, missing_data, model_dataset, resolve_dataset
from .inpage import (
    HERE,
    InPageExplorer,
    InPageView,
    UnsupportedModel,
    css_sizes,
    esm_source,
    export_networks,
    in_page_problem,
    standalone_html,
)
from .interpolation import named_models
from .render import Style

__all__ = ["InPageInterpolationExplorer", "interpolation_explorer", "zoo_name"]


def zoo_name(model: Any) -> str | None:
    """The zoo name of a model loaded with :func:`vae_lib.zoo.load` (its recipe's name), else None."""
    recipe = (getattr(model, "zoo_info", None) or {}).get("recipe")
    return recipe.get("name") if isinstance(recipe, dict) else None


def live_view_with(weights: bytes) -> anywidget.AnyWidget | None:
    """A live (not closed) :class:`~.inpage.InPageView` whose ``weights`` are exactly ``weights`` (an in-page latent
    explorer of the same decoder, shown earlier in the notebook), or None."""
    from ipywidgets.widgets.widget import _instances

    for w in list(_instances.values()):
        if isinstance(w, InPageView) and w.comm is not None and len(w.weights) == len(weights) and w.weights == weights:
            return w
    return None


def export_decoders(models: Mapping[str, Any], share: bool) -> tuple[list[dict], bytes, list[anywidget.AnyWidget]]:
    """Every model's decoder for the page: ``([{"layers": [...], "weights_from": model id or None}], weights, views)``.

    A decoder whose exact weights a live in-page latent explorer already holds (``share``) is read from that
    widget's ``weights`` in the page (``weights_from``: its model id; ``views``: those widgets); the others go into
    one buffer (``weights``, layer offsets into it; float16 when every decoder's weights are float16 numbers, else
    float32: :func:`~.inpage.export_networks`' ``compact``).
    """
    specs, chunks, views, offset = [], [], [], 0
    exported = [export_networks(m, ("decoder",), compact=True) for m in models.values()]
    if len({spec["decoder"]["dtype"] for spec, _ in exported}) > 1:   # one buffer holds one dtype: float32 for all
        exported = [export_networks(m, ("decoder",)) for m in models.values()]
    for spec, w in exported:
        view = live_view_with(w) if share else None
        dec = {**spec["decoder"], "weights_from": None if view is None else view.model_id}
        if view is None:
            for layer in dec["layers"]:
                layer["w"] += offset
                layer["b"] += offset
            chunks.append(w)
            offset += len(w) // (2 if dec["dtype"] == "float16" else 4)
        else:
            views.append(view)
        specs.append(dec)
    return specs, b"".join(chunks), views


class InterpolationView(anywidget.AnyWidget):
    """The front end of :class:`InPageInterpolationExplorer` (``interpolation.js`` after ``mlp.js``)."""

    _esm = esm_source("interpolation.js")
    _css = (HERE / "inpage.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # models (layers, codes), the offered digits, sizes
    labels = traitlets.Dict().tag(sync=True)     # the page's words (vae_lib.i18n)
    weights = traitlets.Bytes().tag(sync=True)   # the decoders no other widget holds, sent once (float16 when exact)
    images = traitlets.Bytes().tag(sync=True)    # the offered test images, uint8 (round(255 x)), 784 each
    alpha = traitlets.Float(0.5).tag(sync=True)  # the page's alpha (sent back after each move)
    index_a = traitlets.Int(0).tag(sync=True)    # the test-image indices of the two ends
    index_b = traitlets.Int(1).tag(sync=True)

    def __repr__(self) -> str:  # a notebook cell that ends with the explorer prints no memory address
        return f"InterpolationView({len(self.spec.get('models', []))} models, alpha = {self.alpha:.2f})"


class InPageInterpolationExplorer(InPageExplorer):
    """Two test digits, an alpha slider and each model's decoded path; the decoders run in the page.

    Args:
        models, dataset, index_a, index_b, alpha, steps, scale, size: as
            :class:`~vae_lib.widgets.InterpolationExplorer` (unconditional fully connected models).
        n_examples: how many test images of each class the pickers offer (the first of each class; plus
            ``index_a`` and ``index_b``): their codes are computed here, once.
        share: a decoder that an in-page latent explorer of this kernel already sent (the same weights, byte for
            byte) is not sent again: the page reads it from that widget (a notebook's saved state then holds each
            decoder once). ``False``: every decoder in this widget (:meth:`save_html` always inlines them).

    Attributes:
        view (also ``.widget``): the anywidget; ``models``: ``{name: model}``; ``offered``: the offered test-image
        indices; ``codes``: ``{name: tensor [len(offered), K]}``; ``alpha``, ``index_a``, ``index_b``: what the
        page shows (set them with :meth:`set_alpha` and :meth:`set_digits`); ``z``: ``{name: z_alpha}``.

    Raises:
        UnsupportedModel: a model that cannot run in the page (conv); use :func:`interpolation_explorer`.
    """

    background = None

    def __init__(self, models: Any = None, *, dataset: Any = None, index_a: int = 0, index_b: int = 1,
                 alpha: float = 0.5, steps: int = 11, scale: int | None = None, n_examples: int = 5,
                 share: bool = True, size: str | Style = "notebook") -> None:
        self.use_size(size)
        self.steps = validate.count(steps, "steps", minimum=2, cap="grid")
        self.scale = validate.count(scale if scale is not None else self.style.compare_scale, "scale", cap="scale")
        n_examples = validate.count(n_examples, "n_examples", cap="grid")
        alpha = clamp(finite(alpha, "alpha", 0.0, 1.0), 0.0, 1.0)
        self.models: dict[str, Any] = {}
        for name, m in named_models(models):
            problem = in_page_problem(m)
            if problem is not None:
                raise UnsupportedModel(f"{name!r}: {problem}; use InterpolationExplorer (decodes in the kernel) "
                                       "or interpolation_explorer(...), which picks the one that works")
            self.models[name] = m.eval()
        first = next(iter(self.models.values()))
        data = resolve_dataset(dataset, first)
        if data is None:
            raise ValueError("InterpolationExplorer needs test images: pass dataset=(images, labels) or extract "
                             "MNIST into the data folder (see vae_lib.data). " + missing_data(dataset, first))
        images, labels = data
        n = images.shape[0]
        ia, ib = (validate.count(v, k, minimum=0, maximum=n - 1) for k, v in (("index_a", index_a),
                                                                               ("index_b", index_b)))
        members: dict[int, list[int]] = {}
        for i, c in enumerate(labels.tolist()):
            if len(members.setdefault(int(c), [])) < n_examples or i in (ia, ib):
                members[int(c)].append(i)
        self.offered = sorted(i for m in members.values() for i in m)
        pos = {i: k for k, i in enumerate(self.offered)}
        x = images[self.offered]
        with torch.inference_mode():
            self.codes = {name: m.posterior_mean(x).float() for name, m in self.models.items()}
        names = None
        if (dataset if isinstance(dataset, str) else model_dataset(first)) == "fashion":
            from ..data import DATASETS

            names = DATASETS["fashion"][1]
        classes = [{"class": c, "text": names[c] if names is not None and c < len(names) else str(c),
                    "offered": [pos[i] for i in members[c]]} for c in sorted(members)]
        decoders, weights, self._shared = export_decoders(self.models, validate.flag(share, "share"))
        st = self.style
        spec = {"title": tr("the straight path between two codes, decoded by each model in this page"),
                "models": [{"name": name, "zoo": zoo_name(m), "latent_dim": m.latent_dim, "decoder": dec,
                            "codes": self.codes[name].tolist()} for (name, m), dec in zip(self.models.items(), decoders)],
                "classes": classes, "test_index": self.offered, "steps": self.steps, "scale": self.scale,
                "thumb": st.thumb_scale, "strip": st.strip_scale, "dataset": model_dataset(first)
                if dataset is None else (dataset if isinstance(dataset, str) else None), **css_sizes(st)}
        kind = tr("digit") if names is None else tr("class")
        labels_ = {"from": tr("from {kind}").format(kind=kind), "to": tr("to {kind}").format(kind=kind),
                   "example": tr("example"), "path": tr("the whole path, α = 0 … 1"),
                   "ink": tr("ink Σ x̂ (pixel means)"), "z": "z_α"}
        pixels = np.rint(x.reshape(len(self.offered), -1).numpy() * 255).astype(np.uint8).tobytes()
        self._show(InterpolationView(spec=spec, labels=labels_, weights=weights, images=pixels, alpha=alpha,
                                     index_a=ia, index_b=ib))
        self.view.add_class("vae-interpolation")

    def save_html(self, path: str | os.PathLike, title: str = "Interpolation") -> Path:
        """Write a self-contained page of this explorer (file://, no Jupyter, no network): every decoder inlined."""
        view = self.view
        if self._shared:
            specs, weights, _ = export_decoders(self.models, share=False)
            view = InterpolationView(spec={**view.spec, "models": [{**m, "decoder": d} for m, d in
                                                                   zip(view.spec["models"], specs)]},
                                     labels=view.labels, weights=weights, images=view.images, alpha=view.alpha,
                                     index_a=view.index_a, index_b=view.index_b)
        path = Path(path)
        path.write_text(standalone_html(view, title))
        if view is not self.view:
            view.close()
        return path

    @property
    def alpha(self) -> float:
        return float(self.view.alpha)

    @property
    def index_a(self) -> int:
        return int(self.view.index_a)

    @property
    def index_b(self) -> int:
        return int(self.view.index_b)

    def set_alpha(self, alpha: float) -> float:
        """Move the alpha slider (clamped into [0, 1]); the page follows. Returns the alpha."""
        self.view.alpha = clamp(validate.number(alpha, "alpha"), 0.0, 1.0)
        return self.alpha

    def set_digits(self, index_a: int, index_b: int) -> None:
        """Make test images ``index_a`` and ``index_b`` the path's ends (two of :attr:`offered`)."""
        for name, i in (("index_a", index_a), ("index_b", index_b)):
            i = validate.count(i, name, minimum=0)
            if i not in self.offered:
                raise ValueError(f"{name} = {i} is not a digit the page offers (it has the codes of "
                                 f"{len(self.offered)} test images: .offered); make the explorer with "
                                 f"{name}={i} or a larger n_examples")
        self.view.index_a, self.view.index_b = int(index_a), int(index_b)

    def ends(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_a, z_b)``: model ``name``'s codes of the two chosen test images."""
        c = self.codes[name]
        return c[self.offered.index(self.index_a)], c[self.offered.index(self.index_b)]

    @property
    def z(self) -> dict[str, torch.Tensor]:
        """``{name: z_alpha}`` that the page decodes now."""
        a = self.alpha
        return {name: (1 - a) * za + a * zb for name, (za, zb) in ((n, self.ends(n)) for n in self.models)}

    @torch.inference_mode()
    def decode(self) -> dict[str, torch.Tensor]:
        """What the page shows, computed by the models: ``{name: model.decode_mean(z_alpha) [1, 28, 28]}``."""
        return {name: self.models[name].decode_mean(z[None])[0] for name, z in self.z.items()}


def interpolation_explorer(models: Any = None, *, in_page: bool = True, **kw: Any) -> Explorer:
    """An :class:`InPageInterpolationExplorer` when every model runs in the page (and ``in_page``), else the
    Python :class:`~vae_lib.widgets.InterpolationExplorer` (with a warning that says why)."""
    from .interpolation import InterpolationExplorer

    in_page = validate.flag(in_page, "in_page")
    named = named_models(models)
    if in_page:
        problems = [f"{name!r}: {p}" for name, m in named if (p := in_page_problem(m)) is not None]
        if not problems:
            return InPageInterpolationExplorer(dict(named), **kw)
        warnings.warn(f"{'; '.join(problems)}: the decoders run in the kernel instead (InterpolationExplorer)",
                      stacklevel=2)
    kw.pop("n_examples", None)
    return InterpolationExplorer(dict(named), **kw)
