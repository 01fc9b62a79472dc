"""What a prediction is written in: its question, its choices (or free text), the command that reveals it, and a
judge that reads what that command really did (exit code and output) and says which choices held. Each lesson module
(labkit.course.lessons) writes its own predictions with these; the judges several lessons share are here.

Each outcome's description is fixed text (no ids, addresses or timings), so a reveal with no prediction prints
the same on both engines. A judge that meets an outcome it does not know says so with curl's own last line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from labkit.contract.result import Result

HELLO = "Hello from inside the container"


@dataclass(frozen=True)
class Outcome:
    """What happened, in fixed words, and which choices it makes true (or, for free text, a test of the text)."""

    happened: str
    keys: frozenset[str] = frozenset()
    accept: Callable[[str], bool] | None = None

    def holds(self, guess: str) -> bool:
        """True when the guess (a choice key or a text) matches what happened."""
        return self.accept(guess) if self.accept else guess in self.keys


@dataclass(frozen=True)
class Prediction:
    """One prediction: question, choices (empty: free text), the revealing command and its judge."""

    prompt: str
    choices: tuple[tuple[str, str], ...]
    command: str  # the command that reveals it, as the lesson writes it
    judge: Callable[[list[Result]], Outcome]
    needle: str = field(default="")  # a result whose command contains this reveals it (default: command)

    def reveals(self, result: Result) -> bool:
        """True when this result is the revealing command's."""
        return (self.needle or self.command) in result.cmd


def last_line(r: Result) -> str:
    """The last line a command printed (stderr first), or its exit code."""
    lines = (r.stderr.strip() or r.stdout.strip() or f"exit code {r.exit_code}").splitlines()
    return lines[-1]


def other(r: Result) -> Outcome:
    """An outcome none of the choices describes, in the command's own last line."""
    return Outcome(f"something none of the choices describes: {last_line(r)}")


# -- judges shared by several predictions ----------------------------------------------------
def curl_outcome(refused: str = "b", dropped: str = "c", greeting: str = "a", unresolved: str = "",
                 timeout: str = "d") -> Callable[[list[Result]], Outcome]:
    """Judge a curl by its exit code: the greeting (0), no such name (6), refused (7), timed out (28), or
    accepted then dropped (52 empty reply, 56 reset: which one is a race on Docker, so either holds)."""
    def judge(results: list[Result]) -> Outcome:
        r = results[-1]
        if r.exit_code == 0 and HELLO in r.stdout:
            return Outcome("the request got the greeting, Hello from inside the container", frozenset({greeting}))
        if r.exit_code == 6 and unresolved:
            return Outcome("curl could not resolve the name (curl 6): no DNS answer for it", frozenset({unresolved}))
        if r.exit_code == 7:
            return Outcome("the connection was refused (curl 7): nothing listens on that address and port",
                           frozenset({refused}))
        if r.exit_code == 28 and timeout:
            return Outcome("curl gave up after its timeout (curl 28): the packets reached nobody",
                           frozenset({timeout}))
        if r.exit_code in (52, 56):
            return Outcome("the connection was accepted and then dropped — curl 52 (empty reply) or 56 (reset), "
                           "which one is a race: Docker's port forwarder took the connection, then found nothing "
                           "listening on the container's eth0", frozenset({dropped}))
        return other(r)

    return judge


def nslookup_server(results: list[Result]) -> Outcome:
    """Judge an nslookup of server: Docker's embedded DNS answered with its address, or the name is unknown."""
    r = results[-1]
    if "127.0.0.11" in r.stdout and re.search(r"Name:\s*server\s*\nAddress: \S+", r.stdout):
        return Outcome("127.0.0.11, Docker's embedded DNS server inside the container, answered with server's "
                       "address on day8-net", frozenset({"a"}))
    if "NXDOMAIN" in r.stdout:
        return Outcome("the DNS server does not know the name (NXDOMAIN)", frozenset({"b"}))
    return other(r)


# the choices of the "publish a loopback-bound app and ask from the host" prediction (lesson 11; 08 points to it and
# 14 refers back to it, so the course asks it once)
PUBLISHED_LOOPBACK = (("a", "The greeting: -p fixes it"), ("b", "Refused at once (curl 7): nothing on the host listens"),
                      ("c", "The host's side accepts, then the connection is dropped (curl 52 or 56)"),
                      ("d", "A timeout (curl 28)"))
