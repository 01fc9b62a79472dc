"""Lesson 01 · Explicit network creation: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

import re

from labkit.contract.result import Result
from labkit.course.nearmiss import Miss
from labkit.course.outcomes import Outcome, Prediction, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise

KEY = "01"


def check_network(ctx: Context) -> list[Part]:
    """01: day8-net exists and is a user-defined bridge network."""
    net = ctx.state.network("day8-net")
    if net is None:
        import difflib

        mine = [n.name for n in ctx.state.networks if n.user_defined]
        close = difflib.get_close_matches("day8-net", mine, n=1, cutoff=0.6)
        found = (
            Miss(
                f"you created {close[0]}; the lesson's network is day8-net, character for character",
                f"You know the subcommand; the name is off. Compare {close[0]} with day8-net letter by letter"
                + _differences(close[0])
                + " and create the network with the exact name.",
            )
            if close
            else "there is no network called day8-net"
        )
        return [("a network called day8-net exists", False, found)]
    return [
        ("a network called day8-net exists", True, f"found it ({net.subnet})"),
        (
            "day8-net is a user-defined bridge network",
            net.driver == "bridge" and net.user_defined,
            Miss(
                f"its driver is {net.driver}",
                "A user-defined bridge is what `docker network create` makes with no --driver (or --driver bridge): "
                "remove day8-net and create it again that way.",
            ),
        ),
    ]


def _differences(name: str) -> str:
    """The usual slips between a network's name and day8-net, said in a bracket ("" when none of them)."""
    slips = [("_" in name, "a hyphen, not an underscore"), ("network" in name, "net, not network"),
             (name != name.lower(), "all in lower case")]
    said = [words for slipped, words in slips if slipped]
    return f" ({'; '.join(said)})" if said else ""


def _builtin_networks(results: list[Result]) -> Outcome:
    r = results[-1]
    names = {row.split()[1] for row in r.stdout.strip().splitlines()[1:] if len(row.split()) > 1}
    builtin = {"bridge", "host", "none"}
    if builtin <= names and "day8-net" not in names:
        more = sorted(names - builtin)  # on a daemon shared with others, their networks are listed too
        return Outcome(
            "three networks exist already, built in: bridge, host and none"
            + (f" (and, made by others on this daemon: {', '.join(more)})" if more else ""),
            frozenset({"b"}),
        )
    if not names:
        return Outcome("no networks", frozenset({"a"}))
    return Outcome("these networks: " + ", ".join(sorted(names)), frozenset({"c"} if "day8-net" in names else ()))


def _printed_id(results: list[Result], name_key: str = "b") -> Outcome:
    r = results[-1]
    out = r.stdout.strip()
    if r.exit_code == 0 and re.fullmatch(r"[0-9a-f]{64}", out):
        return Outcome("one line: the new object's full ID (64 hex digits)", frozenset({"c"}))
    if r.exit_code == 0 and not out:
        return Outcome("nothing", frozenset({"a"}))
    return other(r) if r.exit_code else Outcome(f"this: {out.splitlines()[0]}", frozenset({name_key}))


LESSON = Lesson(
    KEY,
    "Explicit network creation",
    Plan("loopback", False, False, False),
    exercises=(
        exercise(
            "01-network",
            KEY,
            "Create the network day8-net",
            2,
            task="Create a user-defined bridge network named `day8-net`: the name the rest of the course uses, "
            "character for character.",
            hints=(
                "Which `docker network` subcommand makes a new network?",
                "The rest of the course uses one exact name. What is it, character for character?",
            ),
            solution="%docker network create day8-net",
            check=check_network,
        ),
    ),
    predictions={
        "01-networks": Prediction(
            "Before we create anything, which networks does the engine already have?",
            (
                ("a", "None"),
                ("b", "Three built-in ones: bridge, host and none"),
                ("c", "day8-net"),
                ("d", "Only bridge"),
            ),
            "docker network ls",
            _builtin_networks,
        ),
        "01-create": Prediction(
            "What does `docker network create day8-net` print on success?",
            (("a", "Nothing"), ("b", "The name, day8-net"), ("c", "A long ID"), ("d", "A table of networks")),
            "docker network create day8-net",
            _printed_id,
        ),
    },
)
