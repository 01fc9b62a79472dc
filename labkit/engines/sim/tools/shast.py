"""The shell's syntax tree: the nodes shparse.py builds and shexec.py runs, its tokens, and SyntaxErr."""

from __future__ import annotations

from dataclasses import dataclass, field


class SyntaxErr(Exception):
    """A syntax error: message as dash words it after `Syntax error: `, and the line it was on."""

    def __init__(self, msg: str, line: int):
        super().__init__(msg)
        self.msg, self.line = msg, line


@dataclass
class Redir:
    """`[fd]op target`: op is one of < > >> >& <& <> >|."""

    fd: int
    op: str
    target: str
    body: str | None = None  # a here-document's text (op << or <<-)
    expand: bool = True  # a here-document whose delimiter was not quoted


@dataclass
class Simple:
    """Assignments, words and redirections of one simple command, and its line number."""

    assigns: list[str]
    words: list[str]
    redirs: list[Redir]
    line: int


@dataclass
class Pipeline:
    cmds: list
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list = field(default_factory=list)  # [(op, Pipeline)]


@dataclass
class Seq:
    items: list = field(default_factory=list)  # [(AndOr, background)]


@dataclass
class Group:
    body: Seq
    redirs: list = field(default_factory=list)


@dataclass
class Sub:
    body: Seq
    redirs: list = field(default_factory=list)


@dataclass
class If:
    arms: list  # [(cond Seq, body Seq)]
    orelse: Seq | None
    redirs: list = field(default_factory=list)


@dataclass
class For:
    var: str
    words: list[str] | None
    body: Seq
    redirs: list = field(default_factory=list)


@dataclass
class Loop:
    cond: Seq
    body: Seq
    until: bool
    redirs: list = field(default_factory=list)


@dataclass
class Case:
    word: str
    arms: list  # [(patterns, Seq)]
    redirs: list = field(default_factory=list)


@dataclass
class Func:
    name: str
    body: object


@dataclass
class Tok:
    kind: str  # "word", "op", "eof"
    text: str
    line: int
    io: int | None = None  # the fd number before a redirection operator
