"""Run the in-page widgets' JavaScript math in Node.js, so that a test compares it with Python without a browser.

:func:`run_js` writes the widget's ES module (``widget._esm``: ``mlp.js``, shared math, the widget's file) into a
temporary ``.mjs`` file followed by a call, runs it with ``node`` and returns the call's JSON result. The module's
top level only defines functions (``render`` touches ``document`` when it is called, never here). Arguments go in
as JSON; ``bytes`` become ``Uint8Array`` (what the binary traits are in the page). Skipped when node is missing.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


_PRELUDE = """
import { readFileSync } from "node:fs";
const __revive = (v) => {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    if (v.$b64 !== undefined) return new Uint8Array(Buffer.from(v.$b64, "base64"));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, __revive(x)]));
  }
  return Array.isArray(v) ? v.map(__revive) : v;
};
const __args = __revive(JSON.parse(readFileSync(process.argv[2], "utf8")));
const __plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : v);
"""


def run_js(esm: str, body: str, args: dict[str, Any], timeout: float = 120) -> Any:
    """Evaluate ``body`` (JavaScript statements that ``return`` a JSON-able value; ``args`` is the dict passed in,
    typed arrays come back as lists through ``__plain``) after the module source ``esm``; its result."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (the in-page math runs in node here; apt-get install nodejs)")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "widget.mjs"
        src.write_text(_PRELUDE + esm + "\nconst __result = ((args) => {\n" + body +
                       "\n})(__args);\nprocess.stdout.write(JSON.stringify(__result, (k, v) => __plain(v)));\n")
        arg_file = Path(tmp) / "args.json"
        arg_file.write_text(json.dumps(_encode(args)))
        done = subprocess.run([node, str(src), str(arg_file)], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"node failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)
