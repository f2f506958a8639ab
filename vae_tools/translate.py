"""The Korean edition, built from one source: the English notebooks plus a gettext catalog per notebook.

English is the source. A translator edits ``translations/<lang>/notebooks/NN_name.po`` (any gettext tool
reads it: Poedit, Lokalize, Weblate ...), never a notebook's JSON:

* one entry per **markdown cell**: ``msgctxt`` is the cell's id, ``msgid`` its English text;
* one entry per **text drawn in a figure** by a code cell (the string given to ``set_title``, ``set_xlabel``,
  ``set_ylabel``, ``suptitle``, ``annotate``, ``text`` or as ``title=``, ``xlabel=``, ``ylabel=``, ``label=``):
  ``msgctxt`` is ``"<cell id>:<n>"``. An f-string keeps its ``{placeholders}``: the translation must have
  the same ones.

The strings the library shows (the lecture app, the explorers, default figure titles: every ``tr("...")`` in
``vae_lib``) live in ``translations/<lang>/vae_lib.po``, compiled into the package's gettext catalog.

    python -m vae_tools.translate update   # add new cells/strings to the catalogs; changed English -> fuzzy
    python -m vae_tools.translate build    # write notebooks/<lang>/*.ipynb from the English ones + catalogs
    python -m vae_tools.translate check    # exit 1: missing or stale translations, built files out of date
    python -m vae_tools.translate compile  # translations/<lang>/vae_lib.po -> vae_lib/locale/.../vae_lib.mo

A built notebook has the English notebook's cells, in order, with the same ids: markdown from the catalog,
code identical except the figure strings (and one generated first line, ``set_language("<lang>")``), and
the English outputs, until ``make translate`` executes it (figures then carry the translated text).
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

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CATALOGS = ROOT / "translations"
LANGS = ("ko",)
FIGURE_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "annotate", "text", "supxlabel", "supylabel"}
FIGURE_KEYWORDS = {"title", "xlabel", "ylabel", "label"}
FIGURE_LIST_CALLS = {"show_images", "show_rows"}   # (rows, row_titles, [title]): the arguments after the first
_MAGIC = re.compile(r"^\s*(?:%|!(?!=)).*$", re.M)   # IPython magics and shell lines (not a "!=" continuation)


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _source(cell: dict) -> str:
    return "".join(cell["source"])


# ----------------------------------------------------------------------------------------- figure strings
def figure_strings(code: str) -> list[tuple[int, int, str, str]]:
    """The figure texts of a code cell: ``(start, end, prefix+quote, text)`` character spans of string
    literals (plain or f-strings, on one line) passed where a figure draws text, in source order: the first
    argument of ``set_title``, ``set_xlabel`` ...; ``title=``, ``xlabel=``, ``ylabel=``, ``label=``; and the
    literals in a list or tuple given to them (e.g. ``show_images``' row titles). ``text`` is the literal as
    written in the source (escapes included). A text held in a variable is not found: write it at the call.
    """
    parsed = _MAGIC.sub(lambda m: "#" + " " * (len(m.group()) - 1) if m.group() else m.group(), code)
    try:
        tree = ast.parse(parsed)
    except SyntaxError:
        return []
    raw = code.encode("utf-8")           # ast's col_offset counts UTF-8 bytes
    starts = [0]
    for line in code.encode("utf-8").splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def literals(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, (ast.List, ast.Tuple)):
            return [n for elt in node.elts for n in literals(elt)]
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return [node]
        return []

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        args = list(node.args[:1]) if name in FIGURE_CALLS else []
        if name in FIGURE_LIST_CALLS:
            args += list(node.args[1:3])
        args += [k.value for k in node.keywords if k.arg in FIGURE_KEYWORDS]
        for a in (lit for arg in args for lit in literals(arg)):
            if a.lineno != a.end_lineno:
                continue
            b0 = starts[a.lineno - 1] + a.col_offset
            b1 = starts[a.end_lineno - 1] + a.end_col_offset
            literal = raw[b0:b1].decode("utf-8")
            s = len(raw[:b0].decode("utf-8"))
            m = re.match(r"^([rRfFbBuU]*)(['\"])(.*)\2$", literal, re.S)
            if m and not m.group(3).startswith(m.group(2) * 2) and _has_words(m.group(3)):
                found.append((s, s + len(literal), m.group(1) + m.group(2), m.group(3)))
    return sorted(set(found))


def _has_words(text: str) -> bool:
    """Worth translating: a word of three letters or more outside $math$ and {placeholders} ("q", "$z_1$" are not)."""
    bare = re.sub(r"\$[^$]*\$|\{[^{}]*\}", " ", text)
    return re.search(r"[A-Za-z]{3,}", bare) is not None


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"(?<!\{)\{[^{}]*\}(?!\})", text))


# ----------------------------------------------------------------------------------------- catalogs
def catalog_path(notebook: Path, lang: str) -> Path:
    return CATALOGS / lang / "notebooks" / (notebook.stem + ".po")


def entries(notebook: Path) -> Iterator[tuple[str, str, str]]:
    """``(msgctxt, msgid, where)`` for every translatable piece of an English notebook, in order."""
    for i, cell in enumerate(_read(notebook)["cells"]):
        src = _source(cell)
        if cell["cell_type"] == "markdown" and src.strip():
            yield cell["id"], src, f"{notebook.name} cell {i}"
        elif cell["cell_type"] == "code":
            for n, (_, _, _, text) in enumerate(figure_strings(src)):
                yield f"{cell['id']}:{n}", text, f"{notebook.name} cell {i} (figure text)"


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
            elif e.msgid != text:
                e.previous_msgid, e.msgid = e.msgid, text
                if "fuzzy" not in e.flags:
                    e.flags.append("fuzzy")
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
        for ctx, text, where in entries(nb):
            e = po.get(ctx)
            first = text.strip().splitlines()[0][:70]
            if e is None:
                out.append(f"missing: {where}, id {ctx}: {first!r}")
            elif e.msgid != text:
                out.append(f"stale: {where}, id {ctx}: the English changed after the translation was written: {first!r}")
            elif not e.msgstr.strip() or "fuzzy" in e.flags:
                out.append(f"untranslated: {where}, id {ctx}: {first!r}")
            elif ":" in ctx and _placeholders(e.msgid) != _placeholders(e.msgstr):   # a figure's f-string
                out.append(f"placeholders differ: {where}, id {ctx}: {_placeholders(e.msgid)} vs "
                           f"{_placeholders(e.msgstr)}")
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
    first_code = True
    for cell in nb["cells"]:
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            text = po.get(cell["id"], src)
            cell["source"] = _figure_links(text, lang).splitlines(keepends=True)
            continue
        if cell["cell_type"] != "code":
            continue
        for n, (s, e, head, _) in reversed(list(enumerate(figure_strings(src)))):
            tr = po.get(f"{cell['id']}:{n}")
            if tr is not None:
                src = src[:s] + head + tr + head[-1] + src[e:]   # msgid and msgstr are written as in the source
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
        bad = problems(a.lang) + app_problems(a.lang) + out_of_date(a.lang)
        print("\n".join(bad) or f"the {a.lang} edition is complete and current")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
