"""The hint fits the mistake (issue 21): the near miss a check finds chooses the hint, the first failing check already
gives one, and what a check says about the next run is what the next run does.

The issue's own cases: a -p where none was asked, a compose file forgotten (-f), the network typed `day8_net`, and
`eth0` recorded as the address server's app listens on. Each gets a hint about that mistake, never the hint written
for another one. Every other typical mistake of every lab exercise is in test_exercise_variants.py (HINT), and the
recorded-address near misses are below. The lab cases run on the engine under test; the rest need no engine.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from labkit import session
from labkit.course import checks, nearmiss
from labkit.course.catalog import EXERCISES, QUESTIONS, for_lesson
from labkit.course.vocabulary import Context
from tests.course.test_exercise_variants import do

engine = pytest.mark.engine


class NoEngine:
    """Checks of quizzes must not need the engine; any call is a test failure."""

    def __getattr__(self, name):
        raise AssertionError(f"the check called the engine ({name})")


def _first_check(exercise: str) -> str:
    """What the learner's first `labkit.check` after the mistake prints."""
    return str(checks.check(exercise))


def _hint_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("  hint"))


# -- the four cases --------------------------------------------------------------------------------------
@engine
def test_a_published_port_gets_a_hint_about_p_not_about_names_and_networks(course):
    lab = course("02")
    do(lab, ["run -d --name server --network day8-net -p 3000 day8"])
    text = _first_check("02-server")
    hint = _hint_line(text)
    assert "nothing needs -p here" in text
    assert "-p is for traffic from the host" in hint and "without -p" in hint, hint
    assert EXERCISES["02-server"].hints[0] not in text and "name" not in hint.lower(), hint


@engine
def test_a_forgotten_compose_file_gets_a_hint_about_f_not_about_the_background(course):
    lab = course("12")
    r = lab("docker compose up -d")  # the notebook's folder has no compose file of its own
    assert r.exit_code != 0
    hint = _hint_line(_first_check("12-compose"))
    assert "-f assets/shop/compose.yaml" in hint and "background" not in hint, hint


@engine
def test_a_network_named_day8_net_with_an_underscore_gets_a_hint_about_the_name(course):
    lab = course("01")
    do(lab, ["network create day8_net"])
    text = _first_check("01-network")
    hint = _hint_line(text)
    assert "you created day8_net; the lesson's network is day8-net" in text
    assert "a hyphen, not an underscore" in hint and "subcommand makes" not in hint, hint


@engine
def test_eth0_as_the_listen_address_points_at_what_the_app_listens_on(course):
    course("08")
    session.current().record_answer("08-listen-address", "eth0")
    text = _first_check("08-listen-address")
    hint = _hint_line(text)
    assert "eth0 is the name of a network interface, not an address" in text
    assert 'labkit.listening("server")' in hint and "before :3000" in hint, hint
    assert "172.18.0.2" not in text and "resolves to" not in text, text


# -- recorded addresses: each near miss's hint points where the exercise's value is --------------------------------
@engine
def test_each_recorded_address_near_miss_hints_where_the_value_is(course):
    from labkit.course.state import snapshot

    lab = course("05")
    state = snapshot(lab.engine)
    server, client = state.container("server").ip_on("day8-net"), state.container("client").ip_on("day8-net")
    gateway = state.network("day8-net").gateway
    dns = "the last `Address:` of `nslookup -type=a server` inside client"
    cases = {
        f"{server}/16": "record the numbers before the slash",
        f"{server}:3000": "An address is the part before the colon",
        "server": f"server is a name; the exercise asks for server's address on day8-net, written in numbers ({dns})",
        "eth0": "eth0 names an interface",
        "localhost": "localhost is a name for an address",
        client: f"{client} is where other containers reach client on day8-net",
        gateway: "The gateway is the host's end of day8-net",
        "127.0.0.11": "nslookup prints first who answered (Server:, 127.0.0.11), then the answer",
        "10.9.8.7": "Addresses are handed out each time a container starts",
    }
    for given, words in cases.items():
        result = checks.evaluate("05-server-ip", Context(lab.engine, {"05-server-ip": given}, Path(os.getcwd())))
        [hint] = checks.fitting_hints(EXERCISES["05-server-ip"], result.parts)
        assert words in hint, (given, hint)
        assert "resolves to" not in hint and "172.18.0.2" not in hint, (given, hint)


# -- the first failing check gives a hint, and what a check promises the next one keeps ----------------------------
@pytest.fixture
def quiet_session(monkeypatch):
    """A session of its own, with no engine (quizzes) and no answers."""
    me = session.Session("test-hints-follow")
    me.use_engine(engine=NoEngine(), reason="none")
    monkeypatch.setattr(session, "_current", me)
    return me


def _promise_kept(before: str, after: str) -> None:
    """What `before` said the next check gives is what `after` gives."""
    assert "nothing changed" not in after
    if "(run the check again for another hint)" in before:
        assert _hint_line(after) != _hint_line(before), (before, after)
    if "(run the check again to see a solution)" in before:
        assert "a solution (type it yourself" in after, (before, after)


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_repeated_checks_of_a_quiz_keep_every_promise(quiet_session, qid):
    me = quiet_session
    ex = EXERCISES[qid]
    me.start_lesson(ex.lesson, [e.id for e in for_lesson(ex.lesson)])
    seen = [str(checks.check(qid)) for _ in range(4)]  # nothing changes in between
    assert f"hint 1/2: {ex.hints[0]}" in seen[0]  # the first failing check already gives one
    assert f"hint 2/2: {ex.hints[1]}" in seen[1]
    assert ex.solution in seen[2] and ex.solution in seen[3]
    for before, after in zip(seen, seen[1:], strict=False):
        _promise_kept(before, after)
    wrong = next(k for k, _ in QUESTIONS[qid].choices if k != QUESTIONS[qid].correct)
    me.record_answer(qid, wrong)
    me.start_lesson(ex.lesson, [e.id for e in for_lesson(ex.lesson)])
    text = str(checks.check(qid))
    assert f"✘ the right choice is recorded — you chose {wrong!r}, which is not it" in text
    assert "the chosen answer is right" not in text and f"hint 1/2: {QUESTIONS[qid].mistake(wrong)}" in text


