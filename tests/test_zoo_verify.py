"""``python -m vae_lib.zoo verify`` re-evaluates each model on the test set it was measured on (dataset and pixel
mode) and fails when a number of the manifest does not reproduce."""

from __future__ import annotations

import copy

import pytest
import torch

from vae_lib import zoo
from vae_lib.zoo import verify as verify_module


def test_models_of_one_dataset_with_other_pixels_get_their_own_test_set(monkeypatch):
    calls = []

    def fake_test_set(dataset, pixels="binary", **kw):
        calls.append((dataset, pixels))
        return torch.full((1, 1, 28, 28), float(len(calls))), torch.zeros(1, dtype=torch.long)

    monkeypatch.setattr(verify_module, "test_set", fake_test_set)
    cache: dict = {}
    seen = {name: verify_module.recipe_test_set(zoo.RECIPES[name], cache)[0]
            for name in ("fashion-vae-2d", "fashion-gauss-s1-16d", "vae-2d", "digit-classifier", "vae-20d")}
    # binarized Fashion-MNIST, dequantized Fashion-MNIST, binarized MNIST, grey MNIST: four sets, each loaded once
    assert calls == [("fashion", "binary"), ("fashion", "dequantized"), ("mnist", "binary"), ("mnist", "grey")]
    assert not torch.equal(seen["fashion-vae-2d"], seen["fashion-gauss-s1-16d"])
    assert not torch.equal(seen["vae-2d"], seen["digit-classifier"])
    assert seen["vae-20d"] is seen["vae-2d"]


def test_manifest_only_prints_every_model_without_evaluating(capsys, monkeypatch):
    monkeypatch.setattr(verify_module, "evaluate_model", lambda *a, **k: pytest.fail("manifest-only evaluated a model"))
    assert zoo.main(["verify", "--manifest-only"]) == 0
    out = capsys.readouterr().out
    for name in zoo.manifest()["models"]:
        if zoo.RECIPES[name].trainer != "classifier":
            assert f"`{name}`" in out


def test_a_number_that_does_not_reproduce_fails_verify_and_is_named(capsys, monkeypatch):
    """verify compares what it measures now with the manifest: a moved ELBO is printed and the exit status is 1."""
    stored = zoo.info("vae-2d")["metrics"]

    def drifted(model, recipe, **kw):
        now = copy.deepcopy(stored)
        now["test"]["elbo"] -= 1.0
        return now

    monkeypatch.setattr(verify_module, "evaluate_model", drifted)
    monkeypatch.setattr(verify_module, "recipe_test_set", lambda recipe, cache: (torch.zeros(1, 1, 28, 28), None))
    assert zoo.main(["verify", "vae-2d", "--no-iwae"]) == 1
    assert "vae-2d: test.elbo manifest" in capsys.readouterr().out
    monkeypatch.setattr(verify_module, "evaluate_model", lambda model, recipe, **kw: copy.deepcopy(stored))
    assert zoo.main(["verify", "vae-2d", "--no-iwae"]) == 0
    assert "no differences: every number reproduces" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["verify", "--tolerance", "-1"], ["verify", "--nll-images", "-5"],
                                  ["verify", "no-such-model"]])
def test_verify_refuses_bad_arguments_in_one_line(args, capsys):
    assert zoo.main(args) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_info_is_typed_and_every_entry_has_the_typed_keys():
    from typing import get_type_hints

    from vae_lib.zoo.manifest import Build, ZooEntry

    assert get_type_hints(zoo.info)["return"] is ZooEntry
    for name in zoo.manifest()["models"]:
        entry = zoo.info(name)
        assert ZooEntry.__required_keys__ <= set(entry) <= set(ZooEntry.__annotations__), name
        assert set(entry["build"]) == set(Build.__annotations__), name
