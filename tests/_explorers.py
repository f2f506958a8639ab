"""What the explorer tests share (tests/test_explorer_*.py, tests/test_explorers_common.py): small untrained models,
the test images, and probes of what the explorers decode, draw and send."""

from __future__ import annotations

import io

import ipywidgets as W
import numpy as np
import torch
from PIL import Image

from vae_lib.models import VAE, Autoencoder
from vae_lib.widgets import (
    SCALE,
    render_png,
)

N = 600  # test images used for scatters / ranges

NAN, INF = float("nan"), float("inf")


def first_images(test_set: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The first N images of a test set and their labels (each explorer file's ``data`` fixture)."""
    x, y = test_set
    return x[:N], y[:N]


def _vae(k: int = 2, seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(k, hidden=(32,)).eval()


def _ae(seed: int = 0) -> Autoencoder:
    torch.manual_seed(seed)
    return Autoencoder(2, hidden=(32,)).eval()


def _decoded_png(model, z: torch.Tensor, scale: int = SCALE, y: torch.Tensor | None = None) -> bytes:
    with torch.inference_mode():
        return render_png(model.decode_mean(z[None], y)[0], scale=scale)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _count_decodes(model, monkeypatch) -> list[int]:
    """Count the decoder forwards of ``model`` (every picture goes through ``model._decode_raw``: ``decode`` after
    its checks, and the explorers' update paths without them)."""
    calls = [0]
    orig = model._decode_raw

    def decode(*a, **k):
        calls[0] += 1
        return orig(*a, **k)

    monkeypatch.setattr(model, "_decode_raw", decode)
    return calls


def _tree(w: W.Widget) -> list[W.Widget]:
    out = [w]
    for child in getattr(w, "children", ()):
        out += _tree(child)
    return out


# --------------------------------------------------------------------------- projector size, one message per move
def _sent(monkeypatch) -> list[tuple[W.Widget, tuple[str, ...]]]:
    """Record every state update the explorers send to the browser: (widget, the names of the traits sent)."""
    sent = []
    orig = W.Widget.send_state

    def send_state(self, key=None):
        keys = (key,) if isinstance(key, str) else tuple(key or self.keys)
        sent.append((self, keys))
        return orig(self, key)

    monkeypatch.setattr(W.Widget, "send_state", send_state)
    return sent
