"""Lesson 06 · localhost fails between containers: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.course.outcomes import Prediction, curl_outcome
from labkit.course.vocabulary import Lesson, Plan, Question, quiz

KEY = "06"

LESSON = Lesson(
    KEY,
    "localhost fails between containers",
    Plan("loopback", True, True, True),
    exercises=(
        quiz(
            "06-localhost",
            KEY,
            "What localhost means inside a container",
            question=Question(
                "Inside the client container, what does http://localhost:3000 reach?",
                (
                    ("a", "Port 3000 of the server container"),
                    ("b", "Port 3000 of the client container itself"),
                    ("c", "Port 3000 of the host"),
                    ("d", "Whatever container publishes port 3000"),
                ),
                "b",
                "localhost is the loopback of the container's own network namespace.",
                mistakes=(
                    ("a", "server is another container, with a network namespace of its own. Does a name for the loopback "
                     "reach into another namespace?"),
                    ("c", "The host is outside the container: a container's `localhost` is not the host's. In which "
                     "namespace does client's curl run?"),
                    ("d", "Published ports are doors on the host, for traffic from outside; a request to `localhost` inside"
                     " a container never goes through the host. Whose loopback did the request use?"),
                ),
            ),
            hints=(
                "Look at what `docker exec client curl http://localhost:3000` answered in this lesson, and "
                "whose programs were asked.",
                "Every container has its own network namespace, with a loopback of its own. Whose loopback does "
                "client's `localhost` name?",
            ),
        ),
    ),
    predictions={
        "06-localhost": Prediction(
            "server listens on port 3000. Inside client, `curl http://localhost:3000` gives:",
            (
                ("a", "server's greeting"),
                ("b", "Refused: client's own loopback, where nothing listens"),
                ("c", "The name localhost does not resolve"),
                ("d", "A timeout"),
            ),
            "http://localhost:3000",
            curl_outcome(refused="b", unresolved="c", dropped=""),
        ),
    },
)
