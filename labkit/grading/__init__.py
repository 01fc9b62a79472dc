"""`labkit grade`: run learners' notebooks in fresh kernels and isolated labs, each in its sandbox, then score them
grader-side.

- `messages`: the grader's typed messages (settings, job, exercise verdict, result), each serialised once and
  checked on arrival
- `submission`: reading a submission and comparing its exercise cells with the released lesson
- `sandbox`: the box interface (BoxPlan) and the bubblewrap boxes a submission runs in (why two, and what they
  hold); `containerbox`: the same boxes as Docker containers (`--sandbox container`); `boxes`: both, by name
- `engines`: what an engine (from labkit.engines.registry) means for grading
- `kernel`: running the cells in the kernel box, with timeouts kept from outside
- `lab`: the submission's private embedded engine in its lab box, and the checks' view of it
- `worker`: grades one submission in its own process (kernel, lab, checks); answers on a pipe
- `dispatch`: one submission to one worker process (grade_one), for the local and the Dask runners alike
- `hidden`: instructors' grader-side checks, never shipped to learners
- `outdir`: writing --out safely; `report` and `feedback`: results.json, junit.xml, feedback pages, the class
  summary and gradebook; `store`: each result kept for the next run
- `run`: the command, in steps: settings checked, lessons from the instructor, the sandbox choice, kept results,
  local jobs or a Dask cluster (`cluster`), the reports

The grader's own processes read notebooks with nbformat, which validates them with jsonschema; jsonschema then
imports `rfc3987_syntax` for its "iri" format checker, which builds a grammar at import (about a second of CPU
in every grading process). The notebook schema checks no IRI, so grading processes go without it.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # an ImportError for jsonschema, which then has no "iri" checker
