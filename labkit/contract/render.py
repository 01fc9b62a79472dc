"""Render Engine API data the way the docker CLI prints it. Every engine uses this one module."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from labkit.contract import gofuncs, gotemplate, listformat
from labkit.contract.govalues import go_quote
from labkit.contract.shorten import ellipsis, short_id
from labkit.engines import imagenames
from labkit.errors import CommandError
from labkit.units import ago, human_size

_RUN_HELP = "\n\nRun 'docker run --help' for more information\n"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A tabwriter table (minwidth 10, padding 3) as the CLI prints ps, network ls and images."""
    all_rows = [list(headers), *[list(r) for r in rows]]
    widths = [0] * len(headers)
    for r in all_rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], max(10, len(cell) + 3))
    lines = []
    for r in all_rows:
        line = "".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + r[-1]
        lines.append(line.rstrip() if not r[-1] else line)
    return "\n".join(lines) + "\n"


def _join_host_port(ip: str, port: int | str) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def ports_column(ports: list[dict]) -> str:
    """The PORTS column of `docker ps` (the CLI's DisplayablePorts)."""
    ports = sorted(
        ports,
        key=lambda p: (p.get("PrivatePort", 0), p.get("IP", ""), p.get("PublicPort", 0), p.get("Type", "")),
    )
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for p in ports:
        current = p.get("PrivatePort", 0)
        key = p.get("Type", "tcp")
        ip = p.get("IP", "")
        if ip:
            if p.get("PublicPort") != current:
                mappings.append(f"{_join_host_port(ip, p.get('PublicPort'))}->{current}/{p.get('Type')}")
                continue
            key = f"{ip}/{p.get('Type')}"
        g = groups.get(key)
        if g is None:
            groups[key] = [current, current]
            order.append(key)
            continue
        if current == g[1] + 1:
            g[1] = current
            continue
        result.append(_form_group(key, g[0], g[1]))
        g[0] = g[1] = current
    for key in order:
        g = groups[key]
        result.append(_form_group(key, g[0], g[1]))
    return ", ".join(result + mappings)


def _form_group(key: str, first: int, last: int) -> str:
    ip, _, proto = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{proto}"


def image_column(container: dict) -> str:
    """The IMAGE column of `docker ps` (the CLI's ContainerContext.Image)."""
    image = container.get("Image") or ""
    if not image:
        return "<no image>"
    if container.get("ImageID") and short_id(container["ImageID"]) == short_id(image):
        return short_id(image)
    return imagenames.familiar(image.split("@", 1)[0])


def ps_table(containers: list[dict], quiet: bool = False, now: float | None = None) -> str:
    """`docker ps` output for the API's container list (newest first, as the daemon sends it)."""
    if quiet:
        return "".join(short_id(c["Id"]) + "\n" for c in containers)
    rows = []
    for c in containers:
        command = c.get("Command", "")
        rows.append(
            [
                short_id(c["Id"]),
                image_column(c),
                go_quote(ellipsis(command, 20)),  # the CLI's strconv.Quote: inner quotes escaped
                ago(c.get("Created", 0), now),
                c.get("Status", ""),
                ports_column(c.get("Ports") or []),
                ",".join(n.lstrip("/") for n in c.get("Names") or []),
            ]
        )
    return table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"], rows)


def network_table(networks: list[dict], quiet: bool = False) -> str:
    """`docker network ls` output, sorted by name like the CLI."""
    networks = sorted(networks, key=lambda n: n["Name"])
    if quiet:
        return "".join(short_id(n["Id"]) + "\n" for n in networks)
    rows = [[short_id(n["Id"]), n["Name"], n.get("Driver", ""), n.get("Scope", "local")] for n in networks]
    return table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], rows)


def images_table(images: list[dict], quiet: bool = False, now: float | None = None) -> str:
    """`docker images` output: one row per repository tag, newest image first."""
    images = sorted(images, key=lambda i: i.get("Created", 0), reverse=True)
    if quiet:
        return "".join(short_id(i["Id"]) + "\n" for i in images)
    rows = []
    for img in images:
        tags = [t for t in (img.get("RepoTags") or []) if t != "<none>:<none>"] or ["<none>:<none>"]
        for tag in tags:
            repo, _, version = tag.rpartition(":")
            rows.append([repo, version, short_id(img["Id"]), ago(img.get("Created", 0), now),
                         human_size(img.get("Size", 0))])
    return table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows)


