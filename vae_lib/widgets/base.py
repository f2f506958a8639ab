"""What every explorer shares: display, closing, event plumbing, sliders, model and data resolution.

An explorer builds its controls with :meth:`Explorer.slider` (clamped, checked, one width),
subscribes them with :meth:`Explorer.watch` (each event runs the explorer's update path unless
the explorer is inside :meth:`Explorer.holding`, where several controls change with one update
at the end), and puts its root container in ``.widget``. Models come through :func:`resolve_model`
(a model or a zoo name; anything else is a ``TypeError`` here, once) and test images through
:func:`resolve_dataset`. What kind of model it is is asked of the model itself
(``has_prior``, ``has_elbo``, ``is_conditional``, ``n_classes``: :mod:`vae_lib.models`; :func:`has_prior` and
:func:`has_elbo` also read models that only say ``is_variational``).

**Test images the way load_mnist gets them.** A named dataset is read from the data folder, and downloaded
into it when it is missing (:func:`vae_lib.data.load_mnist`: a bounded wait per answer, a progress line per
file, the offline instructions when it fails). A failed download is remembered for :data:`RETRY_AFTER`
seconds, so that the next explorer (the lecture app builds several) does not wait for it again; the reason is
kept for the explorers' messages (:func:`missing_data`). :func:`explorer_panel` builds an explorer for a tab
of the lecture app and turns a failure into a message inside that tab, so that the other tabs work.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import ipywidgets as W
import torch

from .. import validate
from ..i18n import tr
from ..models import LatentModel
from .render import SIZES, Style, style_css

__all__ = ["RETRY_AFTER", "Explorer", "check_tabs", "clamp", "error_panel", "explorer_panel", "finite", "has_elbo",
           "has_prior", "missing_data", "model_dataset", "resolve_dataset", "resolve_model"]

#: seconds during which a failed download of a dataset is not tried again by the explorers of this process
RETRY_AFTER = 600.0
_unavailable: dict[tuple[str, str], tuple[float, str]] = {}   # (dataset, data folder) -> (when, why)


def clamp(v: float, lo: float, hi: float) -> float:
    """``v`` clamped to [lo, hi]; +-inf go to the nearest end, NaN to 0 (or lo when 0 is outside).

    For values that arrive while the explorer runs (:meth:`LatentExplorer.set_z`, a fit); a
    constructor argument goes through :func:`finite` first.
    """
    v = float(v)
    if math.isnan(v):
        v = 0.0 if lo <= 0.0 <= hi else lo
    return min(max(v, lo), hi)


def finite(value: Any, name: str, lo: float, hi: float) -> float:
    """A constructor's slider value: a finite number (clamped later into [lo, hi]); NaN or inf is an error."""
    try:
        return validate.number(value, name)
    except ValueError:
        raise ValueError(f"{name} must be a finite number in [{lo:g}, {hi:g}] (finite values outside are "
                         f"clamped into it); got {value}") from None


def has_prior(model: Any) -> bool:
    """Whether ``model`` has a prior p(z) to sample from (``model.has_prior``; a model that only has the older flag:
    ``is_variational``)."""
    return bool(getattr(model, "has_prior", getattr(model, "is_variational", False)))


def has_elbo(model: Any) -> bool:
    """Whether ``model`` has an ELBO, a KL term per example (``model.has_elbo``, else ``is_variational``)."""
    return bool(getattr(model, "has_elbo", getattr(model, "is_variational", False)))


def resolve_model(model: Any, who: str = "model") -> LatentModel:
    """A vae_lib model (Autoencoder, VAE, ConditionalVAE), or a zoo name loaded with ``vae_lib.zoo.load``."""
    if isinstance(model, type):
        raise TypeError(f"{who}: expected a vae_lib model; got the class {model.__name__}: instantiate it (or load a "
                        "trained one with vae_lib.zoo.load(name))")
    if isinstance(model, str):
        from .. import zoo

        model = zoo.load(model)
    if not isinstance(model, LatentModel):
        raise TypeError(f"{who}: expected a vae_lib model (Autoencoder, VAE or ConditionalVAE); got "
                        f"{type(model).__name__}. Build one from vae_lib.models or load one with "
                        "vae_lib.zoo.load(name).")
    return model


def model_dataset(model: Any) -> str:
    """The dataset a model was trained on: its recipe's (``zoo_info["recipe"]``, else the checkpoint's
    ``metadata["recipe"]``), else ``"mnist"``."""
    from ..data import DATASETS

    for src in (getattr(model, "zoo_info", None), getattr(model, "metadata", None)):
        recipe = src.get("recipe") if isinstance(src, dict) else None
        ds = recipe.get("dataset") if isinstance(recipe, dict) else None
        if ds in DATASETS:
            return ds
    return "mnist"


