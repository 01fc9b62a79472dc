"""Conformance: every scenario gives, on every available engine, the results recorded on Docker.

The recordings (tests/conformance/recorded/) were made on a real Docker Engine by record.py (through labkit,
or by the real docker CLI for the scenarios marked `# recorded with the docker CLI`: see harness) and are
normalised by labkit.contract.normalise (IDs, timestamps, durations, MACs, allocated subnets). Every
scenario is replayed here through labkit. Engines:
- docker, when a daemon answers: all scenarios are replayed side by side once per session;
- sim, when `labkit.engines.select.choose("sim")` provides one: each scenario in this process.
A difference is a bug of the engine, never a reason to widen the normaliser (shared/DESIGN.md). A known
divergence of the sim is listed in test_divergences (SIM_REPLAY) and expected to fail here (strict xfail).
"""

from __future__ import annotations

import pytest

from tests.conformance import harness
from tests.conformance.test_divergences import SIM_REPLAY

SCENARIOS = harness.scenarios()
IDS = [p.stem for p in SCENARIOS]


def _sim_param(path):
    reason = SIM_REPLAY.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.fixture(scope="module")
def docker_runs(request):
    """The selected scenarios replayed on docker (side by side), normalised; skips when no daemon answers.
    Only those: others may be replaying or recording other scenarios on the same daemon."""
    if _wanted() == "sim":
        pytest.skip("LABKIT_ENGINE=sim: the docker replays belong to the docker pass")
    problem = harness.docker_problem()
    if problem:
        pytest.skip(problem)
    selected = {item.callspec.params.get("path") for item in request.session.items
                if getattr(item, "function", None) is test_docker and hasattr(item, "callspec")}
    paths = [p for p in SCENARIOS if p in selected]
    try:
        yield harness.replay_all_docker(paths)
    finally:
        for p in paths:
            harness.cleanup_docker(harness.prefix(p))


@pytest.fixture(scope="module")
def sim():
    """The embedded engine, or a skip with the reason it cannot be had."""
    from labkit.engines.select import choose
    from labkit.errors import CommandError

    if _wanted() == "docker":
        pytest.skip("LABKIT_ENGINE=docker: the embedded engine's replays belong to the sim pass")
    try:
        engine, _ = choose("sim")
    except CommandError as err:
        pytest.skip(f"no sim engine: {err.stderr.strip()}")
    return engine


def _wanted() -> str:
    """The engine this run is about (LABKIT_ENGINE); auto checks every engine available."""
    import os

    return (os.environ.get("LABKIT_ENGINE") or "auto").strip().lower()


def _check(path, got, engine_name: str) -> None:
    if harness.has_host_lines(path) and harness.host_tools() != harness.recorded_host_tools():
        pytest.skip(f"{path.stem} runs host-side curl, recorded with {harness.recorded_host_tools()}; this machine has "
                    f"{harness.host_tools()} (its messages differ)")
    if not harness.recording(path).exists():
        pytest.fail(f"{path.stem} has no recording; run tests/conformance/record.py {path.stem} on a Docker daemon")
    want = harness.load_recording(path)
    diff = harness.differences(want, got, "docker (recorded)", engine_name)
    assert not diff, f"scenario {path.stem} on {engine_name} differs from the recording:\n{diff}"


def test_every_scenario_is_recorded():
    assert len(SCENARIOS) >= 40
    missing = [p.stem for p in SCENARIOS if not harness.recording(p).exists()]
    assert not missing, f"scenarios without a recording: {missing}; run tests/conformance/record.py"
    orphans = sorted({r.stem for r in harness.RECORDED.glob("*.jsonl")} - set(IDS))
    assert not orphans, f"recordings of no scenario (renamed or deleted; remove them): {orphans}"
    empty = [p.stem for p in SCENARIOS if not harness.load_recording(p)]
    assert not empty, f"recordings with no command: {empty}"


@pytest.mark.engine
@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_docker(path, docker_runs):
    _check(path, docker_runs[path.stem], "docker")


@pytest.mark.engine
@pytest.mark.parametrize("path", [_sim_param(p) for p in SCENARIOS])
def test_sim(path, sim):
    _check(path, harness.replay_engine(path, sim), "sim")


def test_scenarios_keep_to_their_names_and_ports():
    """Every name a scenario creates is cf-<scenario>-…, no prefix contains another's, host ports are 18100-18499.

    Words that name no resource are not names: a label key (`--label cf-x=1`), a registry path
    (`ghcr.io/cf-x/tool`), and anything inside a Go template (`{{.NetworkSettings.Networks.cf-net}}`)."""
    import re

    prefixes = [harness.prefix(p) for p in SCENARIOS]
    clashes = [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    assert not clashes, f"scenario prefixes overlap (cleanup and scoping would mix them): {clashes}"
    problems = []
    for p in SCENARIOS:
        lines = [line.strip() for line in p.read_text().splitlines() if not line.lstrip().startswith("#")]
        text = re.sub(r"\{\{.*?\}\}", "", "\n".join(lines))
        for name in set(re.findall(r"(?<![/\w-])cf-[a-z0-9-]+(?![=/\w-])", text)):
            if not name.startswith(harness.prefix(p)) and name != harness.prefix(p)[:-1]:  # the bare prefix: a key
                problems.append(f"{p.stem}: {name}")
        ports = []
        for line in lines:
            if line.startswith("docker "):
                ports += re.findall(r"-p (?:[\d.]+:)?(\d+):", line)
            else:  # a host-side line
                ports += re.findall(r"(?:127\.0\.0\.1|localhost):(\d+)", line)
        problems += [f"{p.stem}: host port {port}" for port in ports
                     if int(port) <= 65535 and not 18100 <= int(port) <= 18499]  # > 65535: an invalid-port case
    assert not problems, "names or ports outside the scenario's own: " + ", ".join(sorted(problems))
