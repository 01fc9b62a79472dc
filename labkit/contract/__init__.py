"""The docker command contract: a docker CLI command line in, the CLI's output and exit code out.

cmdline parses a line as the docker CLI 28 does; commands, containers and compose turn it into Engine
API calls on any engine (labkit.engines.base); render prints the answers as the CLI prints them, one
renderer for both engines; transcript runs lines and files of them (docker lines on the engine, other
lines on the host); normalise makes two runs comparable for the conformance tests.
"""
