"""Input checks, one place per kind of input: images, labels, latent codes, tensors, counts and sizes (with
their caps), numbers, choices; and (from :mod:`vae_lib.validate_settings`, re-exported here: call them as
``validate.seed`` ...) seeds, generators, devices, paths, on/off flags and callbacks.

Every public entry point of :mod:`vae_lib` calls these once per call (``fit`` once per run,
never per batch), so a wrong input fails *before* the work, with a message that says what was
expected, what came, and what to do. The checks read a tensor's metadata, plus one pass over
the values for the range and NaN test of images and codes.

**Sizes that allocate have caps** (:data:`CAPS`): an image scale, a grid, a layer, a sample count is
refused when it would ask for more memory than a teaching machine has, with a message that names the cap,
instead of being passed to the allocator (which can take the whole machine down with it).

**The dtype rule.** Models compute in float32. Images and codes in float16 or bfloat16 are converted to
float32 (that loses nothing); float64 ones are refused with the conversion to use (``x.float()``: it
rounds), and integer or bool images are refused with the conversion that fits what they hold (0/1
values: ``x.float()``; grey levels 0..255: ``x.float() / 255``).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

from .validate_settings import MAX_SEED, _a, _kind, callback, device, flag, generator, path, seed  # noqa: F401

__all__ = ["CAPS", "callback", "checked", "choice", "codes", "count", "device", "elements", "flag", "float_tensor", "generator",
           "images", "labels", "layer_sizes", "number", "path", "seed", "tensor_like"]

IMAGE_SHAPE = (1, 28, 28)

#: The caps on sizes that allocate memory: ``name -> (largest value, what it bounds)``.
CAPS: dict[str, tuple[int, str]] = {
    "scale": (64, "screen pixels per image pixel: a 28-pixel image at most 1,792 pixels wide"),
    "grid": (100, "images per side of a decoded grid: at most 10,000 decodes"),
    "layer": (16_384, "units in one layer"),
    "latent_dim": (4_096, "latent dimensions"),
    "parameters": (100_000_000, "parameters in one network, about 400 MB of float32 weights"),
    "components": (10_000, "components of a learned prior"),
    "n_classes": (1_000, "classes of a conditional model or a classifier"),
    "elements": (2**28, "numbers in one tensor a call creates, 1 GiB of float32"),
    "samples": (1_000_000, "samples or Monte Carlo draws in one call"),
    "points": (10_000_000, "points of a quadrature grid"),
}


def _cap(key: str) -> int:
    return CAPS[key][0]


def _shape(x: Any) -> str:
    return str(list(x.shape)) if hasattr(x, "shape") else type(x).__name__


def _plain(x: torch.Tensor, name: str) -> None:
    """A dense tensor with values: sparse and meta tensors are refused with what to do."""
    if x.layout != torch.strided:
        raise TypeError(f"{name} must be a dense tensor; got a {x.layout} tensor (convert with x.to_dense())")
    if x.device.type == "meta":
        raise ValueError(f"{name} is a tensor on the 'meta' device: it has a shape but no values")


def _convert_hint(x: Any) -> str:
    if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        return " (convert with torch.as_tensor(x, dtype=torch.float32))"
    return ""


def _float_rule(x: torch.Tensor, name: str, dtype: torch.dtype, what: str) -> torch.Tensor:
    """The dtype rule for float tensors: ``dtype`` as is; float16 / bfloat16 converted (lossless); else refused."""
    if x.dtype == dtype:
        return x
    if x.dtype in (torch.float16, torch.bfloat16) and dtype in (torch.float32, torch.float64):
        return x.to(dtype)
    conv = {torch.float32: "x.float()", torch.float64: "x.double()"}.get(dtype, f"x.to({dtype})")
    raise ValueError(f"{name} must be {what} of dtype {dtype}; got dtype {x.dtype}: convert with {conv}")


def images(x: Any, *, name: str = "images", shape: tuple[int, ...] = IMAGE_SHAPE, allow_empty: bool = False,
           values: bool = True, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Check a batch of images ``[N, 1, 28, 28]``: a float tensor, finite, with pixels in [0, 1].

    ``values=False`` checks only the type, shape and dtype (no pass over the pixels). ``dtype``: the
    dtype expected (the model's); float16 and bfloat16 images are converted to it (lossless), other
    dtypes are refused with the conversion to use. Returns ``x`` (converted when it was half precision).
    """
    dims = ", ".join(map(str, shape))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor of shape [N, {dims}]; got {_kind(x)}{_convert_hint(x)}")
    _plain(x, name)
    full = list(shape)
    if x.dim() != len(shape) + 1 or list(x.shape[1:]) != full:
        hint = ""
        if x.dim() == len(shape) and list(x.shape) == full:
            hint = " (one image? add the batch axis: x.unsqueeze(0))"
        elif x.dim() == len(shape) and list(x.shape[-2:]) == full[-2:]:
            hint = " (add the channel axis: x.unsqueeze(1))"
        elif x.dim() == 2 and x.shape[-1] == math.prod(shape):
            hint = f" (reshape: x.view(-1, {dims}))"
        elif x.dim() == len(shape) + 1 and list(x.shape[1:]) == [*full[1:], full[0]]:
            hint = " (channels last? move the channel axis: x.permute(0, 3, 1, 2))"
        elif x.dim() == len(shape) + 1 and list(x.shape[2:]) == full[1:] and x.shape[1] == 3:
            hint = " (colour images? these models take grey ones: x.mean(1, keepdim=True))"
        raise ValueError(f"{name} must have shape [N, {dims}]; got {list(x.shape)}{hint}")
    if x.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {list(x.shape)}): pass at least one image")
    if not x.is_floating_point():
        hint = "x.float() / 255"
        if x.is_complex():
            hint = "x.real or x.abs(): complex numbers are not pixels"
        elif x.dtype == torch.bool:
            hint = "x.float() (they are binary: True is ink)"
        elif not x.is_complex() and x.numel():
            lo, hi = int(x.min()), int(x.max())
            if lo >= 0 and hi <= 1:
                hint = "x.float() (they hold 0 and 1 only: binary pixels)"
            elif lo >= 0 and hi <= 255:
                hint = "x.float() / 255 (they look like grey levels 0..255)"
            else:
                hint = f"x.float() and rescale into [0, 1] (they range from {lo} to {hi})"
        raise ValueError(f"{name} must hold float pixels in [0, 1] (dtype {dtype}); got dtype {x.dtype} "
                         f"(convert with {hint})")
    x = _float_rule(x, name, dtype, "float pixels in [0, 1]")
    if values and x.numel():
        lo, hi = torch.aminmax(x.detach())
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):  # aminmax propagates NaN
            bad = int((~torch.isfinite(x)).flatten(1).any(1).sum())
            raise ValueError(f"{name} hold NaN or infinite pixels ({bad} of {x.shape[0]} images): "
                             "remove or repair them (e.g. torch.nan_to_num) before training or evaluating")
        if lo < 0.0 or hi > 1.0:
            if lo >= -1e-3 and hi <= 1.0 + 1e-3:
                hint = (" They stray outside [0, 1] by rounding only: clamp them, x.clamp(0, 1) (do not divide by "
                        "255).")
            elif hi > 1.0 and hi <= 255.0 and lo >= 0.0:
                hint = " They look like 0..255 grey levels: divide by 255."
            elif lo >= -1.0 and hi <= 1.0:
                hint = " They look like pixels in [-1, 1]: map them with (x + 1) / 2."
            else:
                hint = " Rescale them into [0, 1]."
            raise ValueError(f"{name} must hold pixels in [0, 1]; got values from {lo:g} to {hi:g}.{hint}")
    return x


