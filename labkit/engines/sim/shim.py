"""Runs a container's Python program inside the embedded engine's network model.

    python -m labkit.engines.sim.shim -- python3 server.py ARGS…

Before the program starts, socket.socket is replaced by a subclass that maps the container's
addresses onto real loopback addresses (netmodel), resolves names through the container's
embedded DNS, and tells the engine when the program starts listening. The program itself is the
learner's real code, run unchanged.
"""

from __future__ import annotations

import os
import runpy
import sys

from labkit.engines.sim.simsocket import install

ROOT = os.environ.get("LABKIT_SIM_ROOT", "")  # the container's / on this machine

PYTHON_FLAGS = ("-u", "-B", "-E", "-s", "-S", "-I", "-q", "-O", "-OO")


def python_options(argv: list[str]) -> list[str]:
    """The interpreter options of a `python3 …` command line that the real interpreter must get (-u)."""
    opts = []
    for arg in argv[1:]:
        if arg not in PYTHON_FLAGS:
            break
        if arg == "-u":
            opts.append(arg)
    return opts


def run_python(argv: list[str]) -> None:
    """Run `python3 [OPTIONS] (-m MOD | -c CODE | FILE) ARGS…` in this interpreter, as python3 would."""
    args = argv[1:]
    while args and args[0] in PYTHON_FLAGS:
        args = args[1:]
    if not args:
        sys.stderr.write("labkit sim: an interactive python has no terminal here\n")
        raise SystemExit(0)
    if args[0] == "-m" and len(args) > 1:
        import importlib.util

        spec = importlib.util.find_spec(args[1])
        sys.argv = [spec.origin if spec and spec.origin else args[1], *args[2:]]
        _run(lambda: runpy.run_module(args[1], run_name="__main__", alter_sys=True), sys.argv[0])
    elif args[0] == "-c" and len(args) > 1:
        sys.argv = ["-c", *args[2:]]
        code = compile(args[1], "<string>", "exec")
        _run(lambda: exec(code, {"__name__": "__main__", "__builtins__": __builtins__}), "<string>")
    elif args[0] == "--version" or args[0] == "-V":
        print(f"Python {sys.version.split()[0]}")
    else:
        sys.argv = list(args)
        real = os.path.abspath(args[0])
        sys.path.insert(0, os.path.dirname(real))
        shown = container_path(real)
        _run(lambda: _run_file(real, shown), shown)


def container_path(real: str) -> str:
    """A file's path as the container shows it (/app/server.py), from its real path under the container's root."""
    root = ROOT.rstrip("/")
    if root and (real == root or real.startswith(root + "/")):
        return "/" + os.path.relpath(real, root).lstrip("./") if real != root else "/"
    return real


def _run_file(real: str, shown: str) -> None:
    """Run a script as `python3 FILE` does, its code and tracebacks named by its path inside the container."""
    import linecache
    import types

    try:
        with open(real, "rb") as f:
            source = f.read()
    except OSError as err:
        sys.stderr.write(f"python3: can't open file {shown!r}: [Errno {err.errno}] {err.strerror}\n")
        raise SystemExit(2) from None
    text = source.decode("utf-8", errors="replace")
    linecache.cache[shown] = (len(text), None, text.splitlines(True), shown)  # tracebacks show its lines
    code = compile(source, shown, "exec")
    main = types.ModuleType("__main__")
    main.__file__ = shown
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _run(program, first_file: str) -> None:
    """Run the program; an uncaught exception is printed as python3 prints it, from the program's own frames."""
    try:
        program()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - printed as the interpreter would, then the same exit
        exc = exc.with_traceback(_program_frames(exc.__traceback__, first_file))
        sys.excepthook(type(exc), exc, exc.__traceback__)
        sys.stderr.flush()
        sys.stdout.flush()
        if isinstance(exc, KeyboardInterrupt):  # python3 ends by SIGINT then (exit 130)
            import signal

            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        raise SystemExit(1) from None


def _program_frames(tb, first_file: str):
    """The traceback as the program would have it without the sim: from its first frame, and without the
    frames of the sim's socket layer (which stands where the C library would be)."""
    while tb is not None and tb.tb_frame.f_code.co_filename != first_file:
        tb = tb.tb_next
    cur = tb
    while cur is not None and cur.tb_next is not None:
        if os.path.dirname(cur.tb_next.tb_frame.f_code.co_filename) in _SIM_DIRS:
            cur.tb_next = None
        else:
            cur = cur.tb_next
    return tb


_SIM_DIRS = {os.path.dirname(os.path.abspath(__file__)),
             os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}  # sim/, labkit/


def as_user(ids: str) -> None:
    """The program asks who it runs as and hears the container's user ("UID:GID", from `-u` or the image), as
    the C library would answer inside the container; it keeps this machine's rights (the engine cannot switch)."""
    uid, _, gid = ids.partition(":")
    if not uid.isdigit() or not gid.isdigit():
        return
    os.getuid = os.geteuid = lambda: int(uid)
    os.getgid = os.getegid = lambda: int(gid)
    os.getgroups = lambda: [int(gid)]


def watch_parent() -> None:
    """Where the kernel cannot end a child with its parent (PR_SET_PDEATHSIG, tools/programs.py, is Linux's): end
    this program's process group once the engine that started it is gone, so no orphan keeps the lab's ports."""
    if sys.platform.startswith("linux"):
        return
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="labkit-parent-watch").start()


def main() -> None:
    """Entry point: `python -m labkit.engines.sim.shim -- python3 ARGS…`."""
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    watch_parent()
    install()
    as_user(os.environ.get("LABKIT_SIM_IDS", ""))
    labkit_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # as probes sets it
    for key in [k for k in os.environ if k.startswith("LABKIT_SIM_")]:
        del os.environ[key]  # the program sees the container's environment, not the sim's plumbing
    if os.environ.get("PYTHONPATH") == labkit_root:
        del os.environ["PYTHONPATH"]
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    run_python(argv)


if __name__ == "__main__":
    main()
