"""Hostile strings and files: a submission whose name, lab or folder holds what a report cannot write or a grader
cannot walk must neither stop the run nor reach another learner's row; its own result is still graded or said
not graded, with the reason."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from xml.etree import ElementTree as ET

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from labkit.course import answers
from labkit.grading import cleanup, report
from labkit.grading.kernel import CappedClient
from labkit.grading.outdir import OutDir
from labkit.grading.run import Item, discover, grade
from labkit.grading.store import ResultStore
from labkit.grading.text import clean, clean_line, clean_text
from tests.grading.corpus import jobs_under, released, solve

ROOT = Path(__file__).resolve().parents[2]
OTHER_UID = 0x2F7F0000  # an ordinary user for the tests that need one when they run as root (no account has it)
LATIN1 = b"\xe9lodie"  # a folder name in Latin-1: not UTF-8, so Python sees "\udce9lodie"


def exercise(id_: str = "02-server", points: int = 0, message: str = "no", **more) -> dict:
    return {"id": id_, "title": "t", "points": points, "max": 2, "passed": points == 2, "message": message,
            "hidden": False, "hint": "", "parts": [], **more}


def result(learner: str, **more) -> dict:
    return {"learner": learner, "assignment": None, "path": f"/subs/{learner}.ipynb", "lesson": "02", "error": None,
            "notes": [], "exercises": [exercise()], **more}


# -- text: the one rule ------------------------------------------------------------------------------------------
def test_strings_from_a_lab_or_a_file_system_are_escaped_once_and_for_all():
    assert clean_text("\udcff") == "\\xff"  # a byte that was not UTF-8 (surrogateescape)
    assert clean_text("a\ud800b") == "a\\ud800b"  # any other lone surrogate
    assert clean_text("red\x1b[2K\r\x00\x85") == "red\\x1b[2K\\x0d\\x00\\x85"
    assert clean_text("tab\tand\nnewline, é, 名") == "tab\tand\nnewline, é, 名"
    assert clean_text("\u202eevil") == "\\u202eevil"  # a right-to-left override
    assert clean_text(os.fsdecode(LATIN1)) == clean_text(LATIN1) == "\\xe9lodie"
    assert clean_line("one\nline\tonly \udcff") == "one\\nline\\tonly \\xff"
    hostile = {"learner\udcff": ["\udcff", ("\x07",), {"n": 1.5, "ok": True, "none": None}]}
    once = clean(hostile)
    assert once == {"learner\\xff": ["\\xff", ["\\x07"], {"n": 1.5, "ok": True, "none": None}]}
    assert clean(once) == once  # idempotent: a kept result read again is the same
    json.dumps(once, ensure_ascii=False).encode("utf-8")  # writable as it is


# -- reports --------------------------------------------------------------------------------------------------------
@pytest.fixture
def quick_chart(monkeypatch):
    monkeypatch.setattr(report, "summary_chart", lambda results: b"png")  # the chart is not what this is about


def test_reports_are_written_whatever_strings_a_result_holds(tmp_path, quick_chart):
    name = os.fsdecode(LATIN1)
    hostile = result(name, assignment="02-\udcffx", path=f"/subs/{name}/x\udcff.ipynb",
                     notes=["\x00\x1b]0;pwned\x07 a note", "driver \udcff"],
                     exercises=[exercise(message="the network's driver is \udcff, not bridge",
                                         parts=[{"check": "driver", "passed": False, "found": "\udcff\x00"}])])
    results = [hostile, result("honest", exercises=[exercise(points=2, message="passed")])]
    for _ in range(2):  # and again: a re-run writes the same folder without crashing the same way
        report.write(tmp_path, [dict(r) for r in results], "sim", "bwrap")
    everything = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for data in everything.values():
        data.decode("utf-8")  # every file is UTF-8
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [(s["learner"], s["graded"], s["points"]) for s in data["submissions"]] == [("\\xe9lodie", True, 0),
                                                                                       ("honest", True, 2)]
    assert data["submissions"][0]["exercises"][0]["message"] == "the network's driver is \\xff, not bridge"
    ET.fromstring((tmp_path / "junit.xml").read_bytes())  # well-formed XML: no NUL, no surrogate
    page = next((tmp_path / "feedback").glob("xe9lodie_*.html")).read_text(encoding="utf-8")
    assert "\\x00\\x1b]0;pwned\\x07 a note" in page  # shown as what it was, run by no terminal
    assert "\x1b" not in "".join(p.decode("utf-8") for p in everything.values())
    rows = list(csv.reader((tmp_path / "summary.csv").open(encoding="utf-8", newline="")))
    assert rows[1][:5] == ["\\xe9lodie", "02", "0", "2", "yes"]


def test_a_result_no_report_can_write_is_not_graded_and_the_others_are(tmp_path, quick_chart):
    broken = result("broken", exercises=[{"title": "no id, points that are text", "points": "2", "max": 2}])
    fine = result("fine", exercises=[exercise(points=2, message="passed")])
    given = [broken, fine]
    report.write(tmp_path, given, "sim", "bwrap")
    data = {s["learner"]: s for s in json.loads((tmp_path / "results.json").read_text())["submissions"]}
    assert data["fine"]["graded"] and data["fine"]["points"] == 2
    assert not data["broken"]["graded"] and "its result could not be written" in data["broken"]["error"]
    assert (data["broken"]["points"], data["broken"]["max"]) == (0, 2)  # its full maximum: never a silent 0
    assert broken["error"] == data["broken"]["error"]  # the grader's own list says so too (its count, its return)
    assert "NOT GRADED" in (tmp_path / "feedback" / "broken.md").read_text()
    assert (tmp_path / "feedback" / "fine.md").is_file()


def test_csv_cells_a_spreadsheet_would_run_are_text_in_every_csv(tmp_path, quick_chart):
    learners = ['=HYPERLINK("evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "plain"]
    results = [result(n, error="=cmd|' /C calc'!A0" if n == "plain" else None) for n in learners]
    report.write(tmp_path, results, "sim", "bwrap")
    for table in ("summary.csv", "gradebook.csv"):
        rows = list(csv.reader((tmp_path / table).open(encoding="utf-8", newline="")))
        cells = [c for row in rows for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], (table, cells)
        assert {row[0] for row in rows[1:]} == {"'" + n if n != "plain" else n for n in learners}
    summary = list(csv.reader((tmp_path / "summary.csv").open(encoding="utf-8", newline="")))
    assert summary[-1][5] == "'=cmd|' /C calc'!A0" and summary[1][2:4] == ["0", "2"]  # numbers stay numbers


def test_kept_results_are_escaped_and_read_back(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text("{}")
    folder = OutDir(tmp_path / "out")
    store = ResultStore(folder, "settings")
    item = Item(nb, "\\xe9lodie", "02")
    store.put(item, result("\\xe9lodie", notes=["driver \udcff\x00"]))
    kept = store.get(item)
    assert kept is not None and kept["notes"] == ["driver \\xff\\x00"]
    store.put(item, {"learner": "\\xe9lodie", "exercises": [{1, 2}]})  # not JSON at all: kept as text, no crash
    assert store.get(item)["exercises"] == ["{1, 2}"]


# -- whose row ------------------------------------------------------------------------------------------------------
def test_learner_and_assignment_come_from_the_two_levels_under_the_named_submitted_folder(tmp_path):
    course = tmp_path / "course"
    planted = course / "submitted" / "alice" / "01-x" / "submitted" / "bob" / "14-y"
    own = course / "submitted" / "bob" / "14-y"
    for folder in (planted, own):
        folder.mkdir(parents=True)
        nbformat.write(released("14"), folder / "x.ipynb")
    latin = os.fsencode(course / "submitted") + b"/" + LATIN1 + b"/02-server"
    os.makedirs(latin)
    nbformat.write(released("02"), os.fsdecode(latin + b"/x.ipynb"))
    formula = course / "submitted" / '=HYPERLINK("evil.example","x")' / "02-server"
    formula.mkdir(parents=True)
    nbformat.write(released("02"), formula / "x.ipynb")
    expected = [("=HYPERLINK(\"evil.example\",\"x\")", "02-server", "02"), ("\\xe9lodie", "02-server", "02"),
                ("alice", "01-x", "01"), ("bob", "14-y", "14")]
    for named in (course / "submitted", course):  # the submitted folder, or the first one below what was named
        got = sorted((i.learner, i.assignment, i.lesson) for i in discover([str(named)]))
        assert got == expected, named
    got = [(i.learner, i.assignment) for i in discover([str(course / "submitted" / "alice")])]
    assert got == [("alice", "01-x")]  # naming alice's folder: hers still, whatever she made inside it
    got = [(i.learner, i.assignment) for i in discover([str(planted / "x.ipynb")])]
    assert got == [("alice", "01-x")]
    os.mkfifo(own / "pipe.ipynb")  # not a file: never read (it would wait forever), never listed
    assert len(discover([str(course / "submitted")])) == 4


# -- the learner's folder -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def as_owner(job: Path):
    """Act as the job folder's owner, an ordinary user (as root: the folder is given to OTHER_UID, whose euid is
    taken for a while; otherwise we are one already), so what is made in it is that user's and folder modes count
    as they do for a grader that is not root."""
    if os.getuid() != 0:
        yield
        return
    os.chown(job, OTHER_UID, OTHER_UID)
    os.setegid(OTHER_UID)
    os.seteuid(OTHER_UID)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def job():
    """A job folder an ordinary user can reach (pytest's tmp_path is root's own, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="labkit-hostile-"))
    os.chmod(folder, 0o711)
    yield folder
    subprocess.run(["chmod", "-R", "u+rwx", str(folder)], capture_output=True)
    subprocess.run(["rm", "-rf", str(folder)], capture_output=True)


