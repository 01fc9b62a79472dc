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


# dockerd 20.10's inspect of `docker run -d --name user-1 --network day8-net --network-alias user-service day8`
# (recorded): NetworkSettings.Networks["day8-net"].Aliases is ["user-service", "<the short id>"]; later daemons and
# Compose list the container's name there too. Only the aliases the learner gave are shown (lesson 13's subject).
USER_1_ID = "246d66c52aec" + "0" * 52


def _user_1(aliases: list[str]) -> dict:
    return {"Id": USER_1_ID, "Name": "/user-1", "State": {"Running": True, "Status": "running"},
            "Config": {"Image": "day8"}, "HostConfig": {"NetworkMode": "day8-net"},
            "NetworkSettings": {"Networks": {"day8-net": {"Aliases": aliases, "IPAddress": "172.18.0.4"}}}}


class _NoListeners:
    def listeners(self, cid: str) -> list:
        return []


def test_a_containers_network_aliases_are_the_ones_the_learner_gave():
    from labkit.course.state import container_view

    for recorded in (["user-service", "246d66c52aec"], ["user-service", "user-1", "246d66c52aec"]):
        view = container_view(_NoListeners(), _user_1(recorded))
        assert [ep.aliases for ep in view.endpoints] == [("user-service",)], recorded
    lab = _lab()
    lab.containers.append(container_view(_NoListeners(), _user_1(["user-service", "246d66c52aec"])))
    text = views.summary(lab)
    assert "  user-1       172.18.0.4  alias user-service\n" in text
    assert "  server       172.18.0.2\n" in text  # no alias given: none shown
