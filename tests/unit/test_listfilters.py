"""dockerd's list filters as the embedded engine's daemon applies them (labkit.engines.sim.listfilters).

Every expectation is what dockerd 20.10 listed for the same containers and networks (`docker ps -a --filter …`,
`docker network ls --filter …` with the CLI 28.2.2).
"""

from __future__ import annotations

import pytest

from labkit.engines.sim import listfilters
from labkit.errors import BadRequest, NotFound


def summary(name: str, cid: str, state: str, status: str, nets: dict, image: str = "sha256:curl") -> dict:
    return {"Id": cid, "Names": ["/" + name], "State": state, "Status": status, "ImageID": image,
            "Labels": {"k": "v"} if name == "c1" else {},
            "NetworkSettings": {"Networks": {n: {"NetworkID": i} for n, i in nets.items()}}}


LISTED = [  # newest first, as the daemon lists
    summary("c3", "7cd2580ece04" + "0" * 52, "running", "Up 2 seconds", {"hA-net": "99adf2af8e16" + "0" * 52}),
    summary("c2", "ae9ff724cfc1" + "e812a51cd75f94d00b307f11f38f" + "0" * 24, "exited", "Exited (3) 1 second ago",
            {"bridge": "b" * 64}, "sha256:python"),
    summary("c1", "5a717f338731" + "0" * 52, "running", "Up 3 seconds", {"hA-net": "99adf2af8e16" + "0" * 52}),
]


class Engine:
    def inspect_container(self, ref: str) -> dict:
        for c in LISTED:
            if c["Names"][0] == "/" + ref or c["Id"] == ref:
                return c
        raise NotFound(f"No such container: {ref}")

    def inspect_image(self, ref: str) -> dict:
        if ref == "python:3.13-slim":
            return {"Id": "sha256:python"}
        raise NotFound(f"No such image: {ref}")


def names(all_: bool, **wanted: list[str]) -> list[str]:
    return [c["Names"][0][1:] for c in listfilters.containers(LISTED, all_, wanted, Engine())]


@pytest.mark.parametrize(("all_", "wanted", "listed"), [
    (True, {"name": ["c"]}, ["c3", "c2", "c1"]),
    (False, {"name": ["c"]}, ["c3", "c1"]),
    (True, {"name": ["^c1$"]}, ["c1"]),
    (True, {"name": ["^/c1$"]}, ["c1"]),
    (True, {"name": ["C1"]}, []),
    (True, {"name": ["["]}, []),
    (True, {"name": ["c[12]"]}, ["c2", "c1"]),
    (False, {"status": ["exited"]}, ["c2"]),
    (True, {"status": ["running", "exited"]}, ["c3", "c2", "c1"]),
    (True, {"exited": ["3"]}, ["c2"]),
    (True, {"exited": ["0"]}, []),
    (True, {"id": ["5a7"]}, ["c1"]),
    (True, {"id": ["f11f38"]}, []),  # a container's id is a prefix
    (True, {"label": ["k"]}, ["c1"]),
    (True, {"label": ["k=V"]}, []),
    (True, {"network": ["hA-net"]}, ["c3", "c1"]),
    (True, {"network": ["99adf2af"]}, ["c3", "c1"]),
    (True, {"network": ["hA"]}, []),
    (True, {"ancestor": ["python:3.13-slim"]}, ["c2"]),
    (True, {"ancestor": ["python"]}, []),
    (True, {"before": ["c2"]}, ["c1"]),
    (True, {"since": ["c1"]}, ["c3", "c2"]),
    (False, {"since": ["c1"]}, ["c3"]),
])
def test_container_filters_as_dockerd(all_, wanted, listed):
    assert names(all_, **wanted) == listed


@pytest.mark.parametrize(("wanted", "message"), [
    ({"foo": ["bar"]}, "Invalid filter 'foo'"),
    ({"status": ["bogus"]}, "Invalid filter 'status=bogus'"),
    ({"exited": ["abc"]}, 'strconv.Atoi: parsing "abc": invalid syntax'),
    ({"since": ["nope"]}, "no such container nope"),
])
def test_container_filter_errors_are_dockerds(wanted, message):
    with pytest.raises((BadRequest, NotFound)) as err:
        listfilters.containers(LISTED, True, wanted, Engine())
    assert err.value.message == message


def test_a_filter_the_daemon_does_not_apply_says_so():
    with pytest.raises(BadRequest) as err:
        listfilters.containers(LISTED, True, {"health": ["healthy"]}, Engine())
    assert "labkit's embedded engine does not filter containers by health" in err.value.message


NETWORKS = [{"Name": n, "Id": i + "0" * 52, "Driver": d, "Scope": "local", "Labels": lab} for n, i, d, lab in [
    ("bridge", "aaaaaaaaaaaa", "bridge", {}), ("host", "bbbbbbbbbbbb", "host", {}), ("none", "cccccccccccc", "null", {}),
    ("hA-net", "99adf2af8e16", "bridge", {"a": "b", "x.y": "z"})]]


@pytest.mark.parametrize(("wanted", "listed"), [
    ({"name": ["A-net"]}, ["hA-net"]),
    ({"name": ["a-n"]}, []),
    ({"name": ["^hA-net$"]}, ["hA-net"]),
    ({"id": ["2af8e1"]}, ["hA-net"]),  # a network's id is a regular expression
    ({"driver": ["bri"]}, []),
    ({"driver": ["null", "host"]}, ["host", "none"]),
    ({"type": ["builtin"]}, ["bridge", "host", "none"]),
    ({"type": ["custom"]}, ["hA-net"]),
    ({"scope": ["swarm"]}, []),
    ({"label": ["a", "x.y=z"]}, ["hA-net"]),
])
def test_network_filters_as_dockerd(wanted, listed):
    assert [n["Name"] for n in listfilters.networks(NETWORKS, wanted)] == listed


def test_network_filter_errors_are_dockerds():
    with pytest.raises(BadRequest) as err:
        listfilters.networks(NETWORKS, {"type": ["Custom"]})
    assert err.value.message == "invalid filter: 'type'='Custom'"
    with pytest.raises(BadRequest) as err:
        listfilters.networks(NETWORKS, {"foo": ["bar"]})
    assert err.value.message == "Invalid filter 'foo'"
