"""The website (``make site``) without a browser: its configuration, then (slow) the built pages: nothing loaded
from the network, every notebook of both editions a chapter in the table of contents, the language switch and the
front page pointing at pages that exist, the Korean book in Korean. The pages are opened in Chromium, offline, in
tests/browser/test_site_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _site import EDITIONS, REMOTE, REPO, built_site, chapters, parse, site_build

SITE = REPO / "site"
WEB_ADDRESS = re.compile(r"https?://[^\s\"'<>]+")


def test_each_edition_builds_from_the_shared_config_with_its_own_language_and_switch():
    assert set(EDITIONS) == {"en", "ko"}
    for edition, ed in EDITIONS.items():
        config = site_build.edition_config(edition)
        sphinx = config["sphinx"]["config"]
        assert sphinx["language"] == edition and config["title"] == ed["title"]
        assert sphinx["html_context"]["vae_other_edition"] == ed["other"] != edition
        assert EDITIONS[ed["other"]]["other"] == edition, "the switch must lead back"
        assert all(Path(p).is_absolute() and Path(p).is_dir() for p in sphinx["html_static_path"] + sphinx["templates_path"])
        assert chapters(edition), f"no notebooks for {edition}"
    assert chapters("en") == chapters("ko"), "both editions must have the same chapters (the switch is page to page)"
    with pytest.raises(ValueError, match="unknown edition"):
        site_build.edition_config("fr")


def test_the_config_never_runs_a_notebook_and_loads_scripts_from_the_local_vendor_folder():
    config = site_build.edition_config("en")
    assert config["execute"]["execute_notebooks"] == "off"
    sphinx = config["sphinx"]["config"]
    assert "sphinx_thebe" not in sphinx["extensions"] and "sphinx.ext.intersphinx" not in sphinx["extensions"]
    scripts = [sphinx["mathjax_path"], *sphinx["nb_ipywidgets_js"]]
    for url in scripts:
        assert not REMOTE.match(url) and not url.startswith("/"), f"{url}: the site must work from any folder"
    assert sphinx["mathjax_path"].startswith("../../vendor/mathjax/")  # relative to a book's _static/
    widgets = list(sphinx["nb_ipywidgets_js"])
    assert widgets[0].endswith("/require.js") and widgets[-1].endswith("/embed-amd.js")
    assert (SITE / "_static" / widgets[1]).is_file(), "the anywidget loader must sit between require.js and the renderer"
    toc = (SITE / "_toc.yml").read_text()
    assert "root: 00_start_here" in toc and '"[0-9][0-9]_*"' in toc


def test_make_site_builds_both_books_and_copies_the_vendor_folder():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^site: .*\$\(VENDOR_STAMP\)", makefile, re.M), "`make site` must depend on vendor"
    done = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-o", "lecture/vendor/node_modules/.installed",
                           "site"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "site/build.py --out _build/site" in done.stdout and "_build/site/vendor/anywidget.js" in done.stdout


# --- the built site (slow: builds it once per session, about half a minute) ----------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory.mktemp("site"))


def pages(site: Path) -> list[Path]:
    """The site's pages: the front page and every page of each book (not the templates a theme leaves in _static)."""
    return [site / "index.html", *(p for edition in EDITIONS for p in sorted((site / edition).glob("*.html")))]


def local_target(page: Path, url: str) -> Path:
    return (page.parent / urlsplit(url).path).resolve()


@pytest.mark.slow
def test_no_page_loads_anything_from_the_network_and_every_script_and_stylesheet_is_there(site):
    checked = 0
    for page in pages(site):
        tags = parse(page)
        for tag, attrs in tags.tags:
            url = attrs.get("src") if tag in ("script", "img", "iframe") else attrs.get("href") if tag == "link" else None
            if not url or url.startswith(("data:", "#")):
                continue
            assert not REMOTE.match(url), f"{page.relative_to(site)}: <{tag}> loads {url} from the network"
            assert local_target(page, url).is_file(), f"{page.relative_to(site)}: <{tag}> {url} is not in the site"
            checked += 1
        for text in tags.scripts:
            named = WEB_ADDRESS.findall(text.replace("http://www.w3.org/", ""))  # an SVG namespace is no request
            assert not named, f"{page.relative_to(site)}: an inline script names web addresses: {named[:3]}"
    assert checked > 100, f"only {checked} scripts, stylesheets and images checked"


@pytest.mark.slow
def test_every_notebook_is_a_chapter_in_the_table_of_contents_in_order(site):
    for edition in EDITIONS:
        names = chapters(edition)
        for i, name in enumerate(names):
            page = site / edition / f"{name}.html"
            assert page.is_file(), f"{edition}/{name}.ipynb has no page"
            links = [a["href"] for t, a in parse(page).tags if t == "a" and "reference internal" in a.get("class", "")
                     and a.get("href", "").endswith(".html") and "#" not in a["href"]]
            toc = [h[:-5] for h in dict.fromkeys(links) if h[:-5] in names or h == "#"]
            assert set(toc) | {name} == set(names), f"{edition}/{name}: the contents miss {set(names) - set(toc) - {name}}"
            html = page.read_text(encoding="utf-8")
            if i > 0:
                assert re.search(rf'class="left-prev"\s+href="{names[i - 1]}.html"', html), f"{edition}/{name}: no previous"
            if i + 1 < len(names):
                assert re.search(rf'class="right-next"\s+href="{names[i + 1]}.html"', html), f"{edition}/{name}: no next"


@pytest.mark.slow
def test_the_language_switch_leads_to_the_same_chapter_in_the_other_edition(site):
    for edition, ed in EDITIONS.items():
        for name in chapters(edition):
            page = site / edition / f"{name}.html"
            switches = [a for t, a in parse(page).tags if t == "a" and "vae-lang-switch" in a.get("class", "")]
            assert len(switches) == 1, f"{edition}/{name}: {len(switches)} language switches"
            target = local_target(page, switches[0]["href"])
            assert target == (site / ed["other"] / f"{name}.html").resolve() and target.is_file(), target
            assert switches[0]["hreflang"] == ed["other"]
            assert re.search(rf'<html lang="{edition}"', page.read_text(encoding="utf-8")), f"{edition}/{name}: page language"


@pytest.mark.slow
def test_the_front_page_opens_both_editions_and_each_edition_has_its_own_search(site):
    links = [a["href"] for t, a in parse(site / "index.html").tags if t == "a"]
    for edition in EDITIONS:
        first = f"{edition}/{chapters(edition)[0]}.html"
        assert first in links and (site / first).is_file(), f"index.html does not open {first}"
        index = (site / edition / "searchindex.js").read_text(encoding="utf-8")
        data = json.loads(index[index.index("(") + 1:index.rindex(")")])
        assert sorted(data["docnames"]) == sorted(chapters(edition)), f"{edition}: the search index's pages"
    ko_titles = json.loads((lambda s: s[s.index("(") + 1:s.rindex(")")])(
        (site / "ko" / "searchindex.js").read_text(encoding="utf-8")))["titles"]
    assert any(re.search("[가-힣]", t) for t in ko_titles), "the Korean search index has no Korean titles"
