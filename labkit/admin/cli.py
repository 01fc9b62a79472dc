"""The `labkit` console script: docker, host, replay, clean, images, doctor, sim, workspace, lab, grade, export."""

from __future__ import annotations

import argparse
import sys

from labkit import session
from labkit.contract.result import Result
from labkit.engines import registry, select
from labkit.errors import CommandError, EngineError


def _emit(result: Result) -> None:
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    sys.stderr.write(result.stderr)
    sys.stderr.flush()


def _engine(name: str | None):
    """The session's engine (switched to `name` when --engine was given)."""
    me = session.current()
    if name:
        me.use_engine(name)
    return me.engine()


def cmd_docker(args: argparse.Namespace) -> int:
    """`labkit docker …`: one docker command on the engine, printed like the CLI."""
    from labkit.contract.commands import run_command

    engine = _engine(args.engine)
    result = run_command(engine, ["docker", *args.words])
    _emit(result)
    return result.exit_code


def cmd_replay(args: argparse.Namespace) -> int:
    """`labkit replay FILE`: run a transcript; print each result (or one JSON object per command)."""
    from labkit.contract.transcript import read_transcript, replay

    read_transcript(args.file)  # reports an unreadable file before any engine is contacted
    engine = _engine(args.engine)
    for result in replay(args.file, engine=engine):
        if args.json:
            print(result.to_json(), flush=True)
        else:
            print(f"$ {result.cmd}", flush=True)
            _emit(result)
            if result.exit_code:
                print(f"[exit {result.exit_code}]", flush=True)
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """`labkit clean [--session ID]…`: remove a session's containers, then networks (yours by default); nothing else."""
    from labkit.ownership import clean

    clean(_engine(args.engine), args.session or [session.current().id], say=lambda s: print(s, flush=True))
    return 0


def cmd_images(args: argparse.Namespace) -> int:
    """`labkit images [--offline]`: the course's base images; build missing stand-ins offline."""
    from labkit.engines import standins

    engine = _engine(args.engine)
    if args.offline:
        standins.ensure_offline(engine, say=lambda s: print(s, flush=True), force=args.force)
        return 0
    for name, state in standins.report(engine):
        print(f"{name}: {state}")
    missing = [n for n, s in standins.report(engine) if s == "missing"]
    if missing:
        print("build the missing ones without a registry: labkit images --offline")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """`labkit doctor`: which engine, its version, the course images, leftover labkit resources."""
    from labkit.admin.doctor import diagnose

    ok = True
    for line, good in diagnose(args.engine):
        print(line, flush=True)
        ok = ok and good
    return 0 if ok else 1


