"""A learner's feedback page: it says what each exercise asked, counts cells as the learner does, gives hints that
stand on their own, never shows what a hidden check found, and is a self-contained page that escapes whatever the
learner controls."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labkit.course import prompts
from labkit.course.catalog import EXERCISES, HINTS, QUESTIONS
from labkit.grading import feedback, report
from labkit.grading.feedback import feedback_html, feedback_lines, feedback_markdown
from tests.grading.corpus import exercise_index, jobs_under, released, solve

HOSTILE = "<script>alert(1)</script>"
SECRET = "SECRET-hidden-source-7f3a"
# what only makes sense next to the notebook
NOTEBOOK_ONLY = re.compile(r"\b(above|below|this lesson|the lesson's|experiment|the cell)\b", re.I)


def ex(id: str, passed: bool = False, parts: list | None = None, hint: str = "", hidden: bool = False,
       message: str = "", title: str | None = None) -> dict:
    """An exercise of a result, as the worker reports it."""
    most = EXERCISES[id].points if id in EXERCISES else 1
    return {"id": id, "title": title or (EXERCISES[id].title if id in EXERCISES else id), "points": most * passed,
            "max": most, "passed": passed, "message": message or ("passed" if passed else "not yet"),
            "hidden": hidden, "hint": hint, "parts": parts or []}


def part(check: str, passed: bool, found: str = "") -> dict:
    return {"check": check, "passed": passed, "found": found}


def result(exercises: list[dict], learner: str = "ada", lesson: str = "02", **more) -> dict:
    return {"learner": learner, "path": "", "lesson": lesson, "error": None, "notes": [], "exercises": exercises,
            **more}


def first_hint(id: str) -> str:
    return EXERCISES[id].hints[0]


class Page(HTMLParser):
    """Every tag, attribute and style of an HTML page, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def assert_self_contained(page: str, clean: bool = True) -> None:
    """Nothing on the page loads or runs anything: inline style, no script, link, image, frame or form. (A clean
    page holds no URL-like text either; a hostile one may, escaped, as text: then only its markup is searched.)"""
    parsed = Page(page)
    markup = re.sub(r">[^<]*<", "><", page) if not clean else page  # the text between tags removed
    assert "<script" not in page.lower() and "<link" not in page.lower()
    for needle in ("src=", "href=", "url(", "@import", "//"):
        assert needle not in markup.lower(), needle
    assert "http" not in markup.replace('http-equiv="Content-Security-Policy"', "")
    assert set(parsed.tags) <= {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "section",
                                "blockquote", "ul", "li", "code"}, parsed.tags
    assert {k for k, _ in parsed.attrs} <= {"lang", "charset", "http-equiv", "content", "name", "class"}
    assert any(k == "content" and v.startswith("default-src 'none';") for k, v in parsed.attrs)  # loads nothing


# -- what each exercise asked ---------------------------------------------------------------------------------
def test_a_quiz_shows_its_question_and_choices_and_the_learners_choice():
    r = result([ex("14-lock-4", parts=[part("the chosen answer is right", False, "you chose 'a'")],
                   hint=first_hint("14-lock-4"))], lesson="14")
    md, page = feedback_markdown(r), feedback_html(r)
    q = QUESTIONS["14-lock-4"]
    assert "In container A," in md and "while container B (another namespace) listens on 3000:" in md
    assert "`curl localhost:3000`" in md and "<code>curl localhost:3000</code>" in page
    for key, text in q.choices:
        assert f"({key}) {text}" in md and html.escape(f"({key}) {text}") in page
    assert "you chose &#x27;a&#x27;" in page and "you chose 'a'" in md
    assert "Mental lock 4" in md  # the title stays, the question is what it asked
    assert_self_contained(page)


def test_a_lab_exercise_shows_its_task_and_every_released_exercise_has_one():
    r = result([ex("02-server", parts=[part("a container called server exists", False,
                                            "there is no container called server")], hint=first_hint("02-server"))])
    md, page = feedback_markdown(r), feedback_html(r)
    assert "> Start the server again: a container named `server`, from the image `day8`, on `day8-net`" in md
    assert "Start the server again: a container named <code>server</code>" in page
    assert "Score: 0 / 2 points" in md and "Hint: Which flags give a container a name" in md
    assert_self_contained(page)
    for id, e in EXERCISES.items():
        asked = prompts.prompt(id)
        assert asked and asked != e.title and not NOTEBOOK_ONLY.search(asked), (id, asked)
        assert bool(prompts.choices(id)) == (e.kind == "quiz"), id


