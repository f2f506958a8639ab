"""Bad input, as a careless student or lecturer gives it: every case ends in a clear error that says what
was expected and what came (never a hang, a crash inside torch, or a silently wrong number).

One case per line in ``CASES``: ``(what was tried, the call, the exception, a regex its message matches)``.
The cases that used to hang run under a deadline, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from vae_lib import checkpoints, zoo
from vae_lib.data import DatasetCorruptError, DatasetNotFoundError, batches, binarize_images, load_mnist
from vae_lib.losses import elbo, iwae_bound, kl_normal
from vae_lib.metrics import active_units, hole_fraction, knn_accuracy, negative_log_likelihood
from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.train import evaluate, fit

torch.manual_seed(0)
X = torch.bernoulli(torch.rand(8, 1, 28, 28), generator=torch.Generator().manual_seed(1))  # not seed 0: its draws equal rand's
Y = torch.arange(8) % 10
V = VAE(2, hidden=(16,)).eval()
A = Autoencoder(2, hidden=(16,)).eval()
C = ConditionalVAE(2, hidden=(16,)).eval()
NAN = X.clone()
NAN[3, 0, 5, 5] = float("nan")
NEVER = pathlib.Path(tempfile.mkdtemp(prefix="vae-lib-bad-inputs-")) / "never.pt"   # must never be written


def _fit(model, images, **kw):
    return fit(model, images, **{"epochs": 1, "progress": False, "device": "cpu", **kw})


CASES = [
    # ---------------------------------------------------------------- images
    ("pixels 0..255", lambda: _fit(VAE(2, (8,)), X * 255), ValueError, r"pixels in \[0, 1\].*0 to 255.*divide by 255"),
    ("elbo of 0..255 images", lambda: elbo(V, X * 255), ValueError, r"divide by 255"),
    ("negative pixels", lambda: elbo(V, X - 0.5), ValueError, r"pixels in \[0, 1\]; got values from -0.5 to 0.5"),
    ("NaN pixels in fit", lambda: _fit(VAE(2, (8,)), NAN), ValueError, r"NaN or infinite pixels \(1 of 8 images\)"),
    ("NaN pixels in elbo", lambda: elbo(V, NAN), ValueError, r"NaN or infinite pixels"),
    ("NaN pixels in evaluate", lambda: evaluate(V, NAN), ValueError, r"NaN or infinite"),
    ("uint8 images", lambda: V.encode((X * 255).to(torch.uint8)), ValueError, r"float pixels.*x.float\(\) / 255"),
    ("flat images", lambda: _fit(VAE(2, (8,)), X.view(8, 784)), ValueError, r"\[N, 1, 28, 28\]; got \[8, 784\] \(reshape"),
    ("no channel axis", lambda: elbo(V, X[:, 0]), ValueError, r"add the channel axis: x.unsqueeze\(1\)"),
    ("one image without batch axis", lambda: V.encode(X[0]), ValueError, r"add the batch axis"),
    ("a list instead of a tensor", lambda: _fit(VAE(2, (8,)), X.tolist()), TypeError, r"must be a float tensor"),
    ("a numpy array", lambda: evaluate(V, X.numpy()), TypeError, r"convert with torch.as_tensor"),
    ("empty test set", lambda: evaluate(V, X[:0]), ValueError, r"is empty"),
    ("empty training set", lambda: _fit(VAE(2, (8,)), X[:0]), ValueError, r"is empty"),
    ("binarize 0..255", lambda: binarize_images(X * 255), ValueError, r"divide by 255"),
    # ---------------------------------------------------------------- labels and model kinds
    ("labels for an unconditional VAE", lambda: _fit(VAE(2, (8,)), X, labels=Y), ValueError, r"not conditional.*drop"),
    ("CVAE without labels", lambda: _fit(ConditionalVAE(2, hidden=(8,)), X), ValueError, r"needs the labels y"),
    ("CVAE test set without labels", lambda: _fit(ConditionalVAE(2, hidden=(8,)), X, labels=Y, test_images=X),
     ValueError, r"needs the labels y"),
    ("test labels without test images", lambda: _fit(VAE(2, (8,)), X, test_labels=Y), ValueError, r"without test_images"),
    ("labels of the wrong length", lambda: C.encode(X, Y[:5]), ValueError, r"shape \[8\] \(one label per image\); got \[5\]"),
    ("labels out of range", lambda: elbo(C, X, labels=Y + 5), ValueError, r"lie in \[0, 10\); got min 5, max 12"),
    ("float labels", lambda: elbo(C, X, labels=Y.float()), ValueError, r"integers in \[0, 10\); got dtype torch.float32"),
    ("labels in decode of a VAE", lambda: V.decode(torch.zeros(8, 2), Y), ValueError, r"not conditional"),
    ("elbo of an autoencoder", lambda: elbo(A, X), TypeError, r"needs a model with a prior.*Autoencoder"),
    ("iwae of an autoencoder", lambda: iwae_bound(A, X, 5), TypeError, r"Autoencoder"),
    ("-log p(x) of an autoencoder", lambda: negative_log_likelihood(A, X), TypeError, r"no likelihood"),
    ("fit a plain nn.Module", lambda: _fit(torch.nn.Linear(2, 2), X), TypeError, r"expected a vae_lib model"),
    ("iwae training with beta", lambda: _fit(VAE(2, (8,)), X, iwae_k=5, beta=2.0), ValueError, r"no beta"),
    # ---------------------------------------------------------------- counts and sizes
    ("batch_size=0", lambda: _fit(VAE(2, (8,)), X, batch_size=0), ValueError, r"batch_size must be an integer >= 1"),
    ("batch_size=2.5", lambda: _fit(VAE(2, (8,)), X, batch_size=2.5), TypeError, r"batch_size must be an integer"),
    ("epochs=0", lambda: _fit(VAE(2, (8,)), X, epochs=0), ValueError, r"epochs must be an integer >= 1"),
    ("epochs=True", lambda: _fit(VAE(2, (8,)), X, epochs=True), TypeError, r"epochs must be an integer"),
    ("lr=NaN", lambda: _fit(VAE(2, (8,)), X, lr=float("nan")), ValueError, r"lr must be a finite number"),
    ("lr<0", lambda: _fit(VAE(2, (8,)), X, lr=-1e-3), ValueError, r"lr must be > 0"),
    ("negative KL warm-up", lambda: _fit(VAE(2, (8,)), X, kl_warmup_epochs=-1), ValueError, r"kl_warmup_epochs"),
    ("beta=NaN", lambda: elbo(V, X, beta=float("nan")), ValueError, r"beta must be a finite number >= 0"),
    ("beta as a string", lambda: _fit(VAE(2, (8,)), X, beta="1"), ValueError, r"beta must be a finite number"),
    ("n_samples=0", lambda: elbo(V, X, n_samples=0), ValueError, r"n_samples must be an integer >= 1"),
    ("iwae k=0", lambda: iwae_bound(V, X, 0), ValueError, r"k must be an integer >= 1"),
    ("iwae k=2.0", lambda: iwae_bound(V, X, 2.0), TypeError, r"k must be an integer"),
    ("nll batch_size=0", lambda: negative_log_likelihood(V, X, k=5, batch_size=0), ValueError, r"batch_size"),
    ("batches(batch_size=0)", lambda: next(batches(X, batch_size=0)), ValueError, r"batch_size must be an integer"),
    ("posterior_mean batch_size=0", lambda: V.posterior_mean(X, batch_size=0), ValueError, r"batch_size"),
    ("active_units threshold<0", lambda: active_units(V, X, -1.0), ValueError, r"threshold must be >= 0"),
    ("knn k=0", lambda: knn_accuracy(torch.randn(50, 2), torch.arange(50) % 10, 40, 10, 0), ValueError, r"k must be"),
    ("hole_fraction of 1-D codes", lambda: hole_fraction(torch.randn(5), torch.randn(5, 2), torch.randn(5, 2)),
     ValueError, r"samples must be a non-empty tensor of codes \[N, K\]"),
    ("latent_dim=0", lambda: VAE(0), ValueError, r"latent_dim must be an integer >= 1"),
    ("hidden as an int", lambda: VAE(2, hidden=512), TypeError, r"hidden must be a sequence"),
    ("a Gaussian decoder without s", lambda: VAE(2, likelihood="gaussian"), ValueError, r"decoder_std"),
    ("learned prior without components", lambda: VAE(2, prior="mog"), ValueError, r"prior_components"),
    ("decode codes of the wrong size", lambda: V.decode(torch.zeros(4, 3)), ValueError, r"\[\.\.\., 2\]; got \[4, 3\]"),
    ("sample n=0", lambda: V.sample(0), ValueError, r"n must be an integer >= 1"),
    ("load_mnist split", lambda: load_mnist("validation", download=False), ValueError, r"split must be"),
    # ---------------------------------------------------------------- checkpoints
    ("metadata holds a Path", lambda: checkpoints.save(V, NEVER, where=pathlib.Path("/x")), TypeError,
     r"str\(path\)"),
    ("metadata holds a numpy scalar", lambda: checkpoints.save(V, NEVER, loss=np.float32(1.0)), TypeError,
     r"float32.*float\(v\)"),
    ("metadata holds a function", lambda: checkpoints.save(V, NEVER, fn=len), TypeError, r"only str, int"),
    ("int8 storage", lambda: checkpoints.save(V, NEVER, storage_dtype=torch.int8), ValueError,
     r"floating-point type"),
    # ---------------------------------------------------------------- zoo
    ("unknown zoo name", lambda: zoo.load("vae-3d"), KeyError, r"known models: ae-2d"),
    ("zoo name not a string", lambda: zoo.load(2), KeyError, r"unknown zoo model 2"),
    ("beta grid of a size that has none", lambda: zoo.beta_grid(5), ValueError, r"no beta grid with latent_dim=5"),
    ("build with epochs=0", lambda: zoo.build(["ae-2d"], out_dir=NEVER.parent / "zoo", epochs_override=0), ValueError,
     r"epochs must be an integer >= 1"),
]


@pytest.mark.parametrize("call,exc,match", [pytest.param(c, e, m, id=name) for name, c, e, m in CASES])
def test_bad_input_fails_with_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
    assert sorted(NEVER.parent.iterdir()) == [], "a refused call wrote a file"


# ---------------------------------------------------------------- no hangs
@contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def _alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: this used to hang")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("call", [
    pytest.param(lambda: iwae_bound(VAE(2), X, k=5, chunk_size=0), id="iwae chunk_size=0"),
    pytest.param(lambda: negative_log_likelihood(V, X, k=5, chunk_size=0), id="nll chunk_size=0"),
    pytest.param(lambda: iwae_bound(V, X, k=5, chunk_size=-3), id="iwae chunk_size<0"),
])
def test_what_used_to_hang_now_fails_at_once(call):
    with deadline(5), pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        call()


@pytest.fixture
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers (a network that drops packets)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    srv.close()


def test_download_waits_a_bounded_time_says_what_it_does_and_fails_with_the_fix(silent_server, tmp_path, monkeypatch,
                                                                                capsys):
    import torchvision.datasets as tvd

    monkeypatch.setattr(tvd.MNIST, "mirrors", [silent_server, silent_server + "mirror2/"])
    monkeypatch.setenv("VAE_LIB_DOWNLOAD_TIMEOUT", "0.5")
    with deadline(10), pytest.raises(DatasetNotFoundError) as info:
        load_mnist("test", root=tmp_path)
    out = capsys.readouterr().out
    assert f"downloading {silent_server}" in out and "waiting at most 0.5 s" in out and "failed:" in out
    msg = str(info.value)
    assert "no mirror answered" in msg and "timed out" in msg and "VAE_LIB_DATA" in msg and str(tmp_path) in msg


# ---------------------------------------------------------------- damaged data files
def _write_split(raw: pathlib.Path, prefix: str, n_images: int, n_labels: int, *, magic: int = 0x803,
                 cut: int = 0) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    head = magic.to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (n_images, 28, 28))
    data = head + bytes(n_images * 784)
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(data[:len(data) - cut])
    labels = (0x801).to_bytes(4, "big") + n_labels.to_bytes(4, "big") + bytes(n_labels)
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)


@pytest.mark.parametrize("kwargs,match", [
    ({"n_images": 10, "n_labels": 60}, r"holds 10 images but t10k-labels-idx1-ubyte holds 60 labels"),
    ({"n_images": 10, "n_labels": 10, "cut": 100}, r"is truncated"),
    ({"n_images": 10, "n_labels": 10, "magic": 0x1234}, r"not an IDX file of images \(magic number 0x00001234"),
])
def test_damaged_files_are_named_not_reported_missing(tmp_path, kwargs, match):
    _write_split(tmp_path / "MNIST" / "raw", "t10k", **kwargs)
    with pytest.raises(DatasetCorruptError, match=match) as info:
        load_mnist("test", root=tmp_path, download=False)
    assert str(tmp_path) in str(info.value)


def test_intact_small_files_load_and_one_split_is_enough(tmp_path):
    _write_split(tmp_path / "MNIST" / "raw", "t10k", 10, 10)   # the test split alone, no training files
    images, labels = load_mnist("test", root=tmp_path, download=False)
    assert images.shape == (10, 1, 28, 28) and labels.shape == (10,)


# ---------------------------------------------------------------- silently wrong numbers
def test_kl_normal_is_infinite_where_the_true_value_is():
    inf = torch.tensor([[math.inf]])
    zero = torch.zeros(1, 1)
    assert kl_normal(zero, zero, zero, -inf).item() == math.inf        # p a point mass, q spread: KL = +inf
    assert kl_normal(zero, inf, zero, zero).item() == math.inf         # q infinitely wide
    assert kl_normal(zero, -inf, zero, zero).item() == math.inf        # q a point mass
    assert kl_normal(zero + 1e-7, zero, zero, zero).item() == pytest.approx(0.5e-14, rel=1e-3)  # accurate near 0


# ---------------------------------------------------------------- fail before the work
def test_fit_checks_everything_before_the_first_step(monkeypatch):
    import vae_lib.train as train

    steps = []
    monkeypatch.setattr(train, "train_step", lambda *a, **k: steps.append(1))
    cvae = ConditionalVAE(2, hidden=(8,))
    for kwargs in ({"labels": Y, "test_images": X}, {"labels": Y, "test_images": X, "test_labels": Y[:3]},
                   {"labels": Y, "test_images": X * 255, "test_labels": Y}):
        with pytest.raises(ValueError):
            _fit(cvae, X, **kwargs)
    assert steps == [], "fit trained before it found the bad input"


def test_a_zoo_build_into_a_folder_it_cannot_write_fails_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    lines: list[str] = []
    for out in (blocker / "zoo", blocker):        # a folder that cannot be made; a path that is a file
        with pytest.raises(checkpoints.CheckpointError, match="cannot be written.*--out"):
            zoo.build(["ae-2d"], out_dir=out, progress=False, log=lines.append)
    assert lines == [], "training started before the output folder was checked"
    if os.geteuid() != 0:                         # permissions bind everyone but root
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            with pytest.raises(checkpoints.CheckpointError, match="cannot be written"):
                zoo.build(["ae-2d"], out_dir=folder, progress=False, log=lines.append)
        finally:
            folder.chmod(stat.S_IRWXU)
        assert lines == []


# ---------------------------------------------------------------- damaged zoo manifests
@pytest.mark.parametrize("content,match", [
    ("[1, 2, 3]", r"not a vae_lib zoo manifest"),
    ('{"format": "vae_lib.zoo", "version": 2, "models": {"ae-2d": {"sha256": "x"}}}', r"'ae-2d' is not an object "
                                                                                        r"with 'file' and 'sha256'"),
    ('{"format": "vae_lib.zoo", "version": 1, "models": {}}', r"manifest version 1"),
    ("{not json", r"not valid JSON"),
])
def test_a_damaged_manifest_is_named(tmp_path, content, match):
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(checkpoints.CheckpointError, match=match):
        zoo.load("ae-2d", root=tmp_path)


# ---------------------------------------------------------------- the command line
@pytest.mark.slow
@pytest.mark.parametrize("args,code,match", [
    (["build", "no-such-model"], 2, r"known models"),
    (["build", "ae-2d", "--epochs", "0", "--out", str(NEVER.parent / "zoo")], 1, r"epochs must be an integer >= 1"),
    (["build", "ae-2d", "--limit", "-5", "--out", str(NEVER.parent / "zoo")], 1, r"limit .* must be an integer >= 1"),
    (["build", "ae-2d", "--threads", "0", "--out", str(NEVER.parent / "zoo")], 1, r"--threads must be an integer >= 1"),
    (["list", "--root", "/no/such/folder"], 1, r"no zoo at /no/such/folder"),
])
def test_the_zoo_command_line_says_what_is_wrong(args, code, match):
    out = subprocess.run([sys.executable, "-m", "vae_lib.zoo", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr
    import re

    assert re.search(match, out.stderr), out.stderr


def test_explorers_refuse_inputs_that_would_show_nan():
    from vae_lib.widgets import ELBOGapExplorer, KLExplorer

    for n in (0, -5, 2.5):
        with pytest.raises((ValueError, TypeError), match="n_mc"):
            KLExplorer(n_mc=n)
    for x in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="x"):
            ELBOGapExplorer(x=x)


def test_manifest_json_round_trip_unchanged():
    """The shipped manifest is what zoo writes (no hand edits): keys in recipe order, strict JSON."""
    path = zoo.default_root() / zoo.MANIFEST
    data = json.loads(path.read_text())
    assert data["evaluation"] == zoo.EVALUATION
    assert list(data["models"]) == [n for n in zoo.names() if n in data["models"]]
