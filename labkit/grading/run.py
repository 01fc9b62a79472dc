"""`labkit grade SUBMISSION.ipynb… --out DIR`: grade a class's notebooks, N at a time, with a progress bar."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from labkit.errors import CommandError
from labkit.grading import report

TRUST_MESSAGE = ("labkit grade: --engine docker gives every submission the Docker socket (root on this machine); "
                 "grade untrusted notebooks on the default embedded engine, or add --trust-submissions\n")
ASSETS = Path(__file__).resolve().parents[2] / "notebooks" / "assets"


def discover(items: list[str]) -> list[tuple[Path, str]]:
    """Every submission named: notebook files as given, folders searched for *.ipynb. (path, learner id)."""
    found: list[tuple[Path, str]] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found.append((nb, str(nb.relative_to(p).with_suffix(""))))
        elif p.is_file():
            found.append((p, p.stem))
        else:
            raise CommandError(f"labkit grade: {item} does not exist; name notebook files or folders of them\n", 2)
    if not found:
        raise CommandError("labkit grade: no notebooks found in what you named\n", 2)
    seen: dict[str, int] = {}
    unique = []
    for path, learner in found:
        seen[learner] = seen.get(learner, 0) + 1
        unique.append((path, learner if seen[learner] == 1 else f"{learner}-{seen[learner]}"))
    return unique


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream

    def step(self, label: str) -> None:
        self.done += 1
        width = 30
        filled = width * self.done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} graded  {label[:40]:<40}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def grade_one(path: Path, learner: str, engine: str, timeout: float, cell_timeout: float, hidden: list[str],
              assets: Path) -> dict:
    """Grade one submission in a worker process; a worker that overruns or dies still yields a result."""
    with tempfile.TemporaryDirectory(prefix="labkit-job-") as tmp:
        spec = {"path": str(path.resolve()), "learner": learner, "engine": engine, "timeout": timeout,
                "cell_timeout": cell_timeout, "hidden": [str(Path(h).resolve()) for h in hidden],
                "assets": str(assets), "result": str(Path(tmp) / "result.json")}
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        proc = subprocess.Popen([sys.executable, "-m", "labkit.grading.worker", str(Path(tmp) / "spec.json")],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            _, err = proc.communicate(timeout=timeout + 120)
            problem = None if proc.returncode == 0 else f"the grader's worker failed ({err.decode()[-200:].strip()})"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            problem = f"grading did not finish within {timeout + 120:g} s"
        result_file = Path(spec["result"])
        if problem is None and result_file.exists():
            return json.loads(result_file.read_text())
    from labkit.course.exercises import for_lesson
    from labkit.grading.submission import load
    from labkit.grading.worker import ungraded

    lesson = load(path, learner).lesson
    return {"learner": learner, "path": str(path), "lesson": lesson, "error": problem, "notes": [],
            "exercises": ungraded(for_lesson(lesson) if lesson else [], problem)}


def grade(items: list[str], out: str, engine: str = "sim", jobs: int = 1, timeout: float = 300,
          cell_timeout: float = 60, hidden: list[str] | None = None, trust: bool = False,
          assets: str | None = None, say=print) -> list[dict]:
    """Grade every submission and write the reports; returns the results."""
    if engine not in ("sim", "docker"):
        raise CommandError(f"labkit grade: unknown engine {engine!r}; use sim (the default) or docker\n", 2)
    if engine == "docker" and not trust:
        raise CommandError(TRUST_MESSAGE, 2)
    if jobs < 1:
        raise CommandError("labkit grade: --jobs must be 1 or more\n", 2)
    assets_dir = Path(assets) if assets else ASSETS
    if not (assets_dir / "day8" / "server.py").is_file():
        raise CommandError(f"labkit grade: the course assets are not at {assets_dir}; pass --assets DIR\n", 2)
    for h in hidden or []:
        if not Path(h).is_file():
            raise CommandError(f"labkit grade: hidden checks file {h} does not exist\n", 2)
    subs = discover(items)
    if engine == "docker" and jobs > 1:
        say("labkit grade: on Docker every submission uses the same names (server, day8-net) on one daemon, "
            "so submissions are graded one at a time")
        jobs = 1
    progress = Progress(len(subs))
    results: dict[int, dict] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_one, p, learner, engine, timeout, cell_timeout, hidden or [], assets_dir): i
                   for i, (p, learner) in enumerate(subs)}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            progress.step(subs[i][1])
    ordered = [results[i] for i in range(len(subs))]
    report.write(Path(out), ordered, engine)
    total = sum(report.totals(r)[0] for r in ordered)
    most = sum(report.totals(r)[1] for r in ordered)
    say(f"graded {len(ordered)} submission(s) on {engine}: {total}/{most} points in all; reports in {out}")
    return ordered
