"""Run lines of the lab: docker command lines on the engine, other lines on the host side.

A transcript file holds one command per line; `#` starts a comment and blank lines are ignored.
Relative paths (a build context, a compose file) are taken from the transcript's own folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

from labkit import session
from labkit.contract.result import Result
from labkit.errors import CommandError

HOST_TIMEOUT = float(os.environ.get("LABKIT_HOST_TIMEOUT", "60"))


def read_transcript(path: str) -> list[str]:
    """The command lines of a transcript file (comments and blank lines dropped)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise CommandError(f"labkit: cannot read transcript {path}: {err.strerror}; check the path\n", 1) from None
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def is_docker_line(line: str) -> bool:
    """True when the line is a docker command (it starts with the word docker)."""
    return line.split(None, 1)[0] == "docker" if line.strip() else False


def on_host(line: str, engine=None) -> str:
    """The host-side line aimed at the engine's host: an engine with a private host address gets localhost rewritten."""
    address = engine.host_address if engine is not None else None
    if not address:
        return line
    return re.sub(r"(?<![\w.-])(localhost|127\.0\.0\.1)(?![\w.-])", address, line)


def run_host(line: str, cwd: str | None = None, engine=None) -> Result:
    """Run a host-side line with /bin/sh on this machine (the engine's host; see on_host)."""
    shown, line = line, on_host(line, engine)
    try:
        proc = subprocess.run(["/bin/sh", "-c", line], cwd=cwd, capture_output=True, text=True,
                              timeout=HOST_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Result(shown, 124, "", f"labkit: host command timed out after {HOST_TIMEOUT:g} s\n")
    return Result(shown, proc.returncode, proc.stdout, proc.stderr)


def run_line(line: str, cwd: str | None = None, engine=None) -> Result:
    """Run one line: docker lines through the command contract, others on the host side."""
    from labkit.contract.commands import run_command

    try:
        eng = engine or session.current().engine()
    except CommandError as err:
        return Result(line, err.exit_code, err.stdout, err.stderr)
    if not is_docker_line(line):
        return run_host(line, cwd, eng)  # both engines publish ports on this machine's loopback
    return run_command(eng, line, cwd)


def run_docker(line: str, cwd: str | None = None) -> Result:
    """Run one docker command line, with or without its leading `docker`, on the session's engine."""
    line = line.strip()
    if not line.startswith("docker ") and line != "docker":
        line = "docker " + line
    return run_line(line, cwd=cwd)


def replay(path: str, engine=None) -> Iterator[Result]:
    """Run every line of a transcript, in order, from the transcript's folder."""
    base = os.path.dirname(os.path.abspath(path))
    for line in read_transcript(path):
        yield run_line(line, cwd=base, engine=engine)
