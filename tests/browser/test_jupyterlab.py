"""A real browser takes the course as a learner does: in the workspace `make lab` opens (`labkit workspace`), in
JupyterLab, with JupyterLab's news pop-up turned off the way `labkit workspace` does it.

- The workspace copies of 00 and 09 open with no output at all (no stored outputs, no execution counts); running
  one cell shows that cell's output and no other.
- A prediction (`labkit.predict`) is answered in its widget before the revealing cell runs, and the reveal says
  whether it held (skipped, with the reason, while a lesson has no prediction cell).
- Run All of 00 and 05 renders text, a diagram and a widget, and nothing raises.

JupyterLab runs headless from this interpreter's environment on a workspace made in a temporary folder (the repo
is never written to; the JupyterLab settings overrides go to a temporary application settings folder); Debian's
Chromium (/usr/bin/chromium) is driven by Playwright. A screenshot of each notebook, taken even when the test
fails, goes to artifacts/browser/ at the repo root.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labkit import coursefiles

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = coursefiles.course_dir()
NOTEBOOKS = ("00-start-here.ipynb", "05-container-to-container.ipynb")
"""The notebooks the browser runs all of: the one list to edit."""
FIRST_LOOK = ("00-start-here.ipynb", "09-fix-bind-all-interfaces.ipynb")
"""The notebooks opened as a learner first meets them: no output before Run; a prediction answered and revealed."""
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"

START_DEADLINE = 90.0  # JupyterLab answering on its port
LOAD_DEADLINE = 90.0  # notebook open and its kernel idle
RUN_DEADLINE = 120.0  # every code cell executed
RENDER_DEADLINE = 20.0  # outputs (widgets render asynchronously) present after the run
VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT_HEIGHT = 30000

# Lab settings for the run: every cell in the DOM (no windowing), no autosave. The news pop-up is off through the
# overrides `labkit workspace` writes (the test checks that they are what turns it off).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
NEWS_PLUGIN = "@jupyterlab/apputils-extension:notification"
NEWS_QUESTION = "official Jupyter news"  # JupyterLab's pop-up: "Would you like to get notified about official Jupyter news?"


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    log: Path
    session: str  # LABKIT_SESSION of the kernels: labels what the notebooks create on the engine

    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    for rel, values in LAB_SETTINGS.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextlib.contextmanager
def jupyterlab(workdir: Path) -> Iterator[Lab]:
    """Serve a learner's workspace made from notebooks/ (as `make lab` does) with JupyterLab; shut it (and its
    kernels) down afterwards."""
    from labkit.admin import labsettings, workspace

    root = workdir / "workspace"
    workspace.ensure(root, NOTEBOOK_DIR)
    app_settings = workdir / "app-settings"
    labsettings.quiet_jupyterlab(app_settings)
    _write_settings(workdir / "lab-settings")
    (workdir / "runtime").mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, workdir / "jupyterlab.log", session=secrets.token_hex(6))
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--allow-root", "--expose-app-in-browser",
        "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={workdir / 'lab-settings'}", f"--LabApp.app_settings_dir={app_settings}",
        f"--LabApp.workspaces_dir={workdir / 'lab-workspaces'}",
    ]  # fmt: skip
    # LABKIT_ENGINE, DOCKER_HOST … pass through; the session is this run's own, so teardown removes exactly its resources
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"), "LABKIT_SESSION": lab.session}
    with lab.log.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode} before answering:\n{lab.log_tail()}")
            try:
                lab.api("GET", "/api/status", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {lab.url} within {START_DEADLINE:.0f} s:\n{lab.log_tail()}")
            time.sleep(0.2)
        yield lab
    finally:
        _shutdown(lab, proc)
        _clean_engine(lab.session)


def _shutdown(lab: Lab, proc: subprocess.Popen) -> None:
    # Kernels run in their own sessions (process groups): shut them down through the server first, gracefully,
    # so whatever they started (the embedded engine's container processes) is cleaned up by them.
    if proc.poll() is None:
        with contextlib.suppress(Exception):
            for session in lab.api("GET", "/api/sessions"):
                with contextlib.suppress(Exception):
                    lab.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)


def _clean_engine(session: str) -> None:
    """Remove what the notebooks left on the engine (lessons keep their lab running): on Docker, or in the
    embedded engine's daemon, which outlives the kernels as Docker does."""
    from labkit.engines.select import choose
    from labkit.ownership import clean

    try:
        engine, _ = choose()
    except Exception:  # no engine answers now: nothing of ours can be left on one
        return
    clean(engine, session, say=lambda _line: None)


