"""`labkit grade`: run learners' notebooks in fresh kernels and isolated labs, each in its sandbox, then score them
grader-side.

- `submission`: reading a submission and comparing its exercise cells with the released lesson
- `sandbox`: the bubblewrap boxes a submission runs in (why two, and what they hold)
- `kernel`: running the cells in the kernel box, with timeouts kept from outside
- `lab`: the submission's private embedded engine in its lab box, and the checks' view of it
- `worker`: grades one submission in its own process (kernel, lab, checks); answers on a pipe
- `hidden`: instructors' grader-side checks, never shipped to learners
- `outdir`: writing --out safely; `report`: results.json, junit.xml, feedback, the class summary
- `run`: the command: lessons from the instructor, the sandbox choice, parallel jobs, progress
"""
