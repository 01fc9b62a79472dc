"""Lesson 13 · Mapping to Kubernetes: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.outcomes import Outcome, Prediction, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise

KEY = "13"


def check_replicas(ctx: Context) -> list[Part]:
    """13: three running replicas answer to user-service, each serving on 0.0.0.0:3000."""
    replicas = [
        c
        for c in ctx.state.containers
        if c.running and any("user-service" in ep.aliases and ep.network == "day8-net" for ep in c.endpoints)
    ]
    names = ", ".join(c.name for c in replicas) or "none"
    parts = [
        (
            "three running containers answer to user-service on day8-net",
            len(replicas) >= 3,
            f"found {len(replicas)}: {names}" + nearmiss.replica_misses(ctx.state, "user-service", "day8-net"),
        )
    ]
    serving = [c.name for c in replicas if any(lst.port == 3000 and lst.all_interfaces for lst in c.listeners)]
    parts.append(
        (
            "every replica serves on 0.0.0.0:3000",
            bool(replicas) and len(serving) == len(replicas),
            f"serving: {', '.join(serving) or 'none'}" + nearmiss.not_serving(replicas, 3000),
        )
    )
    r = ctx.docker("exec client nslookup -type=a user-service")
    count = r.stdout.count("Address:") - 1 if r.exit_code == 0 else 0
    parts.append(
        (
            "client's DNS lookup of user-service returns three addresses",
            count >= 3,
            f"nslookup returned {max(count, 0)} address(es)",
        )
    )
    return parts


def _dns_count(results: list[Result]) -> Outcome:
    r = results[-1]
    count = r.stdout.strip()
    if r.exit_code != 0 or not count.isdigit() or count == "0":
        return Outcome("no address: the name does not resolve", frozenset({"c"}))
    return Outcome(f"{count} address(es), one per running replica", frozenset({"a" if count == "1" else "b"}))


def _second_server(results: list[Result]) -> Outcome:
    r = results[-1]
    code = r.stdout.strip()
    if r.exit_code == 0 and code == "1":
        return Outcome(
            "the second server exited with code 1: its port was taken (Address already in use)", frozenset({"b"})
        )
    if r.exit_code == 0 and code == "0":
        return Outcome("the second server exited with code 0", frozenset({"c"}))
    return other(r)


LESSON = Lesson(
    KEY,
    "Mapping to Kubernetes",
    Plan("fixed", True, True, True),
    exercises=(
        exercise(
            "13-replicas",
            KEY,
            "Scale user-service to three replicas",
            3,
            task="The containers `user-1` and `user-2` (from `day8`, on `day8-net`) both answer to the name "
            "`user-service`. Scale `user-service` to three replicas: add a container `user-3` that answers "
            "to the same name.",
            hints=(
                "How did user-1 and user-2 get the shared name user-service?",
                "Run a third container user-3 from day8 on day8-net with the same --network-alias.",
            ),
            solution="%docker run -d --name user-3 --network day8-net --network-alias user-service day8",
            check=check_replicas,
        ),
    ),
    predictions={
        "13-dns": Prediction(
            "user-1 and user-2 both answer to `user-service`. What does DNS return for it?",
            (("a", "One address"), ("b", "Two addresses, one per replica"), ("c", "No address: a name, one container")),
            "nslookup -type=a user-service",
            _dns_count,
        ),
        "13-port-taken": Prediction(
            "A second server joins server's network namespace and binds port 3000 too. What happens to it?",
            (
                ("a", "It serves alongside: each container has its own ports"),
                ("b", "It dies: the namespace's port 3000 is taken (Address already in use)"),
                ("c", "It waits until the port is free"),
            ),
            "docker wait second",
            _second_server,
        ),
    },
)
