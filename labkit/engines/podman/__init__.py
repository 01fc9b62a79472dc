"""The podman engine kind: a Podman service (`podman system service`) spoken to through its Docker-compatible
Engine API by labkit's one client (labkit.engines.apiclient), with what Podman 4.x answers differently from
Docker mended where it is only a shape (image names, `ps` rows, list order, removing networks by name, `top`)
and never where it is Podman's behaviour (its DNS, its published ports: those are taught as Podman's).

engine: PodmanEngine; detect: is the daemon at an address Podman; dnswait: aardvark-dns's stall after a
container change, waited out with a deadline; learner: the kind's factory (labkit.engines.registry).
"""
