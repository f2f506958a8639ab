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
    # printed words: every literal of a print, f-strings, joins, implicit concatenation over lines
    ('print("error by hand:", err, "nats")', ["error by hand:", "nats"]),
    ('print(f"epoch {e}: error "\n      f"{x:.1f} nats")', ["epoch {e}: error {x:.1f} nats"]),
    ('print("ranking, best first:", " > ".join(names))', ["ranking, best first:"]),
    ('print(f"{\'model\':22s} test error")', ["{'model':22s} test error"]),
    ('ax.legend(["train set", "test set"])', ["train set", "test set"]),
    ('ax.set_title("first part, "\n             "second part")', ["first part, second part"]),
    ('ax.set_title("plain {x}, " f"and {y} here")', ["plain {{x}}, and {y} here"]),
    # held in a variable that is shown; dict keys and code names stay code
    ('NAMES = {"vae-2d": "the VAE", "ae-2d": "the autoencoder"}\nprint(NAMES[k])', ["the VAE", "the autoencoder"]),
    ('title = "Latent codes"\nax.set_title(title)', ["Latent codes"]),
    ('for ax, t in zip(axes, ["left panel", "right panel"]):\n    ax.set_title(t)', ["left panel", "right panel"]),
    ('name = "vae-2d"\nmodel = load(name)\nprint(f"{name} loaded")', ["{name} loaded"]),
    ('W.Dropdown(options=[("one model", "a"), ("other model", "b")], description="model of")',
     ["one model", "other model", "model of"]),
    ('x = {"key": 1}\nassert x["key"] == 1, "key went missing"', []),
])
def test_shown_texts_are_found_where_the_code_shows_them(source, expected):
    assert [t for *_, t in translate.figure_strings(source)] == expected


def test_a_held_string_is_translated_the_same_everywhere_in_the_notebook():
    """LABELS' rows are compared in a later cell (row["Gaussian, s = 1"]): one entry, every copy replaced."""
    from vae_tools.code_strings import notebook_strings

    cells = [("a", 'LABELS = {"g": "Gaussian, s = 1"}\nprint(LABELS["g"])'),
             ("b", 'row = {LABELS[k]: 1 for k in LABELS}\nassert row["Gaussian, s = 1"] == 1\nprint(f"{row[\'Gaussian, s = 1\']}")')]
    found = notebook_strings(cells)
    assert [ctx for _, ctx in found["a"]] == ["a:0"]
    assert [(sp.text, ctx) for sp, ctx in found["b"]] == [("Gaussian, s = 1", "a:0")] * 2   # in the f-string's {...} too


def test_a_translation_that_breaks_the_code_is_a_problem(tmp_path, monkeypatch):
    """A quote in a translated literal would break the Korean cell: the check names the cell."""
    import polib

    nb = {"cells": [{"cell_type": "code", "id": "c1", "source": ['print("hello world")'], "metadata": {},
                     "outputs": [], "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "99_x.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.setattr(translate, "ROOT", tmp_path)
    monkeypatch.setattr(translate, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(translate, "CATALOGS", tmp_path / "translations")
    translate.update(LANG)
    path = tmp_path / "translations" / LANG / "notebooks" / "99_x.po"
    po = polib.pofile(str(path))
    po.find("c1:0", by="msgctxt").msgstr = '안녕 "세계'
    po.save()
    assert any("c1" in p and "syntax" in p for p in translate.problems(LANG))


def test_a_new_string_before_a_translated_one_keeps_its_translation(tmp_path, monkeypatch):
    """The msgctxt counts a cell's strings in order: a print added above a translated title moves the title's
    entry to the next number, with its translation and without a fuzzy flag; the new string is untranslated."""
    import polib

    def write(source):
        nb = {"cells": [{"cell_type": "code", "id": "c1", "source": [source], "metadata": {}, "outputs": [],
                         "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / "notebooks" / "99_x.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(translate, "ROOT", tmp_path)
    monkeypatch.setattr(translate, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(translate, "CATALOGS", tmp_path / "translations")
    write('ax.set_title("Latent codes")')
    translate.update(LANG)
    path = tmp_path / "translations" / LANG / "notebooks" / "99_x.po"
    po = polib.pofile(str(path))
    po.find("c1:0", by="msgctxt").msgstr = "잠재 코드"
    po.save()
    write('print("the first line printed")\nax.set_title("Latent codes")')
    translate.update(LANG)
    po = {e.msgctxt: e for e in polib.pofile(str(path))}
    assert po["c1:1"].msgid == "Latent codes" and po["c1:1"].msgstr == "잠재 코드" and "fuzzy" not in po["c1:1"].flags
    assert po["c1:0"].msgid == "the first line printed"
    assert [p.split(",")[0] for p in translate.problems(LANG)] == ["untranslated: 99_x.ipynb cell 0 (shown text)"]


# ------------------------------------------------------------------ what the executed edition shows
def test_english_words_are_found_and_code_names_units_and_reprs_are_not():
    from vae_tools.output_check import english_words

    assert english_words("test reconstruction error 90.1 nats per example") == \
        ["test", "reconstruction", "error", "nats", "per", "example"]
    assert english_words("vae-2d의 x_hat: ELBO -90.5 nats, KL 21.7; evaluate(model); numpy 1.26.4; $\\log p$") == \
        ["nats"]
    assert english_words("테스트 재구성 오차 90.1 (이미지당 nats); <Figure size 640x480 with 1 Axes>") == ["nats"]


def test_the_check_names_english_unexecuted_and_stale_cells(tmp_path):
    from vae_tools import output_check

    def code(cid, outputs, count=1):
        return {"cell_type": "code", "id": cid, "source": ["x"], "metadata": {}, "outputs": outputs,
                "execution_count": count}

    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}
    recorded = {**figure, "data": {**figure["data"], output_check.FIGURE_TEXT_MIME: ["잠재 공간", "Latent codes"]}}
    cells = [code("ok", [{"output_type": "stream", "name": "stdout", "text": "재구성 오차 90.1 nats\n"}]),
             code("en", [{"output_type": "stream", "name": "stdout", "text": "reconstruction error 90.1 nats\n"}]),
             code("new", [], count=None), code("old", [figure]), code("fig", [recorded])]
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    found = output_check.notebook_problems(path, {"nats"}, set())
    assert [p.split(":")[0] + " " + p.split("id ")[1].split(")")[0] for p in found] == \
        ["English printed en", "not executed new", "stale old", "English figure fig"]
    assert "Latent" in found[-1] and "reconstruction" in found[0]
    assert output_check.notebook_problems(path, {"nats", "latent", "codes", "reconstruction", "error"}, set())[0] \
        .startswith("not executed")


@pytest.mark.parametrize("notebook", [nb.stem for nb in translate.english_notebooks()])
def test_the_executed_korean_notebook_prints_and_draws_no_english(notebook):
    """What every cell of the executed Korean notebook prints, shows and draws is Korean (allowed words aside:
    translations/ko/allowed_english.toml); a cell not executed, or a figure not drawn by the edition, fails too."""
    nb = next(p for p in translate.english_notebooks() if p.stem == notebook)
    bad = translate.output_problems(LANG, [nb])
    assert not bad, "\n".join(bad)


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
