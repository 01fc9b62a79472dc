"""dockerd's list filters (GET /containers/json and GET /networks `filters=`), for the embedded engine's daemon.

The docker CLI and docker-py send `--filter` to the daemon, so the daemon decides what `docker ps --filter` and
`docker network ls --filter` list. These are dockerd's rules, checked against dockerd 20.10 with the CLI 28:
a container's `name` is a regular expression searched in its name (with or without the leading `/`), its `id`
a prefix; a network's `name` and `id` are regular expressions searched in them; `label` is `KEY` or
`KEY=VALUE`; `status` and `exited` imply stopped containers; values of one key are alternatives, different
keys must all match. A filter key dockerd knows but this daemon does not apply is refused in labkit's words.
"""

from __future__ import annotations

import re

from labkit.errors import BadRequest, EngineError, NotFound

_PS_KEYS = {"ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name",
            "network", "publish", "since", "status", "volume"}
_PS_DONE = {"ancestor", "before", "exited", "id", "label", "name", "network", "since", "status"}
_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}
_NET_KEYS = {"dangling", "driver", "id", "label", "name", "scope", "type"}
_NET_DONE = {"driver", "id", "label", "name", "scope", "type"}


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def labels_match(labels: dict | None, wanted: list[str], unwanted: list[str] = ()) -> bool:
    """Every `KEY` / `KEY=VALUE` of wanted is on labels and none of unwanted is (`label!=`, as prune reads it):
    the one reading of a label filter, for lists, prunes and images."""
    labels = labels or {}

    def has(want: str) -> bool:
        key, eq, value = want.partition("=")
        return key in labels and (not eq or labels[key] == value)

    return all(has(w) for w in wanted) and not any(has(w) for w in unwanted)


def _not_applied(what: str, key: str) -> BadRequest:
    return BadRequest(f"labkit's embedded engine does not filter {what} by {key}")


def containers(listed: list[dict], all_: bool, wanted: dict[str, list[str]], engine) -> list[dict]:
    """GET /containers/json with filters: every container's summary (newest first) narrowed as dockerd narrows
    the list; engine looks up the containers and images that `before`/`since`/`ancestor` name."""
    for key in wanted:
        if key not in _PS_KEYS:
            raise BadRequest(f"Invalid filter '{key}'")
        if key not in _PS_DONE:
            raise _not_applied("containers", key)
    for status in wanted.get("status", []):
        if status not in _STATUSES:
            raise BadRequest(f"Invalid filter 'status={status}'")
    codes = []
    for code in wanted.get("exited", []):
        try:
            codes.append(int(code))
        except ValueError:
            raise BadRequest(f'strconv.Atoi: parsing "{code}": invalid syntax') from None
    order = {c["Id"]: i for i, c in enumerate(listed)}
    bounds = []
    for key in ("before", "since"):
        for ref in wanted.get(key, []):
            try:
                cid = engine.inspect_container(ref)["Id"]
            except EngineError:
                raise NotFound(f"no such container {ref}") from None
            bounds.append((key, order.get(cid, -1)))
    images = []
    for ref in wanted.get("ancestor", []):
        try:
            images.append(engine.inspect_image(ref)["Id"])
        except EngineError:
            continue
    show_all = all_ or "status" in wanted or "exited" in wanted
    out = []
    for c in listed:
        if not show_all and c.get("State") not in ("running", "paused", "restarting"):
            continue
        if not all(any(_container_test(c, k, v) for v in vs) for k, vs in wanted.items() if k in _CONTAINER_TESTS):
            continue
        if "label" in wanted and not labels_match(c.get("Labels"), wanted["label"]):
            continue
        if codes and not (c.get("State") == "exited" and _exit_code(c) in codes):
            continue
        if "ancestor" in wanted and c.get("ImageID") not in images:
            continue
        pos = order[c["Id"]]
        if any((pos >= bound) if key == "since" else (pos <= bound) for key, bound in bounds):  # newest first
            continue
        out.append(c)
    return out


_CONTAINER_TESTS = {"name", "id", "status", "network"}


def _container_test(c: dict, key: str, value: str) -> bool:
    if key == "name":
        names = [n.lstrip("/") for n in c.get("Names") or []]
        return any(_search(value, n) or _search(value, "/" + n) for n in names)
    if key == "id":
        return c["Id"].startswith(value)
    if key == "status":
        return c.get("State") == value
    nets = (c.get("NetworkSettings") or {}).get("Networks") or {}  # network: a name, or an ID's prefix
    return any(k == value or bool(value and (e or {}).get("NetworkID", "").startswith(value))
               for k, e in nets.items())


def _exit_code(c: dict) -> int | None:
    m = re.match(r"Exited \((-?\d+)\)", c.get("Status") or "")
    return int(m.group(1)) if m else None


def networks(listed: list[dict], wanted: dict[str, list[str]]) -> list[dict]:
    """GET /networks with filters, as dockerd applies them."""
    for key in wanted:
        if key not in _NET_KEYS:
            raise BadRequest(f"Invalid filter '{key}'")
        if key not in _NET_DONE:
            raise _not_applied("networks", key)
    for kind in wanted.get("type", []):
        if kind not in ("custom", "builtin"):
            raise BadRequest(f"invalid filter: 'type'='{kind}'")
    out = []
    for n in listed:
        if not all(any(_network_test(n, k, v) for v in vs) for k, vs in wanted.items() if k != "label"):
            continue
        if "label" in wanted and not labels_match(n.get("Labels"), wanted["label"]):
            continue
        out.append(n)
    return out


def _network_test(n: dict, key: str, value: str) -> bool:
    if key == "name":
        return _search(value, n["Name"])
    if key == "id":
        return _search(value, n["Id"])
    if key == "driver":
        return n.get("Driver") == value
    if key == "scope":
        return n.get("Scope") == value
    return (n["Name"] in ("bridge", "host", "none")) == (value == "builtin")  # type
