"""`%docker run` without -d, as the notes write it: the server's lines appear as it prints them, and stopping
the cell forwards SIGINT to the container (as the docker CLI does), prints the rest and one line, no traceback."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.engine

SERVER = ("python3 -c \"print('Server listening on port 3000', flush=True); import time; time.sleep(120)\"")


def _run(cells: list[str], timeout: int) -> list[nbformat.NotebookNode]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True).execute()
    return nb.cells


def test_a_blocking_run_streams_and_an_interrupt_stops_it_cleanly(lab):
    cells = _run(["%load_ext labkit", f"%docker run --name lk-blocking python:3.13-slim {SERVER}",
                  "%docker ps -a --filter name=lk-blocking --format '{{.Status}}'"], timeout=15)
    outputs = cells[1].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs  # no labkit traceback
    out = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    err = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert out == "Server listening on port 3000\n"
    assert err.splitlines()[0] == "Traceback (most recent call last):"  # the container's own KeyboardInterrupt
    assert "KeyboardInterrupt" in err
    assert err.endswith("labkit: interrupted: lk-blocking got SIGINT, as `docker run` forwards it, and exited (130); "
                        "the container is kept: `docker rm lk-blocking` removes it\n"), err
    status = "".join(o.get("text", "") for o in cells[2].outputs)
    assert status.startswith("Exited (130)"), status


def test_it_in_a_notebook_says_what_to_do_instead(lab):
    cells = _run(["%load_ext labkit", "%docker run --rm -it python:3.13-slim sh"], timeout=60)
    err = "".join(o.get("text", "") for o in cells[1].outputs if o.get("name") == "stderr")
    assert err.startswith("the input device is not a TTY\n")
    assert "labkit: a notebook cell is not a terminal, so -it cannot attach" in err


IGNORES_SIGINT = ("python3 -c \"import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "print('up', flush=True); time.sleep(120)\"")
JOIN_WAITER = ("import threading\n"
               "[t.join(60) for t in threading.enumerate() if t.name.startswith('labkit-wait-')]\n"
               "print('waiter gone:', not [t for t in threading.enumerate() if t.name.startswith('labkit-wait-')])")


def test_removing_the_container_the_interrupt_left_running_prints_nothing_more(lab):
    """The interrupt's advice followed (`docker rm -f`): the cell that stopped waiting and the cells after it get
    no traceback from the waiter left behind; it ends quietly with its container."""
    cells = _run(["%load_ext labkit", f"%docker run --name lk-ignores python:3.13-slim {IGNORES_SIGINT}",
                  "%docker rm -f lk-ignores", JOIN_WAITER, "%docker ps -a --filter name=lk-ignores -q"], timeout=15)
    err = "".join(o.get("text", "") for o in cells[1].outputs if o.get("name") == "stderr")
    assert err.endswith("labkit: stopped waiting; lk-ignores keeps running (it did not stop on SIGINT): "
                        "`docker rm -f lk-ignores` removes it\n"), err
    after = [o for c in cells[2:] for o in c.outputs]
    assert not [o for o in after if o.output_type == "error"], after
    assert "".join(o.get("text", "") for o in after if o.get("name") == "stderr") == "", after
    assert [o.get("text") for o in cells[2].outputs] == ["lk-ignores\n"]
    assert [o.get("text") for o in cells[3].outputs] == ["waiter gone: True\n"]
    assert cells[4].outputs == []
