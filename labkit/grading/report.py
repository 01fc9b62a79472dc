"""What grading leaves in DIR: results.json, junit.xml, feedback/<learner>.md and .html, summary.csv, summary.png."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from labkit.grading.outdir import OutDir


def totals(result: dict) -> tuple[int, int]:
    """A submission's points and maximum."""
    return (sum(e["points"] for e in result["exercises"]), sum(e["max"] for e in result["exercises"]))


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


def feedback_lines(result: dict) -> list[tuple[str, str]]:
    """The feedback as (kind, text) lines, rendered to Markdown and HTML alike."""
    got, most = totals(result)
    lesson = f"lesson {result['lesson']}" if result.get("lesson") else "unknown lesson"
    lines = [("h1", f"Feedback for {result['learner']} — {lesson}")]
    if result.get("error"):
        lines += [("p", f"NOT GRADED (0 of {most} points): {result['error']}"),
                  ("p", "Your notebook could not be graded, so this is not a score; ask your instructor.")]
    else:
        lines.append(("p", f"Score: {got} / {most} points"))
    for ex in result["exercises"]:
        mark = "✔" if ex["passed"] else "✘"
        tag = " [hidden check]" if ex.get("hidden") else ""
        lines.append(("h2", f"{mark} {ex['id']} · {ex['title']}{tag} ({ex['points']}/{ex['max']})"))
        for part in ex.get("parts", []):  # a hidden check shows what it checks, never what it found
            lines.append(("li", ("✔ " if part["passed"] else "✘ ") + part["check"]
                          + ("" if part["passed"] or ex.get("hidden") else f" — {part['found']}")))
        if not ex["passed"] and not ex.get("parts") and not result.get("error"):
            lines.append(("li", ex["message"]))
        if ex.get("hint"):
            lines.append(("p", f"Hint: {ex['hint']}"))
    if result.get("notes"):
        lines.append(("h2", "Notes from the grader"))
        lines += [("li", n) for n in result["notes"]]
    return lines


def feedback_markdown(result: dict) -> str:
    """One learner's feedback as Markdown."""
    prefix = {"h1": "# ", "h2": "\n## ", "p": "\n", "li": "- "}
    return "\n".join(prefix[kind] + text for kind, text in feedback_lines(result)) + "\n"


def feedback_html(result: dict) -> str:
    """One learner's feedback as a standalone HTML page."""
    body, in_list = [], False
    for kind, text in feedback_lines(result):
        if kind == "li" and not in_list:
            body.append("<ul>")
            in_list = True
        if kind != "li" and in_list:
            body.append("</ul>")
            in_list = False
        body.append(f"<{kind}>{html.escape(text)}</{kind}>")
    if in_list:
        body.append("</ul>")
    title = html.escape(feedback_lines(result)[0][1])
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


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
                fail = ET.SubElement(case, "failure", message=e["message"])
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
    header, rows = summary_rows(results)
    text = io.StringIO(newline="")
    csv.writer(text).writerows([header, *rows])
    folder.write("summary.csv", text.getvalue())
    folder.write("summary.png", summary_chart(results))
