"""Lecture mode: every explorer in one code-free app, with a caption per tab.

``make present`` serves ``lecture/app.ipynb`` with Voilà: the notebook calls :func:`build_app`
and Voilà shows only its output, so a lecturer teaches from the projector without code on
screen. Every model comes from the zoo (``vae_lib/pretrained/``): nothing trains.

The same app works inside JupyterLab: ``from vae_lib.lecture import build_app; build_app()``.

The app is drawn for a projector by default (``size="large"``: every explorer fills a 1920 x 1080
screen without scrolling, labels, readouts, captions and numbers at 20 px or more, plot text at
16 px or more; :data:`vae_lib.widgets.render.SIZES`); ``build_app(size="notebook")`` gives the
notebook-sized explorers.

**Every number in a caption is computed**, never typed: a caption is a translatable text with
``{placeholders}`` (``tr(caption).format(**numbers)``), filled by its tab's ``numbers(explorer)``. The
numbers come from the explorer itself (its sliders' range, how many codes it shows), from the manifest
(:func:`vae_lib.zoo.info`: a model's recipe) or are measured on the zoo models under the series' one
protocol (:mod:`vae_lib.measures`), exactly as the notebook the caption names measures them. Measuring takes
several seconds, so each measured number is kept on disk (:func:`measured`, keyed by the model file's sha256
and the protocol): the first opening of the app measures, later ones read the cache and open in a few seconds.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import ipywidgets as W
import torch

from . import validate
from .i18n import N_, tr

__all__ = ["MEASURES", "TABS", "Tab", "build_app", "caption_text", "measured", "same_class_paths_kept"]


def _recipe(model: torch.nn.Module) -> dict[str, Any]:
    return (getattr(model, "zoo_info", None) or {}).get("recipe") or {}


def _no_numbers(explorer: object) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its title, a one-paragraph caption, how to build its explorer, and the caption's numbers.

    ``caption`` is the English text (the gettext msgid); its ``{placeholders}`` are filled after translation with
    ``numbers(explorer)``, a dict computed from the tab's explorer, the manifest and :func:`measured`.
    """

    title: str
    caption: str
    make: Callable[[str], object]  # make(size) returns an explorer (anything with a ``.widget``)
    numbers: Callable[[object], Mapping[str, Any]] = field(default=_no_numbers)


# ----------------------------------------------------------------------------------------- measured numbers
#: how many test codes the latent-space tab draws
N_CODES = 5000


@torch.no_grad()
def same_class_paths_kept(model: torch.nn.Module, *, n_pairs: int = 200, frames: int = 21, pool: int = 5000,
                          seed: int = 2) -> float:
    """Notebook 07's measure of straight paths: of ``n_pairs`` pairs of test digits of the same class (drawn with
    generator seed ``seed`` from the first ``pool`` images of the fixed test set), the share whose straight line
    between the two codes, decoded at ``frames`` equally spaced points (ends included), the digit classifier assigns
    to that class at every point. The codes are :func:`vae_lib.measures.codes`' test codes."""
    from . import measures, zoo
    from .classifier import load_pretrained, predict_proba

    z = measures.codes(model).test
    y = zoo.test_set(_recipe(model).get("dataset", "mnist"))[1][:z.shape[0]]
    gen = torch.Generator().manual_seed(seed)
    i = torch.randint(0, pool, (3000,), generator=gen)
    j = torch.randint(0, pool, (3000,), generator=gen)
    same = y[i] == y[j]
    i, j = i[same][:n_pairs], j[same][:n_pairs]
    alphas = torch.linspace(0, 1, frames)[:, None, None]
    path = (1 - alphas) * z[i] + alphas * z[j]                                    # [frames, n_pairs, K]
    images = model.decode_mean(path.flatten(0, 1)).reshape(-1, 1, 28, 28)
    labels = predict_proba(load_pretrained(), images).argmax(-1).reshape(frames, -1)
    return (labels == y[i]).all(dim=0).float().mean().item()


def _knn(model: torch.nn.Module) -> float:
    from . import measures, zoo
    from .metrics import knn_accuracy

    z = measures.codes(model).test
    return knn_accuracy(z, zoo.test_set(_recipe(model).get("dataset", "mnist"))[1][:z.shape[0]])


def _spread(model: torch.nn.Module) -> list[float]:
    from . import measures

    return measures.code_spread(model).tolist()


def _holes(model: torch.nn.Module) -> float:
    from . import measures

    return measures.hole_fraction(model)


