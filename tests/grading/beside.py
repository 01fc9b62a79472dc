"""Another grading on this machine: `labkit grade` of a few solved notebooks, again and again, until stopped.

CI runs the process-sensitive tests from a fresh clone with this running beside them (.ci/run), as a busy machine
has it: an instructor grading a class, a second checkout. It is unrelated to the tests in every way that counts —
its own folder, its job folders in the machine's temporary folder, its own sessions and box uids — so a test that
looks at more than what it started (every grading worker, every box uid, a fixed port) fails while it runs.

    python tests/grading/beside.py FOLDER [--notebooks N] [--labkit PATH]

Prints one line per round. SIGTERM or SIGINT stops it: the grading in progress is interrupted (as Ctrl-C does) and
waited for. Exit code 0 when every round it finished graded every notebook, else 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.grading.corpus import released, solve  # noqa: E402

STOP = False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--notebooks", type=int, default=2)
    parser.add_argument("--labkit", default=str(Path(sys.executable).parent / "labkit"))
    args = parser.parse_args()
    subs = args.folder / "subs"
    subs.mkdir(parents=True, exist_ok=True)
    for n in range(args.notebooks):
        nbformat.write(solve(released("02")), subs / f"beside-{n}-02.ipynb")
    proc: subprocess.Popen | None = None

    def stop(*_a) -> None:
        global STOP
        STOP = True
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = rounds = 0
    while not STOP:
        out = args.folder / "out"
        shutil.rmtree(out, ignore_errors=True)  # a new --out each round: every notebook is graded again
        started = time.monotonic()
        proc = subprocess.Popen([args.labkit, "grade", str(subs), "--out", str(out), "--jobs", "2"], cwd=args.folder,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
        _, err = proc.communicate()
        if STOP and proc.returncode == 130:
            break
        rounds += 1
        try:
            data = json.loads((out / "results.json").read_text())
            scores = [(s["graded"], s["points"]) for s in data["submissions"]]
        except (OSError, ValueError, KeyError):
            scores = []
        ok = proc.returncode == 0 and scores == [(True, 2)] * args.notebooks
        failed += not ok
        print(f"beside: round {rounds}: exit {proc.returncode}, (graded, points) {scores}, "
              f"{time.monotonic() - started:.0f} s", flush=True)
        if not ok:
            why = [p.read_text(errors="replace") for p in sorted((out / "feedback").glob("*.md"))]
            print("\n".join([err[-2000:], *why])[-6000:], flush=True)
    print(f"beside: stopped after {rounds} round(s), {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
