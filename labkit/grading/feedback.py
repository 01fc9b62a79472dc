"""One learner's feedback: a list of (kind, text) lines, rendered to Markdown and to a self-contained HTML page.

The lines say what the learner needs on a page of its own, away from the notebook: the score (or NOT GRADED and
why), then each exercise with what it asked (the course's own words, standing alone: labkit.course.prompts), what
passed and what was found, and a hint that makes sense there; then the grader's notes, with cells counted as a
learner counts them: code cells only, from 1 at the top. A hidden check shows what it checks, never its source
or what it found.

A kind is an element (h1, score, ungraded, h2, p, prompt, choice, li, note, hint), then classes for the page's style
("h2 fail hidden"). The text of prompt, choice and hint lines is the course's (or the instructor's) and marks
code in `backticks`; every other text is plain and may hold what a learner controls (their id, a recorded
answer, a log line): every line is made text any page can hold (labkit.grading.text: surrogates and control
characters escaped), the HTML escapes it all, the Markdown escapes what would make it markup (HTML, links, code).
The page has its style inline and nothing else: no script, no link, no image, and a policy that loads nothing.
"""

from __future__ import annotations

import html
import re

from labkit.course import prompts
from labkit.course.catalog import LESSONS
from labkit.grading.text import clean_text

RICH = {"prompt", "choice", "hint"}  # text with `code`, from the course or the instructor
LISTS = {"li": "parts", "choice": "choices", "note": "notes"}
CLIP = 600  # characters kept of one plain line (a recorded answer can be a megabyte)
HIDDEN_NOTE = "A hidden check your instructor added: it shows what it checks, never how or what it found."
CELL_NOTE = "Cell numbers count the code cells of your notebook, from 1 at the top (text cells are not counted)."


def totals(result: dict) -> tuple[int, int]:
    """A submission's points and maximum."""
    return (sum(e["points"] for e in result["exercises"]), sum(e["max"] for e in result["exercises"]))


def clip(text: str, most: int = CLIP) -> str:
    """Text cut to `most` characters, saying so."""
    text = str(text)
    return text if len(text) <= most else text[:most] + f"… ({len(text) - most} more characters not shown)"


def public_message(ex: dict) -> str:
    """An exercise's one-line verdict; a hidden check's only when it is the grader's own words (that it could not
    run or was not graded, or which of its parts failed), never anything the check found."""
    msg = str(ex.get("message") or "")
    if not ex.get("hidden"):
        return msg
    said = {"passed", *(f"not yet: {p.get('check')}" for p in ex.get("parts") or [])}
    own = msg in said or re.fullmatch(r"the check could not run \(\w+\)", msg) or msg.startswith("not graded: ")
    return msg if own else ("passed" if ex.get("passed") else "not passed")


def exercise_lines(ex: dict, graded: bool) -> list[tuple[str, str]]:
    """One exercise: heading, what it asks, its parts (or message), its hint."""
    hidden = bool(ex.get("hidden"))
    state = "pass" if ex["passed"] else "fail" if graded else "ungraded"
    mark = {"pass": "✔", "fail": "✘", "ungraded": "–"}[state]
    score = f"{ex['points']}/{ex['max']} points" if graded else f"not graded; {ex['max']} points"
    tag = " [hidden check]" if hidden else ""
    lines = [(f"h2 {state}" + (" hidden" if hidden else ""), f"{mark} {ex['id']} · {ex['title']}{tag} ({score})")]
    asked = None if hidden else prompts.prompt(ex["id"])
    if hidden:
        lines.append(("p hidden", HIDDEN_NOTE))
    elif asked and asked != ex["title"]:
        lines.append(("prompt", asked))
    lines += [("choice", f"({key}) {text}") for key, text in ([] if hidden else prompts.choices(ex["id"]))]
    for part in ex.get("parts", []) if graded else []:  # a hidden check shows what it checks, never what it found
        ok = bool(part["passed"])
        found = "" if ok or hidden or not part.get("found") else f" — {part['found']}"
        lines.append(("li pass" if ok else "li fail", clip(("✔ " if ok else "✘ ") + str(part["check"]) + found)))
    if graded and not ex["passed"] and not ex.get("parts"):
        lines.append(("li fail", clip("✘ " + public_message(ex))))
    if graded and not ex["passed"] and ex.get("hint"):
        hint = ex["hint"] if hidden else (prompts.standalone_hint(ex["id"]) or ex["hint"])
        lines.append(("hint", f"Hint: {hint}"))
    return lines


def feedback_lines(result: dict) -> list[tuple[str, str]]:
    """The feedback as (kind, text) lines, rendered to Markdown and HTML alike."""
    got, most = totals(result)
    lesson = result.get("lesson")
    where = f"lesson {lesson}" + (f" · {LESSONS[lesson]}" if lesson in LESSONS else "") if lesson else \
        "unknown lesson"
    lines = [("h1", clip(f"Feedback for {result['learner']}", 200) + f" — {where}")]
    if result.get("assignment"):
        lines.append(("p", clip(f"Assignment: {result['assignment']}", 200)))
    error = result.get("error")
    if error:
        lines += [("ungraded", clip(f"NOT GRADED (0 of {most} points): {error}")),
                  ("p", "Your notebook could not be graded, so this is not a score; ask your instructor.")]
    else:
        passed = sum(1 for e in result["exercises"] if e["passed"])
        lines.append(("score", f"Score: {got} / {most} points · {passed} of {len(result['exercises'])} "
                               "exercises passed"))
    for ex in result["exercises"]:
        lines += exercise_lines(ex, graded=not error)
    if result.get("notes"):
        notes = [clip(str(n)) for n in result["notes"]]
        lines.append(("h2 notes", "Notes from the grader"))
        lines += [("note", n) for n in notes]
        if any("code cell" in n for n in notes):
            lines.append(("p", CELL_NOTE))
    return [(kind, clean_text(text)) for kind, text in lines]  # whatever the result held: text any page can hold


