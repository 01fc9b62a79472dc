"""`--out`: written by the grader alone, atomically, never through a link, never over a file it did not write.

The folder is new or empty, or one an earlier `labkit grade` wrote: it keeps the list of what it wrote in
`.labkit-grade`. Anything else in it — a link (`summary.csv -> ../README.md`), a file someone put there —
is refused before grading starts, in one line. Every file is written to a fresh temporary name in the same
folder (O_EXCL, O_NOFOLLOW, relative to the folder's own descriptor) and renamed over the old one, so a
reader never sees half a report and a link is replaced, never followed.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

from labkit.errors import CommandError
from labkit.grading.text import clean_line

MARK = ".labkit-grade"


def _refuse(out: Path, why: str) -> CommandError:
    return CommandError(clean_line(f"labkit grade: --out {out} {why}; name a new or empty folder") + "\n", 2)


class OutDir:
    """The --out folder, opened once; write() puts one file in it."""

    def __init__(self, out: Path) -> None:
        self.path = out
        try:
            info = os.lstat(out)
        except FileNotFoundError:
            out.mkdir(parents=True)
            info = os.lstat(out)
        if stat.S_ISLNK(info.st_mode):
            raise _refuse(out, "is a link")
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(out, "is not a folder")
        self.fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        self.written: set[str] = set()
        entries = set(self._walk(self.fd, ""))
        if entries:
            try:
                self.written = set(json.loads(self.read(MARK)))
            except (OSError, ValueError, TypeError):
                raise _refuse(out, "has files labkit grade did not write") from None
            folders = {w.rsplit("/", n)[0] for w in self.written for n in range(1, w.count("/") + 1)}
            strange = sorted(entries - self.written - folders - {MARK})
            if strange:
                raise _refuse(out, f"has {strange[0]}, which labkit grade did not write")
        self._save_mark()

    def _walk(self, dirfd: int, prefix: str) -> list[str]:
        found = []
        for name in os.listdir(dirfd):
            rel = prefix + name
            st = os.lstat(name, dir_fd=dirfd)
            if stat.S_ISLNK(st.st_mode):
                raise _refuse(self.path, f"has a link ({rel})")
            found.append(rel)
            if stat.S_ISDIR(st.st_mode):
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
                try:
                    found += self._walk(sub, rel + "/")
                finally:
                    os.close(sub)
            elif not stat.S_ISREG(st.st_mode):
                raise _refuse(self.path, f"has {rel}, which is not a regular file")
        return found

    def _save_mark(self) -> None:
        self._put(self.fd, MARK, json.dumps(sorted(self.written), indent=0).encode())

    def _put(self, dirfd: int, name: str, data: bytes) -> None:
        try:
            st = os.lstat(name, dir_fd=dirfd)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise _refuse(self.path, f"has {name}, which is not a regular file")
        tmp = f".{name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dirfd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dirfd)
            except OSError:
                pass
            raise

    def write(self, rel: str, data: bytes | str) -> None:
        """Write one file (rel may be in folders: `feedback/LEARNER/ASSIGNMENT/NAME`), atomically. Text is written as
        UTF-8, what UTF-8 cannot hold (a lone surrogate) escaped as `\\udcff`, never an error."""
        if isinstance(data, str):
            data = data.encode("utf-8", errors="backslashreplace")
        folder, _, name = rel.rpartition("/")
        dirfd = self.fd
        for part in folder.split("/") if folder else []:  # each folder made here, entered without following a link
            try:
                os.mkdir(part, 0o755, dir_fd=dirfd)
            except FileExistsError:
                pass
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
            if dirfd != self.fd:
                os.close(dirfd)
            dirfd = inner
        try:
            if rel not in self.written:
                self.written.add(rel)
                self._save_mark()
            self._put(dirfd, name, data)
        finally:
            if dirfd != self.fd:
                os.close(dirfd)

    def read(self, rel: str) -> str:
        """Read one file this folder holds (rel may be `graded/NAME`), never through a link."""
        folder, _, name = rel.rpartition("/")
        dirfd = self.fd
        try:
            for part in folder.split("/") if folder else []:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
                if dirfd != self.fd:
                    os.close(dirfd)
                dirfd = inner
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
        finally:
            if dirfd != self.fd:
                os.close(dirfd)
        with os.fdopen(fd, encoding="utf-8") as f:
            return f.read()

    def close(self) -> None:
        """Close the folder."""
        os.close(self.fd)
