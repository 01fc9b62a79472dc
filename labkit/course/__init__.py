"""The course: lessons (the lab each notebook starts from), exercises and their checks, recorded answers,
the lab's state as the engine reports it, request paths explained by Docker's rules (labkit.netrules),
diagrams, text views, widgets and the %docker magics.

Checks judge what the lab does (engine state, real requests) and what the learner recorded; they reach
the engine only through its documented protocols.
"""
