"""Shared fixtures. Tests never download.

Two tiers of data:

* **synthetic** (every unit test without the ``mnist`` marker): a small data set in MNIST's shape and file format
  (tests/synthetic.py), written once per session into a temporary folder; ``$VAE_LIB_DATA`` points there during
  each such test, so that anything that loads MNIST reads it. Same numbers on every machine, no download.
* **real** (tests marked ``mnist``: the shipped models measured against their manifest, the pretrained classifier,
  anything that needs real digits): the offline copy that .ci/run extracts into data/ (or ``$VAE_LIB_DATA`` as set
  when pytest starts). Without it these tests are skipped locally and fail in CI. ``make test-fast`` leaves them out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from vae_lib.data import DatasetNotFoundError, load_mnist

REAL_DATA = os.environ.get("VAE_LIB_DATA")   # the real data root as the session found it (None: <repo>/data)


def _load(split: str, **kw):
    """The real data set (for tests marked ``mnist``)."""
    try:
        return load_mnist(split, download=False, root=REAL_DATA, **kw)
    except DatasetNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the datasets offline: {exc}")
        pytest.skip(f"MNIST not on disk (run .ci/run or see README): {exc}")


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """The synthetic MNIST-shaped data set (tests/synthetic.py), written once per session."""
    import synthetic

    return synthetic.write(tmp_path_factory.mktemp("synthetic-data"))


@pytest.fixture(autouse=True)
def _synthetic_data_for_unit_tests(request, monkeypatch):
    """Unit tests read the synthetic data set wherever they load MNIST; tests marked mnist, browser or notebooks
    keep the real data root."""
    if not any(request.node.get_closest_marker(m) for m in ("mnist", "browser", "notebooks")):
        monkeypatch.setenv("VAE_LIB_DATA", str(request.getfixturevalue("synthetic_root")))


@pytest.fixture(scope="session")
def mnist_train(synthetic_root):
    """Grey synthetic training images [3000, 1, 28, 28] (MNIST's shape and range) and labels."""
    return load_mnist("train", root=synthetic_root, download=False)


@pytest.fixture(scope="session")
def mnist_test_binary(synthetic_root):
    """The synthetic test set [1000, 1, 28, 28] with a fixed seeded binarization (seed 0)."""
    return load_mnist("test", binarize="dynamic", seed=0, root=synthetic_root, download=False)


@pytest.fixture(scope="session")
def real_mnist_train():
    """Grey MNIST training images [60000, 1, 28, 28] and labels (the test gets the ``mnist`` marker)."""
    return _load("train")


@pytest.fixture(scope="session")
def real_mnist_test_binary():
    """The real test set with the zoo's fixed seeded binarization (seed 0) (the test gets the ``mnist`` marker)."""
    return _load("test", binarize="dynamic", seed=0)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def pytest_collection_modifyitems(config, items):
    """Markers by place: notebooks (nbval items) and tests/browser; both are slow too. A test that asks for the real
    data set gets the mnist marker."""
    for item in items:
        if any(f.startswith("real_mnist") for f in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mnist)
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a browser test that cannot run fails: CI is green only when the browser tests ran."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and item.get_closest_marker("browser") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: a browser test must run, but it was skipped: {reason}"
