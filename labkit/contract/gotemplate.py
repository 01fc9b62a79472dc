"""A subset of Go's text/template, as the docker CLI runs `--format`/`-f` templates.

Parsing follows Go's lexer and parser (actions, `{{-`/`-}}` trimming, comments, pipelines, parenthesised
pipelines, variables, `if`/`else if`/`with`/`range`), and so do its error messages (`template: :1: unclosed
action`, `executing "" at <.Foo>: map has no entry for key "Foo"`). Values are the Engine API's JSON; how
they print and which functions exist (Go's builtins and Docker's `json`, `join`, `split`, …) is in
contract.gofuncs. What labkit leaves out (`define`/`template`/`block`, `break`/`continue`, printing whole Go
structs) raises Unsupported with one line in labkit's own words.
"""

from __future__ import annotations

from labkit.contract.gofuncs import (
    FUNCS,
    NOVALUE,
    RENAMED,
    SIGNATURES,
    Context,
    GoMap,
    Nil,
    RawMap,
    TypedFail,
    Unsupported,
    func_error,
    go_type,
    print_value,
    truth,
)
from labkit.contract.golex import ParseError
from labkit.contract.goparse import Block, Cmd, Node, Parser, Pipe

__all__ = ["parse", "Template", "ParseError", "ExecError", "Unsupported"]


class ExecError(Exception):
    """A template that failed while running: `template: :L:C: executing "" at <node>: message`."""


