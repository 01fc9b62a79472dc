"""`labkit grade`: run learners' notebooks in fresh kernels and isolated labs, then score them grader-side.

- `submission`: reading a submission and finding its lesson and exercise cells
- `worker`: grades one submission in its own process (kernel, engine, checks)
- `hidden`: instructors' grader-side checks, never shipped to learners
- `report`: results.json, junit.xml, feedback per learner, the class summary
- `run`: the command: discovery, parallel jobs, progress
"""