def test_hints_on_the_page_stand_alone():
    for id, e in EXERCISES.items():
        r = result([ex(id, hint=e.hints[0], parts=[part("something", False, "not yet")])], lesson=e.lesson)
        [hint] = [t for k, t in feedback_lines(r) if k == "hint"]
        assert not NOTEBOOK_ONLY.search(hint), (id, hint)
        assert not re.search(r"\bLock \d's\b", hint), (id, hint)
        if e.kind == "quiz":  # the first hint points into the lesson ("Lock 4's experiment…"); the page gives the idea
            assert hint == f"Hint: {HINTS[id][1]}" and NOTEBOOK_ONLY.search(HINTS[id][0]), (id, HINTS[id][0])
    passed = result([ex("02-server", passed=True, parts=[part("server is running", True)])])
    assert not any(k == "hint" for k, _ in feedback_lines(passed))


# -- cell numbers ----------------------------------------------------------------------------------------------
def layout_notebook(path: Path) -> Path:
    """text, code 1, text, code 2, text, code 3."""
    cells = [new_markdown_cell("# t"), new_code_cell("x = 1"), new_markdown_cell("a"), new_code_cell("while True: pass"),
             new_markdown_cell("b"), new_code_cell("y = 2")]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_a_note_from_a_real_kernel_run_names_the_code_cell(tmp_path):
    from labkit.grading import kernel

    nb_path = layout_notebook(tmp_path / "ada-02.ipynb")
    notes = kernel.execute(nbformat.read(nb_path, as_version=4), tmp_path, cell_timeout=2, timeout=60, env={})
    assert any("ran longer than" in n for n in notes), notes
    assert any(n.startswith("code cell 2 ran longer than 2 s") for n in notes), notes  # text cells not counted
    md = feedback_markdown(result([ex("02-server", passed=True)], path=str(nb_path), notes=notes))
    assert "- code cell 2 ran longer than 2 s" in md, md
    assert "Cell numbers count the code cells of your notebook, from 1 at the top" in md


# -- hidden checks, ungraded submissions -------------------------------------------------------------------------
def test_a_hidden_check_never_shows_what_it_found_or_its_source():
    leaky = [ex("02-log", hidden=True, title="The server said it listens", hint="What does `docker logs server` show?",
                message=f"not yet: server's log says it listens — {SECRET}",
                parts=[part("server's log says it listens", False, SECRET), part("server ran", True, SECRET)]),
             ex("02-crash", hidden=True, title="Another", message=f"not yet: {SECRET}"),
             ex("02-broke", hidden=True, title="Broken", message="the check could not run (KeyError)")]
    r = result([ex("02-server", passed=True, parts=[part("server is running", True)]), *leaky])
    for text in (feedback_markdown(r), feedback_html(r), report.junit([r]).decode()):
        assert SECRET not in text
    md = feedback_markdown(r)
    assert "## ✘ 02-log · The server said it listens [hidden check] (0/1 points)" in md
    assert "- ✘ server's log says it listens\n" in md and "- ✔ server ran\n" in md
    assert "- ✘ not passed\n" in md and "- ✘ the check could not run (KeyError)" in md
    assert "Hint: What does `docker logs server` show?" in md  # the instructor's hint is theirs to give
    assert '<section class="fail hidden">' in feedback_html(r)


def test_an_ungraded_submission_says_so_and_why_and_is_not_a_score():
    r = result([dict(ex("02-server"), message="not graded: interrupted")], error="interrupted", lesson="02")
    md, page = feedback_markdown(r), feedback_html(r)
    assert "NOT GRADED (0 of 2 points): interrupted" in md and "Score:" not in md
    assert '<p class="ungraded">NOT GRADED (0 of 2 points): interrupted</p>' in page and "Score:" not in page
    assert "## – 02-server · Run the server on day8-net, with no published port (not graded; 2 points)" in md
    assert "✘" not in md and "Hint:" not in md and "Start the server again" in md
    assert_self_contained(page)


