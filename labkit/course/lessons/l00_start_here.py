"""Lesson 00 · Start here: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.contract.result import Result
from labkit.course.outcomes import Outcome, Prediction
from labkit.course.vocabulary import Lesson, Plan, Question, quiz

KEY = "00"


def _ps_empty(results: list[Result]) -> Outcome:
    r = results[-1]
    rows = r.stdout.strip().splitlines()
    if r.exit_code == 0 and len(rows) == 1 and rows[0].startswith("CONTAINER ID"):
        return Outcome("only the header line: no containers", frozenset({"a"}))
    if r.exit_code == 0 and not rows:
        return Outcome("nothing at all", frozenset({"c"}))
    if r.exit_code != 0:
        return Outcome("an error", frozenset({"b"}))
    # the set-up emptied this lab; what is listed is what the daemon already ran, which labkit leaves alone (Docker
    # has no system containers of its own: choice d is a misconception, never what happened)
    return Outcome(f"{len(rows) - 1} container(s) listed: ones this Docker already ran, which labkit did not make and "
                   "leaves alone (this lab is empty)")


LESSON = Lesson(
    KEY,
    "Start here",
    Plan(None, False, False, False),
    exercises=(
        quiz(
            "00-model",
            KEY,
            "The mental model: who resolves names",
            question=Question(
                "Container A sends a request to http://server:3000. What turns the name `server` into an address?",
                (
                    ("a", "The host's /etc/hosts file"),
                    ("b", "Docker's embedded DNS server for the network (127.0.0.11)"),
                    ("c", "The -p flag of docker run"),
                    ("d", "NAT rules on the host"),
                ),
                "b",
                "Each user-defined network has an embedded DNS server; containers ask it at 127.0.0.11.",
                mistakes=(
                    ("a", "The host's /etc/hosts is the host's file: a container has an /etc/hosts of its own, and it does "
                     "not list the other containers. Who else could container A ask for a name?"),
                    ("c", "-p publishes a container's port on the host: it opens a door, it never names anything. What does"
                     " A need before any port matters?"),
                    ("d", "NAT rewrites the addresses of packets that cross the host; it needs an address to start from. "
                     "Where does A get B's address from the name `server`?"),
                ),
            ),
            hints=(
                "Look at the mental model this lesson draws: what does container A ask before it knows B's address?",
                "Three of the choices are files, flags or firewall rules; only one of them can be asked a name.",
            ),
        ),
    ),
    predictions={
        "00-ps": Prediction(
            "The lab is empty. What will `docker ps -a` print?",
            (
                ("a", "Only the header line"),
                ("b", "An error: there are no containers"),
                ("c", "Nothing at all"),
                ("d", "Docker's own system containers"),
            ),
            "docker ps -a",
            _ps_empty,
        ),
    },
)
