"""Lecture mode: every explorer in one code-free app, with a caption per tab.

``make present`` serves ``lecture/app.ipynb`` with Voilà: the notebook calls :func:`build_app`
and Voilà shows only its output, so a lecturer teaches from the projector without code on
screen. Every model comes from the zoo (``assets/checkpoints/``): nothing trains, and the
app is ready in a few seconds.

The same app works inside JupyterLab: ``from vae_lib.lecture import build_app; build_app()``.

The app is drawn for a projector by default (``size="large"``: every explorer fills a 1920 x 1080
screen without scrolling, labels, readouts, captions and numbers at 20 px or more, plot text at
16 px or more; :data:`vae_lib.widgets.render.SIZES`); ``build_app(size="notebook")`` gives the
notebook-sized explorers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as W

from . import validate
from .i18n import N_, tr

__all__ = ["TABS", "Tab", "build_app"]


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its title, a one-paragraph caption, and how to build its explorer."""

    title: str
    caption: str
    make: Callable[[str], object]  # make(size) returns an explorer (anything with a ``.widget``)


def _latent(size: str):
    from .widgets import LatentExplorer

    return LatentExplorer("vae-2d", size=size)


def _beta(size: str):
    from .widgets import BetaExplorer

    return BetaExplorer(size=size)


def _interpolation(size: str):
    from .widgets import InterpolationExplorer

    return InterpolationExplorer(["ae-2d", "vae-2d"], size=size)


def _kl(size: str):
    from .widgets import KLExplorer

    return KLExplorer(size=size)


def _elbo_gap(size: str):
    from .widgets import ELBOGapExplorer

    return ELBOGapExplorer(size=size)


def _draw(size: str):
    from .widgets.draw import DrawDigitExplorer

    return DrawDigitExplorer("vae-2d-beta-4", size=size)


def _conditional(size: str):
    from .widgets import LatentExplorer

    return LatentExplorer("cvae-2d", size=size)


# Each caption says what the audience will see and what the series measures (the notebook named).
TABS: tuple[Tab, ...] = (
    Tab(N_("Latent space"),
        N_("A VAE with two latent dimensions (vae-2d). Each point z of the plane decodes to an image: drag the "
        "sliders (±3 prior standard deviations) and watch the ring move over the codes of 5,000 test digits, "
        "coloured by label. The KL term packs the codes into a disk of about the prior's size, so samples from "
        "the prior land among them: under 1 % fall in a hole, against about 9 % for an autoencoder (notebook 07). "
        "Nearby points decode to similar digits, but an autoencoder's decoder is just as smooth: what the KL "
        "changes is where the codes sit."),
        _latent),
    Tab(N_("β"),
        N_("Eight 2-D VAEs trained alike except for the weight β on the KL term, from 0 (reconstruction only) "
        "to 16. Slide β and watch four panels: the codes of test digits, reconstructions of fixed test digits, "
        "samples decoded from the same eight z ~ N(0, I), and the model's point on the rate–distortion curve "
        "(rate = KL, distortion = −reconstruction term, nats per example). Small β: the codes spread far "
        "beyond the prior's ±3, and prior samples only reach the crowded centre of the cloud. Large β: the "
        "codes are squeezed onto the prior, the digits overlap and reconstructions blur into an average digit. "
        "With two latent numbers, no β reconstructs sharply."),
        _beta),
    Tab(N_("Interpolation"),
        N_("Pick two test digits (a digit and which example of it) and slide α: each model decodes "
        "z_α = (1 − α) z₁ + α z₂, the straight line between the two codes (the encoder's mean for the VAE). "
        "Both paths pass through clean digits, and for both models about half of the straight paths between "
        "two examples of one digit pass through another digit (notebook 07). What differs is where the codes "
        "sit: the VAE's in a disk the size of the prior, the autoencoder's wherever reconstruction put them."),
        _interpolation),
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
        "is centred and shrunk to 28 × 28 like MNIST (the small image), the encoder gives q(z|x), drawn as its "
        "mean and 2σ ellipse on the map of test codes, the decoder reconstructs the mean, and the two ELBO terms "
        "are printed in nats. The model is vae-2d-beta-4 (β = 4), whose q(z|x) is wide enough to see; an "
        "untidy digit lands between the clusters, often with a larger ellipse. Everything runs in the page, "
        "with no round trip to the kernel."),
        _draw),
    Tab(N_("Conditional"),
        N_("A conditional VAE (cvae-2d): the label goes into both the encoder and the decoder, so the code no "
        "longer needs to say which digit it is and carries mostly style (slant, width, thickness): the label "
        "can barely be read off it (5-NN accuracy 0.26, against 0.72 for vae-2d; notebook 09). Pick a digit, "
        "then slide z: one z gives much the same style for every label, except near the 1s' codes, which form "
        "an arc of their own."),
        _conditional),
)


def _caption(text: str, style) -> W.HTML:
    size = f"{style.css_font_px + 2}px" if style.css_font_px else "1.05em"
    return W.HTML(f"<p style='max-width: 62em; font-size: {size}; line-height: 1.35; margin: 0.3em 0'>{text}</p>")


def build_app(tabs: Sequence[Tab] = TABS, *, title: str | None = None, size: str = "large") -> W.VBox:
    """Build the lecture app: one tab per explorer, each with its caption (and an optional title).

    ``size``: ``"large"`` (default: a projector, 1920 x 1080) or ``"notebook"``; every explorer is built
    at that size. Returns the root widget (display it, or let Voilà show it). The explorers stay
    reachable as ``app.explorers`` (a dict title -> explorer), e.g. for tests.
    """
    from .widgets.render import SIZES, style_css

    validate.choice(size, "size", tuple(SIZES))
    style = SIZES[size]
    explorers = {t.title: t.make(size) for t in tabs}
    panels = [W.VBox([_caption(tr(t.caption), style), explorers[t.title].widget]) for t in tabs]
    for i, (t, panel) in enumerate(zip(tabs, panels)):  # CSS hooks for styling and the browser test
        panel.add_class(f"vae-lecture-tab-{i}")
        if isinstance(getattr(explorers[t.title], "image", None), W.Image):
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
