"""dash's echo, printf and test/[ builtins (they differ from coreutils' programs of the same names).

dash's echo knows only `-n` and always reads backslash escapes (\\n, \\t, \\c, \\0NNN); `echo -e x`
prints `-e x`. printf reuses its format while arguments remain and says `expected numeric value`
for a number that is not one. test follows POSIX's rules by argument count, then -a/-o/!/( ).
"""

from __future__ import annotations

import re

from labkit.engines.sim.tools import files

_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


class _Stop(Exception):
    """\\c: no more output."""


def _escapes(text: str, octal_zero: bool) -> str:
    """Backslash escapes as dash's echo (\\0NNN) or printf %b/format (\\NNN) read them."""
    out, i = "", 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out += c
            i += 1
            continue
        n = text[i + 1]
        if n in _ESC:
            out += _ESC[n]
            i += 2
        elif n == "c":
            raise _Stop(out)
        elif n.isdigit() and (n == "0" or not octal_zero) and n in "01234567":
            j = i + 2 if octal_zero else i + 1
            digits = re.match(r"[0-7]{0,3}", text[j:]).group()
            out += chr(int(digits or "0", 8) & 255)
            i = j + len(digits)
        else:
            out += c
            i += 1
    return out


def escapes(text: str) -> tuple[str, bool]:
    """Text with echo's backslash escapes read, and whether \\c stopped it."""
    try:
        return _escapes(text, octal_zero=True), False
    except _Stop as s:
        return str(s), True


def echo(sh, argv: list[str], io) -> int:
    """echo [-n] ARGS (dash)."""
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    try:
        text = _escapes(" ".join(args), octal_zero=True) + ("\n" if newline else "")
    except _Stop as s:
        text = str(s)
    io.fds[1].write(text)
    return 0


def printf(sh, argv: list[str], io) -> int:
    """printf FORMAT [ARG…] (dash)."""
    if len(argv) < 2:
        sh.error("printf: usage: printf format [arg ...]", io)
        return 2
    fmt, args = argv[1], argv[2:]
    out: list[str] = []
    status = 0
    spec = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfgGcsb%])")
    try:
        while True:
            used = 0
            pos = 0
            for m in spec.finditer(fmt):
                out.append(_escapes(fmt[pos:m.start()], octal_zero=False))
                pos = m.end()
                flags, width, prec, conv = m.groups()
                if conv == "%":
                    out.append("%")
                    continue
                if width == "*":
                    width, used = (args[used] if used < len(args) else "0"), used + 1
                if prec == "*":
                    prec, used = (args[used] if used < len(args) else "0"), used + 1
                arg = args[used] if used < len(args) else None
                used += 1
                pyfmt = "%" + flags + (width or "") + (f".{prec}" if prec is not None else "")
                if conv in "sb":
                    value = arg or ""
                    if conv == "b":
                        value = _escapes(value, octal_zero=True)
                    out.append((pyfmt + "s") % value)
                elif conv == "c":
                    out.append((pyfmt + "s") % (arg or "")[:1])
                else:
                    num, ok = _num(arg, conv in "eEfgG")
                    if not ok:
                        sh.error(f"printf: {arg}: expected numeric value", io)
                        status = 1
                    out.append((pyfmt + ("d" if conv in "iu" else conv)) % num)
            out.append(_escapes(fmt[pos:], octal_zero=False))
            args = args[used:]
            if not args or used == 0:
                break
    except _Stop as s:
        out.append(str(s))
    io.fds[1].write("".join(out))
    return status


def _num(arg: str | None, real: bool) -> tuple[float | int, bool]:
    if arg is None or arg == "":
        return 0, True
    if arg[0] in "'\"" and len(arg) > 1:
        return ord(arg[1]), True
    try:
        return (float(arg) if real else int(arg, 0)), True
    except ValueError:
        m = re.match(r"[-+]?\d+", arg)
        return (int(m.group()) if m else 0), False


# -- test / [ ------------------------------------------------------------------------------
class _TestError(Exception):
    pass


def test(sh, argv: list[str], io) -> int:
    """test EXPR / [ EXPR ]: 0 true, 1 false, 2 with dash's message on an error."""
    name, args = argv[0], argv[1:]
    if name == "[":
        if not args or args[-1] != "]":
            sh.error("[: missing ]", io)
            return 2
        args = args[:-1]
    try:
        return 0 if _Test(sh, args).run() else 1
    except _TestError as e:
        sh.error(f"{name}: {e}", io)
        return 2


_UNARY = set("bcdefghkLnprsStuwxzOG")
_BINARY = {"=", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">", "-nt", "-ot", "-ef"}


class _Test:
    def __init__(self, sh, args: list[str]):
        self.sh, self.args, self.i = sh, args, 0

    def run(self) -> bool:
        a = self.args
        if not a:
            return False
        if len(a) == 1:
            return a[0] != ""
        if len(a) == 2 and a[0] == "!":
            return a[1] == ""
        if len(a) == 3 and a[1] in _BINARY:
            return self._binary(a[0], a[1], a[2])
        value = self._or()
        if self.i < len(a):
            if a[self.i] in _BINARY and self.i == len(a) - 1:
                raise _TestError(f"{a[self.i]}: argument expected")
            raise _TestError(f"{a[self.i]}: unexpected operator")
        return value

    def _or(self) -> bool:
        v = self._and()
        while self.i < len(self.args) and self.args[self.i] == "-o":
            self.i += 1
            v = self._and() or v
        return v

    def _and(self) -> bool:
        v = self._not()
        while self.i < len(self.args) and self.args[self.i] == "-a":
            self.i += 1
            v = self._not() and v
        return v

    def _not(self) -> bool:
        if self.i < len(self.args) and self.args[self.i] == "!":
            self.i += 1
            return not self._not()
        return self._primary()

    def _primary(self) -> bool:
        a = self.args
        if self.i >= len(a):
            raise _TestError("argument expected")
        t = a[self.i]
        if t == "(":
            self.i += 1
            v = self._or()
            if self.i >= len(a) or a[self.i] != ")":
                raise _TestError("closing paren expected")
            self.i += 1
            return v
        if self.i + 2 < len(a) + 0 and a[self.i + 1] in _BINARY:
            self.i += 3
            return self._binary(t, a[self.i - 2], a[self.i - 1])
        if len(t) == 2 and t[0] == "-" and t[1] in _UNARY and self.i + 1 < len(a):
            self.i += 2
            return self._unary(t[1], a[self.i - 1])
        self.i += 1
        return t != ""

    def _unary(self, op: str, arg: str) -> bool:
        if op == "z":
            return arg == ""
        if op == "n":
            return arg != ""
        if op == "t":
            return False
        k = files.kind(self.sh.file_ctx(), arg) if arg else None
        if op in "ef":
            return k is not None if op == "e" else k == "file"
        if op == "d":
            return k == "dir"
        if op == "s":
            text = files.read(self.sh.file_ctx(), arg) if k == "file" else None
            return k == "dir" or bool(text)
        if op in "rwx":
            return k is not None
        return False

    def _binary(self, a: str, op: str, b: str) -> bool:
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        if op in ("<", ">"):
            return a < b if op == "<" else a > b
        if op in ("-nt", "-ot", "-ef"):
            return False
        x, y = self._int(a), self._int(b)
        return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}[op]

    @staticmethod
    def _int(text: str) -> int:
        s = text.strip()
        if not re.fullmatch(r"[-+]?\d+", s):
            raise _TestError(f"Illegal number: {text}")
        return int(s)
