"""A session's answers and predictions live as long as its lab: a quiz click, a recorded answer and a prediction
made in one kernel are seen by the next kernel of the same session (a restart) — by its checks, its reveal and its
widgets — while a grading kernel's session starts empty and never reads or writes the learner's store.

Each "kernel" is a new Python process on the same session (LABKIT_SESSION) and state folder (XDG_STATE_HOME),
started as a Jupyter server starts a notebook's kernel (JPY_SESSION_NAME names the notebook), as a kernel restart
is; what it sees it prints as one JSON line. A notebook executed headless (nbclient, nbconvert, nbgrader, Otter)
has no JPY_SESSION_NAME, and no store either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from labkit.course.catalog import QUESTIONS

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
import json, sys
import IPython.display
from ipywidgets.widgets import widget
shown = []
IPython.display.display = lambda obj, raw=False: shown.append(obj)
import labkit
from labkit import session
from labkit.course import answers, predictions
from labkit.course.ui import widgets

def last_widget():
    return widget._instances[shown[-1]["application/vnd.jupyter.widget-view+json"]["model_id"]]

seen = {}
"""

FIRST_KERNEL = PRELUDE + """
widgets.quiz("07-ps")
last_widget().children[1].value = "b"  # a click on the quiz
labkit.answer("05-server-ip", "172.18.0.9")
predictions.predict("01-networks")
last_widget().children[1].value = "b"  # a click on the prediction
seen["answers"] = dict(session.current().answers)
print(json.dumps(seen))
"""

NEXT_KERNEL = PRELUDE + """
quiz = labkit.check("07-ps")
seen["quiz"] = [quiz.passed, [found for _, _, found in quiz.parts]]
seen["answer"] = [answers.get("05-server-ip"), [found for _, _, found in labkit.check("05-server-ip").parts][0]]
labkit.reveal("01-networks", labkit.docker("network ls"))
widgets.quiz("07-ps")
seen["quiz_widget"] = [shown[-1]["text/plain"].splitlines()[-1], last_widget().children[1].value]
predictions.predict("01-networks")
seen["predict_widget"] = [shown[-1]["text/plain"].splitlines()[-1], last_widget().children[1].value]
labkit.answer("05-server-ip", "10.0.0.1")  # a grading kernel records what its notebook's cells record
print(json.dumps(seen))
"""


def _kernel(code: str, env: dict[str, str]) -> tuple[dict, str]:
    """Run one "kernel" (a new Python process) and return what it saw, and what else it printed."""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    *printed, last = r.stdout.splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.fixture
def learner(tmp_path, engine):
    """A learner's session of its own, with its state folder in tmp_path."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "LABKIT_SESSION": f"test-restart-{uuid.uuid4().hex[:8]}", "MPLBACKEND": "Agg",
           "JPY_SESSION_NAME": str(tmp_path / "workspace" / "07-what-docker-ps-shows.ipynb")}
    for name in ("LABKIT_ANSWERS", "LABKIT_KEEP_ANSWERS"):
        env.pop(name, None)
    return env


def _judged_b(printed: str) -> bool:
    """The reveal judged the recorded prediction b (held on a fresh engine; a daemon with other networks on it
    has more than the three built-in ones, and then it did not hold)."""
    return "Your prediction held: b) " in printed or "Your prediction did not hold: you expected b) " in printed


def _store(env: dict[str, str]) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "labkit" / f"answers-{env['LABKIT_SESSION']}.json"


def test_a_restart_keeps_quiz_choices_answers_and_predictions(learner):
    first, _ = _kernel(FIRST_KERNEL, learner)
    assert first["answers"]["07-ps"] == "b" and first["answers"]["05-server-ip"] == "172.18.0.9"
    kept = json.loads(_store(learner).read_text())
    assert kept["predictions"] == {"01-networks": "b"}

    seen, printed = _kernel(NEXT_KERNEL, learner)  # the restarted kernel
    assert seen["quiz"] == [True, ["you chose 'b'"]]
    assert seen["answer"][0] == "172.18.0.9"
    assert not seen["answer"][1].startswith("nothing recorded yet")  # its check sees it (judged against the lab)
    assert _judged_b(printed)
    assert "You made no prediction" not in printed
    assert seen["quiz_widget"] == [f"Your answer: b (your earlier click, recorded). Right. {QUESTIONS['07-ps'].why}",
                                   "b"]
    assert seen["predict_widget"][1] == "b"
    assert seen["predict_widget"][0].startswith("Your prediction: b) ") and "(recorded)" in seen["predict_widget"][0]
    assert json.loads(_store(learner).read_text())["answers"]["05-server-ip"] == "10.0.0.1"  # the latest, kept


def test_a_grading_kernel_starts_empty_and_leaves_the_learners_store_alone(learner, tmp_path):
    _kernel(FIRST_KERNEL, learner)
    before = _store(learner).read_text()
    graded = {**learner, "LABKIT_ANSWERS": str(tmp_path / ".labkit-answers.json")}  # as labkit grade's kernels
    seen, printed = _kernel(NEXT_KERNEL, graded)
    assert seen["quiz"] == [False, ["no choice recorded yet: pick one and put it in answer="]]
    assert seen["answer"][0] is None and seen["answer"][1].startswith("nothing recorded yet")
    assert "You made no prediction for 01-networks." in printed
    assert seen["quiz_widget"] == ['Your answer: none yet. Pick one, or write answer="…" in this cell.', None]
    assert seen["predict_widget"][1] is None
    assert _store(learner).read_text() == before  # never written by a grading kernel
    graded_answers = json.loads((tmp_path / ".labkit-answers.json").read_text())
    assert graded_answers["05-server-ip"] == "10.0.0.1" and "07-ps" not in graded_answers


def test_a_notebook_executed_headless_neither_reads_nor_writes_the_store(learner):
    """nbgrader's autograde or `otter run` on the instructor's machine: the instructor's own answers stay out."""
    _kernel(FIRST_KERNEL, learner)
    before = _store(learner).read_text()
    headless = {k: v for k, v in learner.items() if k != "JPY_SESSION_NAME"}
    seen, printed = _kernel(NEXT_KERNEL, headless)
    assert seen["quiz"] == [False, ["no choice recorded yet: pick one and put it in answer="]]
    assert "You made no prediction for 01-networks." in printed
    assert _store(learner).read_text() == before


