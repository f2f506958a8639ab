"""The package's imports run one way: no module imports, at its top or inside a function, a module that imports it
back (the model store once looped: classifier.load_pretrained -> zoo -> checkpoints -> classifier)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vae_lib"


def _graph() -> dict[str, set[str]]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        pkg = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(f.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = ".".join(pkg[:len(pkg) - node.level + 1] + ([node.module] if node.module else []))
            elif (node.module or "").startswith("vae_lib"):
                base = node.module
            else:
                continue
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
            edges[m] |= {t for t in targets if t in mods and t != m}
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(edges):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_circle_in_the_package():
    edges = _graph()
    assert edges["vae_lib.checkpoints"] and "vae_lib.zoo" in edges["vae_lib.classifier"]  # the graph was read
    cycle = _cycle(edges)
    assert cycle is None, "an import circle: " + " -> ".join(cycle)


def test_the_model_store_is_layered():
    edges = _graph()
    assert "vae_lib.classifier" not in edges["vae_lib.checkpoints"]       # checkpoints holds the class, not the zoo
    for part in ("vae_lib.zoo.manifest", "vae_lib.zoo.build", "vae_lib.zoo.cli"):
        assert "vae_lib.zoo" not in edges[part]                           # the package's face imports them, not back


def test_the_package_face_names_what_notebooks_use_and_imports_lazily():
    """``import vae_lib`` imports no submodule; each name of ``vae_lib.FACE`` resolves to the object its module
    defines (the same object, not a copy)."""
    import importlib
    import subprocess
    import sys

    code = "import sys, vae_lib; print(sorted(m for m in sys.modules if m.startswith('vae_lib.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import vae_lib

    for name, module in vae_lib.FACE.items():
        mod = importlib.import_module(module)
        expected = mod if module == f"vae_lib.{name}" else getattr(mod, name)
        assert getattr(vae_lib, name) is expected, name
    assert set(vae_lib.FACE) <= set(dir(vae_lib))
