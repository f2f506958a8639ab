"""vae_lib.checkpoints: round trips, float16 storage, and clear errors for bad files."""

from __future__ import annotations

import pytest
import torch

from vae_lib.checkpoints import CheckpointError, load, save
from vae_lib.models import VAE, Autoencoder, ConditionalVAE

X = torch.rand(4, 1, 28, 28)


@pytest.mark.parametrize("model", [VAE(2, (32,)), Autoencoder(3, (16,), "conv"), ConditionalVAE(2, 10, (16,))])
def test_round_trip_rebuilds_the_same_model(tmp_path, model):
    path = save(model, tmp_path / "m.pt", note="hello", epochs=3)
    back = load(path)
    assert type(back) is type(model) and back.config == model.config and not back.training
    assert back.metadata == {"note": "hello", "epochs": 3}
    for a, b in zip(model.state_dict().values(), back.state_dict().values()):
        assert torch.equal(a, b)


def test_float16_storage_halves_the_file_and_loads_as_float32(tmp_path):
    m = VAE(2, (256,))
    full, half = save(m, tmp_path / "f32.pt"), save(m, tmp_path / "f16.pt", storage_dtype=torch.float16)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    back = load(half)
    assert all(p.dtype == torch.float32 for p in back.parameters())
    mu, _ = m.encode(X)
    mu2, _ = back.encode(X)
    torch.testing.assert_close(mu2, mu, atol=2e-2, rtol=1e-2)


def test_checkpoint_loads_with_weights_only(tmp_path):
    path = save(VAE(2, (8,)), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)  # no pickled code in the file
    assert payload["class"] == "VAE"


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file") as info:
        load(tmp_path / "nope.pt")
    assert str(tmp_path / "nope.pt") in str(info.value)


def test_corrupt_and_truncated_files(tmp_path):
    good = save(VAE(2, (64,)), tmp_path / "good.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a checkpoint" * 10)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    for path in (junk, cut):
        with pytest.raises(CheckpointError, match="corrupt or not a PyTorch file") as info:
            load(path)
        assert info.value.path == str(path)


def test_foreign_file_is_rejected(tmp_path):
    path = tmp_path / "bare.pt"
    torch.save(VAE(2, (8,)).state_dict(), path)  # a bare state_dict, as many tutorials save
    with pytest.raises(CheckpointError, match="not a vae_lib checkpoint"):
        load(path)
    pickled = tmp_path / "pickled.pt"
    torch.save(VAE(2, (8,)), pickled)  # a whole pickled module: refused by weights_only=True
    with pytest.raises(CheckpointError, match="not a safe checkpoint.*vae_lib.models.VAE") as info:
        load(pickled)
    assert "weights_only=False" not in str(info.value)  # never the advice to unpickle it anyway


def test_config_that_does_not_match_the_weights(tmp_path):
    path = save(VAE(2, (32,)), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"]["latent_dim"] = 5
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not match the digest"):  # an edited file fails its digest first
        load(path)
    del payload["digest"]  # as a checkpoint written before digests: the config check still holds
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="weights do not match the config") as info:
        load(path)
    assert "size mismatch" in str(info.value)
    payload["config"]["arch"] = "transformer"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not build a VAE"):
        load(path)
    payload["class"] = "GAN"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="unknown model class 'GAN'"):
        load(path)


def test_save_refuses_foreign_models(tmp_path):
    with pytest.raises(TypeError, match="takes a vae_lib model"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.pt")


def test_metadata_that_would_not_load_back_is_refused_before_writing(tmp_path):
    import pathlib

    import numpy as np

    for value, hint in ((pathlib.Path("/tmp/x"), r"str\(path\)"), (np.float64(1.5), r"float\(v\)"),
                        (print, "builtin_function_or_method"), ({"nested": [1, {"deep": torch.zeros(2)}]}, "Tensor")):
        with pytest.raises(TypeError, match=hint):
            save(VAE(2, (8,)), tmp_path / "m.pt", extra=value)
        assert list(tmp_path.iterdir()) == []  # nothing written, no *.pt.tmp left behind


def test_integer_storage_is_refused(tmp_path):
    with pytest.raises(ValueError, match="storage_dtype must be a floating-point type"):
        save(VAE(2, (8,)), tmp_path / "m.pt", storage_dtype=torch.int8)
    path = save(VAE(2, (8,)), tmp_path / "m.pt", storage_dtype=torch.bfloat16)
    assert load(path).encoder.head[0].weight.abs().sum() > 0


def test_the_digit_classifier_saves_like_every_model(tmp_path):
    from vae_lib.classifier import DigitClassifier

    clf = DigitClassifier(hidden=8)
    back = load(save(clf, tmp_path / "c.pt", note="x"))
    assert type(back) is DigitClassifier and back.config == {"hidden": 8, "n_classes": 10}
    assert all(torch.equal(a, b) for a, b in zip(clf.state_dict().values(), back.state_dict().values()))
