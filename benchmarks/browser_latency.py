"""Key press to pixels painted, in headless Chromium, for every explorer: JupyterLab and the Voilà app.

What it measures: a key press on an explorer's slider (``ArrowRight`` / ``ArrowLeft`` on the focused
handle, as a lecturer would press) until the frame that shows the whole update has been painted:
the kernel has run the update path and published every message of it (its ``idle`` status that
closes the reply), the front end has applied them, every visible image of the explorer is decoded,
and the next animation frame has run (``vae_tools.browser.WAIT_PAINTED_JS``). A press that changes
nothing on screen (a slider at the end of its range) is not counted and turns the direction round.
Median and p95 over ``--presses`` presses per explorer (after ``--warmup`` presses), and the median
split into: input -> message sent (front end), sent -> the kernel's idle (server + kernel), idle ->
painted (browser).

Where:

* **JupyterLab** (``make lab``'s server, with the ``vae_lib.jupyter_nodelay`` server extension as
  ``make`` installs it): a notebook showing each explorer at its default (notebook) size, as the
  series does, and a slider that only echoes its value into a label: the **floor** that JupyterLab,
  the kernel and the browser set for any slider.
* **Voilà** (``make present``'s command, ``vae_tools.browser.VOILA_ARGS``): the lecture app
  (``lecture/app.ipynb``, at its projector size), each tab in turn, with the same echo slider added below
  the app (the floor there, in the same page and kernel).

The presses go round robin (one press per explorer and the floor, then again), so that all of them
see the same load of the machine and the medians can be compared with each other and with the floor.

Next to each: the server-side figure, the update path alone (the slider's assignment in this
process, as ``benchmarks/widget_latency.py`` times it) for the same explorer and the same moves.

The machine's load is printed with the figures (browser timings on a busy CPU are noisy). A markdown
table is written to ``--out`` (default ``_build/browser_latency.md``). Target: median <= 50 ms for
every explorer. Playwright drives Debian's Chromium (``/usr/bin/chromium`` or ``$CHROMIUM_PATH``) and
never downloads a browser.

    python benchmarks/browser_latency.py [--presses 60] [--warmup 6] [--only lab|voila] [--voila-plain]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # vae_tools: the checkout's tooling, not installed
from vae_tools.browser import (  # noqa: E402
    CHROMIUM_FLAGS,
    LATENCY_CLOCK_JS,
    REPO,
    SIGNATURE_JS,
    WAIT_PAINTED_JS,
    find_chromium,
    run_all_cells,
    running_lab,
    running_voila,
)

TARGET_MS = 50.0


@dataclass(frozen=True)
class Spec:
    name: str         # row label
    tab: str | None   # the lecture app's tab title (None: not in the app)
    handle: int       # which slider handle of the tab (0: the first)
    build: str        # Python: the explorer, as the series' notebooks build it
    slider: str       # Python: the slider pressed, from ``ex``


SPECS = [
    Spec("LatentExplorer (vae-2d)", "Latent space", 0, 'widgets.LatentExplorer("vae-2d")', "ex.sliders[0]"),
    Spec("BetaExplorer (2-D grid)", "β", 0, "widgets.BetaExplorer()", "ex.beta_slider"),
    Spec("InterpolationExplorer (ae-2d, vae-2d)", "Interpolation", 0,
         'widgets.InterpolationExplorer(["ae-2d", "vae-2d"])', "ex.alpha_slider"),
    Spec("KLExplorer", "KL divergence", 0, "widgets.KLExplorer()", 'ex.sliders["mu_q"]'),
    Spec("ELBOGapExplorer", "ELBO gap", 1, "widgets.ELBOGapExplorer()", 'ex.sliders["mu"]'),
    Spec("LatentExplorer (cvae-2d)", "Conditional", 0, 'widgets.LatentExplorer("cvae-2d")', "ex.sliders[0]"),
]
ECHO = Spec("floor: a slider that echoes into a label", None, 0, "", "")
ECHO_CELL = """\
import ipywidgets as W
echo_slider, echo_label = W.IntSlider(0, 0, 1000, description="echo"), W.Label("0")
echo_slider.add_class("b-slider-echo")
box = W.HBox([echo_slider, echo_label])
box.add_class("b-root-echo")
echo_slider.observe(lambda ch: setattr(echo_label, "value", str(ch["new"])), names="value")
box
"""


def _nb(cells: list[str]) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                       "source": src} for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def lab_notebook() -> dict:
    cells = ["from vae_lib import widgets"]
    for i, s in enumerate(SPECS):
        cells.append(f"ex = {s.build}\nex.widget.add_class('b-root-{i}')\n{s.slider}.add_class('b-slider-{i}')\n"
                     f"ex{i} = ex\nex.widget")
    cells.append(ECHO_CELL)
    return _nb(cells)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} CPUs)"


def pct(ts: list[float], q: float) -> float:
    ts = sorted(ts)
    return ts[min(len(ts) - 1, max(0, round(q * (len(ts) - 1))))]


# ----------------------------------------------------------------------------------------------- browser
@dataclass
class Target:
    """One slider to press: where its explorer is (``root``), its handle, how to bring it on screen."""

    name: str
    root: str
    handle: str
    show: object  # callable(page): make the explorer visible (click its tab, scroll to it)
    key: str = "ArrowRight"
    same_dir: int = 0
    misses: int = 0


def press_round_robin(page, targets: list[Target], n: int, warmup: int) -> dict[str, dict]:
    """Press each target's slider once per round, ``warmup + n`` rounds, so that every explorer and the
    floor see the same machine load; time each press (see the module docstring). A press that changes
    nothing on screen turns that slider round and is pressed again."""
    rows: dict[str, list] = {t.name: [] for t in targets}
    shown = None
    for _ in range(warmup + n):
        for t in targets:
            if shown is not t:
                t.show(page)
                page.locator(t.handle).first.focus()
                page.wait_for_timeout(60)  # let the page settle (not timed)
                shown = t
            handle = page.locator(t.handle).first
            while True:
                before = page.evaluate("([r, i]) => window.__signature(r, i)", [t.root, ".widget-slider"])
                handle.press(t.key)
                r = page.evaluate(WAIT_PAINTED_JS, [t.root, ".widget-slider", before, 5000])
                t.same_dir += 1
                if r is not None and r[3]:
                    break
                t.misses += 1  # no reply, or nothing changed (the end of the range): turn round
                if t.misses > 30:
                    raise RuntimeError(f"{t.name}: presses change nothing on screen")
                t.key, t.same_dir = ("ArrowLeft" if t.key == "ArrowRight" else "ArrowRight"), 0
                page.wait_for_timeout(100)
            rows[t.name].append(r[:3])
            if t.same_dir >= 12:  # stay in the middle of the range
                t.key, t.same_dir = ("ArrowLeft" if t.key == "ArrowRight" else "ArrowRight"), 0
    out = {}
    for name, rs in rows.items():
        rs = rs[warmup:]
        total = [r[0] for r in rs]
        out[name] = {"n": len(rs), "median": statistics.median(total), "p95": pct(total, 0.95),
                     "sent": statistics.median(r[1] for r in rs), "idle": statistics.median(r[2] for r in rs)}
    return out


def new_page(browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.add_init_script(LATENCY_CLOCK_JS + SIGNATURE_JS)
    return page


def _scroll_to(root: str):
    def show(page) -> None:
        page.locator(root).first.scroll_into_view_if_needed()
    return show


def measure_lab(browser, tmp: Path, n: int, warmup: int) -> dict[str, dict]:
    with running_lab(tmp / "lab", {"bench.ipynb": lab_notebook()}) as lab:
        page = new_page(browser)
        page.goto(f"{lab['base']}/lab/tree/bench.ipynb?token={lab['token']}", wait_until="domcontentloaded",
                  timeout=90_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
                               "'notebook:run-all-cells')", timeout=90_000)
        run_all_cells(page, 90_000)
        page.wait_for_selector(".b-root-echo", timeout=240_000)
        for i in range(len(SPECS)):
            page.wait_for_selector(f".b-root-{i}", timeout=60_000)
        page.wait_for_timeout(1000)
        targets = [Target(s.name, f".b-root-{i}", f".b-slider-{i} .noUi-handle", _scroll_to(f".b-root-{i}"))
                   for i, s in enumerate(SPECS)]
        targets.append(Target(ECHO.name, ".b-root-echo", ".b-slider-echo .noUi-handle", _scroll_to(".b-root-echo")))
        out = press_round_robin(page, targets, n, warmup)
        page.close()
    return out


def voila_notebook(with_echo: bool) -> dict:
    """The lecture app's notebook, with the echo slider below the app (the floor, in the same page and kernel)."""
    nb = json.loads((REPO / "lecture" / "app.ipynb").read_text())
    if with_echo:
        nb["cells"].append(_nb([ECHO_CELL])["cells"][0])
    return nb


