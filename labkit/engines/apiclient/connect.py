"""Reach a daemon serving the Engine API through the Docker SDK: its address (one given, else DOCKER_HOST or the
docker context), TLS, a ping, and the one-line message when it does not answer."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from labkit.errors import EngineUnreachable

DEFAULT_HOST = "unix:///var/run/docker.sock"


def engine_address() -> tuple[str, dict]:
    """The Engine API address labkit will use, and the SDK kwargs for it (TLS and all).

    DOCKER_HOST wins; otherwise the current docker context (DOCKER_CONTEXT or
    ~/.docker/config.json); otherwise the default local socket.
    """
    import docker

    if os.environ.get("DOCKER_HOST"):
        kwargs = docker.utils.kwargs_from_env()
        return kwargs.get("base_url", os.environ["DOCKER_HOST"]), kwargs
    try:
        from docker.context import ContextAPI

        name = os.environ.get("DOCKER_CONTEXT")
        ctx = ContextAPI.get_context(name)
        if ctx is not None and ctx.Host:
            kwargs = {"base_url": ctx.Host}
            if ctx.TLSConfig is not None:
                kwargs["tls"] = ctx.TLSConfig
            return ctx.Host, kwargs
    except Exception:  # a broken context file must not hide the default socket
        pass
    return DEFAULT_HOST, {"base_url": DEFAULT_HOST}


def unreachable_message(address: str, err: BaseException | None = None) -> str:
    """One line naming why the daemon at address cannot be reached and what to do."""
    tail = "or point labkit at another engine with DOCKER_HOST or `docker context use`"
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if not os.path.exists(path):
            return (f"labkit: cannot reach Docker: no socket at {path} (Docker is not installed or not "
                    f"running); start Docker (e.g. `sudo systemctl start docker` or open Docker Desktop), "
                    f"{tail}")
        if not os.access(path, os.R_OK | os.W_OK):
            return (f"labkit: cannot reach Docker: permission denied on {path}; add yourself to the "
                    f"docker group (`sudo usermod -aG docker $USER`, then log in again), {tail}")
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(path)
            s.close()
        except PermissionError:
            return (f"labkit: cannot reach Docker: permission denied on {path}; add yourself to the "
                    f"docker group (`sudo usermod -aG docker $USER`, then log in again), {tail}")
        except OSError:
            return (f"labkit: cannot reach Docker: the socket {path} exists but no daemon answers "
                    f"(Docker is not running); start it (`sudo systemctl start docker` or open Docker "
                    f"Desktop), {tail}")
        return (f"labkit: cannot reach Docker at {address}: the daemon did not answer in time "
                f"({_short(err)}); check that it is healthy (`docker info`), {tail}")
    return (f"labkit: cannot reach Docker at {address} ({_short(err)}); check DOCKER_HOST or your "
            f"docker context and that the daemon is running, {tail}")


def _short(err: BaseException | None) -> str:
    if err is None:
        return "no answer"
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:160]


def connect(timeout: float = 60.0, address: str | None = None):
    """A docker.APIClient for the engine (the configured one, or `address`), or the one-line reason it cannot be had."""
    import docker

    if address:
        kwargs: dict = {"base_url": address}
    else:
        address, kwargs = engine_address()
    try:
        client = docker.APIClient(version="auto", timeout=timeout, **kwargs)
    except Exception as err:  # version negotiation pings the daemon
        raise EngineUnreachable(unreachable_message(address, err) + "\n", 1) from None
    return client


@dataclass(frozen=True)
class Ping:
    """The answer to a ping: did a daemon answer, at which address, and if one could not be spoken to, why."""

    ok: bool
    address: str
    problem: str = ""  # set when something is there but unusable (TLS, configuration), not for "nobody answered"


def ping(timeout: float = 2.0) -> Ping:
    """Whether a daemon answers within timeout seconds at the configured address."""
    import docker
    import requests

    try:
        address, kwargs = engine_address()
    except docker.errors.DockerException as err:  # DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH unusable
        return Ping(False, os.environ.get("DOCKER_HOST", DEFAULT_HOST), f"its configuration is unusable ({_short(err)})")
    try:
        client = docker.APIClient(version="auto", timeout=timeout, **kwargs)
        ok = bool(client.ping())
        client.close()
        return Ping(ok, address)
    except requests.exceptions.SSLError as err:
        return Ping(False, address, f"a TLS error ({_short(err)})")
    except docker.errors.TLSParameterError as err:
        return Ping(False, address, f"a TLS configuration error ({_short(err)})")
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, docker.errors.DockerException, OSError):
        return Ping(False, address)
