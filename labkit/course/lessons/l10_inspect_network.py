"""Lesson 10 · Inspecting the network: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

import json

from labkit.contract.result import Result
from labkit.course.outcomes import Outcome, Prediction, other
from labkit.course.vocabulary import Lesson, Plan, exercise, recorded_address

KEY = "10"


def _members(results: list[Result]) -> Outcome:
    r = results[-1]
    try:
        members = sorted(m["Name"] for m in json.loads(r.stdout)[0]["Containers"].values())
    except (ValueError, KeyError, IndexError, TypeError):
        return other(r)
    key = {1: "a", 2: "b", 3: "d"}.get(len(members), "")
    return Outcome(
        f"{len(members)} container(s): {', '.join(members)}, each with an address in day8-net's subnet",
        frozenset({key} if key else ()),
    )


LESSON = Lesson(
    KEY,
    "Inspecting the network",
    Plan("fixed", True, True, True),
    exercises=(
        exercise(
            "10-client-ip",
            KEY,
            "Record client's address from the network's own record",
            2,
            task="Record `client`'s address on `day8-net` as the network itself reports it (without the `/16` "
            'suffix) with `labkit.answer("10-client-ip", "…")`.',
            hints=(
                "Which command lists every container attached to a network, with its address?",
                'Look under "Containers" in `docker network inspect day8-net`; record client\'s IPv4Address without /16.',
            ),
            solution='import json, labkit\nnet = json.loads(labkit.docker("network inspect day8-net").stdout)[0]\n'
            'labkit.answer("10-client-ip", next(c["IPv4Address"].split("/")[0] for c in net["Containers"].values() '
            'if c["Name"] == "client"))',
            check=recorded_address(
                "10-client-ip", "client", look_up="client's IPv4Address under Containers in `docker network inspect day8-net`"
            ),
            kind="answer",
        ),
    ),
    predictions={
        "10-members": Prediction(
            "How many containers will `docker network inspect day8-net` list, and with which addresses?",
            (
                ("a", "One: server"),
                ("b", "Two: client and server, each with an address in day8-net's subnet"),
                ("c", "None: containers are not part of a network's record"),
                ("d", "Three: the gateway too"),
            ),
            "docker network inspect day8-net",
            _members,
        ),
    },
)