# --- in the page: JupyterLab is exposed as window.jupyterapp (--expose-app-in-browser) ---------------------------

_FIND_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  return Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path && w.content) || null;
}
"""

_LOAD_STATE = f"""
(path) => {{
  const panel = ({_FIND_PANEL})(path);
  const dialog = document.querySelector('.jp-Dialog');
  if (!panel) return {{panel: false, dialog: !!dialog}};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {{panel: true, dialog: !!dialog, ready: panel.context.isReady && panel.sessionContext.isReady,
           kernel: kernel ? kernel.status : null}};
}}
"""

_RUN_ALL = f"""
async (path) => {{
  const panel = ({_FIND_PANEL})(path);
  window.jupyterapp.shell.activateById(panel.id);
  await window.jupyterapp.commands.execute('notebook:run-all-cells');
}}
"""

# Cells as the learner sees them: the prompt's execution count and the rendered outputs (DOM); emptiness and
# error outputs are read from the model, which says exactly what the kernel sent.
_RUN_STATE = f"""
(path) => {{
  const panel = ({_FIND_PANEL})(path);
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code').map((c, i) => {{
    const outputs = c.model.outputs.toJSON();
    return {{
      index: i,
      empty: c.model.sharedModel.getSource().trim() === '',
      prompt: ((c.node.querySelector('.jp-InputArea-prompt') || {{}}).textContent || '').trim(),
      errors: outputs.filter(o => o.output_type === 'error').map(o => `${{o.ename}}: ${{o.evalue}}`),
    }};
  }});
  const node = panel.content.node;
  const outs = Array.from(node.querySelectorAll('.jp-OutputArea-output'));
  const mime = el => el.getAttribute('data-mime-type') || '';
  const textMimes = ['application/vnd.jupyter.stdout', 'text/plain', 'text/html', 'text/markdown', 'text/latex'];
  return {{
    kernel: kernel ? kernel.status : null,
    cells,
    text: outs.filter(el => textMimes.includes(mime(el)) && el.textContent.trim()).length,
    images: Array.from(node.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"] img'))
      .filter(img => img.complete && img.naturalWidth > 0).length,
    // ipywidgets 8 views: a top-level `widget-…` element (e.g. .widget-radio) or a .jupyter-widgets container
    widgets: node.querySelectorAll(['.jp-OutputArea-output > [class*="widget-"]:not(.widget-error)',
                                    '.jp-OutputArea-output .jupyter-widgets:not(.widget-error)'].join(', ')).length,
    widget_errors: Array.from(node.querySelectorAll('.jp-OutputArea-output .widget-error'))
      .map(el => el.textContent.trim().slice(0, 300)),
    tracebacks: outs.filter(el => mime(el) === 'application/vnd.jupyter.stderr' && /Traceback/.test(el.textContent))
      .map(el => el.textContent.trim().slice(-600)),
  }};
}}
"""

# How much taller the notebook's scrolling element is than its box (0 once the viewport shows it all).
_EXTRA_HEIGHT = f"""
(path) => {{
  const panel = ({_FIND_PANEL})(path);
  let extra = 0;
  for (const el of [panel.content.node, ...panel.content.node.querySelectorAll('.jp-WindowedPanel-outer')]) {{
    el.scrollTop = 0;
    extra = Math.max(extra, el.scrollHeight - el.clientHeight);
  }}
  return extra;
}}
"""


def _unfinished(state: dict) -> list[int]:
    """Code cells (not empty: JupyterLab does not run those) whose prompt shows no execution count ('[ ]:', '[*]:')."""
    return [c["index"] for c in state["cells"] if not c["empty"] and not re.fullmatch(r"\[\d+\]:", c["prompt"])]


def _rendered(state: dict) -> bool:
    return state["text"] > 0 and state["images"] > 0 and state["widgets"] > 0


class PollTimeout(AssertionError):
    """A state the page never reached within its deadline."""


def _poll(page, js: str, arg, deadline: float, done, what: str):
    """Evaluate `js` until `done(state)`; raise PollTimeout with the last state after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        state = page.evaluate(js, arg)
        if done(state):
            return state
        if time.monotonic() > end:
            raise PollTimeout(f"{what} not reached within {deadline:.0f} s; last state: {json.dumps(state)[:2000]}")
        page.wait_for_timeout(250)


