"""In a real kernel, after `%load_ext labkit`: `!docker …` runs as typed when the kernel's docker CLI reaches the
lab's engine, and otherwise says in one line to use `%docker …`; `%%writefile` into a folder the lesson has not made
yet says in one line to run the lesson's first cell (labkit.course.ui.shellhooks)."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.course.ui import shellhooks


def _run(cells: list[str], cwd) -> list[nbformat.NotebookNode]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb.cells


def _text(cell, name: str) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)


def _clean(cell) -> bool:
    return not [o for o in cell.outputs if o.output_type in ("error", "execute_result")]


TO_THE_ENGINE = ("import os\nfrom labkit import session\nengine = session.current().engine()\n"
                 "if engine.name == 'sim':\n    os.environ['DOCKER_HOST'] = 'unix://' + engine.socket")


@pytest.mark.engine
@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI on PATH")
def test_bang_docker_runs_as_typed_when_it_reaches_the_engine_and_says_one_line_when_not(lab, engine, tmp_path):
    cells = _run(["%load_ext labkit",
                  "%docker network create lk-bang-net",
                  TO_THE_ENGINE,
                  "!docker network ls",
                  "import os\nos.environ['DOCKER_HOST'] = 'unix:///nonexistent/other.sock'",
                  "!docker network ls",
                  "os.environ.pop('DOCKER_HOST', None)\nif True:\n    !docker ps -a",
                  "os.environ['PATH'] = '/nonexistent'",
                  "!docker ps"], tmp_path)
    assert all(_clean(c) for c in cells), [c.outputs for c in cells]
    assert "lk-bang-net" in _text(cells[3], "stdout").split()  # the real CLI, on the lab's own engine
    if engine.name == "sim":
        for cell, cmd in ((cells[5], "docker network ls"), (cells[6], "docker ps -a")):
            assert _text(cell, "stdout") == ""
            assert _text(cell, "stderr") == (
                "labkit: the docker command here would not reach the lab's engine (labkit's embedded one: DOCKER_HOST "
                f"{'names another daemon' if cmd.endswith('ls') else 'is not set to it'}); use %{cmd}\n")
    assert _text(cells[8], "stderr") == "labkit: this kernel has no docker command; use %docker ps\n"
    assert _text(cells[8], "stdout") == ""


def test_writefile_into_the_lesson_folder_before_the_lesson_says_to_run_its_first_cell(tmp_path):
    cells = _run(["%load_ext labkit",
                  "import os\nos.environ['JPY_SESSION_NAME'] = '/home/me/workspace/09-fix-bind-all-interfaces.ipynb'",
                  "%%writefile day8/server.py\nprint('mine')\n",
                  "%%writefile elsewhere/notes.txt\nhello\n",
                  "%reload_ext labkit",
                  "%mkdir day8",
                  "%%writefile day8/server.py\nprint('mine')\n"], tmp_path)
    assert all(_clean(c) for c in cells), [c.outputs for c in cells]
    assert _text(cells[2], "stdout") == ""
    assert _text(cells[2], "stderr") == ('labkit: day8/ does not exist yet: run the lesson\'s first cell '
                                         '(labkit.lesson("09")) first, it makes your copy of the server there; then '
                                         'run this cell again\n')
    assert _text(cells[3], "stderr") == ("labkit: the folder elsewhere/ does not exist: make it first "
                                         "(%mkdir elsewhere), then run this cell again\n")
    assert _text(cells[6], "stdout") == "Writing day8/server.py\n"  # IPython's own, once (reloading wraps it once)
    assert (tmp_path / "day8" / "server.py").read_text() == "print('mine')\n"
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("line, folder", [("day8/server.py", "day8"), ("-a day8/server.py", "day8"),
                                          ("'my dir/x.py'", "my dir"), ("x.py", None), ("", None),
                                          ("a b", None), ("'unclosed", None)])
def test_the_folder_a_writefile_line_needs(tmp_path, monkeypatch, line, folder):
    monkeypatch.chdir(tmp_path)
    assert shellhooks.missing_folder(line) == folder


def test_cell_magic_bodies_and_other_lines_are_left_as_written():
    body = ["%%bash\n", "!docker ps\n"]
    assert shellhooks.bang_docker(body) == body
    assert shellhooks.bang_docker(["x = 1\n", "  !!docker ps -a\n", "print('!docker')\n", "!dockerd\n"]) == [
        "x = 1\n", "  if not __import__('labkit.course.ui.shellhooks', fromlist=['said_no']).said_no('docker ps -a'):\n",
        "      !!docker ps -a\n", "print('!docker')\n", "!dockerd\n"]


def test_said_no_decides_when_the_line_runs(monkeypatch, capsys):
    monkeypatch.setattr(shellhooks, "docker_cli_misses", lambda: "no docker here")
    assert shellhooks.said_no("docker ps") and capsys.readouterr().err == "labkit: no docker here; use %docker ps\n"
    monkeypatch.setattr(shellhooks, "docker_cli_misses", lambda: None)
    assert not shellhooks.said_no("docker ps") and capsys.readouterr().err == ""
