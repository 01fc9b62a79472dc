"""What grading leaves in DIR: results.json, junit.xml, feedback/<learner>.md and .html (written by
labkit.grading.feedback; also feedback/<learner>/<assignment>/<notebook>.html for nbgrader's layout),
summary.csv (a row per submission), gradebook.csv (a row per learner, a column per lesson), summary.png.
graded/ keeps each result for the next run (labkit.grading.store)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from labkit.grading.feedback import feedback_html, feedback_markdown, public_message, totals
from labkit.grading.outdir import OutDir


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


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    """A table as CSV text (what a spreadsheet or an LMS import reads)."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows([header, *rows])
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

    from labkit.course.diagrams import png_bytes

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


def write(out: Path, results: list[dict], engine: str, sandbox: str = "none", folder: OutDir | None = None) -> None:
    """Write every output file of a grading run into out (only the grader writes there; see outdir)."""
    folder = folder or OutDir(out)
    names = [feedback_name(r) for r in results]
    data = {"engine": engine, "sandbox": sandbox,
            "submissions": [dict(r, points=totals(r)[0], max=totals(r)[1], graded=not r.get("error"),
                                 feedback=f"feedback/{n}.md") for r, n in zip(results, names, strict=True)]}
    folder.write("results.json", json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    folder.write("junit.xml", junit(results))
    for r, name in zip(results, names, strict=True):
        folder.write(f"feedback/{name}.md", feedback_markdown(r))
        folder.write(f"feedback/{name}.html", feedback_html(r))
        nbgrader = nbgrader_feedback(r)
        if nbgrader:  # nbgrader's layout: feedback/<learner>/<assignment>/<notebook>.html
            folder.write(f"feedback/{nbgrader}.html", feedback_html(r))
    folder.write("summary.csv", csv_text(*summary_rows(results)))
    folder.write("gradebook.csv", csv_text(*gradebook_rows(results)))
    folder.write("summary.png", summary_chart(results))
