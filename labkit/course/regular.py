"""Reading a file someone else could have made: a regular file or nothing.

A learner's folder can hold a named pipe where a file is expected (an open for reading waits for a writer that
never comes), a device, a socket or a link out of the folder. `read_regular` opens the name without following a
link at its end and without waiting (O_NOFOLLOW | O_NONBLOCK), then asks the open file what it is (fstat): only
a regular file is read, anything else is an OSError like any unreadable file.
"""

from __future__ import annotations

import errno
import os
import stat

FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def read_regular(path: str, most: int | None = None) -> bytes:
    """The bytes of the regular file at path (a link, pipe, device, socket or folder is an OSError, at once);
    more than `most` bytes is an OSError too (EFBIG)."""
    fd = os.open(path, FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if most is not None and size > most:
                raise OSError(errno.EFBIG, f"larger than {most} bytes", path)
            chunks.append(chunk)
    finally:
        os.close(fd)
