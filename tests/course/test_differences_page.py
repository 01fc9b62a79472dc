"""The learner's page of known differences (notebooks/differences.md) cannot drift from what the engine does.

Every lesson's engine line points at it (labkit.engines.simclient.DIVERGENCES), `labkit workspace` copies it beside
the lessons. Each divergence on it names its experiment in tests/conformance/test_divergences.py (an HTML comment
`<!-- experiment: test_... -->`, invisible when rendered): a divergence listed there and missing here fails, and so
does one here whose experiment is gone (fixed). Every setting the embedded engine refuses (labkit.engines.sim's
api_fields tables and its refuse(...) calls, swarm mode) is named on the page. Reads files only: milliseconds.
"""

from __future__ import annotations

import inspect
import re

from labkit import coursefiles
from labkit.engines import simclient
from labkit.engines.sim import api_fields, api_swarm
from tests.conformance import test_divergences as divergences

PAGE = coursefiles.course_dir() / "differences.md"
MARKER = re.compile(r"<!-- experiment: (test_\w+) -->")


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _words(text: str) -> str:
    """The page's text with its line breaks and backticks gone (a name may wrap)."""
    return " ".join(text.replace("`", "").split())


def _experiments() -> set[str]:
    """The strict-xfail experiments: one per known divergence."""
    return {name for name, fn in vars(divergences).items() if name.startswith("test_") and any(
        m.name == "xfail" and m.kwargs.get("strict") for m in getattr(fn, "pytestmark", []))}


def test_the_engine_line_points_at_the_page_in_the_course():
    assert PAGE.is_file(), f"{PAGE} is missing: the engine line points at it"
    assert PAGE.name in simclient.DIFFERS
    assert "tests/" not in simclient.DIFFERS, "the engine line points a learner at a test file"


def test_every_known_divergence_is_on_the_page_and_nothing_fixed_is():
    listed = set(MARKER.findall(_page()))
    known = _experiments()
    assert known, "no experiments found in test_divergences: the page cannot be checked"
    assert not known - listed, f"divergences missing from {PAGE.name}: {sorted(known - listed)}"
    assert not listed - known, f"{PAGE.name} lists divergences with no experiment (fixed?): {sorted(listed - known)}"


def _refused_flags() -> set[str]:
    """Every flag or setting the embedded engine refuses, as the refusal names it."""
    names = {*api_fields.HOST_REFUSED.values(), *(flag for _, flag in api_fields.HOST_DEFAULTS.values()),
             *api_fields.CONFIG_REFUSED.values(), *api_fields.ENDPOINT_REFUSED.values(),
             *(f"--driver {d}" for d in api_fields._DRIVERS_REFUSED)}
    source = inspect.getsource(api_fields)
    names |= set(re.findall(r'refuse\(f?"(-[^"{ .]+)', source))  # refuse("--health-cmd", ...), refuse(f"-p .../…")
    names |= set(re.findall(r'\("\w+", "(-[^"]+)"\)', source))  # the network create loop: ("EnableIPv6", "--ipv6")
    return {n.split(" (")[0] for n in names}


def test_every_refusal_is_on_the_page():
    words = _words(_page())
    refused = _refused_flags()
    assert len(refused) > 50, f"too few refusals found ({len(refused)}): the source's shape changed"
    missing = sorted(n for n in refused if not all(part in words for part in (n.split() if n.startswith("-") else [n])))
    assert not missing, f"refused by the embedded engine but not on {PAGE.name}: {missing}"
    assert "swarm" in inspect.getsource(api_swarm) and "swarm mode" in words


def test_the_learners_workspace_has_the_page_beside_the_lessons(tmp_path):
    from labkit.admin import workspace

    workspace.ensure(tmp_path / "ws", coursefiles.course_dir())
    assert (tmp_path / "ws" / PAGE.name).read_text(encoding="utf-8") == _page()