# -- escaping, a page of its own -------------------------------------------------------------------------------
def hostile_result() -> dict:
    return result([ex("05-server-ip", hint=first_hint("05-server-ip"), parts=[
        part("server's address on day8-net matches the lab", False, f"you recorded '{HOSTILE}'")]),
        ex("02-server", parts=[part("server is running", False,
                                    "its log ends with: <img src=x onerror=alert(2)> [x](javascript:alert(3))")])],
        learner=f"{HOSTILE}\n# owned <a href=//evil>", lesson="05",
        notes=[f"a cell claims to be exercise '{HOSTILE}', which lesson 05 does not have; ignored"])


def test_what_the_learner_controls_is_text_on_both_pages():
    r = hostile_result()
    page, md = feedback_html(r), feedback_markdown(r)
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"you recorded &#x27;{html.escape(HOSTILE)}&#x27;" in page
    assert_self_contained(page, clean=False)
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(md)  # raw HTML passes through CommonMark: none may be left
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered, rendered
    assert html.escape(HOSTILE, quote=False) in rendered and "[x](javascript:alert(3))" in rendered
    assert rendered.count("<h1>") == 1 and "# owned" in md  # a newline in an id starts no heading of its own


def test_a_huge_recorded_answer_is_clipped():
    r = result([ex("05-server-ip", parts=[part("server's address", False, "you recorded '" + "9" * 100_000 + "'")])],
               lesson="05")
    md = feedback_markdown(r)
    assert len(md) < 5_000 and "more characters not shown" in md


def test_markdown_and_html_come_from_the_same_lines():
    r = hostile_result()
    lines = feedback_lines(r)
    page, md = feedback_html(r), feedback_markdown(r)
    for kind, text in lines:
        rich = kind.split()[0] in feedback.RICH
        assert (feedback.html_rich(text) if rich else html.escape(text)) in page, (kind, text)
        assert (feedback.md_rich(text) if rich else feedback.md_plain(text)) in md, (kind, text)
    assert len([k for k, _ in lines if k.startswith("h2")]) == md.count("\n## ") == page.count("<h2>")


def test_reports_write_both_pages_for_every_learner(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "summary_chart", lambda results: b"png")
    r = hostile_result()
    report.write(tmp_path, [r], "sim", "bwrap")
    [page] = (tmp_path / "feedback").glob("*.html")
    [md] = (tmp_path / "feedback").glob("*.md")
    assert page.read_text() == feedback_html(r) and md.read_text() == feedback_markdown(r)


# -- a real grading run --------------------------------------------------------------------------------------------
@pytest.mark.sim_pass
def test_feedback_of_a_graded_submission(tmp_path):
    from labkit.grading.run import grade

    subs = tmp_path / "subs"
    subs.mkdir()
    nb = solve(released("02"))
    at = exercise_index(nb, "02-server")
    nb.cells.insert(at, new_code_cell("while True:\n    pass"))
    nbformat.write(nb, subs / "loop-02.ipynb")
    code_number = sum(1 for c in nb.cells[:at + 1] if c.cell_type == "code")
    nb = released("14")
    nb.cells[exercise_index(nb, "14-lock-4")].source = 'labkit.quiz("14-lock-4", answer="a")'
    nbformat.write(nb, subs / "quiz-14.ipynb")
    with jobs_under(tmp_path):
        results = {r["learner"]: r for r in grade([str(subs)], str(tmp_path / "out"), jobs=2, timeout=120,
                                                  cell_timeout=5, say=lambda s: None)}
    out = tmp_path / "out" / "feedback"
    loop = (out / "loop-02.md").read_text()
    assert any(n.startswith(f"code cell {code_number} ran longer") for n in results["loop-02"]["notes"]), \
        results["loop-02"]["notes"]
    assert f"- code cell {code_number} ran longer than 5 s" in loop, loop
    assert "Score: 2 / 2 points" in loop and "> Start the server again" in loop
    quiz = (out / "quiz-14.md").read_text()
    assert "> In container A, `curl localhost:3000` while container B" in quiz and "you chose 'a'" in quiz
    assert f"Hint: {HINTS['14-lock-4'][1]}" in quiz and "Lock 4's experiment" not in quiz
    for page in out.glob("*.html"):
        assert_self_contained(page.read_text(), clean=False)
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {s["learner"]: s["points"] for s in data["submissions"]} == {"loop-02": 2, "quiz-14": 0}