def measure_voila(browser, tmp: Path, n: int, warmup: int, plain: bool) -> dict[str, dict]:
    import vae_tools.browser as B

    args_backup = list(B.VOILA_ARGS)
    if plain:  # Voilà as it ran before `make present` set TCP_NODELAY (for comparison)
        B.VOILA_ARGS[:] = [a for a in B.VOILA_ARGS if "kernel_websocket_connection_class" not in a]
    app = tmp / "app"
    app.mkdir()
    (app / "app.ipynb").write_text(json.dumps(voila_notebook(with_echo=True)))
    try:
        with running_voila(app / "app.ipynb", tmp / "voila") as v:
            page = new_page(browser)
            page.goto(v["url"], wait_until="domcontentloaded", timeout=180_000)
            page.wait_for_selector(".vae-lecture-tab-0 img", timeout=180_000)
            page.wait_for_selector(".b-root-echo", timeout=60_000)
            page.wait_for_timeout(1000)
            tabs = page.locator(".lm-TabBar-tab, .p-TabBar-tab")
            titles = [tabs.nth(i).inner_text().strip() for i in range(tabs.count())]

            def tab(i: int):
                def show(page) -> None:
                    tabs.nth(i).click()
                    page.locator(f".vae-lecture-tab-{i}").first.scroll_into_view_if_needed()
                return show

            targets = []
            for s in SPECS:
                i = titles.index(s.tab)
                root = f".vae-lecture-tab-{i}"
                targets.append(Target(s.name, root, f"{root} .noUi-handle >> nth={s.handle}", tab(i)))
            targets.append(Target(ECHO.name, ".b-root-echo", ".b-slider-echo .noUi-handle", _scroll_to(".b-root-echo")))
            out = press_round_robin(page, targets, n, warmup)
            page.screenshot(path=str(tmp / "last.png"))
            page.close()
    finally:
        B.VOILA_ARGS[:] = args_backup
    return out


