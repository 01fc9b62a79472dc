"""curl's -w/--write-out FORMAT as curl 8.14 reads it.

`%{name}` is a variable (an unknown one is warned about on stderr, `curl: unknown --write-out variable: 'name'`,
and prints nothing), `%header{name}` a response header's value, `%%` a percent sign, and `\\n`, `\\r`, `\\t` the
control characters; anything else is printed as written. The variables are those of one transfer, gathered by
curl.py in a Transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit.engines.sim.tools.curl_http import Reply


@dataclass
class Transfer:
    """What -w can tell of one curl run: the last request and reply, and how it ended."""

    url: str = ""  # the last URL requested (url_effective), in curl's normal form
    method: str = "GET"
    scheme: str = "http"
    reply: Reply | None = None
    redirects: int = 0
    redirect_url: str = ""  # where a redirect not followed leads
    exitcode: int = 0
    errormsg: str = ""
    connection: dict = field(default_factory=dict)  # remote_ip, port, size_download (curl_http fills it)


def _http_version(reply: Reply | None) -> str:
    if reply is None or not reply.head:
        return "0"
    version = reply.head[0].split(" ", 1)[0].partition("/")[2]
    return "1" if version == "1.0" else version


def _header(reply: Reply | None, name: str) -> str:
    """A response header's values (joined with ", " when it came more than once), as %header{name} prints them."""
    if reply is None:
        return ""
    values = [line.partition(":")[2].strip() for line in reply.head[1:]
              if line.partition(":")[1] and line.partition(":")[0].strip().lower() == name.lower()]
    return ", ".join(values)


def variables(t: Transfer) -> dict[str, str]:
    """The -w variables labkit's curl knows, by name."""
    status = f"{t.reply.status:03d}" if t.reply else "000"
    c = t.connection
    return {
        "http_code": status, "response_code": status,
        "content_type": (t.reply.header("Content-Type") or "") if t.reply else "",
        "redirect_url": t.redirect_url, "url_effective": t.url, "url": t.url, "num_redirects": str(t.redirects),
        "exitcode": str(t.exitcode), "errormsg": t.errormsg, "method": t.method, "scheme": t.scheme,
        "http_version": _http_version(t.reply), "remote_ip": c.get("remote_ip", ""),
        "remote_port": str(c.get("port", "")), "size_download": str(c.get("size_download", 0)),
    }


def render(fmt: str, t: Transfer, warn) -> str:
    """FORMAT with its variables filled in; `warn(text)` prints curl's warning for an unknown one."""
    known = variables(t)
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and fmt.startswith("%%", i):
            out.append("%")
            i += 2
        elif c == "%" and fmt.startswith("%{", i) and "}" in fmt[i + 2:]:
            end = fmt.index("}", i + 2)
            name = fmt[i + 2:end]
            if name in known:
                out.append(known[name])
            else:
                warn(f"curl: unknown --write-out variable: '{name}'\n")
            i = end + 1
        elif c == "%" and fmt.startswith("%header{", i) and "}" in fmt[i + 8:]:
            end = fmt.index("}", i + 8)
            out.append(_header(t.reply, fmt[i + 8:end]))
            i = end + 1
        elif c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt":
            out.append({"n": "\n", "r": "\r", "t": "\t"}[fmt[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def effective_url(url: str) -> str:
    """A URL as curl names it in url_effective: its scheme (http when none was given) and a path of at least /."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host}/{path if slash else ''}"
