"""The Korean edition, built from one source: the English notebooks plus a gettext catalog per notebook.

English is the source. A translator edits ``translations/<lang>/notebooks/NN_name.po`` (any gettext tool
reads it: Poedit, Lokalize, Weblate ...), never a notebook's JSON:

* one entry per **markdown cell**: ``msgctxt`` is the cell's id, ``msgid`` its English text;
* one entry per **string a code cell shows** (:mod:`vae_tools.code_strings`): what it prints (``print``'s
  f-strings, joins, implicitly concatenated and multi-line literals, quoted column headings), what it draws
  (``set_title``, ``legend``, ``label=`` ...), a widget's ``description=``, and strings held in variables that
  are shown (notebook 10's ``LABELS``): ``msgctxt`` is ``"<cell id>:<n>"``. An f-string keeps its
  ``{placeholders}``: the translation must have the same ones (a quoted heading inside one may be translated).
  A held string compared elsewhere (``row["Gaussian, s = 1"]``) is one entry, translated at every copy.

The strings the library shows (the lecture app, the explorers, default figure titles: every ``tr("...")`` in
``vae_lib``) live in ``translations/<lang>/vae_lib.po``, compiled into the package's gettext catalog.

    python -m vae_tools.translate update   # add new cells/strings to the catalogs; changed English -> fuzzy
    python -m vae_tools.translate build    # write notebooks/<lang>/*.ipynb from the English ones + catalogs
    python -m vae_tools.translate check    # exit 1: missing or stale translations, built files out of date, or an
                                           # executed notebook that prints or draws English (output_check)
    python -m vae_tools.translate compile  # translations/<lang>/vae_lib.po -> vae_lib/locale/.../vae_lib.mo

A built notebook has the English notebook's cells, in order, with the same ids: markdown from the catalog,
code identical except the shown strings (and one generated first line, ``set_language("<lang>")``), and
the English outputs, until ``make translate`` executes it. Executed, every figure also carries the text drawn in it
(:data:`vae_lib.i18n.FIGURE_TEXT_MIME`), and ``check`` fails, naming notebook and cell, on any output or figure that
still shows English outside ``translations/<lang>/allowed_english.toml`` (:mod:`vae_tools.output_check`), so that a
string the extraction missed cannot pass silently.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import polib

from vae_lib.i18n import LANGUAGES
from vae_tools import output_check
from vae_tools.code_strings import _MAGIC, cell_strings, notebook_strings

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CATALOGS = ROOT / "translations"
LANGS = tuple(code for code in LANGUAGES if code != "en")   # the editions translated from English (vae_lib.i18n)


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _source(cell: dict) -> str:
    return "".join(cell["source"])


# ----------------------------------------------------------------------------------------- shown strings
def figure_strings(code: str) -> list[tuple[int, int, str, str]]:
    """The shown texts of one code cell on its own: ``(start, end, head, text)`` spans of the literals a reader sees
    (printed, drawn in a figure, in a widget; :mod:`vae_tools.code_strings`), in source order."""
    return [(sp.start, sp.end, sp.head, sp.text) for sp in cell_strings(code)]


def _code_cells(nb: dict) -> list[tuple[str, str]]:
    return [(c["id"], _source(c)) for c in nb["cells"] if c["cell_type"] == "code"]


def _placeholders(text: str, shared: dict[str, str] | None = None) -> list[str]:
    """The {placeholders} of an f-string or format string. A quoted literal in one is shown text and may be translated
    (``{'model':22s}``, a column heading; ``{x or 'none'}``), so it counts as ``'…'``, except a key (``{row['kl']}``),
    which is code and must stay, or, for a held string translated notebook-wide (``{gap['Bernoulli read as CB']}``),
    become its translation, given in ``shared``."""
    out = []
    for p in re.findall(r"(?<!\{)\{[^{}]*\}(?!\})", text):
        p = re.sub(r"(\[?)(['\"])[^'\"]*\2", lambda m: m.group() if m.group(1) else f"{m.group(2)}…{m.group(2)}", p)
        for english, korean in (shared or {}).items():
            p = p.replace(f"'{english}'", f"'{korean}'").replace(f'"{english}"', f'"{korean}"')
        out.append(p)
    return sorted(out)


def _shared(nb: dict, po: dict) -> dict[str, str]:
    """The held strings translated notebook-wide (one entry, several literals), English -> translation."""
    spans = [x for lst in notebook_strings(_code_cells(nb)).values() for x in lst]
    count: dict[str, int] = {}
    for _, ctx in spans:
        count[ctx] = count.get(ctx, 0) + 1
    return {sp.text: po[ctx].msgstr for sp, ctx in spans
            if count[ctx] > 1 and ctx in po and po[ctx].msgstr and "fuzzy" not in po[ctx].flags}


# ----------------------------------------------------------------------------------------- catalogs
def catalog_path(notebook: Path, lang: str) -> Path:
    return CATALOGS / lang / "notebooks" / (notebook.stem + ".po")


def entries(notebook: Path) -> Iterator[tuple[str, str, str]]:
    """``(msgctxt, msgid, where)`` for every translatable piece of an English notebook, in order."""
    nb = _read(notebook)
    shown = notebook_strings(_code_cells(nb))
    for i, cell in enumerate(nb["cells"]):
        src = _source(cell)
        if cell["cell_type"] == "markdown" and src.strip():
            yield cell["id"], src, f"{notebook.name} cell {i}"
        elif cell["cell_type"] == "code":
            seen = set()
            for sp, ctx in shown[cell["id"]]:
                if ctx.startswith(cell["id"] + ":") and ctx not in seen:
                    seen.add(ctx)
                    yield ctx, sp.text, f"{notebook.name} cell {i} (shown text)"


def update(lang: str) -> list[str]:
    """Bring every catalog up to date with the English notebooks; returns a line per change."""
    changes = []
    for nb in english_notebooks():
        path = catalog_path(nb, lang)
        po = polib.pofile(str(path)) if path.exists() else polib.POFile()
        po.metadata = {"Project-Id-Version": f"vae-series {nb.stem}", "Language": lang,
                       "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
                       "MIME-Version": "1.0"}
        old = {e.msgctxt: e for e in po}
        by_text = {(e.msgctxt.split(":")[0], e.msgid): e for e in po}   # a figure text that moved within its cell
        new = polib.POFile()
        new.metadata = po.metadata
        for ctx, text, where in entries(nb):
            e = old.get(ctx)
            if e is None or e.msgid != text:
                moved = by_text.get((ctx.split(":")[0], text))
                if moved is not None and ":" in ctx:
                    e = polib.POEntry(msgctxt=ctx, msgid=text, msgstr=moved.msgstr, flags=list(moved.flags))
            if e is None:
                e = polib.POEntry(msgctxt=ctx, msgid=text, msgstr="")
                changes.append(f"new: {where}")
            elif e.msgid != text:            # a copy: the old entry may still move to another msgctxt
                e = polib.POEntry(msgctxt=ctx, msgid=text, msgstr=e.msgstr, previous_msgid=e.msgid,
                                  flags=[*(f for f in e.flags if f != "fuzzy"), "fuzzy"])
                changes.append(f"stale: {where}")
            e.occurrences = [(where, "")]
            new.append(e)
        path.parent.mkdir(parents=True, exist_ok=True)
        new.save(str(path))
    return changes


def problems(lang: str) -> list[str]:
    """Everything that keeps the edition from being complete and current, one line each (naming the cell)."""
    out = []
    for nb in english_notebooks():
        path = catalog_path(nb, lang)
        if not path.exists():
            out.append(f"{nb.name}: no catalog {path.relative_to(ROOT)} (run `python -m vae_tools.translate update`)")
            continue
        po = {e.msgctxt: e for e in polib.pofile(str(path))}
        shared = _shared(_read(nb), po)
        for ctx, text, where in entries(nb):
            e = po.get(ctx)
            first = text.strip().splitlines()[0][:70]
            if e is None:
                out.append(f"missing: {where}, id {ctx}: {first!r}")
            elif e.msgid != text:
                out.append(f"stale: {where}, id {ctx}: the English changed after the translation was written: {first!r}")
            elif not e.msgstr.strip() or "fuzzy" in e.flags:
                out.append(f"untranslated: {where}, id {ctx}: {first!r}")
            elif ":" in ctx and _placeholders(e.msgid, shared) != _placeholders(e.msgstr):   # an f-string's
                out.append(f"placeholders differ: {where}, id {ctx}: {_placeholders(e.msgid, shared)} vs "
                           f"{_placeholders(e.msgstr)}")
        out += _broken_code(nb, lang)
    return out


def _broken_code(notebook: Path, lang: str) -> list[str]:
    """Code cells that parse in English but not with their translated strings (e.g. a quote in a translation)."""
    out = []
    english = _read(notebook)["cells"]
    for i, (en, ko) in enumerate(zip(english, built(notebook, lang)["cells"])):
        if en["cell_type"] != "code":
            continue
        try:
            ast.parse(_MAGIC.sub("pass", _source(en)))
        except SyntaxError:
            continue
        try:
            ast.parse(_MAGIC.sub("pass", _source(ko)))
        except SyntaxError as exc:
            out.append(f"syntax error: {notebook.name} cell {i}, id {en['id']}: a translation breaks the code "
                       f"({exc.msg}, line {exc.lineno})")
    return out


# ----------------------------------------------------------------------------------------- building
def _figure_links(text: str, lang: str) -> str:
    """Links to the project's figures point at the language's version, from one folder deeper."""
    return re.sub(r"\]\(\.\./assets/figures/([\w.-]+\.png)\)", rf"](../../assets/figures/{lang}/\1)", text)


def built(notebook: Path, lang: str, previous: dict | None = None) -> dict:
    """The translated notebook (English outputs, or ``previous``'s outputs when its code is the same)."""
    nb = copy.deepcopy(_read(notebook))
    po = {e.msgctxt: e.msgstr for e in polib.pofile(str(catalog_path(notebook, lang)))
          if e.msgstr and "fuzzy" not in e.flags}
    old = {c["id"]: c for c in (previous or {}).get("cells", [])}
    shown = notebook_strings(_code_cells(nb))
    first_code = True
    for cell in nb["cells"]:
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            text = po.get(cell["id"], src)
            cell["source"] = _figure_links(text, lang).splitlines(keepends=True)
            continue
        if cell["cell_type"] != "code":
            continue
        for sp, ctx in reversed(shown[cell["id"]]):
            tr = po.get(ctx)
            if tr is not None:     # msgid and msgstr are written as in the source (escapes included)
                src = src[:sp.start] + sp.head + tr + sp.quote + src[sp.end:]
        if first_code:
            src = f"from vae_lib.i18n import set_language\n\nset_language({lang!r})  # the Korean edition\n" + src
            first_code = False
        cell["source"] = src.splitlines(keepends=True)
        prev = old.get(cell["id"])
        if prev is not None and _source(prev) == src:
            cell["outputs"], cell["execution_count"] = prev.get("outputs", []), prev.get("execution_count")
    nb["metadata"]["language_info"] = {**nb["metadata"].get("language_info", {}), "name": "python"}
    nb["metadata"]["vae_lib_edition"] = lang
    return nb


def edition_path(notebook: Path, lang: str) -> Path:
    return NOTEBOOKS / lang / notebook.name


def build(lang: str) -> list[Path]:
    written = []
    for nb in english_notebooks():
        out = edition_path(nb, lang)
        _write(out, built(nb, lang, _read(out) if out.exists() else None))
        written.append(out)
    return written


def out_of_date(lang: str) -> list[str]:
    """Built notebooks whose cells (type, id, source) differ from what :func:`build` makes now."""
    out = []
    for nb in english_notebooks():
        path = edition_path(nb, lang)
        if not path.exists():
            out.append(f"{path.relative_to(ROOT)} is missing: run `make translate`")
            continue
        want, have = built(nb, lang)["cells"], _read(path)["cells"]
        key = [(c["cell_type"], c["id"], _source(c)) for c in want]
        got = [(c["cell_type"], c["id"], _source(c)) for c in have]
        if key != got:
            bad = next((i for i, (a, b) in enumerate(zip(key, got)) if a != b), min(len(key), len(got)))
            out.append(f"{path.relative_to(ROOT)} differs from its build at cell {bad}: run `make translate`")
    return out


def output_problems(lang: str, notebooks: list[Path] | None = None) -> list[str]:
    """What the executed edition still shows in English (printed, drawn, as HTML), or cells not executed or stale,
    one line per cell, naming notebook and cell (:mod:`vae_tools.output_check`)."""
    common, per = output_check.allowed(CATALOGS, lang)
    out = []
    for nb in notebooks if notebooks is not None else english_notebooks():
        path = edition_path(nb, lang)
        if path.exists():
            out += output_check.notebook_problems(path, common, per.get(nb.stem, set()))
    return out


def app_strings() -> list[tuple[str, str]]:
    """``(text, "file:line")`` of every ``tr("...")`` or ``N_("...")`` with a literal argument in vae_lib's source."""
    found = []
    for path in sorted((ROOT / "vae_lib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "N_") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.append((node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def update_app(lang: str) -> list[str]:
    """Bring translations/<lang>/vae_lib.po up to date with the ``tr("...")`` strings of vae_lib."""
    path = CATALOGS / lang / "vae_lib.po"
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    po.metadata = {"Project-Id-Version": "vae_lib", "Language": lang, "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "MIME-Version": "1.0"}
    have = {e.msgid: e for e in po}
    new, changes = polib.POFile(), []
    new.metadata = po.metadata
    for text, where in app_strings():
        e = have.get(text) or next((x for x in new if x.msgid == text), None)
        if e is None:
            e = polib.POEntry(msgid=text, msgstr="")
            changes.append(f"new: {where}")
        if e not in new:
            e.occurrences = []
            new.append(e)
        e.occurrences.append((where, ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    new.save(str(path))
    return changes


def app_problems(lang: str) -> list[str]:
    path = CATALOGS / lang / "vae_lib.po"
    if not path.exists():
        return [f"no catalog {path.relative_to(ROOT)} (run `python -m vae_tools.translate update`)"]
    po = {e.msgid: e for e in polib.pofile(str(path))}
    out = []
    for text, where in app_strings():
        e = po.get(text)
        if e is None:
            out.append(f"missing: {where}: {text[:70]!r}")
        elif not e.msgstr.strip() or "fuzzy" in e.flags:
            out.append(f"untranslated: {where}: {text[:70]!r}")
    mo = ROOT / "vae_lib" / "locale" / lang / "LC_MESSAGES" / "vae_lib.mo"
    if not mo.exists() or mo.read_bytes() != _mo_bytes(path):
        out.append(f"{mo.relative_to(ROOT)} is not compiled from {path.relative_to(ROOT)}: run `make translate`")
    return out


def _mo_bytes(po_path: Path) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "x.mo"
        polib.pofile(str(po_path)).save_as_mofile(str(out))
        return out.read_bytes()


def compile_app(lang: str) -> Path:
    """translations/<lang>/vae_lib.po -> vae_lib/locale/<lang>/LC_MESSAGES/vae_lib.mo."""
    po = polib.pofile(str(CATALOGS / lang / "vae_lib.po"))
    out = ROOT / "vae_lib" / "locale" / lang / "LC_MESSAGES" / "vae_lib.mo"
    out.parent.mkdir(parents=True, exist_ok=True)
    po.save_as_mofile(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vae_tools.translate", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["update", "build", "check", "compile"])
    p.add_argument("--lang", default="ko", choices=LANGS)
    a = p.parse_args(argv)
    if a.command == "update":
        print("\n".join(update(a.lang) + update_app(a.lang)) or "catalogs up to date")
    elif a.command == "build":
        print("\n".join(str(x.relative_to(ROOT)) for x in build(a.lang)))
    elif a.command == "compile":
        print(compile_app(a.lang).relative_to(ROOT))
    else:
        bad = problems(a.lang) + app_problems(a.lang) + out_of_date(a.lang) + output_problems(a.lang)
        print("\n".join(bad) or f"the {a.lang} edition is complete and current")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