# ----------------------------------------------------------------------------------------------- server side
def _moves(slider, n: int) -> list:
    """The values a run of key presses visits (one step each way, turning round at the ends / every 12)."""
    import ipywidgets as W

    if isinstance(slider, W.SelectionSlider):
        opts, i = [v for _, v in slider.options], list(v for _, v in slider.options).index(slider.value)
        vals, d = [], 1
        for _ in range(n):
            if not 0 <= i + d < len(opts):
                d = -d
            i += d
            vals.append(opts[i])
        return vals
    v, d, k, vals = slider.value, 1, 0, []
    for _ in range(n):
        if not slider.min <= v + d * slider.step <= slider.max or k >= 12:
            d, k = -d, 0
        v = round(v + d * slider.step, 10)
        k += 1
        vals.append(v)
    return vals


def server_side(n: int) -> dict[str, dict[str, float]]:
    """The update path alone, per explorer: as in the notebook (default size) and in the lecture app."""
    import ipywidgets as W  # noqa: F401 - widgets need it

    from vae_lib import widgets  # noqa: F401 - used by the SPECS' code
    from vae_lib.lecture import build_app

    def time_moves(ex, slider_code: str) -> float:
        slider = eval(slider_code, {"ex": ex})
        ts = []
        for v in _moves(slider, n):
            t0 = time.perf_counter()
            slider.value = v
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts) * 1e3

    out: dict[str, dict[str, float]] = {}
    app = build_app()
    for s in SPECS:
        ex = eval(s.build, {"widgets": widgets})
        out[s.name] = {"lab": time_moves(ex, s.slider), "voila": time_moves(app.explorers[s.tab], s.slider)}
        ex.close()
    return out


# ----------------------------------------------------------------------------------------------- report
def table(results: dict[str, dict[str, dict]], server: dict[str, dict[str, float]], header: str) -> str:
    lines = [header, "",
             "| explorer | where | median ms | p95 ms | presses | input→sent | sent→idle (server + kernel) "
             "| idle→painted | update path alone (server) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for where, res in results.items():
        for name, r in res.items():
            srv = server.get(name, {}).get(where)
            mark = "" if name == ECHO.name else (" ✓" if r["median"] <= TARGET_MS else " ✗")
            lines.append(f"| {name} | {where} | {r['median']:.1f}{mark} | {r['p95']:.1f} | {r['n']} | "
                         f"{r['sent']:.1f} | {r['idle'] - r['sent']:.1f} | {r['median'] - r['idle']:.1f} | "
                         f"{'' if srv is None else f'{srv:.2f}'} |")
    return "\n".join(lines)


def progress(where: str, res: dict[str, dict]) -> None:
    for name, r in res.items():
        print(f"  {where:5s} {name}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms", flush=True)
    print(f"  [{load()}]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=60, help="timed key presses per explorer (>= 50 for the report)")
    ap.add_argument("--warmup", type=int, default=6, help="untimed presses first")
    ap.add_argument("--only", choices=["lab", "voila"], help="measure one server only")
    ap.add_argument("--voila-plain", action="store_true",
                    help="Voilà without the TCP_NODELAY connection class (how `make present` ran before)")
    ap.add_argument("--out", type=Path, default=REPO / "_build" / "browser_latency.md", help="the markdown table")
    args = ap.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium: install Debian's chromium or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# browser latency, {args.presses} presses per explorer; {platform.processor() or platform.machine()}; "
          f"{uptime}", flush=True)
    server = server_side(max(args.presses, 50))
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="browser-latency-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            if args.only in (None, "lab"):
                results["lab"] = measure_lab(browser, Path(tmp), args.presses, args.warmup)
                progress("lab", results["lab"])
            if args.only in (None, "voila"):
                results["voila"] = measure_voila(browser, Path(tmp), args.presses, args.warmup, args.voila_plain)
                progress("voila", results["voila"])
        finally:
            browser.close()
    end = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    header = (f"Key press to pixels painted, headless Chromium 1920 x 1080 (median / p95 over {args.presses} "
              f"presses; target median <= {TARGET_MS:g} ms). Voilà{' without' if args.voila_plain else ' with'} "
              f"TCP_NODELAY. Before: `{uptime}`; after: `{end}`.")
    md = table(results, server, header)
    print("\n" + md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