def _load(page, name: str) -> None:
    def done(state):
        if state and state["dialog"]:  # e.g. "Select Kernel" for a notebook without kernelspec: take the default
            page.click(".jp-Dialog .jp-mod-accept")
            return False
        return bool(state and state["panel"] and state.get("ready") and state.get("kernel") == "idle")

    _poll(page, _LOAD_STATE, name, LOAD_DEADLINE, done, f"{name}: notebook open with an idle kernel")


@contextlib.contextmanager
def opened(browser, lab: Lab, name: str, screenshot: Path) -> Iterator:
    """(page, page errors) with `name` open in JupyterLab and its kernel idle; screenshot always; its kernel shut down
    after."""
    assert (lab.root / name).is_file(), f"{name} is not in the workspace made from {NOTEBOOK_DIR.relative_to(ROOT)}/"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []  # what the page raised, for the failure messages
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # a JupyterLab workspace (layout) of its own, reset: only this notebook is open, whatever ran before
        layout = secrets.token_hex(4)
        page.goto(f"{lab.url}/lab/workspaces/{layout}/tree/{name}?reset&token={lab.token}", wait_until="domcontentloaded")
        _load(page, name)
        yield page, errors
    finally:
        try:
            extra = page.evaluate(_EXTRA_HEIGHT, name)
            height = min(VIEWPORT["height"] + extra, MAX_SCREENSHOT_HEIGHT)
            page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
            page.wait_for_function(_EXTRA_HEIGHT, arg=name, timeout=5000, polling=100)  # falsy (0) once it all fits
        except Exception:  # a partial screenshot is still worth having
            pass
        with contextlib.suppress(Exception):
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        context.close()  # autosave is off: nothing is saved to the workspace
        with contextlib.suppress(Exception):  # the next test opens the notebook on a kernel of its own
            for session in lab.api("GET", "/api/sessions"):
                if session["path"] == name:
                    lab.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)


def run_notebook(browser, lab: Lab, name: str, screenshot: Path) -> dict:
    """Open `name` in JupyterLab, run all cells, wait for the kernel; return what rendered. Screenshot always."""
    with opened(browser, lab, name, screenshot) as (page, errors):
        page.evaluate(_RUN_ALL, name)

        def finished(state):
            if state["kernel"] == "idle" and any(c["errors"] for c in state["cells"]):
                return True  # a raising cell stops the run: report it now rather than at the deadline
            return state["kernel"] == "idle" and not _unfinished(state)

        state = _poll(page, _RUN_STATE, name, RUN_DEADLINE, finished, f"{name}: kernel idle and every code cell run")
        if not any(c["errors"] for c in state["cells"]):
            with contextlib.suppress(PollTimeout):  # check_rendered reports what is missing
                state = _poll(page, _RUN_STATE, name, RENDER_DEADLINE, _rendered, f"{name}: outputs rendered")
        state["page_errors"] = errors
        return state


# --- one cell at a time, as a learner goes ---------------------------------------------------------------------------

# Every cell (markdown too, so an index is the notebook's own) as the model holds it and as the page shows it.
_CELLS = f"""
(path) => {{
  const panel = ({_FIND_PANEL})(path);
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const text = o => [].concat(o.text || (o.data && o.data['text/plain']) || o.evalue || '').join('');
  return {{
    kernel: kernel ? kernel.status : null,
    news: document.body.innerText.includes({json.dumps(NEWS_QUESTION)}),
    cells: panel.content.widgets.map((c, i) => {{
      const code = c.model.type === 'code';
      const outputs = code ? c.model.outputs.toJSON() : [];
      return {{
        index: i, code, source: c.model.sharedModel.getSource(),
        count: code ? c.model.executionCount : null,
        outputs: outputs.length,
        errors: outputs.filter(o => o.output_type === 'error').map(o => `${{o.ename}}: ${{o.evalue}}`),
        text: outputs.map(text).join(''),
        shown: c.node.querySelectorAll('.jp-OutputArea-output').length,
        prompt: ((c.node.querySelector('.jp-InputArea-prompt') || {{}}).textContent || '').trim(),
      }};
    }}),
  }};
}}
"""

