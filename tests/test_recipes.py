"""The declared matched pairs (vae_lib.recipes.PAIRS): each comparison changes only what it names."""

from __future__ import annotations

import dataclasses

import pytest

from vae_lib.recipes import PAIRS, RECIPES, Recipe, recipe_differences


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.a}~{p.b}")
def test_declared_pair_differs_only_in_what_it_names(pair):
    assert pair.a in RECIPES and pair.b in RECIPES, f"{pair.a} or {pair.b} is not a zoo model"
    found = recipe_differences(RECIPES[pair.a], RECIPES[pair.b])
    assert found == set(pair.differs), (
        f"{pair.a} vs {pair.b} ({pair.what}) should differ in {sorted(pair.differs)} only; "
        f"the recipes differ in {sorted(found)}")


def test_recipe_differences_sees_every_training_field():
    base = RECIPES["vae-2d"]
    for field in dataclasses.fields(Recipe):
        if field.name in ("name", "purpose", "notes", "group", "config", "extra"):
            continue
        value = getattr(base, field.name)
        other = {"model_class": "Autoencoder", "dataset": "fashion", "trainer": "classifier", "pixels": "grey",
                 "schedule": "constant", "iwae_k": 5}.get(field.name, (value or 0) + 1 if not isinstance(value, str)
                                                          else value + "x")
        changed = dataclasses.replace(base, **{field.name: other})
        assert recipe_differences(base, changed) == {field.name}, field.name
    wider = dataclasses.replace(base, config={**base.config, "hidden": [256, 128]})
    assert recipe_differences(base, wider) == {"config.hidden"}
    assert recipe_differences(base, dataclasses.replace(base, name="x", notes="y", purpose="z", group="g")) == set()


def test_the_central_comparisons_are_declared():
    declared = {(p.a, p.b) for p in PAIRS}
    for a, b in [("ae-2d", "vae-2d"), ("vae-2d", "cvae-2d"), ("vae-20d-e30", "conv-vae-20d"),
                 ("vae-2d", "vamp-2d"), ("vae-2d", "mog-2d"), ("vae-2d", "iwae-2d"), ("ae-2d", "aae-2d")]:
        assert (a, b) in declared