def nest(top: Path, depth: int, mode: int) -> None:
    """depth folders, one in the other (long names: the whole path is far past PATH_MAX), a pipe and a file at the
    bottom, each folder chmodded to mode once the next is open; made relative to open folders, as a cell can."""
    fd = os.open(top, os.O_RDONLY)
    for i in range(depth):
        name = f"folder-{i:04d}-of-a-tree-far-too-deep"
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        if i:
            os.fchmod(fd, mode)
        os.close(fd)
        fd = inner
    os.mkfifo("pipe", dir_fd=fd)
    with open(os.open("file", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
        f.write("x")
    os.fchmod(fd, mode)
    os.close(fd)


def test_a_job_folder_1500_deep_with_0311_folders_is_removed_whole(job):
    with as_owner(job):
        work = job / "lab"
        work.mkdir()
        nest(work, 1500, 0o311)
        os.chmod(work, 0o000)
        problems = cleanup.remove(job)
    assert problems == [] and not job.exists()


def test_the_scrub_sees_behind_closed_folders_and_leaves_only_files_and_folders(job):
    with as_owner(job):
        work = job / "lab"
        (work / "day8").mkdir(parents=True)
        (work / "day8" / "server.py").write_text("print('hi')")
        os.mkfifo(work / ".labkit-answers.json")
        (work / "day8" / "link").symlink_to("/etc/passwd")
        os.mkfifo(work / "day8" / "pipe")
        nest(work / "day8", 1200, 0o000)
        os.chmod(work / "day8", 0o311)
        os.chmod(work, 0o311)
        problems = cleanup.scrub(work)
        kinds = {stat.S_IFMT(os.lstat(work / "day8" / "server.py").st_mode)}
        fd = os.open(work / "day8", os.O_RDONLY)
        while True:  # down the deep tree, by descriptors (its path is far past PATH_MAX)
            names = os.listdir(fd)
            kinds |= {stat.S_IFMT(os.lstat(n, dir_fd=fd).st_mode) for n in names}
            deeper = [n for n in names if n.startswith("folder-")]
            if not deeper:
                break
            inner = os.open(deeper[0], os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(fd)
        text = (work / "day8" / "server.py").read_text()
        got = answers.load(str(work / ".labkit-answers.json"))
        gone = not os.path.lexists(work / ".labkit-answers.json") and not os.path.lexists(work / "day8" / "link")
        left = cleanup.remove(job)
    assert problems == [] and got == {} and text == "print('hi')" and gone
    assert kinds == {stat.S_IFDIR, stat.S_IFREG}, kinds  # the pipes and the link are gone, however deep
    assert "file" in names  # the regular file at the bottom is kept
    assert left == [] and not job.exists()


def loads_at_once(path: Path) -> dict:
    """answers.load(path), in a thread this test waits for (a read that blocks on a pipe would hang the test)."""
    got: list[dict] = []
    reader = threading.Thread(target=lambda: got.append(answers.load(str(path))), daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive(), "answers.load waited on what is not a regular file"
    return got[0]


def test_the_answers_reader_reads_a_regular_file_only(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "real.json").write_text(json.dumps({"05-server-ip": "172.18.0.2"}))
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "folder.json").mkdir()
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate(answers.MOST + 1)
    assert loads_at_once(tmp_path / "pipe.json") == {}
    assert loads_at_once(tmp_path / "link.json") == {}  # never followed
    assert loads_at_once(tmp_path / "folder.json") == {}
    assert loads_at_once(tmp_path / "huge.json") == {}
    assert loads_at_once(tmp_path / "real.json") == {"05-server-ip": "172.18.0.2"}


def test_a_submission_that_is_a_pipe_is_not_graded_and_not_waited_on(tmp_path):
    from labkit.grading.submission import load

    os.mkfifo(tmp_path / "x-02.ipynb")
    got: list = []
    reader = threading.Thread(target=lambda: got.append(load(tmp_path / "x-02.ipynb", "x", "02")), daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive() and "not a regular file" in got[0].error


# -- the disk a job may fill ----------------------------------------------------------------------------------------
FILL = """
import errno, os, subprocess, sys, tempfile
from pathlib import Path
from labkit.grading import cleanup
job = Path(tempfile.mkdtemp(prefix="labkit-bound-", dir=sys.argv[1]))
cleanup.bound(job, 4 << 20, "bwrap")
written = 0
try:
    with open(job / "big", "wb") as f:
        for _ in range(64):
            written += f.write(b"x" * (1 << 20))
            f.flush()
except OSError as err:
    print("stopped", errno.errorcode[err.errno])
print("written", written)
os.remove(job / "big")
box = ["bwrap", *([] if os.getuid() == 0 else ["--unshare-user"]), "--ro-bind", "/", "/", "--dev", "/dev",
       "--bind", str(job), "/mnt", "sh", "-c", "head -c 16000000 /dev/zero > /mnt/more; wc -c < /mnt/more"]
boxed = subprocess.run(box, capture_output=True, text=True)
print("box", boxed.stdout.strip() or "-", "No space left on device" in boxed.stderr)
"""


def fill(user: list[str], python: str, where: Path) -> dict[str, str]:
    code = Path(tempfile.mkdtemp(prefix="lk-code-", dir="/tmp"))  # labkit where another user can read it (a
    try:  # checkout in a 0700 folder is not); run without site-packages, so that copy is the labkit imported
        shutil.copytree(ROOT / "labkit", code / "labkit")
        subprocess.run(["chmod", "-R", "a+rX", str(code)], check=True)
        proc = subprocess.run([*user, python, "-S", "-c", FILL, str(where)], capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, PYTHONPATH=str(code)), cwd=str(where))
    finally:
        shutil.rmtree(code, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines())


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_a_job_folder_is_a_bounded_filesystem_that_goes_with_its_worker(job):
    runs = [([], sys.executable)]
    if os.getuid() == 0:  # and as an ordinary user (a Python it can run)
        python = next((p for p in (sys.executable, "/usr/bin/python3") if _runs_as(OTHER_UID, p)), None)
        if python is None:
            pytest.skip("no Python an ordinary user can run here")
        runs.append((["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"], python))
        os.chmod(job, 0o777)
    for user, python in runs:
        said = fill(user, python, job)
        assert said["stopped"] == "ENOSPC" and int(said["written"]) <= 4 << 20, (user, said)
        wrote, full = said["box"].split()
        assert full == "True" and int(wrote) <= 4 << 20, (user, said)  # a box made inside it is bounded too
        [folder] = job.iterdir()
        assert list(folder.iterdir()) == []  # what it held was never seen outside, and went with its process
        folder.rmdir()


def _runs_as(uid: int, python: str) -> bool:
    try:
        return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", python, "-c", ""],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# -- the output kept ------------------------------------------------------------------------------------------------
def message(msg_type: str, content: dict) -> dict:
    return {"msg_type": msg_type, "header": {"msg_type": msg_type, "msg_id": "m"}, "parent_header": {"msg_id": "p"},
            "metadata": {}, "content": content}


def test_the_output_cap_counts_errors_and_every_other_output():
    nb = new_notebook(cells=[new_code_cell("1"), new_code_cell("2")])
    client = CappedClient(nb, store_widget_state=False)
    client.budget = 1 << 20
    client.reset_execution_trackers()
    client.clear_before_next_output = False  # as execute_cell sets it
    first, second = nb.cells
    huge = "x" * (3 << 20)
    client.process_message(message("error", {"ename": "ValueError", "evalue": huge, "traceback": [huge] * 3}),
                           first, 0)
    client.process_message(message("error", {"ename": "ValueError", "evalue": huge, "traceback": [huge]}), first, 0)
    client.process_message(message("stream", {"name": "stdout", "text": "y" * 100}), first, 0)
    client.process_message(message("display_data", {"data": {"text/plain": huge}, "metadata": {}}), second, 1)
    client.process_message(message("error", {"ename": "KeyboardInterrupt", "evalue": "", "traceback": []}), second, 1)
    assert client.dropped and client.budget == 0
    [stub] = first.outputs  # one error kept per cell, cut to its name
    assert (stub.output_type, stub.ename, len(stub.evalue), stub.traceback) == ("error", "ValueError", 200, [])
    assert [(o.output_type, o.get("ename")) for o in second.outputs] == [("error", "KeyboardInterrupt")]
    kept = sum(len(json.dumps(c.outputs)) for c in nb.cells)
    assert kept < 4096


# -- one hostile class, graded ----------------------------------------------------------------------------------------
SETUP = '%reload_ext labkit\nimport labkit\nlabkit.lesson("02")'
ATTACKS = [  # each checks that it ran as written (else it raises, and the count of cells that raised is off)
    # 1,500 folders deep, each 0311
    "import os\nfd = os.open('.', os.O_RDONLY)\nfor i in range(1500):\n"
    "    os.mkdir('folder-%04d-of-a-deep-tree' % i, dir_fd=fd)\n"
    "    inner = os.open('folder-%04d-of-a-deep-tree' % i, os.O_RDONLY, dir_fd=fd)\n"
    "    os.chmod('folder-%04d-of-a-deep-tree' % i, 0o311, dir_fd=fd)\n    os.close(fd)\n    fd = inner\n"
    "assert i == 1499",
    # as many bytes as it can, each file below the file-size limit: the job's disk stops it
    "import errno\nwritten, stopped = 0, None\nfor i in range(40):\n    try:\n"
    "        with open('big-%d' % i, 'wb') as f:\n            for _ in range(16):\n"
    "                written += f.write(b'x' * (1 << 20))\n    except OSError as err:\n"
    "        stopped = err.errno\n        break\n"
    "assert stopped == errno.ENOSPC and written <= 64 << 20, (stopped, written)",
    # tracebacks past the output cap
    "raise ValueError('e' * 3_000_000)",
    "raise ValueError('f' * 3_000_000)",
    # a pipe where the grader reads the answers, in a folder it cannot list
    "import os, stat\ntry:\n    os.remove('.labkit-answers.json')\nexcept OSError:\n    pass\n"
    "os.mkfifo('.labkit-answers.json')\nos.chmod('.', 0o311)\n"
    "assert stat.S_ISFIFO(os.lstat('.labkit-answers.json').st_mode)",
]


@pytest.mark.sim_pass
def test_a_hostile_submission_is_graded_and_stops_nobody(tmp_path):
    subs = tmp_path / "submitted"
    hostile = os.fsencode(subs) + b"/" + LATIN1 + b"/02-server"
    os.makedirs(hostile)
    nb = new_notebook(cells=[new_code_cell(SETUP), *map(new_code_cell, ATTACKS)])
    nbformat.write(nb, os.fsdecode(hostile + b"/x.ipynb"))
    honest = subs / '=HYPERLINK("evil.example","x")' / "02-server"
    honest.mkdir(parents=True)
    nbformat.write(solve(released("02")), honest / "done.ipynb")
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with jobs_under(jobs):
        results = {r["learner"]: r for r in grade([str(subs)], str(tmp_path / "out"), jobs=2, timeout=25,
                                                  cell_timeout=5, say=lambda s: None, limits={"disk": 64 << 20})}
    bad, good = results["\\xe9lodie"], results['=HYPERLINK("evil.example","x")']
    assert bad["error"] is None and sum(e["points"] for e in bad["exercises"]) == 0, bad
    assert sum(e["max"] for e in bad["exercises"]) == 2
    assert any("2 cell(s) raised an error" in n for n in bad["notes"]) and \
        any("printed more than" in n for n in bad["notes"]), bad["notes"]
    assert good["error"] is None and [e["points"] for e in good["exercises"]] == [2], good
    assert not [p.name for p in jobs.iterdir() if p.name.startswith("labkit-job-")]
    out = tmp_path / "out"
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {s["learner"]: (s["graded"], s["points"]) for s in data["submissions"]} == {
        "\\xe9lodie": (True, 0), '=HYPERLINK("evil.example","x")': (True, 2)}
    book = list(csv.reader((out / "gradebook.csv").open(encoding="utf-8", newline="")))
    assert sorted(row[0] for row in book[1:]) == ["'=HYPERLINK(\"evil.example\",\"x\")", "\\xe9lodie"]
    assert len(list((out / "feedback").glob("*.md"))) == 2 and (out / "junit.xml").is_file()
