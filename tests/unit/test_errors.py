"""One error hierarchy: Engine API answers map to classes in one place; unknowns are never shown as facts."""

from __future__ import annotations

import pytest

from labkit.errors import (
    BadRequest,
    CommandError,
    Conflict,
    EngineError,
    EngineUnreachable,
    ImageNotFound,
    LabkitError,
    NotFound,
    ServerError,
    engine_error,
)


@pytest.mark.parametrize("status, message, cls", [
    (404, "No such image: day8:latest", ImageNotFound),
    (404, "No such container: server", NotFound),
    (404, "network day8-net not found", NotFound),
    (409, 'Conflict. The container name "/server" is already in use', Conflict),
    (400, "Container abc is not running", BadRequest),
    (500, "driver failed programming external connectivity", ServerError),
    (403, "bridge is a pre-defined network and cannot be removed", ServerError),
])
def test_engine_answers_map_to_one_class_each(status, message, cls):
    err = engine_error(status, message)
    assert type(err) is cls and isinstance(err, EngineError) and isinstance(err, LabkitError)
    assert err.status == status and err.message == message
    if cls is ImageNotFound:
        assert isinstance(err, NotFound)


def test_unreachable_is_a_command_error_with_its_line():
    err = EngineUnreachable("labkit: cannot reach Docker: no socket at /x\n", 1)
    assert isinstance(err, CommandError) and err.exit_code == 1 and err.stderr.count("\n") == 1


class _Blind:
    """An engine that cannot tell what a container listens on."""

    def listeners(self, cid):
        raise engine_error(500, "cannot read abc's sockets: cat: not found")


def test_listeners_the_engine_cannot_read_are_unknown_not_nothing(capsys):
    from labkit.course.state import LabState, container_view
    from labkit.course.ui import views

    info = {"Id": "abc", "Name": "/server", "State": {"Running": True, "Status": "running"},
            "Config": {"Image": "day8", "Labels": {}}, "HostConfig": {"NetworkMode": "day8-net"},
            "NetworkSettings": {"Networks": {"day8-net": {"IPAddress": "172.18.0.2"}}}}
    view = container_view(_Blind(), info)
    assert view.listeners == [] and "cat: not found" in view.listeners_unknown
    text = views.summary(LabState([], [view]))
    assert "listens on unknown" in text and "listens on nothing" not in text


def test_a_broken_tls_configuration_is_named_not_called_no_daemon(tmp_path, monkeypatch):
    from labkit.engines.select import choose

    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path / "no-certs"))
    monkeypatch.setenv("LABKIT_ENGINE", "auto")
    engine, why = choose()
    assert engine.name == "sim"
    assert "could not be used" in why and "no Docker daemon answered" not in why, why