# -- execution ------------------------------------------------------------------------------------------
class Template:
    """A parsed template: execute(data) runs it on one value (a JSON document or a Context)."""

    def __init__(self, src: str, funcs: dict | None = None) -> None:
        self.src = src
        self.funcs = funcs or FUNCS
        self.tree = Parser(src, self.funcs).parse()

    def execute(self, data: object, raw: bool = False) -> str:
        """The template's output for data; ExecError or Unsupported when it cannot run.

        raw: data is the CLI's raw fallback (gofuncs.raw): a pipeline giving null gives <no value>."""
        self.raw = raw
        out: list[str] = []
        try:
            self._blocks(self.tree, data, [{"$": data}], out)
        except Unsupported as err:
            text = str(err)
            raise Unsupported(text if text.startswith("labkit:") else f"labkit: this template {text}") from None
        return "".join(out)

    def _where(self, pos: int, text: str) -> str:
        line = self.src.count("\n", 0, pos) + 1
        col = pos - (self.src.rfind("\n", 0, pos) + 1)
        return f'template: :{line}:{col}: executing "" at <{text}>: '

    def _blocks(self, blocks: list[Block], dot: object, scope: list[dict], out: list[str]) -> None:
        for b in blocks:
            if b.kind == "text":
                out.append(b.text)
            elif b.kind == "action":
                value = self._pipe(b.pipe, dot, scope)
                if not b.pipe.decl:
                    out.append(self._print(value, b.pipe))
            elif b.kind in ("if", "with"):
                inner = [dict(), *scope]
                value = self._pipe(b.pipe, dot, inner)
                if truth(value):
                    self._blocks(b.body, value if b.kind == "with" else dot, inner, out)
                else:
                    self._blocks(b.other, dot, inner, out)
            elif b.kind == "range":
                self._range(b, dot, scope, out)

    def _range(self, b: Block, dot: object, scope: list[dict], out: list[str]) -> None:
        inner = [dict(), *scope]
        pipe = Pipe(b.pipe.cmds, [], False, b.pipe.pos)
        value = self._pipe(pipe, dot, inner)
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list):
            items = list(enumerate(value))
        elif value is None or value is NOVALUE or isinstance(value, Nil):
            items = []
        else:
            cmd = b.pipe.cmds[-1]
            raise ExecError(self._where(cmd.pos, str(cmd)) + f"range can't iterate over {print_value(value)}")
        for key, elem in items:
            if len(b.pipe.decl) == 1:
                inner[0][b.pipe.decl[0]] = elem
            elif len(b.pipe.decl) == 2:
                inner[0][b.pipe.decl[0]] = key
                inner[0][b.pipe.decl[1]] = elem
            self._blocks(b.body, elem, inner, out)
        if not items:
            self._blocks(b.other, dot, inner, out)

    def _print(self, value: object, pipe: Pipe) -> str:
        try:
            return print_value(value)
        except Unsupported as err:
            text = " | ".join(str(c) for c in pipe.cmds)
            raise Unsupported(f"labkit: `{{{{{text}}}}}` {err}") from None

    def _pipe(self, pipe: Pipe, dot: object, scope: list[dict]) -> object:
        value: object = NOVALUE
        first = True
        for cmd in pipe.cmds:
            value = self._cmd(cmd, dot, scope, None if first else value)
            first = False
        if self.raw and value is None:  # Go digs into an interface{} and finds nothing
            value = NOVALUE
        for name in pipe.decl:
            if pipe.assign:
                for frame in scope:
                    if name in frame:
                        frame[name] = value
                        break
            else:
                scope[0][name] = value
        return value

    def _cmd(self, cmd: Cmd, dot: object, scope: list[dict], final: object) -> object:
        head, args = cmd.args[0], cmd.args[1:]
        has_final = final is not None
        if head.kind == "ident":
            sig = SIGNATURES.get(head.value)
            given = len(args) + has_final
            if sig is not None and given != len(sig):
                raise ExecError(self._where(head.pos, head.value)
                                + f"wrong number of args for {head.value}: want {len(sig)} got {given}")
            values = []
            for k, a in enumerate(args):
                if sig and a.kind in ("str", "num", "bool", "nil") and not _fits(sig[k], a.value):
                    want = "integer" if sig[k] == "int" else sig[k]
                    raise ExecError(self._where(a.pos, a.text) + f"expected {want}; found {a.text}")
                values.append(self._arg(a, dot, scope))
            if has_final:
                values.append(final)
            for k, v in enumerate(values):
                if sig and not _fits(sig[k], v):
                    node = args[k] if k < len(args) else cmd
                    raise ExecError(self._where(node.pos, getattr(node, "text", str(node)))
                                    + f"wrong type for value; expected {sig[k]}; got {go_type(v)}")
            try:
                return self.funcs[head.value](*values)
            except (ExecError, Unsupported):
                raise
            except Exception as err:  # a function's own error, in Go's words
                raise ExecError(self._where(head.pos, str(cmd)) + func_error(head.value, err, len(values))) from None
        if head.kind == "field":
            extra = [self._arg(a, dot, scope) for a in args] + ([final] if has_final else [])
            return self._fields(dot, head.fields, head, extra)
        if args or has_final:
            if head.kind in ("str", "num", "bool", "nil", "dot", "var", "pipe", "chain"):
                raise ExecError(self._where(head.pos, head.text) + f"can't give argument to non-function {head.text}")
        if head.kind == "nil":
            raise ExecError(self._where(head.pos, "nil") + "nil is not a command")
        return self._arg(head, dot, scope)

    def _arg(self, node: Node, dot: object, scope: list[dict]) -> object:
        if node.kind in ("str", "num", "bool"):
            return node.value
        if node.kind == "nil":
            return None
        if node.kind == "dot":
            return dot
        if node.kind == "var":
            for frame in scope:
                if node.value in frame:
                    return frame[node.value]
            return NOVALUE
        if node.kind == "field":
            return self._fields(dot, node.fields, node, [])
        if node.kind == "pipe":
            return self._pipe(node.pipe, dot, [dict(), *scope])
        if node.kind == "ident":
            return self._cmd(Cmd([node], node.pos), dot, scope, None)
        if node.kind == "chain":
            base = self._arg(node.value, dot, scope)
            return self._fields(base, node.fields, node, [])
        raise Unsupported(f"labkit: `{node.text}` is not part of labkit's --format subset")

    def _fields(self, value: object, names: list[str], node: Node, args: list) -> object:
        for k, name in enumerate(names):
            last = k == len(names) - 1
            if isinstance(value, Context):
                try:
                    value = value.field(name, args if last else [])
                except KeyError:
                    raise ExecError(self._where(node.pos, node.text)
                                    + f"can't evaluate field {name} in type {value.type_name}") from None
                continue
            if args and last:
                raise ExecError(self._where(node.pos, node.text) + f"{name} is not a method but has arguments")
            if isinstance(value, GoMap) or (isinstance(value, Nil) and value.kind == "map"):
                value = value.get(name, NOVALUE) if isinstance(value, GoMap) else NOVALUE
            elif isinstance(value, dict):
                if name in RENAMED and not isinstance(value, RawMap):
                    raise TypedFail(name)
                if name not in value:
                    raise ExecError(self._where(node.pos, node.text) + f'map has no entry for key "{name}"')
                value = value[name]
            elif value is None or isinstance(value, Nil):
                raise ExecError(self._where(node.pos, node.text) + f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise ExecError(self._where(node.pos, node.text) + f"can't evaluate field {name} in type interface {{}}")
        return value


def _fits(kind: str, value: object) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, (list, Nil)) and all(isinstance(x, str) for x in value or [])


def parse(src: str, funcs: dict | None = None) -> Template:
    """Parse a Go template as the docker CLI would; ParseError carries Go's message."""
    return Template(src, funcs)
