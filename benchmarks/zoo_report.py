"""The zoo's table and its load times: ``python -m vae_lib.zoo verify`` (vae_lib/zoo/verify.py), run as a benchmark.

    python benchmarks/zoo_report.py                 # load + re-evaluate everything (about 2 minutes)
    python benchmarks/zoo_report.py --manifest-only # the README's table, from the manifest (instant)

Every argument is verify's (``python -m vae_lib.zoo verify --help``). The load-time goal (< 1 s per model) is
printed here, not asserted in the tests.
"""

from __future__ import annotations

import sys

from vae_lib.zoo.cli import main

if __name__ == "__main__":
    sys.exit(main(["verify", *sys.argv[1:]]))
