"""The functions of the docker CLI's templates: Go's builtins (`len`, `index`, `printf`, `eq`, …, with Go's fmt
verbs) and Docker's own (`json`, `join`, `split`, `title`, `lower`, `upper`, `pad`, `truncate`), with the
errors text/template gives when a call fails. Values and printing are in contract.govalues.
"""

from __future__ import annotations

import html as _html
import re
import urllib.parse
from collections.abc import Callable

from labkit.contract.govalues import (  # noqa: F401 - the names templates and formatters use, in one place
    NOVALUE,
    RENAMED,
    Context,
    GoMap,
    JsonNumber,
    Nil,
    RawMap,
    TypedFail,
    Unsupported,
    go_float,
    go_json,
    go_quote,
    go_type,
    print_value,
    raw,
    truth,
    typed,
)

# -- printf -----------------------------------------------------------------------------------------
_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])")


def sprintf(fmt: str, *args: object) -> str:
    """Go's fmt.Sprintf for the verbs templates use (%s %v %d %q %x %X %f %t %%), with flags and width."""
    out, used, pos = [], 0, 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[used]
        used += 1
        text = _verb(verb, arg, prec, flags)
        if width and width != "*":
            w = int(width)
            text = text.ljust(w) if "-" in flags else (text.rjust(w, "0") if "0" in flags and verb in "dfx"
                                                        else text.rjust(w))
        out.append(text)
    out.append(fmt[pos:])
    if used < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{go_type(a)}={print_value(a)}" for a in args[used:]) + ")")
    return "".join(out)


def _verb(verb: str, arg: object, prec: str | None, flags: str) -> str:
    bad = f"%!{verb}({go_type(arg)}={print_value(arg)})"
    if verb == "v":
        return print_value(arg)
    if verb == "s":
        if isinstance(arg, str):
            return arg[: int(prec)] if prec else arg
        return print_value(arg) if isinstance(arg, (list, dict)) else bad
    if verb == "q":
        return go_quote(arg) if isinstance(arg, str) else bad
    if verb == "t":
        return print_value(arg) if isinstance(arg, bool) else bad
    if verb in "dxXob":
        if isinstance(arg, int) and not isinstance(arg, bool):
            spec = {"d": "d", "x": "x", "X": "X", "o": "o", "b": "b"}[verb]
            return ("+" if "+" in flags and arg >= 0 else "") + format(arg, spec)
        if isinstance(arg, str) and verb in "xX":
            return arg.encode().hex() if verb == "x" else arg.encode().hex().upper()
        return bad
    if verb in "feEgG":
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            if isinstance(arg, int):
                return f"%!{verb}(int={arg})"
            return format(arg, f".{prec or 6}{verb}") if verb != "g" else go_float(arg)
        return bad
    raise Unsupported(f"labkit: printf's %{verb} verb is not part of labkit's --format subset")


# -- functions --------------------------------------------------------------------------------------
def _sprint(*args: object) -> str:
    out = []
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(print_value(a))
    return "".join(out)


