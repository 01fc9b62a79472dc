"""What the learner sees beyond docker's own output: the %docker magics (with shellhooks: `!docker` and `%%writefile`
after `%load_ext labkit`), the quiz and request-path widgets, the text views of the lab (listeners, topology, a
request's path) and the pictures drawn for them (diagrams on matplotlib's Agg canvas). Display only: it reads the
lab through labkit.course (state, paths, answers, the catalog), and nothing in labkit.course imports it.
"""
