"""vae_lib: the helper package behind the notebooks of *Learning Variational Autoencoders*.

One module per idea: :mod:`~vae_lib.data` (datasets in memory), :mod:`~vae_lib.models`
(Autoencoder, VAE, ConditionalVAE), :mod:`~vae_lib.losses` (KL, likelihoods, ELBO, IWAE),
:mod:`~vae_lib.train` (``fit``), :mod:`~vae_lib.checkpoints` (save / load),
:mod:`~vae_lib.toy` (models with an exact posterior), :mod:`~vae_lib.widgets` (the live
explorers: latent sliders, beta, interpolation, KL, ELBO gap).
Importing the package is cheap: submodules are imported where they are used.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vae_lib")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
