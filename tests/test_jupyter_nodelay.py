"""vae_tools.jupyter_nodelay: the server extension that turns Nagle's algorithm off on kernel websockets."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_extension_sets_nodelay_then_opens(monkeypatch):
    websocket = pytest.importorskip("jupyter_server.services.kernels.websocket")
    from vae_tools import jupyter_nodelay

    calls = []

    async def fake_open(self, kernel_id):
        calls.append(("open", kernel_id))

    H = websocket.KernelWebsocketHandler
    monkeypatch.setattr(H, "open", fake_open)
    monkeypatch.delattr(H, "_vae_lib_nodelay", raising=False)
    app = SimpleNamespace(log=logging.getLogger("test"))
    jupyter_nodelay._load_jupyter_server_extension(app)
    jupyter_nodelay._load_jupyter_server_extension(app)  # idempotent: wrapped once
    handler = SimpleNamespace(set_nodelay=lambda v: calls.append(("nodelay", v)))
    asyncio.run(H.open(handler, "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]


def test_config_enables_the_extension():
    conf = json.loads((ROOT / "jupyter-config" / "jupyter_server_config.d" / "vae_tools.json").read_text())
    assert conf["ServerApp"]["jpserver_extensions"] == {"vae_tools.jupyter_nodelay": True}
    from vae_tools import jupyter_nodelay

    assert jupyter_nodelay._jupyter_server_extension_points() == [{"module": "vae_tools.jupyter_nodelay"}]
