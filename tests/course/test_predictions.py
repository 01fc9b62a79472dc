"""Predict before you see: a prediction is recorded before the revealing command, and the reveal judges what that
command really did — held, not held, or no prediction (fixed words, for nbval) — on the engine under test.
Every notebook's Predict is a recorded prediction with its reveal after it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labkit.contract.result import Result
from labkit.course import predictions
from labkit.course.catalog import PREDICTIONS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """No prediction made, nothing witnessed; widgets displayed nowhere."""
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: None)
    predictions.forget()
    yield
    predictions.forget()


def _witnessed(result: Result) -> None:
    predictions.witness(result)


@pytest.mark.engine
@pytest.mark.parametrize("guess, verdict", [("b", "Your prediction held: b) Three built-in ones"),
                                            ("a", "Your prediction did not hold: you expected a) None."),
                                            (None, "You made no prediction for 01-networks. What happened: three "
                                                   "networks exist already, built in: bridge, host and none")])
def test_a_prediction_is_judged_from_what_the_engine_printed(lab, capsys, guess, verdict):
    predictions.predict("01-networks", choice=guess)
    _witnessed(lab.ok("docker network ls"))
    predictions.reveal("01-networks")
    assert verdict in capsys.readouterr().out


@pytest.mark.engine
def test_a_curl_prediction_follows_the_real_exit_code(lab, capsys):
    lab.ok("docker network create day8-net")
    lab.ok("docker network create day8-network")
    lab.ok("docker run -d --name client --network day8-network curlimages/curl:8.14.1 sleep infinity")
    predictions.predict("03-isolated", choice="b")
    r = lab("docker exec client curl -sS -m 5 http://server:3000")
    assert r.exit_code == 6
    _witnessed(r)
    predictions.reveal("03-isolated")
    assert capsys.readouterr().out.startswith("Your prediction held: b) The name does not resolve (curl 6).")


def _curl(code: int, err: str) -> Result:
    return Result("curl -sS -m 5 http://localhost:8082", code, "", err)


@pytest.mark.parametrize("result", [_curl(52, "curl: (52) Empty reply from server\n"),
                                    _curl(56, "curl: (56) Recv failure: Connection reset by peer\n")])
def test_the_racy_published_loopback_answer_holds_either_way_with_the_same_words(result):
    both = [predictions.verdict("11-loopback", [r], None) for r in (_curl(52, ""), _curl(56, ""))]
    assert both[0] == both[1] and "curl 52 (empty reply) or 56 (reset), which one is a race" in both[0]
    assert predictions.verdict("11-loopback", [result], "c").startswith("Your prediction held: c)")
    assert predictions.verdict("11-loopback", [result], "b").startswith("Your prediction did not hold")


def test_the_reveal_judges_the_results_since_the_prediction_and_each_reveal_starts_afresh(capsys):
    predictions.witness(_curl(7, "curl: (7) Failed"))  # before the prediction: not the revealing run
    predictions.predict("11-loopback", choice="b")
    predictions.reveal("11-loopback")
    assert "Nothing that reveals 11-loopback has run since the prediction" in capsys.readouterr().out
    predictions.witness(Result("docker run -d --name demo-loopback -p 8082:3000 day8:loopback", 0, "f" * 64 + "\n"))
    predictions.witness(_curl(56, ""))
    predictions.reveal("11-loopback")
    assert capsys.readouterr().out.startswith("Your prediction did not hold: you expected b)")


def test_a_free_text_prediction_is_compared_with_what_compose_printed():
    up = Result("docker compose -f assets/shop/compose.yaml up -d", 0, "",
                " Network shop_default  Creating\n Network shop_default  Created\n")
    assert predictions.verdict("12-network", [up], "shop_default").startswith("Your prediction held: 'shop_default'")
    assert "did not hold" in predictions.verdict("12-network", [up], "day8-net")


def test_a_choice_outside_the_list_is_refused_with_the_choices():
    from labkit.errors import CommandError

    with pytest.raises(CommandError, match="write one of a, b, c, d"):
        predictions.record("01-networks", "e")
    assert predictions.made("01-networks") is None


def test_the_widget_records_a_click_and_keeps_it_when_the_cell_runs_again(monkeypatch):
    import IPython.display
    from ipywidgets.widgets import widget

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    predictions.predict("02-port")
    assert shown[0]["text/plain"].endswith("then run the next cell to see.") and "none yet" in shown[0]["text/plain"]
    _title, radio, feedback = widget._instances[shown[0]["application/vnd.jupyter.widget-view+json"]["model_id"]].children
    radio.value = "a"
    assert predictions.made("02-port") == "a" and "recorded" in feedback.value
    predictions.predict("02-port")
    assert "Your prediction: a) Nothing (recorded)" in shown[1]["text/plain"]


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")), ids=lambda p: p.stem[:2])
def test_every_predict_of_the_notebooks_is_a_recorded_prediction_revealed_after_it(path):
    cells = _cells(path)
    assert not any("**Predict:**" in text for kind, text in cells if kind == "markdown"), "a Predict left as text"
    asked = [(i, pid) for i, (kind, text) in enumerate(cells) if kind == "code"
             for pid in re.findall(r'labkit\.predict\("([^"]+)"', text)]
    for i, pid in asked:
        assert pid in PREDICTIONS, pid
        later = [j for j, (kind, text) in enumerate(cells) if f'labkit.reveal("{pid}")' in text]
        assert later and min(later) > i, f"{pid} is not revealed after it is asked"
        spec = PREDICTIONS[pid]
        between = "\n".join(text for _, text in cells[i + 1:min(later) + 1])
        assert (spec.needle or spec.command).split()[-1] in between or spec.needle == "docker ", pid


def test_the_course_asks_every_prediction_once():
    asked = [pid for p in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) for _, text in _cells(p)
             for pid in re.findall(r'labkit\.predict\("([^"]+)"', text)]
    assert sorted(asked) == sorted(PREDICTIONS) and len(asked) >= 25


def test_predictions_belong_to_the_learners_session(capsys):
    """Two labs in one process (the grader's, a learner's) never share a guess or what was witnessed."""
    from labkit import session

    predictions.record("01-networks", "b")
    predictions.witness(Result("docker network ls", 0, "NETWORK ID  NAME\n", ""))
    mine = session.current()
    session.activate(session.Session(id="lk-other-session"))
    try:
        assert session.current() is not mine
        assert predictions.made("01-networks") is None
        predictions.reveal("01-networks")
        assert "Nothing that reveals 01-networks has run since the prediction" in capsys.readouterr().out
    finally:
        session.activate(mine)
    assert predictions.made("01-networks") == "b" and len(mine.witnessed) == 1


def test_a_daemon_with_other_containers_is_never_called_dockers_own_system_containers():
    """Lesson 00's `docker ps -a` on a Docker that already runs someone's container: that is no choice of the
    prediction (d, "Docker's own system containers", is a misconception), and the reveal says whose they are."""
    header = "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
    row = 'a1b2c3d4e5f6   curlimages/curl:8.14.1   "sleep 60"   1 minute ago   Up 1 minute   mine\n'
    outcome = PREDICTIONS["00-ps"].judge([Result("docker ps -a", 0, header + row)])
    assert not outcome.keys and "labkit did not make" in outcome.happened
    assert PREDICTIONS["00-ps"].judge([Result("docker ps -a", 0, header)]).keys == {"a"}
