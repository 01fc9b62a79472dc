"""The name labkit is installed under is ours: PyPI's `labkit` is an unrelated project, so no `pip install` the
project tells anyone to run (README, environment files, Binder, Makefile, labkit's own messages) names the bare
`labkit`; the distribution is `labkit-netcourse` (labkit.version.DISTRIBUTION), the import name `labkit`."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from labkit.errors import CommandError
from labkit.version import DISTRIBUTION

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
# Files whose `pip install …` commands people copy, and the files whose pip requirements conda installs.
TEXTS = ["README.md", "Makefile", "binder/postBuild", "binder/start", ".ci/run"]
CONDA = ["environment.yml", "binder/environment.yml"]
COMMAND = re.compile(r"pip\s+install\s+([^`#;)\n]*)")  # the arguments, up to the end of a code span or a comment
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(args: list[str]) -> list[str]:
    """The distribution names a pip install's arguments name (options, paths and files left out)."""
    names, skip = [], False
    for arg in args:
        if skip:  # the value of -r/-c/-d/--target …
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in ("-r", "-c", "-d", "-t", "--target", "--requirement", "--constraint", "--prefix", "-i",
                           "--index-url", "--extra-index-url", "-f", "--find-links")
            continue
        if arg.startswith((".", "/", "~", "$")) or arg.endswith((".whl", ".tar.gz", ".zip")) or "://" in arg:
            continue
        found = REQUIREMENT.match(arg)
        if found:
            names.append(_normal(found.group(1)))
    return names


def logical_lines(text: str) -> list[str]:
    """The lines of `text`, a line that ends inside an open `code span` or after a backslash joined to the next."""
    out, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):  # a fence opens or closes a block: its lines are lines
            out += [pending, line] if pending else [line]
            pending = ""
            continue
        pending = f"{pending} {line.strip()}" if pending else line
        if pending.count("`") % 2 == 1 or pending.endswith("\\"):
            pending = pending.removesuffix("\\")
            continue
        out.append(pending)
        pending = ""
    return out + ([pending] if pending else [])


def pip_installs(text: str) -> list[list[str]]:
    """Every `pip install` command in `text`, as argument lists (a command wrapped over two lines is one)."""
    out = []
    for match in (m for line in logical_lines(text) for m in COMMAND.finditer(line)):
        try:
            out.append(shlex.split(match.group(1).replace("\\'", "'").replace('\\"', '"')))
        except ValueError:
            out.append(match.group(1).split())
    return out


def conda_pip_requirements(path: Path) -> list[str]:
    """The pip section of a conda environment file (what conda hands to `pip install`)."""
    out: list[str] = []
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            out += [str(x) for x in dep.get("pip", [])]
    return out


def test_the_distribution_is_ours_and_the_import_name_labkit():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _normal(project["name"]) == _normal(DISTRIBUTION) != "labkit"
    assert project["scripts"]["labkit"].startswith("labkit.")


@pytest.mark.parametrize("rel", TEXTS)
def test_no_pip_install_names_the_bare_labkit(rel):
    for args in pip_installs((ROOT / rel).read_text()):
        names = requirement_names(args)
        assert "labkit" not in names, f"{rel}: pip install {' '.join(args)} installs PyPI's unrelated `labkit`"
        ours = [n for n in names if n.startswith("labkit")]
        assert all(n == _normal(DISTRIBUTION) for n in ours), f"{rel}: pip install {' '.join(args)}"


@pytest.mark.parametrize("rel", CONDA)
def test_no_conda_environment_pip_installs_the_bare_labkit(rel):
    names = requirement_names([a for line in conda_pip_requirements(ROOT / rel) for a in shlex.split(line)])
    assert "labkit" not in names, f"{rel}: its pip section installs PyPI's unrelated `labkit`"


def test_the_readme_installs_labkit_by_its_own_name():
    """The README's Dask and Kubernetes instructions name our distribution (a check that the parsing finds them)."""
    names = [n for args in pip_installs((ROOT / "README.md").read_text()) for n in requirement_names(args)]
    assert names.count(_normal(DISTRIBUTION)) >= 3, names


def test_the_grader_tells_dask_users_our_name(monkeypatch):
    """`labkit grade --scheduler` without Dask says what to install: our distribution, never PyPI's `labkit`."""
    from labkit.grading import cluster

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    with pytest.raises(CommandError) as err:
        cluster.connect("tcp://127.0.0.1:1")
    [args] = pip_installs(err.value.stderr)
    assert requirement_names(args) == [_normal(DISTRIBUTION)]


def test_the_parsing_catches_a_bare_labkit():
    """The checks above would see a wrong line, wrapped or quoted as the README writes them."""
    text = ("workers need (`pip install\n   'labkit[cluster]'`), then `pip install -e .` and `pip install labkit==0.1 x`\n"
            "```bash\npip install 'labkit[cluster]'   # on every machine\ndask scheduler\n```\n"
            "pip install --no-deps \\\n  labkit\n")
    assert [requirement_names(a) for a in pip_installs(text)] == [["labkit"], [], ["labkit", "x"], ["labkit"], ["labkit"]]
