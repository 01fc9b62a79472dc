"""The course travels inside the package, and runs from a read-only shared environment (tests/packaging/test_wheel.py).

1. Builds the sdist and the wheel (`python -m build`) into a temporary folder; the wheel must carry every lesson and
   asset of notebooks/ as labkit/notebooks/, and the sdist notebooks/ (a wheel built from it gets the same).
2. Installs the wheel alone into a fresh venv (`python -m venv`, `pip install WHEEL`: its dependencies from the package
   index), from a folder with no source checkout, and says how long that took.
3. Makes the venv read-only (`chmod -R a-w`), as a JupyterHub's shared environment is to its learners.
4. As a learner (the unprivileged user `nobody` when run as root, with a home folder of their own): `labkit workspace
   --path DIR`, then one lesson run top to bottom from DIR on the embedded engine (`jupyter nbconvert --execute`,
   the venv's own kernel), then `labkit sim stop`.
5. Fails when the workspace or the lesson fails, a cell raises, a cell's text output differs from the course's stored
   one after the rules of tests/nbval-sanitize.cfg (what `make test` allows), labkit was imported from anywhere but
   the venv, or anything in the venv changed (a file added, removed or modified: root ignores the modes, this does
   not).

    .venv/bin/python -m tests.packaging.wheel [--lesson 05] [--keep]     # the same check, its steps timed
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat

from labkit import coursefiles

REPO = Path(__file__).resolve().parents[2]
COURSE = coursefiles.course_dir()  # the checkout's notebooks/, which the build copies into the wheel
SANITIZE = REPO / "tests" / "nbval-sanitize.cfg"


def say(line: str) -> None:
    """One line of progress (shown by the script, and by pytest with -s)."""
    print(f"wheel: {line}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a command; its failure fails the check, with the end of its output."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"`{' '.join(map(str, cmd))}` failed (exit {r.returncode}):\n{r.stdout[-3000:]}{r.stderr[-3000:]}"
    return r


def course_files() -> set[str]:
    """The course's files as the build copies them (no hidden names, no caches, no learner's day8/)."""
    out = set()
    for p in COURSE.rglob("*"):
        rel = p.relative_to(COURSE)
        if p.is_file() and not any(s.startswith(".") or s == "__pycache__" for s in rel.parts) and rel.parts[0] != "day8":
            out.add(rel.as_posix())
    return out


def build(dist: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel; check that both carry the course; return their paths."""
    started = time.monotonic()
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)])
    [wheel], [sdist] = dist.glob("*.whl"), dist.glob("*.tar.gz")
    want = course_files()
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n.removeprefix("labkit/notebooks/") for n in zf.namelist() if n.startswith("labkit/notebooks/")}
    assert shipped == want, (f"the wheel's course differs from notebooks/: missing {sorted(want - shipped)}, "
                             f"extra {sorted(shipped - want)}")
    with tarfile.open(sdist) as tf:
        in_sdist = {n.split("/notebooks/", 1)[1] for n in tf.getnames() if "/notebooks/" in n and tf.getmember(n).isfile()}
    assert in_sdist == want, f"the sdist's notebooks/ differs: missing {sorted(want - in_sdist)}"
    say(f"built {sdist.name} and {wheel.name} in {time.monotonic() - started:.0f} s; both carry the course "
        f"({len(want)} files)")
    return wheel, sdist


