"""How the shell reaches outside itself: redirections to the container's files, and programs of the image
(a mixin of shexec.Shell).

A program runs through the package's `run` with a fresh Ctx: the exported variables in dash's order,
the working folder, what fd 0 holds (taken whole by the programs that read it), and the container's
logs when the program is the main process writing straight to them (`exec python3 server.py`). $PATH is
honoured: a program is found only in a folder of $PATH that holds it in the image.
"""

from __future__ import annotations

import posixpath

from labkit.engines.sim.tools import files
from labkit.engines.sim.tools.base import Ctx, NotFound
from labkit.engines.sim.tools.shexpand import expand_heredoc, expand_one
from labkit.engines.sim.tools.shio import IO, Input, Sink

# the programs that read their standard input when they run (the others leave it to the next command)
READERS = {"cat", "grep", "sort", "head", "tail", "wc", "sh", "bash", "ash", "python", "python3", "nc", "tee", "cut",
           "tr"}


class Programs:
    """Redirections and programs for the Shell."""

    def redirect(self, io: IO, redirs: list) -> IO | None:
        """io with redirections applied (None, after dash's message, when one fails)."""
        if not redirs:
            return io
        new = io.copy()
        fctx = self.file_ctx()
        for r in redirs:
            target = expand_one(self, r.target)
            if r.op in ("<<", "<<-"):
                new.fds[r.fd] = Input(expand_heredoc(self, r.body or "") if r.expand else r.body or "")
                continue
            if r.op in (">&", "<&"):
                if target == "-":
                    new.fds.pop(r.fd, None)
                elif target.isdigit() and int(target) in new.fds:
                    new.fds[r.fd] = new.fds[int(target)]
                else:
                    self.error(f"{target}: Bad file descriptor", io)
                    return None
            elif r.op in ("<", "<>"):
                text = files.read(fctx, target)
                if target == "/dev/null":
                    text = ""
                if text is None:
                    self.error(f"cannot open {target}: No such file", io)
                    return None
                new.fds[r.fd] = Input(text)
            else:
                if target in ("/dev/stdout", "/dev/stderr", "/proc/self/fd/1", "/proc/self/fd/2"):
                    new.fds[r.fd] = new.fds.get(1 if target.endswith(("stdout", "1")) else 2, Sink())
                    continue
                if target == "/dev/null":
                    new.fds[r.fd] = Sink()
                    continue
                problem = files.write(fctx, target, "", append=r.op == ">>")
                if problem:
                    self.error(f"cannot create {target}: {problem}", io)
                    return None
                new.fds[r.fd] = Sink(path=files.abspath(fctx, target), ctx=fctx)
        return new

    def run_program(self, argv: list[str], io: IO, assigns: list, exec_word: str = "") -> int:
        """A program of the image, through the package's `run`; 127 with dash's message when missing."""
        env = self.environ()
        for n, v in assigns:
            env[n] = v
        base = argv[0].rsplit("/", 1)[-1]
        stdin = io.fds.get(0)
        data = stdin.rest(consume=base in READERS) if isinstance(stdin, Input) else None
        top = io.fds.get(1) is self.top_out and io.fds.get(2) is self.top_err
        logs = self.ctx.logs if top else None
        if logs is not None:
            self.flush()
        sub = Ctx(self.ctx.engine, self.ctx.cid, self.host_cwd(), env, self.ctx.tools, stop=self.ctx.stop,
                  on_process=self.ctx.on_process, stdin=data, settled=self.ctx.settled, logs=logs, root=self.root,
                  tty=self.ctx.tty, runner=self.ctx.runner)
        if ("/" in argv[0] and files.kind(self.file_ctx(), argv[0]) is None) or \
                ("/" not in argv[0] and not self.on_path(argv[0])):
            self.error(f"{exec_word}{argv[0]}: not found", io)
            return 127
        try:
            code = self.ctx.runner(sub, argv)
        except NotFound:
            self.error(f"{exec_word}{argv[0]}: not found", io)
            return 127
        out, err = io.fds.get(1, Sink()), io.fds.get(2, Sink())
        out.write("".join(sub.out))
        err.write("".join(sub.err))
        if logs is not None:
            self.flush()
        return code

    def on_path(self, name: str) -> bool:
        """Whether $PATH leads to the image's program (merged /usr: /bin is /usr/bin, /sbin is /usr/sbin)."""
        home = posixpath.dirname(files.tool_path(self.ctx, name))
        homes = {home, home.replace("/usr/", "/", 1)}
        path = self.getvar("PATH")
        for d in (path.split(":") if path is not None else [""]):
            d = posixpath.normpath(posixpath.join(self.cwd, d or "."))
            if d in homes:
                return True
        return False

    top_out: Sink | None = None
    top_err: Sink | None = None

    def flush(self) -> None:
        """A main process's output so far goes to the container's logs now (docker logs shows it live)."""
        if self.ctx.logs is None:
            return
        for path, lst in zip(self.ctx.logs, (self.ctx.out, self.ctx.err), strict=True):
            text = "".join(lst)
            lst.clear()
            if text:
                try:
                    with open(path, "a", encoding="utf-8", newline="") as f:
                        f.write(text)
                except OSError:
                    pass
