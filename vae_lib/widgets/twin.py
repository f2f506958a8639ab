r"""What the in-page twins of the small explorers share: an anywidget whose ES module computes in the page.

A *twin* shows what a Python explorer shows (notebooks 00, 03, 04, 10, 13), with every number computed in
JavaScript from parameters and arrays held in its synced traits, so that a page saved with its widget state
(``make html``, the static site) keeps working with no kernel. The Python explorer stays the reference (and the
lecture app's); ``tests/test_inpage_toys.py`` runs each twin's page-side math in node against it.

The module of a twin is ``mlp.js`` (the shared in-page engine: ``h``, ``throttle``, pixel canvases), ``gauss.js``
(the toy math), ``panel.js`` (sliders, SVG plots, the table of numbers) and the twin's own file, in that order.
The page's root element carries ``data-vae-explorer="<kind>"``; each number a test can read carries
``data-vae-value="<name>"``. Texts come from Python through :func:`~vae_lib.i18n.tr` (the ``labels`` trait).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from .inpage import HERE, InPageExplorer, css_sizes, esm_source, standalone_html

__all__ = ["TwinExplorer", "TwinView", "f32_bytes", "f64_bytes", "module_source"]

def module_source(name: str) -> str:
    """The ES module of a twin: ``mlp.js``, ``gauss.js``, ``panel.js``, then the twin's own file ``name``."""
    return esm_source("gauss.js", "panel.js", name)


def f64_bytes(values: Any) -> bytes:
    """A float64 array as little-endian bytes (a binary trait: the page reads it with ``float64()``)."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def f32_bytes(values: Any) -> bytes:
    """A float32 array as little-endian bytes (the page reads it with ``float32()`` of mlp.js)."""
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


class TwinView(anywidget.AnyWidget):
    """The front end of a twin; subclasses set ``_esm = module_source("<kind>.js")``."""

    _css = (HERE / "inpage.css").read_text() + (HERE / "panel.css").read_text()
    spec = traitlets.Dict().tag(sync=True)       # parameters, ranges, sizes (JSON)
    labels = traitlets.Dict().tag(sync=True)     # the texts, through tr()
    data = traitlets.Bytes().tag(sync=True)      # arrays the page needs (float32/float64 bytes), sent once
    controls = traitlets.Dict().tag(sync=True)   # the controls' values: the page's, or set from Python

    def __repr__(self) -> str:   # what a static view (and a saved output) shows as text: no memory address
        shown = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in self.controls.items())
        return f"{type(self).__name__}({shown})"


class TwinExplorer(InPageExplorer):
    """A twin: ``.view`` (also ``.widget``) is the :class:`TwinView`; ``controls`` the values the page shows."""

    background = None
    kind = ""

    def _twin(self, view_class: type[TwinView], spec: dict, labels: dict, controls: dict, data: bytes = b"",
              **traits: Any) -> None:
        spec = {**spec, **css_sizes(self.style)}
        self._show(view_class(spec=spec, labels=labels, controls=controls, data=data, **traits))

    @property
    def controls(self) -> dict[str, Any]:
        """The controls' current values (the page tells the kernel after each move, throttled)."""
        return dict(self.view.controls)

    def set_controls(self, **values: Any) -> dict[str, Any]:
        """Move controls from Python (the page follows); unknown names raise. Returns :attr:`controls`."""
        unknown = set(values) - set(self.view.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.view.controls)}")
        self.view.controls = {**self.view.controls, **values}
        return self.controls

    def save_html(self, path: str | os.PathLike, title: str = "") -> Path:
        """Write a self-contained page of this explorer (works from file://, no Jupyter, no network)."""
        path = Path(path)
        path.write_text(standalone_html(self.view, title or type(self).__name__))
        return path