def labels(y: Any, n: int, n_classes: int, *, name: str = "labels") -> torch.Tensor:
    """Check class labels: ``n`` integers in ``[0, n_classes)``. Returns them as an int64 tensor."""
    if isinstance(y, torch.Tensor):
        t = y
    elif isinstance(y, Sequence) and not isinstance(y, (str, bytes)) or hasattr(y, "__array__"):
        try:
            t = torch.as_tensor(y)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{name} must be a 1-D tensor of integer class labels; got {_kind(y)}") from exc
    else:
        raise TypeError(f"{name} must be a 1-D tensor of integer class labels; got {_kind(y)}")
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


def count(v: Any, name: str, *, minimum: int = 1, maximum: int | None = None, cap: str | None = None) -> int:
    """A whole number >= ``minimum`` (bools and floats such as 2.5 are refused; 3.0 is refused too).

    ``maximum`` (or ``cap``, a key of :data:`CAPS`): the largest value allowed; the message names it.
    """
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_floating_point() and v.dtype != torch.bool \
                and not v.is_complex():
            v = int(v)
        else:
            raise TypeError(f"{name} must be an integer >= {minimum}; got {v!r:.60} ({type(v).__name__})")
    v = int(v)
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {v}")
    if cap is not None:
        limit, what = CAPS[cap]
        maximum = limit if maximum is None else min(maximum, limit)
        if v > maximum:
            raise ValueError(f"{name} must be at most {maximum:,} (the cap on {what}); got {v:,}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum:,}; got {v:,}")
    return v


def elements(n: int, what: str) -> int:
    """Refuse a tensor of ``n`` numbers beyond the cap ``CAPS["elements"]`` (``what``: how ``n`` arises)."""
    limit, why = CAPS["elements"]
    if n > limit:
        raise ValueError(f"{what} would allocate {n:,} numbers, over the cap of {limit:,} ({why}): ask for fewer")
    return n


