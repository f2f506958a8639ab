"""vae_tools: the checkout's own tooling -- build tools and the test harness -- kept out of the VAE code.

* :mod:`vae_tools.translate` -- the Korean edition from the English notebooks and gettext catalogs (``make translate``);
* :mod:`vae_tools.slides` -- slide metadata for the notebooks (``python -m vae_tools.slides``);
* :mod:`vae_tools.diagrams` -- the diagrams the notebooks show, drawn by code (``make diagrams``);
* :mod:`vae_tools.browser` -- the browser-test harness (JupyterLab and Voila on a free port, Chromium's flags).

They work on a checkout (its notebooks/, translations/, assets/ and tests), so this package is NOT installed: it
is not in the wheel (pyproject.toml packages only ``vae_lib``); run it from the checkout's root (``python -m
vae_tools.translate ...``; pytest finds it through ``pythonpath = ["."]``). What the installed series needs at run
time lives in :mod:`vae_lib` (e.g. :mod:`vae_lib.jupyter_nodelay`, the Jupyter server extension ``make`` enables).
Nothing in :mod:`vae_lib` imports this package.
"""
