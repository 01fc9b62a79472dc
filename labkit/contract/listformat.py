"""`--format` for `docker ps`, `docker network ls` and `docker images`: the CLI's formatter contexts.

Each row is a Context whose fields are the CLI's placeholders (`.ID`, `.Names`, `.Label "k"`, …) computed
from the Engine API list, with the CLI's rules (docker/cli cli/command/formatter): `table` prints a header
made by running the same template on the header names, through Go's tabwriter (minwidth 10, padding 3);
`json` is `{{json .}}`; `\\t` and `\\n` in the format become a tab and a newline; each row ends with a newline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from labkit.contract import gofuncs, gotemplate
from labkit.contract.gofuncs import Context, Unsupported
from labkit.contract.shorten import ellipsis, short_id
from labkit.errors import CommandError
from labkit.units import ago, human_size

PS_HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
              "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE",
              "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES",
              "Networks": "NETWORKS", "Platform": "PLATFORM"}
NETWORK_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4",
                   "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"}
IMAGE_HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
                 "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS",
                 "VirtualSize": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE"}

# the CLI's HeaderFunctions: run on header names, these pass the name through (pad does not)
_HEADER_FUNCS = {**gofuncs.FUNCS, **{name: (lambda v, *_: v) for name in
                                     ("json", "split", "join", "title", "lower", "upper", "truncate")}}


def _labels(labels: dict | None) -> str:
    return ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items()))


def unix_time(seconds: float) -> str:
    """Go's time.Unix(s, 0).String() in the local zone: '2026-12-01 15:38:53 +0000 UTC'."""
    t = time.localtime(seconds)
    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", t)


def rfc3339_time(text: str) -> str:
    """Go's Time.String() of an API timestamp ('…T15:38:52.991593077Z' -> '… 15:38:52.991593077 +0000 UTC')."""
    m = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text or "")
    if not m:
        return "0001-01-01 00:00:00 +0000 UTC"
    frac = (m.group(3) or "").rstrip("0").rstrip(".")
    zone = "+0000 UTC" if m.group(4) == "Z" else m.group(4).replace(":", "") + " " + m.group(4).replace(":", "")
    return f"{m.group(1)} {m.group(2)}{frac} {zone}"


def container_context(c: dict, trunc: bool, image_column: Callable[[dict], str], ports: Callable[[list], str],
                      plain_json: bool = False, now: float | None = None) -> Context:
    """One `docker ps` row as the CLI's ContainerContext (plain_json: `--format json`, which asks no sizes)."""
    def names() -> str:
        all_names = [n[1:] if n.startswith("/") else n for n in c.get("Names") or []]
        if trunc:
            plain = [n for n in all_names if "/" not in n]
            all_names = plain[:1] or all_names
        return ",".join(all_names)

    def mounts() -> str:
        out = []
        for m in c.get("Mounts") or []:
            name = m.get("Name") or m.get("Source") or ""
            out.append(ellipsis(name, 15) if trunc else name)
        return ",".join(out)

    def size() -> str:
        if plain_json:  # the CLI asks the daemon for sizes only when the template reads .Size
            return human_size(c.get("SizeRw") or 0)
        raise Unsupported("labkit: labkit does not compute container sizes (`docker ps --format` with .Size); "
                          "drop .Size, or use --format json")

    def image() -> str:
        return image_column(c) if trunc else (c.get("Image") or "<no image>")

    nets = (c.get("NetworkSettings") or {}).get("Networks") or {}
    fields: dict[str, Callable[..., object]] = {
        "ID": lambda: short_id(c["Id"]) if trunc else c["Id"],
        "Image": image,
        "Command": lambda: gofuncs.go_quote(ellipsis(c.get("Command") or "", 20) if trunc else c.get("Command") or ""),
        "CreatedAt": lambda: unix_time(c.get("Created") or 0),
        "RunningFor": lambda: ago(c.get("Created") or 0, now),
        "Ports": lambda: ports(c.get("Ports") or []),
        "State": lambda: c.get("State") or "",
        "Status": lambda: c.get("Status") or "",
        "Size": size,
        "Names": names,
        "Labels": lambda: _labels(c.get("Labels")),
        "Label": lambda name: (c.get("Labels") or {}).get(name, ""),
        "Mounts": mounts,
        "LocalVolumes": lambda: str(sum(1 for m in c.get("Mounts") or [] if m.get("Driver") == "local")),
        "Networks": lambda: ",".join(sorted(nets)),
        "Platform": lambda: None,
    }
    return Context("*formatter.ContainerContext", fields, [k for k in PS_HEADERS])


