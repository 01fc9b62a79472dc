"""`--filter` for `docker ps` and `docker network ls`: read as the docker CLI reads them.

The CLI only checks each value's `KEY=VALUE` shape and sends the filters to the daemon, which applies them
(and rejects the keys it does not know): labkit does the same through the engine's list calls, so Docker
filters with its own rules and the embedded engine's daemon with the same rules (labkit.engines.sim.listfilters).
"""

from __future__ import annotations

from labkit.errors import CommandError


def parse(values: list[str] | None, command: str) -> dict[str, list[str]]:
    """The --filter values as {key: [value, ...]}; the CLI's usage error for one without `=`."""
    out: dict[str, list[str]] = {}
    for item in values or []:
        key, eq, value = item.partition("=")
        if not eq:
            usage = {"ps": "docker ps [OPTIONS]", "network ls": "docker network ls [OPTIONS]"}[command]
            raise CommandError(f'invalid argument "{item}" for "-f, --filter" flag: bad format of filter (expected '
                               f"name=value)\n\nUsage:  {usage}\n\nRun 'docker {command} --help' for more "
                               "information\n", 125)
        out.setdefault(key.strip().lower(), []).append(value.strip())
    return out
