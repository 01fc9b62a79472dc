"""What the embedded engine does with each field of a container create, an exec create or a network create: it
applies the field as Docker does, or refuses it in its own words. It never accepts a setting and ignores it.

A refusal is a 400 `{"message": "labkit's embedded engine does not implement --health-cmd
(Healthcheck)"}`: the docker CLI flag a learner typed and the Engine API field a library sent. The
values the clients send when nothing is asked (the docker CLI 28's `RestartPolicy {"Name": "no"}`,
`MemorySwappiness -1`, `ConsoleSize [0, 0]`; docker-py's `NetworkDisabled false`) pass.

Before a refusal come dockerd's own range checks, in dockerd's words (recorded on Docker 20.10): a learner who
asks for something Docker itself refuses hears Docker's reason. The types were checked before (api_shapes).
"""

from __future__ import annotations

import ipaddress
import re
import signal

from labkit.errors import BadRequest, EngineError, NotFound

ENGINE = "labkit's embedded engine"


def refuse(flag: str, field: str, why: str = "") -> BadRequest:
    """The embedded engine's refusal of a setting it does not implement: the CLI flag, the API field, and why
    (what it does instead) when that helps."""
    return BadRequest(f"{ENGINE} does not implement {flag} ({field})" + (f": {why}" if why else ""))


def _unset(value) -> bool:
    return value is None or value == "" or value == 0 or value is False or value == [] or value == {}


# HostConfig fields the engine does not implement: field -> the docker run flag (refused unless unset)
HOST_REFUSED = {
    "Binds": "-v/--volume", "VolumeDriver": "--volume-driver", "VolumesFrom": "--volumes-from", "Mounts": "--mount",
    "CapAdd": "--cap-add", "CapDrop": "--cap-drop", "Dns": "--dns", "DnsOptions": "--dns-option",
    "DnsSearch": "--dns-search", "ExtraHosts": "--add-host", "GroupAdd": "--group-add", "Cgroup": "a cgroup to join",
    "Links": "--link", "OomScoreAdj": "--oom-score-adj", "PidMode": "--pid", "Privileged": "--privileged",
    "PublishAllPorts": "-P/--publish-all", "ReadonlyRootfs": "--read-only", "SecurityOpt": "--security-opt",
    "StorageOpt": "--storage-opt", "Tmpfs": "--tmpfs", "UTSMode": "--uts", "UsernsMode": "--userns",
    "ShmSize": "--shm-size", "Sysctls": "--sysctl", "Init": "--init",
    "CpuShares": "-c/--cpu-shares", "Memory": "-m/--memory", "NanoCpus": "--cpus", "CgroupParent": "--cgroup-parent",
    "BlkioWeight": "--blkio-weight", "BlkioWeightDevice": "--blkio-weight-device",
    "BlkioDeviceReadBps": "--device-read-bps", "BlkioDeviceWriteBps": "--device-write-bps",
    "BlkioDeviceReadIOps": "--device-read-iops", "BlkioDeviceWriteIOps": "--device-write-iops",
    "CpuPeriod": "--cpu-period", "CpuQuota": "--cpu-quota", "CpuRealtimePeriod": "--cpu-rt-period",
    "CpuRealtimeRuntime": "--cpu-rt-runtime", "CpusetCpus": "--cpuset-cpus", "CpusetMems": "--cpuset-mems",
    "Devices": "--device", "DeviceCgroupRules": "--device-cgroup-rule", "DeviceRequests": "--gpus",
    "KernelMemory": "--kernel-memory", "KernelMemoryTCP": "a TCP kernel memory limit",
    "MemoryReservation": "--memory-reservation", "MemorySwap": "--memory-swap", "OomKillDisable": "--oom-kill-disable",
    "Ulimits": "--ulimit", "CpuCount": "--cpu-count", "CpuPercent": "--cpu-percent", "IOMaximumIOps": "--io-maxiops",
    "IOMaximumBandwidth": "--io-maxbandwidth",
}
# HostConfig fields whose default is not the zero value: field -> (the values meaning "Docker's default", flag)
HOST_DEFAULTS = {
    "MemorySwappiness": ((None, -1), "--memory-swappiness"),
    "PidsLimit": ((None, 0, -1), "--pids-limit"),  # -1 and 0: no limit
    "MaskedPaths": ((None,), "--security-opt systempaths=unconfined"),  # [] is "unconfined", not the default
    "ReadonlyPaths": ((None,), "--security-opt systempaths=unconfined"),
    "CgroupnsMode": ((None, "", "private"), "--cgroupns"),  # private: the daemon's default on cgroup v2
    "IpcMode": ((None, "", "private", "shareable"), "--ipc"),
    "Runtime": ((None, "", "runc"), "--runtime"),
    "Isolation": ((None, "", "default"), "--isolation"),
}
# Config fields the engine does not implement: field -> flag
CONFIG_REFUSED = {"Domainname": "--domainname", "Volumes": "-v/--volume (an anonymous volume)",
                  "NetworkDisabled": "a container without networking (NetworkDisabled)",
                  "MacAddress": "--mac-address"}
