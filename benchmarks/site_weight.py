"""Page weight and time to first paint of every chapter of the website (``make site``), in headless Chromium from
file://, beside the plain reading copy of the same chapter (``make html``, the baseline).

For each chapter of each edition, each page is opened in a fresh browser context (empty cache) with every request
outside file:, data: and blob: aborted and counted (there should be none). Reported per page:

* **KB**: the bytes of the page and of every file it loads (each file:// request's size on disk, counted once per
  page; data: and blob: URLs are inside the page already);
* **req**: the number of file requests;
* **FCP**: first contentful paint, ``performance.getEntriesByType('paint')``, in ms from navigation start (the
  median of ``--runs`` loads);
* **load**: the ``load`` event, ms (same median).

The baseline is the ``make html`` copy of the same notebook (``_build/html`` for English, ``_build/ko/html`` for
Korean); a missing one is shown as "-" (build it with ``make html`` and ``make html EDITION=ko``). The machine's load
(``os.getloadavg``) is printed with the figures: timings on a busy CPU are noisy.

    python benchmarks/site_weight.py [--site _build/site] [--html _build/html] [--html-ko _build/ko/html]
                                     [--runs 3] [--edition en] [--edition ko]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # vae_tools: the checkout's tooling, not installed
from vae_tools.browser import CHROMIUM_FLAGS, LOCAL_URLS, find_chromium, offline_context  # noqa: E402

LOCAL = LOCAL_URLS
PAINT_JS = """() => {
  const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const nav = performance.getEntriesByType('navigation')[0];
  return [fcp ? fcp.startTime : null, nav ? nav.loadEventStart : null];
}"""


def measure(browser, page_path: Path, runs: int) -> dict:
    """Weight, requests and the median first paint / load of ``page_path`` over ``runs`` cold loads."""
    if not page_path.is_file():
        return {}
    fcps, loads, files, far = [], [], set(), []
    for _ in range(runs):
        context = offline_context(browser, far, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("request", lambda r: files.add(r.url) if r.url.startswith("file:") else None)
        page.goto(page_path.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_timeout(300)  # scripts loaded after `load` (MathJax's fonts, the widget renderer's parts)
        fcp, load = page.evaluate(PAINT_JS)
        fcps.append(fcp)
        loads.append(load)
        context.close()
    paths = {Path(unquote(urlsplit(u).path)) for u in files}
    size = sum(p.stat().st_size for p in paths if p.is_file())
    missing = [p for p in paths if not p.is_file()]
    return {"kb": size / 1024, "req": len(paths), "missing": len(missing), "far": len(set(far)),
            "fcp": statistics.median(f for f in fcps if f is not None) if any(fcps) else None,
            "load": statistics.median(loads) if loads else None}


def fmt(m: dict) -> list[str]:
    if not m:
        return ["-"] * 4
    return [f"{m['kb']:.0f}", str(m["req"]), f"{m['fcp']:.0f}" if m["fcp"] is not None else "?",
            f"{m['load']:.0f}" if m["load"] is not None else "?"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=REPO / "_build" / "site")
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html", help="English make html copies")
    parser.add_argument("--html-ko", type=Path, default=REPO / "_build" / "ko" / "html", help="Korean make html copies")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per page (the median is shown)")
    parser.add_argument("--edition", action="append", choices=["en", "ko"])
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not (args.site / "index.html").is_file():
        sys.exit(f"no site in {args.site}: run `make vendor site` first")
    exe = find_chromium()
    if exe is None:
        sys.exit("no Chromium (apt-get install chromium, or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    baseline = {"en": args.html, "ko": args.html_ko}
    header = ["page", "site KB", "req", "FCP ms", "load ms", "html KB", "req", "FCP ms", "load ms"]
    rows, total_far, total_missing = [], 0, 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        for edition in args.edition or ["en", "ko"]:
            for page in sorted((args.site / edition).glob("[0-9][0-9]_*.html")):
                site = measure(browser, page, args.runs)
                html = measure(browser, baseline[edition] / page.name, args.runs)
                total_far += site["far"] + html.get("far", 0)
                total_missing += site["missing"] + html.get("missing", 0)
                rows.append([f"{edition}/{page.stem}", *fmt(site), *fmt(html)])
                print(" ".join(rows[-1]), file=sys.stderr, flush=True)
        browser.close()
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"Chromium {exe}, file://, median of {args.runs} cold loads; load average {os.getloadavg()[0]:.2f}")
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(f"requests to the network: {total_far}; files asked for but missing: {total_missing}")


if __name__ == "__main__":
    main()
