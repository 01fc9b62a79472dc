"""Nothing on screen answers a question before it is asked (issue 21).

For every prediction and every quiz question of every lesson (labkit.course.catalog), the text a learner has on
screen before the answer is shown holds none of that question's giveaway words. That text is, in the lesson's
released notebook:

- every cell before the question: markdown, code, and stored outputs (the set-up cell's too), except the outputs of
  other questions' cells (a question lists its choices; a choice is not a fact);
- the question's own prompt (without its choices);
- the markdown between the question and its reveal (`labkit.reveal("id")` for a prediction, `labkit.check("id")`
  for a quiz; a quiz with no check cell of its own, lesson 14's, has none: its experiment follows it);
- the first markdown cell after the reveal: in the workspace the cells have no outputs, so it sits on the same
  screen as the question (code cells in between show nothing yet), and it must not state what the reveal is about
  to show: the explanation comes after a cell that runs something.

The giveaway words are chosen per question, in PREDICTIONS and QUIZZES: the facts of the right answer that would
settle it (a prediction), or the wording that would hand over the right choice (a quiz, which reviews what the
lesson showed: the rule stated right above it is a giveaway, the lesson's experiments are not). A word matches whole,
in the text as rendered (no backticks or asterisks), case-insensitively (case-sensitively when it has a capital
letter); a trailing `*` matches any ending ("refus*": refused, refuses). Every question of the catalog needs an
entry, so a new lesson's questions are checked from their first day.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labkit.course import catalog

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

PREDICTIONS: dict[str, tuple[str, ...]] = {  # the facts of the answer
    "00-ps": ("header", "no containers yet"),
    "01-networks": ("built-in", "host and none", "three networks"),
    "01-create": ("network's ID", "its ID", "hex digits"),
    "02-run-d": ("container's ID", "full ID", "hex digits", "docker logs"),
    "02-port": ("no host port", "shows nothing", "prints nothing"),
    "03-typo": ("does not guess", "best effort", "was created", "created first", "holds the name", "not found"),
    "03-isolated": ("isolates", "DNS answers only", "not even resolve", "does not resolve", "NXDOMAIN"),
    "04-nslookup": ("127.0.0.11", "knows server"),
    "05-dns": ("127.0.0.11",),
    "05-web": ("HTTP 200", "successful", "succeeds"),
    "05-hello": ("refus*", "127.0.0.1", "loopback", "not right"),
    "06-localhost": ("refus*", "own loopback", "never reaches", "never means"),
    "07-ps": ("Up", "server running", "running day8", "3000/tcp", "declares"),
    "08-inside": ("Hello from inside", "it does", "is fine"),
    "08-eth0": ("refus*", "does not receive", "not for you", "no listener"),
    "09-rebuild": ("rebuild*", "re-create*", "recreate*", "rm -f"),
    "10-members": ("client and server", "every container attached", "both containers"),
    "11-host-3000": ("refus*", "nothing on the host listens", "cannot reach"),
    "11-interfaces": ("every interface", "0.0.0.0:8081", "[::]:8081", "any machine"),
    "11-loopback": ("dropped", "curl 52", "curl 56", "(52)", "(56)", "reset", "unreachable", "breaks host access"),
    "12-network": ("shop_default", "_default"),
    "12-localhost": ("localhost:5432 does not", "own loopback", "db:5432 works", "db:5432 answers"),
    "13-dns": ("two addresses", "round-robin", "all of them", "one per replica"),
    "13-port-taken": ("already in use", "taken", "cannot listen", "one set of ports", "dies"),
    "14-bridge": ("never heard", "does not resolve", "no DNS", "internal DNS per network"),
}
QUIZZES: dict[str, tuple[str, ...]] = {  # the wording that hands over the right choice
    "00-model": ("embedded DNS server for the network",),
    "06-localhost": ("client container itself",),
    "07-ps": ("not which address", "says nothing about the address"),
    "14-lock-1": ("names, not IPs", "container or service name"),
    "14-lock-2": ("internal DNS per network", "no embedded DNS", "never heard"),
    "14-lock-3": ("never needed internally", "only for traffic from the host"),
    "14-lock-4": ("never crosses", "own loopback"),
    "14-lock-5": ("same network namespace", "breaks all external access"),
    "14-lock-6": ("every interface", "is mandatory"),
    "14-lock-7": ("name, DNS, address, app", "the other container's IP"),
}
GIVEAWAYS = {"predict": PREDICTIONS, "quiz": QUIZZES}


def _questions() -> list[tuple[str, str, str, str]]:
    """(id, lesson key, kind, prompt) of every prediction and quiz question in the catalog."""
    found = []
    for lesson in catalog.lessons():
        found += [(pid, lesson.key, "predict", p.prompt) for pid, p in lesson.predictions.items()]
        found += [(e.id, lesson.key, "quiz", e.question.prompt) for e in lesson.exercises if e.question is not None]
    return found


def _notebook(key: str) -> list[dict]:
    (path,) = NOTEBOOKS.glob(f"{key}-*.ipynb")
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _outputs(cell: dict) -> str:
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append("".join(out["text"]))
        for kind in ("text/plain", "text/markdown", "text/html"):
            if kind in out.get("data", {}):
                texts.append("".join(out["data"][kind]))
    return "\n".join(texts)


ASKS = re.compile(r"labkit\.(predict|quiz)\(")


def on_screen_before_answer(cells: list[dict], qid: str, kind: str, prompt: str) -> list[tuple[str, str]]:
    """(where, text) of everything a learner has on screen before question qid's answer is shown."""
    call = f'labkit.{kind}("{qid}"'
    asked = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and call in _source(c)]
    assert len(asked) == 1, f"{qid}: its notebook asks it {len(asked)} times ({call}…)"
    q = asked[0]
    revealing = f'labkit.reveal("{qid}"' if kind == "predict" else f'labkit.check("{qid}"'
    r = next((i for i in range(q, len(cells)) if revealing in _source(cells[i])), q)
    shown = []
    for i, cell in enumerate(cells[:q]):
        shown.append((f"cell {i} ({cell['cell_type']})", _source(cell)))
        if cell["cell_type"] == "code" and not ASKS.search(_source(cell)):
            shown.append((f"cell {i} (its stored output)", _outputs(cell)))
    shown.append(("the question's prompt", prompt))
    shown += [(f"cell {i} (markdown before the reveal)", _source(cells[i]))
              for i in range(q + 1, r + 1) if cells[i]["cell_type"] == "markdown"]
    after = next((i for i in range(r + 1, len(cells)) if cells[i]["cell_type"] == "markdown"), None)
    if after is not None:
        shown.append((f"cell {after} (the markdown right after the reveal)", _source(cells[after])))
    return shown


