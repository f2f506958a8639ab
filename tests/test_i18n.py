"""tr() translates and nothing else; the Korean font is set up where figures are made (use_fonts)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# One fresh interpreter (matplotlib's settings are process-wide): English first, then Korean chosen the way
# VAE_LIB_LANG=ko chooses it (no set_language, which sets the font up on purpose).
_PROBE = """
import matplotlib
from vae_lib import i18n
from vae_lib.widgets.render import new_figure
for lang in ("en", "ko"):
    i18n._chosen = lang
    before = list(matplotlib.rcParams["font.family"])
    text = i18n.tr("density")
    untouched = list(matplotlib.rcParams["font.family"]) == before
    new_figure((2, 2))
    print(lang, text != "density", untouched, "NanumGothic" in matplotlib.rcParams["font.family"])
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, list[str]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    env.pop("VAE_LIB_LANG", None)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines()}


def test_english_figures_keep_matplotlibs_fonts(probe):
    translated, untouched, korean_figure = probe["en"]
    assert translated == "False" and untouched == "True" and korean_figure == "False"


def test_tr_changes_no_matplotlib_setting_and_figures_get_the_korean_font(probe):
    from vae_lib import i18n

    try:
        i18n.korean_font()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    translated, untouched, korean_figure = probe["ko"]
    assert translated == "True" and untouched == "True"   # tr() translated, and left rcParams alone
    assert korean_figure == "True"                         # an explorer's figure is set in NanumGothic


# ------------------------------------------------------------------ every word vae_lib shows goes through tr()
_NOTATION = {"log", "exp"}                           # log p(x) is notation, not a word to translate
_EXTRA_CALLS = {"caption_html": slice(0, 1), "set_xticks": slice(1, 2), "set_yticks": slice(1, 2),
                "slider": slice(0, 1)}        # Explorer.slider(description, ...)
_LABEL_DICTS = {"labels", "text"}             # labels = {"mu": "μ of q", ...}: the words an in-page explorer shows
_WIDGET_WORDS = {"HTML", "Label", "Button", "ToggleButton", "Checkbox"}


def _bypassing_tr(source: str, name: str) -> list[str]:
    """``file:line: text`` of each literal with English words that vae_lib shows without tr(): titles, axis labels,
    legend entries, widget descriptions, HTML labels and captions (print lines of the command-line tools are logs)."""
    import ast
    import re

    from vae_tools import code_strings
    from vae_tools.output_check import english_words

    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and code_strings._call_name(node) in ("print", "Markdown", "ArgumentParser", "add_argument"):
            continue      # log lines, --help, show_source
        lits = code_strings.shown_literals(node)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id in _LABEL_DICTS for t in node.targets):
            for v in node.value.values:
                code_strings._shown(v, lits, set())
        if isinstance(node, ast.Call):
            call = code_strings._call_name(node)
            for arg in node.args[_EXTRA_CALLS[call]] if call in _EXTRA_CALLS else []:
                code_strings._shown(arg, lits, set())
            for k in node.keywords if call in _WIDGET_WORDS else []:
                if k.arg in ("value", "tooltip", "placeholder"):
                    code_strings._shown(k.value, lits, set())
        for lit in lits:
            parts = [lit] if isinstance(lit, ast.Constant) else [v for v in lit.values if isinstance(v, ast.Constant)]
            text = re.sub(r"<[^>]*>", " ", "".join(p.value for p in parts))
            if [w for w in english_words(text) if w.lower() not in _NOTATION]:
                out.append(f"{name}:{lit.lineno}: {text.strip()[:70]!r}")
    return out


def test_the_scan_finds_a_label_that_bypasses_tr():
    src = ('ax.set_title(tr("Density of z"))\nax.legend(title="label")\nax.plot(x, label=f"p(z|x) exact {n}")\n'
           'W.HTML(self.caption_html("nats; KL is not symmetric"))\nax.set_xlabel("$z_1$")\nprint("a log line")\n'
           'labels = {"title": tr("ELBO gap"), "mu": "mean of q"}\nself.slider("width of q", 1.0, 0.1, 2.0)\n')
    assert sorted(line.split(": ", 1)[0] for line in _bypassing_tr(src, "x.py")) == ["x.py:2", "x.py:3", "x.py:4",
                                                                                   "x.py:7", "x.py:8"]


def test_every_label_of_vae_lib_goes_through_tr():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    bad = [line for path in sorted((root / "vae_lib").rglob("*.py"))
           for line in _bypassing_tr(path.read_text(encoding="utf-8"), str(path.relative_to(root)))]
    assert not bad, "wrap these in tr() (vae_lib.i18n) and translate them in translations/ko/vae_lib.po:\n" + "\n".join(bad)


@pytest.mark.filterwarnings("ignore:Glyph")      # the Hangul font is set up in the subprocess probe, not here
def test_the_plot_helpers_draw_their_words_in_korean(monkeypatch):
    import matplotlib
    import torch

    matplotlib.use("Agg", force=True)
    from vae_lib import i18n, plots

    monkeypatch.setattr(i18n, "_chosen", "ko")
    history = [{"epoch": e, **{f"{s}_{k}": -float(e) for s in ("train", "test") for k in ("elbo", "rec", "kl")}}
               for e in (1, 2)]
    texts = i18n.figure_texts(plots.plot_history(history)) + i18n.figure_texts(
        plots.latent_scatter(torch.randn(20, 2), torch.arange(20) % 3))
    for english in ("label", "epoch", "nats per example", "train", "test", "Training curves",
                    "Latent codes of test images"):
        assert english not in texts and i18n.tr(english) in texts, english
    import matplotlib.pyplot as plt

    plt.close("all")


_FIGURE_PROBE = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.core.interactiveshell import InteractiveShell
from vae_lib import i18n
shell = InteractiveShell.instance()
fig, ax = plt.subplots()
ax.set_title("English title")
print(i18n.FIGURE_TEXT_MIME in shell.display_formatter.format(fig)[0])
i18n.set_language("ko")
ax.set_xlabel("잠재 변수")
print(shell.display_formatter.format(fig)[0].get(i18n.FIGURE_TEXT_MIME))
"""


def test_a_korean_notebook_records_the_text_of_every_figure_it_shows():
    """set_language("ko") in IPython: a displayed figure carries its texts (for the check of the executed edition)."""
    import json

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", _FIGURE_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = out.stdout.strip().splitlines()
    assert before == "False"                                      # English: nothing recorded
    assert sorted(json.loads(after.replace("'", '"'))) == sorted(["English title", "잠재 변수"])


def test_a_library_text_prints_in_korean_and_compares_as_english(monkeypatch):
    """recipes.PAIRS' descriptions are printed by the notebooks (f"{pair.what}"): Korean in the Korean edition,
    while the code that compares or looks them up keeps working on the English."""
    from vae_lib import i18n
    from vae_lib.recipes import PAIRS

    pair = next(p for p in PAIRS if p.what.startswith("beta = 0.5 against"))
    monkeypatch.setattr(i18n, "_chosen", "ko")
    assert pair.what == "beta = 0.5 against beta = 1" and {pair.what: 1}["beta = 0.5 against beta = 1"] == 1
    shown = f"{pair.what}"
    assert shown == str(pair.what) == i18n.tr("beta = {beta:g} against beta = 1").format(beta=0.5) != pair.what
    monkeypatch.setattr(i18n, "_chosen", "en")
    assert f"{pair.what}" == "beta = 0.5 against beta = 1"
