"""Lesson 12 · Mapping to Docker Compose: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

import re

from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.outcomes import Outcome, Prediction, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, on_network, running

KEY = "12"


def check_compose(ctx: Context) -> list[Part]:
    """12: the shop project runs, and api reaches db by its service name."""
    parts = [_service(ctx, "shop", "api"), _service(ctx, "shop", "db")]
    if not all(ok for _, ok, _ in parts):
        return parts
    parts.append(on_network(ctx, "shop-api-1", "shop_default"))
    parts.append(on_network(ctx, "shop-db-1", "shop_default"))
    r = ctx.docker("exec shop-api-1 curl -sS -m 5 -o /dev/null -w %{http_code} http://db:5432/")
    parts.append(
        (
            "api reaches db:5432 by its service name",
            r.exit_code == 0 and r.stdout.strip() == "200",
            f"curl said: {(r.stdout.strip() or r.stderr.strip() or str(r.exit_code)).splitlines()[-1]}",
        )
    )
    return parts


def _service(ctx: Context, project: str, service: str) -> Part:
    what, ok, found = running(ctx, f"{project}-{service}-1")
    missing = ctx.state.container(f"{project}-{service}-1") is None
    return what, ok, found + (nearmiss.other_project(ctx.state, service, project) if missing else "")


def _compose_network(results: list[Result]) -> Outcome:
    out = results[-1].stdout + results[-1].stderr
    nets = re.findall(r"Network (\S+)\s+Created", out)
    if not nets:
        return other(results[-1])
    named = {n.lower() for n in nets}
    return Outcome(
        f"Compose created the network {', '.join(nets)} (the project name, then _default)",
        accept=lambda text: text.strip().strip("`'\"").lower() in named,
    )


def _db_and_localhost(results: list[Result]) -> Outcome:
    by_name = {"db": None, "localhost": None}
    for r in results:
        for name in by_name:
            if f"http://{name}:5432" in r.cmd:
                by_name[name] = r.exit_code == 0 and "HTTP 200" in r.stdout
    if None in by_name.values():
        return Outcome("only one of the two requests ran: run the whole cell above")
    db, local = by_name["db"], by_name["localhost"]
    key = {(True, True): "a", (True, False): "b", (False, True): "c", (False, False): "d"}[(db, local)]
    words = {True: "answered (HTTP 200)", False: "got no answer"}
    return Outcome(f"db:5432 {words[db]}; localhost:5432 {words[local]}", frozenset({key}))


LESSON = Lesson(
    KEY,
    "Mapping to Docker Compose",
    Plan("fixed", False, False, False),
    exercises=(
        exercise(
            "12-compose",
            KEY,
            "Bring the shop project up and keep it running",
            2,
            task="Bring the `shop` project (`assets/shop/compose.yaml`) up again and leave it running, so that its "
            "`api` service reaches `db` by its service name.",
            hints=(
                "Compose works from a compose file, named with -f: `docker compose -f assets/shop/compose.yaml …`. "
                "Which subcommand brings its services up?",
                "In a notebook a command must not hold the cell: which flag of `up` starts the services in the "
                "background?",
            ),
            solution="%docker compose -f assets/shop/compose.yaml up -d",
            check=check_compose,
        ),
    ),
    predictions={
        "12-network": Prediction(
            "Which network will Compose create for the project `shop`? Type its name.",
            (),
            "docker compose -f assets/shop/compose.yaml up -d",
            _compose_network,
        ),
        "12-localhost": Prediction(
            "From api, does `db:5432` answer? And `localhost:5432`?",
            (
                ("a", "Both answer"),
                ("b", "db:5432 answers, localhost:5432 does not"),
                ("c", "localhost:5432 answers, db:5432 does not"),
                ("d", "Neither"),
            ),
            ":5432",
            _db_and_localhost,
        ),
    },
)
