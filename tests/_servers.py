"""Helpers for tests that start servers (JupyterLab, Voilà) in their own process group: see vae_tools.browser."""

from __future__ import annotations

from vae_tools.browser import stop_process_group

__all__ = ["stop_process_group"]
