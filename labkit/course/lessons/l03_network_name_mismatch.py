"""Lesson 03 · The network-name mismatch: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

import re

from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.outcomes import Outcome, Prediction, curl_outcome, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, running

KEY = "03"


def check_same_network(ctx: Context) -> list[Part]:
    """03: client and server share a network, so server resolves inside client."""
    parts = [running(ctx, "client"), running(ctx, "server")]
    if not all(ok for _, ok, _ in parts):
        return parts
    client, server = ctx.state.container("client"), ctx.state.container("server")
    shared = sorted({ep.network for ep in client.endpoints} & {ep.network for ep in server.endpoints})
    parts.append(
        (
            "client and server share a network",
            bool(shared),
            f"client: {', '.join(ep.network for ep in client.endpoints)}; "
            f"server: {', '.join(ep.network for ep in server.endpoints)}",
        )
    )
    r = ctx.docker("exec client getent hosts server")
    parts.append(
        (
            "the name server resolves inside client",
            r.exit_code == 0,
            r.stdout.strip()
            or "getent found no address for server" + nearmiss.shared_default_bridge_only(client, server),
        )
    )
    return parts


def _typo_network(results: list[Result]) -> Outcome:
    r = results[-1]
    created = bool(re.match(r"[0-9a-f]{64}", r.stdout.strip()))
    if r.exit_code != 0 and "not found" in r.stderr:
        if created:
            return Outcome(
                "an error (network … not found), after the container was created: it stays, in state "
                "Created, holding the name",
                frozenset({"c"}),
            )
        return Outcome("an error (network … not found), and no container is left", frozenset({"b"}))
    if r.exit_code == 0:
        return Outcome("the container runs", frozenset({"a", "d"}))
    return other(r)


LESSON = Lesson(
    KEY,
    "The network-name mismatch",
    Plan("loopback", True, True, False),
    exercises=(
        exercise(
            "03-same-network",
            KEY,
            "Put client on server's network",
            2,
            task="`client` runs on `day8-network` and `server` on `day8-net`, so the name `server` does not "
            "resolve inside `client`. Make `server` resolvable from `client` without re-creating "
            "`server`.",
            hints=(
                "Which networks are client and server on? Compare the names character by character.",
                "Can an existing container join a second network without being re-created? Look at `docker network --help`.",
            ),
            solution="%docker network connect day8-net client",
            check=check_same_network,
        ),
    ),
    predictions={
        "03-typo": Prediction(
            "You mistype the network name: `docker run -d --name client --network day8-netwrok …`. What happens?",
            (
                ("a", "Docker creates the network day8-netwrok and runs the container"),
                ("b", "An error, and nothing is left behind"),
                ("c", "An error — but the container was created first, and it keeps the name client"),
                ("d", "It runs on the default bridge instead"),
            ),
            "--network day8-netwrok",
            _typo_network,
        ),
        "03-isolated": Prediction(
            "client is on day8-network, server on day8-net. From client, `curl http://server:3000`?",
            (
                ("a", "The greeting"),
                ("b", "The name does not resolve (curl 6)"),
                ("c", "Refused (curl 7)"),
                ("d", "A timeout (curl 28)"),
            ),
            "docker exec client curl -sS -m 5 http://server:3000",
            curl_outcome(refused="c", greeting="a", unresolved="b", timeout="d", dropped=""),
        ),
    },
)
