"""vae_tools: tooling around the notebooks, kept out of the import graph of the VAE code.

* :mod:`vae_tools.slides` -- slide metadata for the notebooks (``python -m vae_tools.slides``);
* :mod:`vae_tools.jupyter_nodelay` -- a Jupyter server extension that sends widget updates without
  Nagle's ~40 ms delay (enabled by ``make``);
* :mod:`vae_tools.diagrams` -- the diagrams the notebooks show, drawn by code (``make diagrams``).

Nothing in :mod:`vae_lib` imports this package.
"""