def layer_sizes(v: Any, name: str, *, allow_empty: bool = True) -> tuple[int, ...]:
    """A sequence of layer sizes such as ``(512, 256)``: each an integer from 1 to ``CAPS["layer"]``."""
    if hasattr(v, "__array__") and not isinstance(v, (str, bytes)) and getattr(v, "ndim", None) == 1:
        v = v.tolist()   # a 1-D numpy array or tensor of sizes
    if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
        raise TypeError(f"{name} must be a sequence of layer sizes such as (512, 256); got {v!r:.60} "
                        f"({type(v).__name__})" + (f"; one layer: ({v},)" if isinstance(v, numbers.Integral)
                                                    and not isinstance(v, bool) else ""))
    if not allow_empty and len(v) == 0:
        raise ValueError(f"{name} must hold at least one layer size")
    return tuple(count(h, f"every {name} size", cap="layer") for h in v)


def number(v: Any, name: str, *, minimum: float | None = None, maximum: float | None = None,
           strict_min: bool = False) -> float:
    """A finite real number, optionally bounded (``strict_min``: ``> minimum`` instead of ``>=``)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        if isinstance(v, torch.Tensor) and v.numel() == 1 and v.is_floating_point():
            v = float(v)
        else:
            raise TypeError(f"{name} must be a number; got {v!r:.60} ({type(v).__name__})")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {v}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        raise ValueError(f"{name} must be {'>' if strict_min else '>='} {minimum:g}; got {v:g}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}; got {v:g}")
    return v


def choice(v: Any, name: str, options: Sequence[Any]) -> Any:
    """One of ``options`` (compared with ``==``; unhashable values are refused, not raised on)."""
    try:
        ok = v in options
    except (TypeError, RuntimeError):  # a tensor or an array compared with a string
        ok = False
    if not ok or isinstance(v, bool) and not any(isinstance(o, bool) for o in options):
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {v!r:.60}")
    return v


def float_tensor(x: Any, name: str, *, finite: bool | str = True, ndim: int | None = None, min_ndim: int = 0,
                 empty: bool = True) -> torch.Tensor:
    """A floating-point tensor (numpy arrays, lists and numbers are refused with the conversion to use).

    ``finite``: True refuses NaN and inf, ``"nan"`` refuses NaN only, False checks no values.
    ``ndim`` / ``min_ndim``: the number of dimensions required; ``empty=False`` refuses a tensor without values.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor; got {_kind(x)}{_convert_hint(x)}")
    _plain(x, name)
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor; got dtype {x.dtype} (convert with x.float())")
    if ndim is not None and x.dim() != ndim or x.dim() < min_ndim:
        want = f"{ndim} dimensions" if ndim is not None else f"at least {min_ndim} dimension(s)"
        raise ValueError(f"{name} must have {want}; got shape {list(x.shape)}")
    if not empty and x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {list(x.shape)})")
    if finite and x.numel():
        bad = torch.isnan(x) if finite == "nan" else ~torch.isfinite(x)
        if bool(bad.any()):
            what = "NaN" if finite == "nan" else "NaN or infinite"
            raise ValueError(f"{name} holds {what} values ({int(bad.sum())} of {x.numel()}): repair them first")
    return x


def codes(z: Any, latent_dim: int, *, name: str = "z", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Latent codes ``[..., K]`` for a decoder: a float tensor (the dtype rule of :func:`images`), finite."""
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor of latent codes [..., {latent_dim}]; got {_kind(z)}"
                        f"{_convert_hint(z)}")
    _plain(z, name)
    if z.dim() < 1 or z.shape[-1] != latent_dim:
        raise ValueError(f"expected latent codes of shape [..., {latent_dim}]; got {list(z.shape)}")
    if not z.is_floating_point():
        raise ValueError(f"expected float latent codes; got dtype {z.dtype} (convert with z.float())")
    z = _float_rule(z, name, dtype, "float latent codes")
    if z.numel() and not bool(torch.isfinite(z).all()):
        bad = int((~torch.isfinite(z)).reshape(-1, latent_dim).any(-1).sum())
        raise ValueError(f"{name} holds NaN or infinite values ({bad} of {z.numel() // latent_dim} codes): a model "
                         "cannot use them; repair or drop those codes")
    return z


def tensor_like(x: Any, name: str, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A tensor from a tensor, list or array; a clear error for anything else."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a tensor (or a list of numbers); got {_kind(x)}")
    try:
        return torch.as_tensor(x, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a tensor (or a list of numbers); got {_kind(x)}") from exc


def checked(check: Callable[[dict[str, Any]], None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ``check(arguments)`` runs once on the call's bound arguments (a dict it may update, e.g. with a
    converted value) before the function body; the body alone stays reachable as ``f.unchecked`` for the loops
    inside vae_lib that have checked their inputs already (training calls it once per batch).

    ``inspect.getsource(f)`` (and :func:`vae_lib.notebook.show_source`) shows the decorated function itself.
    """
    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(f)

        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{f.__name__}(): {exc}; its arguments are ({', '.join(sig.parameters)})") from None
            bound.apply_defaults()
            check(bound.arguments)
            return f(*bound.args, **bound.kwargs)

        run.unchecked = f  # type: ignore[attr-defined]
        return run

    return wrap
