"""Administration: the `labkit` console script (docker, replay, clean, images, doctor, sim, workspace, grade), doctor
and the learner's workspace."""
