"""Engines behind the command contract: the protocols (base), the choice (select), readiness, docker/ and sim/.

Which engine a learner's session uses is the session's business (labkit.session); this package
never imports course or grading code.
"""
