"""What grading leaves in DIR: results.json, junit.xml, feedback/<learner>.md and .html (written by
labkit.grading.feedback; also feedback/<learner>/<assignment>/<notebook>.html for nbgrader's layout),
summary.csv (a row per submission), gradebook.csv (a row per learner, a column per lesson), gradebook-long.csv
(the same grades as `nbgrader export` lays them out: a row per learner and assignment), summary.png.
graded/ keeps each result for the next run (labkit.grading.store).

What a submission controls (its learner's folder name, what its lab or notebook said) is escaped on the way in
(labkit.grading.text) and written as text everywhere: a CSV cell a spreadsheet would run as a formula is made
text (csv_cell), and a result no report can write makes that one submission not graded, never the run fail."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from labkit.grading import handin
from labkit.grading.feedback import clip, feedback_html, feedback_markdown, public_message, totals
from labkit.grading.outdir import OutDir
from labkit.grading.text import clean, clean_text

LONG_GRADEBOOK = "gradebook-long.csv"  # gradebook.csv's long form, nbgrader export's columns (see gradebook_long_rows)
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs as a formula at the start of a cell


def safe_name(learner: str) -> str:
    """A file name for a learner id (path separators and odd characters become '_')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", learner).strip("._") or "learner"


def feedback_name(result: dict) -> str:
    """The feedback file stem of one submission, unique per learner: when making the id a file name changed it
    (`a/b` -> `a_b`), a short hash of the id is added, so `a/b` and `a_b` never share a file."""
    raw = result["learner"] + (f"/{result['assignment']}" if result.get("assignment") else "")
    name = safe_name(raw)
    if name != raw:
        name += "-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
    return name


def junit(results: list[dict]) -> bytes:
    """JUnit XML: one test suite per submission, one test case per exercise."""
    suites = ET.Element("testsuites", name="labkit grade")
    for r in results:
        failures = sum(1 for e in r["exercises"] if not e["passed"])
        suite = ET.SubElement(suites, "testsuite", name=f"{r['learner']}", tests=str(len(r["exercises"])),
                              failures=str(failures), errors="1" if r.get("error") else "0")
        for e in r["exercises"]:
            case = ET.SubElement(suite, "testcase", classname=f"lesson{r.get('lesson') or 'unknown'}.{r['learner']}",
                                 name=e["id"])
            ET.SubElement(case, "properties")
            if not e["passed"]:
                fail = ET.SubElement(case, "failure", message=public_message(e))  # a hidden check: its own words only
                fail.text = e.get("hint") or ""
        if r.get("error"):
            err = ET.SubElement(suite, "error", message=r["error"])
            err.text = r["error"]
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def summary_rows(results: list[dict]) -> tuple[list[str], list[list[object]]]:
    """The class table: one row per submission, one column per exercise."""
    ids: list[str] = []
    for r in results:
        ids += [e["id"] for e in r["exercises"] if e["id"] not in ids]
    header = ["learner", "lesson", "points", "max", "graded", "error", *ids]
    rows = []
    for r in results:
        by_id = {e["id"]: e["points"] for e in r["exercises"]}
        rows.append([r["learner"], r.get("lesson") or "", *totals(r), "no" if r.get("error") else "yes",
                     r.get("error") or "", *(by_id.get(i, "") for i in ids)])
    return header, rows


def gradebook_rows(results: list[dict]) -> tuple[list[str], list[list[object]]]:
    """The course's gradebook: one row per learner, one column per lesson (its points), then the total. A
    submission that could not be graded leaves its cell empty (its error is in summary.csv), never a 0."""
    lessons = sorted({r["lesson"] for r in results if r.get("lesson")})
    book: dict[str, dict[str, int]] = {}
    for r in results:
        row = book.setdefault(r["learner"], {})
        if r.get("lesson") and not r.get("error"):
            row[r["lesson"]] = row.get(r["lesson"], 0) + totals(r)[0]
    header = ["learner", *(f"lesson {n}" for n in lessons), "total"]
    rows = [[who, *(marks.get(n, "") for n in lessons), sum(marks.values())] for who, marks in sorted(book.items())]
    return header, rows


