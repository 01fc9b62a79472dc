"""The engine registry is the one list of engines: LABKIT_ENGINE, the CLI's --engine and the grader read it."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from labkit.admin.cli import build_parser
from labkit.engines import registry, select
from labkit.errors import CommandError


def test_the_kinds_are_docker_the_sim_and_podman():
    assert registry.names() == ("docker", "sim", "podman")
    assert [k.private_daemon for k in registry.kinds()] == [False, True, False]
    assert all(k.summary and "\n" not in k.summary for k in registry.kinds())


def test_an_unknown_kind_is_one_line_naming_the_choices():
    with pytest.raises(CommandError) as err:
        registry.kind("lxd")
    assert err.value.stderr == "labkit: 'lxd' is not an engine; use docker, sim or podman\n"
    assert err.value.exit_code == 2


@pytest.mark.parametrize("kind", registry.kinds(), ids=lambda k: k.name)
def test_every_factory_is_a_function_of_an_engine_module(kind):
    module, _, function = kind.factory.partition(":")
    assert module.startswith("labkit.engines.") and function
    assert callable(getattr(importlib.import_module(module), function))


def test_the_docker_kind_makes_a_client_without_contacting_a_daemon(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # nothing listens on the discard port
    engine, note = registry.kind("docker").make()
    assert (engine.name, engine.address, note) == ("docker", "tcp://127.0.0.1:9", "")


def test_labkit_engine_takes_auto_and_every_kind(monkeypatch):
    assert select.ENGINES == ("auto", *registry.names())
    for name in select.ENGINES:
        monkeypatch.setenv("LABKIT_ENGINE", name.upper())
        assert select.requested() == name


def _choices(argv: list[str], dest: str) -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[argv[0]]
    return list(next(a for a in sub._actions if a.dest == dest).choices)


def test_the_clis_engine_choices_are_the_registrys():
    for command in ("replay", "clean", "images", "doctor"):
        assert _choices([command], "engine") == list(select.ENGINES)
    graders = _choices(["grade"], "grade_engine")
    assert graders == [k.name for k in registry.isolated_first()] == ["sim", "docker", "podman"]
    assert registry.kind(graders[0]).private_daemon  # the default isolates each submission
    assert build_parser().parse_args(["grade", "x.ipynb", "--out", "o"]).grade_engine == graders[0]


def test_an_unknown_engine_on_the_command_line_names_the_choices():
    done = subprocess.run([sys.executable, "-m", "labkit", "doctor", "--engine", "lxd"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "invalid choice: 'lxd' (choose from 'auto', 'docker', 'sim', 'podman')" in done.stderr
