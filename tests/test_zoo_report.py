"""benchmarks/zoo_report.py re-evaluates each model on the test set it was measured on: dataset and pixel mode."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from vae_lib import zoo

ROOT = Path(__file__).resolve().parent.parent


def _report():
    spec = importlib.util.spec_from_file_location("zoo_report", ROOT / "benchmarks" / "zoo_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_models_of_one_dataset_with_other_pixels_get_their_own_test_set(monkeypatch):
    calls = []

    def fake_test_set(dataset, pixels="binary", **kw):
        calls.append((dataset, pixels))
        return torch.full((1, 1, 28, 28), float(len(calls))), torch.zeros(1, dtype=torch.long)

    report = _report()
    monkeypatch.setattr(zoo, "test_set", fake_test_set)
    cache: dict = {}
    seen = {name: report.recipe_test_set(zoo.RECIPES[name], cache)[0]
            for name in ("fashion-vae-2d", "fashion-gauss-s1-16d", "vae-2d", "digit-classifier", "vae-20d")}
    # binarized Fashion-MNIST, dequantized Fashion-MNIST, binarized MNIST, grey MNIST: four sets, each loaded once
    assert calls == [("fashion", "binary"), ("fashion", "dequantized"), ("mnist", "binary"), ("mnist", "grey")]
    assert not torch.equal(seen["fashion-vae-2d"], seen["fashion-gauss-s1-16d"])
    assert not torch.equal(seen["vae-2d"], seen["digit-classifier"])
    assert seen["vae-20d"] is seen["vae-2d"]
