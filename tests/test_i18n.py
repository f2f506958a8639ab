"""tr() translates and nothing else; the Korean font is set up where figures are made (use_fonts)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = """
import matplotlib
from vae_lib import i18n
before = list(matplotlib.rcParams["font.family"])
text = i18n.tr("density")
print(text != "density", list(matplotlib.rcParams["font.family"]) == before)
from vae_lib.widgets.render import new_figure
fig, ax = new_figure((2, 2))
print("NanumGothic" in matplotlib.rcParams["font.family"])
"""


def _probe(env_lang: str) -> list[str]:
    env = {**os.environ, "VAE_LIB_LANG": env_lang, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def test_tr_changes_no_matplotlib_setting_and_figures_get_the_korean_font():
    from vae_lib import i18n

    try:
        i18n.korean_font()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    translated, untouched, korean_figure = _probe("ko")
    assert translated == "True" and untouched == "True"   # tr() translated, and left rcParams alone
    assert korean_figure == "True"                         # an explorer's figure is set in NanumGothic


def test_english_figures_keep_matplotlibs_fonts():
    translated, untouched, korean_figure = _probe("en")
    assert translated == "False" and untouched == "True" and korean_figure == "False"
