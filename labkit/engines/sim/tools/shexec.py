"""The shell's executor: runs the parser's tree with dash's semantics (the course images' /bin/sh is dash).

A `Shell` holds what a POSIX shell holds: variables (and which are exported), positional parameters,
functions, the working folder, `$?`, options (-e). It runs a tree (shparse.py) over file descriptors:
an `IO` maps 0 to an input and 1, 2 to sinks (the program's output, a buffer of a pipeline or of
`$(…)`, a container file, or nothing). Builtins are shbuiltins.py's; every other command is a tool
of the image, called through the package's `run` with a fresh Ctx: the exported variables (in dash's
order), the working folder, and what fd 0 holds. Pipelines run their commands one after the other,
each in a copy of the shell (a subshell, as dash runs them), the output of one the input of the next.
"""

from __future__ import annotations

import threading

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx
from labkit.engines.sim.tools.sharith import ArithError
from labkit.engines.sim.tools.shast import AndOr, Case, For, Func, Group, If, Loop, Pipeline, Seq, Simple, Sub, SyntaxErr
from labkit.engines.sim.tools.shcompound import Compound
from labkit.engines.sim.tools.shexpand import ExpandError, expand, expand_one
from labkit.engines.sim.tools.shio import IO, Exit, Flow, Input, Sink
from labkit.engines.sim.tools.shparse import Parser
from labkit.engines.sim.tools.shprog import Programs

__all__ = ["IO", "Exit", "Flow", "Input", "Shell", "Sink"]

_VARINIT = {"IFS", "MAIL", "MAILPATH", "PATH", "PS1", "PS2", "PS4", "OPTIND", "LINENO"}


