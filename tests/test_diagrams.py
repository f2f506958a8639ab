"""The committed diagrams (assets/figures/) are what vae_tools/diagrams.py draws, in every language."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vae_tools import diagrams

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "assets" / "figures"
CASES = [(name, lang) for lang in diagrams.LANGS for name in diagrams.DIAGRAMS]
# Agg draws the same pixels for the same matplotlib; allow a handful of anti-aliasing differences at most
MAX_DIFFERENT_PIXELS, LEVELS = 20, 8


def _korean_font() -> bool:
    try:
        diagrams._korean_font()
    except RuntimeError:
        return False
    return True


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"), dtype=np.int16)


@pytest.mark.parametrize(("name", "lang"), CASES, ids=[f"{lang}-{name}" for name, lang in CASES])
def test_committed_png_is_what_the_module_draws(name, lang, tmp_path):
    if lang == "ko" and not _korean_font():
        pytest.skip("no NanumGothic font for the Korean diagrams: pip install koreanize-matplotlib")
    committed = diagrams.path_of(name, lang)
    rel = committed.relative_to(ROOT).as_posix()
    stale = f"{rel} is not what vae_tools/diagrams.py draws: run `make diagrams`"
    assert committed.is_file(), f"{rel} is missing: run `make diagrams`"
    expected, drawn = _pixels(committed), _pixels(diagrams.save(name, lang, tmp_path))
    assert expected.shape == drawn.shape, f"{stale} (size {expected.shape[1::-1]} != {drawn.shape[1::-1]})"
    differ = int((np.abs(expected - drawn).max(axis=-1) > LEVELS).sum())
    assert differ <= MAX_DIFFERENT_PIXELS, f"{stale} ({differ} pixels differ)"


def test_every_figure_file_is_a_registered_diagram():
    registered = {diagrams.path_of(name, lang).relative_to(ROOT).as_posix() for name, lang in CASES}
    on_disk = {p.relative_to(ROOT).as_posix() for p in FIGURES.rglob("*.png")}
    assert on_disk - registered == set(), "PNGs in assets/figures/ that vae_tools.diagrams.DIAGRAMS does not draw"
    assert {r for r in registered if "/ko/" not in r} <= on_disk, "missing English diagrams: run `make diagrams`"


def test_notebook_links_to_figures_name_registered_diagrams():
    """Tolerant: a notebook need not show every diagram (yet), but each figure a notebook links to must exist."""
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for rel in re.findall(r"assets/figures/((?:[a-z]+/)?[\w-]+)\.png", nb.read_text(encoding="utf-8")):
            name = rel.split("/")[-1]
            assert name in diagrams.DIAGRAMS, f"{nb.name} links to assets/figures/{rel}.png, which no diagram draws"
            assert (FIGURES / f"{rel}.png").is_file(), f"{nb.name} links to a missing assets/figures/{rel}.png"


def test_every_language_has_the_same_words_and_no_blank_ones():
    keys = set(diagrams.LABELS["en"])
    for lang, table in diagrams.LABELS.items():
        assert set(table) == keys, f"LABELS[{lang!r}]: missing {keys - set(table)}, extra {set(table) - keys}"
        assert all(isinstance(v, str) and v.strip() for v in table.values()), lang
    assert re.search("[\uac00-\ud7a3]", "".join(diagrams.LABELS["ko"].values())), "the Korean table has no Hangul"


def test_images_carry_no_metadata_and_have_a_notebook_friendly_size(tmp_path):
    path = diagrams.save("vae_gaps", "en", tmp_path)
    with Image.open(path) as im:
        assert "Software" not in im.info
        assert 1000 <= im.width <= 1450


def test_draw_rejects_unknown_names_and_languages():
    with pytest.raises(ValueError, match="unknown diagram"):
        diagrams.draw("nope")
    with pytest.raises(ValueError, match="unknown language"):
        diagrams.draw("vae_gaps", "fr")


def test_one_list_of_languages():
    """vae_lib.i18n.LANGUAGES is the one list: the diagrams draw each language, the translation builds each edition."""
    from vae_lib.i18n import LANGUAGES
    from vae_tools import translate
    from vae_tools.diagram_labels import LABELS

    assert diagrams.LANGS == LANGUAGES and set(LABELS) == set(LANGUAGES)
    assert ("en", *translate.LANGS) == LANGUAGES
