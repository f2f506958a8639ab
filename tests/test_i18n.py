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
