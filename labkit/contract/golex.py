"""Go text/template's lexer, as the docker CLI's templates are read: text, actions with `{{-`/`-}}` trimming,
comments, and the tokens inside an action. A lexing error is kept as a token, because Go's parser reports it
only when it reaches it (so `{{ {{` says `unexpected "{" in command`, as Go does)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from labkit.contract.govalues import go_quote


class ParseError(Exception):
    """A template Go would not parse: `template: :LINE: message`."""



@dataclass
class Tok:
    kind: str  # text, field, var, ident, str, num, char, pipe, lparen, rparen, decl, assign, comma, dot, end
    val: str
    pos: int
    line: int


_NUM = re.compile(r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lex(src: str) -> list[Tok]:
    """The tokens of a Go template (text, actions' words, comments), as text/template's lexer reads them."""
    toks: list[Tok] = []
    i, n = 0, len(src)
    while i < n:
        start = src.find("{{", i)
        if start < 0:
            toks.append(Tok("text", src[i:], i, src.count("\n", 0, i) + 1))
            break
        text = src[i:start]
        j = start + 2
        if src.startswith("- ", j) or src.startswith("-\t", j) or src.startswith("-\n", j):
            text = text.rstrip(" \t\r\n")
            j += 1
        if text:
            toks.append(Tok("text", text, i, src.count("\n", 0, i) + 1))
        toks.append(Tok("start", "{{", start, src.count("\n", 0, start) + 1))
        try:
            i, trimmed = _lex_action(src, j, toks)
        except ParseError as err:  # Go's parser meets a lexing error only when it reaches it
            toks.append(Tok("error", str(err), j, 0))
            return toks
        toks.append(Tok("end", "}}", i, src.count("\n", 0, i) + 1))
        if trimmed:
            while i < n and src[i] in " \t\r\n":
                i += 1
    toks.append(Tok("eof", "", n, src.count("\n") + 1))
    return toks


def _lex_action(src: str, i: int, toks: list[Tok]) -> tuple[int, bool]:
    n = len(src)
    line = lambda p: src.count("\n", 0, p) + 1  # noqa: E731
    while True:
        while i < n and src[i] in " \t\r\n":
            if src.startswith(" -}}", i) or src.startswith("\t-}}", i) or src.startswith("\n-}}", i):
                return i + 4, True
            i += 1
        if i >= n:
            raise ParseError(f"template: :{line(i)}: unclosed action")
        if src.startswith("}}", i):
            return i + 2, False
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise ParseError(f"template: :{line(i)}: unclosed comment")
            toks.append(Tok("comment", src[i:end + 2], i, line(i)))
            i = end + 2
            continue
        ch = src[i]
        if ch == "|":
            toks.append(Tok("pipe", ch, i, line(i)))
            i += 1
        elif ch == "(":
            toks.append(Tok("lparen", ch, i, line(i)))
            i += 1
        elif ch == ")":
            toks.append(Tok("rparen", ch, i, line(i)))
            i += 1
        elif ch == ",":
            toks.append(Tok("comma", ch, i, line(i)))
            i += 1
        elif src.startswith(":=", i):
            toks.append(Tok("decl", ":=", i, line(i)))
            i += 2
        elif ch == "=":
            toks.append(Tok("assign", "=", i, line(i)))
            i += 1
        elif ch == '"':
            j = i + 1
            while j < n and src[j] != '"':
                if src[j] == "\n":
                    raise ParseError(f"template: :{line(i)}: unterminated quoted string")
                j += 2 if src[j] == "\\" else 1
            if j >= n:
                raise ParseError(f"template: :{line(i)}: unterminated quoted string")
            toks.append(Tok("str", src[i:j + 1], i, line(i)))
            i = j + 1
        elif ch == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise ParseError(f"template: :{line(i)}: unterminated raw quoted string")
            toks.append(Tok("str", src[i:j + 1], i, line(i)))
            i = j + 1
        elif ch == "'":
            m = re.match(r"'(\\.|[^\\'])'", src[i:])
            if not m:
                raise ParseError(f"template: :{line(i)}: unterminated character constant")
            toks.append(Tok("char", m.group(0), i, line(i)))
            i += len(m.group(0))
        elif ch == "$":
            m = _WORD.match(src, i + 1)
            j = m.end() if m else i + 1
            toks.append(Tok("var", src[i:j], i, line(i)))
            i = j
        elif ch == ".":
            m = _WORD.match(src, i + 1)
            if m:
                toks.append(Tok("field", src[i:m.end()], i, line(i)))
                i = m.end()
            elif i + 1 < n and src[i + 1].isdigit():
                m = _NUM.match(src, i)
                toks.append(Tok("num", m.group(0), i, line(i)))
                i = m.end()
            else:
                toks.append(Tok("dot", ".", i, line(i)))
                i += 1
        elif ch.isdigit() or (ch in "+-" and i + 1 < n and src[i + 1].isdigit()):
            m = _NUM.match(src, i)
            toks.append(Tok("num", m.group(0), i, line(i)))
            i = m.end()
        elif ch.isalpha() or ch == "_":
            m = _WORD.match(src, i)
            toks.append(Tok("ident", m.group(0), i, line(i)))
            i = m.end()
        elif ord(ch) < 128 and ch.isprintable():
            toks.append(Tok("char_", ch, i, line(i)))
            i += 1
        else:
            raise ParseError(f"template: :{line(i)}: unrecognized character in action: U+{ord(ch):04X} "
                             f"{go_quote(ch, chr_=True)}")
        if toks and toks[-1].kind in ("field", "var", "ident") and i < n and not _terminator(src, i):
            raise ParseError(f"template: :{line(i)}: bad character U+{ord(src[i]):04X} {go_quote(src[i], chr_=True)}")


def _terminator(src: str, i: int) -> bool:
    return src[i] in " \t\r\n.,|:()" or src.startswith("}}", i) or src.startswith(" -}}", i)