def _serve(root: Path, env: dict[str, str]):
    """A Jupyter server on root (as JupyterLab runs one), its URL, token and runtime folder."""
    import secrets
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token, runtime = secrets.token_hex(16), root / ".runtime"
    runtime.mkdir()
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
           f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={root}"]
    log = open(root / ".server.log", "wb")  # noqa: SIM115 - closed with the server
    proc = subprocess.Popen(cmd, cwd=root, env={**env, "JUPYTER_RUNTIME_DIR": str(runtime)}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log, f"http://127.0.0.1:{port}", token, runtime


def _api(url: str, token: str, method: str, path: str, body: dict | None = None):
    import urllib.request

    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def _execute(runtime: Path, kernel_id: str, code: str) -> str:
    """Run code in the server's kernel (through its connection file) and return what it printed."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []
        reply = client.execute_interactive(code, timeout=120, output_hook=lambda m: printed.append(
            m["content"].get("text", "")) if m["header"]["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()


def test_a_kernel_restarted_by_the_jupyter_server_keeps_the_learners_answers(learner, tmp_path):
    """The learner's way: a notebook's kernel started by a Jupyter server (JupyterLab's), a click on the quiz and
    a prediction, then Kernel > Restart: the restarted kernel's check, reveal and widgets see them."""
    import urllib.error

    root = tmp_path / "workspace"
    root.mkdir()
    env = {k: v for k, v in learner.items() if k != "JPY_SESSION_NAME"}  # the server sets it for its kernels
    proc, log, url, token, runtime = _serve(root, env)
    try:
        for _ in range(600):  # until the server answers (a minute at most)
            try:
                _api(url, token, "GET", "/api/status")
                break
            except (urllib.error.URLError, OSError):
                try:
                    proc.wait(timeout=0.1)
                    pytest.fail("the Jupyter server exited: " + (root / ".server.log").read_text(errors="replace"))
                except subprocess.TimeoutExpired:
                    pass
        made = _api(url, token, "POST", "/api/sessions", {"path": "07-what-docker-ps-shows.ipynb", "type": "notebook",
                                                          "kernel": {"name": "python3"}})
        kid = made["kernel"]["id"]
        first = _execute(runtime, kid, FIRST_KERNEL)
        assert json.loads(first.splitlines()[-1])["answers"]["07-ps"] == "b"
        _api(url, token, "POST", f"/api/kernels/{kid}/restart")
        seen = _execute(runtime, kid, NEXT_KERNEL)
        result = json.loads(seen.splitlines()[-1])
        assert result["quiz"] == [True, ["you chose 'b'"]]
        assert result["quiz_widget"][1] == "b" and result["predict_widget"][1] == "b"
        assert _judged_b(seen)
    finally:
        try:
            for s in _api(url, token, "GET", "/api/sessions"):
                _api(url, token, "DELETE", f"/api/sessions/{s['id']}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
