"""Lesson 02 · The server container, internal only: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

import re

from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.outcomes import Outcome, Prediction, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, on_network, published, running

KEY = "02"


def check_server(ctx: Context) -> list[Part]:
    """02: server runs day8 on day8-net with nothing published."""
    c = ctx.state.container("server")
    if c is None:
        return [running(ctx, "server")]
    image = nearmiss.Miss(
        f"its image is {c.image}",
        "The server is the lesson's own image, built as day8: remove this container (`docker rm -f server`) and run it "
        "again from day8.",
    )
    parts = [("server runs the day8 image", c.image.split(":")[0] == "day8", image)]  # first: a wrong image explains the rest
    parts.append(running(ctx, "server"))
    parts.append(on_network(ctx, "server", "day8-net"))
    parts.append(
        ("no port is published", not c.published, "published: " + published(c) + nearmiss.published_where_none_asked(c))
    )
    return parts


def _run_d(results: list[Result]) -> Outcome:
    r = results[-1]
    out = r.stdout.strip()
    if r.exit_code == 0 and re.fullmatch(r"[0-9a-f]{64}", out):
        return Outcome(
            "one line: the new container's full ID; the server's own output goes to its log", frozenset({"b"})
        )
    if "Server listening" in out:
        return Outcome("the server's own output", frozenset({"a"}))
    return other(r) if r.exit_code else Outcome("nothing", frozenset({"c"}))


def _port_none(results: list[Result]) -> Outcome:
    r = results[-1]
    if r.exit_code == 0 and not r.stdout.strip():
        return Outcome("nothing: no host port leads to this container", frozenset({"a"}))
    if r.exit_code == 0:
        return Outcome("a mapping: " + r.stdout.strip().splitlines()[0], frozenset({"c"}))
    return Outcome("an error", frozenset({"d"}))


LESSON = Lesson(
    KEY,
    "The server container, internal only",
    Plan("loopback", True, False, False),
    exercises=(
        exercise(
            "02-server",
            KEY,
            "Run the server on day8-net, with no published port",
            2,
            task="Start the server again: a container named `server`, from the image `day8`, on `day8-net`, "
            "detached (a server runs until it is stopped: it must not block), with no published port.",
            hints=(
                "Which flags give a container a name and put it on a network?",
                "A long-running server in a notebook must not block the cell: which flag detaches it?",
            ),
            solution="%docker run -d --name server --network day8-net day8",
            check=check_server,
        ),
    ),
    predictions={
        "02-run-d": Prediction(
            "What does `docker run -d --name server … day8` print?",
            (("a", "Server listening on port 3000"), ("b", "The new container's ID"), ("c", "Nothing")),
            "docker run -d --name server",
            _run_d,
        ),
        "02-port": Prediction(
            "We published no port. What does `docker port server` show?",
            (
                ("a", "Nothing"),
                ("b", "3000/tcp"),
                ("c", "A mapping such as 3000/tcp -> 0.0.0.0:3000"),
                ("d", "An error"),
            ),
            "docker port server",
            _port_none,
        ),
    },
)
