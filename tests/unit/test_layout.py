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


# -- the README's Layout and the tree -------------------------------------------------------------------------
DESCRIPTION_COLUMN = 16  # a line indented this far continues the entry above it
PY_NAME = re.compile(r"(?<![\w*.])([A-Za-z_]\w*\.py)\b")


def _layout_entries() -> list[tuple[Path, str]]:
    """The Layout's entries under labkit/ as (the path it names, its text with its continuation lines)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    entries: list[tuple[int, str, str]] = []  # (indent, name, text)
    for line in block.splitlines()[1:]:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip():
            continue
        if indent >= DESCRIPTION_COLUMN and entries:
            entries[-1] = (*entries[-1][:2], entries[-1][2] + " " + line.strip())
        else:
            entries.append((indent, line.split()[0].rstrip(","), line.strip()))
    named: list[tuple[Path, str]] = []
    stack: list[tuple[int, Path]] = []  # the folders enclosing the current entry
    for indent, name, body in entries:
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else ROOT
        path = parent / name.rstrip("/")
        if name.endswith("/"):
            stack.append((indent, path))
        if path == ROOT / "labkit" or (ROOT / "labkit") in path.parents:
            named.append((path, body))
    return named


def test_the_layout_names_every_package_folder_of_labkit_and_only_folders_that_exist():
    named = {path for path, _ in _layout_entries() if not path.suffix}
    packages = {init.parent for init in (ROOT / "labkit").rglob("__init__.py")}
    assert not {p for p in named if not (p / "__init__.py").is_file()}, "the Layout names folders that are not packages"
    assert not packages - named, "package folders the README's Layout does not name"


def test_every_module_the_layout_names_exists_where_it_says():
    for path, body in _layout_entries():
        folder = path if not path.suffix else path.parent
        for module in PY_NAME.findall(body):
            assert (folder / module).is_file(), f"the Layout names {module} in {folder.relative_to(ROOT)}/"


def test_the_layout_is_read_as_a_tree():
    entries = dict(_layout_entries())
    assert ROOT / "labkit" / "engines" / "sim" / "tools" in entries
    assert "DockerEngine" in entries[ROOT / "labkit" / "engines" / "apiclient"]  # a continuation line is its entry's
