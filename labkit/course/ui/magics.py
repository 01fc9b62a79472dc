"""IPython magics: `%docker …` for one command, `%%docker` for one command per line."""

from __future__ import annotations

import sys

from IPython.core.magic import no_var_expand

from labkit.contract.containers import NOT_A_TTY
from labkit.contract.result import Live, Result, live_output
from labkit.contract.transcript import run_docker, run_line


def show(result: Result) -> None:
    """Print a result the way a terminal shows it: stdout, then stderr (and keep it for labkit.reveal)."""
    from labkit.course.predictions import witness

    witness(result)
    if result.stdout:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
        sys.stderr.flush()


def run_live(line: str) -> None:
    """Run one docker command, its output printed as it comes (a blocking `docker run` streams its server's
    lines), and keep the result for labkit.reveal."""
    from labkit.course.predictions import witness

    live = Live(sys.stdout, sys.stderr)
    token = live_output.set(live)
    try:
        result = run_docker(line)
    finally:
        live_output.reset(token)
    if result.stderr.endswith(NOT_A_TTY) and result.exit_code == 1:  # -it: say what works in a notebook
        result.stderr += ("labkit: a notebook cell is not a terminal, so -it cannot attach; drop -it and give the "
                          "command, e.g. %docker exec client sh -c 'getent hosts server; curl -sS server:3000'\n")
    witness(result)
    out, err = live.rest(result)  # what did not go through the live streams (errors raised before any output)
    if out:
        sys.stdout.write(out)
        sys.stdout.flush()
    if err:
        sys.stderr.write(err)
        sys.stderr.flush()


@no_var_expand  # `{{.Names}}` and curl's `%{http_code}` reach docker and the shell as written
def docker_line(line: str) -> None:
    """`%docker ps`: run one docker command and print its output."""
    run_live(line)


@no_var_expand
def docker_cell(line: str, cell: str) -> None:
    """`%%docker`: run each non-blank, non-comment line of the cell as a docker command."""
    for raw in cell.splitlines():
        text = raw.strip()
        if text and not text.startswith("#"):
            run_live(text)


@no_var_expand
def host_line(line: str) -> None:
    """`%host curl -sS http://localhost:8080`: run a command on the host side of the lab and print its output."""
    show(run_line(line))


def register(ipython) -> None:
    """Register the magics on an IPython shell (and its `!docker` and `%%writefile` guards: shellhooks) and say, in
    one line, which engine runs and why."""
    from labkit import session
    from labkit.course.ui import shellhooks
    from labkit.errors import CommandError

    ipython.register_magic_function(docker_line, "line", "docker")
    ipython.register_magic_function(docker_cell, "cell", "docker")
    ipython.register_magic_function(host_line, "line", "host")
    shellhooks.install(ipython)
    try:
        print(session.current().reason())
    except CommandError as err:
        sys.stderr.write(err.stderr)
    from labkit.contract import commands  # noqa: F401 - loaded now, so the first %docker costs no more than the next
