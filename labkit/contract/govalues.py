"""The values Go templates see in the docker CLI, and how Go prints them.

Engine API documents are JSON; the CLI runs a template first on its Go types, and when that fails, again on
the raw JSON (`map[string]interface{}`, numbers as json.Number, missingkey=error). `typed()` marks what the Go
types hold: the API's maps (`Labels`, `Options`, `Ports`, …) print as `map[k:v]` with sorted keys and answer
`<no value>` for a missing key; JSON objects that are Go structs fail with `map has no entry for key` (the
raw fallback's words); a null slice prints `[]`, a null map `map[]`. Go prints a struct as `{field field}`
from its declaration, which the JSON does not carry in full: labkit prints the few it knows and says so for
the others. `raw()` is the fallback's view, which prints exactly from the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable


class Unsupported(Exception):
    """Something Go templates can do that labkit does not reproduce (said in labkit's own words)."""


class _NoValue:
    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


NOVALUE = _NoValue()  # Go's invalid reflect.Value: a map's missing key


class Nil:
    """A JSON null where Go holds a nil slice or map (it prints [] or map[], not <nil>)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __len__(self) -> int:
        return 0


class Omitted(str):
    """A Go struct's empty string field that the JSON left out (omitempty): "" to templates, absent from json."""


class RawMap(dict):
    """A JSON object as the CLI's raw fallback holds it (map[string]interface{}): prints as map[k:v] whatever it
    is, a missing key is an error (missingkey=error)."""


class JsonNumber(str):
    """A JSON number in the raw fallback (Go's json.Number, a string type)."""


class TypedFail(Exception):
    """The CLI's typed pass fails here (a JSON name Go's struct spells otherwise): run the raw fallback."""


# JSON keys whose Go field is named otherwise (HostConfig.Dns is DNS in Go): the typed pass cannot reach them
RENAMED = {"Dns", "DnsOptions", "DnsSearch"}


def raw(value: object) -> object:
    """The JSON document as the CLI's raw fallback decodes it (UseNumber: numbers are json.Number)."""
    if isinstance(value, dict):
        return RawMap({k: raw(v) for k, v in value.items()})
    if isinstance(value, list):
        return [raw(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return JsonNumber(json.dumps(value))
    return value


class GoMap(dict):
    """A JSON object that is a Go map in the CLI's types (sorted keys, missing key = <no value>)."""


class PtrMap(GoMap):
    """A Go map whose values are pointers (NetworkSettings.Networks): Go prints their addresses."""


class Context:
    """A formatter context (`docker ps`/`network ls`/`images --format`): fields and methods by name."""

    def __init__(self, type_name: str, fields: dict[str, Callable[..., object]], json_keys: list[str]) -> None:
        self.type_name = type_name
        self.fields = fields
        self.json_keys = json_keys

    def field(self, name: str, args: list) -> object:
        """The value of .Name, or of a method call like `.Label "k"`; KeyError when there is none."""
        fn = self.fields[name]
        return fn(*args)

    def as_json(self) -> dict:
        """What `{{json .}}` prints: the context's fields, sorted as Go marshals a map."""
        return {k: self.fields[k]() for k in sorted(self.json_keys)}


_MAPS = {"Labels", "Options", "ExposedPorts", "Volumes", "Ports", "PortBindings", "Containers", "DriverOpts",
         "Sysctls", "Tmpfs", "StorageOpt", "Annotations", "ConfigFrom_", "Peers_", "Services", "Networks"}
_SLICES = {"Links", "Cmd", "Entrypoint", "Env", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Aliases", "Binds",
           "Mounts", "CapAdd", "CapDrop", "Devices", "DNSNames", "OnBuild", "Shell", "GroupAdd", "SecurityOpt",
           "VolumesFrom", "Config", "RepoTags", "RepoDigests", "Layers", "DeviceCgroupRules", "ConsoleSize",
           "BlkioWeightDevice", "MaskedPaths", "ReadonlyPaths", "IPAMConfig_", "Ulimits", "Args"}
_STRUCT_SHAPES = [("HostIp", "HostPort"), ("Name", "EndpointID", "MacAddress", "IPv4Address", "IPv6Address")]


def typed(value: object, key: str = "", parent: str = "") -> object:
    """The JSON document as the CLI's Go types hold it (maps, structs, nil slices and maps)."""
    if value is None:
        if parent in ("Ports", "PortBindings"):
            return Nil("slice")
        if key in _MAPS:
            return Nil("map")
        if key in _SLICES:
            return Nil("slice")
        return None
    if isinstance(value, dict):
        if key == "Networks" and parent == "NetworkSettings":
            return PtrMap({k: typed(v, k, key) for k, v in value.items()})
        if key in _MAPS and not (key == "Config" and parent == "IPAM"):
            return GoMap({k: typed(v, "", key) for k, v in value.items()})
        doc = {k: typed(v, k, key) for k, v in value.items()}
        if parent == "IPAM" and key == "":  # an IPAM.Config entry: Go's struct has these even when JSON omits them
            doc = {"Subnet": Omitted(), "IPRange": Omitted(), "Gateway": Omitted(), **doc}
        return doc
    if isinstance(value, list):
        return [typed(v, "", parent if key == "Config" and parent == "IPAM" else key) for v in value]
    return value


# -- printing ---------------------------------------------------------------------------------------
def go_float(x: float) -> str:
    """Go's %v of a float64 (strconv 'g', shortest; exponent below 1e-4 and from 1e21)."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "+Inf" if x > 0 else "-Inf"
    r = repr(x)
    if "e" in r and 0 <= int(r.partition("e")[2]) < 21:
        return f"{x:.1f}"[:-2]
    return r[:-2] if r.endswith(".0") else r


def print_value(v: object, inner: bool = False) -> str:
    """What text/template prints for a value ({{.X}}), Go's fmt %v rules."""
    if v is NOVALUE:
        return "<no value>" if not inner else "<invalid reflect.Value>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Nil):
        return "[]" if v.kind == "slice" else "map[]"
    if isinstance(v, list):
        return "[" + " ".join(print_value(x, True) for x in v) + "]"
    if isinstance(v, PtrMap):
        if v:
            raise Unsupported("prints Go pointers (memory addresses), which labkit does not imitate; "
                              "print their fields (range, index) or use json")
        return "map[]"
    if isinstance(v, (GoMap, RawMap)):
        return "map[" + " ".join(f"{k}:{print_value(v[k], True)}" for k in sorted(v)) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        if tuple(v) in _STRUCT_SHAPES:
            return "{" + " ".join(print_value(x, True) for x in v.values()) + "}"
        raise Unsupported("prints a Go struct, whose fields labkit cannot list as the CLI's Go types do; "
                          "print its fields, or use json")
    if isinstance(v, Context):
        raise Unsupported("prints a Go struct, which labkit does not imitate; print its fields, or use json")
    return str(v)


def truth(v: object) -> bool:
    """Go template truth: false, 0, nil and empty values are false; structs are true."""
    if v is NOVALUE or v is None or isinstance(v, Nil):
        return False
    if isinstance(v, (GoMap, RawMap, list, str)):
        return len(v) > 0
    if isinstance(v, dict) or isinstance(v, Context):
        return True
    return bool(v)


def go_quote(s: str, chr_: bool = False) -> str:
    """Go's %q (strconv.Quote), or a rune's quote with chr_."""
    q = "'" if chr_ else '"'
    out = []
    for ch in s:
        if ch == q or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return q + "".join(out) + q


def go_json(v: object) -> str:
    """Docker's `json` function: json.Marshal (compact, HTML characters escaped)."""
    text = json.dumps(_plain(v), separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _plain(v: object) -> object:
    if v is NOVALUE or v is None:
        return None
    if isinstance(v, Nil):
        return None
    if isinstance(v, Context):
        return {k: _plain(x) for k, x in v.as_json().items()}
    if isinstance(v, JsonNumber):
        return json.loads(v)
    if isinstance(v, (GoMap, RawMap)):
        return {k: _plain(v[k]) for k in sorted(v)}
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if not isinstance(x, Omitted)}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def go_type(v: object) -> str:
    if isinstance(v, Context):
        return v.type_name.lstrip("*")
    if isinstance(v, JsonNumber):
        return "json.Number"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "[]interface {}"
    return "map[string]interface {}"
