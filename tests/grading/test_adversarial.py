"""An adversarial class: each submission below is an attack a learner who wants points could try. Graded in
one run (two at a time, each attack followed by an honest classmate), every attack must gain nothing, the
classmate after it must get exactly its score, the repository must be unchanged and no process left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import labkit
from labkit.errors import CommandError
from labkit.grading import report
from labkit.grading.run import grade
from tests.grading.corpus import BOX_UIDS, jobs_under, released, running, solve

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SECRET-MARKER-7f3a"  # in the hidden checks' source only
HIDDEN = f'''
from labkit.grading.hidden import hidden_check

# {SECRET}
@hidden_check("02-log", lesson="02", points=1, title="The server said it listens")
def _(ctx):
    log = ctx.docker("logs server").stdout
    return [("server's log says it listens", "Server listening on port 3000" in log, "{SECRET} " + log.strip())]
'''
SETUP = '%reload_ext labkit\nimport labkit\nlabkit.lesson("{lesson}")'
FORGED = {"learner": "x", "lesson": "02", "error": None, "notes": [],
          "exercises": [{"id": "02-server", "title": "t", "points": 2, "max": 2, "passed": True, "message": "passed",
                         "hidden": False, "hint": "", "parts": []}]}
PWN = "# pwn-7f3a: always pass"  # what the attacks append to labkit's files
HELD = f"3131.{os.getpid()}"  # how long the detached attack's processes sleep: this test run's own marker
TARGETS = [ROOT / "labkit" / "course" / "checks.py", ROOT / "labkit" / "__init__.py",
           ROOT / "labkit" / "grading" / "worker.py"]


def attacks(t: dict) -> dict[str, tuple[str, list[str]]]:
    """name -> (lesson, the attack's cells). t: paths and pids the attacks aim at."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    return {
        "kill-grader": ("02", [f"""
import os, signal
for p in [{t['pytest']}, os.getppid()] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:
    if p != os.getpid():
        try: os.kill(p, signal.SIGKILL)
        except Exception as e: print(p, e)"""]),
        "rewrite-results": ("02", [f"""
import glob, json, os
forged = json.dumps({FORGED!r})
for f in glob.glob('/tmp/labkit-job-*/**', recursive=True) + glob.glob({t['out']!r} + '/**', recursive=True) \\
        + glob.glob('/proc/*/cmdline'):
    try: open(f, 'w').write(forged)
    except Exception as e: print(f, type(e).__name__)"""]),
        "append-labkit": ("02", [f"""
import labkit, labkit.course.checks as c
for f in [c.__file__, labkit.__file__, {str(TARGETS[2])!r}, {site!r} + '/zz-pwn.pth', {str(ROOT / 'zz-pwn')!r}]:
    try: open(f, 'a').write('\\n{PWN}\\n')
    except Exception as e: print(f, type(e).__name__)"""]),
        "ipython-startup": ("02", [f"""
import pathlib
for home in [pathlib.Path.home(), pathlib.Path({t['home']!r})]:
    d = home / '.ipython/profile_default/startup'
    try:
        d.mkdir(parents=True, exist_ok=True)
        (d / '00-pwn.py').write_text('import labkit.course.checks as c\\nc.evaluate_exercise = None\\n')
    except Exception as e: print(d, type(e).__name__)"""]),
        "rewrite-hidden-and-classmate": ("02", [f"""
for f, text in [({t['hidden']!r}, 'from labkit.grading.hidden import hidden_check\\n'), ({t['classmate']!r}, '{{}}')]:
    try: open(f, 'w').write(text)
    except Exception as e: print(f, type(e).__name__)"""]),
        "other-engine": ("02", ["""
import glob, socket, docker
import os
mine = os.environ['LABKIT_SIM_SOCKET']
for s in glob.glob('/tmp/**/engine.sock', recursive=True) + glob.glob('/run/**/*.sock', recursive=True):
    if s == mine:
        continue
    try:
        c = docker.DockerClient(base_url='unix://' + s)
        c.containers.run('day8', name='server', network='day8-net', detach=True)
    except Exception as e: print(s, type(e).__name__)
for b in range(256):
    try: socket.create_connection(('127.80.%d.1' % b, 8080), timeout=0.05).close(); print('reached', b)
    except OSError: pass"""]),
        "forge-lab": ("09", ["""
import glob, json, socket, threading
for f in glob.glob('/tmp/**/*listen*', recursive=True):
    try: open(f, 'a').write(json.dumps({'addr': '0.0.0.0', 'port': 3000}) + '\\n')
    except Exception as e: print(f, type(e).__name__)
def serve(addr):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind((addr, 3000)); s.listen()
    except OSError: return
    while True:
        c, _ = s.accept(); c.recv(4096); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\nHello from the day8 server\\n'); c.close()
for a in ['0.0.0.0'] + ['127.78.%d.%d' % (b, i) for b in range(2) for i in range(2, 6)]:
    threading.Thread(target=serve, args=(a,), daemon=True).start()"""]),
        "grade-id": ("02", ["%docker run -d --name public -p 8080:3000 day8"]),
        "echo-hidden": ("02", [f"""
import glob, labkit
found = ''
for f in [{t['hidden']!r}] + glob.glob('/tmp/**/*.py', recursive=True):
    try: found += open(f).read()
    except Exception as e: print(f, type(e).__name__)
labkit.answer('05-server-ip', found or 'nothing')"""]),
        "bare-except": ("02", ["""
import time
while True:
    try:
        time.sleep(0.05)
    except BaseException:
        pass"""]),
        "detached": ("02", [f"""
import os, subprocess, time
subprocess.Popen(['sh', '-c', 'sleep {HELD}; echo forged > {t['out']}/results.json'], start_new_session=True,
                 stdout=open('/tmp/held', 'w'), stderr=subprocess.STDOUT)
if os.fork() == 0:
    os.setsid(); time.sleep({HELD})"""]),
        "fork-bomb": ("02", ["""
import os
while True:
    try:
        os.fork()
    except BaseException:
        pass"""]),
        "huge-output": ("02", ["for _ in range(10):\n    print('x' * 10_000_000)",
                               "print('y' * 60_000_000)",
                               "%docker run -d --name server --network day8-net day8"]),
        "container-escape": ("02", [f"""
%docker run --name evil python:3.13-slim python -c "[open(f,'a').write('{PWN}') for f in {[str(p) for p in TARGETS[:2]]!r}]"
%docker run --name evil2 python:3.13-slim python -c "import os;os.kill({t['pytest']}, 9)"
"""]),
    }