def _data_key(dataset: str) -> tuple[str, str]:
    from ..data import data_root

    return dataset, str(data_root())


def missing_data(dataset: Any = None, model: LatentModel | None = None) -> str:
    """Why the named test images are not available (the download's error and the offline instructions), or
    ``""`` when nothing failed."""
    if dataset is None:
        dataset = model_dataset(model) if model is not None else "mnist"
    if not isinstance(dataset, str):
        return ""
    hit = _unavailable.get(_data_key(dataset))
    return hit[1] if hit is not None else ""


def resolve_dataset(dataset: Any, model: LatentModel | None = None, *,
                    download: bool = True) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(images, labels)`` of test images, or None when a named dataset is neither on disk nor downloadable.

    ``dataset``: ``"mnist"``, ``"fashion"``, an ``(images, labels)`` pair (checked: images
    ``[N, 1, 28, 28]`` in [0, 1], one label per image, below the conditional model's ``n_classes``,
    else below 10), images alone (all labelled 0), or ``None`` (``model``'s dataset, else MNIST).
    A named dataset that is missing is downloaded as :func:`vae_lib.data.load_mnist` does (``download``);
    when that fails, :func:`missing_data` says why, and for :data:`RETRY_AFTER` seconds no explorer of this
    process tries again.
    """
    from ..data import DATASETS, DatasetNotFoundError, load_mnist

    if dataset is None:
        dataset = model_dataset(model) if model is not None else "mnist"
    if isinstance(dataset, str):
        validate.choice(dataset, "dataset", tuple(DATASETS))
        key = _data_key(dataset)
        failed = _unavailable.get(key)
        retry = failed is None or time.monotonic() - failed[0] > RETRY_AFTER
        try:
            return load_mnist("test", dataset=dataset, download=validate.flag(download, "download") and retry)
        except DatasetNotFoundError as exc:
            if failed is None or retry:
                _unavailable[key] = (time.monotonic(), str(exc))
            return None
    if isinstance(dataset, torch.Tensor):
        images = validate.images(dataset, name="dataset images")
        return images, torch.zeros(images.shape[0], dtype=torch.int64)
    if isinstance(dataset, Sequence) and len(dataset) == 2:
        images = validate.images(dataset[0], name="dataset images (the first of the (images, labels) pair)")
        n_classes = model.n_classes if model is not None and model.is_conditional else 10
        return images, validate.labels(dataset[1], images.shape[0], n_classes, name="dataset labels")
    raise TypeError("dataset must be 'mnist', 'fashion', an (images, labels) pair or None; "
                    f"got {type(dataset).__name__}")


def error_panel(title: str, exc: BaseException) -> W.HTML:
    """A message box that says a tab could not be built and why (the exception's text, escaped, its lines kept)."""
    text = html.escape(str(exc).strip() or type(exc).__name__)
    what = html.escape(title) if title else tr("This explorer")
    return W.HTML(f"<div class='vae-tab-error' style='border: 2px solid #c62828; border-radius: 6px; padding: 0.6em 1em; "
                  f"max-width: 62em'><b>{tr('{what} cannot be shown').format(what=what)}</b> "
                  f"({html.escape(type(exc).__name__)}):<pre style='white-space: pre-wrap; margin: 0.4em 0 0'>{text}</pre>"
                  f"<p style='margin: 0.4em 0 0'>{tr('The other tabs work. Fix the cause above and rebuild the app.')}</p></div>")


def check_tabs(tabs: Any) -> tuple[Any, ...]:
    """The tabs of the lecture app: a non-empty sequence of ``Tab`` objects (``title``, ``caption``, ``make``)."""
    if isinstance(tabs, (str, bytes)) or not isinstance(tabs, Sequence) or len(tabs) == 0:
        raise TypeError(f"tabs must be a non-empty list of vae_lib.lecture.Tab (e.g. vae_lib.lecture.TABS[:2]); got "
                        f"{validate._kind(tabs) if not isinstance(tabs, Sequence) or isinstance(tabs, (str, bytes)) else 'an empty list'}")
    for i, t in enumerate(tabs):
        if not (isinstance(getattr(t, "title", None), str) and isinstance(getattr(t, "caption", None), str)
                and callable(getattr(t, "make", None))):
            raise TypeError(f"tabs[{i}] must be a vae_lib.lecture.Tab (a title, a caption and make(size)); got "
                            f"{validate._kind(t)}")
    return tuple(tabs)


def explorer_panel(make: Callable[[str], Any], size: str, *, title: str = "",
                   caption: Callable[[Any], W.Widget] | None = None) -> tuple[Any | None, W.VBox]:
    """Build one explorer for a tab of the lecture app: ``(explorer, VBox([caption(explorer), explorer.widget]))``.

    When building it fails (no test images offline, a model missing from the zoo ...), the result is
    ``(None, VBox([error_panel(title, exc)]))``: the tab says what went wrong, and the other tabs are built as usual.
    """
    try:
        explorer = make(size)
        head = [caption(explorer)] if caption is not None else []
        return explorer, W.VBox([*head, explorer.widget])
    except Exception as exc:  # noqa: BLE001 - one broken tab must not take the app down: show it in the tab
        return None, W.VBox([error_panel(title, exc)])


class Explorer:
    """The shared plumbing of the explorers; ``.widget`` is the root ipywidgets container.

    ``style`` holds every size (image scale, figure sizes and dpi, font sizes, slider and description
    widths, CSS font sizes, marker radius). Every explorer takes ``size="notebook"`` (the default: the
    class's ``style``) or ``size="large"`` (a projector, :data:`~vae_lib.widgets.render.SIZES`), or a
    :class:`~vae_lib.widgets.render.Style`; :meth:`use_size` sets ``self.style`` from it.
    """

    style: ClassVar[Style] = Style()
    widget: W.Widget
    _hold: bool = False

    def use_size(self, size: str | Style) -> Style:
        """Set ``self.style`` for ``size``: ``"notebook"`` (the class's ``style``), ``"large"``, or a ``Style``."""
        if isinstance(size, Style):
            self.style = size
        else:
            validate.choice(size, "size", tuple(SIZES))
            if size != "notebook":
                self.style = SIZES[size]
        return self.style

    def finish(self, root: W.Box, css: str = "") -> W.Box:
        """Mark ``root`` as this explorer's (CSS classes ``vae-explorer vae-size-<name>``) and give it the
        CSS of its style plus ``css`` in a hidden ``<style>`` element (nothing is added when there is none)."""
        root.add_class("vae-explorer")
        root.add_class(f"vae-size-{self.style.name}")
        text = style_css(self.style) + css
        if text:
            sheet = W.HTML(f"<style>{text}</style>", layout=W.Layout(display="none"))
            root.children = (sheet, *root.children)
        return root

    def plot_texts(self) -> dict[str, list[tuple[str, float]]]:
        """The text of every matplotlib figure the explorer shows, ``{CSS class of its <img>: [(text, px)]}``
        with each text's font size in screen pixels at the figure's natural size, smallest first
        (:func:`~vae_lib.widgets.render.draw_recording_text`); ``{}`` for an explorer without figures."""
        return {}

    def caption_html(self, text: str) -> str:
        """A small note under a panel: ``<small>`` in the notebook, full size on a projector."""
        return text if self.style.css_font_px else f"<small>{text}</small>"

    def update(self) -> None:
        """Redraw what the controls' current values show."""
        raise NotImplementedError

    # ------------------------------------------------------------------ events
    @contextmanager
    def holding(self) -> Iterator[None]:
        """Change several controls at once: their events do nothing inside; call :meth:`update` after."""
        self._hold = True
        try:
            yield
        finally:
            self._hold = False

    def watch(self, *controls: W.ValueWidget, then: Callable[[], None] | None = None) -> None:
        """Run ``then`` (default :meth:`update`) when a control's value changes, unless holding."""
        action = then if then is not None else self.update

        def on_change(change: dict) -> None:
            if not self._hold:
                action()

        for c in controls:
            c.observe(on_change, names="value")

    # ------------------------------------------------------------------ controls
    def slider(self, description: str, value: float, lo: float, hi: float, *, step: float = 0.01,
               wide: bool = False, name: str | None = None) -> W.FloatSlider:
        """A ``FloatSlider`` on [lo, hi] that updates while it moves, starting at ``value`` clamped into
        range (``name``: the argument it came from, for the error when ``value`` is NaN or inf)."""
        v = clamp(finite(value, name or description, lo, hi), lo, hi)
        width = self.style.wide_slider_width if wide else self.style.slider_width
        return W.FloatSlider(value=v, min=lo, max=hi, step=step, description=description, continuous_update=True,
                             readout_format=".2f", layout=W.Layout(width=f"{width}px"), **self.description_style())

    def description_style(self) -> dict[str, Any]:
        """``style=`` of a control with a description: its width from the style (nothing by default)."""
        w = self.style.description_width
        return {"style": {"description_width": w}} if w else {}

    def control_layout(self, width: int | None = None) -> W.Layout:
        """The layout of a dropdown or a number box (``width``: pixels, default ``style.control_width``)."""
        return W.Layout(width=f"{width or self.style.control_width}px")

    # ------------------------------------------------------------------ display
    def display(self) -> None:
        """Show the explorer in the notebook output."""
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()

    def close(self) -> None:
        """Close every widget of the explorer (frees the front-end views); other widgets stay open."""
        def close(w: W.Widget) -> None:
            for child in getattr(w, "children", ()):
                close(child)
            w.close()

        close(self.widget)