def network_context(n: dict, trunc: bool) -> Context:
    """One `docker network ls` row as the CLI's networkContext."""
    fields: dict[str, Callable[..., object]] = {
        "ID": lambda: short_id(n["Id"]) if trunc else n["Id"],
        "Name": lambda: n.get("Name") or "",
        "Driver": lambda: n.get("Driver") or "",
        "Scope": lambda: n.get("Scope") or "",
        "IPv4": lambda: "true" if n.get("EnableIPv4") else "false",
        "IPv6": lambda: "true" if n.get("EnableIPv6") else "false",
        "Internal": lambda: "true" if n.get("Internal") else "false",
        "Labels": lambda: _labels(n.get("Labels")),
        "Label": lambda name: (n.get("Labels") or {}).get(name, ""),
        "CreatedAt": lambda: rfc3339_time(n.get("Created") or ""),
    }
    return Context("*network.networkContext", fields, [k for k in NETWORK_HEADERS])


def image_context(img: dict, repo: str, tag: str, trunc: bool, now: float | None = None) -> Context:
    """One `docker images` row (one repository tag) as the CLI's imageContext."""
    def count(key: str) -> str:
        value = img.get(key, -1)
        return "N/A" if value is None or value < 0 else (human_size(value) if key != "Containers" else str(value))

    digests = [d.partition("@")[2] for d in img.get("RepoDigests") or [] if d.partition("@")[0] == repo]
    fields: dict[str, Callable[..., object]] = {
        "ID": lambda: short_id(img["Id"]) if trunc else img["Id"],
        "Repository": lambda: repo,
        "Tag": lambda: tag,
        "Digest": lambda: digests[0] if digests else "<none>",
        "CreatedSince": lambda: ago(img.get("Created") or 0, now),
        "CreatedAt": lambda: unix_time(img.get("Created") or 0),
        "Size": lambda: human_size(img.get("Size") or 0),
        "Containers": lambda: count("Containers"),
        "VirtualSize": lambda: human_size(img.get("VirtualSize", img.get("Size")) or 0, 4),
        "SharedSize": lambda: count("SharedSize"),
        "UniqueSize": lambda: count("UniqueSize"),
    }
    return Context("*formatter.imageContext", fields, [k for k in IMAGE_HEADERS])


def tabwrite(text: str, minwidth: int = 10, padding: int = 3) -> str:
    """Go's tabwriter (flags 0): tab-terminated cells padded to their column's width, column by column."""
    lines = [line.split("\t") for line in text.split("\n")]
    widths: list[list[int]] = [[0] * max(len(cells) - 1, 0) for cells in lines]
    col = 0
    while True:
        runs, start = [], None
        for i, cells in enumerate(lines + [[]]):
            if len(cells) - 1 > col:
                start = i if start is None else start
            elif start is not None:
                runs.append((start, i))
                start = None
        if not runs:
            break
        for a, b in runs:
            width = max(max(len(lines[i][col]) + padding for i in range(a, b)), minwidth)
            for i in range(a, b):
                widths[i][col] = width
        col += 1
    out = []
    for cells, ws in zip(lines, widths, strict=True):
        out.append("".join(cell.ljust(w) for cell, w in zip(cells[:-1], ws, strict=True)) + cells[-1])
    return "\n".join(out)


def render(fmt: str, rows: list[Context], headers: dict[str, str], errors: tuple[str, str]) -> str:
    """Rows printed with a --format value (a template, `table …` or `json`), as the CLI's formatter does.

    errors: the CLI's prefixes for a template that does not parse and one that fails to run."""
    is_table = fmt.startswith("table")
    text = "{{json .}}" if fmt == "json" else fmt[len("table"):] if is_table else fmt
    text = text.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    try:
        tmpl = gotemplate.parse(text)
    except gotemplate.ParseError as err:
        raise CommandError(f"{errors[0]}{err}\n", 1) from None
    except Unsupported as err:
        raise CommandError(f"{err}\n", 125) from None
    body = []
    try:
        for row in rows:
            body.append(tmpl.execute(row) + "\n")
        if not is_table:
            return "".join(body)
        head = _header_context(headers)
        header = gotemplate.Template(text, _HEADER_FUNCS).execute(head)
    except gotemplate.ExecError as err:
        raise CommandError(f"{errors[1]}{err}\n", 1) from None
    except Unsupported as err:
        raise CommandError(str(err).rstrip("\n") + "\n", 125) from None
    return tabwrite(header + "\n" + "".join(body))


def _header_context(headers: dict[str, str]) -> Context:
    return _HeaderMap(headers)


class _HeaderMap(Context):
    """The CLI's SubHeaderContext: a map of header names, whose Label method names a label's column."""

    def __init__(self, headers: dict[str, str]) -> None:
        fields: dict[str, Callable[..., object]] = {k: (lambda v=v: v) for k, v in headers.items()}
        fields["Label"] = lambda name: re.sub(r"[-_]", " ", name.split(".")[-1])
        super().__init__("formatter.SubHeaderContext", fields, list(headers))

    def field(self, name: str, args: list) -> object:
        """A header name; <no value> for a name the header map lacks."""
        if name not in self.fields:
            return gofuncs.NOVALUE
        return super().field(name, args)


def custom(fmt: str | None) -> bool:
    """True when --format asks for something other than the default table (`table` alone is the default)."""
    return bool(fmt) and fmt != "table"