_RUN_CELL = f"""
async ([path, index]) => {{
  const panel = ({_FIND_PANEL})(path);
  window.jupyterapp.shell.activateById(panel.id);
  panel.content.activeCellIndex = index;
  panel.content.deselectAll();
  if (window.jupyterapp.shell.currentWidget !== panel) throw new Error(`${{path}} is not the current notebook`);
  await window.jupyterapp.commands.execute('notebook:run-cell');
}}
"""

# Mark the first entry of a cell's widget (a radio button, else a text box) so that Playwright can act on it as a
# learner would (a real click or typing); return what it is and, for a choice, its label.
_MARK_ENTRY = f"""
([path, index]) => {{
  const panel = ({_FIND_PANEL})(path);
  const node = panel.content.widgets[index].node;
  document.querySelectorAll('[data-lk-entry]').forEach(el => el.removeAttribute('data-lk-entry'));
  const radio = node.querySelector('.jp-OutputArea-output input[type=radio]');
  if (radio) {{
    radio.setAttribute('data-lk-entry', '1');
    const label = radio.closest('label');
    return {{kind: 'choice', label: label ? label.textContent.trim() : ''}};
  }}
  const text = node.querySelector('.jp-OutputArea-output input[type=text], .jp-OutputArea-output textarea');
  if (text) {{ text.setAttribute('data-lk-entry', '1'); return {{kind: 'text'}}; }}
  return null;
}}
"""


_CELL_TEXT = f"""
([path, index]) => ({_FIND_PANEL})(path).content.widgets[index].node.innerText
"""


def _cells(page, name: str) -> dict:
    return page.evaluate(_CELLS, name)


def run_cell(page, name: str, index: int) -> dict:
    """Run one cell (JupyterLab's "Run Selected Cell and Do not Advance"); wait for its execution count and an idle kernel."""
    page.evaluate(_RUN_CELL, [name, index])

    def done(state):
        cell = state["cells"][index]
        return state["kernel"] == "idle" and (cell["count"] is not None or cell["errors"])

    state = _poll(page, _CELLS, name, RUN_DEADLINE, done, f"{name}: cell {index} run")
    cell = state["cells"][index]
    assert not cell["errors"], f"{name}: cell {index} raised {cell['errors']}:\n{cell['source']}"
    return state


def _index(state: dict, needle: str, after: int = -1) -> int | None:
    return next((c["index"] for c in state["cells"] if c["code"] and c["index"] > after and needle in c["source"]), None)


# --- fixtures and the tests ------------------------------------------------------------------------------------------
def check_rendered(name: str, state: dict) -> None:
    """The assertions: no error, every cell run, text, a PNG diagram and a widget rendered."""
    errors = [f"cell {c['index']}: {e}" for c in state["cells"] for e in c["errors"]]
    assert not errors, f"{name}: error output(s): {errors}"
    assert not state["tracebacks"], f"{name}: traceback on stderr: {state['tracebacks']}"
    assert not state["widget_errors"], f"{name}: widget failed to render: {state['widget_errors']}"
    assert not _unfinished(state), f"{name}: code cells without an execution count: {_unfinished(state)}"
    seen = {k: state[k] for k in ("text", "images", "widgets")}
    hint = f"{name}: rendered {seen}; page errors: {state['page_errors'][:3]}"
    assert state["text"] > 0, f"no text output. {hint}"
    assert state["images"] > 0, f"no PNG image output. {hint}"
    assert state["widgets"] > 0, f"no ipywidgets view rendered. {hint}"


