"""Record the conformance scenarios on the real Docker engine: tests/conformance/recorded/NAME.jsonl.

Every scenario is run twice on dockerd (scenarios side by side); a scenario is recorded only if both runs
give the same normalised results. A scenario that does not is reported with the difference and not
written: fix it or drop it. A scenario runs
- through labkit (`labkit replay FILE --engine docker --json`), by default;
- with the real docker CLI when its first line is exactly `# recorded with the docker CLI`: each line
  through /bin/sh with `docker` aimed at dockerd, waiting after `run -d`/`start`/`restart` until the
  started containers serve, as labkit does (harness.replay_cli). Use it for every scenario that exercises
  the CLI layer (flags, usage errors, formats): its recording is then the CLI's own output.
Either way the results are scoped to the scenario's own resources and normalised by the one normaliser
(harness.normalised), and test_conformance compares labkit's replay on each engine with them.

    .venv/bin/python tests/conformance/record.py [NAME ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conformance import harness  # noqa: E402


def main(argv: list[str]) -> int:
    problem = harness.docker_problem()
    if problem:
        print(f"cannot record: {problem}", file=sys.stderr)
        return 2
    paths = [p for p in harness.scenarios() if not argv or p.stem in argv]
    started = time.monotonic()
    first = harness.record_all_docker(paths)
    second = harness.record_all_docker(paths)
    for p in paths:  # only this run's scenarios: others may be recording theirs on the same daemon
        harness.cleanup_docker(harness.prefix(p))
    bad = 0
    for p in paths:
        diff = harness.differences(first[p.stem], second[p.stem], "run 1", "run 2")
        if diff:
            bad += 1
            print(f"NOT DETERMINISTIC {p.stem}:\n{diff}\n")
            continue
        harness.write_recording(p, first[p.stem])
        how = "by the docker CLI" if harness.recorded_with_cli(p) else "through labkit"
        print(f"recorded {p.stem} {how} ({len(first[p.stem])} commands)")
    (Path(__file__).resolve().parent / "recorded" / "_host.txt").write_text(harness.host_tools() + "\n")
    print(f"{len(paths) - bad}/{len(paths)} recorded in {time.monotonic() - started:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