def _pattern(word: str) -> re.Pattern[str]:
    open_end = word.endswith("*")
    word = word.rstrip("*")
    text = ("(?<!\\w)" if word[0].isalnum() else "") + re.escape(word)
    if not open_end and word[-1].isalnum():
        text += "(?!\\w)"
    return re.compile(text, 0 if any(ch.isupper() for ch in word) else re.IGNORECASE)


def giveaways_in(shown: list[tuple[str, str]], words: tuple[str, ...]) -> list[str]:
    """Each giveaway word found in the shown text: where, and the line around it."""
    hits = []
    for word in words:
        pattern = _pattern(word)
        for where, text in shown:
            rendered = " ".join(text.replace("`", "").replace("*", "").split())  # no code or bold marks, one line
            hits += [f"{word!r} in {where}: …{rendered[max(0, m.start() - 60):m.end() + 60]}…"
                     for m in pattern.finditer(rendered)]
    return hits


@pytest.mark.parametrize("kind", ["predict", "quiz"])
def test_every_question_has_its_giveaway_words(kind):
    ids = {qid for qid, _, k, _ in _questions() if k == kind}
    assert sorted(ids - set(GIVEAWAYS[kind])) == [], "choose the giveaway words of these questions"
    assert sorted(set(GIVEAWAYS[kind]) - ids) == [], "these questions are no longer in the catalog"
    assert all(GIVEAWAYS[kind][qid] for qid in ids)


@pytest.mark.parametrize("qid, key, kind, prompt",
                         [pytest.param(*q, id=f"{q[2]}-{q[0]}") for q in _questions()])
def test_nothing_on_screen_answers_the_question_before_it_is_asked(qid, key, kind, prompt):
    shown = on_screen_before_answer(_notebook(key), qid, kind, prompt)
    hits = giveaways_in(shown, GIVEAWAYS[kind].get(qid, ()))
    assert hits == [], f"{qid} is answered on screen before it is asked:\n  " + "\n  ".join(hits)


def test_the_matcher_finds_a_giveaway_and_only_a_whole_one():
    shown = [("cell 1", "It prints the new network's ID.\nimage day8, its server.py binds 127.0.0.11")]
    assert giveaways_in(shown, ("network's ID",)) == ["\"network's ID\" in cell 1: …It prints the new network's ID. "
                                                      "image day8, its server.py binds 127.0.0.11…"]
    assert giveaways_in(shown, ("127.0.0.1",)) == []  # 127.0.0.11 is another address
    assert giveaways_in([("c", "set-up done")], ("Up",)) == []  # capitals: matched case-sensitively
    assert giveaways_in([("c", "It was refused.")], ("refus*",)) != []
    assert giveaways_in([("c", "says nothing about the\naddress")], ("says nothing about the address",)) != []


@pytest.mark.parametrize("qid, key", [pytest.param(q[0], q[1], id=q[0]) for q in _questions() if q[2] == "predict"])
def test_every_prediction_is_introduced_as_one(qid, key):
    """The markdown right above a prediction asks for it ("Predict"), so the learner knows to guess before running."""
    cells = _notebook(key)
    (q,) = [i for i, c in enumerate(cells) if f'labkit.predict("{qid}"' in _source(c)]
    above = next(c for c in reversed(cells[:q]) if c["cell_type"] == "markdown")
    assert "**Predict" in _source(above), f"{qid}: the markdown above it does not ask for a prediction"
