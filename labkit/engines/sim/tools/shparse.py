"""The shell's parser: POSIX sh grammar into a small tree, with dash's syntax-error wording.

Words stay raw source text (quotes and `$…` included): the executor expands them when a command
runs (shexpand.py), as sh does. The parser reads one complete command (a line of the script, or more
while a compound command is open) at a time (`Parser.next_command`), because dash runs each line before
it reads the next: `echo a` on line 1 runs even when line 2 has a syntax error.

Nodes are plain classes: Simple, Pipeline, AndOr, Seq (a list, with `&` marks), Group `{ }`, Sub `( )`,
If, For, Loop (while/until), Case and Func. Here-documents (`<<`, `<<-`) are read by the lexer
after the newline that ends their line.
"""

from __future__ import annotations

from labkit.engines.sim.tools.shast import (
    AndOr,
    Case,
    For,
    Func,
    Group,
    If,
    Loop,
    Pipeline,
    Redir,
    Seq,
    Simple,
    Sub,
    SyntaxErr,
    Tok,
)

KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "{", "}",
            "!", "in"}
_OPS = ("&&", "||", ";;", "<<-", ">>", "<&", ">&", "<>", ">|", "<<", ";", "&", "|", "(", ")", "<", ">", "\n")
_META = set(" \t\n;&|()<>")


class Lexer:
    """Tokens of a script: words (raw text), operators, newlines; # comments skipped."""

    def __init__(self, src: str, line: int = 1):
        self.src, self.i, self.line = src, 0, line
        self.pending: list[Redir] = []  # here-documents whose text starts after the next newline

    def next(self) -> Tok:
        """The next token."""
        s = self.src
        while self.i < len(s):
            c = s[self.i]
            if c in " \t":
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
                self.line += 1
            elif c == "#":
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            else:
                break
        if self.i >= len(s):
            return Tok("eof", "", self.line)
        for op in _OPS:
            if s.startswith(op, self.i):
                tok = Tok("op", op, self.line)
                self.i += len(op)
                if op == "\n":
                    self.line += 1
                    self._heredocs()
                return tok
        start_line = self.line
        word = self._word()
        if word.isdigit() and self.i < len(s) and s[self.i] in "<>":
            for op in _OPS:
                if s.startswith(op, self.i) and op[0] in "<>":
                    self.i += len(op)
                    return Tok("op", op, start_line, io=int(word))
        return Tok("word", word, start_line)

    def _heredocs(self) -> None:
        """Read the text of each pending here-document, up to its delimiter line."""
        for r in self.pending:
            delim = r.target
            r.expand = not any(c in delim for c in "'\"\\")
            delim = delim.replace("'", "").replace('"', "").replace("\\", "")
            lines = []
            while True:
                if self.i >= len(self.src):
                    break
                j = self.src.find("\n", self.i)
                j = len(self.src) if j < 0 else j
                line = self.src[self.i:j]
                self.i = min(j + 1, len(self.src))
                self.line += 1
                if r.op == "<<-":
                    line = line.lstrip("\t")
                if line == delim:
                    break
                lines.append(line + "\n")
            r.body = "".join(lines)
        self.pending = []

    def _word(self) -> str:
        s, start = self.src, self.i
        while self.i < len(s) and s[self.i] not in _META:
            self._unit()
        return s[start:self.i]

    def _unit(self) -> None:
        """Skip one quoted part, escape, substitution or plain character."""
        s = self.src
        c = s[self.i]
        if c == "\\":
            if s.startswith("\n", self.i + 1):
                self.line += 1
            self.i += 2
        elif c == "'":
            j = s.find("'", self.i + 1)
            if j < 0:
                raise SyntaxErr("Unterminated quoted string", self.line)
            self.line += s.count("\n", self.i, j)
            self.i = j + 1
        elif c == '"':
            self.i += 1
            while True:
                if self.i >= len(s):
                    raise SyntaxErr("Unterminated quoted string", self.line)
                if s[self.i] == '"':
                    self.i += 1
                    return
                if s[self.i] == "\\":
                    self.i += 2
                elif s[self.i] in "$`":
                    self._unit()
                else:
                    if s[self.i] == "\n":
                        self.line += 1
                    self.i += 1
        elif c == "`":
            j = self.i + 1
            while j < len(s) and s[j] != "`":
                j += 2 if s[j] == "\\" else 1
            if j >= len(s):
                raise SyntaxErr('EOF in backquote substitution', self.line)
            self.i = j + 1
        elif c == "$" and s.startswith("$(", self.i):
            self.i += 2
            self._until(")")
        elif c == "$" and s.startswith("${", self.i):
            self.i += 2
            self._until("}")
        else:
            self.i += 1

    def _until(self, close: str) -> None:
        """Skip to the matching close bracket (quotes and nesting respected)."""
        s, depth = self.src, 1
        opener = "(" if close == ")" else "{"
        while True:
            if self.i >= len(s):
                if close == "}":
                    raise SyntaxErr("Missing '}'", self.line)
                raise SyntaxErr(f'end of file unexpected (expecting "{close}")', self.line)
            c = s[self.i]
            if c == close:
                depth -= 1
                self.i += 1
                if depth == 0:
                    return
            elif c == opener:
                depth += 1
                self.i += 1
            elif c in "'\"\\`$":
                self._unit()
            else:
                if c == "\n":
                    self.line += 1
                self.i += 1


