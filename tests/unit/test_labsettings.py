"""JupyterLab's news question is answered where the user may write (labkit.admin.labsettings): the environment's
overrides when the environment is theirs, else their own JupyterLab settings; a shared or read-only environment is
never written to, and a value the user set is kept. JupyterLab itself reads what is written (jupyterlab_server)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import get_settings

from labkit.admin import labsettings

SCHEMAS = Path(get_app_dir()) / "schemas"


def _news(app_settings: Path, user_settings: Path) -> dict:
    """The news settings JupyterLab would serve: its defaults after the overrides, then the user's own."""
    result, _ = get_settings(str(app_settings), str(SCHEMAS), str(user_settings), labsettings.PLUGIN)
    defaults = {k: v["default"] for k, v in result["schema"]["properties"].items() if "default" in v}
    return {**defaults, **result["settings"]}


def _read_only(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def _files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def lab_dirs(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """An environment's JupyterLab app folder and the user's own settings folder, both in tmp_path."""
    app, user = tmp_path / "env" / "share" / "jupyter" / "lab", tmp_path / "home" / ".jupyter" / "lab" / "user-settings"
    app.mkdir(parents=True)
    monkeypatch.setenv("JUPYTERLAB_DIR", str(app))
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(user))
    yield app, user
    app.chmod(0o755)


def test_the_users_own_environment_gets_the_overrides(lab_dirs):
    app, user = lab_dirs
    written = labsettings.quiet_news()
    assert written == app / "settings" / "overrides.json" and not user.exists()
    assert _news(app / "settings", user)["fetchNews"] == "false"


def test_a_read_only_environment_is_left_alone_and_the_user_settings_answer(lab_dirs):
    app, user = lab_dirs
    _read_only(app)  # as a wheel's environment made read-only (root too: labkit reads the mode, not only access)
    written = labsettings.quiet_news()
    assert written == user / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    assert _files(app) == []
    news = _news(app / "settings", user)
    assert news["fetchNews"] == "false" and news["checkForUpdates"] is False


def test_an_environment_whose_site_packages_are_read_only_is_not_the_users(lab_dirs, monkeypatch, tmp_path):
    """A venv whose site-packages were made read-only (chmod -R a-w) but whose share/ folder was not: still a shared
    environment, never written to."""
    app, user = lab_dirs
    site = tmp_path / "env" / "lib" / "site-packages"
    _read_only(site)
    monkeypatch.setattr(labsettings, "environment", lambda: (tmp_path / "env", site))
    assert labsettings.users_own(app) and not labsettings.environment_is_users(app / "settings")
    assert labsettings.quiet_news().is_relative_to(user) and _files(app) == []
    site.chmod(0o755)
    assert labsettings.environment_is_users(app / "settings")


def test_another_users_environment_is_never_written(lab_dirs, monkeypatch):
    app, user = lab_dirs
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(app).st_uid + 1)  # as a learner sees the hub's environment
    assert not labsettings.users_own(app / "settings")
    assert labsettings.quiet_news().is_relative_to(user) and _files(app) == []


def test_a_value_the_user_set_is_kept(lab_dirs):
    app, user = lab_dirs
    _read_only(app)
    mine = user / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    mine.parent.mkdir(parents=True)
    mine.write_text(json.dumps({"fetchNews": "true", "doNotDisturbMode": True}))
    labsettings.quiet_news()
    assert json.loads(mine.read_text()) == {"fetchNews": "true", "doNotDisturbMode": True, "checkForUpdates": False}
    assert _news(app / "settings", user)["fetchNews"] == "true"


def test_the_cli_says_where_it_wrote_and_writes_nothing_in_a_read_only_environment(lab_dirs, tmp_path):
    """The issue's case: `labkit workspace` from a read-only environment warned that share/jupyter/lab/settings could
    not be written; now it answers in the user's settings and the environment is untouched."""
    app, user = lab_dirs
    _read_only(app)
    env = {**os.environ, "JUPYTERLAB_DIR": str(app), "JUPYTERLAB_SETTINGS_DIR": str(user)}
    r = subprocess.run([sys.executable, "-m", "labkit", "workspace", "--path", str(tmp_path / "ws")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == (f"  JupyterLab: no news pop-up ({user}/@jupyterlab/apputils-extension/"
                                         "notification.jupyterlab-settings)")
    assert _files(app) == []