def inspect_json(objects: list[dict]) -> str:
    """`docker inspect` output: the engine's JSON, indented by 4, HTML-escaped like Go."""
    if not objects:
        return "[]\n"
    text = json.dumps(objects, indent=4, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


def natural_key(text: str) -> list:
    """Sort key comparing digit runs as numbers (the CLI's sortorder.NaturalLess)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", text)]


def port_lines(container: dict, only: str | None = None) -> str:
    """`docker port NAME [PORT]` output from a container's inspect data, naturally sorted."""
    lines = []
    bindings = (container.get("NetworkSettings") or {}).get("Ports") or {}
    for private, frontends in bindings.items():
        if only is not None and private != only:
            continue
        for b in frontends or []:
            addr = _join_host_port(b.get("HostIp") or "0.0.0.0", b.get("HostPort"))
            lines.append(addr if only is not None else f"{private} -> {addr}")
    return "".join(line + "\n" for line in sorted(lines, key=natural_key))


def daemon_error(message: str) -> str:
    """A daemon error line as most commands print it."""
    return f"Error response from daemon: {message}\n"


def run_error(message: str) -> str:
    """A failed `docker run` as the CLI prints it (exit 125)."""
    return f"docker: Error response from daemon: {message}{_RUN_HELP}"


def build_line(chunk: dict) -> str:
    """One chunk of the engine's build stream, as the classic builder prints it."""
    if "stream" in chunk:
        return chunk["stream"]
    if "status" in chunk:
        return chunk["status"] + "\n"
    return ""


def version_text(client: dict[str, str], server: dict) -> str:
    """`docker version` output: the client section, then the engine's components."""
    lines = ["Client:"]
    for key, val in client.items():
        lines.append(f" {key + ':':<18} {val}")
    lines += ["", f"Server: {server.get('Platform', {}).get('Name', '')}".rstrip()]
    for comp in server.get("Components") or []:
        lines.append(f" {comp['Name']}:")
        details = comp.get("Details") or {}
        rows = [("Version", comp.get("Version", ""))]
        if comp["Name"] == "Engine":
            rows += [
                ("API version", f"{details.get('ApiVersion', '')} (minimum version {details.get('MinAPIVersion', '')})"),
                ("Go version", details.get("GoVersion", "")),
                ("Git commit", details.get("GitCommit", "")),
                ("Built", details.get("BuildTime", "")),
                ("OS/Arch", f"{details.get('Os', '')}/{details.get('Arch', '')}"),
                ("Experimental", details.get("Experimental", "false")),
            ]
        else:
            rows += [("GitCommit", details.get("GitCommit", ""))]
        for key, val in rows:
            lines.append(f"  {key + ':':<17} {val}")
    return "\n".join(lines) + "\n"


# -- --format (Go templates) ---------------------------------------------------------------------------
def inspect_formatted(fmt: str, objects: list[dict | str]) -> tuple[str, list[str]]:
    """`docker inspect -f FMT` output: (stdout, error lines) for objects in order, where a str is an error the
    lookup gave. The CLI runs the template on each object, prints each result and a newline, and prints one
    empty line when nothing succeeded. A template that does not parse: exit 64, nothing printed."""
    if fmt == "json":  # the CLI 28's `-f json`: the daemon's documents, compact, in one array
        found = [o for o in objects if isinstance(o, dict)]
        text = json.dumps(found, separators=(",", ":"), ensure_ascii=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return text + "\n", [o for o in objects if isinstance(o, str)]
    try:
        tmpl = gotemplate.parse(fmt)
    except gotemplate.ParseError as err:
        raise CommandError(f"template parsing error: {err}\n", 64) from None
    except gofuncs.Unsupported as err:
        raise CommandError(f"{err}\n", 125) from None
    out, errors = [], []
    for obj in objects:
        if isinstance(obj, str):
            errors.append(obj)
            continue
        try:
            try:
                out.append(tmpl.execute(gofuncs.typed(obj)) + "\n")
            except (gotemplate.ExecError, gofuncs.TypedFail):  # the CLI tries again on the raw JSON
                out.append(tmpl.execute(gofuncs.raw(obj), raw=True) + "\n")
        except gotemplate.ExecError as err:
            errors.append(f"template parsing error: {err}")
        except gofuncs.Unsupported as err:
            raise CommandError(f"{err}\n", 125) from None
    return "".join(out) or "\n", errors


def ps_output(containers: list[dict], quiet: bool, fmt: str | None, trunc: bool = True) -> str:
    """`docker ps` with -q, --format and --no-trunc."""
    if quiet:
        return "".join((short_id(c["Id"]) if trunc else c["Id"]) + "\n" for c in containers)
    if not listformat.custom(fmt) and trunc:
        return ps_table(containers)
    fmt = fmt if listformat.custom(fmt) else ("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                                             "{{.Status}}\t{{.Ports}}\t{{.Names}}")
    rows = [listformat.container_context(c, trunc, image_column, ports_column, plain_json=fmt == "json")
            for c in containers]
    return listformat.render(fmt, rows, listformat.PS_HEADERS,
                             ("failed to parse template: ", "failed to execute template: "))


def network_output(networks: list[dict], quiet: bool, fmt: str | None, trunc: bool = True) -> str:
    """`docker network ls` with -q, --format and --no-trunc (sorted by name, as the CLI sorts)."""
    networks = sorted(networks, key=lambda n: n["Name"])
    if quiet and not listformat.custom(fmt):  # a custom --format wins over -q here (the CLI's network.NewFormat)
        return "".join((short_id(n["Id"]) if trunc else n["Id"]) + "\n" for n in networks)
    if not listformat.custom(fmt) and trunc:
        return network_table(networks)
    fmt = fmt if listformat.custom(fmt) else "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
    rows = [listformat.network_context(n, trunc) for n in networks]
    return listformat.render(fmt, rows, listformat.NETWORK_HEADERS,
                             ("template parsing error: ", "template parsing error: "))


def images_output(images: list[dict], quiet: bool, fmt: str | None, trunc: bool = True) -> str:
    """`docker images` with -q, --format and --no-trunc: one row per repository tag, newest image first."""
    if not listformat.custom(fmt) and trunc:
        return images_table(images, quiet)
    images = sorted(images, key=lambda i: i.get("Created", 0), reverse=True)
    if quiet and not listformat.custom(fmt):
        return "".join(i["Id"] + "\n" for i in images)
    fmt = fmt if listformat.custom(fmt) else "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    rows = []
    for img in images:
        tags = [t for t in (img.get("RepoTags") or []) if t != "<none>:<none>"] or ["<none>:<none>"]
        for tag in tags:
            repo, _, version = tag.rpartition(":")
            rows.append(listformat.image_context(img, repo, version, trunc))
    return listformat.render(fmt, rows, listformat.IMAGE_HEADERS,
                             ("template parsing error: ", "template parsing error: "))
