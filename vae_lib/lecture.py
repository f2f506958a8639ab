"""Lecture mode: every explorer in one code-free app, with a caption per tab.

``make present`` serves ``lecture/app.ipynb`` with Voilà: the notebook calls :func:`build_app`
and Voilà shows only its output, so a lecturer teaches from the projector without code on
screen. Every model comes from the zoo (``assets/checkpoints/``): nothing trains, and the
app is ready in a few seconds.

The same app works inside JupyterLab: ``from vae_lib.lecture import build_app; build_app()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as W

__all__ = ["TABS", "Tab", "build_app"]


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its title, a one-paragraph caption, and how to build its explorer."""

    title: str
    caption: str
    make: Callable[[], object]  # returns an explorer (anything with a ``.widget``)


def _latent():
    from .widgets import LatentExplorer

    return LatentExplorer("vae-2d")


def _beta():
    from .widgets import BetaExplorer

    return BetaExplorer()


def _interpolation():
    from .widgets import InterpolationExplorer

    return InterpolationExplorer(["ae-2d", "vae-2d"])


def _kl():
    from .widgets import KLExplorer

    return KLExplorer()


def _elbo_gap():
    from .widgets import ELBOGapExplorer

    return ELBOGapExplorer()


def _conditional():
    from .widgets import LatentExplorer

    return LatentExplorer("cvae-2d")


TABS: tuple[Tab, ...] = (
    Tab("Latent space",
        "A VAE with two latent dimensions (vae-2d). Each point z of the plane decodes to an image: drag "
        "the sliders, or watch the marker move over the codes of 10,000 test digits coloured by label. "
        "Because the KL term pulls every code towards the prior N(0, I), the plane is filled without "
        "holes, and nearby points decode to similar digits (continuity and completeness).",
        _latent),
    Tab("β",
        "The same 2-D VAE trained with the KL term weighted by β, from 0 (reconstruction only) to 16. Slide "
        "β and look at four things together: the latent codes, reconstructions of fixed test digits, "
        "samples from the prior, and where the model sits on the rate–distortion curve (rate = KL, "
        "distortion = −reconstruction term, in nats per example). Small β: sharp reconstructions, a "
        "patchy latent space, poor samples; large β: codes squeezed onto the prior, blurry digits.",
        _beta),
    Tab("Interpolation",
        "Pick two test digits and slide α: each model decodes z_α = (1 − α) z₁ + α z₂. The autoencoder's "
        "path crosses regions no training code visited and shows non-digits on the way; the VAE's path "
        "stays on digit-like images because its latent space is regular.",
        _interpolation),
    Tab("KL divergence",
        "Two densities q and p on a line, their KL divergences in both directions: exact (closed form) and "
        "estimated by Monte Carlo. KL(q‖p) ≠ KL(p‖q): it is not a distance. Switch to the mixture target "
        "and fit q: minimizing KL(q‖p) picks one mode (mode-seeking, what the ELBO does), minimizing "
        "KL(p‖q) spreads q over both (mass-covering).",
        _kl),
    Tab("ELBO gap",
        "A toy model with one latent variable where log p(x) and the true posterior p(z|x) are computed "
        "exactly. Move the mean and width of the Gaussian q(z|x): log p(x) never changes, and it always "
        "splits exactly into ELBO + KL(q ‖ p(z|x)). Maximizing the ELBO over q is therefore the same as "
        "pulling q towards the true posterior.",
        _elbo_gap),
    Tab("Conditional",
        "A conditional VAE (cvae-2d): the label goes into both the encoder and the decoder, so the latent "
        "code no longer needs to say which digit it is and is free to carry the style (slant, thickness). "
        "Pick a digit, then slide z: the same z gives the same style for every label.",
        _conditional),
)


def _caption(text: str) -> W.HTML:
    return W.HTML(f"<p style='max-width: 60em; font-size: 1.05em; line-height: 1.4'>{text}</p>")


def build_app(tabs: Sequence[Tab] = TABS, *, title: str | None = None) -> W.VBox:
    """Build the lecture app: one tab per explorer, each with its caption (and an optional title).

    Returns the root widget (display it, or let Voilà show it). The explorers stay reachable
    as ``app.explorers`` (a dict title -> explorer), e.g. for tests.
    """
    explorers = {t.title: t.make() for t in tabs}
    panels = [W.VBox([_caption(t.caption), explorers[t.title].widget]) for t in tabs]
    for i, (t, panel) in enumerate(zip(tabs, panels)):  # CSS hooks for styling and the browser test
        panel.add_class(f"vae-lecture-tab-{i}")
        if isinstance(getattr(explorers[t.title], "image", None), W.Image):
            explorers[t.title].image.add_class("vae-lecture-image")
    tab_widget = W.Tab(children=panels, titles=[t.title for t in tabs])
    header = [W.HTML(f"<h2 style='margin: 0.2em 0'>{title}</h2>")] if title else []
    app = W.VBox([*header, tab_widget])
    app.explorers = explorers
    app.tab = tab_widget
    return app
