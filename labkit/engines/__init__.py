"""Engines behind the command contract.

base: the two protocols every engine implements; registry: the engine kinds (docker, sim), one line each, that
the CLI, the grader and the tests read; select: LABKIT_ENGINE and auto; apiclient/: the one Engine API client
(docker-py) for every daemon; docker/: the docker kind; simclient: the sim kind as a client reaches it; sim/:
the sim's daemon (labkit's embedded engine); readiness: when a started container is ready; standins: the
course's base images built without a registry.

Which engine a learner's session uses is the session's business (labkit.session); this package
never imports course or grading code.
"""
