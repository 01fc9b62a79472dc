"""Lesson 07 · Reachable but refusing: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.contract.result import Result
from labkit.course.outcomes import Outcome, Prediction
from labkit.course.vocabulary import Lesson, Plan, Question, quiz

KEY = "07"


def _ps_server(results: list[Result]) -> Outcome:
    r = results[-1]
    row = next((line for line in r.stdout.splitlines() if line.rstrip().endswith(" server")), "")
    if not row:
        return Outcome("server is not listed", frozenset({"d"}))
    if " Up " in row and "->" in row:
        return Outcome("server is Up, with a published port (an arrow) in PORTS", frozenset({"c"}))
    if " Up " in row and "3000/tcp" in row:
        return Outcome(
            "server is Up, and PORTS shows 3000/tcp with no arrow: declared, not published", frozenset({"a"})
        )
    return Outcome("server is not running (Exited)", frozenset({"b"}))


LESSON = Lesson(
    KEY,
    "Reachable but refusing",
    Plan("loopback", True, True, True),
    exercises=(
        quiz(
            "07-ps",
            KEY,
            "What docker ps proves",
            question=Question(
                "`docker ps` shows server `Up` with `3000/tcp` in PORTS. What does that prove?",
                (
                    ("a", "The app accepts connections from other containers"),
                    ("b", "The container runs and its image declares port 3000; not which address the app listens on"),
                    ("c", "Port 3000 is published on the host"),
                    ("d", "Name resolution for server works"),
                ),
                "b",
                "PORTS shows exposed (declared) ports; published ones would show an arrow (->).",
                mistakes=(
                    ("a", "`Up` says the container's program runs, not which address it listens on. What did client's curl "
                     "get from server in this lesson?"),
                    ("c", "A published port shows in PORTS with the host's side and an arrow (`0.0.0.0:8080->3000/tcp`); "
                     "`3000/tcp` has no arrow."),
                    ("d", "`docker ps` never asks DNS: it lists what the engine knows of each container. What does the "
                     "PORTS column list?"),
                ),
            ),
            hints=(
                "Compare the PORTS column of `docker ps` with what client's curl got from server in this lesson.",
                "PORTS lists the ports an image declares (EXPOSE), and published ones with an arrow (->). Does a "
                "declaration say which address the app listens on?",
            ),
        ),
    ),
    predictions={
        "07-ps": Prediction(
            "Is the server even running? What will `docker ps -a` say about it?",
            (
                ("a", "Up, with 3000/tcp in PORTS"),
                ("b", "Exited"),
                ("c", "Up, with 0.0.0.0:3000->3000/tcp in PORTS"),
                ("d", "It is not listed"),
            ),
            "docker ps -a",
            _ps_server,
        ),
    },
)
