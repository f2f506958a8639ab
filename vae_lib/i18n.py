"""The language of what vae_lib shows: English by default, Korean for the Korean edition.

Strings a user sees (the lecture app's captions, the explorers' labels, default figure titles) go through
:func:`tr`, which looks them up in a gettext catalog shipped with the package
(``vae_lib/locale/<lang>/LC_MESSAGES/vae_lib.mo``, compiled from ``translations/<lang>/vae_lib.po`` by
``python -m vae_tools.translate compile``). The language is, in order: :func:`set_language`, the
``VAE_LIB_LANG`` environment variable (``ko`` -> Korean); anything else is English. The system locale (``LANG``)
does not choose: an English notebook stays English on a Korean machine.
``make lab EDITION=ko`` and ``make present EDITION=ko`` set it for the Korean edition.

Korean figure text needs a font with Hangul: in Korean, figures are drawn in NanumGothic (from the
``koreanize-matplotlib`` package, a dependency of the ``lab`` extra), with DejaVu Sans for what it lacks. That
changes matplotlib's settings, so it happens only where asked for, in :func:`use_fonts` (called by
:func:`set_language` and before every figure of the explorers), never as a side effect of :func:`tr`.
"""

from __future__ import annotations

import gettext
import importlib.util
import os
from functools import cache, lru_cache
from pathlib import Path

__all__ = ["FIGURE_TEXT_MIME", "LANGUAGES", "N_", "Text", "figure_texts", "korean_font", "language", "set_language", "tr",
           "use_fonts"]

LANGUAGES = ("en", "ko")
# In a translated edition every figure a notebook displays also carries the text drawn in it, under this MIME type
# (JupyterLab and nbconvert show the PNG and ignore it); the check of the executed edition reads it.
FIGURE_TEXT_MIME = "application/vnd.vae-lib.figure-text+json"
_LOCALE = Path(__file__).resolve().parent / "locale"
_chosen: str | None = None


def language() -> str:
    """The current language code, ``"en"`` or ``"ko"``."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get("VAE_LIB_LANG", "")   # the system locale (LANG) does not choose the edition
    if value:
        code = value.split("_")[0].split(".")[0].lower()
        return code if code in LANGUAGES else "en"
    return "en"


def set_language(code: str) -> None:
    """Show everything in ``code`` (``"en"`` or ``"ko"``) from now on; Korean also sets up a Hangul font."""
    global _chosen
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {code!r}")
    _chosen = code
    if code == "ko":
        _korean_font()
        _record_figure_text()


def figure_texts(fig) -> list[str]:
    """Every text a matplotlib figure shows (titles, labels, legends, tick labels, annotations), once each, in order."""
    from matplotlib.text import Text

    seen: dict[str, None] = {}
    for t in fig.findobj(Text):
        text = t.get_text()
        if t.get_visible() and text.strip():
            seen.setdefault(text, None)
    return list(seen)


def _record_figure_text() -> None:
    """In IPython, let every displayed figure carry :func:`figure_texts` under :data:`FIGURE_TEXT_MIME` (idempotent;
    outside IPython nothing happens). The formatter runs after the PNG one, when the tick labels are drawn."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    formatter = getattr(shell, "display_formatter", None)
    if formatter is None or FIGURE_TEXT_MIME in formatter.formatters:
        return
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from traitlets import ObjectName, Unicode

    class FigureTextFormatter(BaseFormatter):   # no printer registry: a kernel's config reload would empty it
        format_type = Unicode(FIGURE_TEXT_MIME)
        print_method = ObjectName("_repr_vae_lib_figure_text_")
        _return_type = (list,)

        def __call__(self, obj):
            if not isinstance(obj, Figure) or language() == "en":
                return None
            try:
                return figure_texts(obj)
            except Exception:   # a figure it cannot read is shown anyway (the check then calls it stale)
                return None

    formatter.formatters[FIGURE_TEXT_MIME] = FigureTextFormatter()


