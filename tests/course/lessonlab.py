"""What the course's exercise tests share: where the notebooks are, and the notebooks' own commands that an
exercise builds on (run after the lesson's set-up by the `course` fixture, tests/course/conftest.py)."""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CURL = "curlimages/curl:8.14.1"

# the notebooks' own commands before each exercise cell that the exercise builds on
PRELUDE = {
    "03": ["network create day8-network", f"run -d --name client --network day8-network {CURL} sleep infinity"],
    "13": ["run -d --name user-1 --network day8-net --network-alias user-service day8",
           "run -d --name user-2 --network day8-net --network-alias user-service day8"],
}
