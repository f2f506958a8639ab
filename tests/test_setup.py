"""The set-up a newcomer relies on: ranges in pyproject, the tested versions pinned once in
constraints.txt (environment.yml follows it), CI runs README's test command, and a wheel built
from the repository installs outside it and works (its pretrained models included)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_requirements() -> list[Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_norm(name)] = version
    return pins


def _environment_pins() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    pins = {}
    for line in lines[start + 1:]:
        m = re.match(r"^\s{6,}- (\S.*)$", line)
        if not m:
            break
        if not m.group(1).startswith("-e"):
            name, _, version = m.group(1).partition("==")
            pins[_norm(name)] = version
    return pins


def test_pyproject_uses_ranges_and_constraints_pin_versions_inside_them():
    pins = _constraints()
    for req in _pyproject_requirements():
        assert not any(s.operator == "==" for s in req.specifier), f"{req}: use a range in pyproject.toml"
        assert _norm(req.name) in pins, f"{req.name} has no tested version in constraints.txt (run make lock)"
        assert req.specifier.contains(pins[_norm(req.name)]), f"constraints.txt pins {req.name} outside {req}"


def test_environment_yml_lists_the_tested_versions():
    env, pins = _environment_pins(), _constraints()
    assert set(env) == {_norm(r.name) for r in _pyproject_requirements()}, "environment.yml and pyproject differ"
    for name, version in env.items():
        assert version == pins[name], f"environment.yml pins {name}=={version}, constraints.txt {pins[name]}"


def test_make_installs_from_the_constraints():
    make = (ROOT / "Makefile").read_text()
    assert "pip install -c constraints.txt -e '.[lab,dev]'" in make
    assert pytest.importorskip("torch").__version__.split("+")[0] == _constraints()["torch"]


def test_ci_runs_the_test_command_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "make test" in commands


WHEEL_CHECK = """
import json, sys, torch
torch.set_num_threads(1)
import vae_lib
from vae_lib import zoo
from vae_lib.widgets import LatentExplorer
assert 'site-packages' in vae_lib.__file__, vae_lib.__file__
model = zoo.load('vae-2d')                   # the checkpoint and manifest come from the installed package
ex = LatentExplorer(model, scatter=False)    # an explorer, without data
before = ex.image.value
ex.set_z([1.0, -1.0])
assert ex.image.value != before and ex.image.value[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
from vae_lib import i18n
i18n._chosen = 'ko'                          # the Korean catalog ships in the wheel too
assert i18n.tr('Latent space') != 'Latent space', 'no compiled Korean catalog in the installed package'
print(json.dumps({'root': str(zoo.default_root()), 'models': len(zoo.names()), 'version': vae_lib.__version__}))
"""


@pytest.mark.slow
def test_a_wheel_installs_outside_the_checkout_and_loads_its_models(tmp_path):
    """Build a wheel, install it into a fresh venv (its dependencies come from this environment through a
    .pth line, which does not activate this environment's editable vae_lib), and use it from a folder
    outside the repository."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, text=True)
    (wheel,) = wheels.glob("vae_lib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    # the runtime ships (the server extension `make` enables); the checkout's build tools and test harness do not
    assert "vae_lib/jupyter_nodelay.py" in names
    assert not [n for n in names if n.startswith("vae_tools/")], "vae_tools (build tools, test harness) is in the wheel"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", purelib,
                    str(wheel)], check=True, capture_output=True, text=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VAE_LIB_ZOO")}
    out = subprocess.run([str(py), "-c", WHEEL_CHECK], cwd=work, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "site-packages" in out.stdout and str(ROOT) not in out.stdout
