"""Lesson 14 · The seven mental locks: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from labkit.course.outcomes import Prediction, curl_outcome
from labkit.course.vocabulary import Lesson, Plan, Question, quiz

KEY = "14"

LESSON = Lesson(
    KEY,
    "The seven mental locks",
    Plan("fixed", True, True, True),
    exercises=(
        quiz(
            "14-lock-1",
            KEY,
            "Mental lock 1",
            question=Question(
                "A container's IP changes when it is re-created. What should clients use to reach it?",
                (
                    ("a", "Its last known IP"),
                    ("b", "Its container or service name"),
                    ("c", "The host's IP"),
                    ("d", "A published port"),
                ),
                "b",
                "Names are stable; addresses are handed out again at every start.",
                mistakes=(
                    ("a", "An address is handed out again at every start: the last known one may now be another "
                     "container's, or no one's (Lock 1's server came back at a new address)."),
                    ("c", "The host is not on the path between two containers of one network, and it reaches a container "
                     "only through a published port."),
                    ("d", "A published port is a door from the host; container-to-container traffic does not use it."),
                ),
            ),
            hints=(
                "Lock 1's experiment re-created server: compare its address before and after, and what the "
                "request by name did.",
                "An address is handed out when a container starts; which of the choices is given by you instead?",
            ),
        ),
        quiz(
            "14-lock-2",
            KEY,
            "Mental lock 2",
            question=Question(
                "Two containers on the default `bridge` network try `curl http://server:3000`. What happens?",
                (
                    ("a", "It works: DNS is everywhere"),
                    ("b", "The name does not resolve: the default bridge has no embedded DNS"),
                    ("c", "It works only with -p"),
                    ("d", "It resolves to the host"),
                ),
                "b",
                "Embedded DNS runs per user-defined network.",
                mistakes=(
                    ("a", "Lock 2's experiment is exactly this case: read curl's error. Does every network come with a DNS "
                     "server that knows containers by name?"),
                    ("c", "-p publishes a port on the host; it changes nothing about how one container finds another by "
                     "name."),
                    ("d", "Nothing in Docker turns a container's name into the host's address. What did curl's error in "
                     "Lock 2 say about the name?"),
                ),
            ),
            hints=(
                "Lock 2's experiment asked for `server` from a container on the default bridge: read curl's error.",
                "Which networks come with Docker's embedded DNS server, and is the default bridge one of them?",
            ),
        ),
        quiz(
            "14-lock-3",
            KEY,
            "Mental lock 3",
            question=Question(
                "Does container-to-container traffic on one network need -p?",
                (
                    ("a", "Yes, always"),
                    ("b", "Only for TCP"),
                    ("c", "No: -p is only for traffic from the host"),
                    ("d", "Only with EXPOSE"),
                ),
                "c",
                "Containers on a network reach each other's container ports directly.",
                mistakes=(
                    ("a", "In Lock 3, `docker port server` listed nothing, and client's request still got the greeting. "
                     "What is -p for, then?"),
                    ("b", "-p cares about the protocol only for the host's side; ask instead whether traffic between two "
                     "containers of one network passes the host at all."),
                    ("d", "EXPOSE only declares a port in the image; it opens nothing. In Lock 3, did server publish "
                     "anything?"),
                ),
            ),
            hints=(
                "Lock 3's experiment ran `docker port server`, then a request from client: what did each say?",
                "-p opens a door on the host. Is the host on the path between two containers of one network?",
            ),
        ),
        quiz(
            "14-lock-4",
            KEY,
            "Mental lock 4",
            question=Question(
                "In container A, `curl localhost:3000` while container B (another namespace) listens on 3000:",
                (
                    ("a", "Reaches B"),
                    ("b", "Reaches A's own loopback: refused if nothing in A listens"),
                    ("c", "Reaches the host"),
                    ("d", "Times out always"),
                ),
                "b",
                "Loopback never leaves a network namespace.",
                mistakes=(
                    ("a", "localhost is a loopback address, and B's programs are in another network namespace. Where does a"
                     " loopback packet go?"),
                    ("c", "A container's localhost is not the host's: the container has a network namespace of its own, "
                     "with a loopback of its own."),
                    ("d", "Nothing waits on the way: a loopback request is answered at once by whatever listens, or "
                     "refused. Lock 4's curl: did it time out or was it refused?"),
                ),
            ),
            hints=(
                "Lock 4's experiment ran `curl http://localhost:3000` inside client: which namespace answered?",
                "A packet to a loopback address never leaves the network namespace it was sent in.",
            ),
        ),
        quiz(
            "14-lock-5",
            KEY,
            "Mental lock 5",
            question=Question(
                "An app binds 127.0.0.1:3000 inside its container. Who can connect to it?",
                (
                    ("a", "Everyone on the network"),
                    ("b", "Only the host via -p"),
                    ("c", "Only programs in the same network namespace"),
                    ("d", "Nobody"),
                ),
                "c",
                "127.0.0.1 is the container's own loopback; eth0 traffic finds no listener.",
                mistakes=(
                    ("a", "Other containers' packets arrive at the container's eth0 address, not at its 127.0.0.1. What did"
                     " client get from lonely in Lock 5?"),
                    ("b", "-p forwards the host's traffic to the container's eth0 address, where an app on 127.0.0.1 does "
                     "not listen: what did the host's curl to port 8083 get in Lock 5?"),
                    ("d", "Someone can connect: 127.0.0.1 is a real address in that container. Which programs can send to a"
                     " loopback address?"),
                ),
            ),
            hints=(
                "Lock 5's experiment asked the loopback-only server from client and from the host: which got an "
                "answer?",
                "127.0.0.1 is the loopback of the namespace the app runs in; where do other containers' packets "
                "arrive?",
            ),
        ),
        quiz(
            "14-lock-6",
            KEY,
            "Mental lock 6",
            question=Question(
                "Which bind address lets other containers and published ports reach a service?",
                (("a", "127.0.0.1"), ("b", "localhost"), ("c", "0.0.0.0 (every interface)"), ("d", "The host's IP")),
                "c",
                "0.0.0.0 listens on eth0 too, where other containers' and forwarded traffic arrives.",
                mistakes=(
                    ("a", "127.0.0.1 is the container's own loopback: other containers' traffic arrives on eth0 and finds "
                     "nothing there (lonely, in Lock 5)."),
                    ("b", "localhost is a name for the loopback address: it does not include eth0, where other containers' "
                     "traffic arrives."),
                    ("d", "The host's IP is not an address inside the container: an app there cannot bind it. Which bind "
                     "address includes eth0?"),
                ),
            ),
            hints=(
                "Lock 6's experiment compared what server and lonely listen on (labkit.listening).",
                "Other containers' traffic, and traffic forwarded from a published port, arrive on eth0. Which bind "
                "address includes eth0?",
            ),
        ),
        quiz(
            "14-lock-7",
            KEY,
            "Mental lock 7",
            question=Question(
                "Which path does a request from one container to another on the same network take?",
                (
                    ("a", "Container → host port → NAT → container"),
                    ("b", "Container → DNS → the other container's IP → its app"),
                    ("c", "Container → internet → container"),
                    ("d", "Container → docker CLI → container"),
                ),
                "b",
                "No host, no NAT, no ports: name, address, app.",
                mistakes=(
                    ("a", "Host ports and NAT are for traffic from outside, through a published port; look for them in Lock"
                     " 7's trace from client to server."),
                    ("c", "Both containers are on one network of this machine. Does Lock 7's trace leave it?"),
                    ("d", "The docker CLI creates and inspects containers; it carries none of their traffic. Which hops did"
                     " Lock 7's trace show?"),
                ),
            ),
            hints=(
                "Lock 7's experiment traced the request hop by hop (labkit.request_path).",
                "Does the trace from client to server show a host port, NAT or the docker CLI anywhere?",
            ),
        ),
    ),
    predictions={
        "14-bridge": Prediction(
            "A container on the default `bridge` network asks for `http://server:3000`. What does curl get?",
            (("a", "The greeting"), ("b", "The name does not resolve (curl 6)"), ("c", "Refused (curl 7)")),
            "docker run --rm curlimages/curl:8.14.1 curl",
            curl_outcome(refused="c", unresolved="b", dropped="", timeout=""),
        ),
    },
)
