"""The check that an executed edition shows no English: what its cells print and what its figures draw.

The extraction (:mod:`vae_tools.code_strings`) decides which literals of the code are translated; this module
checks the result, so that a missed string cannot pass silently. For every code cell of a built notebook of the
edition it reads

* the text outputs: stream text, ``text/plain`` (unless the output has a richer form: a figure, a widget, HTML)
  and ``text/html`` (tags removed);
* the text drawn in every figure, which ``vae_lib`` records when the edition runs (``set_language("ko")``:
  :data:`vae_lib.i18n.FIGURE_TEXT_MIME`). A figure without that record was not drawn by the edition: stale.

An English word is a run of three or more Latin letters (or one of a few two-letter function words such as "of")
that is not part of a code name (``vae-2d``, ``x_hat``, ``log_likelihood(``, ``decoder_std=``, ``.shape``), not
inside ``$math$``, `backticks`, 'quotes' or ``<reprs>``, not an all-capitals abbreviation (ELBO, KL, MNIST) or a
CamelCase name (PixelCNN, VampPrior), and not
allowed in ``translations/<lang>/allowed_english.toml``: words every notebook may show (units such as nats,
bits, px; a few names), and at most :data:`MAX_PER_NOTEBOOK` words per notebook, each listed there by name.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

FIGURE_TEXT_MIME = "application/vnd.vae-lib.figure-text+json"   # as vae_lib.i18n.FIGURE_TEXT_MIME (no torch import)
MAX_PER_NOTEBOOK = 5
_SHORT = {"of", "to", "in", "is", "on", "at", "by", "an", "or", "as", "it", "if", "be", "we", "the", "and"}
_RICH = ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json", "text/html")


def allowed(catalogs: Path, lang: str) -> tuple[set[str], dict[str, set[str]]]:
    """``(words any notebook may show, {notebook stem: its own words})`` from ``allowed_english.toml``."""
    path = catalogs / lang / "allowed_english.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    common = {w.lower() for w in data.get("words", [])}
    per = {k: {w.lower() for w in v} for k, v in data.get("notebooks", {}).items()}
    for name, words in per.items():
        if len(words) > MAX_PER_NOTEBOOK:
            raise ValueError(f"{path}: {name} allows {len(words)} English words; at most {MAX_PER_NOTEBOOK} per notebook")
    return common, per


def english_words(text: str) -> list[str]:
    """The English words of ``text`` that a translation should have replaced (see the module's docstring)."""
    text = re.sub(r"\$[^$\n]*\$|`[^`\n]*`|'[^'\n]*'|<[^<>\n]*>|&\w+;|https?://\S+", " ", text)
    found = []
    for m in re.finditer(r"[A-Za-z]+", text):
        word, before, after = m.group(), text[m.start() - 1:m.start()], text[m.end():m.end() + 2]
        if re.match(r"[\w\-./\\]", before) and not re.match(r"[가-힣]", before):
            continue      # part of a code name: x_hat, vae-2d, 1e-3, bits/dim, .shape
        if re.match(r"[\w\-/(=\[]|\.\w", after) and not re.match(r"[가-힣]", after):
            continue      # a code name, call or keyword: train_kl, evaluate(, decoder_std=, s0.1, model.encode
        if re.match(r" ?=[^=]", text[m.end():m.end() + 3]):
            continue      # a name given a value: config = {...}, sigma = 0.5
        if before == "(" and after.startswith(")"):
            continue      # an argument in code: evaluate(model)
        if re.match(r"\s+v?\d+\.\d+\.\d+", text[m.end():m.end() + 16]):
            continue      # a package and its version: numpy 1.26.4
        if re.search(r"[a-z][A-Z]", word):
            continue      # a name in CamelCase: PixelCNN, VampPrior, KLExplorer
        if word.isupper() and len(word) > 1:
            continue      # an abbreviation: ELBO, KL, MNIST, VAE
        if len(word) >= 3 or word.lower() in _SHORT:
            found.append(word)
    return found


def _html_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def cell_texts(cell: dict) -> list[tuple[str, str]]:
    """``(kind, text)`` of everything a code cell's outputs show (figures: their recorded texts)."""
    out = []
    for o in cell.get("outputs", []):
        kind = o.get("output_type")
        if kind == "stream":
            out.append(("printed", "".join(o.get("text", ""))))
        elif kind == "error":
            out.append(("error", f"{o.get('ename')}: {o.get('evalue')}"))
        elif kind in ("display_data", "execute_result"):
            data = o.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                texts = data.get(FIGURE_TEXT_MIME)
                out.append(("figure", "\n".join(texts)) if texts is not None else ("stale figure", ""))
            if "text/html" in data:
                out.append(("html", _html_text("".join(data["text/html"]))))
            if "text/plain" in data and not any(k in data for k in _RICH):
                out.append(("shown", "".join(data["text/plain"])))
    return out


def notebook_problems(path: Path, common: set[str], own: set[str]) -> list[str]:
    """One line per cell of an executed edition notebook that shows English, is not executed, or is stale."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    ok = common | own
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        where = f"{path.name} cell {i} (id {cell['id']})"
        if cell.get("execution_count") is None:
            out.append(f"not executed: {where}")
            continue
        for kind, text in cell_texts(cell):
            if kind == "error":
                out.append(f"error: {where}: {text[:120]}")
            elif kind == "stale figure":
                out.append(f"stale: {where}: a figure not drawn by the edition (no recorded text): execute it again")
            else:
                bad = sorted({w for w in english_words(text) if w.lower() not in ok})
                if bad:
                    line = next((ln for ln in text.splitlines() if any(re.search(rf"\b{w}\b", ln) for w in bad)), "")
                    out.append(f"English {kind}: {where}: {', '.join(bad[:8])}{' ...' if len(bad) > 8 else ''}"
                               f" in {line.strip()[:100]!r}")
    return out
