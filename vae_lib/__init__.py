"""vae_lib: the helper package behind the notebooks of *Learning Variational Autoencoders*.

One module per idea: :mod:`~vae_lib.data` (datasets in memory), :mod:`~vae_lib.models`
(Autoencoder, VAE, ConditionalVAE), :mod:`~vae_lib.losses` (KL, likelihoods, ELBO, IWAE),
:mod:`~vae_lib.train` (``fit``), :mod:`~vae_lib.zoo` (the pretrained models), :mod:`~vae_lib.protocol` (how the
series evaluates), :mod:`~vae_lib.measures` and :mod:`~vae_lib.metrics`, :mod:`~vae_lib.plots`,
:mod:`~vae_lib.toy` (models with an exact posterior), :mod:`~vae_lib.widgets` (the live explorers).

**The face**: what the notebooks use most is also a name of the package itself (:data:`FACE`)::

    import vae_lib as vl
    model = vl.zoo.load("vae-2d"); x, y = vl.load_mnist("test", binarize="dynamic")
    vl.evaluate(model, x)

Importing the package is cheap: a name of the face imports its module on first use (PEP 562).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vae_lib")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

#: the package's face: name -> the module that defines it (imported on first use)
FACE: dict[str, str] = {
    "zoo": "vae_lib.zoo", "measures": "vae_lib.measures", "widgets": "vae_lib.widgets",
    "VAE": "vae_lib.models", "Autoencoder": "vae_lib.models", "ConditionalVAE": "vae_lib.models",
    "load_mnist": "vae_lib.data", "apply_pixels": "vae_lib.data", "binarize_images": "vae_lib.data",
    "elbo": "vae_lib.losses", "iwae_bound": "vae_lib.losses", "Terms": "vae_lib.losses",
    "fit": "vae_lib.train", "evaluate": "vae_lib.train", "kl_weight": "vae_lib.train",
    "PROTOCOL": "vae_lib.protocol", "RECIPES": "vae_lib.recipes", "PAIRS": "vae_lib.recipes",
    "image_grid": "vae_lib.plots", "show_images": "vae_lib.plots", "latent_scatter": "vae_lib.plots",
    "show_source": "vae_lib.notebook", "set_language": "vae_lib.i18n",
}
__all__ = ["FACE", "__version__", *FACE]


def __getattr__(name: str) -> object:
    if name not in FACE:
        raise AttributeError(f"module 'vae_lib' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(FACE[name])
    value = module if module.__name__ == f"vae_lib.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(FACE))
