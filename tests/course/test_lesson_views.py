"""What the lessons show: a container in another's namespace is not said to listen (lesson 13's sidecar), and a
traced request is one output — the figure, with the trace as its text twin — not text and then the figure again."""

from __future__ import annotations

import base64

from labkit.course.state import ContainerView, Endpoint, LabState, Listener, NetworkView
from labkit.course.ui import views


def _lab() -> LabState:
    net = NetworkView("day8-net", "bridge", "172.18.0.0/16", "172.18.0.1", False, True)
    server = ContainerView("server", "day8", True, "running", "day8-net", [Endpoint("day8-net", "172.18.0.2")],
                           [Listener("0.0.0.0", 3000)])
    # the engine reports the namespace's sockets for the sidecar too: they are server's
    sidecar = ContainerView("sidecar", "curlimages/curl:8.14.1", True, "running", "container:server", [],
                            [Listener("0.0.0.0", 3000)])
    return LabState([net], [server, sidecar])


def test_the_sidecar_is_shown_in_the_owners_namespace_not_listening_itself():
    text = views.summary(_lab())
    assert "container server: running, listens on 0.0.0.0:3000" in text
    assert "container sidecar: running, in server's network namespace (its addresses and ports are server's)" in text
    assert "sidecar (shares server's namespace): running, listens on" not in text


def test_a_trace_is_one_output_with_its_text_twin(monkeypatch):
    import IPython
    import IPython.display
    from matplotlib.figure import Figure

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    views._show_once(Figure(figsize=(1, 1)), "request from client to http://server:3000\n  ok  client\n")
    [(bundle, raw)] = shown
    assert raw and bundle["text/plain"] == "request from client to http://server:3000\n  ok  client"
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_outside_ipython_a_trace_is_printed_as_text(monkeypatch, capsys):
    import IPython
    from matplotlib.figure import Figure

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    views._show_once(Figure(figsize=(1, 1)), "request from host to http://localhost:3000\n")
    assert capsys.readouterr().out == "request from host to http://localhost:3000\n"
