"""Word expansion, as POSIX sh does it: tilde, parameters, $(…)/backticks, $((…)), field splitting, globbing.

`expand(sh, raw)` gives the fields of a raw word (the text the parser kept, quotes included);
`expand_one` gives one string without splitting or globbing (assignments, redirection targets, case
words). `sh` is the running shell (shexec.Shell): variables, positional parameters, command
substitution and the container's files for globbing. Arithmetic is arith.py's.
"""

from __future__ import annotations

import re

from labkit.engines.sim.tools.sharith import arith

# a piece of an expanded word: (text, quoted, from_expansion); BREAK separates "$@" fields
BREAK = object()


class ExpandError(Exception):
    """A fatal expansion error (dash prints `sh: N: MSG` and the script ends with status 2)."""


def expand(sh, raw: str) -> list[str]:
    """The fields of a raw word after every expansion."""
    pieces = _pieces(sh, raw, quoted=False)
    fields: list[list] = []
    cur: list | None = None
    ifs = sh.getvar("IFS")
    ifs = " \t\n" if ifs is None else ifs
    for p in pieces:
        if p is BREAK:
            if cur is not None:
                fields.append(cur)
            cur = None
            continue
        text, quoted, exp = p
        if quoted or not exp or not ifs:
            if cur is None:
                cur = []
            cur.append((text, quoted))
            continue
        for part in _split(text, ifs):
            if part is None:  # a separator: end the current field
                if cur is not None:
                    fields.append(cur)
                cur = None
            else:
                if cur is None:
                    cur = []
                cur.append((part, False))
    if cur is not None:
        fields.append(cur)
    out: list[str] = []
    for f in fields:
        if not any(q for _, q in f) and all(t == "" for t, _ in f):
            continue  # an unquoted expansion to nothing is no field at all
        word = "".join(t for t, _ in f)
        if any(not q and any(ch in t for ch in "*?[") for t, q in f):
            pattern = "".join(t if not q else _escape_glob(t) for t, q in f)
            matches = sh.glob(pattern)
            if matches:
                out.extend(matches)
                continue
        out.append(word)
    return out


def expand_one(sh, raw: str) -> str:
    """One string: expansions without field splitting or globbing (assignments, redirections, case)."""
    return "".join(p[0] for p in _pieces(sh, raw, quoted=False) if p is not BREAK)


def expand_heredoc(sh, body: str) -> str:
    """A here-document's text with $…, $(…) and backslash escapes of $ ` \\ expanded."""
    return "".join(p[0] for p in _pieces(sh, body, quoted=True) if p is not BREAK)


def _escape_glob(text: str) -> str:
    return re.sub(r"([*?\[\\])", r"\\\1", text)


def _split(text: str, ifs: str) -> list:
    """Split text at IFS characters: parts, with None where a field ends."""
    out: list = []
    buf = ""
    ws = [c for c in ifs if c in " \t\n"]
    i = 0
    while i < len(text):
        c = text[i]
        if c in ifs:
            if buf or c not in ws:
                out.append(buf)
                out.append(None)
            elif out and out[-1] is not None:
                out.append(None)
            elif not out:
                out.append(None)
            buf = ""
        else:
            buf += c
        i += 1
    if buf:
        out.append(buf)
    return out


def _pieces(sh, raw: str, quoted: bool) -> list:
    """The pieces of a raw word (or of a double-quoted part when quoted)."""
    out: list = []
    lit = ""
    i, n = 0, len(raw)

    def flush() -> None:
        nonlocal lit
        if lit:
            out.append((lit, quoted, False))
            lit = ""

    if not quoted and raw.startswith("~"):
        j = raw.find("/")
        user = raw[1:] if j < 0 else raw[1:j]
        if user == "":
            out.append((sh.getvar("HOME") or "", True, False))
            i = 1
    while i < n:
        c = raw[i]
        if c == "\\":
            nxt = raw[i + 1:i + 2]
            if not quoted:
                flush()
                if nxt != "\n":
                    out.append((nxt, True, False))
            elif nxt in "$`\"\\\n":
                if nxt != "\n":
                    lit += nxt
            else:
                lit += "\\" + nxt
            i += 2
        elif c == "'" and not quoted:
            j = raw.index("'", i + 1)
            flush()
            out.append((raw[i + 1:j], True, False))
            i = j + 1
        elif c == '"' and not quoted:
            j = _close_dq(raw, i + 1)
            flush()
            inner = _pieces(sh, raw[i + 1:j], quoted=True)
            out.extend(inner if inner else [("", True, False)])
            i = j + 1
        elif c == "`":
            j = i + 1
            body = ""
            while raw[j] != "`":
                if raw[j] == "\\" and raw[j + 1:j + 2] in "$`\\":
                    body += raw[j + 1]
                    j += 2
                else:
                    body += raw[j]
                    j += 1
            flush()
            out.append((sh.command_subst(body), quoted, True))
            i = j + 1
        elif c == "$":
            flush()
            i = _dollar(sh, raw, i, quoted, out)
        else:
            lit += c
            i += 1
    flush()
    return out


def _close_dq(raw: str, i: int) -> int:
    """Index of the closing double quote of a part that starts at i."""
    while raw[i] != '"':
        if raw[i] == "\\":
            i += 2
        elif raw.startswith("$(", i) or raw.startswith("${", i):
            i = _matching(raw, i + 1)
        elif raw[i] == "`":
            i = raw.index("`", i + 1) + 1
        else:
            i += 1
    return i


