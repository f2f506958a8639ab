"""Input checks, one place per kind of input: images, labels, counts and sizes, choices.

Every public entry point of :mod:`vae_lib` calls these once per call (``fit`` once per run,
never per batch), so a wrong input fails *before* the work, with a message that says what was
expected, what came, and what to do. The checks read a tensor's metadata, plus one pass over
the values for the range and NaN test of images.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["choice", "count", "images", "labels", "number", "tensor_like"]

IMAGE_SHAPE = (1, 28, 28)


def _shape(x: Any) -> str:
    return str(list(x.shape)) if hasattr(x, "shape") else type(x).__name__


def images(x: Any, *, name: str = "images", shape: tuple[int, ...] = IMAGE_SHAPE, allow_empty: bool = False,
           values: bool = True) -> torch.Tensor:
    """Check a batch of images ``[N, 1, 28, 28]``: a float tensor, finite, with pixels in [0, 1].

    ``values=False`` checks only the type, shape and dtype (no pass over the pixels).
    Returns ``x`` unchanged.
    """
    if not isinstance(x, torch.Tensor):
        kind = type(x).__name__
        hint = " (convert with torch.as_tensor(x, dtype=torch.float32))" if hasattr(x, "shape") else ""
        raise TypeError(f"{name} must be a float tensor of shape [N, {', '.join(map(str, shape))}]; got a {kind}{hint}")
    full = list(shape)
    if x.dim() != len(shape) + 1 or list(x.shape[1:]) != full:
        hint = ""
        if x.dim() == len(shape) and list(x.shape) == full:
            hint = " (one image? add the batch axis: x.unsqueeze(0))"
        elif x.dim() == len(shape) and list(x.shape[-2:]) == full[-2:]:
            hint = " (add the channel axis: x.unsqueeze(1))"
        elif x.dim() == 2 and x.shape[-1] == math.prod(shape):
            hint = f" (reshape: x.view(-1, {', '.join(map(str, shape))}))"
        raise ValueError(f"{name} must have shape [N, {', '.join(map(str, shape))}]; got {list(x.shape)}{hint}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must hold float pixels in [0, 1] (dtype float32); got dtype {x.dtype} "
                         "(convert with x.float() / 255)")
    if x.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {list(x.shape)}): pass at least one image")
    if values and x.numel():
        lo, hi = torch.aminmax(x.detach())
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):  # aminmax propagates NaN
            bad = int((~torch.isfinite(x)).flatten(1).any(1).sum())
            raise ValueError(f"{name} hold NaN or infinite pixels ({bad} of {x.shape[0]} images): "
                             "remove or repair them (e.g. torch.nan_to_num) before training or evaluating")
        if lo < 0.0 or hi > 1.0:
            hint = (" They look like 0..255 grey levels: divide by 255." if hi > 1.0 and hi <= 255.0 and lo >= 0.0
                    else " Rescale them into [0, 1].")
            raise ValueError(f"{name} must hold pixels in [0, 1]; got values from {lo:g} to {hi:g}.{hint}")
    return x


def labels(y: Any, n: int, n_classes: int, *, name: str = "labels") -> torch.Tensor:
    """Check class labels: ``n`` integers in ``[0, n_classes)``. Returns them as an int64 tensor."""
    if isinstance(y, torch.Tensor):
        t = y
    elif isinstance(y, Sequence) or hasattr(y, "__array__"):
        try:
            t = torch.as_tensor(y)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a 1-D tensor of integer class labels; got {type(y).__name__}") from exc
    else:
        raise TypeError(f"{name} must be a 1-D tensor of integer class labels; got {type(y).__name__}")
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must be integers in [0, {n_classes}); got dtype {t.dtype} (convert with .long() "
                         "if they are whole numbers)")
    if t.dim() != 1 or t.shape[0] != n:
        raise ValueError(f"{name} must have shape [{n}] (one label per image); got {list(t.shape)}")
    if t.numel():
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"{name} must lie in [0, {n_classes}); got min {lo}, max {hi}")
    return t.long()


def count(v: Any, name: str, *, minimum: int = 1) -> int:
    """A whole number >= ``minimum`` (bools and floats such as 2.5 are refused; 3.0 is refused too)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {v!r} ({type(v).__name__})")
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {v}")
    return int(v)


def number(v: Any, name: str, *, minimum: float | None = None, maximum: float | None = None,
           strict_min: bool = False) -> float:
    """A finite real number, optionally bounded (``strict_min``: ``> minimum`` instead of ``>=``)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        if isinstance(v, torch.Tensor) and v.numel() == 1 and v.is_floating_point():
            v = float(v)
        else:
            raise TypeError(f"{name} must be a number; got {v!r} ({type(v).__name__})")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {v}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        raise ValueError(f"{name} must be {'>' if strict_min else '>='} {minimum:g}; got {v:g}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}; got {v:g}")
    return v


def choice(v: Any, name: str, options: Sequence[Any]) -> Any:
    """One of ``options`` (compared with ``==``)."""
    if v not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {v!r}")
    return v


def tensor_like(x: Any, name: str, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A tensor from a tensor, list or array; a clear error for anything else."""
    if isinstance(x, torch.Tensor):
        return x
    try:
        return torch.as_tensor(x, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a tensor (or a list of numbers); got {type(x).__name__}") from exc