ENDPOINT_REFUSED = {"IPAMConfig": "--ip/--ip6/--link-local-ip", "Links": "--link", "DriverOpts": "--driver-opt"}

# dockerd 20.10's built-in log drivers (`docker info`: Plugins.Log, and none): another name is a plugin it looks up
DOCKERD_LOG_DRIVERS = {"awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries", "splunk",
                       "syslog", "none"}

# The fields taken as they come, and why (with the tables above, every field of api_shapes has its decision here)
CONFIG_APPLIED = {
    "Hostname": "applied", "ExposedPorts": "applied", "Tty": "applied", "OpenStdin": "applied", "Env": "applied",
    "Cmd": "applied", "Entrypoint": "applied", "Image": "applied", "Labels": "applied", "WorkingDir": "applied",
    "StopTimeout": "applied (a stop without ?t= waits it)", "HostConfig": "its fields decided one by one",
    "NetworkingConfig": "its fields decided one by one",
    "User": "applied (users: the image's passwd and group files; a Python program's os.getuid() and the tools)",
    "Healthcheck": "only its absence or --no-healthcheck (Test NONE); else refused",
    "StopSignal": "only SIGTERM; else refused",
    "AttachStdin": "kept in Config, as dockerd keeps it: how the client attaches",
    "AttachStdout": "kept in Config, as dockerd keeps it: how the client attaches",
    "AttachStderr": "kept in Config, as dockerd keeps it: how the client attaches",
    "StdinOnce": "applied (stdinfeed: the first attached client's end of stdin ends the program's)",
    "ArgsEscaped": "Windows only: dockerd ignores it on Linux",
    "OnBuild": "for images built FROM a commit of the container: no effect on the container",
    "Shell": "for images built FROM a commit of the container: no effect on the container",
}
HOST_APPLIED = {
    "NetworkMode": "applied", "PortBindings": "applied (TCP, one host port, IPv4; else refused)",
    "AutoRemove": "applied", "RestartPolicy": "applied (restarts.py)",
    "LogConfig": "json-file without options (the default) applied; else refused",
    "ContainerIDFile": "the CLI writes that file; dockerd only keeps the name",
    "ConsoleSize": "a TTY's size at start: the embedded engine's TTYs have none",
}
ENDPOINT_APPLIED = {
    "Aliases": "applied",
    **{key: "the endpoint's state, filled in by the daemon: dockerd 20.10 ignores it in a request (recorded)"
       for key in ("NetworkID", "EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                   "GlobalIPv6Address", "GlobalIPv6PrefixLen", "MacAddress")},
}


# -- dockerd's own checks (its words) ------------------------------------------------------------------------
def docker_checks(body: dict) -> None:
    """dockerd's validation of a create body that the embedded engine shares, in dockerd's order and words."""
    host = body.get("HostConfig") or {}
    wd = body.get("WorkingDir") or ""
    if wd and not wd.startswith("/"):
        raise BadRequest(f"the working directory '{wd}' is invalid, it needs to be an absolute path")
    for entry in body.get("Env") or []:
        if not entry or entry.startswith("="):
            raise BadRequest(f"invalid environment variable: {entry or ''}")
    if body.get("StopSignal"):
        _signal_number(body["StopSignal"])
    _check_ports(body.get("ExposedPorts") or {}, host.get("PortBindings") or {})
    _check_restart(host)
    memory = host.get("Memory") or 0
    if memory and memory < 6 * 1024 * 1024:
        raise BadRequest("Minimum memory limit allowed is 6MB")
    swappiness = host.get("MemorySwappiness")
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise BadRequest(f"Invalid value: {swappiness}, valid memory swappiness range is 0-100")
    if (host.get("ShmSize") or 0) < 0:
        raise BadRequest("SHM size can not be less than 0")
    adj = host.get("OomScoreAdj") or 0
    if not -1000 <= adj <= 1000:
        raise BadRequest(f"Invalid value {adj}, range for oom score adj is [-1000, 1000]")
    if host.get("CgroupnsMode") not in (None, "", "private", "host"):
        raise BadRequest(f"invalid cgroup namespace mode: {host['CgroupnsMode']}")
    if host.get("Isolation") not in (None, "", "default"):
        raise BadRequest(f"Invalid isolation: \"{host['Isolation']}\" - linux only supports 'default'")
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    if len(endpoints) > 1:
        raise BadRequest("Container cannot be connected to network endpoints: " + ", ".join(endpoints))


def _signal_number(name: str) -> int:
    """A signal by name (SIGTERM, TERM) or number, as dockerd's signal.ParseSignal reads it; its error otherwise."""
    try:
        return int(signal.Signals(int(name))) if name.isdigit() else \
            int(signal.Signals["SIG" + name.upper().removeprefix("SIG")])
    except (KeyError, ValueError):
        raise BadRequest(f"Invalid signal: {name}") from None


_PORT_KEY = re.compile(r"(\d+)(?:/([a-z]+))?")


def _check_ports(exposed: dict, bindings: dict) -> None:
    """Port keys (80/tcp) and host ports as dockerd reads them: `invalid port specification: "70000"`. (dockerd
    20.10 takes any exposed key at create, `abc/tcp` too; the embedded engine wants a number there.)"""
    for key in [*exposed, *bindings]:
        match = _PORT_KEY.fullmatch(key)
        if not match or (key in bindings and int(match[1]) > 65535):
            raise BadRequest(f'invalid port specification: "{key.split("/")[0]}"')
    for binds in bindings.values():
        for bind in binds or []:
            host_port = (bind or {}).get("HostPort") or ""
            for part in host_port.split("-") if host_port else []:
                if not part.isdigit() or int(part) > 65535:
                    raise BadRequest(f'invalid port specification: "{host_port}"')


def _check_restart(host: dict) -> None:
    policy = host.get("RestartPolicy") or {}
    name, count = policy.get("Name") or "", policy.get("MaximumRetryCount") or 0
    if name not in ("", "no", "always", "unless-stopped", "on-failure"):
        raise BadRequest(f"invalid restart policy '{name}'")
    if count < 0:
        raise BadRequest("maximum retry count cannot be negative")
    if count and name in ("no", "always", "unless-stopped"):
        raise BadRequest(f"maximum retry count cannot be used with restart policy '{name}'")
    if name not in ("", "no") and host.get("AutoRemove"):
        raise BadRequest("can't create 'AutoRemove' container with restart policy")


# -- the embedded engine's refusals ------------------------------------------------------------------------
def container_refusals(body: dict) -> None:
    """Refuse, in the embedded engine's words, every create setting it would otherwise not apply."""
    host = body.get("HostConfig") or {}
    for key, flag in CONFIG_REFUSED.items():
        if not _unset(body.get(key)):
            raise refuse(flag, key)
    test = (body.get("Healthcheck") or {}).get("Test") or []
    if test and test != ["NONE"]:  # ["NONE"]: --no-healthcheck; the embedded engine's images have none
        raise refuse("--health-cmd", "Healthcheck")
    stop = body.get("StopSignal") or ""
    if stop and _signal_number(stop) != signal.SIGTERM:
        raise refuse(f"--stop-signal {stop}", "StopSignal")
    if (body.get("StopTimeout") or 0) < 0:
        raise refuse(f"--stop-timeout {body['StopTimeout']}", "StopTimeout", "a stop waits a number of seconds")
    for key, flag in HOST_REFUSED.items():
        if not _unset(host.get(key)):
            raise refuse(f"{flag} {host[key]}" if isinstance(host[key], str) else flag, f"HostConfig.{key}")
    for key, (defaults, flag) in HOST_DEFAULTS.items():
        if host.get(key) not in defaults:
            raise refuse(f"{flag} {host[key]}" if isinstance(host[key], (str, int)) else flag, f"HostConfig.{key}")
    log = host.get("LogConfig") or {}
    if (log.get("Type") or "json-file") not in DOCKERD_LOG_DRIVERS:  # neither built in nor a plugin: dockerd's words
        raise BadRequest(f'error looking up logging plugin {log["Type"]}: plugin "{log["Type"]}" not found')
    if (log.get("Type") or "json-file") != "json-file":
        raise refuse(f"--log-driver {log['Type']}", "HostConfig.LogConfig.Type", "its containers log as json-file")
    if log.get("Config"):
        raise refuse("--log-opt", "HostConfig.LogConfig.Config")
    for key, binds in (host.get("PortBindings") or {}).items():
        _binding_refusals(key, binds or [])
    mode = host.get("NetworkMode") or "default"
    for net, settings in ((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}).items():
        if net != mode and {net, mode} != {"default", "bridge"}:
            raise refuse(f"an endpoint on {net}", f"NetworkingConfig.EndpointsConfig.{net}",
                         f"the container's network is {mode}")
        endpoint_refusals(settings or {}, f"NetworkingConfig.EndpointsConfig.{net}")


def _binding_refusals(key: str, binds: list) -> None:
    proto = key.partition("/")[2] or "tcp"
    for bind in binds:
        bind = bind or {}
        host_port, host_ip = bind.get("HostPort") or "", bind.get("HostIp") or ""
        if proto != "tcp":
            raise refuse(f"-p .../{proto}", f"HostConfig.PortBindings.{key}", "it publishes TCP ports only")
        if "-" in host_port:
            raise refuse(f"-p {host_port}:...", f"HostConfig.PortBindings.{key}", "a range of host ports")
        if host_ip:
            try:
                address = ipaddress.ip_address(host_ip)
            except ValueError:
                raise BadRequest(f"invalid value for HostConfig.PortBindings.{key}: {host_ip!r} is not an IP "
                                 "address") from None
            if address.version == 6:
                raise refuse(f"-p [{host_ip}]:...", f"HostConfig.PortBindings.{key}", "it publishes on IPv4 only")


def endpoint_refusals(settings: dict, where: str) -> None:
    """Refuse what an endpoint's settings ask beyond aliases (a fixed address, legacy links, driver options)."""
    for key, flag in ENDPOINT_REFUSED.items():
        value = settings.get(key)
        if key == "IPAMConfig" and value:
            value = {k: v for k, v in value.items() if v}
        if not _unset(value):
            raise refuse(flag, f"{where}.{key}")


# -- exec ----------------------------------------------------------------------------------------------------
def exec_refusals(body: dict) -> None:
    """Refuse the exec settings the embedded engine does not implement (--privileged); -u and -w are applied."""
    if body.get("Privileged"):
        raise refuse("docker exec --privileged", "Privileged")


# -- networks ------------------------------------------------------------------------------------------------
_DRIVERS_REFUSED = ("overlay", "macvlan", "ipvlan")


def network_checks(body: dict) -> None:
    """A network create body: dockerd's refusals in its words (recorded on 20.10), then the embedded engine's."""
    if not body.get("Name"):
        raise BadRequest("network name is required")
    driver = body.get("Driver") or "bridge"
    if driver in ("host", "null"):
        raise EngineError(f'only one instance of "{driver}" network is allowed', 403)
    if driver not in ("bridge", *_DRIVERS_REFUSED):
        raise NotFound(f'plugin "{driver}" not found')
    if (body.get("Scope") or "local") in ("swarm", "global"):
        raise EngineError("cannot create a swarm scoped network when swarm is not active", 403)
    ipam = body.get("IPAM") or {}
    if (ipam.get("Driver") or "default") != "default":
        raise NotFound(f'plugin "{ipam["Driver"]}" not found')
    configs = ipam.get("Config") or []
    if len(configs) > 1 and not body.get("EnableIPv6"):
        raise EngineError("bridge driver doesn't support multiple subnets", 403)
    if driver in _DRIVERS_REFUSED:
        raise refuse(f"--driver {driver}", "Driver")
    for key, flag in (("EnableIPv6", "--ipv6"), ("Ingress", "--ingress"), ("ConfigOnly", "--config-only"),
                      ("Options", "-o/--opt")):
        if not _unset(body.get(key)):
            raise refuse(flag, key)
    if (body.get("ConfigFrom") or {}).get("Network"):
        raise refuse("--config-from", "ConfigFrom")
    if (body.get("Scope") or "local") != "local":
        raise refuse(f"--scope {body['Scope']}", "Scope")
    for i, config in enumerate(c or {} for c in configs):
        _subnet_checks(config, f"IPAM.Config[{i}]")


def _subnet_checks(config: dict, where: str) -> None:
    subnet, gateway = config.get("Subnet") or "", config.get("Gateway") or ""
    if subnet:
        try:
            net = ipaddress.ip_network(subnet, strict=False)
        except ValueError:
            raise BadRequest(f"Invalid subnet {subnet} : invalid CIDR address: {subnet}") from None
        if net.version == 6:
            raise refuse(f"--subnet {subnet}", f"{where}.Subnet", "its networks are IPv4 only")
    if gateway:
        try:
            address = ipaddress.ip_address(gateway)
        except ValueError:
            raise EngineError(f"invalid gateway address {gateway} in Ipam configuration", 500) from None
        if not subnet:
            raise refuse("--gateway without --subnet", f"{where}.Gateway")
        if address not in ipaddress.ip_network(subnet, strict=False):
            raise EngineError(f"failed to allocate gateway ({gateway}): Requested address is out of range", 500)
    if config.get("IPRange"):
        raise refuse("--ip-range", f"{where}.IPRange")
    if config.get("AuxiliaryAddresses"):
        raise refuse("--aux-address", f"{where}.AuxiliaryAddresses")