def _matching(raw: str, i: int) -> int:
    """Index just after the bracket that closes the one at i."""
    opener = raw[i]
    close = ")" if opener == "(" else "}"
    depth = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and close == ")":
            i = raw.index("'", i + 1) + 1
            continue
        if c == '"':
            i = _close_dq(raw, i + 1) + 1
            continue
        if c == opener:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


_SPECIAL = "?$#@*!-0123456789"


def _dollar(sh, raw: str, i: int, quoted: bool, out: list) -> int:
    """Expand the $… at i into out; the index after it."""
    if raw.startswith("$((", i):
        j = _matching(raw, i + 1)
        expr = expand_one(sh, _dq_escape(raw[i + 3:j - 2]))
        out.append((str(arith(sh, expr)), quoted, True))
        return j
    if raw.startswith("$(", i):
        j = _matching(raw, i + 1)
        out.append((sh.command_subst(raw[i + 2:j - 1]), quoted, True))
        return j
    if raw.startswith("${", i):
        j = _matching(raw, i + 1)
        _braced(sh, raw[i + 2:j - 1], quoted, out)
        return j
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", raw[i + 1:])
    if m:
        name = m.group()
    elif i + 1 < len(raw) and raw[i + 1] in _SPECIAL:
        name = raw[i + 1]
    else:
        out.append(("$", quoted, False))
        return i + 1
    _param(sh, name, quoted, out)
    return i + 1 + len(name)


def _dq_escape(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _param(sh, name: str, quoted: bool, out: list) -> None:
    """$name into out ("$@" gives one field per positional parameter)."""
    if name in ("@", "*"):
        args = sh.args
        if quoted and name == "@":
            for k, a in enumerate(args):
                if k:
                    out.append(BREAK)
                out.append((a, True, False))
            return
        sep = " " if name == "@" or not quoted else ((sh.getvar("IFS") or " ")[:1] if sh.getvar("IFS") != "" else "")
        out.append((sep.join(args), quoted, True))
        return
    out.append((_value(sh, name) or "", quoted, True))


def _value(sh, name: str, strict: bool = True) -> str | None:
    if name.isdigit() and name != "0":
        k = int(name)
        value = sh.args[k - 1] if k <= len(sh.args) else None
    else:
        value = sh.special(name) if name in _SPECIAL else sh.getvar(name)
    if value is None and strict and "u" in sh.opts and name not in ("@", "*", "!"):
        raise ExpandError(f"{name}: parameter not set")
    return value


def _braced(sh, body: str, quoted: bool, out: list) -> None:
    """${…}: ${X}, ${#X}, ${X:-w}, ${X-w}, ${X:=w}, ${X:?w}, ${X:+w}, ${X%p}, ${X%%p}, ${X#p}, ${X##p}."""
    if body.startswith("#") and len(body) > 1:
        value = _value(sh, body[1:])
        if body[1:] in ("@", "*"):
            value = str(len(sh.args))
        out.append((str(len(value or "")) if body[1:] not in ("@", "*") else value, quoted, True))
        return
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*!0-])(.*)", body, re.S)
    if not m:
        raise ExpandError(f"${{{body}}}: Bad substitution")
    name, rest = m.groups()
    if rest == "":
        if name in ("@", "*"):
            _param(sh, name, quoted, out)
        else:
            out.append((_value(sh, name) or "", quoted, True))
        return
    value = _value(sh, name, strict=False)
    op = re.match(r":?[-=?+]|%%|%|##|#", rest)
    if not op:
        raise ExpandError(f"${{{body}}}: Bad substitution")
    op, word = op.group(), rest[len(op.group()):]
    if op in ("%", "%%", "#", "##"):
        pattern = expand_one(sh, word)
        out.append((_trim(value or "", pattern, op), quoted, True))
        return
    unset = value is None or (op.startswith(":") and value == "")
    kind = op[-1]
    if kind == "-":
        if unset:
            out.extend(_pieces(sh, word, quoted))
        else:
            out.append((value, quoted, True))
    elif kind == "+":
        if not unset:
            out.extend(_pieces(sh, word, quoted))
    elif kind == "=":
        if unset:
            value = expand_one(sh, word)
            sh.setvar(name, value)
        out.append((value, quoted, True))
    else:  # ?
        if unset:
            msg = expand_one(sh, word) or ("parameter not set or null" if op.startswith(":") else "parameter not set")
            raise ExpandError(f"{name}: {msg}")
        out.append((value, quoted, True))


def pattern_rx(pattern: str) -> str:
    """A shell pattern (*, ?, [...], backslash) as a Python regular expression."""
    rx, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            rx += re.escape(pattern[i + 1])
            i += 2
            continue
        if c == "*":
            rx += ".*"
        elif c == "?":
            rx += "."
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                rx += "\\["
            else:
                cls = pattern[i + 1:j]
                if cls.startswith("!"):
                    cls = "^" + cls[1:]
                rx += "[" + cls.replace("\\", "\\\\") + "]"
                i = j
        else:
            rx += re.escape(c)
        i += 1
    return rx


def _trim(value: str, pattern: str, op: str) -> str:
    rx = re.compile(pattern_rx(pattern), re.S)
    cuts = range(len(value) + 1)
    if op in ("#", "##"):
        for k in (reversed(cuts) if op == "##" else cuts):
            if rx.fullmatch(value[:k]):
                return value[k:]
    else:
        for k in (cuts if op == "%%" else reversed(cuts)):
            if rx.fullmatch(value[k:]):
                return value[:k]
    return value
