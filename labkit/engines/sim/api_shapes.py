"""The JSON shapes of the Engine API's request bodies, checked before anything reads them.

dockerd decodes a body into Go structs: a value of the wrong JSON type fails the decoding
(`json: cannot unmarshal string into Go struct field … of type int64`, answered 500 by dockerd 20.10 for a
container create and 400 for a network or an exec), null is the zero value, and keys it does not know are
ignored. The embedded engine checks the same types here, so that no wrong type reaches the code behind the
routes (where it would be a Python traceback), and answers 400 naming the field in its own words:
`invalid value for HostConfig.Memory: expected an integer, got a string`.

A shape is a Python type (str, bool, INT for Go's int64), or one of List, Map, Struct, STRSLICE (Go's
StrSlice: a string or a list of strings), ANY.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.errors import BadRequest

INT64 = (-(2 ** 63), 2 ** 63 - 1)


class _Int:
    """Go's int64: a JSON number without fraction or exponent, in range."""


INT = _Int()
ANY = object()


@dataclass(frozen=True)
class List:
    """A JSON array of one shape."""

    item: object


@dataclass(frozen=True)
class Map:
    """A JSON object with keys of the client's choosing, values of one shape."""

    value: object


@dataclass(frozen=True)
class Struct:
    """A JSON object with known keys (others are ignored, as Go ignores them)."""

    fields: dict


STRSLICE = object()  # Go's strslice.StrSlice: "cmd" or ["cmd", "arg"]

_KIND = {str: "a string", bool: "true or false", dict: "an object", list: "an array"}


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return _KIND.get(type(value), type(value).__name__)


def _want(shape) -> str:
    if shape is INT:
        return "an integer"
    if shape is STRSLICE:
        return "a string or an array of strings"
    if isinstance(shape, List):
        return "an array"
    if isinstance(shape, (Map, Struct)):
        return "an object"
    return _KIND[shape]


def _bad(path: str, shape, value) -> BadRequest:
    return BadRequest(f"invalid value for {path}: expected {_want(shape)}, got {_kind(value)}")


def check(value, shape, path: str) -> None:
    """Raise BadRequest naming the field (path) when value does not have shape; null is always allowed."""
    if value is None or shape is ANY:
        return
    if shape is INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(path, shape, value)
        if not INT64[0] <= value <= INT64[1]:
            raise BadRequest(f"invalid value for {path}: {value} is out of range (a 64-bit integer)")
    elif shape is STRSLICE:
        if not isinstance(value, str):
            check(value, List(str), path)
    elif isinstance(shape, List):
        if not isinstance(value, list):
            raise _bad(path, shape, value)
        for i, item in enumerate(value):
            check(item, shape.item, f"{path}[{i}]")
    elif isinstance(shape, Map):
        if not isinstance(value, dict):
            raise _bad(path, shape, value)
        for key, item in value.items():
            check(item, shape.value, f"{path}.{key}")
    elif isinstance(shape, Struct):
        if not isinstance(value, dict):
            raise _bad(path, shape, value)
        for key, sub in shape.fields.items():
            if key in value:
                check(value[key], sub, f"{path}.{key}" if path else key)
    elif shape is bool:
        if not isinstance(value, bool):
            raise _bad(path, shape, value)
    elif not isinstance(value, shape):
        raise _bad(path, shape, value)


def body(value, shape: Struct) -> dict:
    """A request body checked against shape; {} for none (null)."""
    check(value, shape, "")
    return value or {}


# -- the bodies ----------------------------------------------------------------------------------------
STRS = List(str)
STRMAP = Map(str)
_WEIGHT_DEVICE = List(Struct({"Path": str, "Weight": INT}))
_THROTTLE = List(Struct({"Path": str, "Rate": INT}))

ENDPOINT = Struct({
    "IPAMConfig": Struct({"IPv4Address": str, "IPv6Address": str, "LinkLocalIPs": STRS}),
    "Links": STRS, "Aliases": STRS, "NetworkID": str, "EndpointID": str, "Gateway": str, "IPAddress": str,
    "IPPrefixLen": INT, "IPv6Gateway": str, "GlobalIPv6Address": str, "GlobalIPv6PrefixLen": INT, "MacAddress": str,
    "DriverOpts": STRMAP})