class Shell(Compound, Programs):
    """One POSIX shell (or subshell) running in a container."""

    def __init__(self, ctx: Ctx, arg0: str, args: list[str], builtins: tuple[dict, set] = ({}, set())):
        """builtins: the builtin commands by name, and the names of the special ones (shbuiltins' BUILTINS and
        SPECIAL, given by whoever starts the shell: this module never imports them, they import it)."""
        self.ctx, self.arg0, self.args = ctx, arg0, list(args)
        self.builtins, self.special_builtins = builtins
        self.root = files.rootfs(ctx)
        self.vars: dict[str, str] = {}
        self.exported: set[str] = set()
        for k, v in ctx.env.items():
            self.vars[k] = v
            self.exported.add(k)
        self.cwd = files.workdir(ctx)
        self.vars.pop("LABKIT_PWD", None)  # the engine's note of where it started: PWD from now on
        self.exported.discard("LABKIT_PWD")
        if "HOME" not in self.vars:
            self.vars["HOME"] = files.account(ctx).home
            self.exported.add("HOME")
        self.vars.pop("PWD", None)
        self.vars["PWD"] = self.cwd
        self.exported.add("PWD")
        self.vars.setdefault("IFS", " \t\n")
        self.vars.setdefault("PS1", "# " if files.account(ctx).root else "$ ")
        self.vars.setdefault("PS2", "> ")
        self.vars.setdefault("PS4", "+ ")
        self.vars.setdefault("OPTIND", "1")
        self.vars.setdefault("PPID", "0")
        self.vars.setdefault("LINENO", "")
        self.funcs: dict[str, object] = {}
        self.status = 0
        self.subst_status = 0
        self.line = 1
        self.pid = 1 if ctx.logs is not None else 7
        self.opts: set[str] = set()
        self.cond = 0
        self.loops = 0
        self.locals: list[dict] = []
        self.traps: dict[str, str] = {}
        self.jobs: list[threading.Thread] = []

    # -- state -----------------------------------------------------------------------------
    def subshell(self) -> Shell:
        """A copy of this shell: what it changes stays in it."""
        sub = object.__new__(Shell)
        sub.__dict__.update(self.__dict__)
        sub.vars, sub.exported, sub.args = dict(self.vars), set(self.exported), list(self.args)
        sub.funcs, sub.opts, sub.locals, sub.traps, sub.jobs = dict(self.funcs), set(self.opts), [], {}, []
        return sub

    def getvar(self, name: str) -> str | None:
        """A variable's value (None when unset)."""
        return self.vars.get(name)

    def setvar(self, name: str, value: str, export: bool = False) -> None:
        """Set a variable."""
        self.vars[name] = value
        if export or "a" in self.opts:
            self.exported.add(name)

    def special(self, name: str) -> str | None:
        """$?, $$, $#, $!, $-, $0."""
        return {"?": str(self.status), "$": str(self.pid), "#": str(len(self.args)), "0": self.arg0,
                "-": "".join(sorted(self.opts)), "!": self.vars.get("!")}.get(name)

    def environ(self) -> dict[str, str]:
        """The exported variables, in the order dash passes them to a program (its hash table's)."""
        def key(item: tuple[int, str]) -> tuple[int, int, int]:
            k, name = item
            h = ord(name[0]) << 4
            for ch in name:
                h += ord(ch)
            return h % 39, 0 if name in _VARINIT else 1, k

        names = [n for n in self.vars if n in self.exported]
        ordered = sorted(enumerate(names), key=key)
        return {n: self.vars[n] for _, n in ordered}

    def file_ctx(self) -> Ctx:
        """A Ctx for looking at the container's files from this shell's working folder."""
        env = {"PWD": self.cwd, "LABKIT_USER": self.ctx.env.get("LABKIT_USER", "root")}
        return Ctx(self.ctx.engine, self.ctx.cid, self.host_cwd(), env, self.ctx.tools, root=self.root)

    def host_cwd(self) -> str:
        """This machine's folder for the working folder (where a real program runs)."""
        return self.root + self.cwd if self.root is not None else self.ctx.cwd

    def glob(self, pattern: str) -> list[str]:
        """Pathname expansion over the container's files."""
        return files.glob(self.file_ctx(), pattern)

    def command_subst(self, src: str) -> str:
        """$(…): the output of src run in a subshell, trailing newlines removed."""
        sub = self.subshell()
        buf: list[str] = []
        io = IO({0: Input(None), 1: Sink(buf), 2: self.io.fds[2]})
        sub.io = io
        try:
            tree = Parser(src, self.line).parse_all()
            sub.status = 0
            sub.run_seq(tree, io)
        except SyntaxErr as e:
            io.fds[2].write(f"sh: {e.line}: Syntax error: {e.msg}\n")
            sub.status = 2
        except Exit as e:
            sub.status = e.code
        self.subst_status = sub.status
        return "".join(buf).rstrip("\n")

    # -- running ---------------------------------------------------------------------------
    def main(self, src: str, io: IO) -> int:
        """Run a script: each complete command as soon as it is read; the shell's exit status."""
        self.io = io
        parser = None
        try:
            try:
                parser = Parser(src)
                while True:
                    tree = parser.next_command()
                    if tree is None:
                        break
                    self.run_seq(tree, io)
            except SyntaxErr as e:
                io.fds[2].write(f"sh: {e.line}: Syntax error: {e.msg}\n")
                self.status = 2
            except Flow:
                pass
        except Exit as e:
            self.status = e.code
        trap = self.traps.pop("EXIT", None)
        if trap:
            code = self.status
            try:
                self.run_seq(Parser(trap).parse_all(), io)
            except (Exit, SyntaxErr, Flow):
                pass
            self.status = code
        return self.status

    def run_seq(self, seq: Seq, io: IO) -> int:
        """A list: each and-or list in turn (`&` ones in the background)."""
        for node, background in seq.items:
            if background:
                sub = self.subshell()
                t = threading.Thread(target=sub._background, args=(node, io.copy()), daemon=True)
                t.start()
                self.jobs.append(t)
                self.vars["!"] = str(self.pid + 10 + len(self.jobs))
                self.status = 0
            else:
                self.run_and_or(node, io)
        return self.status

    def _background(self, node: AndOr, io: IO) -> None:
        try:
            self.run_and_or(node, io)
        except (Exit, Flow):
            pass

    def run_and_or(self, node: AndOr, io: IO) -> int:
        """cmd && cmd || cmd."""
        pipes = [("", node.first), *node.rest]
        for k, (op, pipe) in enumerate(pipes):
            if (op == "&&" and self.status != 0) or (op == "||" and self.status == 0):
                continue
            last = k == len(pipes) - 1
            if not last:
                self.cond += 1
            try:
                self.run_pipeline(pipe, io)
            finally:
                if not last:
                    self.cond -= 1
            if last and self.status != 0 and "e" in self.opts and not self.cond and not pipe.negate:
                raise Exit(self.status)
        return self.status

    def run_pipeline(self, pipe: Pipeline, io: IO) -> int:
        """cmd | cmd | cmd: each in a subshell, the output of one the input of the next."""
        if len(pipe.cmds) == 1:
            if pipe.negate:
                self.cond += 1
            try:
                self.run_command(pipe.cmds[0], io)
            finally:
                if pipe.negate:
                    self.cond -= 1
        else:
            data: str | None = None
            for k, cmd in enumerate(pipe.cmds):
                sub = self.subshell()
                buf: list[str] = []
                fds = dict(io.fds)
                if k:
                    fds[0] = Input(data)
                if k < len(pipe.cmds) - 1:
                    fds[1] = Sink(buf)
                try:
                    sub.run_command(cmd, IO(fds))
                except Exit as e:
                    sub.status = e.code
                except Flow:
                    pass
                data = "".join(buf)
                self.status = sub.status
        if pipe.negate:
            self.status = int(self.status == 0)
        return self.status

    def run_command(self, node: object, io: IO) -> int:
        """One command of a pipeline."""
        if self.ctx.stop.is_set():
            raise Exit(137)
        if isinstance(node, Simple):
            return self.run_simple(node, io)
        if isinstance(node, Func):
            self.funcs[node.name] = node.body
            self.status = 0
            return 0
        rio = self.redirect(io, node.redirs)
        if rio is None:
            self.status = 2
            return 2
        if isinstance(node, Group):
            self.run_seq(node.body, rio)
        elif isinstance(node, Sub):
            sub = self.subshell()
            try:
                sub.run_seq(node.body, rio)
            except Exit as e:
                sub.status = e.code
            except Flow:
                pass
            self.status = sub.status
        elif isinstance(node, If):
            self._if(node, rio)
        elif isinstance(node, For):
            self._for(node, rio)
        elif isinstance(node, Loop):
            self._loop(node, rio)
        elif isinstance(node, Case):
            self._case(node, rio)
        return self.status

    def fatal(self, msg: str, io: IO) -> None:
        """A fatal error: print it and end the shell with status 2."""
        io.fds[2].write(f"sh: {self.line}: {msg}\n")
        raise Exit(2)

    def error(self, msg: str, io: IO) -> None:
        """Print `sh: LINE: msg` on fd 2."""
        io.fds[2].write(f"sh: {self.line}: {msg}\n")

    def run_simple(self, node: Simple, io: IO) -> int:
        """A simple command: expansions, assignments, redirections, then a function, builtin or program."""
        BUILTINS, SPECIAL = self.builtins, self.special_builtins  # noqa: N806 (the tables' own names)
        self.line = node.line
        self.subst_status = 0
        try:
            argv = [f for w in node.words for f in expand(self, w)]
            assigns = []
            for a in node.assigns:
                name, _, raw = a.partition("=")
                assigns.append((name, expand_one(self, raw)))
        except (ExpandError, ArithError) as e:
            self.fatal(str(e), io)
        rio = self.redirect(io, node.redirs)
        if rio is None:
            self.status = 2
            return 2
        if not argv:
            for name, value in assigns:
                self.setvar(name, value)
            self.status = self.subst_status
            return self.status
        name = argv[0]
        if name in self.funcs:
            self.status = self._call(name, argv, rio, assigns)
        elif name in BUILTINS:
            saved = {n: self.vars.get(n) for n, _ in assigns} if name not in SPECIAL else {}
            for n, v in assigns:
                self.setvar(n, v)
            try:
                self.status = BUILTINS[name](self, argv, rio)
            finally:
                for n, v in saved.items():
                    if v is None:
                        self.vars.pop(n, None)
                    else:
                        self.vars[n] = v
        else:
            self.status = self.run_program(argv, rio, assigns)
        return self.status

    def _call(self, name: str, argv: list[str], io: IO, assigns: list) -> int:
        saved_args = self.args
        self.args = argv[1:]
        self.locals.append({})
        try:
            for n, v in assigns:
                self.setvar(n, v)
            self.run_command(self.funcs[name], io)
        except Flow as f:
            if f.kind != "return":
                raise
            self.status = f.n
        finally:
            self.args = saved_args
            for n, v in self.locals.pop().items():
                if v is None:
                    self.vars.pop(n, None)
                else:
                    self.vars[n] = v
        return self.status
