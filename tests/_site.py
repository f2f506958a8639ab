"""The website of ``make site``, built once per test session for tests/test_site.py and
tests/browser/test_site_browser.py (whichever asks first builds it; the other reuses it).

The build is the Makefile's own recipe (``make site`` with ``SITE_DIR`` and ``SITE_WORK`` in a temporary folder,
so Sphinx starts from nothing), then the folder is moved elsewhere (as onto a USB stick or a static host) so
that nothing can point back at the build folder. Without the npm packages of lecture/vendor (``make vendor``)
the calling test is skipped and says what to run (under CI=true a skipped browser test fails).

``VAE_SITE_DIR=_build/site pytest ...`` tests a site already built by ``make site`` instead (the edit loop).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("site_build", REPO / "site" / "build.py")
site_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_build)
EDITIONS: dict[str, dict[str, str]] = site_build.EDITIONS
_BUILT: dict[str, Path] = {}


def chapters(edition: str) -> list[str]:
    """The edition's chapters in order: the stems of its numbered notebooks (each is a page of the book)."""
    return sorted(p.stem for p in (REPO / EDITIONS[edition]["notebooks"]).glob("[0-9][0-9]_*.ipynb"))


def make(*args: str) -> None:
    """The Makefile's recipe with this interpreter's environment (its .installed stamp is not remade)."""
    venv = Path(sys.prefix)
    cmd = ["make", "--no-print-directory", "-o", str(venv / ".installed"), f"VENV={venv}", *args]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def built_site(tmp_root: Path) -> Path:
    """The site's folder (``index.html``, ``en/``, ``ko/``, ``vendor/``), built on the first call of the session."""
    if "site" in _BUILT:
        return _BUILT["site"]
    if os.environ.get("VAE_SITE_DIR"):
        given = Path(os.environ["VAE_SITE_DIR"]).resolve()
        assert (given / "index.html").is_file(), f"VAE_SITE_DIR={given} is not a site built by `make site`"
        _BUILT["site"] = given
        return given
    stamp = "lecture/vendor/node_modules/.installed"  # the Makefile's: newer than package.json and the lock
    if not (shutil.which("make") and subprocess.run(["make", "-q", stamp], cwd=REPO).returncode == 0):
        pytest.skip("the site needs the npm packages of lecture/vendor, pinned by its package-lock.json: run "
                    "`make vendor` once (Node.js 20 and npm; .ci/run does this)")
    pytest.importorskip("jupyter_book", reason="Jupyter Book is not installed (pip install -c constraints.txt -e '.[dev]')")
    build = tmp_root / "build"
    make("site", f"SITE_DIR={build / 'site'}", f"SITE_WORK={build / 'work'}")
    stick = tmp_root / "stick"
    shutil.move(build / "site", stick)
    shutil.rmtree(build)
    _BUILT["site"] = stick
    return stick


class Tags(HTMLParser):
    """Every start tag of a page as ``(tag, attrs)``, and the text inside each inline <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: Path) -> Tags:
    tags = Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # https://, http://, //host (protocol-relative)
