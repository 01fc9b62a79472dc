"""Administration: the `labkit` console script (docker, replay, clean, images, doctor, grade) and doctor."""
