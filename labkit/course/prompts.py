"""What each exercise asks, said so that it stands on its own: for a page away from the notebook (the grader's
feedback), where "the cell above" or "this lesson's experiment" point at nothing.

`prompt(id)` is the task (a lab or answer exercise) or the question (a quiz), with what the learner needs of the
lesson's context; `choices(id)` a quiz's choices; `standalone_hint(id)` the hint to show there. A quiz's first hint
says where in the lesson the answer can be seen (see questions), so the page shows its second, the idea to reason
with; every other exercise's first hint already stands alone. Text in `backticks` is code.
"""

from __future__ import annotations

from labkit.course.exercises import EXERCISES
from labkit.course.faults import FAULTS
from labkit.course.questions import HINTS, QUESTIONS

# the task of every lab and answer exercise, with the context its hints assume (quizzes ask their question)
TASKS: dict[str, str] = {
    "01-network": "Create a user-defined bridge network named `day8-net`: the name the rest of the course uses, "
                  "character for character.",
    "02-server": "Start the server again: a container named `server`, from the image `day8`, on `day8-net`, "
                 "detached (a server runs until it is stopped: it must not block), with no published port.",
    "03-same-network": "`client` runs on `day8-network` and `server` on `day8-net`, so the name `server` does not "
                       "resolve inside `client`. Make `server` resolvable from `client` without re-creating "
                       "`server`.",
    "04-client": "A one-shot client (`docker run --rm … curlimages/curl:8.14.1 …`) runs one request and removes "
                 "itself. Start the long-running client the rest of the course uses instead: named `client`, from "
                 "`curlimages/curl:8.14.1`, on `day8-net`, idling so that you can `docker exec` into it.",
    "05-server-ip": "Find `server`'s address on `day8-net` through DNS, from inside `client`, and record it with "
                    "`labkit.answer(\"05-server-ip\", \"…\")`.",
    "08-listen-address": "Record the address `server`'s app listens on (the address before `:3000`) with "
                         "`labkit.answer(\"08-listen-address\", \"…\")`.",
    "09-fix": "`server`'s app listens on 127.0.0.1 only, so other containers cannot reach it. Change the bind "
              "address in your `day8/server.py` so that it listens on every interface (`\"0.0.0.0\"`), then "
              "make the running `server` use the new code, so that `client` gets the greeting from "
              "`http://server:3000`.",
    "10-client-ip": "Record `client`'s address on `day8-net` as the network itself reports it (without the `/16` "
                    "suffix) with `labkit.answer(\"10-client-ip\", \"…\")`.",
    "11-publish": "Run the fixed server (image `day8`, its app on port 3000) as a container named `public` that "
                  "the host can reach on port 8080.",
    "12-compose": "Bring the `shop` project (`assets/shop/compose.yaml`) up again and leave it running, so that its "
                  "`api` service reaches `db` by its service name.",
    "13-replicas": "The containers `user-1` and `user-2` (from `day8`, on `day8-net`) both answer to the name "
                   "`user-service`. Scale `user-service` to three replicas: add a container `user-3` that answers "
                   "to the same name.",
    "15-diagnosis": "The lab was built with one hidden fault: `client` does not get the greeting from "
                    "`http://api:3000`. Record its cause with `labkit.answer(\"15-cause\", \"…\")`, one of "
                    + ", ".join(f"`{f}`" for f in FAULTS) + "; then repair the lab, by any means the course "
                    "taught, so that `client` gets the greeting.",
}


def prompt(exercise_id: str) -> str | None:
    """What a released exercise asks, standing alone (a quiz's question); None for an id the course lacks."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        return None
    if ex.kind == "quiz" and exercise_id in QUESTIONS:
        return QUESTIONS[exercise_id].prompt
    return TASKS.get(exercise_id) or ex.title


def choices(exercise_id: str) -> tuple[tuple[str, str], ...]:
    """A quiz's choices as (key, text); none for any other exercise."""
    ex = EXERCISES.get(exercise_id)
    q = QUESTIONS.get(exercise_id)
    return q.choices if ex is not None and ex.kind == "quiz" and q is not None else ()


def standalone_hint(exercise_id: str) -> str | None:
    """The first hint that makes sense away from the notebook (a quiz's second); None for an id the course lacks."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        return None
    if ex.kind == "quiz" and exercise_id in HINTS:
        return HINTS[exercise_id][1]
    return ex.hints[0] if ex.hints else ""
