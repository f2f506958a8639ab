"""How small interactive computations run: :func:`one_thread`, used by the toy models and the explorers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["one_thread"]


@contextmanager
def one_thread() -> Iterator[None]:
    """Run small tensor work on one thread, then restore the thread count.

    Vectors of ~10^4 numbers (a grid, one decoded image) are faster on one thread; on a busy
    2-core machine, splitting them over threads that must wait for each other measured
    100x slower (60 ms instead of 0.3 ms for one ``elbo_terms``).
    """
    n = torch.get_num_threads()
    if n != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if n != 1:
            torch.set_num_threads(n)
