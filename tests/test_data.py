"""vae_lib.data: in-memory MNIST, binarization, the data root, offline errors, batches."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import torch

from vae_lib.data import DatasetNotFoundError, batches, binarize_images, data_root, load_mnist


def test_synthetic_data_reads_like_mnist(mnist_train, mnist_test_binary):
    """The unit tests' stand-in data (tests/synthetic.py) comes through load_mnist's real code path in MNIST's shape."""
    x, y = mnist_train
    assert x.shape == (3000, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min().item() == 0.0 and x.max().item() == 1.0 and sorted(y.unique().tolist()) == list(range(10))
    xb, _ = mnist_test_binary
    assert xb.shape == (1000, 1, 28, 28) and set(xb.unique().tolist()) == {0.0, 1.0}


def test_mnist_shapes_dtypes_and_range(real_mnist_train):
    x, y = real_mnist_train
    assert x.shape == (60000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert x.min().item() == 0.0 and x.max().item() == 1.0
    assert sorted(y.unique().tolist()) == list(range(10))
    assert y[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first labels of MNIST


@pytest.mark.mnist
def test_test_split_and_fashion(real_mnist_test_binary):
    xt, yt = load_mnist("test", download=False)
    assert xt.shape == (10000, 1, 28, 28)
    xf, yf = load_mnist("test", dataset="fashion", download=False)
    assert xf.shape == (10000, 1, 28, 28) and not torch.equal(xf, xt)
    assert yf[:3].tolist() == [9, 2, 1]  # ankle boot, pullover, trouser


def test_binarization_static_and_seeded_dynamic(mnist_test_binary):
    grey, _ = load_mnist("test", download=False)
    static, _ = load_mnist("test", binarize="static", download=False)
    assert torch.equal(static, (grey > 0.5).float())
    xb, _ = mnist_test_binary
    assert set(xb.unique().tolist()) <= {0.0, 1.0}
    again, _ = load_mnist("test", binarize="dynamic", seed=0, download=False)
    other, _ = load_mnist("test", binarize="dynamic", seed=1, download=False)
    assert torch.equal(xb, again) and not torch.equal(xb, other)
    # a Bernoulli draw: its mean matches the grey intensities
    assert abs(xb.mean().item() - grey.mean().item()) < 2e-3
    assert torch.all(xb[grey == 0] == 0) and torch.all(xb[grey == 1] == 1)


def test_loader_returns_fresh_tensors():
    a, _ = load_mnist("test", download=False)
    a.zero_()  # the caller may modify its copy ...
    b, _ = load_mnist("test", download=False)
    assert b.max().item() == 1.0  # ... without changing the next call's


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_LIB_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("VAE_LIB_DATA")
    assert data_root().name == "data"


def test_missing_dataset_without_download_says_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist("train", root=tmp_path, download=False)
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "connect to the internet" in msg and "VAE_LIB_DATA" in msg


def test_missing_dataset_offline_gives_clear_error_not_urllib_traceback(tmp_path, monkeypatch):
    """The network is simulated absent: every URL open fails, as on a machine without internet."""

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", offline)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist("test", dataset="fashion", root=tmp_path)
    msg = str(info.value)
    assert "FashionMNIST" in msg and str(tmp_path) in msg and "download failed" in msg


@pytest.mark.parametrize("kwargs,match", [
    ({"split": "valid"}, "split must be"),
    ({"dataset": "cifar"}, "dataset must be one of"),
    ({"binarize": "yes"}, "binarize must be"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_mnist(**{"split": "test", "download": False, **kwargs})


def test_binarize_images_rejects_unknown_mode():
    with pytest.raises(ValueError, match="'static' or 'dynamic'"):
        binarize_images(torch.rand(2, 1, 28, 28), "otsu")


def test_batches_cover_everything_once_and_are_seeded():
    x = torch.arange(10).float().view(10, 1)
    y = torch.arange(10)
    got = list(batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(0)))
    assert [len(b[0]) for b in got] == [4, 4, 2]
    seen = torch.cat([b[1] for b in got])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(bx.view(-1).long(), by) for bx, by in got)  # x and y stay aligned
    again = list(batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[1], b[1]) for a, b in zip(got, again))
    ordered = list(batches(x, batch_size=4, shuffle=False, drop_last=True))
    assert [b[0].view(-1).tolist() for b in ordered] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batches_errors():
    with pytest.raises(ValueError, match="same first dimension"):
        next(batches(torch.zeros(3), torch.zeros(4)))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        next(batches(torch.zeros(3), batch_size=0))


def test_mnist_preprocess_lives_in_data_and_keeps_its_old_homes():
    from vae_lib import data, widgets
    from vae_lib.widgets import draw

    assert data.mnist_preprocess is draw.mnist_preprocess is widgets.mnist_preprocess
    assert "mnist_preprocess" in data.__all__
