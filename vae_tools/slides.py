"""Slide metadata for the notebooks, so that each one presents as a deck (RISE, ``nbconvert --to slides``).

First, markdown cells are split where a slide should begin: before every heading that is not the
cell's first line, and before each bold lead-in paragraph (``**Route 1.**``, ``**Proof**`` ...) of
a cell that holds a derivation (display math). The document reads the same (consecutive markdown
cells render as one text); the deck gets one slide per section and one step per click.

Then the slide types, for every cell that has no ``slideshow`` metadata yet (cells an author
tagged by hand keep their choice):

* a ``#`` or ``##`` heading opens a **slide** (the title slide and one per section);
* a ``###`` heading opens a **subslide** (below its section, in reveal.js' vertical order);
* a markdown cell that continues a derivation (it holds display math, ``$$ ... $$``, or opens
  with a bold lead-in) is a **fragment**: the steps of a derivation appear one click at a time;
  so are exercise solutions (``<details>``);
* a code cell that only sets things up (imports, ``%matplotlib``, seeds, helper definitions,
  or any code before the first section that shows nothing) is **skip**: not needed on screen;
* a code cell that shows a figure or a widget opens a **subslide**, so the picture gets the
  screen; every other cell continues the current slide (``-``).

    python -m vae_tools.slides notebooks/*.ipynb          # tag, in place (outputs untouched)
    python -m vae_tools.slides --check notebooks/*.ipynb  # exit 1 if a cell lacks a slide type
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["SLIDE_TYPES", "missing", "slide_type", "split_markdown", "tag"]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
_SETUP = re.compile(r"^(#.*|import .*|from \S+ import .*|%\w.*|torch\.(manual_seed|set_num_threads)\(.*\)|"
                    r"plt\.rcParams.*|warnings\..*|np\.random\.seed\(.*\)|def .*|class .*|@.*|[)\]}].*|)$")
_NAV = re.compile(r"^\s*(←|\[).*\.ipynb\).*·.*$")  # the previous · contents · next line
_VISUAL = ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json")


def _split_points(lines: list[str]) -> list[int]:
    """Line indices where a markdown cell should be cut (outside code fences and $$ blocks)."""
    derivation = sum(line.strip().startswith("$$") for line in lines) >= 2
    cuts, fence, math = [], False, False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        if fence:
            continue
        if stripped.startswith("$$"):
            # a block opens and closes on one line ($$ x $$) or on separate lines
            if not (stripped.count("$$") >= 2 and len(stripped) > 4):
                math = not math
            continue
        if math or i == 0 or lines[i - 1].strip():
            continue  # only cut at the start of a paragraph
        if re.match(r"#{1,3} ", line) or (derivation and re.match(r"\*\*[^*]+\*\*", stripped)):
            cuts.append(i)
    return cuts


def split_markdown(nb: nbformat.NotebookNode) -> int:
    """Split markdown cells before inner headings and derivation steps; returns how many cells were added."""
    out, added = [], 0
    for cell in nb.cells:
        lines = cell.source.split("\n") if cell.cell_type == "markdown" else []
        cuts = _split_points(lines) if "slideshow" not in cell.metadata else []
        if not cuts:
            out.append(cell)
            continue
        bounds = [0, *cuts, len(lines)]
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            text = "\n".join(lines[a:b]).strip("\n")
            if not text:
                continue
            piece = nbformat.v4.new_markdown_cell(text) if k else cell
            if k:
                added += 1
            else:
                cell.source = text
            out.append(piece)
    nb.cells = out
    return added


def slide_type(cell: nbformat.NotebookNode, index: int, preamble: bool = False) -> str:
    """The slide type the rules above give ``cell`` (the ``index``-th cell of its notebook).

    ``preamble``: the cell comes before the first section heading (where set-up code lives).
    """
    src = cell.source.lstrip()
    if cell.cell_type == "markdown":
        if _NAV.match(src) and "\n" not in src.strip():
            return "skip"  # navigation between notebooks: for readers, not for the projector
        if index == 0 or re.match(r"#{1,2} ", src):
            return "slide"
        if src.startswith("### "):
            return "subslide"
        if "$$" in src or "<details" in src or re.match(r"\*\*[^*]+\*\*", src):
            return "fragment"
        return "-"
    if cell.cell_type == "code":
        outputs = cell.get("outputs", [])
        if any(any(k in o.get("data", {}) for k in _VISUAL) for o in outputs):
            return "subslide"
        # set-up with nothing to show: imports, seeds, helper definitions (indented lines are their bodies)
        top_level = [line for line in cell.source.splitlines() if line and not line[0].isspace()]
        if not outputs and (preamble or all(_SETUP.match(line) for line in top_level)):
            return "skip"
    return "-"


def tag(nb: nbformat.NotebookNode, *, overwrite: bool = False) -> int:
    """Add ``slideshow.slide_type`` to the cells of ``nb`` that lack one; returns how many were set."""
    changed, preamble = 0, True
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and re.match(r"## ", cell.source.lstrip()):
            preamble = False
        show = cell.metadata.setdefault("slideshow", {})
        if overwrite or show.get("slide_type") not in SLIDE_TYPES:
            new = slide_type(cell, i, preamble)
            changed += show.get("slide_type") != new
            show["slide_type"] = new
    return changed


def missing(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the cells without a valid ``slideshow.slide_type``."""
    return [i for i, c in enumerate(nb.cells) if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Add slide metadata to notebooks (see vae_tools.slides).")
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="only report cells without a slide type")
    ap.add_argument("--overwrite", action="store_true", help="re-derive every cell's type, hand-set ones too")
    args = ap.parse_args(argv)
    bad = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            gaps = missing(nb)
            bad += bool(gaps)
            print(f"{path.name}: {'ok' if not gaps else f'cells without slide type: {gaps}'}")
            continue
        added = split_markdown(nb)
        n = tag(nb, overwrite=args.overwrite) + added
        if n:
            nbformat.write(nb, path)
        kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
        print(f"{path.name}: {added} cells split off, {n} cells tagged; {kinds.count('slide')} slides, {kinds.count('subslide')} subslides, "
              f"{kinds.count('fragment')} fragments, {kinds.count('skip')} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
