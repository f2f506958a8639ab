"""The offline decks' wiring, without a browser: pinned npm packages, relative URLs, git-ignored node_modules.

The pages themselves are opened offline in tests/browser/test_offline_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "lecture" / "vendor"
NEEDED = {"reveal.js", "mathjax", "requirejs", "@jupyter-widgets/html-manager", "jquery"}


def test_the_npm_packages_are_pinned_and_locked():
    deps = json.loads((VENDOR / "package.json").read_text())["dependencies"]
    assert set(deps) == NEEDED
    lock = json.loads((VENDOR / "package-lock.json").read_text())["packages"]
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: pin an exact version, not {version!r}"
        assert lock[f"node_modules/{name}"]["version"] == version, f"package-lock.json disagrees on {name}"
    assert deps["mathjax"].startswith("3.")  # offline.js configures MathJax 3
    assert deps["@jupyter-widgets/html-manager"].startswith("1.")  # ipywidgets 8's widget state (version_major 2)


def _dry_run(target: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("no make")
    done = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-o", "lecture/vendor/node_modules/.installed",
                           target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.replace("\\\n", " ")  # continued lines joined


@pytest.mark.parametrize("target", ["slides", "html"])
def test_make_points_the_pages_at_relative_local_copies(target):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^{target}: .*\$\(VENDOR_STAMP\)", makefile, re.M), f"`make {target}` must depend on vendor"
    commands = _dry_run(target)
    nbconvert = next(line for line in commands.splitlines() if "nbconvert" in line)
    urls = dict(re.findall(r"--(\w+Exporter\.\w+_(?:url|url_prefix))=(\S+)", nbconvert))
    wanted = {"HTMLExporter.require_js_url", "HTMLExporter.mathjax_url", "HTMLExporter.widget_renderer_url",
              "HTMLExporter.jquery_url"} | ({"SlidesExporter.reveal_url_prefix"} if target == "slides" else set())
    assert set(urls) >= wanted, urls
    for key, url in urls.items():
        assert "://" not in url and not url.startswith("/"), f"{key}={url}: the folder must work from anywhere"
        assert url.startswith("vendor/"), f"{key}={url}"
    assert "vendor/anywidget.js" in commands and "offline.js" in commands


def test_node_modules_is_ignored_and_the_loader_loads_local_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "-q", "lecture/vendor/node_modules/mathjax/package.json"], cwd=ROOT)
    assert done.returncode == 0, "lecture/vendor/node_modules must be git-ignored"
    loader = (VENDOR / "offline.js").read_text()
    assert "mathjax/tex-chtml-full.js" in loader and "anywidget" in loader and "http" not in loader.replace(
        "html-manager", "")
