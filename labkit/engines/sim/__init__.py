"""The embedded engine: Docker's container networking with no daemon, for Binder and air-gapped laptops.

It runs each container's real program (the learner's server.py) as a real process, and carries its
traffic as real TCP over loopback addresses, one pair per network namespace (netmodel); who reaches
whom follows Docker's rules (labkit.netrules). The engine class (engine) is assembled from networks,
imageops, containers, runtime and probes over the objects in model; shim is the socket layer inside a
container's Python; tools are the other programs a container runs (sh, curl, nslookup, …); server
serves one engine over a Unix socket for the grader.
"""
