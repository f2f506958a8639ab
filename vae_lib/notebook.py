"""What the notebooks of the series share: showing the source of the code they call.

``show_source(fit)`` prints the real source of a :mod:`vae_lib` function, class or method, so the code
a reader reads is the code that runs, and it can never drift from the library.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["show_source"]


def show_source(obj: Any) -> None:
    """Show the source code of ``obj`` (a function, class or method) as highlighted Python."""
    from IPython.display import Markdown, display

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(f"show_source needs a function, class or method defined in Python source; got "
                        f"{type(obj).__name__} ({exc})") from None
    display(Markdown(f"```python\n{source}```"))
