"""The pretrained model zoo: every shipped model loads, verifies its hash and reproduces its
manifest numbers, and was built from the recipe the code holds today; damaged files and unknown names
fail clearly; ``build`` works (on a tiny budget, into a temporary folder: these tests never write to
the package's pretrained/)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from vae_lib import zoo
from vae_lib.checkpoints import CLASSES, CheckpointError
from vae_lib.data import DatasetNotFoundError, load_mnist
from vae_lib.train import evaluate
from vae_lib.zoo.build import TRAINERS

ROOT = zoo.default_root()
MANIFEST = ROOT / zoo.MANIFEST
SHIPPED = list(json.loads(MANIFEST.read_text())["models"]) if MANIFEST.is_file() else []
SMALL = "vae-10d-beta-1"   # a small recipe for the build tests (no IWAE evaluation)


def _test_set(dataset: str, pixels: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The test set the manifest's figures were measured on (zoo.EVALUATION), read from data/ only."""
    try:
        return zoo.test_set(dataset, pixels, download=False)
    except DatasetNotFoundError as exc:
        pytest.skip(f"{dataset} not on disk: {exc}")


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory, synthetic_root) -> Path:
    """A zoo folder with one model trained for 1 epoch on 500 synthetic images and evaluated on the synthetic
    test set (about a second)."""
    out = tmp_path_factory.mktemp("zoo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAE_LIB_DATA", str(synthetic_root))
        zoo.build([SMALL], out_dir=out, epochs_override=1, limit=500, device="cpu", progress=False,
                  log=lambda s: None)
    return out


# ---------------------------------------------------------------- the registry
def test_registry_has_every_model_of_the_issue():
    names = zoo.names()
    for required in ("ae-2d", "vae-2d", "vae-20d", "cvae-2d", "fashion-vae-2d", "digit-classifier"):
        assert required in names
    for beta in ("0", "0.1", "0.5", "1", "2", "4", "8", "16"):
        assert f"vae-2d-beta-{beta}" in names and f"vae-10d-beta-{beta}" in names
    assert zoo.names("beta-2d") == [f"vae-2d-beta-{b:g}" for b in zoo.BETAS]
    assert [zoo.RECIPES[n].beta for n in zoo.names("beta-10d")] == list(zoo.BETAS)
    assert zoo.RECIPES["fashion-vae-2d"].dataset == "fashion"
    epochs = [zoo.RECIPES[n].epochs for n in names]
    assert names[-4:] == ["vae-20d", "vae-20d-e30", "conv-vae-20d", "vae-vamp-40d"]  # the long runs are built last
    assert max(epochs[:-4]) <= 30


def test_unknown_name_raises_key_error_listing_the_names():
    with pytest.raises(KeyError) as err:
        zoo.load("vae-3d")
    message = str(err.value)
    assert "vae-3d" in message and "vae-2d" in message and "fashion-vae-2d" in message
    with pytest.raises(KeyError, match="known models"):
        zoo.info("nope")


def test_a_model_that_was_not_built_says_how_to_build_it(tmp_path):
    with pytest.raises(CheckpointError, match="python -m vae_lib.zoo build vae-2d"):
        zoo.load("vae-2d", root=tmp_path)


# ---------------------------------------------------------------- the shipped models
@pytest.mark.skipif(not SHIPPED, reason="vae_lib/pretrained/manifest.json not built yet (make pretrained)")
def test_shipped_zoo_is_complete_and_small():
    assert set(SHIPPED) == set(zoo.names()), "the manifest and zoo.RECIPES disagree"
    total = sum(p.stat().st_size for p in ROOT.iterdir() if p.is_file())
    # the budget: 60 MB for notebooks 00-11's 37 models, plus 4 MB for notebooks 12-13's six (3.4 MB today)
    assert total <= 64e6, f"{ROOT} holds {total / 1e6:.1f} MB; the budget is 64 MB (every model ships in the wheel)"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_and_matches_its_manifest_and_recipe(name, real_mnist_test_binary):
    entry = zoo.info(name)
    recipe = zoo.RECIPES[name]
    # one source: the manifest holds the recipe the code holds (with the epochs it was built with)
    assert entry["recipe"] == recipe.as_dict(epochs=entry["recipe"]["epochs"]), f"rebuild {name}: its recipe changed"
    assert entry["recipe"]["epochs"] == recipe.epochs and entry["build"]["limit"] is None
    model = zoo.load(name)
    assert not model.training and next(model.parameters()).device.type == "cpu"
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.config == CLASSES[recipe.model_class](**recipe.config).config
    assert model.metadata["recipe"] == entry["recipe"]
    if recipe.trainer in TRAINERS:  # its own kind of model: its test file re-measures its manifest figures
        return
    if recipe.trainer == "classifier":
        x, y = load_mnist("test", download=False)
        from vae_lib.classifier import predict_proba

        acc = float((predict_proba(model, x).argmax(-1) == y).float().mean())
        assert acc == pytest.approx(entry["metrics"]["test_accuracy"], abs=1e-4)
        return
    x, y = (real_mnist_test_binary if (recipe.dataset, recipe.pixels) == ("mnist", "binary")
            else _test_set(recipe.dataset, recipe.pixels))
    labels = y[:zoo.SUBSET] if model.is_conditional else None
    now = evaluate(model, x[:zoo.SUBSET], labels=labels, seed=zoo.EVAL_SEED)
    stored = entry["metrics"]["subset1000"]
    key = "elbo" if model.is_variational else "rec"  # an Autoencoder has no ELBO
    assert abs(now[key] - stored[key]) <= 0.5, f"{name}: {key} {now[key]:.3f} now, {stored[key]:.3f} in the manifest"
    if not model.is_variational:
        assert stored["elbo"] is None and math.isnan(now["elbo"])


