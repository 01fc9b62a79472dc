"""The learner's engine of the podman kind: the Podman service DOCKER_HOST (or the docker context) names."""

from __future__ import annotations

from labkit.engines.podman.engine import PodmanEngine


def learner_engine() -> tuple[PodmanEngine, str]:
    """The Engine API client for the Podman service this machine is configured for (connected on first use),
    and a few words on where it is."""
    engine = PodmanEngine()
    return engine, f"Podman's Docker-compatible API at {engine.address}"
