"""Oracles for the model explorers' in-page twins (notebooks 07, 08, 12): move a control in the page, read the numbers
it prints (``data-vae-value``) and compare them with what the Python reference explorer computes for that control
value. Each is ``oracle(page, root) -> summary`` (``root``: a Playwright Locator or ElementHandle of the element that carries
``data-vae-explorer``); tests/browser/site_oracles.py registers them by kind. The models are the zoo's, named by the
root's ``data-vae-zoo``; an explorer of models that are not the zoo's cannot be checked from a page and fails here.

Tolerances are the page's printing precision: z to 4 decimals (1e-3 with float32 codes), ink (a sum of 784 pixel
means) to 3 decimals (0.01), nats to 2 decimals (0.01), counts exact (a pixel within 1e-4 of the 0.1 threshold
may flip between float64 and float32: 1 pixel).
"""

from __future__ import annotations

import json
from typing import Any

import torch

TOL_Z = 1e-3
TOL_INK = 1e-2
TOL_NATS = 1e-2


def _one(root: Any, css: str) -> Any:
    """The first element under ``root`` matching ``css`` (Locator or ElementHandle)."""
    if hasattr(root, "locator"):
        return root.locator(css).first
    found = root.query_selector(css)
    assert found is not None, f"no {css} under the explorer's root"
    return found


def values(root: Any) -> dict[str, str]:
    """The page's numbers: ``{data-vae-value: text}`` under ``root``."""
    return root.evaluate("(r) => Object.fromEntries([...r.querySelectorAll('[data-vae-value]')]"
                         ".map((e) => [e.dataset.vaeValue, e.textContent]))")


def set_range(root: Any, css: str, value: float) -> None:
    """Move a range input as a user does (its value, then an ``input`` event)."""
    _one(root, css).evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }",
                             value)


def _zoo(root: Any) -> Any:
    names = json.loads(root.evaluate("(r) => r.dataset.vaeZoo"))
    flat = names if isinstance(names, list) else [names]
    assert flat and all(isinstance(n, str) for n in flat), f"not the zoo's models ({names}): cannot check"
    return names


def interpolation(page: Any, root: Any) -> str:
    """Alpha 0.8 and a new "to" digit: each model's z_alpha and ink equal InterpolationExplorer's."""
    from vae_lib.widgets.interpolation import InterpolationExplorer

    names = _zoo(root)
    options = root.evaluate("(r) => [...r.querySelector('select.vae-class-b').options].map((o) => o.value)")
    _one(root, "select.vae-class-b").select_option(options[-1])
    set_range(root, "input.vae-alpha", 0.8)
    state = root.evaluate("(r) => r.vae.state()")
    got = values(root)
    assert float(got["alpha"]) == 0.8
    ref = InterpolationExplorer(models={f"m{i}": n for i, n in enumerate(names)}, index_a=state["index_a"],
                                index_b=state["index_b"], alpha=0.8)
    for i, (name, z) in enumerate(ref.z.items()):
        for k, v in enumerate(z.tolist()):
            assert abs(float(got[f"z{k + 1}-{i}"]) - v) <= TOL_Z, (name, k, got, z)
        with torch.no_grad():
            ink = float(ref.models[name].decode_mean(z[None]).sum())
        assert abs(float(got[f"ink-{i}"]) - ink) <= TOL_INK, (name, got[f"ink-{i}"], ink)
    return f"{'+'.join(names)}: z_alpha and ink at alpha = 0.8, test images {state['index_a']} -> {state['index_b']}"


def beta(page: Any, root: Any) -> str:
    """Every position of the slider: the beta and its rate, distortion and -ELBO are the reference's numbers."""
    from vae_lib import zoo
    from vae_lib.metrics import rate_distortion

    names = _zoo(root)
    models = {float(n.rsplit("-", 1)[1]): zoo.load(n) for n in names}
    rd = rate_distortion(models, None)
    betas = sorted(models)
    for i, b in enumerate(betas):
        set_range(root, "input.vae-beta-slider", i)
        got = values(root)
        r, d = rd[b]
        assert float(got["beta"]) == b and abs(float(got["rate"]) - r) <= TOL_NATS, (b, got, r)
        assert abs(float(got["distortion"]) - d) <= TOL_NATS and abs(float(got["neg_elbo"]) - (r + d)) <= TOL_NATS
    return f"rate, distortion, -ELBO of {len(betas)} betas as rate_distortion gives them"


def codebook(page: Any, root: Any) -> str:
    """A new code at a new position: the code it replaced, the pixels it moved and both prior numbers are
    CodebookExplorer's for the same image, code and position."""
    from vae_lib.widgets.codebook import CodebookExplorer

    name = _zoo(root)
    size = int(_one(root, "input.vae-code").get_attribute("max")) + 1
    for code, row, col in ((size - 1, 2, 3), (size // 3, 5, 1)):
        set_range(root, "input.vae-code", code)
        set_range(root, "input.vae-row", row)
        set_range(root, "input.vae-col", col)
        got = values(root)
        ref = CodebookExplorer(name, index=int(got["index"]), code=code, row=row, col=col)
        assert (int(got["code"]), int(got["row"]), int(got["col"])) == (code, row, col)
        assert int(got["was"]) == int(ref.codes[row, col]), (got, int(ref.codes[row, col]))
        assert abs(int(got["changed"]) - ref.changed) <= 1, (got["changed"], ref.changed)
        assert abs(float(got["prior_nll"]) - ref.prior_nll) <= TOL_NATS, (got, ref.prior_nll)
        assert abs(float(got["edited_prior_nll"]) - ref.edited_prior_nll) <= TOL_NATS, (got, ref.edited_prior_nll)
        ref.close()
    return f"{name}: the replaced code, pixels moved and both prior numbers of two edits as CodebookExplorer's"


#: kind (``data-vae-explorer``) -> oracle
ORACLES = {"interpolation": interpolation, "beta": beta, "codebook": codebook}
