r"""The decoder runs in the page: a latent explorer that repaints within one frame, with no kernel round trip.

For the fully connected ("mlp") models of :mod:`vae_lib.models`, the network is a chain of layers

.. math:: h_0 = [z;\ \mathrm{onehot}(y)],\qquad h_l = a_l(W_l h_{l-1} + b_l),\qquad
          \hat x = \sigma(h_L) = \text{model.decode\_mean}(z, y)

with activations :math:`a_l` in {relu, silu :math:`= x\,\sigma(x)`, tanh, elu :math:`= \alpha(e^x - 1)` below 0}
and none after the last layer (its outputs are the Bernoulli logits, or a Gaussian decoder's mean before the
sigmoid). :func:`export_networks` writes every :math:`W_l, b_l` into ONE little-endian buffer (sent to the browser
once, as a binary buffer: float16 when every weight is a float16 number, as the zoo's are, else float32) and a JSON
list of layers (sizes, offsets, activation).
``mlp.js`` runs the same products in JavaScript (float64 sums) on every slider ``input`` event and paints a
28 x 28 canvas shown with nearest-neighbour upscaling (``image-rendering: pixelated``), ink black on white as
:func:`vae_lib.widgets.render_png` draws it: grey level :math:`\mathrm{round}(255(1-\hat x))`.

:class:`InPageLatentExplorer` is the in-page twin of :class:`~vae_lib.widgets.LatentExplorer`: one slider per
latent dimension (``+-3 sigma`` of the prior or of the aggregate posterior), a label picker for a conditional
model, and for a 2-D model the scatter of test codes (a PNG sent once) with a ring at z (an SVG circle moved in
the page; a click or a drag on the scatter moves z). Python stays the source of truth: the page sends z back
(throttled, after painting), ``explorer.z`` reads it, ``set_z`` moves the page. Models that cannot run in the
page (conv) raise :class:`UnsupportedModel`; :func:`latent_explorer` falls back to the Python explorer and says so.

Saved widget state (``make html``) carries everything: the module source (``_esm``), the weights, the scatter;
the HTML copy's sliders keep working with no kernel and no network. :meth:`InPageLatentExplorer.save_html`
writes a self-contained page (no Jupyter at all): the same module with a minimal stand-in for the widget model.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import torch
import traitlets
from torch import nn

from .. import validate
from ..i18n import tr
from .base import Explorer, clamp, has_elbo, has_prior, missing_data, model_dataset, resolve_dataset, resolve_model
from .render import PaletteBackground, Style, scatter_background

__all__ = ["InPageLatentExplorer", "UnsupportedModel", "css_sizes", "export_networks", "in_page_problem", "latent_explorer",
           "map_transform", "standalone_html"]

HERE = Path(__file__).resolve().parent
_ACTS: dict[type[nn.Module], str] = {nn.ReLU: "relu", nn.SiLU: "silu", nn.Tanh: "tanh", nn.ELU: "elu"}


class UnsupportedModel(ValueError):
    """The model cannot run in the page (not a chain of Linear layers and supported activations)."""


def esm_source(*names: str) -> str:
    """The ES module of a widget: the shared engine ``mlp.js`` followed by the named files (shared math such as
    ``conv.js`` first, the widget's own file last)."""
    return "\n".join((HERE / n).read_text() for n in ("mlp.js", *names))


def _layers(modules: Sequence[nn.Module], what: str, chunks: list[np.ndarray], offset: int) -> tuple[list[dict], int]:
    """Linear layers (each followed by at most one activation) as layer dicts; weights appended to ``chunks``."""
    layers: list[dict] = []
    for m in modules:
        if isinstance(m, nn.Linear):
            w = m.weight.detach().to("cpu", torch.float32).numpy()
            b = (m.bias.detach().to("cpu", torch.float32).numpy() if m.bias is not None
                 else np.zeros(m.out_features, np.float32))
            layers.append({"n_in": m.in_features, "n_out": m.out_features, "w": offset, "b": offset + w.size,
                           "act": "none"})
            chunks += [w.ravel(), b]
            offset += w.size + b.size
        elif type(m) in _ACTS and layers and layers[-1]["act"] == "none":
            layers[-1]["act"] = _ACTS[type(m)]
            if isinstance(m, nn.ELU):
                layers[-1]["alpha"] = float(m.alpha)
        elif isinstance(m, (nn.Flatten, nn.Unflatten)) and m in (modules[0], modules[-1]):
            continue  # reshapes at the ends: the page works on flat vectors
        else:
            raise UnsupportedModel(f"the {what} has a {type(m).__name__} layer: only Linear layers with "
                                   f"{'/'.join(_ACTS.values())} activations run in the page")
    if not layers:
        raise UnsupportedModel(f"the {what} has no Linear layer")
    return layers, offset


def _modules(net: nn.Module, what: str) -> list[nn.Module]:
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in net.modules()):
        raise UnsupportedModel(f"the {what} is convolutional (arch='conv'): only fully connected (arch='mlp') "
                               "networks run in the page")
    if isinstance(net, nn.Sequential):
        return list(net)
    if callable(getattr(net, "layer_sequence", None)):  # an encoder of vae_lib.networks: its layers in order
        return list(net.layer_sequence())
    raise UnsupportedModel(f"the {what} is a {type(net).__name__} with convolutions or other layers that do not run "
                           "in the page (only fully connected, arch='mlp', models do)")


