"""`labkit doctor`: is the lab ready? Engine, version, course images, leftovers."""

from __future__ import annotations

from collections.abc import Iterator

from labkit.contract.result import CommandError


def diagnose(engine_name: str | None = None) -> Iterator[tuple[str, bool]]:
    """Lines of the diagnosis, each with whether it is healthy."""
    from labkit import engines
    from labkit.admin.clean import leftovers
    from labkit.engines.docker import standins as images

    try:
        engine, why = engines.choose(engine_name)
        version = engine.version()
    except CommandError as err:
        yield err.stderr.strip(), False
        return
    yield f"engine: {why}", True
    yield f"engine version: {version.get('Version', '?')} (API {version.get('ApiVersion', '?')})", True
    for name, state in images.report(engine):
        if state == "missing":
            yield f"image {name}: missing; build it without a registry: labkit images --offline", False
        elif state == "real":
            yield f"image {name}: present (the real image)", True
        elif state == "built in":
            yield f"image {name}: built into the embedded engine (programs run on this machine's Python)", True
        elif state == "old stand-in":
            yield f"image {name}: stand-in from an older recipe; refresh: labkit images --offline --force", True
        else:
            yield f"image {name}: present (stand-in built from Debian packages, not the registry image)", True
    containers, networks = leftovers(engine)
    if containers or networks:
        names = [c["Names"][0].lstrip("/") for c in containers] + [n["Name"] for n in networks]
        yield (f"leftovers: {len(containers)} container(s), {len(networks)} network(s) from labkit "
               f"({', '.join(names)}); remove them: labkit clean"), True
    else:
        yield "leftovers: none", True
