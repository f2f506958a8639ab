"""The set-up a newcomer relies on: pinned packages agree, CI runs README's test command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[=<>!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment_pip_requirements() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    reqs = []
    for line in lines[start + 1:]:
        m = re.match(r"^\s{6,}- (\S.*)$", line)
        if not m:
            break
        if not m.group(1).startswith("-e"):
            reqs.append(m.group(1).split("#")[0].strip())
    return {_name(r): r.replace(" ", "") for r in reqs}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    py, env = _pyproject_requirements(), _environment_pip_requirements()
    assert set(py) == set(env), f"only in pyproject: {set(py) - set(env)}; only in environment.yml: {set(env) - set(py)}"
    assert py == env, "the two files pin different versions"


def test_torch_is_pinned():
    py = _pyproject_requirements()
    assert py["torch"] == "torch==2.14.1" and py["torchvision"] == "torchvision==0.29.1"


def test_ci_runs_the_test_command_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "make test" in commands
