"""The real docker CLI's `-u` and `-w` against the embedded engine's daemon give what dockerd gave.

The transcripts in cli_scenarios/ (one docker command a line, as tests/conformance/scenarios) exercise settings
that labkit's own command layer does not take (`docker run -u`, `docker exec -w`: outside the course's subset,
refused there in labkit's words), so they are no conformance scenarios of labkit: here the real `docker` program
runs each line (tests.conformance.harness.replay_cli, the line runner of test_cli_replay) against a private sim
daemon, and the normalised results must equal NAME.jsonl, recorded by the same runner on dockerd 20.10:

    .venv/bin/python -m tests.sim.test_cli_settings --record      # on a machine with dockerd
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conformance import harness

FOLDER = Path(__file__).resolve().parent / "cli_scenarios"
SCENARIOS = sorted(FOLDER.glob("*.txt"))


def recording(path: Path) -> list[dict]:
    """A transcript's results as dockerd gave them."""
    with open(path.with_suffix(".jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def sim_host():
    """A private sim daemon's DOCKER_HOST and a CLI config folder of its own; skips without the docker CLI."""
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    from labkit.engines.sim import daemon

    folder = tempfile.mkdtemp(prefix="lk-cli-set-")
    config = os.path.join(folder, "config")
    os.mkdir(config)
    sock = os.path.join(folder, "engine.sock")
    status, _ = daemon.start(sock)
    try:
        yield status.docker_host, config
    finally:
        daemon.stop(sock)
        shutil.rmtree(folder, ignore_errors=True)


# A divergence seen once in a CI rehearsal, not yet mended: with -t, a program that writes to stdout and then at once
# to stderr (`sh -c 'echo a; echo b >&2'`) reaches dockerd's terminal in that order; the sim, which copies the two
# streams into one terminal from two pipes, sometimes puts the second first (`b\r\na\r\n`).
TTY_ORDER = ("with -t, two streams written back to back can reach the sim's terminal in the other order "
             "(dockerd keeps the order written): not yet mended")
CASES = [pytest.param(p, marks=pytest.mark.xfail(reason=TTY_ORDER, strict=False)) if p.stem == "cmd-tty" else p
         for p in SCENARIOS]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in SCENARIOS])
def test_the_cli_prints_on_the_sim_what_it_printed_on_dockerd(path, sim_host):
    host, config = sim_host
    got = harness.replay_cli(path, host, config)
    diff = harness.differences(recording(path), got, "dockerd (recorded)", "sim")
    assert not diff, f"{path.stem}: the docker CLI prints differently on the sim daemon:\n{diff}"


def test_every_transcript_has_its_recording():
    assert SCENARIOS
    assert [p.stem for p in SCENARIOS if not p.with_suffix(".jsonl").exists()] == []


def record() -> int:
    """Replay every transcript twice on dockerd; write the recording when both runs agree."""
    config = tempfile.mkdtemp(prefix="lk-cli-rec-")
    bad = 0
    try:
        for path in SCENARIOS:
            first, second = (harness.replay_cli(path, harness.DOCKERD, config) for _ in range(2))
            diff = harness.differences(first, second, "run 1", "run 2")
            if diff:
                bad += 1
                print(f"NOT DETERMINISTIC {path.stem}:\n{diff}")
                continue
            with open(path.with_suffix(".jsonl"), "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in first)
            print(f"recorded {path.stem} ({len(first)} commands)")
    finally:
        shutil.rmtree(config, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(record() if sys.argv[1:] == ["--record"] else 2)