def cmd_sim(args: argparse.Namespace) -> int:
    """`labkit sim start|status|stop`: the user's embedded-engine daemon (a Docker Engine API on a unix socket)."""
    from labkit.engines.sim import daemon

    if args.action == "start":
        status, note = daemon.start(idle=args.idle)
        print(note)
        print(f"export DOCKER_HOST={status.docker_host}   # points any docker client (docker CLI, docker-py) at it")
        return 0
    if args.action == "stop":
        print(daemon.stop())
        return 0
    status = daemon.status()
    if not status.running:
        print(f"labkit sim: not running (its socket would be {status.socket}); start it: labkit sim start")
        return 3
    print(f"labkit sim: running at {status.docker_host} (pid {status.pid or '?'}), "
          f"{status.running_containers} of {status.containers} container(s) running")
    if status.host_address:
        print(f"labkit sim: published ports listen on {status.host_address}, a host address of this lab's own "
              "(`%host curl localhost:PORT` reaches them; a classmate's never)")
    if status.addressing == "ports":
        print("labkit sim: each container's addresses are carried on ports of 127.0.0.1 (ports mode: this machine "
              "has one loopback address, or LABKIT_SIM_ADDRESSING=ports asked for it); only TCP is carried")
    elif status.addressing:
        print(f"labkit sim: each container's addresses are loopback addresses of this machine ({status.addressing} "
              "mode)")
    print("labkit sim: it stops by itself after its idle time (--idle, LABKIT_SIM_IDLE, default 1800 s) with no "
          "request, once no container runs or no other process of yours is left (your kernels, terminals and "
          "JupyterLab): then its containers stop with it")
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    """`labkit workspace [--path DIR]`: make or complete the learner's workspace (the course without outputs)."""
    from pathlib import Path

    from labkit.admin import labsettings, workspace

    path = Path(args.path) if args.path else None
    course = Path(args.course) if args.course else None
    for which in args.fresh:
        for line in workspace.fresh(which, path, course):
            print(line)
    for line in workspace.ensure(path, course).lines():
        print(line)
    if not args.keep_lab_settings:
        try:
            print(f"  JupyterLab: no news pop-up ({labsettings.quiet_news()})")
        except (OSError, CommandError) as err:
            print(f"  JupyterLab: could not turn its news pop-up off ({str(err).strip()})")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """`labkit grade SUBMISSION…`: run each notebook in a fresh kernel and lab, score it, write the reports."""
    from labkit.grading.messages import GradeSettings
    from labkit.grading.run import grade

    settings = GradeSettings(engine=args.grade_engine, sandbox=args.sandbox, jobs=args.jobs, timeout=args.timeout,
                             cell_timeout=args.cell_timeout, hidden=tuple(args.hidden or ()),
                             trust=args.trust_submissions, assets=args.assets, lesson=args.lesson,
                             scheduler=args.scheduler, nbgrader_course=args.nbgrader_course)
    grade(args.submissions, args.out, settings, say=lambda s: print(s, flush=True))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """`labkit export nbgrader|otter DIR`: the released lessons as an nbgrader course's source/ folder, or as
    Otter-Grader assignment notebooks."""
    from pathlib import Path

    if args.tool == "otter":
        from labkit.admin.export_otter import export
    else:
        from labkit.admin.export_nbgrader import export

    for line in export(Path(args.dir), args.lesson, force=args.force):
        print(line)
    return 0


def cmd_host(args: argparse.Namespace) -> int:
    """`labkit host CMD …`: a command on your lab's host side from a terminal, `localhost` aimed as `%host` aims it."""
    from labkit.admin.hostcmd import run

    return run(args.words)


