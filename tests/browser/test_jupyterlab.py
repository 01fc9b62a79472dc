"""A real browser runs course notebooks in JupyterLab: text, a diagram and a widget render, and nothing raises.

JupyterLab runs headless from this interpreter's environment on a temporary copy of notebooks/ (the repo is never
written to); Debian's Chromium (/usr/bin/chromium) is driven by Playwright. A screenshot of each notebook, taken
even when the test fails, goes to artifacts/browser/ at the repo root.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
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

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = ("00-start-here.ipynb", "05-container-to-container.ipynb")
"""The notebooks the browser runs: the one list to edit."""
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"

START_DEADLINE = 90.0  # JupyterLab answering on its port
LOAD_DEADLINE = 90.0  # notebook open and its kernel idle
RUN_DEADLINE = 120.0  # every code cell executed
RENDER_DEADLINE = 20.0  # outputs (widgets render asynchronously) present after the run
VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT_HEIGHT = 30000

# Lab settings for the run: every cell in the DOM (no windowing), no autosave, no news/update requests.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


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
def jupyterlab(notebook_dir: Path, workdir: Path) -> Iterator[Lab]:
    """Serve a temporary copy of `notebook_dir` with JupyterLab; shut it (and its kernels) down afterwards."""
    root = workdir / "notebooks"
    shutil.copytree(notebook_dir, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    _write_settings(workdir / "lab-settings")
    (workdir / "runtime").mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, workdir / "jupyterlab.log", session=secrets.token_hex(6))
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--allow-root", "--expose-app-in-browser",
        "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={workdir / 'lab-settings'}",
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


def run_notebook(browser, lab: Lab, name: str, screenshot: Path) -> dict:
    """Open `name` in JupyterLab, run all cells, wait for the kernel; return what rendered. Screenshot always."""
    assert (lab.root / name).is_file(), f"{name} is not in {NOTEBOOK_DIR.relative_to(ROOT)}/"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}", wait_until="domcontentloaded")
        _load(page, name)
        page.evaluate(_RUN_ALL, name)

        def finished(state):
            if state["kernel"] == "idle" and any(c["errors"] for c in state["cells"]):
                return True  # a raising cell stops the run: report it now rather than at the deadline
            return state["kernel"] == "idle" and not _unfinished(state)

        state = _poll(page, _RUN_STATE, name, RUN_DEADLINE, finished, f"{name}: kernel idle and every code cell run")
        if not any(c["errors"] for c in state["cells"]):
            with contextlib.suppress(PollTimeout):  # check_rendered reports what is missing
                state = _poll(page, _RUN_STATE, name, RENDER_DEADLINE, _rendered, f"{name}: outputs rendered")
        state["page_errors"] = page_errors
        return state
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
        context.close()  # the notebook is a temporary copy with autosave off: nothing is saved


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


# --- fixtures and the test -----------------------------------------------------------------------------------------


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
    with jupyterlab(NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(browser, lab_server, name):
    state = run_notebook(browser, lab_server, name, ARTIFACTS / f"{Path(name).stem}.png")
    check_rendered(name, state)
