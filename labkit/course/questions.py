"""The course's multiple-choice questions: the prompt, the choices, the key, why, and two hints that teach.

The first hint says where in the lesson the answer can be seen; the second gives the idea to reason with.
Neither states the answer (the solution does, after both).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: its prompt, choices (key → text), the right key and why."""

    prompt: str
    choices: tuple[tuple[str, str], ...]
    correct: str
    why: str


# -- the questions --------------------------------------------------------------------------
QUESTIONS: dict[str, Question] = {
    "00-model": Question(
        "Container A sends a request to http://server:3000. What turns the name `server` into an address?",
        (("a", "The host's /etc/hosts file"), ("b", "Docker's embedded DNS server for the network (127.0.0.11)"),
         ("c", "The -p flag of docker run"), ("d", "NAT rules on the host")),
        "b", "Each user-defined network has an embedded DNS server; containers ask it at 127.0.0.11."),
    "06-localhost": Question(
        "Inside the client container, what does http://localhost:3000 reach?",
        (("a", "Port 3000 of the server container"), ("b", "Port 3000 of the client container itself"),
         ("c", "Port 3000 of the host"), ("d", "Whatever container publishes port 3000")),
        "b", "localhost is the loopback of the container's own network namespace."),
    "07-ps": Question(
        "`docker ps` shows server `Up` with `3000/tcp` in PORTS. What does that prove?",
        (("a", "The app accepts connections from other containers"),
         ("b", "The container runs and its image declares port 3000; not which address the app listens on"),
         ("c", "Port 3000 is published on the host"), ("d", "Name resolution for server works")),
        "b", "PORTS shows exposed (declared) ports; published ones would show an arrow (->)."),
    "14-lock-1": Question(
        "A container's IP changes when it is re-created. What should clients use to reach it?",
        (("a", "Its last known IP"), ("b", "Its container or service name"), ("c", "The host's IP"),
         ("d", "A published port")), "b", "Names are stable; addresses are handed out again at every start."),
    "14-lock-2": Question(
        "Two containers on the default `bridge` network try `curl http://server:3000`. What happens?",
        (("a", "It works: DNS is everywhere"), ("b", "The name does not resolve: the default bridge has no embedded DNS"),
         ("c", "It works only with -p"), ("d", "It resolves to the host")),
        "b", "Embedded DNS runs per user-defined network."),
    "14-lock-3": Question(
        "Does container-to-container traffic on one network need -p?",
        (("a", "Yes, always"), ("b", "Only for TCP"), ("c", "No: -p is only for traffic from the host"),
         ("d", "Only with EXPOSE")), "c", "Containers on a network reach each other's container ports directly."),
    "14-lock-4": Question(
        "In container A, `curl localhost:3000` while container B (another namespace) listens on 3000:",
        (("a", "Reaches B"), ("b", "Reaches A's own loopback: refused if nothing in A listens"),
         ("c", "Reaches the host"), ("d", "Times out always")), "b", "Loopback never leaves a network namespace."),
    "14-lock-5": Question(
        "An app binds 127.0.0.1:3000 inside its container. Who can connect to it?",
        (("a", "Everyone on the network"), ("b", "Only the host via -p"),
         ("c", "Only programs in the same network namespace"), ("d", "Nobody")),
        "c", "127.0.0.1 is the container's own loopback; eth0 traffic finds no listener."),
    "14-lock-6": Question(
        "Which bind address lets other containers and published ports reach a service?",
        (("a", "127.0.0.1"), ("b", "localhost"), ("c", "0.0.0.0 (every interface)"), ("d", "The host's IP")),
        "c", "0.0.0.0 listens on eth0 too, where other containers' and forwarded traffic arrives."),
    "14-lock-7": Question(
        "Which path does a request from one container to another on the same network take?",
        (("a", "Container → host port → NAT → container"), ("b", "Container → DNS → the other container's IP → its app"),
         ("c", "Container → internet → container"), ("d", "Container → docker CLI → container")),
        "b", "No host, no NAT, no ports: name, address, app."),
}


# qid -> (where the answer can be seen, the idea to reason with): the two hints, which never state the answer
HINTS: dict[str, tuple[str, str]] = {
    "00-model": ("This lesson has no experiment yet: think of how a browser turns a website's name into an address.",
                 "Three of the choices are files, flags or firewall rules; only one of them can be asked a name."),
    "06-localhost": ("Look at what `docker exec client curl http://localhost:3000` answered in this lesson, and "
                     "whose programs were asked.",
                     "Every container has its own network namespace, with a loopback of its own. Whose loopback does "
                     "client's `localhost` name?"),
    "07-ps": ("Compare the PORTS column of `docker ps` with what client's curl got from server in this lesson.",
              "PORTS lists the ports an image declares (EXPOSE), and published ones with an arrow (->). Does a "
              "declaration say which address the app listens on?"),
    "14-lock-1": ("Lock 1's experiment re-created server: compare its address before and after, and what the "
                  "request by name did.",
                  "An address is handed out when a container starts; which of the choices is given by you instead?"),
    "14-lock-2": ("Lock 2's experiment asked for `server` from a container on the default bridge: read curl's error.",
                  "Which networks come with Docker's embedded DNS server, and is the default bridge one of them?"),
    "14-lock-3": ("Lock 3's experiment ran `docker port server`, then a request from client: what did each say?",
                  "-p opens a door on the host. Is the host on the path between two containers of one network?"),
    "14-lock-4": ("Lock 4's experiment ran `curl http://localhost:3000` inside client: which namespace answered?",
                  "A packet to a loopback address never leaves the network namespace it was sent in."),
    "14-lock-5": ("Lock 5's experiment asked the loopback-only server from client and from the host: which got an "
                  "answer?",
                  "127.0.0.1 is the loopback of the namespace the app runs in; where do other containers' packets "
                  "arrive?"),
    "14-lock-6": ("Lock 6's experiment compared what server and lonely listen on (labkit.listening).",
                  "Other containers' traffic, and traffic forwarded from a published port, arrive on eth0. Which bind "
                  "address includes eth0?"),
    "14-lock-7": ("Lock 7's experiment traced the request hop by hop (labkit.request_path).",
                  "Does the trace from client to server show a host port, NAT or the docker CLI anywhere?"),
}
