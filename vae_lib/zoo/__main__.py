"""``python -m vae_lib.zoo``: see :mod:`vae_lib.zoo.cli`."""

import sys

from .cli import main

sys.exit(main())
