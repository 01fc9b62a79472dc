"""Learner widgets (ipywidgets): a quiz whose answer is recorded for grading, and a request-path explorer."""

from __future__ import annotations

from labkit.course import answers
from labkit.course.exercises import QUESTIONS
from labkit.errors import CommandError


def _keep_line(qid: str, choice: str) -> str:
    return ("To keep this answer when the notebook is re-run or graded, the cell should read: "
            f'labkit.quiz("{qid}", answer="{choice}")')


def quiz(qid: str, answer: str | None = None):
    """Show a multiple-choice question; the choice (clicked, or given as answer=) is recorded for grading."""
    import ipywidgets as w
    from IPython.display import display

    if qid not in QUESTIONS:
        raise CommandError(f"labkit: there is no question {qid!r}; the questions are: {', '.join(sorted(QUESTIONS))}\n", 1)
    q = QUESTIONS[qid]
    keys = [k for k, _ in q.choices]
    if answer is not None and answer not in keys:
        raise CommandError(f"labkit: {answer!r} is not a choice of {qid}; write one of {', '.join(keys)}\n", 1)
    print(f"{qid}: {q.prompt}")
    for key, text in q.choices:
        print(f"  {key}) {text}")
    if answer is None:
        print("Your answer: none yet. Pick one below, or write answer=\"…\" in this cell.")
    else:
        answers.record(qid, answer)
        print(f"Your answer: {answer} (recorded). " + ("Right: " + q.why if answer == q.correct else
                                                          "Not quite — look at the experiment again."))
    radio = w.RadioButtons(options=[(f"{k}) {t}", k) for k, t in q.choices], value=answer,
                           layout=w.Layout(width="max-content"))
    feedback = w.HTML()

    def chosen(change) -> None:
        value = change["new"]
        if value is None:
            return
        answers.record(qid, value)
        verdict = "✔ Right. " + q.why if value == q.correct else "✘ Not quite — which experiment above shows it?"
        feedback.value = f"<p>{verdict}</p><p><small>{_keep_line(qid, value)}</small></p>"

    radio.observe(chosen, names="value")
    display(w.VBox([w.HTML(f"<b>{qid}</b>: {q.prompt}"), radio, feedback]))


def explorer(source: str = "client", url: str = "http://server:3000"):
    """Pick a source container (or the host) and a URL, and see the request's path hop by hop."""
    import ipywidgets as w
    from IPython.display import display

    from labkit.course import diagrams, paths, state

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
