"""What `%load_ext labkit` changes in IPython besides the magics: `!docker …` and `%%writefile` into a missing folder.

- `!docker ps` runs the docker CLI in a shell. It reaches the lab's engine only when there is a docker CLI and it
  talks to the same daemon labkit does (with the embedded engine: DOCKER_HOST names its socket, as `make lab` and
  `labkit lab` set it). Then the line runs as typed; otherwise it prints one line saying to use `%docker ps`
  (an input transformer of IPython's, applied when a cell runs, never when a front end asks whether a cell is
  complete).
- `%%writefile day8/server.py` (IPython's own magic) raises FileNotFoundError when the folder does not exist yet:
  the lesson's first cell makes the learner's copy of the server. It says so in one line instead.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable

BANG_DOCKER = re.compile(r"^(?P<indent>[ \t]*)!{1,2}[ \t]*(?P<cmd>docker(?:[ \t].*)?)$")
LESSON_FILE = re.compile(r"^(?P<key>\d{2})-")


def docker_cli_misses() -> str | None:
    """Why this kernel's `docker` command would not reach the lab's engine, in a few words; None when it would
    (or when there is no engine to reach, so the CLI says what it says)."""
    if shutil.which("docker") is None:
        return "this kernel has no docker command"
    from labkit import session
    from labkit.errors import LabkitError

    try:
        engine = session.current().engine()
    except LabkitError:
        return None
    socket = getattr(engine, "socket", None)
    if engine.name != "sim" or not socket:
        return None  # a Docker daemon: the CLI finds it as labkit does (DOCKER_HOST, the docker context)
    wanted = os.environ.get("DOCKER_HOST") or ""
    if wanted.startswith("unix://") and os.path.realpath(wanted[len("unix://"):]) == os.path.realpath(socket):
        return None
    return ("the docker command here would not reach the lab's engine (labkit's embedded one: DOCKER_HOST "
            + ("names another daemon" if wanted else "is not set to it") + ")")


def said_no(cmd: str) -> bool:
    """When the cell runs: whether `!{cmd}` must not run (the docker CLI would not reach the lab's engine); then it
    has printed one line saying to use `%{cmd}`."""
    why = docker_cli_misses()
    if why is None:
        return False
    sys.stderr.write(f"labkit: {why}; use %{cmd}\n")
    sys.stderr.flush()
    return True


def bang_docker(lines: list[str]) -> list[str]:
    """IPython input transformer: each `!docker …` line runs as typed only if, when it runs, the docker CLI reaches
    the lab's engine (said_no); otherwise it prints one line saying to use `%docker …`. Cell magics' bodies are left
    as written."""
    if not lines or lines[0].startswith("%%"):
        return lines
    out = []
    for line in lines:
        m = BANG_DOCKER.match(line.rstrip("\r\n"))
        if m is None:
            out.append(line)
            continue
        indent, cmd = m["indent"], m["cmd"].strip()
        out.append(f"{indent}if not __import__({__name__!r}, fromlist=['said_no']).said_no({cmd!r}):\n")
        typed = line.strip(" \t\r\n")
        out.append(f"{indent}    {typed}\n")
    return out


# a line becomes a compound statement: a front end asking whether a cell is complete sees the line as typed
bang_docker.has_side_effects = True  # type: ignore[attr-defined]


def missing_folder(line: str) -> str | None:
    """The folder a `%%writefile` line writes into when it does not exist; None when it exists (or the line is
    not one IPython would accept: IPython says so itself)."""
    try:
        words = [w for w in shlex.split(line) if w not in ("-a", "--append")]
    except ValueError:
        return None
    if len(words) != 1:
        return None
    folder = os.path.dirname(os.path.expanduser(words[0]))
    return folder if folder and not os.path.isdir(folder) else None


def _lesson_cell() -> str:
    """The lesson's first cell, as the learner sees it: labkit.lesson("09") when the lesson is known."""
    from labkit import session

    key = session.current().lesson
    if not key:
        m = LESSON_FILE.match(os.path.basename(os.environ.get("JPY_SESSION_NAME") or ""))
        key = m["key"] if m else None
    return f'labkit.lesson("{key}")' if key else "labkit.lesson(…)"


def missing_folder_line(folder: str) -> str:
    """The one line `%%writefile` gives for a folder that does not exist."""
    from labkit.course.labbuild import WORKDIR

    if os.path.normpath(folder) == os.path.normpath(str(WORKDIR)):
        return (f"labkit: {folder}/ does not exist yet: run the lesson's first cell ({_lesson_cell()}) first, "
                "it makes your copy of the server there; then run this cell again\n")
    return f"labkit: the folder {folder}/ does not exist: make it first (%mkdir {folder}), then run this cell again\n"


def guard_writefile(original: Callable[[str, str], object]) -> Callable[[str, str], object]:
    """IPython's `%%writefile`, saying in one line when the file's folder does not exist."""

    def writefile(line: str, cell: str):
        """IPython's %%writefile (labkit: a missing folder is one line, not a traceback)."""
        folder = missing_folder(line)
        if folder is not None:
            sys.stderr.write(missing_folder_line(folder))
            return None
        return original(line, cell)

    writefile.labkit_wraps = original  # type: ignore[attr-defined]
    return writefile


def install(ipython) -> None:
    """Add the `!docker` transformer and the guarded `%%writefile` to an IPython shell (once, however often
    `%load_ext`/`%reload_ext labkit` runs)."""
    cleanup = ipython.input_transformers_cleanup
    cleanup[:] = [t for t in cleanup if getattr(t, "__name__", "") != bang_docker.__name__
                  or getattr(t, "__module__", "") != __name__] + [bang_docker]
    manager = ipython.magics_manager
    find = getattr(manager, "find", None)  # IPython 9 registers some magics lazily: find() loads the real one
    original = find("cell", "writefile") if find is not None else manager.magics["cell"].get("writefile")
    if original is not None:
        original = getattr(original, "labkit_wraps", original)
        ipython.register_magic_function(guard_writefile(original), "cell", "writefile")
