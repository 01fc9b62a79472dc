"""What grading leaves in DIR: results.json, junit.xml, feedback/<learner>.md and .html, summary.csv, summary.png."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET


def totals(result: dict) -> tuple[int, int]:
    """A submission's points and maximum."""
    return (sum(e["points"] for e in result["exercises"]), sum(e["max"] for e in result["exercises"]))


def safe_name(learner: str) -> str:
    """A file name for a learner id (path separators and odd characters become '_')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", learner).strip("._") or "learner"


def feedback_lines(result: dict) -> list[tuple[str, str]]:
    """The feedback as (kind, text) lines, rendered to Markdown and HTML alike."""
    got, most = totals(result)
    lesson = f"lesson {result['lesson']}" if result.get("lesson") else "unknown lesson"
    lines = [("h1", f"Feedback for {result['learner']} — {lesson}"), ("p", f"Score: {got} / {most} points")]
    if result.get("error"):
        lines.append(("p", f"Your notebook could not be graded: {result['error']}"))
    for ex in result["exercises"]:
        mark = "✔" if ex["passed"] else "✘"
        lines.append(("h2", f"{mark} {ex['id']} · {ex['title']} ({ex['points']}/{ex['max']})"))
        for part in ex.get("parts", []):
            lines.append(("li", ("✔ " if part["passed"] else "✘ ") + part["check"]
                          + ("" if part["passed"] else f" — {part['found']}")))
        if not ex["passed"] and not ex.get("parts"):
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
    header = ["learner", "lesson", "points", "max", *ids]
    rows = []
    for r in results:
        by_id = {e["id"]: e["points"] for e in r["exercises"]}
        rows.append([r["learner"], r.get("lesson") or "", *totals(r), *(by_id.get(i, "") for i in ids)])
    return header, rows


def pass_rates(results: list[dict]) -> dict[str, float]:
    """For each exercise, the share of submissions that passed it."""
    seen: dict[str, list[bool]] = {}
    for r in results:
        for e in r["exercises"]:
            seen.setdefault(e["id"], []).append(bool(e["passed"]))
    return {k: sum(v) / len(v) for k, v in seen.items()}


def summary_chart(results: list[dict]) -> bytes:
    """A bar chart of the pass rate per exercise, as PNG."""
    from matplotlib.figure import Figure

    from labkit.course.diagrams import png_bytes

    rates = pass_rates(results)
    fig = Figure(figsize=(max(6, 0.6 * len(rates) + 2), 4))
    ax = fig.add_subplot()
    names = list(rates)
    ax.bar(range(len(names)), [100 * rates[n] for n in names], color="#4c9a5b")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("passed (%)")
    ax.set_title(f"Pass rate per exercise ({len(results)} submissions)")
    fig.tight_layout()
    return png_bytes(fig)


def write(out: Path, results: list[dict], engine: str) -> None:
    """Write every output file of a grading run into out."""
    out.mkdir(parents=True, exist_ok=True)
    data = {"engine": engine, "submissions": [dict(r, points=totals(r)[0], max=totals(r)[1]) for r in results]}
    (out / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "junit.xml").write_bytes(junit(results))
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for r in results:
        name = safe_name(r["learner"])
        (feedback / f"{name}.md").write_text(feedback_markdown(r), encoding="utf-8")
        (feedback / f"{name}.html").write_text(feedback_html(r), encoding="utf-8")
    header, rows = summary_rows(results)
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    (out / "summary.png").write_bytes(summary_chart(results))
