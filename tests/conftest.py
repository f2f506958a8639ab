"""Shared fixtures. Tests never download: they read the offline copy that .ci/run extracts
into data/ (or $VAE_LIB_DATA). Without it, data tests are skipped locally and fail in CI."""

from __future__ import annotations

import os

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
