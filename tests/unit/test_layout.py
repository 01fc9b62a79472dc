"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CONDA_NAMES = {"docker": "docker-py"}


def _pyproject_deps() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    out = {}
    for dep in data["project"]["dependencies"]:
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", dep).groups()
        out[CONDA_NAMES.get(name.lower(), name.lower())] = spec.strip()
    return out


def _conda_deps(path: Path) -> dict[str, str]:
    out = {}
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, str):
            name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", dep).groups()
            out[name.lower()] = spec.strip()
    return out


def test_environment_files_match_pyproject():
    deps = _pyproject_deps()
    for env in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        conda = _conda_deps(env)
        for name, spec in deps.items():
            assert conda.get(name) == spec, f"{env.name}: {name}{spec} expected, found {name}{conda.get(name)}"


def test_layout_of_the_design_card():
    for part in ("notebooks", "labkit", "tests", "binder", "environment.yml", "README.md", "Makefile"):
        assert (ROOT / part).exists(), part
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
