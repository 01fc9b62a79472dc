"""labkit: the helper library of the container-networking course.

    import labkit
    r = labkit.docker("network create day8-net")   # r.exit_code, r.stdout, r.stderr

In IPython/Jupyter: `%load_ext labkit`, then `%docker ps` or a `%%docker` cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.result import Result

__version__ = "0.1.0"


def __getattr__(name: str):
    """Import lazily, so that a container program under the embedded engine starts light."""
    if name == "Result":
        from labkit.result import Result

        return Result
    if name == "set_lesson":
        from labkit.ownership import set_lesson

        return set_lesson
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


def docker(line: str, cwd: str | None = None) -> Result:
    """Run one docker CLI command line on the chosen engine; returns its Result."""
    from labkit.transcript import run_line

    line = line.strip()
    if not line.startswith("docker ") and line != "docker":
        line = "docker " + line
    return run_line(line, cwd=cwd)


def host(line: str, cwd: str | None = None) -> Result:
    """Run a command on the host side of the lab: this machine, where published ports listen on either engine."""
    from labkit.transcript import run_line

    return run_line(line, cwd=cwd)


def load_ipython_extension(ipython) -> None:
    """`%load_ext labkit`: registers %docker and %%docker."""
    from labkit.magics import register

    register(ipython)


__all__ = ["docker", "host", "Result", "set_lesson", "load_ipython_extension", "__version__"]
