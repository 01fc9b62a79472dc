"""Predict before you see: `labkit.predict("01-networks")` records the learner's guess, `labkit.reveal(...)` says
whether it held.

Design (why it is built this way):

- **Asked before, judged after, from what really happened.** A prediction is a choice (or a short text) made in
  its own cell, before the cell that reveals it. The revealing cell runs the lesson's real command (`%docker …`,
  `%host …`) and ends with `labkit.reveal("01-networks")`. The magics hand every result they print to
  `witness()`; the reveal judges the results witnessed since the prediction was asked (or since the last reveal),
  with the prediction's own judge (its lesson's module, labkit.course.lessons), which reads exit codes and output — never a
  stored answer. So the reveal agrees with whatever the engine did: on Docker, the racy answer to a host request
  whose app listens on 127.0.0.1 (curl 52 or 56) is one outcome described once, and either code holds.
- **The revealing command stays the lesson's command.** The learner keeps typing docker; the reveal is one line
  after it (in the same cell when the command is a `%docker` line, in the next cell after a `%%docker` cell).
- **Deterministic when nothing was predicted.** The released notebooks are executed with no prediction made,
  and nbval compares their outputs on both engines: then the reveal prints "You made no prediction for …"
  and the outcome's fixed description (no ids, no addresses, no timings).
- **Not graded.** Predictions live on the learner's Session (labkit.session), never in the answers the grader
  reads: a wrong guess costs nothing, and the reveal says what happened either way.
- **Kept as long as the lab.** The session keeps them in its store on disk (labkit.session), so after a kernel
  restart the widget shows the prediction made and the reveal judges it; a grading kernel's session has none.
"""

from __future__ import annotations

from labkit import session
from labkit.contract.result import Result
from labkit.course.catalog import PREDICTIONS
from labkit.course.outcomes import Outcome, Prediction
from labkit.errors import CommandError


def _made() -> dict[str, str]:
    """The current session's predictions: id -> the learner's choice key or text."""
    return session.current().predictions


def _seen() -> list[Result]:
    """The results the current session was shown since its last predict() or reveal()."""
    return session.current().witnessed


def witness(result: Result) -> None:
    """Remember a result the learner was shown (the magics call this), for the next reveal to judge."""
    _seen().append(result)


def made(pid: str) -> str | None:
    """The prediction recorded for pid, or None."""
    return _made().get(pid)


def forget() -> None:
    """Forget the current session's predictions (kept ones too) and witnessed results (tests)."""
    session.current().forget_predictions()


def _spec(pid: str) -> Prediction:
    if pid not in PREDICTIONS:
        raise CommandError(f"labkit: there is no prediction {pid!r}; the predictions are: "
                           f"{', '.join(sorted(PREDICTIONS))}\n", 1)
    return PREDICTIONS[pid]


def record(pid: str, value: str) -> None:
    """Record a prediction (a choice key, or a short text for a free-text prediction)."""
    p = _spec(pid)
    value = str(value).strip()
    keys = [k for k, _ in p.choices]
    if keys and value not in keys:
        raise CommandError(f"labkit: {value!r} is not a choice of {pid}; write one of {', '.join(keys)}\n", 1)
    if not keys and not value:
        raise CommandError(f"labkit: type what you expect for {pid} (a few words)\n", 1)
    session.current().record_prediction(pid, value)


def _text(pid: str, p: Prediction, chosen: str | None) -> str:
    lines = [f"Predict {pid}: {p.prompt}", *(f"  {k}) {t}" for k, t in p.choices)]
    how = 'choice="…"' if p.choices else 'text="…"'
    if chosen is None:
        lines.append(f"Your prediction: none yet. {'Pick one' if p.choices else 'Type it'} (or write {how} in this "
                     "cell), then run the next cell to see.")
    else:
        lines.append(f"Your prediction: {_label(p, chosen)} (recorded). Now run the next cell to see.")
    return "\n".join(lines)


def _label(p: Prediction, value: str) -> str:
    return next((f"{k}) {t}" for k, t in p.choices if k == value), repr(value))


def predict(pid: str, choice: str | None = None, text: str | None = None) -> None:
    """Ask a prediction before the cell that reveals it: a widget (choices, or a text box) with the same question
    as text where widgets do not show. choice=/text= in the cell records it too and keeps it through re-runs."""
    import html

    import ipywidgets as w
    from IPython.display import display

    p = _spec(pid)
    given = choice if choice is not None else text
    if given is not None:
        record(pid, given)
    chosen = _made().get(pid)
    _seen().clear()
    feedback = w.HTML()

    def show(value: str | None) -> None:
        feedback.value = ("<p>Your prediction: none yet.</p>" if value is None else
                          f"<p>Your prediction: {html.escape(_label(p, value))} (recorded). Now run the next cell "
                          "to see.</p>")

    def changed(change) -> None:
        value = change["new"]
        if value:
            session.current().record_prediction(pid, str(value).strip())
            _seen().clear()
            show(_made()[pid])

    if p.choices:
        entry = w.RadioButtons(options=[(f"{k}) {t}", k) for k, t in p.choices], value=chosen,
                               layout=w.Layout(width="max-content"))
    else:
        entry = w.Text(value=chosen or "", placeholder="what you expect, in a few words", continuous_update=False)
    entry.observe(changed, names="value")
    show(chosen)
    box = w.VBox([w.HTML(f"<b>Predict {pid}</b>: {_html(p.prompt)}"), entry, feedback])
    display({"text/plain": _text(pid, p, chosen), "application/vnd.jupyter.widget-view+json":
             {"version_major": 2, "version_minor": 0, "model_id": box.model_id}}, raw=True)


def _html(text: str) -> str:
    import html
    import re

    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def verdict(pid: str, results: list[Result], guess: str | None) -> str:
    """The reveal's text: what happened (judged from the results) and whether the guess held."""
    p = _spec(pid)
    if not any(p.reveals(r) for r in results):
        return (f"Nothing that reveals {pid} has run since the prediction: run the command above "
                f"(`{p.command}`), then reveal again.")
    outcome: Outcome = p.judge([r for r in results if p.reveals(r)])
    happened = outcome.happened + "."
    if p.choices and outcome.keys:
        happened += " That is " + " or ".join(_label(p, k) for k in sorted(outcome.keys)) + "."
    if guess is None:
        return f"You made no prediction for {pid}. What happened: {happened}"
    if outcome.holds(guess):
        return f"Your prediction held: {_label(p, guess)}. What happened: {happened}"
    return f"Your prediction did not hold: you expected {_label(p, guess)}. What happened: {happened}"


def reveal(pid: str, result: Result | None = None) -> None:
    """After the revealing command: print what happened and whether the recorded prediction held.

    Judged from the results printed since the prediction was asked (or the given result)."""
    results = [result] if result is not None else list(_seen())
    print(verdict(pid, results, _made().get(pid)))
    _seen().clear()