@pytest.fixture(scope="module")
def browser():
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def lab_server(browser, tmp_path_factory):
    with jupyterlab(tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(browser, lab_server, name):
    state = run_notebook(browser, lab_server, name, ARTIFACTS / f"{Path(name).stem}.png")
    check_rendered(name, state)


def test_jupyterlab_takes_its_news_setting_from_the_overrides(lab_server):
    """`labkit workspace`'s overrides are what JupyterLab serves as the default: it never asks about news."""
    schema = lab_server.api("GET", f"/lab/api/settings/{NEWS_PLUGIN}")["schema"]["properties"]
    assert schema["fetchNews"]["default"] == "false" and schema["checkForUpdates"]["default"] is False


@pytest.mark.parametrize("name", FIRST_LOOK)
def test_a_workspace_lesson_shows_nothing_before_run(browser, lab_server, name):
    with opened(browser, lab_server, name, ARTIFACTS / f"{Path(name).stem}-first-look.png") as (page, _):
        state = _cells(page, name)
        code = [c for c in state["cells"] if c["code"]]
        assert code, f"{name}: no code cell"
        stored = [(c["index"], c["outputs"], c["count"], c["shown"]) for c in code
                  if c["outputs"] or c["count"] is not None or c["shown"]]
        assert stored == [], f"{name}: cells with an output or an execution count before Run: {stored}"
        assert all(c["prompt"] in ("[ ]:", "") for c in code), [c["prompt"] for c in code]
        first = _index(state, "labkit.lesson(")
        assert first is not None, f"{name}: no labkit.lesson(...) cell"
        state = run_cell(page, name, first)
        lesson = name[:2]
        ran = state["cells"][first]
        assert ran["count"] == 1 and f"Lesson {lesson} " in ran["text"] and "the lab is ready" in ran["text"], ran
        _poll(page, _CELLS, name, RENDER_DEADLINE, lambda st: st["cells"][first]["shown"] > 0, f"{name}: output shown")
        others = [c["index"] for c in _cells(page, name)["cells"] if c["index"] != first and (c["outputs"] or c["shown"])]
        assert others == [], f"{name}: cells that were not run show output: {others}"
        assert not _cells(page, name)["news"], f"{name}: JupyterLab's news pop-up is on the page"


# ------------------------------------------------------------------------------------------------------------------
# PREDICTIONS (helper H's `labkit.predict` / `labkit.reveal`, labkit/course/predictions.py). This test answers the
# first prediction of each lesson in its widget, as a learner would, then runs the cells up to its reveal and reads
# the verdict. It skips, with the reason, while the lesson's notebook has no `labkit.predict(` cell yet.
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIRST_LOOK)
def test_a_prediction_is_answered_then_revealed(browser, lab_server, name):
    import nbformat

    sources = [c.source for c in nbformat.read(lab_server.root / name, as_version=4).cells]
    if not any("labkit.predict(" in src for src in sources):
        pytest.skip(f"{name} has no labkit.predict(...) cell yet (the lessons' predictions are not in the notebooks)")
    with opened(browser, lab_server, name, ARTIFACTS / f"{Path(name).stem}-prediction.png") as (page, _):
        state = _cells(page, name)
        ask = _index(state, "labkit.predict(")
        reveal = _index(state, "labkit.reveal(", after=ask)
        assert reveal is not None, f"{name}: no labkit.reveal(...) after the prediction in cell {ask}"
        for cell in state["cells"][: ask + 1]:
            if cell["code"] and cell["source"].strip():
                run_cell(page, name, cell["index"])
        entry = _poll(page, _MARK_ENTRY, [name, ask], RENDER_DEADLINE, bool, f"{name}: the prediction's widget")
        if entry["kind"] == "choice":
            page.locator("[data-lk-entry]").click()
            expected = entry["label"]
        else:
            page.locator("[data-lk-entry]").fill("it fails")
            page.locator("[data-lk-entry]").press("Enter")
            expected = "'it fails'"
        _poll(page, _CELL_TEXT, [name, ask], RENDER_DEADLINE, lambda text: "(recorded)" in text,
              f"{name}: the widget says the prediction is recorded")
        for cell in state["cells"][ask + 1 : reveal + 1]:
            if cell["code"] and cell["source"].strip():
                state = run_cell(page, name, cell["index"])
        verdict = state["cells"][reveal]["text"]
        assert "You made no prediction" not in verdict, verdict
        assert ("Your prediction held: " in verdict or "Your prediction did not hold: " in verdict), verdict
        assert expected in verdict, f"the verdict does not name the choice made ({expected!r}): {verdict}"