def cmd_lab(args: argparse.Namespace) -> int:
    """`labkit lab [--path DIR] [JUPYTER ARGS]`: JupyterLab on the workspace, its terminals on the notebooks' engine."""
    from labkit.admin.launch import launch

    extra = args.jupyter[1:] if args.jupyter[:1] == ["--"] else args.jupyter
    return launch(args.path, extra)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the labkit console script."""
    parser = argparse.ArgumentParser(prog="labkit", description="The container-networking course's lab tool.")
    sub = parser.add_subparsers(dest="command", required=True)

    def engine_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--engine", choices=select.ENGINES, default=None,
                       help="engine to use (default: LABKIT_ENGINE or auto)")

    p = sub.add_parser("docker", help="run one docker command", add_help=False)
    p.add_argument("words", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_docker, engine=None)
    p = sub.add_parser("host", help="run a command on your lab's host side (localhost as %%host has it)",
                       add_help=False)
    p.add_argument("words", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_host)
    p = sub.add_parser("replay", help="run a transcript file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="one JSON object per command")
    engine_opt(p)
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("clean", help="remove your lab's containers and networks")
    p.add_argument("--session", action="append", default=[], metavar="ID",
                   help="clean this session instead of yours (repeatable; `labkit doctor` lists them)")
    engine_opt(p)
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("images", help="the course's base images")
    p.add_argument("--offline", action="store_true", help="build missing stand-ins from Debian packages")
    p.add_argument("--force", action="store_true", help="rebuild stand-ins even if present")
    engine_opt(p)
    p.set_defaults(func=cmd_images)
    p = sub.add_parser("doctor", help="check the engine, images and leftovers")
    engine_opt(p)
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("sim", help="the embedded engine's daemon: start, status, stop")
    p.add_argument("action", choices=["start", "status", "stop"])
    p.add_argument("--idle", type=float, default=None, metavar="S",
                   help="stop by itself after S seconds with no container running (default LABKIT_SIM_IDLE or 1800)")
    p.set_defaults(func=cmd_sim)
    p = sub.add_parser("workspace", help="make or complete your workspace: the course's notebooks without outputs")
    p.add_argument("--path", default=None, metavar="DIR",
                   help="the workspace folder (default: workspace/ in this checkout; installed from a wheel: in the "
                        "current folder)")
    p.add_argument("--course", default=None, metavar="DIR",
                   help="the course's notebooks folder to copy from (default: the course installed with labkit, or "
                        "this checkout's notebooks/)")
    p.add_argument("--fresh", action="append", default=[], metavar="NN",
                   help="set your copy of lesson NN (or day8) aside in old/ and start it again (repeatable)")
    p.add_argument("--keep-lab-settings", action="store_true",
                   help="leave JupyterLab's settings overrides alone (default: turn its news pop-up off)")
    p.set_defaults(func=cmd_workspace)
    p = sub.add_parser("lab", help="JupyterLab on your workspace, its terminals wired to the notebooks' engine")
    p.add_argument("--path", default="workspace", metavar="DIR", help="the workspace folder (default: workspace/)")
    p.add_argument("jupyter", nargs=argparse.REMAINDER, help="further arguments for jupyter lab, after -- (e.g. -- --no-browser)")
    p.set_defaults(func=cmd_lab)
    p = sub.add_parser("grade", help="grade learners' notebooks")
    p.add_argument("submissions", nargs="+", help="notebook files, or folders of them")
    p.add_argument("--out", required=True, help="folder for results.json, junit.xml, feedback/, summary.*")
    graders = registry.isolated_first()  # the default isolates each submission
    p.add_argument("--engine", dest="grade_engine", choices=[k.name for k in graders], default=graders[0].name,
                   help=registry.spoken([f"{k.name} ({'default, ' if k is graders[0] else ''}"
                                         f"{'isolated' if k.private_daemon else 'needs --trust-submissions'})"
                                         for k in graders]))
    p.add_argument("--trust-submissions", action="store_true",
                   help="allow --engine docker (the notebooks get the Docker socket, root on this machine) "
                        "or --sandbox none")
    p.add_argument("--sandbox", choices=["bwrap", "container", "none"], default="bwrap",
                   help="where each submission runs: bwrap (default; bubblewrap boxes), container (Docker "
                        "containers on this machine's daemon), none (needs --trust-submissions)")
    p.add_argument("--lesson", default=None, metavar="NN",
                   help="the lesson every submission is (default: the nbgrader assignment folder "
                        "submitted/<learner>/<NN-…>/, else the file name)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once on this machine (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on the workers of a running Dask cluster (tcp://HOST:8786) instead of here")
    p.add_argument("--timeout", type=float, default=300, help="seconds per submission (default 300)")
    p.add_argument("--cell-timeout", type=float, default=60, help="seconds per cell (default 60)")
    p.add_argument("--hidden", action="append", default=[], metavar="FILE", help="grader-side checks (repeatable)")
    p.add_argument("--assets", default=None,
                   help="the course's notebooks/assets folder (default: the course's, installed with labkit or this checkout's)")
    p.add_argument("--nbgrader-course", default=None, metavar="DIR",
                   help="also write the grades into this nbgrader course's gradebook.db and its feedback/ folder "
                        "(for nbgrader export, formgrader and release_feedback)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("export", help="the lessons as another grading tool's course (nbgrader, Otter)")
    p.add_argument("tool", choices=["nbgrader", "otter"], help="the tool to export to")
    p.add_argument("dir", metavar="DIR", help="the course folder: source/<assignment>/ (nbgrader) or <assignment>/ "
                   "(otter) is written in it")
    p.add_argument("--lesson", action="append", default=[], metavar="NN", help="export this lesson (repeatable; "
                   "default: all)")
    p.add_argument("--force", action="store_true", help="replace assignment folders already there")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as err:
        sys.stdout.write(err.stdout)
        sys.stderr.write(err.stderr)
        return err.exit_code
    except EngineError as err:
        sys.stderr.write(f"labkit: the engine said: {err.message}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("labkit: interrupted; anything half-made carries the labkit label: `labkit clean` removes it\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
