"""Servers and a headless browser for the browser tests and ``benchmarks/browser_latency.py``.

* :func:`find_chromium` -- Debian's Chromium (or ``$CHROMIUM_PATH``); Playwright is always given this
  ``executable_path`` and never downloads a browser.
* :func:`running_lab` -- JupyterLab on 127.0.0.1 (a free port, a random token, throw-away config,
  runtime, settings and workspace folders) with the ``vae_lib.jupyter_nodelay`` server extension
  enabled as ``make`` enables it.
* :func:`running_voila` -- ``make present``'s Voilà command (:data:`VOILA_ARGS`: the lecture app with
  kernel websockets that send without Nagle's delay) on a free port.
* JavaScript for the page: :data:`LATENCY_CLOCK_JS` time-stamps the input, the message the front end
  sends and the kernel's ``idle`` status that closes the reply; :data:`WAIT_PAINTED_JS` waits for that
  reply, for every visible image under a root to be decoded and for the frame that shows them.

Every server runs in its own process group and is stopped with everything it started (its kernels),
whatever happens (:func:`stop_process_group`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "LATENCY_CLOCK_JS", "LOCAL_URLS", "REPO", "SIGNATURE_JS", "VOILA_ARGS", "WAIT_PAINTED_JS", "find_chromium",
           "free_port", "offline_context", "running_lab", "running_voila", "stop_process_group"]

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
#: what ``make present`` passes to Voilà besides the notebook (kept equal to the Makefile's; a test checks)
VOILA_ARGS = ["--no-browser", "--Voila.ip=127.0.0.1",
              "--Voila.kernel_websocket_connection_class=vae_lib.jupyter_nodelay.NoDelayWebsocketConnection"]


def find_chromium() -> str | None:
    """The Chromium executable: ``$CHROMIUM_PATH``, Debian's, or ``chromium`` on PATH; None if there is none."""
    for c in [os.environ.get("CHROMIUM_PATH", ""), *CHROMIUM_CANDIDATES]:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a server started with ``start_new_session=True`` and everything it started (its kernels):
    SIGTERM to the group, then SIGKILL if it has not exited within ``timeout`` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def _wait_for(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer in {timeout:g} s: {log.read_text()[-2000:]}")
        time.sleep(0.3)


def _private_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("IPYTHONDIR", "ipython"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")]:
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


@contextmanager
def running_lab(root: Path, notebooks: dict[str, dict], env_extra: dict[str, str] | None = None) -> Iterator[dict]:
    """Start JupyterLab serving ``notebooks`` from ``root/work``; yields ``{"base", "token", "log"}``.

    127.0.0.1 only, a free port, a random token, config / runtime / settings / workspace folders
    under ``root``, the ``vae_lib.jupyter_nodelay`` server extension enabled (the file ``make``
    installs); the server's whole process group (kernels included) is stopped on exit.
    """
    work = root / "work"
    work.mkdir(parents=True)
    for name, nb in notebooks.items():
        (work / name).write_text(json.dumps(nb))
    settings = root / "settings"
    for ext, plugin, value in [("@jupyterlab/notebook-extension", "tracker", {"windowingMode": "none"}),
                               ("@jupyterlab/apputils-extension", "notification",
                                {"fetchNews": "false", "checkForUpdates": False})]:
        d = settings / ext
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{plugin}.jupyterlab-settings").write_text(json.dumps(value))
    env = _private_env(root)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    # what `make` installs into .venv/etc/jupyter: the vae_lib.jupyter_nodelay server extension
    conf_d = root / "config" / "jupyter_server_config.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "jupyter-config" / "jupyter_server_config.d" / "vae_lib.json", conf_d)
    env.update(env_extra or {})
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
           "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
           "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
        cmd.append("--allow-root")
    log_path = root / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/status?token={token}", proc, log_path, "JupyterLab", 60)
        yield {"base": base, "token": token, "log": log_path}
    finally:
        stop_process_group(proc)  # the whole process group: the server and the kernels it started
        log.close()


@contextmanager
def running_voila(notebook: Path, root: Path, extra_args: Sequence[str] = (), cwd: Path = REPO,
                  timeout: float = 60) -> Iterator[dict]:
    """``make present``'s Voilà command (:data:`VOILA_ARGS`) for ``notebook`` on a free port, with private
    Jupyter folders under ``root``; yields ``{"url", "log"}`` once the server accepts connections."""
    root.mkdir(parents=True, exist_ok=True)
    env = _private_env(root)
    env["JUPYTER_DATA_DIR"] = str(root / "data")
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "voila"), *VOILA_ARGS, f"--port={port}", *extra_args, str(notebook)]
    log_path = root / "voila.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"voila exited with {proc.returncode}: {log_path.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not accept connections within {timeout:g} s") from None
                time.sleep(0.3)
        yield {"url": f"http://127.0.0.1:{port}/", "log": log_path}
    finally:
        stop_process_group(proc, timeout=15)  # the server and the kernels it started
        log.close()


def run_all_cells(page, timeout_ms: int = 90_000) -> None:
    """In a JupyterLab page with a notebook open: wait until its kernel is idle, then run every cell."""
    page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " const k = w && w.sessionContext && w.sessionContext.session"
                           " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                           timeout=timeout_ms)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


# Installed before the page loads (page.add_init_script). Time stamps, in performance.now() ms, of
# the last key press / pointer event (input), the first websocket message the page sends after it
# (sent: the widget's new value), and the kernel's `idle` status that follows (idle: the kernel has
# run the update path and published every message of it). window.__lat.reply() resolves at idle.
LATENCY_CLOCK_JS = """
(() => {
  if (window.__lat) return;
  const L = window.__lat = {input: null, sent: null, idle: null, waiters: []};
  L.reply = () => L.idle !== null ? Promise.resolve() : new Promise(r => L.waiters.push(r));
  for (const ev of ['keydown', 'pointerdown']) {
    document.addEventListener(ev, () => { L.input = performance.now(); L.sent = null; L.idle = null; }, true);
  }
  const Orig = window.WebSocket;
  const send = Orig.prototype.send;
  Orig.prototype.send = function (data) {
    if (L.input !== null && L.sent === null) L.sent = performance.now();
    return send.call(this, data);
  };
  const dec = new TextDecoder();
  const idle = /"execution_state":\\s*"idle"/;
  window.WebSocket = function (...args) {
    const ws = new Orig(...args);
    ws.addEventListener('message', ev => {
      if (L.sent === null || L.idle !== null) return;
      const d = ev.data;
      const n = typeof d === 'string' ? d.length : (d.byteLength || 0);
      if (n > 4000) return;  // pictures; a status message is a few hundred bytes
      const text = typeof d === 'string' ? d : dec.decode(d);
      if (idle.test(text)) { L.idle = performance.now(); for (const w of L.waiters.splice(0)) w(); }
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""

# Resolve, after an input, with [total, sent, idle, changed]: ms from the input to the frame that shows
# the update (the kernel's reply is in, its messages applied, every visible <img> under `root` decoded,
# and a frame painted), to the message sent, to the kernel's idle; changed: whether what is visible under
# `root` (image sources, classes, styles, text, outside `ignore`) differs from `before` (a signature).
WAIT_PAINTED_JS = """
async ([root, ignore, before, timeoutMs]) => {
  const L = window.__lat;
  const t0 = L.input;
  const ok = await Promise.race([L.reply().then(() => true),
                                 new Promise(r => setTimeout(() => r(false), timeoutMs))]);
  if (!ok) return null;
  await new Promise(r => setTimeout(r, 0));  // let the front end apply the last messages
  const el = document.querySelector(root);
  const imgs = [...el.querySelectorAll('img')].filter(i => i.offsetParent !== null);
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));  // the frame that shows it
  const t = performance.now();
  const sig = window.__signature(root, ignore);
  return [t - t0, L.sent - t0, L.idle - t0, sig !== before];
}
"""

# window.__signature(root, ignore): what is on screen under `root`, as a string (visible images'
# sources, elements' classes and inline styles, text), leaving out the subtrees that match `ignore`
# (the sliders, whose readouts echo every press).
SIGNATURE_JS = """
(() => {
  window.__signature = (root, ignore) => {
    const el = document.querySelector(root);
    const skip = new Set(ignore ? el.querySelectorAll(ignore) : []);
    const parts = [];
    const walk = n => {
      if (skip.has(n)) return;
      if (n.nodeType === 3) { parts.push(n.textContent); return; }
      if (n.nodeType !== 1) return;
      if (n.tagName === 'IMG') { if (n.offsetParent !== null) parts.push(n.src); return; }
      parts.push(n.getAttribute('class') || '', n.getAttribute('style') || '');
      for (const c of n.childNodes) walk(c);
    };
    walk(el);
    return parts.join('|');
  };
})();
"""


#: the URLs a page opened from a file may load with the network off: files, inline data, blobs it made itself
LOCAL_URLS = ("file:", "data:", "blob:")


def offline_context(browser: Any, far: list[str], **kwargs: Any) -> Any:
    """A playwright browser context in which every request for anything but :data:`LOCAL_URLS` is aborted and its
    URL appended to ``far`` (the caller asserts ``far`` is empty, or that a canary request landed in it)."""
    context = browser.new_context(**kwargs)

    def block(route: Any) -> None:
        if route.request.url.startswith(LOCAL_URLS):
            route.continue_()
        else:
            far.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    return context
