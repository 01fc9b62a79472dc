"""Go text/template's parser for the docker CLI's templates: pipelines, commands, operands, variables and the
`if`/`else if`/`with`/`range` blocks, with Go's parse errors (`function "foo" not defined`, `unexpected EOF`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labkit.contract.golex import ParseError, Tok, lex
from labkit.contract.govalues import Unsupported


@dataclass
class Node:
    kind: str  # field var dot ident str num bool nil pipe chain
    pos: int
    text: str
    value: object = None
    fields: list[str] = field(default_factory=list)
    pipe: Pipe | None = None


@dataclass
class Cmd:
    args: list[Node]
    pos: int

    def __str__(self) -> str:
        return " ".join(a.text for a in self.args)


@dataclass
class Pipe:
    cmds: list[Cmd]
    decl: list[str] = field(default_factory=list)
    assign: bool = False
    pos: int = 0


@dataclass
class Block:
    kind: str  # action, text, if, with, range
    pos: int = 0
    text: str = ""
    pipe: Pipe | None = None
    body: list[Block] = field(default_factory=list)
    other: list[Block] = field(default_factory=list)


_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}


class Parser:
    """Reads a Go template's tokens into its tree of nodes (text, actions, if/range/with blocks)."""

    def __init__(self, src: str, funcs: dict) -> None:
        self.src = src
        self.toks = [t for t in lex(src) if t.kind != "comment"]
        self.i = 0
        self.funcs = funcs
        self.vars: list[list[str]] = [["$"]]

    def err(self, tok: Tok, msg: str) -> ParseError:
        return ParseError(f"template: :{tok.line}: {msg}")

    def peek(self) -> Tok:
        t = self.toks[min(self.i, len(self.toks) - 1)]
        if t.kind == "error":
            raise ParseError(t.val)
        return t

    def next(self) -> Tok:
        t = self.peek()
        self.i += 1
        return t

    def parse(self) -> list[Block]:
        body, stop = self.list_until()
        if stop is not None:
            raise self.err(stop, f"unexpected {{{{{stop.val}}}}}")
        return body

    def list_until(self) -> tuple[list[Block], Tok | None]:
        out: list[Block] = []
        while True:
            t = self.next()
            if t.kind == "eof":
                return out, None
            if t.kind == "text":
                out.append(Block("text", t.pos, t.val))
                continue
            if t.kind != "start":
                raise self.err(t, f"unexpected {self.describe(t)}")
            if self.peek().kind == "end":  # an action holding only a comment
                self.next()
                continue
            w = self.peek()
            if w.kind == "ident" and w.val in ("end", "else"):
                self.next()
                return out, w
            if w.kind == "ident" and w.val in ("if", "with", "range"):
                self.next()
                out.append(self.control(w))
                continue
            if w.kind == "ident" and w.val in _KEYWORDS:
                raise Unsupported(f"labkit: Go templates' {{{{{w.val}}}}} is not part of labkit's --format subset")
            pipe = self.pipeline("command", decl_ok=True)
            out.append(Block("action", t.pos, pipe=pipe))

    def control(self, kw: Tok) -> Block:
        self.vars.append(list(self.vars[-1]))
        pipe = self.pipeline(kw.val, decl_ok=True, range_=kw.val == "range")
        body, stop = self.list_until()
        if stop is None:
            raise self.err(self.peek(), "unexpected EOF")
        other: list[Block] = []
        if stop.val == "else":
            nxt = self.peek()
            if nxt.kind == "ident" and nxt.val in ("if", "with") and kw.val in ("if", "with"):
                self.next()
                other = [self.control(nxt)]  # `else if` closes with the outer {{end}}
                self.vars.pop()
                return Block(kw.val, kw.pos, pipe=pipe, body=body, other=other)
            self.close_action()
            other, stop = self.list_until()
            if stop is None:
                raise self.err(self.peek(), "unexpected EOF")
            if stop.val != "end":
                raise self.err(stop, "expected end; found {{else}}")
        self.close_action()
        self.vars.pop()
        return Block(kw.val, kw.pos, pipe=pipe, body=body, other=other)

    def close_action(self) -> None:
        t = self.next()
        if t.kind != "end":
            raise self.err(t, f"unexpected {self.describe(t)} in end")

    def describe(self, t: Tok) -> str:
        return "EOF" if t.kind == "eof" else f'"{t.val}"' if t.kind != "end" else "}}"

    def pipeline(self, context: str, decl_ok: bool, range_: bool = False) -> Pipe:
        pipe = Pipe([], pos=self.peek().pos)
        if decl_ok and self.peek().kind == "var":
            save = self.i
            names = [self.next().val]
            if range_ and self.peek().kind == "comma":
                self.next()
                if self.peek().kind == "var":
                    names.append(self.next().val)
            if self.peek().kind in ("decl", "assign"):
                pipe.assign = self.next().kind == "assign"
                pipe.decl = names
                if not pipe.assign:
                    self.vars[-1].extend(names)
            else:
                self.i = save
        while True:
            t = self.peek()
            if t.kind in ("end", "rparen"):
                if t.kind == "rparen" and context != "paren":
                    raise self.err(t, 'unexpected ")" in command')
                self.next()
                if not pipe.cmds:
                    raise self.err(t, f"missing value for {context}")
                return pipe
            if t.kind == "eof":
                raise self.err(t, "unclosed action")
            pipe.cmds.append(self.command())
            if self.peek().kind == "pipe":
                self.next()
                if self.peek().kind in ("end", "rparen"):
                    raise self.err(self.peek(), "missing command after |")  # Go's wording differs; rare

    def command(self) -> Cmd:
        cmd = Cmd([], self.peek().pos)
        while True:
            t = self.peek()
            if t.kind in ("end", "rparen", "pipe", "eof"):
                break
            if t.kind in ("decl", "assign", "comma"):
                raise self.err(t, f'unexpected "{t.val}" in operand')
            cmd.args.append(self.operand())
        if not cmd.args:
            raise self.err(self.peek(), "missing value for command")
        return cmd

    def operand(self) -> Node:
        t = self.next()
        if t.kind == "field":
            names = [t.val[1:]]
            pos = t.pos
            while self.peek().kind == "field" and self.peek().pos == self.toks[self.i - 1].pos + len(self.toks[self.i - 1].val):
                if len(names) == 1:
                    pos = self.peek().pos
                names.append(self.next().val[1:])
            return Node("field", pos, "." + ".".join(names), fields=names)
        if t.kind == "var":
            if t.val not in self.vars[-1]:
                raise self.err(t, f'undefined variable "{t.val}"')
            node = Node("var", t.pos, t.val, value=t.val)
        elif t.kind == "dot":
            node = Node("dot", t.pos, ".")
        elif t.kind == "ident":
            if t.val in ("true", "false"):
                return Node("bool", t.pos, t.val, value=t.val == "true")
            if t.val == "nil":
                return Node("nil", t.pos, "nil")
            if t.val in _KEYWORDS:
                raise self.err(t, f"unexpected <{t.val}> in command")
            if t.val not in self.funcs:
                raise self.err(t, f'function "{t.val}" not defined')
            return Node("ident", t.pos, t.val, value=t.val)
        elif t.kind == "str":
            return Node("str", t.pos, t.val, value=_unquote(t.val))
        elif t.kind == "char":
            return Node("num", t.pos, t.val, value=ord(_unquote('"' + t.val[1:-1] + '"')))
        elif t.kind == "num":
            return Node("num", t.pos, t.val, value=_number(t.val, self.err(t, f"bad number syntax: \"{t.val}\"")))
        elif t.kind == "lparen":
            inner = self.pipeline("paren", decl_ok=True)
            node = Node("pipe", t.pos, "(" + " | ".join(str(c) for c in inner.cmds) + ")", pipe=inner)
        else:
            raise self.err(t, f'unexpected "{t.val}" in command' if t.kind != "eof" else "unclosed action")
        chain = []
        while self.peek().kind == "field" and self.peek().pos == self.toks[self.i - 1].pos + len(self.toks[self.i - 1].val):
            chain.append(self.next().val[1:])
        if chain:
            pos = self.toks[self.i - len(chain)].pos
            node = Node("chain", pos, node.text + "." + ".".join(chain), value=node, fields=chain)
        return node


def _unquote(tok: str) -> str:
    if tok.startswith("`"):
        return tok[1:-1]
    body = tok[1:-1]
    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", _escape, body)


def _escape(m: re.Match) -> str:
    s = m.group(1)
    if s[0] in "xu":
        return chr(int(s[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
            "v": "\v", "0": "\0"}.get(s, s)


def _number(text: str, err: Exception) -> int | float:
    t = text.replace("_", "")
    try:
        if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+|[+-]?0[bB][01]+|[+-]?0[oO][0-7]+", t):
            return int(t, 0)
        if re.fullmatch(r"[+-]?\d+", t):
            return int(t, 8) if len(t.lstrip("+-")) > 1 and t.lstrip("+-")[0] == "0" else int(t)
        return float(t)
    except ValueError:
        raise err from None