def _index(item: object, *keys: object) -> object:
    for key in keys:
        if isinstance(item, dict):
            if not isinstance(key, str):
                raise TypeError(f"value has type {go_type(key)}; should be string")
            if key in item:
                item = item[key]
            else:
                item = "" if isinstance(item, GoMap) and all(isinstance(x, str) for x in item.values()) else None
        elif isinstance(item, (list, str)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise TypeError(f"cannot index slice/array with type {go_type(key)}")
            if not 0 <= key < len(item):
                raise IndexError(f"index out of range: {key}")
            item = item[key] if isinstance(item, list) else ord(item.encode()[key:key + 1])
        elif item is None or isinstance(item, Nil):
            raise TypeError("index of untyped nil")
        else:
            raise TypeError(f"can't index item of type {go_type(item)}")
    return item


def _len(item: object) -> int:
    if isinstance(item, str):
        return len(item.encode())
    if isinstance(item, (list, dict, Nil)):
        return len(item)
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return len(str(item))  # the CLI's raw fallback holds JSON numbers as strings
    raise TypeError(f"len of type {go_type(item)}" if item is not None else "len of nil pointer")


def _cmp(op: str) -> Callable[..., bool]:
    def compare(a: object, *bs: object) -> bool:
        for b in bs:
            if isinstance(a, JsonNumber) != isinstance(b, JsonNumber) and (
                    isinstance(a, (int, float)) or isinstance(b, (int, float))):
                raise TypeError("incompatible types for comparison")
            num = (int, float)
            if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
                pass
            elif type(a) is not type(b):
                if op in ("eq", "ne"):
                    return op == "ne"
                raise TypeError("incompatible types for comparison")
            r = {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
            if op == "eq" and r:
                return True
            if op != "eq":
                return r
        return False
    return compare


def _and(*args: object) -> object:
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args: object) -> object:
    for a in args:
        if truth(a):
            return a
    return args[-1]


def _title(s: str) -> str:
    out, prev = [], " "
    for ch in s:
        out.append(ch.upper() if not (prev.isalnum() or prev == "_") else ch)
        prev = ch
    return "".join(out)


def _strs(v: object) -> list[str]:
    if isinstance(v, Nil):
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TypeError(f"wrong type for value; expected []string; got {go_type(v)}")
    return v


def _str(v: object) -> str:
    if not isinstance(v, str):
        raise TypeError(f"wrong type for value; expected string; got {go_type(v)}")
    return v


def _slice(item: object, *idx: object) -> object:
    if not isinstance(item, (str, list)):
        raise TypeError(f"can't slice item of type {go_type(item)}")
    lo = idx[0] if idx else 0
    hi = idx[1] if len(idx) > 1 else len(item)
    if not (isinstance(lo, int) and isinstance(hi, int)) or not 0 <= lo <= hi <= len(item):
        raise IndexError(f"index out of range: {hi}")
    return item[lo:hi]


FUNCS: dict[str, Callable[..., object]] = {
    "and": _and, "or": _or, "not": lambda a: not truth(a), "len": _len, "index": _index, "slice": _slice,
    "print": _sprint, "printf": lambda f, *a: sprintf(_str(f), *a),
    "println": lambda *a: " ".join(print_value(x) for x in a) + "\n",
    "eq": _cmp("eq"), "ne": _cmp("ne"), "lt": _cmp("lt"), "le": _cmp("le"), "gt": _cmp("gt"), "ge": _cmp("ge"),
    "html": lambda *a: _html.escape(_sprint(*a), quote=True).replace("&#x27;", "&#39;"),
    "js": lambda *a: _sprint(*a).replace("\\", "\\\\").replace("'", "\\'").replace('"', "\\\"")
    .replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026").replace("=", "\\u003D"),
    "urlquery": lambda *a: urllib.parse.quote_plus(_sprint(*a)),
    "json": go_json,
    "split": lambda s, sep: _str(s).split(_str(sep)) if sep else list(_str(s)),
    "join": lambda items, sep: _str(sep).join(_strs(items)),
    "title": lambda s: _title(_str(s)),
    "lower": lambda s: _str(s).lower(),
    "upper": lambda s: _str(s).upper(),
    "pad": lambda s, before, after: " " * before + _str(s) + " " * after,
    "truncate": lambda s, n: _str(s)[:n] if len(_str(s)) > n else _str(s),
}

SIGNATURES = {"split": ("string", "string"), "join": ("[]string", "string"), "title": ("string",),
              "lower": ("string",), "upper": ("string",), "pad": ("string", "int", "int"),
              "truncate": ("string", "int")}  # Docker's functions have typed parameters
_ARITY = {"not": 1, "len": 1, "json": 1, "split": 2, "join": 2, "title": 1, "lower": 1, "upper": 1, "pad": 3,
          "truncate": 2}


def func_error(name: str, err: Exception, given: int) -> str:
    """A function call's failure as text/template words it."""
    if name in _ARITY and given != _ARITY[name]:
        return f"wrong number of args for {name}: want {_ARITY[name]} got {given}"
    if name in ("eq", "ne", "lt", "le", "gt", "ge", "and", "or", "printf") and given < (1 if name != "eq" else 2):
        want = "at least 1" if name in ("and", "or", "printf") else "2" if name != "eq" else "at least 1"
        return f"wrong number of args for {name}: want {want} got {given}"
    if isinstance(err, TypeError) and str(err).startswith("<lambda>()"):
        return f"wrong number of args for {name}: want {_ARITY.get(name, '?')} got {given}"
    return f"error calling {name}: {err}"
