"""`labkit lab`: JupyterLab wired to the same engine as the notebooks, for the learner's terminals too.

`make lab` ends here. The engine is chosen once, as a notebook would choose it (LABKIT_ENGINE, else Docker when a
daemon answers, else the embedded engine), and JupyterLab starts with an environment that every kernel and
terminal inherits:

- LABKIT_ENGINE names the engine chosen, so notebooks and terminals never disagree (and no kernel pings again);
- with the embedded engine, DOCKER_HOST points at its daemon, so a terminal's `docker ps` (the real docker CLI,
  when installed) and a notebook's `!docker ps` show the lab the lessons built;
- the environment's `bin` (labkit, jupyter, python) comes first on PATH, and a bash terminal keeps it: a login
  shell would reset PATH from /etc/profile, so bash starts with an rc file that reads the learner's own
  ~/.bashrc and then puts the folder back in front;
- JupyterLab runs from the workspace, so a terminal opens there.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from labkit.errors import CommandError

RCFILE = ".labkit-terminal.bashrc"  # in the workspace: JupyterLab's file browser hides dot-files


def environment(base: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """The environment JupyterLab starts with (see the module's docstring), and one line saying which engine."""
    from labkit.engines.select import choose

    env = dict(os.environ if base is None else base)
    engine, reason = choose(None)
    env["LABKIT_ENGINE"] = engine.name
    if engine.name == "sim":
        from labkit.engines.sim import daemon

        env["DOCKER_HOST"] = daemon.status().docker_host
    bindir = str(Path(sys.executable).parent)
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != bindir]
    env["PATH"] = os.pathsep.join([bindir, *parts])
    return env, reason


def terminal_rcfile(workspace: Path, bindir: str) -> Path:
    """Write the bash rc file terminals start with: the learner's own settings, then this environment first."""
    path = workspace / RCFILE
    path.write_text("# written by `labkit lab` each time it starts: your terminal's settings, then the course's tools\n"
                    "[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc\n"
                    "[ -f \"$HOME/.bashrc\" ] && . \"$HOME/.bashrc\"\n"
                    f"export PATH={shlex.quote(bindir)}:\"$PATH\"\n")
    return path


def jupyter_argv(workspace: Path, extra: list[str], env: dict[str, str]) -> list[str]:
    """The command that starts JupyterLab on the workspace (a bash terminal gets the rc file; other shells
    start as JupyterLab starts them)."""
    argv = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={workspace}"]
    shell = env.get("SHELL") or shutil.which("bash") or ""
    if Path(shell).name == "bash":
        rc = terminal_rcfile(workspace, str(Path(sys.executable).parent))
        # a string is split as a shell would (jupyter_server_terminals), so one argument carries the command
        argv.append(f"--ServerApp.terminado_settings=shell_command={shlex.join([shell, '--rcfile', str(rc), '-i'])}")
    return argv + list(extra)


def launch(workspace: str, extra: list[str]) -> int:
    """Start JupyterLab on `workspace` wired to the lab's engine (replaces this process); a one-line error when
    the workspace is missing."""
    folder = Path(workspace).expanduser().resolve()
    if not folder.is_dir():
        raise CommandError(f"labkit: no workspace at {folder}; make it first: labkit workspace --path {workspace}\n", 2)
    env, reason = environment()
    sys.stderr.write(f"labkit: JupyterLab on {reason.split(' (')[0]}; its terminals and notebooks reach the same lab"
                     + (f" (DOCKER_HOST={env['DOCKER_HOST']})" if env["LABKIT_ENGINE"] == "sim" else "") + "\n")
    sys.stderr.flush()
    argv = jupyter_argv(folder, extra, env)
    os.chdir(folder)
    os.execve(argv[0], argv, env)
    return 1  # not reached
