"""vae_lib.jupyter_nodelay: the server extension that turns Nagle's algorithm off on kernel websockets."""

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
    from vae_lib import jupyter_nodelay

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
    conf = json.loads((ROOT / "jupyter-config" / "jupyter_server_config.d" / "vae_lib.json").read_text())
    assert conf["ServerApp"]["jpserver_extensions"] == {"vae_lib.jupyter_nodelay": True}
    from vae_lib import jupyter_nodelay

    assert jupyter_nodelay._jupyter_server_extension_points() == [{"module": "vae_lib.jupyter_nodelay"}]


def test_voila_connection_class_sets_nodelay_then_connects(monkeypatch):
    channels = pytest.importorskip("jupyter_server.services.kernels.connection.channels")
    from vae_lib.jupyter_nodelay import NoDelayWebsocketConnection

    calls = []
    monkeypatch.setattr(channels.ZMQChannelsWebsocketConnection, "connect", lambda self: calls.append("connect"))
    conn = NoDelayWebsocketConnection.__new__(NoDelayWebsocketConnection)  # no kernel needed for this check
    handler = SimpleNamespace(set_nodelay=lambda v: calls.append(("nodelay", v)))
    monkeypatch.setattr(NoDelayWebsocketConnection, "websocket_handler", handler, raising=False)
    monkeypatch.setattr(NoDelayWebsocketConnection, "log", logging.getLogger("test"), raising=False)
    conn.connect()
    assert calls == [("nodelay", True), "connect"]
    assert issubclass(NoDelayWebsocketConnection, channels.ZMQChannelsWebsocketConnection)


def test_make_present_runs_voila_with_the_nodelay_connection():
    from vae_tools.browser import VOILA_ARGS

    present = (ROOT / "Makefile").read_text().split("\npresent:", 1)[1].split("\n\n", 1)[0]
    assert "$(VENV)/bin/voila" in present and "lecture/app.ipynb" in present
    for arg in VOILA_ARGS:  # the tests and benchmarks start Voilà with exactly what `make present` passes
        assert arg in present, arg
    assert any("NoDelayWebsocketConnection" in a for a in VOILA_ARGS)
