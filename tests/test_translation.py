"""The Korean edition is complete and current: every markdown cell and figure text of every English notebook
has a translation written for its present English text, the app's strings are translated and compiled, and
the committed Korean notebooks are what the build makes (a changed English sentence fails here, naming the cell)."""

from __future__ import annotations

import json
import shutil

import pytest

from vae_tools import translate

LANG = "ko"


def test_every_cell_is_translated_for_its_present_english():
    bad = translate.problems(LANG)
    assert not bad, "the Korean catalogs are not current (python -m vae_tools.translate update, translate, build):\n" \
                    + "\n".join(bad)


def test_the_app_strings_are_translated_and_compiled():
    bad = translate.app_problems(LANG)
    assert not bad, "\n".join(bad)


def test_the_committed_korean_notebooks_are_what_the_build_makes():
    bad = translate.out_of_date(LANG)
    assert not bad, "\n".join(bad)


def test_the_korean_notebooks_have_the_english_cells_in_the_same_order():
    for nb in translate.english_notebooks():
        en = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        ko = json.loads(translate.edition_path(nb, LANG).read_text(encoding="utf-8"))["cells"]
        assert [(c["cell_type"], c["id"]) for c in en] == [(c["cell_type"], c["id"]) for c in ko], nb.name
        for a, b in zip(en, ko):
            if a["cell_type"] == "code":
                assert b.get("execution_count") is not None, f"{nb.name} {b['id']}: the Korean notebook is not executed"


def test_changing_one_english_sentence_makes_the_check_fail_and_name_the_cell(tmp_path, monkeypatch):
    """On a copy of one notebook and its catalog: edit one sentence, and the check names that cell as stale."""
    src = translate.english_notebooks()[3]
    (tmp_path / "notebooks").mkdir()
    shutil.copy(src, tmp_path / "notebooks" / src.name)
    catalog = translate.catalog_path(src, LANG)
    (tmp_path / "translations" / LANG / "notebooks").mkdir(parents=True)
    shutil.copy(catalog, tmp_path / "translations" / LANG / "notebooks" / catalog.name)
    monkeypatch.setattr(translate, "ROOT", tmp_path)
    monkeypatch.setattr(translate, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(translate, "CATALOGS", tmp_path / "translations")
    assert translate.problems(LANG) == []
    nb = json.loads((tmp_path / "notebooks" / src.name).read_text(encoding="utf-8"))
    index, cell = next((i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown" and i > 1)
    cell["source"] = ["A sentence that changed. ", *cell["source"]]
    (tmp_path / "notebooks" / src.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    problems = translate.problems(LANG)
    assert len(problems) == 1 and problems[0].startswith(f"stale: {src.name} cell {index}, id {cell['id']}")
    translate.update(LANG)                                   # the translator's next step: the entry is now fuzzy
    assert translate.problems(LANG)[0].startswith(f"untranslated: {src.name} cell {index}")


@pytest.mark.parametrize("source,expected", [
    ('ax.set_title("Density of z")', ["Density of z"]),
    ('ax.set(title=f"x = {x:g}: the ELBO")', ["x = {x:g}: the ELBO"]),
    ('show_images(rows, ["test digit", "reconstruction"], title="β grid")', ["test digit", "reconstruction", "β grid"]),
    ('ax.set_xlabel("$z_1$"); ax.plot(a, label="q")', []),                      # symbols only: nothing to translate
    ('%matplotlib inline\nax.set_ylabel(r"$\\sigma$ of q (nats)")', ["$\\sigma$ of q (nats)"]),
    ('x = (a\n     != b)\nax.set_title("after a continuation line")', ["after a continuation line"]),
])
def test_figure_texts_are_found_at_their_call(source, expected):
    assert [t for *_, t in translate.figure_strings(source)] == expected


def test_the_library_shows_every_app_string_in_korean_when_asked(monkeypatch):
    """tr() answers from the compiled catalog that ships in the package: each app string as its .po says."""
    import polib

    from vae_lib import i18n

    po = {e.msgid: e.msgstr for e in polib.pofile(str(translate.CATALOGS / LANG / "vae_lib.po"))}
    monkeypatch.setattr(i18n, "_chosen", LANG)
    strings = {text for text, _ in translate.app_strings()}
    assert strings and all(i18n.tr(text) == po[text] != text or text == po[text] for text in strings)
    assert sum(i18n.tr(text) != text for text in strings) >= len(strings) - 2   # "β" and the like stay as they are
    monkeypatch.setattr(i18n, "_chosen", "en")
    assert all(i18n.tr(text) == text for text in strings)


def test_the_system_locale_does_not_choose_the_edition(monkeypatch):
    """A Korean system locale leaves the English edition English; VAE_LIB_LANG (make ... EDITION=ko) chooses."""
    from vae_lib import i18n

    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.delenv("VAE_LIB_LANG", raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.language() == "en"
    monkeypatch.setenv("VAE_LIB_LANG", "ko")
    assert i18n.language() == "ko"