def export_networks(model: nn.Module, parts: Sequence[str] = ("decoder",), *,
                    compact: bool = False) -> tuple[dict[str, dict], bytes]:
    """``({part: {"layers": [...], "dtype": ...}}, weights)``: each part's layers (``n_in``, ``n_out``, the element
    offsets ``w`` of :math:`W` (n_out x n_in, row-major) and ``b`` of :math:`b`, ``act``) and all weights as
    little-endian float32 bytes (``dtype`` ``"float32"``).

    ``compact``: when every weight is a float16 number (the zoo's models are: their files store float16 and load as
    float32), send float16 bytes instead (``dtype`` ``"float16"``), half the size and the *same* numbers; ``mlp.js``
    widens them back to float32 exactly. Any other model is sent as float32.

    Raises:
        UnsupportedModel: a part is not a chain of Linear layers with relu/silu/tanh/elu activations.
    """
    chunks: list[np.ndarray] = []
    specs, offset = {}, 0
    for part in parts:
        layers, offset = _layers(_modules(getattr(model, part), part), part, chunks, offset)
        specs[part] = {"layers": layers, "dtype": "float32"}
    weights = np.concatenate(chunks).astype("<f4")
    if compact:
        half = weights.astype("<f2")
        if np.array_equal(half.astype("<f4"), weights):   # exact: every weight is a float16 number
            for spec in specs.values():
                spec["dtype"] = "float16"
            return specs, half.tobytes()
    return specs, weights.tobytes()


def in_page_problem(model: Any) -> str | None:
    """Why ``model`` cannot run in the page (a sentence), or None when it can."""
    if not hasattr(model, "decoder") or not hasattr(model, "latent_dim"):
        return f"{type(model).__name__} is not a vae_lib model"
    try:
        export_networks(model, ("decoder",))
    except UnsupportedModel as exc:
        return str(exc)
    return None


def css_sizes(style: Style) -> dict[str, int]:
    """The sizes the page applies: text (``font_px``, 0: the notebook theme's), slider width, gap between panels."""
    return {"font_px": style.css_font_px, "slider_px": style.slider_width - 100, "gap_px": style.gap_px}


def map_transform(background: PaletteBackground) -> dict[str, float]:
    """The scatter's affine map from data to picture pixels: ``px = ax + bx z1``, ``py = ay + by z2``."""
    x0, y0 = background.to_pixel(0.0, 0.0)
    x1, y1 = background.to_pixel(1.0, 1.0)
    return {"width": background.width, "height": background.height, "ax": x0, "bx": x1 - x0, "ay": y0, "by": y1 - y0}


def encode_test_codes(model: nn.Module, dataset: Any, n_points: int) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """``(codes, labels)`` of the first ``n_points`` test images (``posterior_mean``), or ``(None, None)`` offline."""
    data = resolve_dataset(dataset, model)
    if data is None:
        return None, None
    images, labels = data[0][:n_points], data[1][:n_points]
    return model.posterior_mean(images, labels if model.is_conditional else None), labels


def class_names(model: nn.Module, dataset: Any) -> list[str] | None:
    if (dataset if isinstance(dataset, str) else model_dataset(model)) == "fashion":
        from ..data import DATASETS

        return list(DATASETS["fashion"][1])
    return None


class InPageExplorer(Explorer):
    """What the in-page explorers share: the anywidget view as ``.widget`` with the explorers' CSS hooks, the
    texts of the map's PNG, and no work in the kernel per move (the page computes)."""

    background: PaletteBackground | None
    view: anywidget.AnyWidget

    def _show(self, view: anywidget.AnyWidget) -> None:
        self.view = view
        self.view.add_class("vae-explorer")  # the CSS hooks every explorer's root has
        self.view.add_class(f"vae-size-{self.style.name}")
        self.widget = self.view

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        """The texts drawn in the map's PNG (``img.vae-map-img``), ``(text, px)`` smallest first."""
        return {} if self.background is None else {"vae-map-img": list(getattr(self.background, "texts", []))}

    def update(self) -> None:
        """Nothing to do in the kernel: the page computes and paints."""


