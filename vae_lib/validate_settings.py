"""Checks of a run's settings: seeds, generators, devices, paths, on/off flags and callbacks (and how an input is
named in a message, :func:`_kind`). Callers use them through :mod:`vae_lib.validate`, which re-exports them, so that
``validate.<kind>`` stays the one place to look for a check.
"""

from __future__ import annotations

import inspect
import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["MAX_SEED", "callback", "device", "flag", "generator", "path", "seed"]

MAX_SEED = 2**63 - 1


def _a(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _kind(x: Any) -> str:
    """What ``x`` is, for a message: ``a numpy.ndarray of shape [60, 2]``, ``a list``, ``the str 'abc'``."""
    t = type(x)
    mod = t.__module__
    if mod in ("builtins", "torch"):
        name = t.__name__
    elif mod.startswith("torch.nn"):
        name = f"torch.nn.{t.__name__}"
    elif mod.startswith("numpy"):
        name = f"numpy.{t.__name__}"
    else:
        name = f"{mod}.{t.__name__}"
    if isinstance(x, type):
        return f"the class {x.__name__} (not an instance of it)"
    if hasattr(x, "shape") and not isinstance(x, torch.Tensor):
        return f"{_a(name)} of shape {list(x.shape)}"
    if isinstance(x, (str, bytes)):
        return f"the {name} {x!r:.60}"
    if x is None:
        return "None"
    return _a(name)


def seed(v: Any, name: str = "seed") -> int:
    """A seed: an integer from 0 to 2**63 - 1 (what ``torch.Generator.manual_seed`` takes, with room for
    ``seed + 2``). Floats, strings, None and bools are refused."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        hint = " (a whole number such as 0)"
        if isinstance(v, str) and v.strip().lstrip("-").isdigit():
            hint = f" (write it without quotes: {name}={v.strip()})"
        elif isinstance(v, float) and v.is_integer():
            hint = f" (write it as an integer: {name}={int(v)})"
        raise TypeError(f"{name} must be an integer from 0 to 2**63 - 1; got {v!r:.60} ({type(v).__name__}){hint}")
    v = int(v)
    if not 0 <= v <= MAX_SEED:
        raise ValueError(f"{name} must be an integer from 0 to 2**63 - 1; got {v}")
    return v


def generator(g: Any, name: str = "generator") -> torch.Generator | None:
    """``None`` or a ``torch.Generator`` (a seed is not a generator: ``torch.Generator().manual_seed(seed)``)."""
    if g is None or isinstance(g, torch.Generator):
        return g
    hint = ""
    if isinstance(g, numbers.Integral) and not isinstance(g, bool):
        hint = f": make one from a seed with torch.Generator().manual_seed({int(g)})"
    elif isinstance(g, str) and g.strip().isdigit():
        hint = f": make one from a seed with torch.Generator().manual_seed({int(g)})"
    raise TypeError(f"{name} must be a torch.Generator or None; got {_kind(g)}{hint}")


def device(v: Any, name: str = "device", *, allow_auto: bool = True) -> torch.device | str:
    """A device the machine has: ``"auto"`` (when allowed: returned as is), ``"cpu"``, ``"cuda"``, ``"cuda:1"``,
    ``"mps"`` or a ``torch.device``. Unknown names and devices this machine lacks are refused."""
    options = "'auto', 'cpu', 'cuda', 'cuda:0', 'mps'" if allow_auto else "'cpu', 'cuda', 'cuda:0', 'mps'"
    if allow_auto and v == "auto":
        return "auto"
    if not isinstance(v, (str, torch.device)):
        raise TypeError(f"{name} must be one of {options} or a torch.device; got {_kind(v)}")
    try:
        dev = torch.device(v)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"{name} must be one of {options} or a torch.device; got {v!r:.60} (torch does not know "
                         "this device name)") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}={str(v)!r}: this machine has no CUDA GPU that torch can use "
                             f"(torch.cuda.is_available() is False); use 'cpu'" + (" or 'auto'" if allow_auto else ""))
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}={str(v)!r}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                             f"numbered from 0")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{name}={str(v)!r}: this machine has no Apple GPU (MPS) that torch can use; use 'cpu'")
    elif dev.type != "cpu":
        raise ValueError(f"{name} must be one of {options}; got {str(v)!r} (vae_lib runs on the CPU, CUDA or MPS)")
    return dev


def path(v: Any, name: str = "path") -> Path:
    """A file-system path: a non-empty ``str`` or ``os.PathLike`` (not an int, bytes or a list)."""
    if isinstance(v, (str, os.PathLike)):
        s = os.fspath(v)
        if isinstance(s, str) and s.strip() and "\0" not in s:
            return Path(s).expanduser()
        raise ValueError(f"{name} must be a non-empty path; got {v!r:.60}")
    raise TypeError(f"{name} must be a path (a str or pathlib.Path); got {_kind(v)}")


def flag(v: Any, name: str) -> bool:
    """An on/off switch: ``True`` or ``False`` (a string such as ``'no'`` is truthy in Python, so it is refused)."""
    if isinstance(v, bool) or type(v).__module__ == "numpy" and type(v).__name__ in ("bool", "bool_"):  # numpy too
        return bool(v)
    raise TypeError(f"{name} must be True or False; got {v!r:.60} ({type(v).__name__})")


def callback(v: Any, name: str, n_args: int) -> Callable[..., Any]:
    """A function that can be called with ``n_args`` positional arguments (checked before any work)."""
    if isinstance(v, type) or not callable(v):
        raise TypeError(f"{name} must be a function taking {n_args} argument(s); got {_kind(v)}")
    try:
        sig = inspect.signature(v)
    except (TypeError, ValueError):  # builtins without a signature: trust them
        return v
    try:
        sig.bind(*range(n_args))
    except TypeError as exc:
        raise TypeError(f"{name} must be a function taking {n_args} positional argument(s); {v!r:.60} has the "
                        f"signature {sig} ({exc})") from None
    return v
