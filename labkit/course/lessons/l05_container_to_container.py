"""Lesson 05 · Container to container by name: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.course.outcomes import Outcome, Prediction, curl_outcome, nslookup_server
from labkit.course.vocabulary import Lesson, Plan, exercise, recorded_address

KEY = "05"

LESSON = Lesson(
    KEY,
    "Container to container by name",
    Plan("loopback", True, True, True),
    exercises=(
        exercise(
            "05-server-ip",
            KEY,
            "Record server's address, found through DNS",
            2,
            task="Find `server`'s address on `day8-net` through DNS, from inside `client`, and record it with "
            '`labkit.answer("05-server-ip", "…")`.',
            hints=(
                "Which tool inside client asks the DNS server for a name's address?",
                "Run `docker exec client nslookup -type=a server` and read the last `Address:` line.",
            ),
            solution="import labkit\n"
            'labkit.answer("05-server-ip", labkit.docker("exec client getent hosts server").stdout.split()[0])',
            check=recorded_address(
                "05-server-ip", "server", look_up="the last `Address:` of `nslookup -type=a server` inside client"
            ),
            kind="answer",
        ),
    ),
    predictions={
        "05-dns": Prediction(
            "Inside client, who answers DNS questions, and what does it say about `server`?",
            (
                ("a", "127.0.0.11 (Docker's embedded DNS), with server's address on day8-net"),
                ("b", "The host's resolver: it does not know server"),
                ("c", "A public DNS server"),
            ),
            "docker exec client nslookup -type=a server",
            nslookup_server,
        ),
        "05-web": Prediction(
            "No port is published. Does client get an HTTP answer from `http://web:8000/`?",
            (
                ("a", "Yes: HTTP 200"),
                ("b", "No: refused, because nothing is published"),
                ("c", "No: the name does not resolve"),
            ),
            "http://web:8000/",
            lambda rs: (
                Outcome("HTTP 200: name → DNS → address → app, no published port", frozenset({"a"}))
                if rs[-1].exit_code == 0 and "HTTP 200" in rs[-1].stdout
                else curl_outcome(refused="b", unresolved="c", greeting="a", dropped="", timeout="")(rs)
            ),
        ),
        "05-hello": Prediction(
            "And `curl http://server:3000` from client, the request from the notes?",
            (
                ("a", "Hello from inside the container"),
                ("b", "The name does not resolve (curl 6)"),
                ("c", "The name resolves, but the connection is refused (curl 7)"),
            ),
            "docker exec client curl -sS http://server:3000",
            curl_outcome(refused="c", unresolved="b", dropped="", timeout=""),
        ),
    },
)