class InPageView(anywidget.AnyWidget):
    """The front end of :class:`InPageLatentExplorer` (anywidget; ``inpage.js`` after ``mlp.js``)."""

    _esm = esm_source("inpage.js")
    _css = (HERE / "inpage.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # sizes, bounds, the layers, the scatter's transform (JSON)
    weights = traitlets.Bytes().tag(sync=True)   # the weights, one binary buffer sent once (float16 when exact)
    scatter = traitlets.Bytes().tag(sync=True)   # PNG of the test codes (2-D models), sent once
    z = traitlets.List(traitlets.Float()).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)

    def __repr__(self) -> str:  # a notebook cell that ends with the explorer prints no memory address
        return f"InPageView(z = {[round(v, 2) for v in self.z]})"


class InPageLatentExplorer(InPageExplorer):
    """One slider per latent dimension; the decoder runs in the page (see the module docstring).

    Args:
        model: an mlp VAE, Autoencoder or ConditionalVAE (any latent size), or a zoo name.
        dataset, range, n_points, scale, scatter: as :class:`~vae_lib.widgets.LatentExplorer`.
        size: ``"notebook"``, ``"large"`` (a projector) or a :class:`~vae_lib.widgets.render.Style`.

    Attributes:
        view: the anywidget (also ``.widget``); ``bounds``: ``[(low, high)]`` per slider; ``range``;
        ``background``: the scatter's :class:`~vae_lib.widgets.render.PaletteBackground` or None.

    Raises:
        UnsupportedModel: a conv model (use :class:`~vae_lib.widgets.LatentExplorer`, or :func:`latent_explorer`).
    """

    def __init__(self, model: nn.Module | str, *, dataset: Any = None, range: str | None = None,
                 n_points: int = 5000, scale: int | None = None, scatter: bool = True,
                 size: str | Style = "notebook") -> None:
        model = resolve_model(model)
        self.use_size(size)
        problem = in_page_problem(model)
        if problem is not None:
            raise UnsupportedModel(f"{problem}; use LatentExplorer(model) (decodes in the kernel) or "
                                   "latent_explorer(model), which picks the one that works")
        n_points = validate.count(n_points, "n_points")
        scale = validate.count(scale if scale is not None else self.style.image_scale, "scale", cap="scale")
        scatter = validate.flag(scatter, "scatter")
        if range is None:
            range = "prior" if has_elbo(model) else "posterior"
        validate.choice(range, "range", ("prior", "posterior"))
        if range == "prior" and not has_prior(model):
            raise ValueError(f"a {type(model).__name__} has no prior: use range='posterior'")
        self.model, self.range = model.eval(), range
        K = model.latent_dim
        codes = labels = None
        if range == "posterior" or (K == 2 and scatter):
            codes, labels = encode_test_codes(model, dataset, n_points)
        if range == "posterior":
            if codes is None:
                raise ValueError("range='posterior' needs test images: pass dataset=(images, labels). "
                                 + missing_data(dataset, model))
            center, spread = codes.mean(0), codes.std(0).nan_to_num(0.0).clamp_min(1e-3)
        else:
            center, spread = torch.zeros(K), torch.ones(K)
        self.bounds = [(float(c - 3 * s), float(c + 3 * s)) for c, s in zip(center, spread)]
        self.background: PaletteBackground | None = None
        if K == 2 and scatter and codes is not None:
            self.background = scatter_background(codes, labels, self.bounds, tr("test codes (mean of q(z|x))"),
                                                 self.style, class_names=class_names(model, dataset))
        specs, weights = export_networks(model, ("decoder",), compact=True)
        spec = {"title": tr("{model}, K = {K}: drag a slider (or click the map) to move z; the decoder runs in this "
                            "page").format(model=type(model).__name__, K=K),
                "text": {"label": tr("label")},
                "latent_dim": K, "n_classes": model.n_classes if model.is_conditional else 0, "scale": scale,
                "bounds": self.bounds, "marker_radius": self.style.marker_radius, **css_sizes(self.style),
                "map": map_transform(self.background) if self.background is not None else None, **specs}
        self._show(InPageView(spec=spec, weights=weights, z=[float(c) for c in center],
                              scatter=self.background.plain if self.background is not None else b""))

    @property
    def z(self) -> torch.Tensor:
        """The latent code the page shows now, ``[K]`` float32 (sent by the page after each move)."""
        return torch.tensor(self.view.z, dtype=torch.float32)

    @property
    def label(self) -> int | None:
        return int(self.view.label) if self.model.is_conditional else None

    def set_z(self, z: Sequence[float] | torch.Tensor) -> torch.Tensor:
        """Move z (clamped to the sliders' ranges); the page follows. Returns ``.z``."""
        from .latent import _latent_values

        values = _latent_values(z, len(self.bounds))
        self.view.z = [clamp(v, lo, hi) for v, (lo, hi) in zip(values, self.bounds)]
        return self.z

    def set_label(self, label: int) -> None:
        """The label a conditional decoder gets (0 to n_classes - 1)."""
        if not self.model.is_conditional:
            raise ValueError(f"a {type(self.model).__name__} takes no label")
        self.view.label = validate.count(label, "label", minimum=0, maximum=self.model.n_classes - 1)

    def decode(self) -> torch.Tensor:
        """What the page shows, computed by the model: ``model.decode_mean(z, y)``, ``[1, 28, 28]``."""
        y = None if self.label is None else torch.tensor([self.label])
        with torch.inference_mode():
            return self.model.decode_mean(self.z[None], y)[0]

    def save_html(self, path: str | os.PathLike, title: str = "Latent space") -> Path:
        """Write a self-contained HTML page of this explorer (works from file://, no Jupyter, no network)."""
        path = Path(path)
        path.write_text(standalone_html(self.view, title))
        return path


