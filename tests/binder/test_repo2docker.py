"""Binder builds the course from binder/: repo2docker's generated Dockerfile (no build, no daemon, no network)
installs binder/environment.yml and runs binder/postBuild, never the root environment.yml; the README's Binder
badge opens a notebook that exists."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_COPIED = {".git", ".venv", "artifacts", ".pytest_cache", ".ruff_cache", "__pycache__", ".ipynb_checkpoints"}


def _clean_copy(dest: Path) -> Path:
    """The files a commit would hold: tracked plus untracked-but-not-ignored (git), else the tree minus local state."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True, timeout=60,
        ).stdout.decode().split("\0")
    except (OSError, subprocess.SubprocessError):
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*NOT_COPIED, "*.egg-info"))
        return dest
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():  # a tracked file deleted in the work tree is not part of the copy
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _dockerfile(repo: Path, cwd: Path) -> str:
    """The Dockerfile repo2docker would build `repo` with (--no-build --debug prints it; nothing is built)."""
    if importlib.util.find_spec("repo2docker") is None:
        pytest.skip("repo2docker is not installed (pip install -e '.[test]')")
    env = {**os.environ, "DOCKER_HOST": f"unix://{cwd}/no-docker-daemon.sock"}  # prove no daemon is consulted
    # cwd: repo2docker reads a repo2docker_config.py from its working directory; a temp dir has none
    r = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(repo)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, f"repo2docker exited {r.returncode}:\n{r.stderr[-3000:]}"
    assert re.search(r"^FROM ", r.stdout, re.M), f"no Dockerfile printed:\n{r.stdout[:2000]}\n{r.stderr[-2000:]}"
    return r.stdout


def _environment_files(dockerfile: str) -> set[str]:
    return set(re.findall(r"""[^\s"']*environment\.yml""", dockerfile))


def test_binder_build_uses_the_binder_folder(tmp_path):
    df = _dockerfile(_clean_copy(tmp_path / "repo"), tmp_path)
    assert re.search(r'env update .*--file "?binder/environment\.yml', df), "conda env not built from binder/environment.yml"
    assert re.search(r"^RUN .*binder/postBuild\s*$", df, re.M), "binder/postBuild is not run"
    assert re.search(r'^ENV R2D_ENTRYPOINT=.*binder/start"?\s*$', df, re.M), "binder/start is not the entrypoint"
    root_env = {p for p in _environment_files(df) if not p.endswith("binder/environment.yml")}
    assert not root_env, f"the build refers to the root environment file: {sorted(root_env)}"


def test_without_binder_folder_the_root_environment_would_be_used(tmp_path):
    """Control: the checks above can tell the two environment files apart."""
    repo = _clean_copy(tmp_path / "repo")
    shutil.rmtree(repo / "binder")
    df = _dockerfile(repo, tmp_path)
    assert re.search(r'env update .*--file "?environment\.yml', df)
    assert not re.search(r"^RUN .*postBuild", df, re.M)


def _binder_links(readme: str) -> list[str]:
    return re.findall(r"\((https://mybinder\.org/v2/[^)\s]+)\)", readme)


def test_readme_binder_badge_opens_an_existing_notebook():
    readme = (ROOT / "README.md").read_text()
    links = _binder_links(readme)
    assert links, "README.md has no mybinder.org link"
    assert "https://mybinder.org/badge_logo.svg" in readme, "README.md has no Binder badge image"
    for link in links:
        urlpath = parse_qs(urlsplit(link).query).get("urlpath", [""])[0]
        assert urlpath.startswith("lab/tree/"), f"{link}: urlpath {urlpath!r} does not open JupyterLab's file view"
        target = urlpath.removeprefix("lab/tree/")
        # workspace/NAME is made by binder/postBuild (`labkit workspace`) from notebooks/NAME
        source = "notebooks/" + target.removeprefix("workspace/") if target.startswith("workspace/") else target
        assert target.endswith(".ipynb") and (ROOT / source).is_file(), f"{link}: {target} is not a notebook in the repo"