@cache
def _catalog(code: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("vae_lib", localedir=_LOCALE, languages=[code])
    except OSError:
        return gettext.NullTranslations()


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it now (gettext's ``gettext_noop``): for strings
    defined at import time, such as the lecture app's tab captions, that :func:`tr` translates when shown."""
    return text


class Text(str):
    """A library string that a notebook prints: it compares, hashes and slices as its English text, and shows
    itself (``print``, ``str()``, an f-string) in the current language. ``Text(N_("beta = {beta:g} against beta =
    1"), beta=0.5)`` is the English ``"beta = 0.5 against beta = 1"``, shown as the translated template, filled in."""

    def __new__(cls, template: str, **values):
        obj = super().__new__(cls, template.format(**values) if values else template)
        obj._template, obj._values = template, values
        return obj

    def __str__(self) -> str:
        shown = tr(self._template)
        return shown.format(**self._values) if self._values else shown

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def tr(text: str) -> str:
    """``text`` in the current language (``text`` itself in English, or when there is no translation)."""
    code = language()
    if code == "en":
        return text
    return _catalog(code).gettext(text)


def use_fonts() -> None:
    """Set matplotlib up for figure text in the current language: in Korean, NanumGothic (see :func:`_korean_font`);
    in English nothing changes. Idempotent. :func:`set_language` calls it, and so does every figure the explorers draw
    (:func:`vae_lib.widgets.render.new_figure`), so that ``VAE_LIB_LANG=ko`` alone gives Korean figures;
    :func:`tr` itself changes no setting."""
    if language() == "ko":
        _korean_font()


@lru_cache(maxsize=1)
def korean_font() -> str:
    """Register NanumGothic with matplotlib (the font files ``koreanize-matplotlib`` ships, found without importing
    that package, whose import changes matplotlib's settings) and return the font's name.

    Raises:
        RuntimeError: no NanumGothic available (``pip install koreanize-matplotlib``).
    """
    from matplotlib import font_manager

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is not None and spec.origin:
        for path in sorted((Path(spec.origin).parent / "fonts").glob("NanumGothic*.ttf")):
            font_manager.fontManager.addfont(str(path))
    if not any(f.name == "NanumGothic" for f in font_manager.fontManager.ttflist):
        raise RuntimeError("Korean figure text needs a font with Hangul (NanumGothic): pip install koreanize-matplotlib")
    return "NanumGothic"


@lru_cache(maxsize=1)
def _korean_font() -> None:
    """Draw figure text in NanumGothic, with DejaVu Sans for the glyphs it lacks. (NanumGothic must come first:
    a text with $math$ in it is set by mathtext, which takes its letters from the first font and has no
    fallback.) NanumGothic has no minus sign U+2212: tick labels get the hyphen-minus instead, as koreanize-matplotlib
    sets, and log axes, whose labels are mathtext (``$\\mathdefault{10^{-1}}$``, where mathtext would turn "-" into
    U+2212), get the same labels with a text hyphen (the log scale registered below)."""
    import matplotlib
    from matplotlib import scale, ticker

    class HyphenLogFormatter(ticker.LogFormatterSciNotation):
        def __call__(self, x, pos=None):
            return super().__call__(x, pos).replace("{-", r"{\text{-}")

    class KoreanLogScale(scale.LogScale):
        name = "log"

        def __init__(self, *args, **kwargs):  # no named *axis*: matplotlib >= 3.11 passes none, older ones one
            super().__init__(*args, **kwargs)

        def set_default_locators_and_formatters(self, axis):
            super().set_default_locators_and_formatters(axis)
            axis.set_major_formatter(HyphenLogFormatter(self.base))
            axis.set_minor_formatter(HyphenLogFormatter(self.base, labelOnlyBase=(self.subs is not None)))

    matplotlib.rcParams["font.family"] = [korean_font(), "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    scale.register_scale(KoreanLogScale)