@engine
def test_a_mistakes_hint_then_a_solution_and_a_new_mistake_starts_its_own(course):
    lab = course("02")
    do(lab, ["run -d --name server --network day8-net -p 3000 day8"])
    first, second = _first_check("02-server"), _first_check("02-server")
    assert "hint: -p is for traffic from the host" in first and "(run the check again to see a solution)" in first
    _promise_kept(first, second)
    do(lab, ["rm -f server", "run -d --name server day8"])  # another mistake: the default bridge
    third = _first_check("02-server")
    assert "hint: With no --network, a container lands on the default bridge" in third, third
    do(lab, ["network connect day8-net server"])
    assert checks.check("02-server").passed


@engine
def test_an_exercise_not_yet_done_gets_its_first_hint_at_the_first_check(course):
    course("01")
    text = _first_check("01-network")
    assert f"hint 1/2: {EXERCISES['01-network'].hints[0]}" in text and "(run the check again for another hint)" in text
    assert "each attempt brings a hint" not in text


def test_lesson_00s_hint_never_says_it_has_no_experiment():
    for hint in EXERCISES["00-model"].hints:
        assert "no experiment" not in hint and "experiments above" not in hint


# -- the mechanism: a near miss carries its hint through the finding it is appended to --------------------------------
def test_a_miss_keeps_its_hint_through_concatenation_json_and_pickle():
    import json

    miss = nearmiss.Miss(" — a clause", "the hint")
    found = "what was found" + miss + " (and more)"
    assert found == "what was found — a clause (and more)" and nearmiss.hint_of(found) == "the hint"
    assert nearmiss.hint_of("plain" + nearmiss.Miss(" — x")) == "" and nearmiss.hint_of("plain") == ""
    assert nearmiss.hint_of(nearmiss.Miss("a", "first") + nearmiss.Miss("b", "second")) == "second"
    assert json.loads(json.dumps([found])) == [str(found)]
    again = pickle.loads(pickle.dumps(found))
    assert again == found and nearmiss.hint_of(again) == "the hint"
    assert ("x", False, found) == ("x", False, "what was found — a clause (and more)")  # verdicts compare as text


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_a_quiz_widgets_feedback_on_a_wrong_choice_is_the_checks_first_hint(quiet_session, qid):
    q = QUESTIONS[qid]
    assert checks.quiz_feedback(qid, q.correct) == "Right. " + q.why
    for wrong in (k for k, _ in q.choices if k != q.correct):
        feedback = checks.quiz_feedback(qid, wrong)
        quiet_session.record_answer(qid, wrong)
        assert feedback == "Not quite. " + q.mistake(wrong)
        assert _hint_line(str(checks.check(qid))).endswith(q.mistake(wrong))  # the same first hint


# -- a wrong quiz choice gets the hint for its own misconception ------------------------------------------------------
@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_every_wrong_quiz_choice_has_a_hint_of_its_own_that_does_not_give_the_answer(qid):
    q = QUESTIONS[qid]
    wrong = [k for k, _ in q.choices if k != q.correct]
    hints = [q.mistake(k) for k in wrong]
    assert all(hints), f"{qid}: wrong choices with no hint of their own: {[k for k in wrong if not q.mistake(k)]}"
    assert len(set(hints)) == len(hints), f"{qid}: two wrong choices share a hint"
    assert not set(hints) & set(EXERCISES[qid].hints), f"{qid}: a wrong choice gets the quiz's generic hint"
    right = dict(q.choices)[q.correct].lower()
    for k, hint in zip(wrong, hints, strict=True):
        assert right not in hint.lower() and q.why.lower() not in hint.lower(), f"{qid} {k}: the hint gives the answer"
    assert q.mistake(q.correct) == ""


def test_the_hint_follows_the_wrong_choice_made_and_a_new_choice_starts_its_own(quiet_session):
    """Lesson 06's quiz: `a` (server's port) is the other container's namespace, `c` (the host's) is the host's."""
    me, q, ex = quiet_session, QUESTIONS["06-localhost"], EXERCISES["06-localhost"]
    me.start_lesson("06", [e.id for e in for_lesson("06")])
    me.record_answer("06-localhost", "a")
    first, second, third = (str(checks.check("06-localhost")) for _ in range(3))
    assert _hint_line(first) == f"  hint 1/2: {q.mistake('a')}" and "another namespace" in first
    assert _hint_line(second) == f"  hint 2/2: {ex.hints[1]}"  # then the idea to reason with, then a solution
    assert ex.solution in third
    for before, after in ((first, second), (second, third)):
        _promise_kept(before, after)
    me.record_answer("06-localhost", "c")  # another wrong choice: its own misconception, from its first hint
    again = str(checks.check("06-localhost"))
    assert _hint_line(again) == f"  hint 1/2: {q.mistake('c')}" and "not the host's" in again
    assert checks.quiz_feedback("06-localhost", "c") == "Not quite. " + q.mistake("c")
