"""IPython magics: `%docker …` for one command, `%%docker` for one command per line."""

from __future__ import annotations

import sys

from labkit.contract.result import Result
from labkit.contract.transcript import run_docker, run_line


def show(result: Result) -> None:
    """Print a result the way a terminal shows it: stdout, then stderr."""
    if result.stdout:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
        sys.stderr.flush()


def docker_line(line: str) -> None:
    """`%docker ps`: run one docker command and print its output."""
    show(run_docker(line))


def docker_cell(line: str, cell: str) -> None:
    """`%%docker`: run each non-blank, non-comment line of the cell as a docker command."""
    for raw in cell.splitlines():
        text = raw.strip()
        if text and not text.startswith("#"):
            show(run_docker(text))


def host_line(line: str) -> None:
    """`%host curl -sS http://localhost:8080`: run a command on the host side of the lab and print its output."""
    show(run_line(line))


def register(ipython) -> None:
    """Register the magics on an IPython shell and say, in one line, which engine runs and why."""
    from labkit import session
    from labkit.errors import CommandError

    ipython.register_magic_function(docker_line, "line", "docker")
    ipython.register_magic_function(docker_cell, "cell", "docker")
    ipython.register_magic_function(host_line, "line", "host")
    try:
        print(session.current().reason())
    except CommandError as err:
        sys.stderr.write(err.stderr)
    from labkit.contract import commands  # noqa: F401 - loaded now, so the first %docker costs no more than the next