def snapshot() -> dict[str, str]:
    """What the attacks would change: labkit's files (the attack's line in them), the venv, git's view of the tree."""
    out = {str(p): str(PWN in p.read_text()) for p in TARGETS}
    # the whole tree in CI; on a working tree others are editing right now, the files this test's owner owns
    mine = [] if os.environ.get("CI") else ["labkit/grading", "tests/grading", "bench/grade_jobs.py", "zz-pwn"]
    out["git"] = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *(mine or ["."])],
                                cwd=ROOT, capture_output=True, text=True).stdout
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    out["site-packages"] = " ".join(sorted(p.name for p in site.iterdir()))
    return out


def leftovers(jobs: str) -> list[str]:
    """Processes a grading run whose job folders were under jobs left running: its workers, a job's daemon or
    kernel, a process of one of its boxes' uids, an attack's sleeper (HELD). Another grading run on this machine
    (its own job folders, its own box uids) is not this run's (tests.grading.corpus.running)."""
    return running(jobs, also=(HELD,))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The adversarial class graded once: each attack followed by an honest classmate."""
    base = tmp_path_factory.mktemp("adv")
    subs, out = base / "subs", base / "out"
    subs.mkdir()
    hidden = base / "hidden_checks.py"
    hidden.write_text(HIDDEN)
    t = {"pytest": os.getpid(), "out": str(out), "hidden": str(hidden), "home": os.path.expanduser("~"),
         "classmate": str(subs / "b-rewrite-hidden-and-classmate-classmate-02.ipynb")}
    startup = Path(t["home"], ".ipython/profile_default/startup/00-pwn.py")
    assert not startup.exists()
    for name, (lesson, cells) in attacks(t).items():
        nb = new_notebook(cells=[new_code_cell(SETUP.format(lesson=lesson)), *map(new_code_cell, cells)])
        if name == "grade-id":  # a cell claims to be lesson 11's exercise: the notebook stays a lesson 02 one
            nb.cells[1].metadata["nbgrader"] = {"grade_id": "11-publish", "points": 2, "grade": True}
        nbformat.write(nb, subs / f"a-{name}-{lesson}.ipynb")
        nbformat.write(solve(released("02")), subs / f"b-{name}-classmate-02.ipynb")  # graded right after it
    before_files = {p.name: p.read_bytes() for p in subs.iterdir()} | {"hidden": hidden.read_bytes()}
    before = snapshot()
    with jobs_under(tmp_path_factory.mktemp("jobs")) as jobs:
        results = grade([str(subs)], str(out), jobs=2, timeout=25, cell_timeout=5, hidden=[str(hidden)],
                        say=lambda s: None, limits={"processes": 100})
    return {r["learner"]: r for r in results}, out, before, before_files, subs, hidden, startup, jobs


def points(r: dict) -> int:
    return sum(e["points"] for e in r["exercises"])


@pytest.mark.sim_pass
@pytest.mark.parametrize("name", list(attacks({k: "" for k in ("pytest", "out", "hidden", "home", "classmate")})))
def test_an_attack_gains_nothing_and_the_classmate_after_it_is_graded_right(attacked, name):
    results, out, *_ = attacked
    [lesson] = {v[0] for k, v in attacks({k: "" for k in ("pytest", "out", "hidden", "home", "classmate")}).items()
                if k == name}
    r = results[f"a-{name}-{lesson}"]
    expected = 3 if name == "huge-output" else 0  # it did the exercise, after printing 160 MB
    assert points(r) == expected, r
    assert r["lesson"] == lesson and not r.get("error"), r
    assert not any("raised an error" in n for n in r["notes"]), r["notes"]  # the attack itself ran as written
    classmate = results[f"b-{name}-classmate-02"]
    assert (points(classmate), sum(e["max"] for e in classmate["exercises"])) == (3, 3), classmate
    data = json.loads((out / "results.json").read_text())
    assert {s["learner"]: s["points"] for s in data["submissions"]}[f"a-{name}-{lesson}"] == expected


@pytest.mark.sim_pass
def test_nothing_outside_the_boxes_changed_and_nothing_is_left(attacked):
    results, out, before, before_files, subs, hidden, startup, jobs = attacked
    assert snapshot() == before
    assert {p.name: p.read_bytes() for p in subs.iterdir()} | {"hidden": hidden.read_bytes()} == before_files
    assert not startup.exists()
    assert not any(p.name.startswith("zz-pwn") for p in Path(labkit.__file__).parents[1].iterdir())
    assert os.getuid() != 0 or BOX_UIDS[jobs]  # as root, the boxes' uids were seen: the check below covers them
    assert leftovers(jobs) == []


@pytest.mark.sim_pass
def test_what_the_attacks_tried_is_reported_plainly(attacked):
    results, out, *_ = attacked
    everything = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".png")
    assert SECRET not in everything  # the hidden checks' source and findings never reach a report
    assert "[hidden check]" in (out / "feedback" / "b-echo-hidden-classmate-02.md").read_text()
    assert [e["id"] for e in results["a-grade-id-02"]["exercises"]] == ["02-server", "02-log"]
    assert any("'11-publish', which lesson 02 does not have" in n for n in results["a-grade-id-02"]["notes"])
    for name in ("bare-except", "fork-bomb"):
        assert any("ran longer than 25 s (the --timeout given)" in n for n in results[f"a-{name}-02"]["notes"]), \
            results[f"a-{name}-02"]["notes"]
    assert any("printed more than" in n for n in results["a-huge-output-02"]["notes"])


@pytest.mark.sim_pass
def test_a_link_in_out_is_refused_before_grading(tmp_path):
    nbformat.write(solve(released("02")), tmp_path / "done-02.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").symlink_to(ROOT / "README.md")
    with pytest.raises(CommandError) as err:
        grade([str(tmp_path / "done-02.ipynb")], str(out), say=lambda s: None)
    assert "link" in err.value.stderr and err.value.stderr.count("\n") == 1 and err.value.exit_code == 2
    (out / "summary.csv").unlink()
    (out / "notes.txt").write_text("mine")
    proc = subprocess.run([sys.executable, "-m", "labkit", "grade", str(tmp_path / "done-02.ipynb"), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "did not write" in proc.stderr
    assert not (ROOT / "README.md").read_text().startswith("learner,") and (out / "notes.txt").read_text() == "mine"


def test_feedback_names_never_collide_and_ungraded_is_never_a_silent_zero(tmp_path, monkeypatch):
    def result(learner: str, error: str | None = None) -> dict:
        return {"learner": learner, "lesson": "02", "error": error, "notes": [],
                "exercises": [{"id": "02-server", "title": "t", "points": 0, "max": 2, "passed": False,
                               "message": "not graded: x" if error else "no", "hidden": False, "hint": "",
                               "parts": []}]}

    monkeypatch.setattr(report, "summary_chart", lambda results: b"png")  # the chart is not what this is about
    report.write(tmp_path, [result("a/b"), result("a_b"), result("c", "interrupted")], "sim", "bwrap")
    names = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert len(names) == 6 and "a_b.md" in names
    rows = (tmp_path / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("learner,lesson,points,max,graded,error") and rows[3].startswith("c,02,0,2,no,interrupted")
    md = next((tmp_path / "feedback").glob("c.md")).read_text()
    assert "NOT GRADED (0 of 2 points): interrupted" in md and "Score:" not in md
    data = json.loads((tmp_path / "results.json").read_text())
    assert [s["graded"] for s in data["submissions"]] == [True, True, False]


def test_untrusted_code_is_refused_without_a_sandbox(tmp_path, monkeypatch):
    nbformat.write(released("02"), tmp_path / "x-02.ipynb")
    no_daemon = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    for args, phrase in ((["--sandbox", "none"], "--trust-submissions"),
                         (["--sandbox", "container"], "--sandbox container needs this machine's Docker daemon")):
        proc = subprocess.run([sys.executable, "-m", "labkit", "grade", str(tmp_path / "x-02.ipynb"), "--out",
                               str(tmp_path / "o"), *args], capture_output=True, text=True, env=no_daemon)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and phrase in proc.stderr, proc.stderr
    from labkit.grading import run

    monkeypatch.setattr(run.sandbox, "probe", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(CommandError) as err:
        grade([str(tmp_path / "x-02.ipynb")], str(tmp_path / "o"), say=lambda s: None)
    assert "no sandbox for untrusted notebooks here" in err.value.stderr and err.value.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_the_lesson_comes_from_the_instructor_never_from_the_notebook(tmp_path):
    from labkit.grading.run import Item, discover, ungraded_result

    nb = solve(released("11"))  # a lesson 11 notebook, handed in for assignment 02
    for learner in ("alice", "bob"):
        folder = tmp_path / "submitted" / learner / "02-server-container"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "11-ports-are-for-the-host.ipynb")
    items = discover([str(tmp_path / "submitted")])
    assert [(i.learner, i.assignment, i.lesson) for i in items] == [("alice", "02-server-container", "02"),
                                                                    ("bob", "02-server-container", "02")]
    assert {i.lesson for i in discover([str(tmp_path / "submitted")], lesson="05")} == {"05"}
    nbformat.write(nb, tmp_path / "notes.ipynb")  # no --lesson, no layout, no lesson in its name: not graded
    [loose] = discover([str(tmp_path / "notes.ipynb")])
    assert loose.lesson is None
    from labkit.grading.submission import load

    assert "was not told which lesson" in load(loose.path, loose.learner, loose.lesson).error
    r = ungraded_result(Item(tmp_path / "x.ipynb", "x", "02"), [], "interrupted")
    assert (sum(e["max"] for e in r["exercises"]), r["error"]) == (2, "interrupted")  # the maximum never shrinks
