"""Run lines of the lab: docker command lines on the engine, other lines on the host side.

A transcript file holds one command per line; `#` starts a comment and blank lines are ignored.
Relative paths (a build context, a compose file) are taken from the transcript's own folder.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
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


LOCALHOST = re.compile(r"(?<![\w.-])(localhost|127\.0\.0\.1)(?![\w.-])")


def host_address(engine=None) -> str | None:
    """The engine's private host address, only ever as an IPv4 loopback literal (None for this machine's
    localhost); anything else a daemon reports is refused in one line, never used."""
    address = engine.host_address if engine is not None else None
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is None or ip.version != 4 or not ip.is_loopback:
        raise CommandError(f"labkit: the engine reports a host address that is not a loopback IP address "
                           f"({address!r}); it is not used: restart the engine\n", 1)
    return str(ip)


CURL_LOCAL = re.compile(r"^(?:(https?)://)?localhost(?::(\d+))?(?:[/?#].*)?$", re.IGNORECASE)
SHELL_SYNTAX = re.compile(r"[;&|<>`$(){}\\*?\[\]~!]")


def _aimed(words: list[str], address: str) -> list[str]:
    """words aimed at address. A curl to `localhost` keeps its URL and is told where localhost is (`--resolve`),
    so what it prints names localhost as on this machine's own loopback; any other localhost or 127.0.0.1 is
    rewritten to the address."""
    if words[:1] == ["curl"]:
        resolves = []
        for w in words[1:]:
            m = CURL_LOCAL.match(w)
            if m:
                port = m.group(2) or ("443" if (m.group(1) or "").lower() == "https" else "80")
                if f"localhost:{port}:{address}" not in resolves:
                    resolves.append(f"localhost:{port}:{address}")
        if resolves:
            kept = [w if CURL_LOCAL.match(w) else LOCALHOST.sub(address, w) for w in words[1:]]
            return ["curl", *[x for r in resolves for x in ("--resolve", r)], *kept]
    return [LOCALHOST.sub(address, w) for w in words]


def on_host(line: str, engine=None) -> str:
    """The host-side line aimed at the engine's host: with a private host address (a grader's daemon, a learner's on
    a shared machine) `localhost` means that address (see _aimed); a line with shell syntax is rewritten word for
    word."""
    address = host_address(engine)
    if not address:
        return line
    if not SHELL_SYNTAX.search(line):
        try:
            words = shlex.split(line)
        except ValueError:
            words = []
        if words:
            return shlex.join(_aimed(words, address))
    return LOCALHOST.sub(address, line)


def host_argv(argv: list[str] | str, engine=None) -> list[str]:
    """A host-side command as an argv list (a string is split as the shell would, never run by one), aimed at the
    engine's host like on_host."""
    words = shlex.split(argv) if isinstance(argv, str) else [str(w) for w in argv]
    address = host_address(engine)
    return _aimed(words, address) if address and words else words


def run_host(line: str, cwd: str | None = None, engine=None) -> Result:
    """Run a host-side line the learner typed with /bin/sh on this machine (the engine's host; see on_host)."""
    shown = line
    try:
        line = on_host(line, engine)
    except CommandError as err:
        return Result(shown, err.exit_code, err.stdout, err.stderr)
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


def run_host_argv(argv: list[str] | str, cwd: str | None = None, engine=None) -> Result:
    """Run a host-side command as an argv list (no shell) on this machine, aimed at the engine's host: what checks
    run, so no value from a lab ever reaches a shell."""
    shown = argv if isinstance(argv, str) else shlex.join(argv)
    try:
        words = host_argv(argv, engine)
    except (CommandError, ValueError) as err:
        return Result(shown, 2, "", getattr(err, "stderr", "") or f"labkit: {err}\n")
    try:
        proc = subprocess.run(words, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=HOST_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Result(shown, 124, "", f"labkit: host command timed out after {HOST_TIMEOUT:g} s\n")
    except OSError as err:
        return Result(shown, 127, "", f"labkit: cannot run {words[0] if words else '?'} ({err.strerror})\n")
    return Result(shown, proc.returncode, proc.stdout, proc.stderr)
