"""Lesson 11 · Ports are only for the host: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.outcomes import HELLO, PUBLISHED_LOOPBACK, Outcome, Prediction, curl_outcome, other
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, published, running

KEY = "11"


def check_publish(ctx: Context) -> list[Part]:
    """11: public publishes 8080->3000 and the host gets the greeting through it."""
    parts = [running(ctx, "public")]
    c = ctx.state.container("public")
    if c is None:
        return parts
    mapping = [p for p in c.published if p.host_port == 8080 and p.container_port == 3000]
    parts.append(
        (
            "public publishes host port 8080 to container port 3000",
            bool(mapping),
            "published: " + published(c) + nearmiss.reversed_publish(c, 8080, 3000),
        )
    )
    r = ctx.host(["curl", "-sS", "-m", "5", "http://localhost:8080"])
    parts.append(
        (
            "the host gets the greeting from http://localhost:8080",
            r.exit_code == 0 and HELLO in r.stdout,
            f"curl said: {(r.stdout.strip() or r.stderr.strip() or str(r.exit_code)).splitlines()[-1]}"
            + (nearmiss.loopback_app(c, 3000) if mapping else ""),
        )
    )
    return parts


def _port_interfaces(results: list[Result]) -> Outcome:
    r = results[-1]
    hosts = [line.split(" -> ", 1)[1].rsplit(":", 1)[0] for line in r.stdout.splitlines() if " -> " in line]
    if r.exit_code != 0 or not hosts:
        return other(r)
    if "0.0.0.0" in hosts:
        return Outcome(
            "every interface of the host: 0.0.0.0 (IPv4) and [::] (IPv6), not only localhost", frozenset({"b"})
        )
    return Outcome("only " + ", ".join(hosts), frozenset({"a"}))


LESSON = Lesson(
    KEY,
    "Ports are only for the host",
    Plan("fixed", True, True, True, loopback_image=True),
    exercises=(
        exercise(
            "11-publish",
            KEY,
            "Publish the fixed server to the host on port 8080",
            2,
            task="Run the fixed server (image `day8`, its app on port 3000) as a container named `public` that "
            "the host can reach on port 8080.",
            hints=(
                "Which flag of docker run maps a host port to a container port, and in which order are they written?",
                "Name it public, use the day8 image, and map host 8080 to container 3000.",
            ),
            solution="%docker run -d --name public -p 8080:3000 day8",
            check=check_publish,
        ),
    ),
    predictions={
        "11-host-3000": Prediction(
            "From the host, does `curl http://localhost:3000` reach server (no -p)?",
            (
                ("a", "Yes: the greeting"),
                ("b", "No: refused, nothing on the host listens on 3000"),
                ("c", "No: accepted, then dropped"),
                ("d", "No: a timeout"),
            ),
            "http://localhost:3000",
            curl_outcome(refused="b", dropped="c"),
        ),
        "11-interfaces": Prediction(
            "`-p 8081:3000`: on which of the host's addresses does Docker accept connections for port 8081?",
            (
                ("a", "Only localhost (127.0.0.1)"),
                ("b", "Every interface of the host (0.0.0.0 and [::])"),
                ("c", "Only the address of the docker0 bridge"),
            ),
            "docker port demo-published",
            _port_interfaces,
        ),
        "11-loopback": Prediction(
            "Publish the original server (`day8:loopback`, bound to 127.0.0.1) with `-p 8082:3000`. What does the "
            "host's curl get?",
            PUBLISHED_LOOPBACK,
            "http://localhost:8082",
            curl_outcome(refused="b", dropped="c"),
        ),
    },
)
