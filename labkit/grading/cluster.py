"""`labkit grade … --scheduler tcp://HOST:8786`: one Dask task per submission, graded by the workers of a running
Dask cluster (`dask scheduler` / `dask worker`, dask-jobqueue on SLURM, dask-kubernetes).

Each task carries what it needs: the submission's bytes, the course assets (as a tar, sent to the cluster once)
and the hidden checks' text. A worker needs only labkit installed, no shared filesystem: it unpacks them into a
folder of its own and grades exactly as local grading does (labkit.grading.dispatch.grade_one: a worker process,
the same sandbox), so a result is the same wherever it was graded. The settings go out and each result comes back
in its one serialised form (labkit.grading.messages), checked on arrival. A worker that dies mid-task has its task tried
once more on another worker (the scheduler's allowed-failures is set to 1 for the run, then restored); a second
death reports the submission as not graded, with the reason.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from labkit.course.regular import read_regular
from labkit.errors import CommandError
from labkit.grading.dispatch import Item, grade_one, lost
from labkit.grading.messages import GradeResult, GradeSettings
from labkit.version import DISTRIBUTION

RETRIES_ON_WORKER_DEATH = 1


def connect(address: str, timeout: float = 10):
    """A Dask client for the scheduler at address, or a one-line error saying what to do."""
    try:
        from distributed import Client
    except ImportError:
        raise CommandError("labkit grade: --scheduler needs Dask's distributed package here and on every worker: "
                           f"pip install '{DISTRIBUTION}[cluster]'\n", 2) from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CommandError(f"labkit grade: no Dask scheduler answers at {address} ({first[:160]}); start one with "
                           "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`\n", 2) from None


def tar_folder(folder: Path) -> bytes:
    """A folder's files as a tar archive (the course assets, sent to the cluster once)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(str(folder), arcname=".")
    return buf.getvalue()


def package(item: Item) -> dict:
    """One submission as a task's argument: its bytes and what the instructor's layout says about it."""
    try:
        data = read_regular(str(item.path))  # a link in a learner's folder is not followed
    except OSError:
        data = b""  # graded as a notebook that cannot be read, with the reason
    return {"name": item.path.name, "notebook": data, "path": str(item.path),
            "learner": item.learner, "lesson": item.lesson, "assignment": item.assignment}


def common(settings: GradeSettings) -> dict:
    """What every task shares: the run's settings, the assets and the hidden checks (names and text)."""
    return {"settings": settings.to_json(), "assets": tar_folder(Path(settings.assets)),
            "hidden": [(Path(h).name, Path(h).read_bytes()) for h in settings.hidden]}


def grade_task(sub: dict, shared: dict) -> dict:
    """On a worker: unpack the submission, the assets and the hidden checks, and grade as local grading does; the
    result in its serialised form (GradeResult.to_json), naming the instructor's file, not the worker's copy."""
    with tempfile.TemporaryDirectory(prefix="labkit-task-") as tmp:
        root = Path(tmp)
        assets = root / "assets"
        assets.mkdir()
        with tarfile.open(fileobj=io.BytesIO(shared["assets"]), mode="r:gz") as tar:
            for member in tar.getmembers():  # our own archive of plain files; refuse anything else all the same
                if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in member.name:
                    raise ValueError(f"unexpected entry in the course assets: {member.name}")
            tar.extractall(assets)  # noqa: S202 - every member checked above
        hidden = []
        for i, (name, text) in enumerate(shared["hidden"]):
            p = root / f"hidden-{i}-{Path(name).name}"
            p.write_bytes(text)
            hidden.append(str(p))
        (root / "sub").mkdir()
        nb = root / "sub" / Path(sub["name"]).name
        nb.write_bytes(sub["notebook"])
        settings = replace(GradeSettings.from_json(shared["settings"]), assets=str(assets), hidden=tuple(hidden))
        result = grade_one(Item(nb, sub["learner"], sub["lesson"], sub["assignment"]), settings, sub["path"])
    return result.to_json()


def _set_allowed_failures(n: int, dask_scheduler=None) -> int:
    """On the scheduler: set how often a task may lose its worker; the value it had."""
    before = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = n
    return before


def grade_on(address: str, work: list[tuple[int, Item]], settings: GradeSettings,
             done: Callable[[int, GradeResult], None]) -> None:
    """Grade every (index, Item) of work on the cluster at address; done(index, result) as each one finishes (a
    submission the cluster could not grade: a lost result, and why)."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    client = connect(address)
    before = client.run_on_scheduler(_set_allowed_failures, RETRIES_ON_WORKER_DEATH)
    futures = {}
    run = secrets.token_hex(6)  # task keys unique on a scheduler other runs (other instructors) may share
    try:
        shared = client.scatter(common(settings), broadcast=True)
        for i, item in work:
            fut = client.submit(grade_task, package(item), shared, pure=False, key=f"labkit-grade-{run}-{i}")
            futures[fut] = (i, item)
        for fut in as_completed(futures):
            i, item = futures[fut]
            try:
                result = GradeResult.from_json(fut.result())  # a ValueError (MessageError) when malformed
            except KilledWorker:
                result = lost(item, settings.hidden, f"the Dask worker grading it died, twice (on "
                                                     f"{RETRIES_ON_WORKER_DEATH + 1} workers); see the workers' logs")
            except Exception as err:  # noqa: BLE001 - the task itself failed on the worker, or answered nonsense
                result = lost(item, settings.hidden, f"the Dask worker could not grade it ({type(err).__name__}: "
                                                     f"{str(err)[:160]})")
            done(i, result)
    finally:
        for fut in futures:
            fut.cancel()
        try:
            client.run_on_scheduler(_set_allowed_failures, before)
        finally:
            client.close()