#: what :func:`measured` can measure: name -> (function of a zoo model, zoo models besides it that the number uses)
MEASURES: dict[str, tuple[Callable[[torch.nn.Module], Any], tuple[str, ...]]] = {
    "holes": (_holes, ()),                                  # measures.hole_fraction: share of prior samples in holes
    "spread": (_spread, ()),                                # measures.code_spread: std of the test codes per axis
    "knn": (_knn, ()),                                      # metrics.knn_accuracy on measures.codes(...).test
    "paths": (same_class_paths_kept, ("digit-classifier",)),  # notebook 07's same-class straight paths
}


#: the modules whose code the measured numbers depend on (loading, encoding, decoding, data, the measures)
_MEASURING_CODE = ("aae", "checkpoints", "classifier", "data", "digit_classifier", "lecture", "measures", "metrics",
                   "models", "priors", "zoo/__init__", "zoo/manifest")


@cache
def _code_version() -> str:
    """A hash of the source of :data:`_MEASURING_CODE`: a measured number is kept only for the code that measured it."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _MEASURING_CODE:
        h.update(name.encode() + (root / f"{name}.py").read_bytes())
    return h.hexdigest()


def _cache_path() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "vae_lib" / "lecture_numbers.json"


def _data_version(dataset: str = "mnist") -> list[Any]:
    """Where the data set is read from, and its files' sizes and times: numbers measured on other data (another
    ``$VAE_LIB_DATA``) are other numbers."""
    from .data import DATASETS, data_root

    raw = data_root() / DATASETS[dataset][0] / "raw"
    files = sorted(raw.iterdir()) if raw.is_dir() else []
    return [str(raw.resolve()), [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()]]


@cache
def _model(name: str, data: str) -> torch.nn.Module:
    """The zoo model ``name``, one object per data version (``measures.codes`` keeps its codes on the object)."""
    from . import zoo

    return zoo.load(name)


_MEMO: dict[str, Any] = {}


def measured(what: str, name: str) -> Any:
    """The number ``what`` (a key of :data:`MEASURES`) of the zoo model ``name``, measured once.

    Kept in memory and on disk (``$XDG_CACHE_HOME/vae_lib/lecture_numbers.json``, default ``~/.cache``) under a key
    made of the model files' sha256 (the model's and those the measure also uses), the protocol
    (:data:`vae_lib.measures.PROTOCOL`), a hash of the measuring code and the data files measured: a rebuilt model,
    another protocol, changed code or other data is measured again. A cache that cannot be read or written is
    ignored. Raises :class:`vae_lib.data.DatasetNotFoundError` when MNIST is not on disk (and cannot be downloaded).
    """
    from . import measures, zoo

    fn, uses = MEASURES[validate.choice(what, "what", tuple(MEASURES))]
    shas = [zoo.info(n)["sha256"] for n in (name, *uses)]
    data = json.dumps(_data_version(zoo.info(name)["recipe"].get("dataset", "mnist")))
    key = hashlib.sha256(json.dumps([what, name, shas, repr(measures.PROTOCOL), _code_version(), data])
                         .encode()).hexdigest()
    if key in _MEMO:
        return _MEMO[key]
    path = _cache_path()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    if key not in stored:
        stored[key] = fn(_model(name, data))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(stored, indent=0), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    _MEMO[key] = stored[key]
    return stored[key]


# ----------------------------------------------------------------------------------------- the explorers
def _latent(size: str):
    from .widgets import LatentExplorer

    return LatentExplorer("vae-2d", n_points=N_CODES, size=size)


def _latent_numbers(ex) -> dict[str, Any]:
    from .measures import PROTOCOL

    low, high = ex.bounds[0]
    spread = measured("spread", "vae-2d")
    return {"K": ex.model.latent_dim, "half_range": high, "n_codes": N_CODES, "n_samples": PROTOCOL.n_samples,
            "spread_1": spread[0], "spread_2": spread[1],
            "vae_holes": measured("holes", "vae-2d"), "ae_holes": measured("holes", "ae-2d")}


def _beta(size: str):
    from .widgets import BetaExplorer

    return BetaExplorer(size=size)


def _beta_numbers(ex) -> dict[str, Any]:
    small, large = (_recipe(ex.models[b])["name"] for b in (ex.betas[0], ex.betas[-1]))
    return {"n_models": len(ex.betas), "K": ex.latent_dim, "beta_min": ex.betas[0], "beta_max": ex.betas[-1],
            "n_samples": len(ex.z_samples), "spread_small": max(measured("spread", small)),
            "spread_large": max(measured("spread", large))}


def _interpolation(size: str):
    from .widgets import InterpolationExplorer

    return InterpolationExplorer(["ae-2d", "vae-2d"], size=size)


def _interpolation_numbers(ex) -> dict[str, Any]:
    defaults = inspect.signature(same_class_paths_kept).parameters
    return {"ae_leave": 1 - measured("paths", "ae-2d"), "vae_leave": 1 - measured("paths", "vae-2d"),
            "n_pairs": defaults["n_pairs"].default, "frames": defaults["frames"].default}


def _kl(size: str):
    from .widgets import KLExplorer

    return KLExplorer(size=size)


def _elbo_gap(size: str):
    from .widgets import ELBOGapExplorer

    return ELBOGapExplorer(size=size)


def _draw(size: str):
    from .widgets.draw import DrawDigitExplorer

    return DrawDigitExplorer("vae-2d-beta-4", size=size)


def _draw_numbers(ex) -> dict[str, Any]:
    from .widgets.draw import SIZE

    return {"side": SIZE, "beta": _recipe(ex.model)["beta"]}


def _conditional(size: str):
    from .widgets import LatentExplorer

    return LatentExplorer("cvae-2d", size=size)


def _conditional_numbers(ex) -> dict[str, Any]:
    from .metrics import knn_accuracy

    return {"k": inspect.signature(knn_accuracy).parameters["k"].default, "cvae_knn": measured("knn", "cvae-2d"),
            "vae_knn": measured("knn", "vae-2d"), "chance": 1 / ex.model.n_classes}


# Each caption says what the audience will see and what the series measures (the notebook named). Its numbers
# are {placeholders} filled by the tab's numbers(explorer): none is typed here.
TABS: tuple[Tab, ...] = (
    Tab(N_("Latent space"),
        N_("A VAE with K = {K} latent dimensions (vae-2d). Each point z of the plane decodes to an image: drag the "
           "sliders (±{half_range:g} prior standard deviations) and watch the ring move over the codes of "
           "{n_codes:,} test digits, coloured by label. The KL term packs the codes into a disk of about the "
           "prior's size (their standard deviations are {spread_1:.2f} and {spread_2:.2f} latent units), so samples "
           "from the prior land among them: {vae_holes:.1%} of {n_samples:,} prior samples fall in a hole, against "
           "{ae_holes:.1%} for an autoencoder with the same network and training (ae-2d, sampled from a Gaussian "
           "fitted to its codes; notebook 07). Nearby points decode to similar digits, as they do for the autoencoder "
           "(both decoders are continuous): what the KL changes most visibly is where the codes sit."),
        _latent, _latent_numbers),
    Tab(N_("β"),
        N_("A grid of {n_models} VAEs with K = {K}, trained alike except for the weight β on the KL term, from "
           "{beta_min:g} (reconstruction only) to {beta_max:g}. Slide β and watch four panels: the codes of test "
           "digits, reconstructions of fixed test digits, samples decoded from the same {n_samples} z ~ N(0, I), and the "
           "model's point on the rate–distortion curve (rate = KL, distortion = −reconstruction term, nats per "
           "example). Small β: the codes spread far beyond the prior (at β = {beta_min:g} the test codes' standard "
           "deviation along the wider axis is {spread_small:.1f} times the prior's), and prior samples only reach "
           "the crowded centre of the cloud. Large β: the codes are squeezed inside the prior (at β = {beta_max:g}: "
           "{spread_large:.2f} times), the digits overlap and reconstructions blur into an average digit. "
           "With only K = {K} latent numbers, no β reconstructs sharply."),
        _beta, _beta_numbers),
    Tab(N_("Interpolation"),
        N_("Pick two test digits (a digit and which example of it) and slide α: each model decodes "
           "z_α = (1 − α) z₁ + α z₂, the straight line between the two codes (the encoder's mean for the VAE). "
           "Both paths pass through clean digits, yet between two examples of one digit {ae_leave:.0%} of the "
           "autoencoder's straight paths and {vae_leave:.0%} of the VAE's pass through another digit (the digit "
           "classifier's label changes somewhere on {frames} points of the path; {n_pairs} pairs of test digits, "
           "notebook 07). What differs is where the codes sit: the VAE's in a disk the size of the prior, the "
           "autoencoder's wherever reconstruction put them."),
        _interpolation, _interpolation_numbers),
    Tab(N_("KL divergence"),
        N_("Two densities q and p on a line and their KL divergences in both directions: exact (closed form; "
           "quadrature for the mixture) and by Monte Carlo. KL(q‖p) ≠ KL(p‖q): the divergence is not symmetric, "
           "so it is not a distance. Switch to the mixture target and press the fit buttons: minimizing KL(q‖p) "
           "puts q on one bump (mode-seeking, the direction the ELBO uses), minimizing KL(p‖q) spreads q over "
           "both (mass-covering: q takes p's mean and variance)."),
        _kl),
    Tab(N_("ELBO gap"),
        N_("A toy model with one latent variable where log p(x) and the true posterior p(z|x) are computed "
           "exactly (on a fine grid). Move the mean and width of the Gaussian q: log p(x) stays put (it depends "
           "on x only), and it always splits into ELBO + KL(q ‖ p(z|x)), so maximizing the ELBO over q is "
           "minimizing that KL. Here p(z|x) has two bumps, so no Gaussian closes the gap; the fit button climbs "
           "the ELBO from the current q to the nearest optimum, which need not be the best."),
        _elbo_gap),
    Tab(N_("Draw a digit"),
        N_("Draw a digit with the mouse (or a finger) and watch the encoder answer while the pen moves: the drawing "
           "is centred and shrunk to {side} × {side} like MNIST (the small image), the encoder gives q(z|x), drawn "
           "as its mean and 2σ ellipse on the map of test codes, the decoder reconstructs the mean, and the two ELBO "
           "terms are printed in nats. The model is vae-2d-beta-4 (β = {beta:g}), whose q(z|x) is wide enough to "
           "see; an untidy digit lands between the clusters, often with a larger ellipse. Everything runs in the "
           "page, with no round trip to the kernel."),
        _draw, _draw_numbers),
    Tab(N_("Conditional"),
        N_("A conditional VAE (cvae-2d): the label goes into both the encoder and the decoder, so the code no "
           "longer needs to say which digit it is and carries mostly style (slant, width, thickness): the label "
           "can barely be read off it ({k}-nearest-neighbour accuracy {cvae_knn:.2f}, against {vae_knn:.2f} for "
           "vae-2d, the same network and training without the label; chance is {chance:.2f}; notebook 09). Pick a "
           "digit, then slide z: one z gives much the same style for every label."),
        _conditional, _conditional_numbers),
)


def caption_text(tab: Tab, explorer: object) -> str:
    """The tab's caption in the current language, its numbers filled in: ``tr(caption).format(**numbers)``.

    Without MNIST on disk (offline, nothing to measure) every number shows as "–".
    """
    from .data import DatasetNotFoundError

    try:
        numbers = tab.numbers(explorer)
    except DatasetNotFoundError:
        return re.sub(r"\{[^{}]*\}", "–", tr(tab.caption))
    return tr(tab.caption).format(**numbers)


def _caption(text: str, style) -> W.HTML:
    size = f"{style.css_font_px + 2}px" if style.css_font_px else "1.05em"
    return W.HTML(f"<p style='max-width: 62em; font-size: {size}; line-height: 1.35; margin: 0.3em 0'>{text}</p>")


def build_app(tabs: Sequence[Tab] = TABS, *, title: str | None = None, size: str = "large") -> W.VBox:
    """Build the lecture app: one tab per explorer, each with its caption (and an optional title).

    ``size``: ``"large"`` (default: a projector, 1920 x 1080) or ``"notebook"``; every explorer is built
    at that size. Returns the root widget (display it, or let Voilà show it). The explorers stay
    reachable as ``app.explorers`` (a dict title -> explorer), e.g. for tests.
    """
    from .widgets.base import check_tabs, explorer_panel
    from .widgets.render import SIZES, style_css

    tabs = check_tabs(tabs)
    validate.choice(size, "size", tuple(SIZES))
    style = SIZES[size]
    # a tab whose explorer cannot be built (no test images offline, ...) says so inside the tab; the others work
    built = [explorer_panel(t.make, size, title=tr(t.title),
                            caption=lambda ex, t=t: _caption(caption_text(t, ex), style)) for t in tabs]
    explorers = {t.title: ex for t, (ex, _) in zip(tabs, built) if ex is not None}
    panels = [panel for _, panel in built]
    for i, (t, panel) in enumerate(zip(tabs, panels)):  # CSS hooks for styling and the browser test
        panel.add_class(f"vae-lecture-tab-{i}")
        if isinstance(getattr(explorers.get(t.title), "image", None), W.Image):
            explorers[t.title].image.add_class("vae-lecture-image")
    tab_widget = W.Tab(children=panels, titles=[tr(t.title) for t in tabs])
    header = [W.HTML(f"<h2 style='margin: 0.2em 0'>{title}</h2>")] if title else []
    css = style_css(style)
    sheet = [W.HTML(f"<style>{css}</style>", layout=W.Layout(display="none"))] if css else []
    app = W.VBox([*sheet, *header, tab_widget])
    app.add_class("vae-lecture")
    app.add_class(f"vae-size-{style.name}")
    app.explorers = explorers
    app.tab = tab_widget
    return app
