"""The lessons of the course, one module each: `lNN_words.py` defines `LESSON` (labkit.course.vocabulary.Lesson),
with the lesson's title, the lab it starts from, its exercises with their checks and tasks, its questions and its
predictions. labkit.course.catalog finds them (this package imports none of them).
"""
