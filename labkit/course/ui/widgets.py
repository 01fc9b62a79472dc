"""Learner widgets (ipywidgets): a quiz whose answer is recorded for grading, and a request-path explorer."""

from __future__ import annotations

from labkit.course import answers
from labkit.course.catalog import QUESTIONS
from labkit.course.checks import quiz_feedback
from labkit.errors import CommandError


def _keep_line(qid: str, choice: str) -> str:
    return ("Your click is kept for this session, through a kernel restart; for grading, which re-runs the "
            f'notebook, the cell should read: labkit.quiz("{qid}", answer="{choice}")')


def _html(text: str) -> str:
    """Question text as HTML: escaped, with `code` shown as code."""
    import html
    import re

    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _verdict(qid: str, value: str) -> str:
    """What the widget says of a choice: the check's own words (labkit.course.checks.quiz_feedback)."""
    return quiz_feedback(qid, value)


def quiz(qid: str, answer: str | None = None):
    """Show a multiple-choice question once (a widget, with the same question as text where widgets do not
    show); the choice, clicked or given as answer=, is recorded and kept with the session (a kernel restart keeps
    a click); grading re-runs the notebook, so only answer= counts there."""
    import ipywidgets as w
    from IPython.display import display

    if qid not in QUESTIONS:
        raise CommandError(f"labkit: there is no question {qid!r}; the questions are: {', '.join(sorted(QUESTIONS))}\n", 1)
    q = QUESTIONS[qid]
    keys = [k for k, _ in q.choices]
    if answer is not None and answer not in keys:
        raise CommandError(f"labkit: {answer!r} is not a choice of {qid}; write one of {', '.join(keys)}\n", 1)
    earlier = answers.get(qid) if answer is None else None  # a click made before this cell ran again
    chosen_now = answer if answer is not None else (earlier if earlier in keys else None)
    if answer is not None:
        answers.record(qid, answer)
    lines = [f"{qid}: {q.prompt}", *(f"  {k}) {t}" for k, t in q.choices)]
    if chosen_now is None:
        lines.append('Your answer: none yet. Pick one, or write answer="…" in this cell.')
    else:
        how = "recorded" if answer is not None else "your earlier click, recorded"
        lines.append(f"Your answer: {chosen_now} ({how}). {_verdict(qid, chosen_now)}")
    text = "\n".join(lines)

    radio = w.RadioButtons(options=[(f"{k}) {t}", k) for k, t in q.choices], value=chosen_now,
                           layout=w.Layout(width="max-content"))
    feedback = w.HTML()

    def show(value: str | None) -> None:
        if value is None:
            feedback.value = '<p>Your answer: none yet. Pick one, or write answer="…" in this cell.</p>'
            return
        mark = "✔" if value == q.correct else "✘"
        keep = "" if value == answer else f"<p><small>{_html(_keep_line(qid, value))}</small></p>"
        feedback.value = f"<p>Your answer: {value}. {mark} {_html(_verdict(qid, value))}</p>{keep}"

    def chosen(change) -> None:
        if change["new"] is not None:
            answers.record(qid, change["new"])
            show(change["new"])

    show(chosen_now)
    radio.observe(chosen, names="value")
    box = w.VBox([w.HTML(f"<b>{qid}</b>: {_html(q.prompt)}"), radio, feedback])
    # one output: the live widget, and the question as text for nbval, a reloaded page or a plain terminal
    display({"text/plain": text, "application/vnd.jupyter.widget-view+json":
             {"version_major": 2, "version_minor": 0, "model_id": box.model_id}}, raw=True)


def explorer(source: str = "client", url: str = "http://server:3000"):
    """Pick a source container (or the host) and a URL, and see the request's path hop by hop."""
    import ipywidgets as w
    from IPython.display import display

    from labkit.course import paths, state
    from labkit.course.ui import diagrams

    names = [c.name for c in state.snapshot().containers if c.running] + [paths.HOST]
    src = w.Dropdown(options=names, value=source if source in names else names[0], description="from")
    target = w.Text(value=url, description="URL")
    go = w.Button(description="trace request", button_style="primary")
    out = w.Output()

    def run(_=None) -> None:
        # write into the widget's own state, so the result lives in the widget and not in the cell's outputs
        out.outputs = ()
        try:
            t = paths.trace(state.snapshot(), src.value, target.value)
        except ValueError as err:
            out.append_stdout(str(err) + "\n")
            return
        t.observed = paths.observe(src.value, target.value)
        out.append_stdout(str(t))
        out.append_display_data(diagrams.image(diagrams.request_path_figure(t)))

    go.on_click(run)
    print(f"Request explorer: sources {', '.join(names)}; pick one, type a URL, press 'trace request'.")
    display(w.VBox([w.HBox([src, target, go]), out]))
    run()
