"""The catalog is the one place that knows which lessons exist: every lesson module has its notebook, and a lesson
added as one module (here a throw-away lesson 16, in a folder of the test's own) is set up by labkit.lesson, checked
by labkit.check, and listed by labkit.progress and every "00 to NN" — with nothing else changed."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import labkit
from labkit.course import catalog, lessons
from labkit.course.state import snapshot

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

LESSON_16 = '''
"""Lesson 16 · A lesson added by one module: a network, a container of the lesson's own set-up, one exercise."""

from __future__ import annotations

from labkit.course.labbuild import CLIENT_IMAGE
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise

KEY = "16"


def check_second_network(ctx: Context) -> list[Part]:
    """16: a network called day16-net exists."""
    net = ctx.state.network("day16-net")
    return [("a network called day16-net exists", net is not None,
             "found it" if net is not None else "there is no network called day16-net")]


def setup(docker) -> list[str]:
    """A container the plan does not name."""
    docker(f"run -d --name visitor --network day8-net {CLIENT_IMAGE} sleep infinity")
    return ["  container  visitor        idle on day8-net"]


LESSON = Lesson(
    KEY, "A lesson added by one module", Plan(None, True, False, False),
    exercises=(exercise("16-second-network", KEY, "Create a second network, day16-net", 2,
                        ("Which `docker network` subcommand makes a new network?",),
                        "%docker network create day16-net", check_second_network,
                        task="Create a network named `day16-net`."),),
    setup=setup,
)
'''


@pytest.fixture
def lesson16(tmp_path, monkeypatch):
    """Lesson 16 as one module in a folder of its own, added through the catalog's hook (the lessons' path)."""
    folder = tmp_path / "more-lessons"
    folder.mkdir()
    (folder / "l16_one_module.py").write_text(textwrap.dedent(LESSON_16).lstrip(), encoding="utf-8")
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(folder)])
    yield folder
    sys.modules.pop(f"{lessons.__name__}.l16_one_module", None)


@pytest.fixture
def me(fresh_session, tmp_path, monkeypatch):
    """The test session with no answers, no hints shown, and a progress file of its own, in a folder of its own."""
    monkeypatch.chdir(tmp_path)
    return fresh_session


def test_every_lesson_module_has_one_notebook_and_every_notebook_a_lesson():
    notebooks = sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    assert notebooks == list(catalog.LESSONS)
    assert catalog.span() == f"{notebooks[0]} to {notebooks[-1]}"
    assert [lesson.key for lesson in catalog.lessons()] == notebooks
    assert set(catalog.EXERCISES) == {e.id for lesson in catalog.lessons() for e in lesson.exercises}


def test_a_lesson_module_names_its_own_lesson(tmp_path, monkeypatch):
    folder = tmp_path / "misnamed"
    folder.mkdir()
    (folder / "l17_misnamed.py").write_text(
        "from labkit.course.vocabulary import Lesson, Plan\nLESSON = Lesson('18', 'x', Plan(None, False, False, False))\n")
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(folder)])
    try:
        with pytest.raises(ValueError, match="l17_misnamed defines lesson '18'"):
            catalog.lessons()
    finally:
        sys.modules.pop(f"{lessons.__name__}.l17_misnamed", None)


@pytest.mark.engine
def test_lesson_16_is_one_module(lesson16, me, lab, capsys):
    assert list(catalog.LESSONS)[-1] == "16" and catalog.span() == f"{list(catalog.LESSONS)[0]} to 16"
    assert [e.id for e in catalog.for_lesson("16")] == ["16-second-network"]

    labkit.lesson("16")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Lesson 16 · A lesson added by one module — the lab is ready:"
    assert out[1].startswith("  network    day8-net") and out[2] == "  container  visitor        idle on day8-net"
    now = snapshot(lab.engine)
    assert [n.name for n in now.networks] == ["day8-net"]
    assert now.container("visitor").running and now.container("visitor").ip_on("day8-net")

    failed = labkit.check("16-second-network")
    assert not failed.passed and "there is no network called day16-net" in failed.message
    lab.ok("docker network create day16-net")
    passed = labkit.check("16-second-network")
    assert passed.passed and passed.points == 2
    capsys.readouterr()

    labkit.progress()
    rows = capsys.readouterr().out.splitlines()
    assert [row[:2] for row in rows[1:-1]] == list(catalog.LESSONS)
    assert rows[-2].startswith("16  A lesson added by one module") and "✔16-second-network" in rows[-2]

    labkit.lesson("17")
    assert capsys.readouterr().err == f"labkit: there is no lesson '17'; lessons are {catalog.span()}\n"
    assert catalog.span().endswith(" to 16")


def test_without_the_hook_the_course_is_as_it_was(tmp_path, monkeypatch):
    before = (catalog.span(), list(catalog.LESSONS), list(catalog.EXERCISES))
    folder = tmp_path / "more-lessons"
    folder.mkdir()
    (folder / "l16_one_module.py").write_text(textwrap.dedent(LESSON_16).lstrip(), encoding="utf-8")
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(folder)])
    try:
        assert catalog.span().endswith(" to 16") and list(catalog.EXERCISES)[-1] == "16-second-network"
        monkeypatch.undo()
        assert (catalog.span(), list(catalog.LESSONS), list(catalog.EXERCISES)) == before
    finally:
        sys.modules.pop(f"{lessons.__name__}.l16_one_module", None)