def _name_ok(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text)


class Parser:
    """Recursive descent over the Lexer's tokens."""

    def __init__(self, src: str, line: int = 1):
        self.lx = Lexer(src, line)
        self.tok = self.lx.next()

    # -- token helpers -----------------------------------------------------------------
    def _adv(self) -> Tok:
        t = self.tok
        self.tok = self.lx.next()
        return t

    def _is(self, text: str) -> bool:
        return self.tok.kind != "eof" and self.tok.text == text

    def _newlines(self) -> None:
        while self.tok.kind == "op" and self.tok.text == "\n":
            self._adv()

    def _unexpected(self, expecting: str | None = None) -> SyntaxErr:
        t = self.tok
        what = ("end of file" if t.kind == "eof" else "newline" if t.text == "\n" else
                "word" if t.kind == "word" and t.text not in KEYWORDS else f'"{t.text}"')
        return SyntaxErr(f"{what} unexpected" + (f' (expecting "{expecting}")' if expecting else ""), t.line)

    def _expect(self, word: str) -> None:
        if not self._is(word):
            raise self._unexpected(word)
        self._adv()

    # -- grammar -------------------------------------------------------------------------
    def next_command(self) -> Seq | None:
        """The next complete command of the script (one line's list), or None at its end."""
        self._newlines()
        if self.tok.kind == "eof":
            return None
        seq = self._list(top=True)
        if self.tok.kind != "eof" and self.tok.text != "\n":
            raise self._unexpected()
        return seq

    def parse_all(self) -> Seq:
        """The whole source as one list (for $(…) and function bodies)."""
        seq = Seq()
        while (part := self.next_command()) is not None:
            seq.items.extend(part.items)
        return seq

    def _list(self, top: bool = False, stop: tuple = (), expect: str | None = None) -> Seq:
        seq = Seq()
        while True:
            if not top:
                self._newlines()
            if self.tok.kind == "eof" or (self.tok.kind == "word" and self.tok.text in stop) or \
                    (self.tok.kind == "op" and self.tok.text in (")", ";;")):
                if not seq.items:
                    raise self._unexpected(expect if self.tok.kind == "eof" else None)
                return seq
            seq.items.append([self._and_or(), False])
            if self._is("&"):
                seq.items[-1][1] = True
                self._adv()
            elif self._is(";"):
                self._adv()
            elif self._is("\n") and not top:
                continue
            else:
                return seq
            if top and (self.tok.kind == "eof" or self._is("\n")):
                return seq

    def _and_or(self) -> AndOr:
        node = AndOr(self._pipeline())
        while self.tok.kind == "op" and self.tok.text in ("&&", "||"):
            op = self._adv().text
            self._newlines()
            node.rest.append((op, self._pipeline()))
        return node

    def _pipeline(self) -> Pipeline:
        negate = False
        if self.tok.kind == "word" and self.tok.text == "!":
            self._adv()
            negate = True
        pipe = Pipeline([self._command()], negate)
        while self._is("|"):
            self._adv()
            self._newlines()
            pipe.cmds.append(self._command())
        return pipe

    def _command(self) -> object:
        t = self.tok
        if t.kind == "op" and t.text == "(":
            self._adv()
            body = self._list(stop=(), expect=")")
            self._expect_op(")")
            return Sub(body, self._redirs())
        if t.kind == "word":
            kw = {"{": self._group, "if": self._if, "for": self._for, "while": self._loop, "until": self._loop,
                  "case": self._case}.get(t.text)
            if kw:
                node = kw()
                node.redirs = self._redirs()
                return node
            if t.text in KEYWORDS and t.text != "!":
                raise self._unexpected()
        return self._simple()

    def _expect_op(self, op: str) -> None:
        if not (self.tok.kind == "op" and self.tok.text == op):
            raise self._unexpected(op)
        self._adv()

    def _redirs(self) -> list[Redir]:
        out = []
        while self.tok.kind == "op" and self.tok.text[0] in "<>":
            out.append(self._redir())
        return out

    def _redir(self) -> Redir:
        t = self._adv()
        if self.tok.kind != "word":
            raise self._unexpected()
        fd = t.io if t.io is not None else (0 if t.text[0] == "<" else 1)
        redir = Redir(fd, t.text, self.tok.text)
        if t.text in ("<<", "<<-"):
            self.lx.pending.append(redir)
        self._adv()
        return redir

    def _simple(self) -> object:
        node = Simple([], [], [], self.tok.line)
        while True:
            t = self.tok
            if t.kind == "op" and t.text[0] in "<>":
                node.redirs.append(self._redir())
            elif t.kind == "word":
                eq = t.text.find("=")
                if not node.words and eq > 0 and _name_ok(t.text[:eq]):
                    node.assigns.append(self._adv().text)
                else:
                    node.words.append(self._adv().text)
                    if len(node.words) == 1 and not node.assigns and self._is("("):
                        return self._func(node.words[0])
            else:
                break
        if not (node.words or node.assigns or node.redirs):
            raise self._unexpected()
        return node

    def _func(self, name: str) -> Func:
        self._adv()
        self._expect_op(")")
        self._newlines()
        return Func(name, self._command())

    def _group(self) -> Group:
        self._adv()
        body = self._list(stop=("}",), expect="}")
        self._expect("}")
        return Group(body)

    def _if(self) -> If:
        self._adv()
        arms, orelse = [], None
        while True:
            cond = self._list(stop=("then",), expect="then")
            self._expect("then")
            body = self._list(stop=("elif", "else", "fi"), expect="fi")
            arms.append((cond, body))
            if self._is("elif"):
                self._adv()
                continue
            if self._is("else"):
                self._adv()
                orelse = self._list(stop=("fi",), expect="fi")
            self._expect("fi")
            return If(arms, orelse)

    def _do_body(self) -> Seq:
        self._newlines()
        self._expect("do")
        body = self._list(stop=("done",), expect="done")
        self._expect("done")
        return body

    def _for(self) -> For:
        self._adv()
        if self.tok.kind != "word" or not _name_ok(self.tok.text):
            raise SyntaxErr("Bad for loop variable", self.tok.line)
        var = self._adv().text
        words = None
        self._newlines()
        if self._is("in"):
            self._adv()
            words = []
            while self.tok.kind == "word":
                words.append(self._adv().text)
            if not (self._is(";") or self._is("\n")):
                raise self._unexpected("do")
            self._adv()
        elif self._is(";"):
            self._adv()
        return For(var, words, self._do_body())

    def _loop(self) -> Loop:
        until = self._adv().text == "until"
        cond = self._list(stop=("do",), expect="do")
        return Loop(cond, self._do_body(), until)

    def _case(self) -> Case:
        self._adv()
        if self.tok.kind != "word":
            raise self._unexpected()
        word = self._adv().text
        self._newlines()
        self._expect("in")
        arms = []
        while True:
            self._newlines()
            if self._is("esac"):
                self._adv()
                return Case(word, arms)
            if self._is("("):
                self._adv()
            pats = []
            while True:
                if self.tok.kind != "word":
                    raise self._unexpected()
                pats.append(self._adv().text)
                if self._is("|"):
                    self._adv()
                    continue
                self._expect_op(")")
                break
            self._newlines()
            body = Seq() if self._is(";;") or self._is("esac") else self._list(stop=("esac",), expect="esac")
            arms.append((pats, body))
            if self._is(";;"):
                self._adv()
            elif not self._is("esac"):
                raise self._unexpected()