def test_beta_grid_is_a_mapping_from_beta_to_model():
    grid = zoo.beta_grid(2)
    assert list(grid) == list(zoo.BETAS)
    for beta, model in grid.items():
        assert model.zoo_info["recipe"]["beta"] == beta and model.latent_dim == 2
    with pytest.raises(ValueError, match="no beta grid with latent_dim=3.*beta-10d, beta-10d-longer, beta-2d"):
        zoo.beta_grid(3)


# ---------------------------------------------------------------- damaged files
def _copy(tiny_zoo: Path, dest: Path) -> Path:
    for name in (zoo.MANIFEST, f"{SMALL}.pt"):
        shutil.copy(tiny_zoo / name, dest / name)
    return dest / f"{SMALL}.pt"


def test_tampered_checkpoint_raises(tiny_zoo, tmp_path):
    path = _copy(tiny_zoo, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle (inside the weights)
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as err:
        zoo.load(SMALL, root=tmp_path)
    expected = zoo.info(SMALL, root=tmp_path)["sha256"]
    assert expected in str(err.value) and zoo.sha256(path) in str(err.value) and path.name in str(err.value)


def test_truncated_checkpoint_raises(tiny_zoo, tmp_path):
    path = _copy(tiny_zoo, tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        zoo.load(SMALL, root=tmp_path)


def test_missing_checkpoint_raises(tiny_zoo, tmp_path):
    _copy(tiny_zoo, tmp_path).unlink()
    with pytest.raises(CheckpointError, match="missing"):
        zoo.load(SMALL, root=tmp_path)


# ---------------------------------------------------------------- build
@pytest.mark.slow
def test_build_one_small_model_into_a_temporary_folder(tiny_zoo, mnist_test_binary):
    entry = zoo.info(SMALL, root=tiny_zoo)
    assert entry["recipe"]["epochs"] == 1 and entry["build"]["train_images"] == 500
    assert entry["build"]["device"] == "cpu" and entry["build"]["limit"] == 500
    assert entry["sha256"] == zoo.sha256(tiny_zoo / entry["file"])
    assert len(entry["history"]["train_elbo"]) == 1
    model = zoo.load(SMALL, root=tiny_zoo)           # a fresh copy each call
    assert model is not zoo.load(SMALL, root=tiny_zoo)
    x, _ = mnist_test_binary
    now = evaluate(model, x[:zoo.SUBSET], seed=zoo.EVAL_SEED)["elbo"]
    assert now == pytest.approx(entry["metrics"]["subset1000"]["elbo"], abs=1e-3)
    assert entry["metrics"]["nll_iwae"] is None
    from vae_lib.metrics import active_units

    assert entry["metrics"]["active_units"] == active_units(model, x, threshold=zoo.ACTIVE_THRESHOLD)


@pytest.mark.slow
def test_build_is_deterministic(tiny_zoo, tmp_path):
    zoo.build([SMALL], out_dir=tmp_path, epochs_override=1, limit=500, device="cpu", progress=False,
              log=lambda s: None)
    a = zoo.load(SMALL, root=tiny_zoo).state_dict()
    b = zoo.load(SMALL, root=tmp_path).state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=f"{k} differs between two seeded builds")


def test_cli_list_and_unknown_name(tiny_zoo, capsys):
    assert zoo.main(["list", "--root", str(tiny_zoo)]) == 0
    assert SMALL in capsys.readouterr().out
    assert zoo.main(["build", "no-such-model", "--out", str(tiny_zoo)]) == 2
    assert "known models" in capsys.readouterr().err


@pytest.mark.slow
def test_train_is_the_build_without_saving(tiny_zoo, synthetic_root, monkeypatch):
    """zoo.train (the TRAIN_FROM_SCRATCH cells' one call) trains a recipe exactly as the build did."""
    monkeypatch.setenv("VAE_LIB_DATA", str(synthetic_root))
    model, history = zoo.train(SMALL, epochs=1, limit=500, device="cpu", progress=False)
    built = zoo.load(SMALL, root=tiny_zoo)
    assert not model.training and set(history) >= {"train_elbo", "train_kl"}
    for (k, a), b in zip(model.state_dict().items(), built.state_dict().values()):
        assert torch.allclose(a.half().float(), b), k   # the zoo stores float16
    with pytest.raises(KeyError, match="known models"):
        zoo.train("vae-3d")
