"""`--filter KEY=VALUE`, read as the docker CLI reads it (its FilterOpt), for every command that takes one
(`ps`, `network ls`, the `prune` commands): one rule, `read`.

The parser (labkit.contract.cmdline) reads each value as it meets the flag, so a bad one is the CLI's usage
error before anything runs; the commands turn the values into the API's form with `wanted`. The CLI only
checks each value's `KEY=VALUE` shape and sends the filters to the daemon, which applies them (and rejects the
keys it does not know): labkit does the same through the engine's list and prune calls, so Docker filters
with its own rules and the sim's daemon with the same rules (labkit.engines.sim.listfilters).
"""

from __future__ import annotations

BAD_FORMAT = "bad format of filter (expected name=value)"


def read(value: str) -> tuple[str, str] | None:
    """One --filter value as (key, value): the key lower-cased, both sides trimmed; None for an empty value
    (the CLI ignores it); ValueError(BAD_FORMAT) for one without `=`."""
    if value == "":
        return None
    key, eq, val = value.partition("=")
    if not eq:
        raise ValueError(BAD_FORMAT)
    return key.strip().lower(), val.strip()


def wanted(values: list[str] | None) -> dict[str, list[str]]:
    """The --filter values (already read by the parser) as the Engine API takes them: {key: [value, ...]}."""
    out: dict[str, list[str]] = {}
    for pair in map(read, values or []):
        if pair is not None:
            out.setdefault(pair[0], []).append(pair[1])
    return out
