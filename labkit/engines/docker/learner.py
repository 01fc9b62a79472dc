"""The learner's engine of the docker kind: the Docker daemon DOCKER_HOST or the docker context names."""

from __future__ import annotations

from labkit.engines.apiclient.engine import DockerEngine


def learner_engine() -> tuple[DockerEngine, str]:
    """The Engine API client for the Docker daemon this machine is configured for (connected on first use),
    and nothing to add about it ("")."""
    return DockerEngine(), ""
