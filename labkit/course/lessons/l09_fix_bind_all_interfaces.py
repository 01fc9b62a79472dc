"""Lesson 09 · The fix: bind to 0.0.0.0: its lab, its exercises with their checks and tasks, and its predictions."""

from __future__ import annotations

from pathlib import Path

from labkit.contract.result import Result
from labkit.course.nearmiss import Miss
from labkit.course.outcomes import Outcome, Prediction
from labkit.course.vocabulary import Context, Lesson, Part, Plan, exercise, fetch, running

KEY = "09"


def check_fix(ctx: Context) -> list[Part]:
    """09: the re-created server listens where client can reach it, and answers client by name.

    Judged by what the lab does (what server's app listens on, what client gets back), never by the text of
    day8/server.py: any bind that neighbours can reach passes (every interface, written any way, or server's
    own address). A failure names its likely cause from the lab: server not running (and why, from its log),
    re-created from an old build, day8/server.py changed after the last build (a restart does not rebuild)."""
    parts = [running(ctx, "server")]
    server = ctx.state.container("server")
    if server is None or not server.running:
        return parts
    own = {ep.ip for ep in server.endpoints}
    on_port = [lst for lst in server.listeners if lst.port == 3000]
    reachable = [lst for lst in on_port if lst.all_interfaces or lst.address in own]
    listening = ", ".join(f"{lst.address}:{lst.port}" for lst in server.listeners) or "nothing"
    found = f"it listens on {listening}"
    if not reachable:
        found += _why_not_fixed(ctx, server)
    parts.append(
        (
            "server's app listens on an address client can reach (every interface, or server's own)",
            bool(reachable),
            found,
        )
    )
    parts.append(fetch(ctx, "client", "http://server:3000"))
    return parts


def _why_not_fixed(ctx: Context, server) -> str:
    """The likely cause when server still listens only where client cannot reach, read from the lab."""
    try:
        image = ctx.engine.inspect_image("day8")
    except Exception:  # noqa: BLE001 - no day8 image at all
        return Miss(" — and there is no day8 image: build it from your folder (docker build -t day8 day8)",
                    "Build the image from your folder (`docker build -t day8 day8`), then re-create server from it.")
    if server.image_id and image.get("Id") and server.image_id != image["Id"]:
        return Miss(
            " — server was created from an older build of day8; a container keeps the image it was created "
            "from: remove server and run it again",
            "Your build is done; server still runs the one before it. A container never switches image: "
            "`docker rm -f server`, then run it again as before.",
        )
    mine = ctx.folder / "day8" / "server.py"
    running = ctx.docker("exec server cat server.py")  # the copy the image gave server (WORKDIR /app)
    try:
        changed = running.exit_code == 0 and running.stdout != mine.read_text(encoding="utf-8")
    except OSError:
        changed = False
    if changed:  # the same image, but not the file you have now: it was built before your edit
        edited = _mtime(mine)
        restarted = _seconds(server.created) < edited < _seconds(server.started)  # started again, not re-created
        return Miss(
            " — day8/server.py has changed since the image server runs was built"
            + (", and restarting runs the same old image again" if restarted else "")
            + ": build the image again (docker build -t day8 day8), then re-create server",
            "Your edit is in the file, not yet in an image: build again (`docker build -t day8 day8`), then remove "
            "server and run it again from the new build.",
        )
    # the lab as the lesson starts it (or an edit that still binds loopback): the exercise's own hints apply
    loopback = any(lst.loopback_only for lst in server.listeners)
    return " — only programs inside server itself can reach 127.0.0.1" if loopback else ""


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _seconds(stamp: str) -> float:
    """An Engine API timestamp (RFC 3339, nanoseconds) as seconds since the epoch; 0 when absent."""
    from datetime import datetime

    if not stamp or stamp.startswith("0001-"):
        return 0.0
    head, _, frac = stamp.rstrip("Z").partition(".")
    try:
        when = datetime.fromisoformat(head + "+00:00")
    except ValueError:
        return 0.0
    return when.timestamp() + float("0." + (frac[:6] or "0"))


def _rebuilt(results: list[Result]) -> Outcome:
    steps = {"build": None, "rm": None, "run": None}
    for r in results:
        words = r.cmd.split()
        verb = words[1] if len(words) > 1 else ""
        if verb in steps:
            steps[verb] = r.exit_code == 0
    if not all(steps.values()):
        missing = ", ".join(k for k, v in steps.items() if not v)
        return Outcome(f"not every step ran or succeeded ({missing}): the container may still run the old image")
    return Outcome(
        "the image was rebuilt from day8/, and server was removed and created again from the new build: "
        "a container keeps the image it was created from, so both steps are needed",
        frozenset({"c"}),
    )


LESSON = Lesson(
    KEY,
    "The fix: bind to 0.0.0.0",
    Plan("loopback", True, True, True, workdir=True),
    exercises=(
        exercise(
            "09-fix",
            KEY,
            "Bind the server to 0.0.0.0, rebuild, rerun",
            3,
            task="`server`'s app listens on 127.0.0.1 only, so other containers cannot reach it. Change the bind "
            'address in your `day8/server.py` so that it listens on every interface (`"0.0.0.0"`), then '
            "make the running `server` use the new code, so that `client` gets the greeting from "
            "`http://server:3000`.",
            hints=(
                "Which line of day8/server.py decides where the server listens?",
                "After editing the file, the running container still has the old code. What must you rebuild and re-create?",
                'Change ("127.0.0.1", 3000) to ("0.0.0.0", 3000), then build -t day8 day8, rm -f server, run it again.',
            ),
            solution='import pathlib\np = pathlib.Path("day8/server.py")\n'
            "p.write_text(p.read_text().replace('(\"127.0.0.1\", 3000)', '(\"0.0.0.0\", 3000)'))\n"
            "%docker build -t day8 day8\n%docker rm -f server\n%docker run -d --name server --network day8-net day8",
            check=check_fix,
        ),
    ),
    predictions={
        "09-rebuild": Prediction(
            "server still runs the old image. What must happen before your change takes effect?",
            (
                ("a", "Nothing: the container reads the edited file"),
                ("b", "Restart the container"),
                ("c", "Rebuild the image, then remove and re-create the container"),
                ("d", "Rebuild the image only"),
            ),
            "build, rm -f server, run",
            _rebuilt,
            needle="docker ",
        ),
    },
)
