"""The one normaliser of the conformance suite: mask what an engine may legitimately choose, nothing else.

Two engines (the real Docker Engine and the embedded sim) must print the same thing for the same
transcript. Some values are the engine's free choice or depend on the clock or on the engine's
history, so they are masked -- and only they:

- IDs: 64-hex and 12-hex container, network, image (also endpoint) IDs, with or without `sha256:`.
  They become placeholders numbered in order of first appearance within one transcript run:
  `<id1>` for a full ID, `<id1:short>` for its 12-character form (a short ID and the full ID it
  starts are the same placeholder number, so `docker run -d` and `docker ps` stay linked).
- timestamps: RFC 3339 (`2026-11-27T19:03:59.123456789Z`, also with a `+01:00` offset), and the
  two other clock formats these outputs carry: the access-log time of Python's http.server
  (`[27/Nov/2026 19:03:59]`) and the HTTP `Date:` header (`Thu, 27 Nov 2026 19:03:59 GMT`).
- durations: curl's `after N ms` / `after N milliseconds`; relative times (`5 seconds ago`,
  `Less than a second ago`, `About a minute ago`, `Up 3 seconds`, `Exited (0) 2 seconds ago`);
  ping's round-trip times (`time=0.081 ms`, `min/avg/max = 0.081/0.081/0.081 ms`); the three speed
  columns of a curl progress-meter row (Dload, Upload, Current: bytes per second, so a duration in
  disguise) become `<spd>`, five characters like the field itself, so the row keeps its layout. The
  row's sizes, percentages and time columns are kept. curl also prints a row whenever the wall clock
  enters a new second during the transfer, so a fast transfer may repeat a row: a row equal (after
  masking) to the one just before it is dropped (curl separates rows with \r; a reader in text mode sees \n);
  and a slow one (a busy machine) prints rows in between with the progress of that moment: of a run of
  rows on their own lines, the first (the transfer's start) and the last (its end) are kept.
- MAC addresses.
- `docker top`'s process numbers, CPU shares and times (PID, PPID, C, STIME, TIME, and ps aux's own): <n>.
- the network part of engine-allocated subnets: Docker picks the next free subnet from its default
  pools and that depends on its history and on everyone else's networks. The pools are 172.16-31.0.0/16
  and, once those are taken, 192.168.0.0/16 cut into /20s. Both are written in one form, so a run
  compares equal whichever pool Docker was in: 172.18.0.2 -> <net1>.0.2, 192.168.112.2 -> <net1>.0.2
  (for a /20 the third octet counts from the /20's start), and a CIDR's prefix length becomes
  /<len> (172.18.0.0/16 -> <net1>.0.0/<len>). Networks are numbered by first appearance. The host
  part is kept: allocation order inside a network is deterministic.

Tables (`docker ps`, `network ls`, `images`, `compose ps`) are re-aligned after masking: a column's
width is max(10, longest cell + 3), so it depends on the masked cells themselves ("Less than a second
ago" is wider than "3 seconds ago"). Only a table that was correctly aligned before masking is
re-aligned; a malformed one is left as it was, so the difference shows.

Not masked: the "Sending build context to Docker daemon  N" size. It is a function of the context's
files only (labkit computes it the same way for every engine), so an engine that differs is wrong.
"""

from __future__ import annotations

import re

from labkit.contract import render

_HEX_ID = re.compile(r"(?<![0-9A-Za-z])([0-9a-f]{64}|[0-9a-f]{12})(?![0-9A-Za-z])")
_RFC3339 = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_LOG_TIME = re.compile(r"\b\d{2}/[A-Z][a-z]{2}/\d{4} \d{2}:\d{2}:\d{2}\b")
_HTTP_DATE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b")
_CURL_AFTER = re.compile(r"\bafter \d+ (ms|milliseconds)\b")
_AMOUNT = r"(?:Less than a second|About a minute|About an hour|\d+ (?:second|minute|hour|day|week|month|year)s?)"
_RELATIVE = re.compile(rf"(?<=\bUp ){_AMOUNT}|\b{_AMOUNT}(?= ago\b)")
_PING_TIME = re.compile(r"\btime=\d+(?:\.\d+)? ms\b")
_PING_STATS = re.compile(r"\bmin/avg/max(?:/mdev)? = [\d./]+ ms\b")
_SPEED5 = r"[ \d.kMGTP]{5}"
_CURL_ROW = re.compile(
    rf"(?<![^\r\n])( *\d{{1,3}} {_SPEED5}  +\d{{1,3}} {_SPEED5}  +\d{{1,3}} {_SPEED5}  ){_SPEED5}  {_SPEED5}"
    r"( (?:--:--:--|[ \d]\d:\d\d:\d\d) (?:--:--:--|[ \d]\d:\d\d:\d\d) (?:--:--:--|[ \d]\d:\d\d:\d\d) )"
    rf"{_SPEED5}(?=\r|\n|$|curl: )"  # a failed transfer's error follows its last row on the same line
)
_REPEATED_ROW = re.compile(r"([\r\n])([^\r\n]*<spd>)(?:[\r\n]\2)+(?=\r|\n|$|curl: )")
_MAC = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}(?![0-9A-Za-z:])")
_POOL_ADDR = re.compile(
    r"(?<![\d.])(?:172\.(?P<b>1[6-9]|2\d|3[01])\.(?P<c>\d{1,3})|192\.168\.(?P<c2>\d{1,3}))\.(?P<d>\d{1,3})"
    r"(?P<len>/\d{1,2})?(?![\d.])"
)
_TABLE_HEADERS = ("CONTAINER ID ", "NETWORK ID ", "REPOSITORY ", "NAME ")
_TOP_HEADER = re.compile(r"^(UID|USER|PID) {3,}(\S.* {3,})?(CMD|COMMAND)$")  # `docker top`'s titles (ps -ef, aux, -o)
_TOP_VARYING = {"PID", "PPID", "C", "STIME", "TIME", "%CPU", "%MEM", "VSZ", "RSS", "START"}