def latent_explorer(model: nn.Module | str, *, in_page: bool = True, **kw: Any) -> Explorer:
    """An :class:`InPageLatentExplorer` when the model runs in the page (and ``in_page``), else the Python
    :class:`~vae_lib.widgets.LatentExplorer` (with a warning that says why)."""
    in_page = validate.flag(in_page, "in_page")
    model = resolve_model(model)
    if in_page:
        problem = in_page_problem(model)
        if problem is None:
            return InPageLatentExplorer(model, **kw)
        warnings.warn(f"{problem}: the decoder runs in the kernel instead (LatentExplorer), one round trip per "
                      "slider move", stacklevel=2)
    from .latent import LatentExplorer

    return LatentExplorer(model, **kw)


def standalone_html(widget: anywidget.AnyWidget, title: str = "") -> str:
    """A self-contained page that shows ``widget`` with no Jupyter and no network.

    The page holds the widget's ES module (``_esm``), its CSS, and its own synced traits (binary ones
    base64-encoded, handed to the module as ``DataView`` as ipywidgets does), and gives the module a
    minimal model: ``get``, ``set`` (fires ``change:NAME``), ``on``, ``off``, and ``save_changes`` (a no-op:
    there is no kernel). The rendered root element gets the id ``root``; ``document.body.dataset.ready``
    becomes ``"1"`` when the widget has rendered.
    """
    own = set(widget.trait_names(sync=True)) - set(anywidget.AnyWidget.class_trait_names(sync=True))
    state = {}
    for name in sorted(own - {"_esm", "_css", "_anywidget_id"}):
        value = getattr(widget, name)
        state[name] = {"$b64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value
    parts = {"TITLE": html.escape(title or type(widget).__name__), "/*CSS*/": widget._css,
             "STATE": json.dumps(state).replace("</", "<\\/"), "ESM": json.dumps(widget._esm).replace("</", "<\\/")}
    return re.sub("|".join(re.escape(k) for k in parts), lambda m: parts[m.group(0)], _PAGE)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>TITLE</title><style>/*CSS*/</style></head>
<body style="margin: 16px"><div id="root"></div>
<script type="module">
const esm = ESM;
const state = STATE;
for (const [k, v] of Object.entries(state)) {
  if (v && v.$b64 !== undefined) {
    const s = atob(v.$b64), a = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    state[k] = new DataView(a.buffer);
  }
}
const listeners = {};
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); },
  on: (name, f) => { (listeners[name] = listeners[name] || []).push(f); },
  off: (name, f) => { listeners[name] = (listeners[name] || []).filter((g) => g !== f); },
  save_changes: () => {},
  send: () => {},
};
const mod = await import(URL.createObjectURL(new Blob([esm], { type: "text/javascript" })));
await mod.default.render({ model, el: document.getElementById("root") });
document.body.dataset.ready = "1";
</script></body></html>
"""