def sanitizer(cfg: Path = SANITIZE) -> Callable[[str], str]:
    """The rules of an nbval sanitize file (each `regex: ` line and the `replace: ` line after it), as one function."""
    lines = cfg.read_text().splitlines()
    pairs = zip(lines, lines[1:], strict=False)
    rules = [(re.compile(a.removeprefix("regex: ")), b.removeprefix("replace: ")) for a, b in pairs
             if a.startswith("regex: ") and b.startswith("replace: ")]

    def clean(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    return clean


def shown(cell: nbformat.NotebookNode) -> str:
    """A code cell's text outputs, as nbval compares them (streams and text/plain)."""
    out = []
    for o in cell.get("outputs", []):
        out.append(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", ""))
    return "".join(out)


def install(wheel: Path, venv: Path, base: str) -> None:
    """A fresh venv of the Python `base` with only the wheel (and its dependencies) in it, made away from any
    checkout."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run([base, "-m", "venv", str(venv)], cwd=venv.parent, env=env)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=venv.parent, env=env)
    say(f"installed the wheel and its dependencies into a fresh venv in {time.monotonic() - started:.0f} s")


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under `root` with its size, modification time and mode."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(folder, name)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def learner(home: Path) -> tuple[list[str], str]:
    """Who runs the lesson, and on which Python: the unprivileged `nobody` with `home` as their home folder when run
    as root (as a hub's learner is), on this Python or, when `nobody` cannot reach it (a Python under /root), the
    system's; else this user."""
    base = getattr(sys, "_base_executable", sys.executable)
    runuser = shutil.which("runuser")
    if os.geteuid() == 0 and runuser:
        as_nobody = [runuser, "-u", "nobody", "--", "/usr/bin/env", f"HOME={home}"]  # runuser sets nobody's own
        for python in (base, "/usr/bin/python3"):
            if Path(python).exists() and subprocess.run([*as_nobody, python, "-c", "import venv, ensurepip"],
                                                        capture_output=True, cwd="/").returncode == 0:
                return as_nobody, python
    return [], base


def learner_env(home: Path, as_learner: list[str]) -> dict[str, str]:
    """The learner's environment: a home folder of their own (theirs), the embedded engine, bytecode written as a
    Python writes it by default (so a write into the installed environment would show)."""
    if as_learner:
        nobody = pwd.getpwnam("nobody")
        shutil.chown(home, nobody.pw_uid, nobody.pw_gid)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "LABKIT_ENGINE": "sim",
            "LABKIT_SIM_DIR": str(home / "sim"), "LABKIT_SIM_IDLE": "600"}


def run_lesson(venv: Path, home: Path, lesson: str, as_learner: list[str]) -> None:
    """`labkit workspace` and one lesson, as a learner, from the read-only venv; check what the lesson showed."""
    bin_ = venv / "bin"
    env = learner_env(home, as_learner)
    ws = home / "workspace"
    where = run([*as_learner, str(bin_ / "python"), "-c", "import labkit, labkit.coursefiles as c; "
                 "print(labkit.__file__, c.installed(), c.course_dir())"], cwd=home, env=env).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] == "True", f"labkit did not come from the installed wheel: {where}"
    said = run([*as_learner, str(bin_ / "labkit"), "workspace", "--path", str(ws)], cwd=home, env=env).stdout
    say("labkit workspace: " + " | ".join(line.strip() for line in said.splitlines()))
    [name] = [p.name for p in ws.glob(f"{lesson}-*.ipynb")]
    started = time.monotonic()
    try:
        run([*as_learner, str(bin_ / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.timeout=300", "--output", f"ran-{name}", name], cwd=ws, env=env)
    finally:
        subprocess.run([*as_learner, str(bin_ / "labkit"), "sim", "stop"], cwd=home, env=env, capture_output=True)
    ran = nbformat.read(ws / f"ran-{name}", as_version=4)
    stored = nbformat.read(COURSE / name, as_version=4)
    errors = [i for i, c in enumerate(ran.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    clean = sanitizer()
    differ = [i for i, (a, b) in enumerate(zip(ran.cells, stored.cells, strict=True))
              if b.cell_type == "code" and clean(shown(a)) != clean(shown(b))]
    first = (differ or errors or [0])[0]
    assert not errors and not differ, (f"lesson {name}: cells with errors {errors}, cells whose output differs from "
                                       f"the stored one {differ}; cell {first} showed:\n{shown(ran.cells[first])}\n"
                                       f"stored:\n{shown(stored.cells[first])}")
    say(f"ran {name} from the workspace on the embedded engine in {time.monotonic() - started:.0f} s, "
        f"as {'nobody' if as_learner else 'this user'}: {len(ran.cells)} cells, no error, every output the stored one")


def check(lesson: str = "05", keep: bool = False) -> None:
    """Build, install, make read-only, run a lesson as a learner; an AssertionError says which part failed."""
    work = Path(tempfile.mkdtemp(prefix="labkit-wheel-"))
    work.chmod(0o755)  # the learner reaches their home folder through it
    try:
        wheel, _ = build(work / "dist")
        venv, home = work / "venv", work / "home"
        home.mkdir()
        as_learner, python = learner(home)
        install(wheel, venv, python)
        run(["chmod", "-R", "a-w", str(venv)])
        before = snapshot(venv)
        run_lesson(venv, home, lesson, as_learner)
        after = snapshot(venv)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        assert not changed, f"the read-only environment was written to: {changed[:20]}"
        say("nothing in the installed environment was written; the learner's files are all in their home folder")
    finally:
        if keep:
            say(f"kept {work}")
        else:
            subprocess.run(["chmod", "-R", "u+w", str(work)], capture_output=True)
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """The check as a script: 0 when every part holds, 1 (and why) otherwise."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lesson", default="05", help="the lesson to run from the workspace (default 05)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = ap.parse_args(argv)
    try:
        check(args.lesson, args.keep)
    except AssertionError as err:
        print(f"wheel: FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
