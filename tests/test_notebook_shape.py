"""Every notebook has the series' shape (CONTRIBUTING.md): navigation, title, what you will learn,
prerequisites, "Try it" with solutions that are code the tests run, a summary; and none of the habits
the series forbids (a copy of show_source, library source sliced by string search, machine paths)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_shape_of_a_notebook(path):
    cells = _cells(path)
    md = [_text(c) for c in cells if c["cell_type"] == "markdown"]
    nav = re.compile(r"^(←|\(first notebook\)).*Contents.*·.*(→|\(last notebook\))", re.S)
    assert nav.match(md[0].strip()) and nav.match(md[-1].strip()), f"{path.name}: navigation line at top and bottom"
    assert md[0].strip() == md[-1].strip(), f"{path.name}: the two navigation lines differ"
    number = path.name[:2]
    assert re.match(rf"# {number} · \S", md[1]), f"{path.name}: the title is '# {number} · ...'"
    joined = "\n".join(md)
    learn = "**In this notebook you will**" if number == "00" else "**You will learn**"
    for needle in (learn, "**Prerequisites:**", "## Try it", "## Summary"):
        assert needle in joined, f"{path.name}: no {needle!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_are_collapsed_code_cells_after_their_exercise(path):
    cells = _cells(path)
    try_it = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "## Try it" in _text(c))
    exercises = re.findall(r"^(\d+)\. ", _text(cells[try_it]), re.M)
    solutions = [(i, c) for i, c in enumerate(cells) if "solution" in c.get("metadata", {}).get("tags", [])]
    numbers = [re.match(r"# Solution (\d+)", _text(c)).group(1) if re.match(r"# Solution (\d+)", _text(c)) else None
               for _, c in solutions]
    assert exercises, f"{path.name}: the Try-it cell numbers its exercises 1. 2. ..."
    assert numbers == exercises, f"{path.name}: solutions {numbers} for exercises {exercises}"
    for i, c in solutions:
        assert c["cell_type"] == "code" and i > try_it, f"{path.name}: solution cell {i} is code after the exercises"
        assert c["metadata"].get("jupyter", {}).get("source_hidden") is True, f"{path.name}: cell {i} not collapsed"
    for c in cells:
        if c["cell_type"] == "markdown" and "<details>" in _text(c):
            assert "```python" not in _text(c), f"{path.name}: solution code hidden in <details> is never run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_forbidden_habits(path):
    for i, c in enumerate(_cells(path)):
        src = _text(c)
        if c["cell_type"] == "code":
            assert "def show_source" not in src, f"{path.name} cell {i}: import show_source from vae_lib.notebook"
            assert not re.search(r"getsource\([^)]*\)\.splitlines\(\)", src), \
                f"{path.name} cell {i}: slices library source by string search; show a real function instead"
            for out in c.get("outputs", []):
                assert not re.search(r"(/work/|/root/|/tmp/|/home/\w+)", json.dumps(out)), \
                    f"{path.name} cell {i}: an output shows a machine path"
                assert out.get("output_type") != "error", f"{path.name} cell {i}: an output is an error"