HOST_CONFIG = Struct({
    "Binds": STRS, "ContainerIDFile": str, "LogConfig": Struct({"Type": str, "Config": STRMAP}),
    "NetworkMode": str, "PortBindings": Map(List(Struct({"HostIp": str, "HostPort": str}))),
    "RestartPolicy": Struct({"Name": str, "MaximumRetryCount": INT}), "AutoRemove": bool, "VolumeDriver": str,
    "VolumesFrom": STRS, "Mounts": List(Map(ANY)), "ConsoleSize": List(INT), "CapAdd": STRSLICE, "CapDrop": STRSLICE,
    "CgroupnsMode": str, "Dns": STRS, "DnsOptions": STRS, "DnsSearch": STRS, "ExtraHosts": STRS, "GroupAdd": STRS,
    "IpcMode": str, "Cgroup": str, "Links": STRS, "OomScoreAdj": INT, "PidMode": str, "Privileged": bool,
    "PublishAllPorts": bool, "ReadonlyRootfs": bool, "SecurityOpt": STRS, "StorageOpt": STRMAP, "Tmpfs": STRMAP,
    "UTSMode": str, "UsernsMode": str, "ShmSize": INT, "Sysctls": STRMAP, "Runtime": str, "Isolation": str,
    "MaskedPaths": STRS, "ReadonlyPaths": STRS, "Init": bool,
    # Resources
    "CpuShares": INT, "Memory": INT, "NanoCpus": INT, "CgroupParent": str, "BlkioWeight": INT,
    "BlkioWeightDevice": _WEIGHT_DEVICE, "BlkioDeviceReadBps": _THROTTLE, "BlkioDeviceWriteBps": _THROTTLE,
    "BlkioDeviceReadIOps": _THROTTLE, "BlkioDeviceWriteIOps": _THROTTLE, "CpuPeriod": INT, "CpuQuota": INT,
    "CpuRealtimePeriod": INT, "CpuRealtimeRuntime": INT, "CpusetCpus": str, "CpusetMems": str,
    "Devices": List(Map(ANY)), "DeviceCgroupRules": STRS, "DeviceRequests": List(Map(ANY)), "KernelMemory": INT,
    "KernelMemoryTCP": INT, "MemoryReservation": INT, "MemorySwap": INT, "MemorySwappiness": INT,
    "OomKillDisable": bool, "PidsLimit": INT, "Ulimits": List(Struct({"Name": str, "Hard": INT, "Soft": INT})),
    "CpuCount": INT, "CpuPercent": INT, "IOMaximumIOps": INT, "IOMaximumBandwidth": INT})

CONTAINER_CREATE = Struct({
    "Hostname": str, "Domainname": str, "User": str, "AttachStdin": bool, "AttachStdout": bool, "AttachStderr": bool,
    "ExposedPorts": Map(Map(ANY)), "Tty": bool, "OpenStdin": bool, "StdinOnce": bool, "Env": STRS, "Cmd": STRSLICE,
    "Healthcheck": Struct({"Test": STRS, "Interval": INT, "Timeout": INT, "StartPeriod": INT, "Retries": INT}),
    "ArgsEscaped": bool, "Image": str, "Volumes": Map(Map(ANY)), "WorkingDir": str, "Entrypoint": STRSLICE,
    "NetworkDisabled": bool, "MacAddress": str, "OnBuild": STRS, "Labels": STRMAP, "StopSignal": str,
    "StopTimeout": INT, "Shell": STRSLICE, "HostConfig": HOST_CONFIG,
    "NetworkingConfig": Struct({"EndpointsConfig": Map(ENDPOINT)})})

EXEC_CREATE = Struct({
    "User": str, "Privileged": bool, "Tty": bool, "ConsoleSize": List(INT), "AttachStdin": bool,
    "AttachStderr": bool, "AttachStdout": bool, "Detach": bool, "DetachKeys": str, "Env": STRS, "WorkingDir": str,
    "Cmd": STRSLICE})

EXEC_START = Struct({"Detach": bool, "Tty": bool, "ConsoleSize": List(INT)})

NETWORK_CREATE = Struct({
    "Name": str, "CheckDuplicate": bool, "Driver": str, "Scope": str, "EnableIPv6": bool,
    "IPAM": Struct({"Driver": str, "Options": STRMAP, "Config": List(Struct({
        "Subnet": str, "IPRange": str, "Gateway": str, "AuxiliaryAddresses": STRMAP}))}),
    "Internal": bool, "Attachable": bool, "Ingress": bool, "ConfigOnly": bool,
    "ConfigFrom": Struct({"Network": str}), "Options": STRMAP, "Labels": STRMAP})

NETWORK_CONNECT = Struct({"Container": str, "EndpointConfig": ENDPOINT})
NETWORK_DISCONNECT = Struct({"Container": str, "Force": bool})
