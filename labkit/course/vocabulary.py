"""What a lesson module is written in: its plan, its exercises with their checks, and the building blocks of checks.

A check reads the lab through the engine (state snapshot and small probes such as a curl from a container), the
learner's recorded answers and their files — never the text of their code. The same definitions serve the learner's
`labkit.check(...)` and the grader, which runs them from its own process after the notebook has executed. A lesson
module (labkit.course.lessons) builds its `Lesson` from these; labkit.course.catalog collects the lessons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labkit.contract.commands import run_command
from labkit.contract.result import Result
from labkit.course import nearmiss
from labkit.course.answers import right_when_recorded
from labkit.course.outcomes import HELLO, Prediction
from labkit.course.state import LabState, snapshot
from labkit.engines.base import Engine


@dataclass(frozen=True)
class Plan:
    """What a lesson's lab starts with, built in this order (labkit.course.start)."""

    image: str | None  # "loopback" (the server as in the notes), "fixed" (bound to 0.0.0.0) or None
    network: bool
    server: bool
    client: bool
    loopback_image: bool = False  # also the original server, tagged day8:loopback
    workdir: bool = False  # the learner's own copy of the server folder (day8/), which the lesson edits


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: its prompt, choices (key → text), the right key and why; `mistakes` gives each
    wrong choice the hint for the misconception behind it (wrong key → hint), never stating the right choice."""

    prompt: str
    choices: tuple[tuple[str, str], ...]
    correct: str
    why: str
    mistakes: tuple[tuple[str, str], ...] = ()

    def mistake(self, key: str) -> str:
        """The hint for the misconception behind wrong choice `key` ("" for the right one or an unknown key)."""
        return dict(self.mistakes).get(key, "") if key != self.correct else ""


@dataclass
class Context:
    """What a check may look at: the engine, its state, the recorded answers and the learner's folder (and, from the
    grader, whose submission it is: lesson 15's fault is theirs)."""

    engine: Engine
    answers: dict[str, str]
    folder: Path
    _state: LabState | None = None
    learner: str = ""  # "" : the learner this process runs for (lesson 15's learner(), labkit.course.lessons)

    @property
    def state(self) -> LabState:
        """The lab's state, read once per check."""
        if self._state is None:
            self._state = snapshot(self.engine)
        return self._state

    def docker(self, line: str) -> Result:
        """Run a docker command on the engine (a probe such as `exec client curl …`)."""
        return run_command(self.engine, line, str(self.folder))

    def host(self, argv: list[str] | str) -> Result:
        """Run a command on the host side (where published ports listen): an argv list (a string is split, never
        given to a shell), so nothing from the lab reaches a shell."""
        from labkit.contract.transcript import run_host_argv

        return run_host_argv(argv, str(self.folder), self.engine)


Part = tuple[str, bool, str]  # (what is checked, passed, what was found)


@dataclass(frozen=True)
class Exercise:
    """One graded exercise."""

    id: str
    lesson: str
    title: str
    points: int
    hints: tuple[str, ...]
    solution: str  # the source of a cell that solves it
    check: Callable[[Context], list[Part]]
    question: Question | None = None
    kind: str = "lab"  # lab (engine state), answer (a recorded value), quiz (a recorded choice)
    tags: tuple[str, ...] = field(default_factory=tuple)
    task: str = ""  # what it asks, standing alone (the grader's feedback; labkit.course.prompts): a lab or answer exercise


# -- building blocks of checks ----------------------------------------------------------------------------------
def running(ctx: Context, name: str) -> Part:
    """Part: a container of that name exists and runs (when it stopped: why, and its log's last line)."""
    c = ctx.state.container(name)
    if c is None:
        return (f"a container called {name} exists", False, f"there is no container called {name}")
    found = f"{name} is {c.status}"
    if c.status == "exited":
        found += f" (exit code {c.exit_code})" + _last_log_line(ctx, name)
    return (f"{name} is running", c.running, found + nearmiss.why_stopped(ctx.state, c))


def _last_log_line(ctx: Context, name: str) -> str:
    """The last line its program printed, which usually says why it stopped."""
    r = ctx.docker(f"logs {name}")
    lines = (r.stderr or r.stdout).strip().splitlines()
    return f"; its log ends with: {lines[-1].strip()}" if r.exit_code == 0 and lines else ""