# nbgrader export's columns (`nbgrader export`, grades.csv), which LMS import scripts written for nbgrader read
LONG_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
                "late_submission_penalty", "score", "max_score"]


def assignment_name(result: dict) -> str:
    """The assignment a submission is, as the instructor named it: its nbgrader assignment folder, else the name the
    lesson was released under (`05-container-to-container`), else "" (no lesson known)."""
    if result.get("assignment"):
        return result["assignment"]
    released = handin.released_name(result.get("lesson"))
    return released.removesuffix(".ipynb") if released else ""


def gradebook_long_rows(results: list[dict]) -> tuple[list[str], list[list[object]]]:
    """The gradebook in its long form, as `nbgrader export` writes it: one row per learner and assignment handed in
    (sorted by assignment, then learner), nbgrader's columns and number format. labkit knows no due date, names,
    e-mail or late penalty: those cells are empty (the penalty 0.0 for a graded submission). A submission that
    could not be graded leaves raw_score, penalty and score empty, never 0 (its max_score stays: what it is out of)."""
    rows = []
    for r in results:
        got, most = totals(r)
        graded = not r.get("error")
        rows.append([assignment_name(r), "", r.get("timestamp") or "", r["learner"], "", "", "",
                     float(got) if graded else "", 0.0 if graded else "", float(got) if graded else "", float(most)])
    rows.sort(key=lambda row: (str(row[0]), str(row[3])))
    return list(LONG_COLUMNS), rows


