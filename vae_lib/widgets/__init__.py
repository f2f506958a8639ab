r"""Live explorers for JupyterLab (ipywidgets 8): sliders that respond while they move.

Nine explorers, one per module, each one object with ``.display()`` (or just leave it last in a cell):

* :class:`LatentExplorer` (:mod:`.latent`) -- one slider per latent dimension of any vae_lib model
  (VAE, Autoencoder, conditional VAE); the decoded image follows the sliders, and for a 2-D model a
  scatter of test codes shows where z is.
* :class:`BetaExplorer` (:mod:`.beta`) -- a beta slider over a grid of beta-VAEs
  (:func:`vae_lib.zoo.beta_grid` by default): latent scatter, reconstructions, prior samples and the
  rate--distortion curve.
* :class:`InterpolationExplorer` (:mod:`.interpolation`) -- two test digits, an alpha slider, the decoded
  path :math:`z_\alpha = (1-\alpha) z_1 + \alpha z_2` for several models side by side.
* :class:`KLExplorer` (:mod:`.kl`) -- two 1-D densities q and p, KL(q||p) and KL(p||q) in closed form and
  by Monte Carlo; a mixture target shows mode-seeking against mass-covering.
* :class:`InPageLatentExplorer` (:mod:`.inpage`) and :class:`DrawDigitExplorer` (:mod:`.draw`) -- the
  latent explorer and "draw a digit" with the networks running in the page (anywidget, JavaScript):
  no round trip to the kernel per move; :func:`latent_explorer` picks the in-page one when the model
  can run there.
* In-page twins (anywidget; the Python explorers stay the reference and the lecture app's):
  :class:`InPageInterpolationExplorer` (:mod:`.inpage_interpolation`, the decoders in JavaScript),
  :class:`InPageBetaExplorer` (:mod:`.inpage_beta`, every picture sent once, switched in the page) and
  :class:`InPageCodebookExplorer` (:mod:`.inpage_codebook`, the VQ-VAE's conv decoder in JavaScript, ``conv.js``),
  made by the factories :func:`interpolation_explorer`, :func:`beta_explorer`, :func:`codebook_explorer`;
  and the small explorers' twins (:mod:`.twin`: sliders, SVG plots and the toy math in ``panel.js``, ``gauss.js``):
  :func:`kl_explorer` (:mod:`.kl_inpage`), :func:`elbo_gap_explorer` (:mod:`.elbo_gap_inpage`),
  :func:`diffusion_explorer` (:mod:`.diffusion_inpage`, the network in JavaScript), :func:`s_explorer`
  (:mod:`.gauss_s`, notebook 10's s of a Gaussian decoder) and :func:`digit_browser` (:mod:`.digits`, notebook 00).
* :class:`CodebookExplorer` (:mod:`.codebook`) -- a VQ-VAE's codebook (notebook 12): what each code decodes to,
  and one code of an image's grid changed at a time.
* :class:`DiffusionExplorer` (:mod:`.diffusion`) -- a noise-level slider over a diffusion model (notebook 13):
  q(x_t | x_0) and the model's estimate of x_0.
* :class:`ELBOGapExplorer` (:mod:`.elbo_gap`) -- a toy model with an exact posterior
  (:class:`vae_lib.toy.NonlinearToy1D`): log p(x) = ELBO + KL(q || p(z|x)) at every q.

:mod:`.base` holds what they share (display, events, sliders, model and data resolution; every
size in one :class:`~.render.Style`), :mod:`.render` the pictures.

**Two sizes.** Every explorer takes ``size="notebook"`` (the default) or ``size="large"``: a projector,
a 1920 x 1080 screen filled by one explorer (the main picture >= 420 px tall, labels, readouts, captions
and numbers at 20 px, text in figures >= 16 px). Both are :class:`~.render.Style` objects
(:data:`~.render.SIZES`); the lecture app (:mod:`vae_lib.lecture`) uses the large one.

**Fast and honest.** A slider event does only what changed, and sends only what changed: one
decoder forward under ``torch.inference_mode()`` on a single thread and a PNG encode (PIL,
nearest-neighbour upscale). Pictures that are static per model (scatters, curves) are drawn once
with matplotlib into a palette PNG and sent to the browser once; the marker of the current z is a
small image laid over it, moved by changing its CSS margin (a few bytes). The beta explorer sends
every model's panels once and a move changes one CSS class of its root (which model's panels are
shown). The toy explorers send their axes once and, per move, only the changing curves and bars as
a few kB of SVG (:class:`~.svg.LiveFigure`). ``benchmarks/widget_latency.py`` measures the update
paths against a bare decode + PNG, ``benchmarks/browser_latency.py`` key press to pixels painted in
JupyterLab and in the lecture app.
Wrong arguments (a non-model, NaN or inf, counts below 1, an index outside the test set) raise
before anything is drawn.

Images follow :mod:`vae_lib.plots`: pixel probability 1 (ink) is black, 0 is white; a model's
picture is its pixel means ``model.decode_mean(z)``.
"""

from __future__ import annotations

from .base import Explorer
from .beta import BetaExplorer
from .codebook import CodebookExplorer
from .diffusion import DiffusionExplorer
from .diffusion_inpage import InPageDiffusionExplorer, diffusion_explorer
from .digits import DigitBrowser, digit_browser
from .draw import DrawDigitExplorer, mnist_preprocess
from .elbo_gap import ELBOGapExplorer
from .elbo_gap_inpage import InPageELBOGapExplorer, elbo_gap_explorer
from .gauss_s import InPageSExplorer, SExplorer, s_explorer
from .inpage import InPageLatentExplorer, latent_explorer
from .inpage_beta import InPageBetaExplorer, beta_explorer
from .inpage_codebook import InPageCodebookExplorer, codebook_explorer
from .inpage_interpolation import InPageInterpolationExplorer, interpolation_explorer
from .interpolation import InterpolationExplorer
from .kl import KLExplorer
from .kl_inpage import InPageKLExplorer, kl_explorer
from .latent import LatentExplorer
from .render import SCALE, SIZES, Style, render_png

__all__ = [
    "SCALE",
    "SIZES",
    "BetaExplorer",
    "CodebookExplorer",
    "DiffusionExplorer",
    "DigitBrowser",
    "DrawDigitExplorer",
    "ELBOGapExplorer",
    "Explorer",
    "InPageBetaExplorer",
    "InPageCodebookExplorer",
    "InPageDiffusionExplorer",
    "InPageELBOGapExplorer",
    "InPageInterpolationExplorer",
    "InPageKLExplorer",
    "InPageLatentExplorer",
    "InPageSExplorer",
    "InterpolationExplorer",
    "KLExplorer",
    "LatentExplorer",
    "SExplorer",
    "Style",
    "beta_explorer",
    "codebook_explorer",
    "diffusion_explorer",
    "digit_browser",
    "elbo_gap_explorer",
    "interpolation_explorer",
    "kl_explorer",
    "latent_explorer",
    "mnist_preprocess",
    "render_png",
    "s_explorer",
]
