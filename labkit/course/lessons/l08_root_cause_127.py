"""Lesson 08 · The root cause: 127.0.0.1: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.contract.result import Result
from labkit.course.outcomes import HELLO, Outcome, Prediction, last_line, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, answer_equals, exercise

KEY = "08"


def check_listen_address(ctx: Context) -> list[Part]:
    """08: the recorded listen address is the one the engine sees server's app bound to."""
    server = ctx.state.container("server")
    found = [lst.address for lst in (server.listeners if server else []) if lst.port == 3000]
    return [
        answer_equals(
            ctx,
            "08-listen-address",
            found[0] if found else None,
            "the address server's app listens on",
            look_up='`labkit.listening("server")`: the numbers before :3000',
        )
    ]


def _fetch_inside(results: list[Result]) -> Outcome:
    r = results[-1]
    if r.exit_code == 0 and HELLO in r.stdout:
        return Outcome("the request inside server's own namespace got the greeting", frozenset({"a"}))
    return Outcome("the request inside server's own namespace failed: " + last_line(r), frozenset({"b"}))


def _eth0(results: list[Result]) -> Outcome:
    out = results[-1].stdout
    if "eth0 address: ok" in out:
        return Outcome("the connection to server's own eth0 address was accepted", frozenset({"a"}))
    if "eth0 address: refused" in out:
        return Outcome(
            "refused: nothing listens on the eth0 address, even for a program in the same container", frozenset({"b"})
        )
    return other(results[-1])


LESSON = Lesson(
    KEY,
    "The root cause: 127.0.0.1",
    Plan("loopback", True, True, True),
    exercises=(
        exercise(
            "08-listen-address",
            KEY,
            "Record the address server's app listens on",
            2,
            task="Record the address `server`'s app listens on (the address before `:3000`) with "
            '`labkit.answer("08-listen-address", "…")`.',
            hints=(
                "Which helper shows what each app in a container listens on?",
                'Run `labkit.listening("server")` and record the address before `:3000`.',
            ),
            solution='import labkit\nlabkit.answer("08-listen-address", "127.0.0.1")',
            check=check_listen_address,
            kind="answer",
        ),
    ),
    predictions={
        "08-inside": Prediction(
            "From inside the server container, does a request to `127.0.0.1:3000` work?",
            (("a", "Yes: the greeting"), ("b", "No")),
            "urlopen('http://127.0.0.1:3000')",
            _fetch_inside,
        ),
        "08-eth0": Prediction(
            "And from inside the server container, a connection to its own eth0 address, port 3000?",
            (("a", "Accepted"), ("b", "Refused")),
            "connect_ex",
            _eth0,
        ),
    },
)