def nbgrader_feedback(result: dict) -> str | None:
    """nbgrader's feedback path for a submission of its layout, `LEARNER/ASSIGNMENT/NOTEBOOK` (each part a safe
    file name, made unique when it had to change), or None outside that layout."""
    if not result.get("assignment"):
        return None
    parts = [result["learner"], result["assignment"], Path(result.get("path") or "notebook").stem]
    safe = []
    for raw in parts:
        name = safe_name(raw)
        safe.append(name if name == raw else name + "-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8])
    return "/".join(safe)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as the text it is: one starting with `= + - @`, a tab or a carriage return (a
    formula to Excel, LibreOffice or Sheets) gets a leading single quote (OWASP's rule on CSV injection); numbers
    stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA) else value


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    """A table as CSV text (what a spreadsheet or an LMS import reads), every cell through csv_cell."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows([[csv_cell(c) for c in row] for row in [header, *rows]])
    return text.getvalue()


def pass_rates(results: list[dict]) -> dict[str, float]:
    """For each exercise, the share of submissions that passed it."""
    seen: dict[str, list[bool]] = {}
    for r in results:
        if r.get("error"):  # not graded is not a failure: it is shown apart
            continue
        for e in r["exercises"]:
            seen.setdefault(e["id"], []).append(bool(e["passed"]))
    return {k: sum(v) / len(v) for k, v in seen.items()}


def summary_chart(results: list[dict]) -> bytes:
    """The class at a glance, as PNG: one panel per lesson (in order), the pass rate of each exercise among
    the graded submissions (hidden checks marked *), and how many could not be graded, shown apart."""
    from matplotlib.figure import Figure

    from labkit.course.ui.diagrams import png_bytes

    lessons = sorted({r.get("lesson") or "?" for r in results})
    fig = Figure(figsize=(max(6.0, 3.2 * len(lessons)), 4))
    axes = fig.subplots(1, len(lessons), squeeze=False, sharey=True)[0]
    for ax, lesson in zip(axes, lessons, strict=True):
        mine = [r for r in results if (r.get("lesson") or "?") == lesson]
        rates = pass_rates(mine)
        hidden = {e["id"] for r in mine for e in r["exercises"] if e.get("hidden")}
        names = list(rates)
        ax.bar(range(len(names)), [100 * rates[n] for n in names], color="#4c9a5b")
        ax.set_xticks(range(len(names)), [n + ("*" if n in hidden else "") for n in names], rotation=45,
                      ha="right", fontsize=8)
        bad = sum(1 for r in mine if r.get("error"))
        ax.set_title(f"lesson {lesson}: {len(mine) - bad} graded" + (f", {bad} not graded" if bad else ""),
                     fontsize=9, color="#a33" if bad else "black")
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("passed (%) among graded")
    fig.suptitle("Pass rate per exercise (* hidden check)", fontsize=10)
    fig.tight_layout()
    return png_bytes(fig)


def pages(result: dict) -> dict[str, str]:
    """One submission's own files in --out (path -> text): its feedback pages. Renders everything the class files
    need of it too, so a result that any report cannot write fails here, alone."""
    name = feedback_name(result)
    out = {f"feedback/{name}.md": feedback_markdown(result), f"feedback/{name}.html": feedback_html(result)}
    nbgrader = nbgrader_feedback(result)
    if nbgrader:  # nbgrader's layout: feedback/<learner>/<assignment>/<notebook>.html
        out[f"feedback/{nbgrader}.html"] = out[f"feedback/{name}.html"]
    junit([result])
    csv_text(*summary_rows([result]))
    csv_text(*gradebook_rows([result]))
    csv_text(*gradebook_long_rows([result]))
    pass_rates([result])
    json.dumps(result, ensure_ascii=False).encode("utf-8")
    return out


def unwritable(result: object, why: str) -> dict:
    """A result the reports could not write, as not graded: its learner, lesson and exercises (each at 0 of its
    maximum) as far as they can be read, and why."""
    r = result if isinstance(result, dict) else {}
    exercises = []
    for e in r.get("exercises") if isinstance(r.get("exercises"), list) else []:
        if isinstance(e, dict):
            most = e.get("max")
            exercises.append({"id": clean_text(e.get("id") or "?"), "title": clean_text(e.get("title") or ""),
                              "points": 0, "max": most if isinstance(most, int) and not isinstance(most, bool) else 0,
                              "passed": False, "message": f"not graded: {why}", "hidden": e.get("hidden") is True,
                              "hint": "", "parts": []})
    text = {k: clean_text(r[k]) if isinstance(r.get(k), str) else None for k in ("assignment", "path", "lesson")}
    return dict(text, learner=clean_text(r.get("learner") or "unknown"), error=why, notes=[], exercises=exercises)


def writable(result: dict) -> tuple[dict, dict[str, str]]:
    """A result as the reports write it, with its pages: every string escaped (text.clean); a result they cannot
    write at all is made not graded, with the reason, and written so. The result given is updated in place, so
    the grader's count and return value say what the reports say."""
    fixed = clean(result)
    try:
        own = pages(fixed)
    except Exception as err:  # noqa: BLE001 - one submission's result never stops the reports of the others
        fixed = unwritable(fixed, f"its result could not be written ({type(err).__name__}: {clip(str(err), 200)})")
        own = pages(fixed)
    if isinstance(result, dict) and fixed != result:
        result.clear()
        result.update(fixed)
    return fixed, own


def write(out: Path, results: list[dict], engine: str, sandbox: str = "none", folder: OutDir | None = None) -> None:
    """Write every output file of a grading run into out (only the grader writes there; see outdir). No string from
    a submission stops it: see writable."""
    folder = folder or OutDir(out)
    prepared = [writable(r) for r in results]
    results = [r for r, _ in prepared]
    names = [feedback_name(r) for r in results]
    data = {"engine": engine, "sandbox": sandbox,
            "submissions": [dict(r, points=totals(r)[0], max=totals(r)[1], graded=not r.get("error"),
                                 feedback=f"feedback/{n}.md") for r, n in zip(results, names, strict=True)]}
    folder.write("results.json", json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    folder.write("junit.xml", junit(results))
    for _, own in prepared:
        for rel, text in own.items():
            folder.write(rel, text)
    folder.write("summary.csv", csv_text(*summary_rows(results)))
    folder.write("gradebook.csv", csv_text(*gradebook_rows(results)))
    folder.write(LONG_GRADEBOOK, csv_text(*gradebook_long_rows(results)))
    folder.write("summary.png", summary_chart(results))
