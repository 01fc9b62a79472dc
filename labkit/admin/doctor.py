"""`labkit doctor`: is the lab ready? Engine, version, course images, leftovers."""

from __future__ import annotations

from collections.abc import Iterator

from labkit import session
from labkit.errors import CommandError


def diagnose(engine_name: str | None = None) -> Iterator[tuple[str, bool]]:
    """Lines of the diagnosis, each with whether it is healthy."""
    from labkit.engines import standins
    from labkit.ownership import leftovers, sessions_present

    me = session.current()
    try:
        if engine_name:
            me.use_engine(engine_name)
        engine, why = me.engine(), me.reason().removeprefix("labkit engine: ")
        version = engine.version()
    except CommandError as err:
        yield err.stderr.strip(), False
        return
    yield f"engine: {why}", True
    yield f"engine version: {version.get('Version', '?')} (API {version.get('ApiVersion', '?')})", True
    for name, state in standins.report(engine):
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
    containers, networks = leftovers(engine, me.id)
    if containers or networks:
        names = [c["Names"][0].lstrip("/") for c in containers] + [n["Name"] for n in networks]
        yield (f"your lab (session {me.id}): {len(containers)} container(s), {len(networks)} network(s) "
               f"({', '.join(names)}); remove them: labkit clean"), True
    else:
        yield f"your lab (session {me.id}): empty", True
    others = {sid: n for sid, n in sessions_present(engine).items() if sid != me.id}
    if others:
        listed = ", ".join(f"{sid} ({n})" for sid, n in sorted(others.items()))
        yield (f"other labkit sessions on this engine, left alone: {listed}; "
               "remove one with labkit clean --session ID"), True
