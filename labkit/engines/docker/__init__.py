"""The docker engine: a real Docker Engine through the Docker SDK (connect: address, TLS, one-line
connection errors; engine: the Engine API calls and probes; standins: the course's base images built
offline from Debian packages)."""
