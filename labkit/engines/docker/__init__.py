"""The docker engine kind: the learner's Docker Engine (the daemon DOCKER_HOST or the docker context names),
spoken to through labkit's one Engine API client (labkit.engines.apiclient)."""
