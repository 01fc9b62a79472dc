"""The course: one module per lesson (lessons/: its plan, set-up, exercises with their checks and tasks, questions
and predictions), the catalog that collects them, the vocabulary they are written in (vocabulary, outcomes,
labbuild), and what runs them: the lesson set-up (start), checks with hints, progress, recorded answers,
predictions, the lab's state as the engine reports it and request paths explained by Docker's rules
(labkit.netrules). What the learner sees (the %docker magics, widgets, views, diagrams) is in ui/.

Checks judge what the lab does (engine state, real requests) and what the learner recorded; they reach
the engine only through its documented protocols.
"""