class Normaliser:
    """Masks one transcript run's output: placeholders are shared by every text it normalises."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.nets: dict[str, int] = {}

    # -- the rules ---------------------------------------------------------------------------
    def _id(self, m: re.Match) -> str:
        hexid = m.group(1)
        n = self.ids.setdefault(hexid[:12], len(self.ids) + 1)
        return f"<id{n}>" if len(hexid) == 64 else f"<id{n}:short>"

    def _net(self, m: re.Match) -> str:
        if m.group("b") is not None:
            key, third = "172." + m.group("b"), int(m.group("c"))
        else:
            c = int(m.group("c2"))
            key, third = f"192.168.{c - c % 16}", c % 16
        n = self.nets.setdefault(key, len(self.nets) + 1)
        return f"<net{n}>.{third}.{m.group('d')}" + ("/<len>" if m.group("len") else "")

    def mask(self, text: str) -> str:
        """Apply every masking rule to text (no table re-alignment)."""
        text = _RFC3339.sub("<time>", text)
        text = _LOG_TIME.sub("<time>", text)
        text = _HTTP_DATE.sub("<time>", text)
        text = _MAC.sub("<mac>", text)
        text = _HEX_ID.sub(self._id, text)
        text = _CURL_AFTER.sub(lambda m: f"after <n> {m.group(1)}", text)
        text = _RELATIVE.sub("<duration>", text)
        text = _PING_TIME.sub("time=<n> ms", text)
        text = _CURL_ROW.sub(lambda m: f"{m.group(1)}<spd>  <spd>{m.group(2)}<spd>", text)
        text = _REPEATED_ROW.sub(r"\1\2", text)
        text = _PING_STATS.sub(lambda m: m.group(0).split("=")[0] + "= <n> ms", text)
        return _POOL_ADDR.sub(self._net, text)

    def normalise(self, text: str) -> str:
        """Mask text; re-align the CLI tables in it."""
        lines = text.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            if _TOP_HEADER.match(lines[i]):
                end = i + 1
                while end < len(lines) and lines[end].strip():
                    end += 1
                out.extend(self._top(lines[i:end]))
                i = end
                continue
            if lines[i].startswith(_TABLE_HEADERS):
                end = i + 1
                while end < len(lines) and lines[end].strip():
                    end += 1
                out.extend(self._table(lines[i:end]))
                i = end
                continue
            masked = self.mask(lines[i])
            row = masked.endswith("<spd>")
            if row and out and masked == out[-1]:  # a meter row repeated (see above)
                pass
            elif row and len(out) > 1 and out[-1].endswith("<spd>") and out[-2].endswith("<spd>"):
                out[-1] = masked  # a row of the moment between the transfer's first and last (see above)
            else:
                out.append(masked)
            i += 1
        return "\n".join(out)

    def _top(self, lines: list[str]) -> list[str]:
        """`docker top`'s table: the process numbers and times are the machine's (masked as <n>), the rest kept."""
        titles = lines[0].split()
        rows = [table_cells_top(line, lines[0]) for line in lines]
        masked = [rows[0]] + [[("<n>" if titles[k] in _TOP_VARYING and k < len(titles) - 1 else self.mask(cell))
                               for k, cell in enumerate(row)] for row in rows[1:]]
        widths = [max(20, max(len(r[k]) for r in masked) + 3) for k in range(len(titles))]
        return ["".join(c.ljust(widths[k]) if k < len(row) - 1 else c for k, c in enumerate(row)) for row in masked]

    def _table(self, lines: list[str]) -> list[str]:
        rows = table_cells(lines)
        if rows is None or render_table(rows) != lines:
            return [self.mask(line) for line in lines]
        return render_table([[self.mask(cell) for cell in row] for row in rows])


def table_cells_top(line: str, header: str) -> list[str]:
    """One row of `docker top`'s table cut at its header's column starts (padding 3, minimum width 20)."""
    starts = [0] + [m.end() for m in re.finditer(r" {3,}", header)]
    return [line[a:b].rstrip() if b is not None else line[a:]
            for a, b in zip(starts, [*starts[1:], None], strict=True)]


def table_cells(lines: list[str]) -> list[list[str]] | None:
    """Cut a CLI table (tabwriter, padding 3) into cells at its header's column starts; None if it is not one."""
    starts = [0] + [m.end() for m in re.finditer(r" {3,}", lines[0])]
    rows = []
    for line in lines:
        cells = []
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else None
            cells.append(line[start:end].rstrip() if end is not None else line[start:])
        rows.append(cells)
    return rows


def render_table(rows: list[list[str]]) -> list[str]:
    """The lines of a table as the docker CLI prints it (the one renderer's tabwriter)."""
    if not rows:
        return []
    return render.table(rows[0], rows[1:]).splitlines()


def normalise(text: str, state: Normaliser | None = None) -> str:
    """Mask IDs, timestamps, durations, MACs and allocated 172.x subnets (one text on its own unless state is shared)."""
    return (state or Normaliser()).normalise(text)


def normalise_result(result: dict, state: Normaliser | None = None) -> dict:
    """A {"cmd", "exit_code", "stdout", "stderr"} result with stdout and stderr normalised (state shared per run)."""
    state = state or Normaliser()
    out = dict(result)
    out["stdout"] = state.normalise(result.get("stdout", ""))
    out["stderr"] = state.normalise(result.get("stderr", ""))
    return out