# -- Markdown ----------------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"[\\`*<>&]|\](?=[(\[:])|(?<!\w)_|_(?!\w)")  # `]` only where it would close a link


def md_plain(text: str, start: bool = True) -> str:
    """Text as Markdown that renders as that text: one line, no HTML, no link, no code, no emphasis (and, at the
    start of a line, no heading, list or table)."""
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), re.sub(r"\s+", " ", str(text)))
    return re.sub(r"^([#+=|\[-]|\d+(?=[.)]))", r"\\\1", text) if start else text


def md_rich(text: str) -> str:
    """Course text as Markdown: `code` kept as code spans, the rest as plain text."""
    parts = re.split(r"(`[^`\n]+`)", str(text))
    return "".join(p if i % 2 else md_plain(p, start=i == 0) for i, p in enumerate(parts))


def feedback_markdown(result: dict) -> str:
    """One learner's feedback as Markdown."""
    prefix = {"h1": "# ", "h2": "\n## ", "score": "\n", "ungraded": "\n", "p": "\n", "prompt": "\n> ",
              "choice": "* ", "li": "- ", "note": "- ", "hint": "\n"}
    out, before = [], ""
    for kind, text in feedback_lines(result):
        tag = kind.split()[0]
        gap = "\n" if tag in LISTS and before not in (tag, "h1", "h2") else ""
        out.append(gap + prefix[tag] + (md_rich(text) if tag in RICH else md_plain(text)))
        before = tag
    return "\n".join(out) + "\n"


# -- HTML --------------------------------------------------------------------------------------------------------
STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1f2328; font: 16px/1.5 system-ui, -apple-system, "Segoe UI",
       Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef0f3;
       padding: .05em .3em; border-radius: 4px; }
p.score, p.ungraded { font-size: 1.2rem; font-weight: 600; padding: .8rem 1rem; border-radius: 8px; margin: 0 0 1rem; }
p.score { background: #e7f3ea; border: 1px solid #9fd0ab; }
p.ungraded { background: #fdecea; border: 1px solid #e8a39b; color: #8a1c12; }
section { background: #fff; border: 1px solid #d8dee4; border-left: 6px solid #8c959f; border-radius: 8px;
          padding: .8rem 1rem; margin: 0 0 1rem; }
section.pass { border-left-color: #2da44e; }
section.pass h2 { color: #1a7f37; }
section.fail { border-left-color: #cf222e; }
section.fail h2 { color: #a40e26; }
section.ungraded h2 { color: #57606a; }
section.hidden { background: #faf7ff; }
section.notes { border-left-color: #bf8700; }
blockquote.prompt { margin: .25rem 0 .6rem; padding: .4rem .8rem; background: #f6f8fa; border-left: 3px solid #afb8c1; }
ul { margin: .3rem 0 .6rem; padding-left: 1.4rem; }
ul.parts { list-style: none; padding-left: .2rem; }
li.pass { color: #1a7f37; }
li.fail { color: #a40e26; }
p.hidden { color: #6639ba; font-style: italic; margin: .2rem 0 .5rem; }
p.hint { background: #fff8c5; border: 1px solid #e3cc6b; border-radius: 6px; padding: .4rem .8rem; margin: .5rem 0 0; }
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
_ELEMENT = {"h1": "h1", "h2": "h2", "score": "p", "ungraded": "p", "p": "p", "prompt": "blockquote",
            "choice": "li", "li": "li", "note": "li", "hint": "p"}


def html_rich(text: str) -> str:
    """Course text as HTML: `code` as <code>, everything escaped."""
    return "".join(f"<code>{html.escape(p[1:-1])}</code>" if i % 2 else html.escape(p)
                   for i, p in enumerate(re.split(r"(`[^`\n]+`)", str(text))))


def feedback_html(result: dict) -> str:
    """One learner's feedback as a self-contained, styled HTML page (inline style; no script, link or image)."""
    lines = feedback_lines(result)
    body: list[str] = []
    open_list, open_section = "", False
    for kind, text in lines:
        tag, *classes = kind.split()
        if open_list and LISTS.get(tag) != open_list:
            body.append("</ul>")
            open_list = ""
        if tag == "h2":
            if open_section:
                body.append("</section>")
            body.append(f'<section class="{html.escape(" ".join(classes))}">')
            open_section = True
        if tag in LISTS and not open_list:
            open_list = LISTS[tag]
            body.append(f'<ul class="{open_list}">')
        element = _ELEMENT[tag]
        css = " ".join([tag] * (tag in ("score", "ungraded", "prompt", "hint")) + (classes if tag != "h2" else []))
        attr = f' class="{html.escape(css)}"' if css else ""
        inner = html_rich(text) if tag in RICH else html.escape(str(text))
        body.append(f"<{element}{attr}>{inner}</{element}>")
    body += ["</ul>"] * bool(open_list) + ["</section>"] * open_section
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(lines[0][1])}</title>\n<style>{STYLE}</style>\n</head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")
