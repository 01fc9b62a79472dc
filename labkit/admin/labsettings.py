"""JupyterLab's news question, answered "no" before it covers the first page: written only where the user may write.

JupyterLab asks every new user whether to fetch its news (the `@jupyterlab/apputils-extension:notification` plugin,
while `fetchNews` is "none"). `labkit workspace` answers it in one of two places:

- the environment's settings overrides (`<app dir>/settings/overrides.json`, the defaults JupyterLab serves) when
  that environment is the user's own: its settings folder and (for JupyterLab's folder inside this Python
  environment) its site-packages are folders they own and may write, as `make lab`'s `.venv` or Binder's
  environment;
- otherwise the user's own JupyterLab settings (`~/.jupyter/lab/user-settings/…/notification.jupyterlab-settings`,
  or under `$JUPYTERLAB_SETTINGS_DIR`), where JupyterLab itself stores the answer when the user clicks "No": a shared
  environment (a JupyterHub's, installed from a wheel, read-only or owned by its administrator) is never written.

Either way a value the user has set stays as it is.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import sysconfig
from pathlib import Path

from labkit.errors import CommandError

PLUGIN = "@jupyterlab/apputils-extension:notification"
NEWS_OFF = {"fetchNews": "false", "checkForUpdates": False}  # never ask about news, never fetch it
LAB_OVERRIDES = {PLUGIN: NEWS_OFF}  # the overrides.json form


def lab_settings_dir() -> Path:
    """JupyterLab's application settings directory (where overrides.json lives) for this Python environment."""
    try:
        from jupyterlab.commands import get_app_dir

        return Path(get_app_dir()) / "settings"
    except ImportError:  # JupyterLab not installed here: its default place
        return Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"


def user_settings_dir() -> Path:
    """The user's own JupyterLab settings directory ($JUPYTERLAB_SETTINGS_DIR, else ~/.jupyter/lab/user-settings)."""
    try:
        from jupyterlab.commands import get_user_settings_dir

        return Path(get_user_settings_dir())
    except ImportError:
        from jupyter_core.paths import jupyter_config_dir

        return Path(os.environ.get("JUPYTERLAB_SETTINGS_DIR") or Path(jupyter_config_dir()) / "lab" / "user-settings")


def users_own(path: Path) -> bool:
    """True when `path` (or, while it does not exist, its nearest existing parent) is a folder the current user owns
    and may write: their own environment, not a shared or read-only one."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    st = existing.stat()
    return st.st_uid == os.geteuid() and bool(st.st_mode & stat.S_IWUSR) and os.access(existing, os.W_OK)


def environment() -> tuple[Path, Path]:
    """This Python environment: its prefix and its site-packages (where labkit and JupyterLab are installed)."""
    return Path(sys.prefix).resolve(), Path(sysconfig.get_path("purelib")).resolve()


def environment_is_users(app_settings: Path) -> bool:
    """True when JupyterLab's application settings folder `app_settings` is the user's to write: their own folder,
    and, when it lies in this Python environment, that environment is theirs too (its site-packages theirs and
    writable: not a shared environment, not one made read-only)."""
    if not users_own(app_settings):
        return False
    prefix, site = environment()
    return prefix not in Path(app_settings).resolve().parents or users_own(site)


def _read_json(target: Path) -> dict:
    if not target.is_file():
        return {}
    try:
        current = json.loads(target.read_text(encoding="utf-8") or "{}")
    except ValueError as err:
        raise CommandError(f"labkit workspace: {target} is not JSON ({err}); fix or remove it\n", 1) from None
    if not isinstance(current, dict):
        raise CommandError(f"labkit workspace: {target} is not a JSON object; fix or remove it\n", 1)
    return current


def quiet_jupyterlab(settings_dir: Path | None = None) -> Path:
    """Merge LAB_OVERRIDES into the overrides.json of JupyterLab's application settings `settings_dir` (default:
    this environment's; other overrides kept); return the file's path."""
    target = Path(settings_dir or lab_settings_dir()) / "overrides.json"
    current = _read_json(target)
    merged = {**current, **{k: {**current.get(k, {}), **v} for k, v in LAB_OVERRIDES.items()}}
    if merged != current or not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return target


def quiet_user_settings(settings_dir: Path | None = None) -> Path:
    """Answer the news question in the user's own JupyterLab settings `settings_dir` (default: user_settings_dir()),
    as JupyterLab does when they click "No"; a value they set is kept. Return the settings file's path."""
    package, plugin = PLUGIN.split(":")
    target = Path(settings_dir or user_settings_dir()) / package / f"{plugin}.jupyterlab-settings"
    current = _read_json(target)
    merged = {**NEWS_OFF, **current}
    if merged != current or not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(merged, indent=4) + "\n", encoding="utf-8")
    return target


def quiet_news() -> Path:
    """Turn JupyterLab's news question off for this user, writing only where they may (see the module's docstring);
    return the file written or left as it was."""
    app = lab_settings_dir()
    return quiet_jupyterlab(app) if environment_is_users(app) else quiet_user_settings()