def on_network(ctx: Context, name: str, network: str) -> Part:
    """Part: the container is attached to the network, with an address on it."""
    c = ctx.state.container(name)
    nets = ", ".join(ep.network for ep in c.endpoints) if c else ""
    ok = bool(c and c.ip_on(network))
    if c is not None and not c.running:  # attached or not, a stopped container has no address anywhere
        where = f"it is attached to {nets}" if nets else f"its network is {c.network_mode or 'the default bridge'}"
        return (f"{name} is attached to {network}", False, f"{name} is {c.status}, so it has no address ({where})")
    return (f"{name} is attached to {network}", ok,
            f"{name} is on {nets or 'no network'}" + (nearmiss.other_network(ctx.state, c, network) if c else ""))


def fetch(ctx: Context, source: str, url: str) -> Part:
    """Part: a curl from the source container to url gets the greeting."""
    r = ctx.docker(f"exec {source} curl -sS -m 5 {url}")
    got = (r.stdout.strip() or r.stderr.strip() or f"exit code {r.exit_code}").splitlines()[-1]
    return (f"{source} gets '{HELLO}' from {url}", r.exit_code == 0 and HELLO in r.stdout, f"curl said: {got}")


def answer_equals(ctx: Context, qid: str, expected: str | None, what: str, look_up: str = "") -> Part:
    """Part: the value recorded for qid is the lab's (a stale or near-miss value says so, with the hint that fits:
    `look_up` says where the lab shows the value, e.g. "`docker network inspect day8-net`")."""
    given = ctx.answers.get(qid)
    if not given:
        return (f"an answer is recorded for {qid}", False, f"nothing recorded yet: run labkit.answer(\"{qid}\", ...)")
    if expected is None:
        return (f"{what} matches the lab", False, "the lab does not have it right now (rerun the lesson's cells)")
    if given.strip() == expected:
        return (f"{what} matches the lab", True, f"you recorded {given!r}")
    if right_when_recorded(ctx.answers, qid):
        return (f"{what} matches the lab", False, f"you recorded {given!r}" + nearmiss.stale(look_up))
    miss = nearmiss.recorded_address(ctx.state, given.strip(), expected, look_up, what)
    return (f"{what} matches the lab", False, f"you recorded {given!r}" + miss)


@dataclass(frozen=True, eq=False)
class Lesson:
    """One lesson: its key ("05"), title, the lab it starts from, its exercises and its predictions. `setup`, when
    given, builds what the plan cannot (it gets a docker(line) runner, after the plan's containers) and returns the
    lines it prints."""

    key: str
    title: str
    plan: Plan
    exercises: tuple[Exercise, ...] = ()
    predictions: dict[str, Prediction] = field(default_factory=dict)
    setup: Callable[[Callable[[str], None]], list[str]] | None = None


def exercise(id: str, lesson: str, title: str, points: int, hints: tuple[str, ...], solution: str,
             check: Callable[[Context], list[Part]], kind: str = "lab", task: str = "") -> Exercise:
    """A lab exercise (engine state) or, with kind="answer", one judged on a recorded value."""
    return Exercise(id, lesson, title, points, hints, solution, check, None, kind, task=task)


def quiz(id: str, lesson: str, title: str, question: Question, hints: tuple[str, str]) -> Exercise:
    """A multiple-choice exercise worth one point: its question, and two hints (where in the lesson the answer can be
    seen, then the idea to reason with), neither stating the answer."""
    return Exercise(id, lesson, title, 1, hints, f'labkit.quiz("{id}", answer="{question.correct}")',
                    quiz_check(id, question), question, kind="quiz")


def quiz_check(qid: str, question: Question) -> Callable[[Context], list[Part]]:
    """The check of a quiz: a choice is recorded for qid, and it is the right one."""
    def check(ctx: Context) -> list[Part]:
        given = ctx.answers.get(qid)
        if not given:
            return [("a choice is recorded", False, "no choice recorded yet: pick one and put it in answer=")]
        right = given == question.correct
        found = f"you chose {given!r}" + ("" if right else nearmiss.Miss(", which is not it", question.mistake(given)))
        return [("the right choice is recorded", right, found)]

    return check


def recorded_address(qid: str, name: str, network: str = "day8-net", look_up: str = "") -> Callable[[Context], list[Part]]:
    """A check that the answer recorded for qid is the container's address on the network, as the engine has it
    (`look_up`: where the lesson shows it, for the hints)."""
    def check(ctx: Context) -> list[Part]:
        c = ctx.state.container(name)
        return [answer_equals(ctx, qid, c.ip_on(network) if c else None, f"{name}'s address on {network}", look_up)]

    return check


def published(c) -> str:
    """A container's published ports, as host->container ("none" when there are none)."""
    return ", ".join(f"{p.host_port}->{p.container_port}" for p in c.published) or "none"
