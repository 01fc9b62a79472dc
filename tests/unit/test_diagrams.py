"""Diagrams drawn from a hand-built lab state: what the learner reads in them, and stable PNG output."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib.text
import pytest
from matplotlib.figure import Figure

from labkit.course.paths import HOPS, Hop, Trace
from labkit.course.state import ContainerView, Endpoint, LabState, Listener, NetworkView, Published
from labkit.course.ui import diagrams

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _lab() -> LabState:
    net = NetworkView("day8-net", "bridge", "172.18.0.0/16", "172.18.0.1", internal=False, user_defined=True)
    backend = NetworkView("day8-backend", "bridge", "172.19.0.0/16", "172.19.0.1", internal=True, user_defined=True)
    bridge = NetworkView("bridge", "bridge", "172.17.0.0/16", "172.17.0.1", internal=False, user_defined=False)
    containers = [
        ContainerView("server", "day8-server", True, "running", "day8-net", [Endpoint("day8-net", "172.18.0.2")],
                      [Listener("127.0.0.1", 3000)]),
        ContainerView("client", "day8-client", True, "running", "day8-net",
                      [Endpoint("day8-net", "172.18.0.3"), Endpoint("day8-backend", "172.19.0.3")], []),
        ContainerView("web", "day8-server", True, "running", "day8-net", [Endpoint("day8-net", "172.18.0.4")],
                      [Listener("0.0.0.0", 3000)], [Published("127.0.0.1", 8080, 3000)]),
        ContainerView("sidecar", "day8-client", True, "running", "container:server"),
        ContainerView("old-job", "alpine:3.20", False, "exited", "day8-net"),
        ContainerView("legacy", "nginx", True, "running", "bridge", [Endpoint("bridge", "172.17.0.2")],
                      [Listener("0.0.0.0", 80)]),
    ]
    return LabState([net, backend, bridge], containers)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def _joined(fig: Figure) -> str:
    return "\n".join(_texts(fig))


def _one_text_with(fig: Figure, *parts: str) -> str:
    """The single drawn text holding every part (so a marking belongs to the right address)."""
    found = [t for t in _texts(fig) if all(p in t.replace("\n", " ") for p in parts)]
    assert found, f"no text has all of {parts}: {_texts(fig)}"
    return found[0]


def _failing_trace(observed: str | None = None) -> Trace:
    return Trace("client", "http://server:3000", [
        Hop("client", True, "client (172.18.0.3 on day8-net)"),
        Hop("DNS", False, "no container or alias called server on day8-net: the lookup fails"),
    ], observed=observed)


def test_topology_shows_networks_addresses_and_dns():
    fig = diagrams.topology_figure(_lab())
    assert isinstance(fig, Figure)
    text = _joined(fig)
    for expected in ("day8-net", "172.18.0.0/16", "day8-backend", "172.19.0.0/16", "bridge", "172.17.0.0/16",
                     "172.18.0.2", "172.18.0.3", "172.18.0.4", "172.19.0.3", "172.17.0.2"):
        assert expected in text, expected
    assert _one_text_with(fig, "day8-net", "embedded DNS 127.0.0.11")
    assert _one_text_with(fig, "bridge", "no DNS for names")
    assert "embedded DNS" not in _one_text_with(fig, "bridge", "172.17.0.0/16")
    assert _one_text_with(fig, "day8-backend", "internal")
    assert "internal" not in _one_text_with(fig, "day8-net", "172.18.0.0/16")


def test_topology_tells_loopback_from_all_interfaces():
    fig = diagrams.topology_figure(_lab())
    loopback = [t for t in fig.findobj(matplotlib.text.Text) if "127.0.0.1:3000" in t.get_text()]
    everywhere = [t for t in fig.findobj(matplotlib.text.Text) if "0.0.0.0:3000" in t.get_text()]
    assert len(loopback) == 1 and len(everywhere) == 1
    assert "loopback only" in loopback[0].get_text().replace("\n", " ")
    assert "all interfaces" in everywhere[0].get_text().replace("\n", " ")
    assert loopback[0].get_color() != everywhere[0].get_color()
    assert "listens on nothing" in _joined(fig)  # client runs but listens on nothing


def test_topology_shows_published_port_shared_namespace_and_stopped_container():
    fig = diagrams.topology_figure(_lab())
    text = _joined(fig)
    assert "host 127.0.0.1:8080 → 3000" in text
    assert _one_text_with(fig, "shares server's network namespace")
    assert "exited" in text and "old-job" in text
    assert "not on any network" in text
    # the sidecar is drawn inside server's box (same column, below its name), not as a container of its own
    by_text = {t.get_text(): t for t in fig.findobj(matplotlib.text.Text)}
    (sx, sy), (cx, cy) = by_text["server"].get_position(), by_text["sidecar"].get_position()
    assert cx == pytest.approx(sx) and cy < sy
    names = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert {"server", "client", "web", "sidecar", "old-job", "legacy"} <= names


def test_listener_label_for_each_kind_of_address():
    assert diagrams.listener_label(Listener("127.0.0.1", 3000)) == ("127.0.0.1:3000 (loopback only)", diagrams.RED)
    assert diagrams.listener_label(Listener("::1", 3000))[0] == "[::1]:3000 (loopback only)"
    assert diagrams.listener_label(Listener("0.0.0.0", 3000)) == ("0.0.0.0:3000 (all interfaces)", diagrams.GREEN)
    assert diagrams.listener_label(Listener("::", 80))[0] == "[::]:80 (all interfaces)"
    assert diagrams.listener_label(Listener("172.18.0.2", 3000))[0] == "172.18.0.2:3000 (this address only)"


def test_empty_lab_says_so():
    fig = diagrams.topology_figure(LabState([], []))
    assert "the lab is empty: no labkit networks or containers" in _texts(fig)
    assert png_ok(diagrams.png_bytes(fig))


def png_ok(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_png_bytes_are_a_png_and_identical_for_the_same_state():
    first = diagrams.png_bytes(diagrams.topology_figure(_lab()))
    second = diagrams.png_bytes(diagrams.topology_figure(_lab()))
    assert png_ok(first)
    assert first == second
    assert b"Matplotlib" not in first  # no version stamp in the metadata
    changed = _lab()
    changed.containers[0].listeners = [Listener("0.0.0.0", 3000)]
    assert diagrams.png_bytes(diagrams.topology_figure(changed)) != first


def test_layout_does_not_depend_on_input_order():
    lab = _lab()
    shuffled = LabState(list(reversed(lab.networks)), list(reversed(lab.containers)))
    assert diagrams.png_bytes(diagrams.topology_figure(shuffled)) == diagrams.png_bytes(diagrams.topology_figure(_lab()))


@pytest.mark.parametrize("count", [0, 1, 2, 5, 8])
def test_topology_handles_zero_to_eight_containers_and_long_names(count):
    net = NetworkView("day8-net", "bridge", "172.18.0.0/16", "172.18.0.1", False, True)
    long = "a-container-with-a-name-far-too-long-for-its-box"
    cs = [ContainerView(f"{long}-{i}", "alpine:3.20", True, "running", "day8-net",
                        [Endpoint("day8-net", f"172.18.0.{i + 2}")], [Listener("0.0.0.0", 80)]) for i in range(count)]
    fig = diagrams.topology_figure(LabState([net], cs))
    for i in range(count):
        assert f"172.18.0.{i + 2}" in _texts(fig)
    assert png_ok(diagrams.png_bytes(fig))
    width, height = fig.get_size_inches()
    assert width == 10 and 4 <= height <= 9
    # every container box stays inside the figure
    renderer = fig.canvas.get_renderer()
    for t in fig.findobj(matplotlib.text.Text):
        if t.get_text() and t.get_visible():
            box = t.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= width * diagrams.DPI + 1, t.get_text()


def test_drawing_needs_no_missing_glyphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagrams.png_bytes(diagrams.topology_figure(_lab()))
        diagrams.png_bytes(diagrams.request_path_figure(_failing_trace("curl: (6) Could not resolve host: server")))


def test_request_path_marks_the_failed_hop_and_what_was_not_reached():
    fig = diagrams.request_path_figure(_failing_trace())
    texts = _texts(fig)
    assert "request from client to http://server:3000" in texts
    assert "✗" in texts
    assert texts.count("✗") == 1
    assert any("the lookup fails" in t.replace("\n", " ") for t in texts)
    assert texts.count("not reached") >= 2 * 2  # route and listener: label in the box and in place of a detail
    for hop in HOPS:
        assert hop in texts
    assert not any(t.startswith("observed:") for t in texts)


def test_request_path_all_ok_has_no_cross_and_shows_observed():
    t = Trace("client", "http://web:3000", [Hop(name, True, f"{name} works") for name in HOPS], observed="HTTP 200")
    fig = diagrams.request_path_figure(t)
    texts = _texts(fig)
    assert "✗" not in texts and "not reached" not in texts
    assert "observed: HTTP 200" in texts
    assert png_ok(diagrams.png_bytes(fig))


def test_show_outside_ipython_does_nothing(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert diagrams.show(diagrams.topology_figure(_lab())) is None


def test_show_inside_ipython_displays_a_png(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = diagrams.request_path_figure(_failing_trace())
    diagrams.show(fig)
    assert len(shown) == 1
    assert shown[0].data == diagrams.png_bytes(fig) and shown[0].format == "png"


def test_show_without_ipython_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert diagrams.show(diagrams.topology_figure(LabState([], []))) is None


def test_drawing_never_imports_pyplot():
    code = ("import sys; from labkit.course.ui import diagrams; from labkit.course.state import LabState; "
            "diagrams.png_bytes(diagrams.topology_figure(LabState([], []))); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False", out.stderr
