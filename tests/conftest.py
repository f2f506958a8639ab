"""Shared fixtures. Tests never download: they read the offline copy that .ci/run extracts
into data/ (or $VAE_LIB_DATA). Without it, data tests are skipped locally and fail in CI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from _servers import stop_process_group

from vae_lib.data import DatasetNotFoundError, load_mnist


def _load(split: str, **kw):
    try:
        return load_mnist(split, download=False, **kw)
    except DatasetNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the datasets offline: {exc}")
        pytest.skip(f"MNIST not on disk (run .ci/run or see README): {exc}")


@pytest.fixture(scope="session")
def mnist_train():
    """Grey MNIST training images [60000, 1, 28, 28] and labels."""
    return _load("train")


@pytest.fixture(scope="session")
def mnist_test_binary():
    """The test set with a fixed seeded binarization (seed 0)."""
    return _load("test", binarize="dynamic", seed=0)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def pytest_collection_modifyitems(config, items):
    """Markers by place: notebooks (nbval items) and tests/browser; both are slow too."""
    for item in items:
        path = str(item.path)
        if path.endswith(".ipynb"):
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.slow)
        elif f"{os.sep}browser{os.sep}" in path:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def voila_app(tmp_path_factory):
    """`make present`'s Voilà command on 127.0.0.1 and a free port, private Jupyter dirs; always stopped.

    Yields the app's URL once the server accepts connections.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tmp_path_factory.mktemp("voila")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([str(Path(sys.executable).parent / "voila"), "--no-browser", "--Voila.ip=127.0.0.1",
                             f"--port={port}", "lecture/app.ipynb"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"voila exited with {proc.returncode}: {proc.stdout.read()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("voila did not accept connections within 60 s")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_process_group(proc, timeout=15)  # the server and the kernels it started
