"""A session's store (labkit.session): each write changes only its own key, a damaged or strange file reads as
empty, and a grading kernel's session (LABKIT_ANSWERS set) has no store at all."""

from __future__ import annotations

import os

import pytest

from labkit.session import Session, read_store, store_path


def test_two_kernels_of_one_session_keep_each_others_answers(tmp_path):
    """Each write changes only its own key: one kernel's answer never undoes another's."""
    path = str(tmp_path / "answers-s.json")
    one, two = Session("s", store=path), Session("s", store=path)
    one.record_answer("07-ps", "b")
    two.record_answer("06-localhost", "a")
    two.record_prediction("01-networks", "c")
    assert read_store(path) == {"answers": {"07-ps": "b", "06-localhost": "a"}, "predictions": {"01-networks": "c"}}
    one.reload()
    assert one.answers == {"07-ps": "b", "06-localhost": "a"} and one.predictions == {"01-networks": "c"}
    one.forget_predictions()
    assert read_store(path)["predictions"] == {} and read_store(path)["answers"]["07-ps"] == "b"
    assert store_path("s").endswith("/labkit/answers-s.json")


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'{"answers": 3}', b'{"answers": {"a": {"deep": 1}}}'])
def test_a_damaged_store_reads_as_empty_or_as_text(tmp_path, content):
    path = tmp_path / "answers-x.json"
    path.write_bytes(content)
    kept = read_store(str(path))
    assert set(kept) == {"answers", "predictions"}
    assert all(isinstance(v, str) for part in kept.values() for v in part.values())


def test_a_store_that_is_not_a_regular_file_is_never_followed(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text('{"answers": {"07-ps": "b"}}')
    (tmp_path / "answers-x.json").symlink_to(target)
    os.mkfifo(tmp_path / "answers-y.json")
    assert read_store(str(tmp_path / "answers-x.json")) == {"answers": {}, "predictions": {}}
    assert read_store(str(tmp_path / "answers-y.json")) == {"answers": {}, "predictions": {}}  # and no wait


@pytest.mark.parametrize("env, keeps", [({"JPY_SESSION_NAME": "w/07.ipynb"}, True),  # a Jupyter server's kernel
                                        ({}, False),  # headless: nbclient, nbconvert, nbgrader, otter run, nbval
                                        ({"JPY_SESSION_NAME": "w/07.ipynb", "LABKIT_ANSWERS": "a.json"}, False),
                                        ({"LABKIT_ANSWERS": "a.json", "LABKIT_KEEP_ANSWERS": "1"}, False),
                                        ({"LABKIT_KEEP_ANSWERS": "1"}, True),
                                        ({"JPY_SESSION_NAME": "w/07.ipynb", "LABKIT_KEEP_ANSWERS": "0"}, False)])
def test_which_kernels_keep_their_answers(tmp_path, monkeypatch, env, keeps):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("LABKIT_SESSION", "user-me")
    for name in ("JPY_SESSION_NAME", "LABKIT_ANSWERS", "LABKIT_KEEP_ANSWERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(tmp_path / value) if name == "LABKIT_ANSWERS" else value)
    Session("user-me", store=store_path("user-me")).record_answer("07-ps", "b")
    me = Session.from_env()
    assert me.store == (str(tmp_path / "labkit" / "answers-user-me.json") if keeps else None)
    assert me.answers == ({"07-ps": "b"} if keeps else {})
