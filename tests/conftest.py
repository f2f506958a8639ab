"""Shared fixtures. Tests never download: they read the offline copy that .ci/run extracts
into data/ (or $VAE_LIB_DATA). Without it, data tests are skipped locally and fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

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
    """`make present`'s Voilà command (vae_tools.browser.VOILA_ARGS) on 127.0.0.1 and a free port, private
    Jupyter dirs; always stopped. Yields the app's URL once the server accepts connections."""
    from vae_tools.browser import running_voila

    root = Path(__file__).resolve().parent.parent
    try:
        with running_voila(root / "lecture" / "app.ipynb", tmp_path_factory.mktemp("voila"), cwd=root) as v:
            yield v["url"]
    except RuntimeError as exc:  # did not start: say why
        pytest.fail(str(exc))
