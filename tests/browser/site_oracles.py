"""Oracles: the numbers an in-page explorer of the website computes, checked against Python's.

:data:`ORACLES` maps an explorer's kind (its root element's ``data-vae-explorer``) to ``oracle(page, root)``:
``page`` is the Playwright page of a chapter of the built site (opened from file://, no kernel, no network),
``root`` the ElementHandle of the explorer's root element (its test hook ``root.vae`` is there). The oracle
computes the same numbers in Python from what the page embeds (the saved widget state: weights and spec),
raises AssertionError when page and Python disagree beyond the tolerance, and returns a one-line summary.
tests/browser/test_site_browser.py calls the oracle of every live explorer on every page; a kind without an
entry here fails that test. Explorer authors add their kind's entry, using the helpers:

* :func:`saved_state` -- the explorer's widget state in the page (``{"spec": ..., "buffers": {name: bytes}}``);
* :func:`zoo_model_for` -- the shipped model whose exported networks are exactly the page's weights.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import torch

TOL_PIXEL = 1e-3     # decoder means, as in tests/browser/test_inpage_browser.py
TOL_PARAM = 1e-3     # encoder outputs (mu, log sigma^2)
N_SAMPLES = 20
# in-page explorers saved before their roots carried data-vae-explorer (notebooks not re-executed since)
LEGACY_CLASSES = {"vae-inpage": "latent", "vae-draw": "draw"}

STATE_JS = """el => {
  const s = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const t = el.querySelector('.vae-title');
  return [s ? s.textContent : null, t ? t.textContent : null];
}"""


def saved_state(page, root, kind: str) -> dict:
    """The saved widget state of the explorer at ``root``: its anywidget model whose module marks roots ``kind``
    (the one whose spec title is the root's title when a page has several). Buffers are decoded to bytes."""
    text, title = root.evaluate(STATE_JS)
    assert text, "the page has no saved widget state"
    marks = [f'vaeExplorer = "{kind}"'] + [f'"{c}"' for c, k in LEGACY_CLASSES.items() if k == kind]
    found = []
    for model in json.loads(text)["state"].values():
        state = model["state"]
        if model["model_name"] == "AnyModel" and any(m in state.get("_esm", "") for m in marks):
            buffers = {b["path"][0]: base64.b64decode(b["data"]) for b in model.get("buffers", [])}
            found.append({"spec": state.get("spec", {}), "buffers": buffers, "state": state})
    if len(found) > 1:
        found = [f for f in found if f["spec"].get("title") == title]
    assert len(found) == 1, f"{len(found)} saved {kind} explorers match the root titled {title!r}"
    return found[0]


@cache
def _exports(parts: tuple[str, ...]) -> dict[str, tuple[object, bytes]]:
    """Every shipped fully connected model's exported ``parts`` (name -> (model, float32 bytes))."""
    from vae_lib import zoo
    from vae_lib.checkpoints import CheckpointError
    from vae_lib.widgets.inpage import UnsupportedModel, export_networks

    out = {}
    for name in zoo.names():
        try:
            model = zoo.load(name).eval()
            out[name] = (model, export_networks(model, parts)[1])
        except (CheckpointError, UnsupportedModel, AttributeError):
            continue  # not built, or not a model whose networks run in the page
    return out


def zoo_model_for(parts: Sequence[str], weights: bytes, dtype: str = "float32") -> tuple[str, object]:
    """``(name, model)`` of the shipped model whose ``parts`` are exactly ``weights`` (the page's bytes, float32 or
    float16 as its spec's ``dtype`` says: float16 widened to float32 is exact)."""
    if dtype not in ("float32", "float16"):
        raise ValueError(f"unknown weights dtype {dtype!r}")
    if dtype == "float16":
        weights = np.frombuffer(weights, "<f2").astype("<f4").tobytes()
    for name, (model, exported) in _exports(tuple(parts)).items():
        if exported == weights:
            return name, model
    raise AssertionError(f"the page's weights ({len(weights)} bytes of {'+'.join(parts)}) are no shipped model's: "
                         "the notebook's saved state is older than the zoo (re-execute it)")


def latent(page, root) -> str:
    """InPageLatentExplorer: the page's decoder on random z (and labels) equals ``model.decode_mean``."""
    saved = saved_state(page, root, "latent")
    name, model = zoo_model_for(("decoder",), saved["buffers"]["weights"], saved["spec"]["decoder"].get("dtype", "float32"))
    g = torch.Generator().manual_seed(0)
    z = torch.randn(N_SAMPLES, model.latent_dim, generator=g) * 2.0
    y = torch.randint(0, model.n_classes, (N_SAMPLES,), generator=g) if model.is_conditional else None
    js = root.evaluate("(el, [z, y]) => el.vae.decode(z, y)", [z.tolist(), None if y is None else y.tolist()])
    with torch.no_grad():
        py = model.decode_mean(z, y).reshape(N_SAMPLES, -1).double().numpy()
    diff = float(np.abs(np.array(js) - py).max())
    assert diff <= TOL_PIXEL, f"{name}: the page's decoder is {diff:.2e} away from decode_mean"
    return f"{name}: max |page - decode_mean| = {diff:.1e} over {N_SAMPLES} z"


def draw(page, root) -> str:
    """DrawDigitExplorer: the page's encoder on random grey images equals ``model.encode`` (mu, log sigma^2)."""
    saved = saved_state(page, root, "draw")
    name, model = zoo_model_for(("encoder", "decoder"), saved["buffers"]["weights"],
                                saved["spec"]["decoder"].get("dtype", "float32"))
    x = torch.rand(N_SAMPLES, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    js = [root.evaluate("(el, x) => el.vae.encode(x)", xi.flatten().tolist()) for xi in x]
    with torch.no_grad():
        mu, logvar = model.encode(x)
    diff = max(float(np.abs(np.array([j["mu"] for j in js]) - mu.double().numpy()).max()),
               float(np.abs(np.array([j["logvar"] for j in js]) - logvar.double().numpy()).max()))
    assert diff <= TOL_PARAM, f"{name}: the page's encoder is {diff:.2e} away from model.encode"
    return f"{name}: max |page - encode| (mu, log sigma^2) = {diff:.1e} over {N_SAMPLES} images"


ORACLES: dict[str, Callable[[object, object], str]] = {
    "latent": latent,
    "draw": draw,
}

from .oracles_models import ORACLES as _MODEL_ORACLES  # noqa: E402  (notebooks 07, 08, 12: interpolation, beta, codebook)

ORACLES.update(_MODEL_ORACLES)

from .toy_oracles import ORACLES as _TOY_ORACLES  # noqa: E402  (notebooks 00, 03, 04, 10, 13)

ORACLES.update(_TOY_ORACLES)
