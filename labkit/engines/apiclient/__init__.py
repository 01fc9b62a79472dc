"""labkit's one Engine API client, for every daemon it speaks to: a Docker Engine, labkit's sim daemon (its
embedded engine) or any daemon serving Docker's Engine API.

connect: the daemon's address (DOCKER_HOST, docker contexts), TLS, a ping, and one-line connection errors;
engine: DockerEngine, the Engine (labkit.engines.base) over docker-py's low-level APIClient, one method per
Engine API call, and the probes of what a container listens on.
"""
