"""Lesson 04 · The client container: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.course.nearmiss import Miss
from labkit.course.outcomes import Prediction, nslookup_server
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, on_network, running

KEY = "04"


def check_client(ctx: Context) -> list[Part]:
    """04: the long-running curl client is on day8-net."""
    parts = [running(ctx, "client")]
    c = ctx.state.container("client")
    if c is None:
        return parts
    image = Miss(
        f"its image is {c.image}",
        "The client is the image the one-shot client used, curlimages/curl:8.14.1 (it has curl): remove this container "
        "(`docker rm -f client`) and run it again from that image.",
    )
    parts.append(("client runs the curl image", c.image.startswith("curlimages/curl"), image))
    parts.append(on_network(ctx, "client", "day8-net"))
    return parts


LESSON = Lesson(
    KEY,
    "The client container",
    Plan("loopback", True, True, False),
    exercises=(
        exercise(
            "04-client",
            KEY,
            "Start the long-running client",
            2,
            task="A one-shot client (`docker run --rm … curlimages/curl:8.14.1 …`) runs one request and removes "
            "itself. Start the long-running client the rest of the course uses instead: named `client`, from "
            "`curlimages/curl:8.14.1`, on `day8-net`, idling so that you can `docker exec` into it.",
            hints=(
                "The one-shot client ran curl and was removed. What command keeps a container alive so you can exec into it?",
                "Which image, which network, which name — and `sleep` what?",
            ),
            solution="%docker run -d --name client --network day8-net curlimages/curl:8.14.1 sleep infinity",
            check=check_client,
        ),
    ),
    predictions={
        "04-nslookup": Prediction(
            "A one-shot client on day8-net asks DNS for `server`. What comes back?",
            (
                ("a", "From 127.0.0.11: server's address on day8-net"),
                ("b", "NXDOMAIN: the name is unknown"),
                ("c", "The host's address"),
            ),
            "nslookup -type=a server",
            nslookup_server,
        ),
    },
)
