"""Build the website (``make site``): both editions of the series as Jupyter Book 1 books, side by side.

    python site/build.py [--out _build/site] [--work _build/site-work] [--edition en] [--edition ko]

Each edition (:data:`EDITIONS`) is a book built by ``jupyter-book build`` from its folder of notebooks with the
saved outputs and widget state (never executed here), with ``site/_config.yml`` and ``site/_toc.yml`` (every
numbered notebook, in order) and the edition's own title, Sphinx language (the theme's words and the search's
language) and language switch. The books land in ``OUT/en`` and ``OUT/ko`` with the landing page
``site/index.html`` as ``OUT/index.html``; the Makefile then copies ``vendor/`` (MathJax, require.js, the widget
renderer, the anywidget front end) next to them, so that the folder works from file:// with no network.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: edition -> its notebooks, title, Sphinx language, the other edition's switch label, the search box's text
EDITIONS: dict[str, dict[str, str]] = {
    "en": {"notebooks": "notebooks", "title": "Learning Variational Autoencoders", "language": "en",
           "other": "ko", "other_label": "한국어", "other_title": "이 장의 한국어판",
           "search": "Search the English edition..."},
    "ko": {"notebooks": "notebooks/ko", "title": "변분 오토인코더 배우기", "language": "ko",
           "other": "en", "other_label": "English", "other_title": "This chapter in English",
           "search": "한국어판 검색..."},
}


def edition_config(edition: str) -> dict:
    """``site/_config.yml`` with the edition's title, language, switch and absolute paths to site/'s folders."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}: choose from {sorted(EDITIONS)}")
    ed = EDITIONS[edition]
    config = copy.deepcopy(yaml.safe_load((HERE / "_config.yml").read_text()))
    config["title"] = ed["title"]
    sphinx = config["sphinx"]["config"]
    sphinx["language"] = ed["language"]
    sphinx["html_static_path"] = [str(HERE / p) for p in sphinx["html_static_path"]]
    sphinx["templates_path"] = [str(HERE / p) for p in sphinx["templates_path"]]
    sphinx["html_context"] = {"vae_edition": edition, "vae_other_edition": ed["other"],
                              "vae_other_label": ed["other_label"], "vae_other_title": ed["other_title"]}
    sphinx["html_theme_options"]["search_bar_text"] = ed["search"]
    return config


def build_edition(edition: str, out: Path, work: Path) -> Path:
    """Build one edition into ``out/edition`` (Sphinx's incremental state kept in ``work/edition``)."""
    source = REPO / EDITIONS[edition]["notebooks"]
    if not any(source.glob("[0-9][0-9]_*.ipynb")):
        raise FileNotFoundError(f"no numbered notebooks in {source}")
    work_ed = work / edition
    work_ed.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work_ed / "_build" / "html", ignore_errors=True)  # Sphinx 7.4 keeps stale copies of _static files
    config = work_ed / "_config.yml"
    config.write_text(yaml.safe_dump(edition_config(edition), allow_unicode=True, sort_keys=False))
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "--builder", "html",
           "--config", str(config), "--toc", str(HERE / "_toc.yml"), "--path-output", str(work_ed)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {edition} book did not build:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    for line in (done.stdout + done.stderr).splitlines():
        if "WARNING" in line:
            print(f"{edition}: {line.strip()}")
    dest = out / edition
    shutil.copytree(work_ed / "_build" / "html", dest, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    return dest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "site", help="the site's folder (replaced)")
    parser.add_argument("--work", type=Path, default=REPO / "_build" / "site-work", help="Sphinx's working folders")
    parser.add_argument("--edition", action="append", choices=sorted(EDITIONS), help="build only these editions")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out == REPO or REPO.is_relative_to(out):
        parser.error(f"--out {out} would replace the repository")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for edition in args.edition or list(EDITIONS):
        t0 = time.perf_counter()
        dest = build_edition(edition, out, args.work.resolve())
        print(f"{edition}: {len(list(dest.glob('*.html')))} pages in {dest} ({time.perf_counter() - t0:.0f} s)")
    shutil.copy(HERE / "index.html", out / "index.html")


if __name__ == "__main__":
    main()
