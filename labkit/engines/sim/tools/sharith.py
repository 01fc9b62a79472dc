"""$((…)): shell arithmetic (C integer rules: division truncates toward zero), with dash's error wording.

Numbers (decimal, 0x hex, 0 octal), variables by name, unary + - ! ~, * / %, + -, << >>, comparisons,
== !=, & ^ |, && ||, ?:, and assignments (= += -= *= /= %=).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||"
                    r"[-+*/%]=|[-+*/%()<>!~&^|?:=])")
_BINARY = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="), ("<<", ">>"),
           ("+", "-"), ("*", "/", "%")]


class ArithError(Exception):
    """An arithmetic error, worded as dash words it (after `sh: N: `)."""


def arith(sh, expr: str) -> int:
    """The value of an arithmetic expression; sh gives and takes variables."""
    toks, pos = [], 0
    text = expr.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or not m.group(1):
            raise ArithError(f'arithmetic expression: expecting primary: "{expr}"')
        toks.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not toks:
        return 0
    p = _P(sh, toks, expr)
    value = p.assign()
    if p.i < len(toks):
        raise ArithError(f'arithmetic expression: expecting EOF: "{expr}"')
    return value


class _P:
    def __init__(self, sh, toks: list[str], expr: str):
        self.sh, self.toks, self.i, self.expr = sh, toks, 0, expr

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        t = self.peek()
        if t is None:
            raise ArithError(f'arithmetic expression: expecting primary: "{self.expr}"')
        self.i += 1
        return t

    def assign(self) -> int:
        t = self.peek()
        nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        if t and re.fullmatch(r"[A-Za-z_]\w*", t) and nxt in ("=", "+=", "-=", "*=", "/=", "%="):
            self.i += 2
            value = self.assign()
            if nxt != "=":
                value = _apply(nxt[0], self._var(t), value, self.expr)
            self.sh.setvar(t, str(value))
            return value
        return self.ternary()

    def ternary(self) -> int:
        cond = self.binary(0)
        if self.peek() == "?":
            self.take()
            a = self.assign()
            if self.take() != ":":
                raise ArithError(f'arithmetic expression: expecting ":": "{self.expr}"')
            b = self.assign()
            return a if cond else b
        return cond

    def binary(self, level: int) -> int:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in _BINARY[level]:
            op = self.take()
            right = self.binary(level + 1)
            left = _apply(op, left, right, self.expr)
        return left

    def unary(self) -> int:
        t = self.take()
        if t in ("-", "+", "!", "~"):
            v = self.unary()
            return {"-": -v, "+": v, "!": int(not v), "~": ~v}[t]
        if t == "(":
            v = self.assign()
            if self.take() != ")":
                raise ArithError(f'arithmetic expression: expecting ")": "{self.expr}"')
            return v
        if t[0].isdigit():
            return int(t, 16) if t[:2].lower() == "0x" else int(t, 8) if len(t) > 1 and t[0] == "0" else int(t)
        if re.fullmatch(r"[A-Za-z_]\w*", t):
            return self._var(t)
        raise ArithError(f'arithmetic expression: expecting primary: "{self.expr}"')

    def _var(self, name: str) -> int:
        value = (self.sh.getvar(name) or "").strip()
        if not value:
            return 0
        try:
            return int(value, 0) if not re.fullmatch(r"-?0\d+", value) else int(value, 8)
        except ValueError:
            raise ArithError(f"Illegal number: {value}") from None


def _apply(op: str, a: int, b: int, expr: str) -> int:
    if op in ("/", "%"):
        if b == 0:
            raise ArithError(f'arithmetic expression: division by zero: "{expr}"')
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    return {"||": lambda: int(bool(a or b)), "&&": lambda: int(bool(a and b)), "|": lambda: a | b,
            "^": lambda: a ^ b, "&": lambda: a & b, "==": lambda: int(a == b), "!=": lambda: int(a != b),
            "<": lambda: int(a < b), ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
            "<<": lambda: a << b, ">>": lambda: a >> b, "+": lambda: a + b, "-": lambda: a - b,
            "*": lambda: a * b}[op]()
