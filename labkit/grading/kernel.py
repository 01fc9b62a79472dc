"""Run a submission's cells in a fresh kernel — in its kernel box (labkit.grading.sandbox) unless the
instructor chose `--sandbox none` — with a per-cell timeout, a wall-clock limit enforced from outside
(the box is killed whole), and a cap on the output kept.

The kernel talks to the grader over ZeroMQ on unix sockets (`ipc`) in a folder of the job's own, bound
into the box: the box has no network but its own loopback. Interrupts go as Jupyter messages (a box does
not pass signals on); the kernel's own stdout and stderr go nowhere.
"""

from __future__ import annotations

import math
import os
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import zmq
from jupyter_client.manager import AsyncKernelManager, KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from labkit.grading import sandbox
from labkit.grading.sandbox import BoxPlan

MAX_MESSAGE = 32 << 20  # a single output message larger than this is dropped (ZeroMQ's MAXMSGSIZE)


class BoxedKernelManager(AsyncKernelManager):
    """A KernelManager whose kernel starts inside a box (when given a plan) and is interrupted by message."""

    plan: BoxPlan | None = None
    workdir: str = ""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernel's command line, wrapped in the box."""
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.plan is None:
            return cmd
        self.kernel_spec.interrupt_mode = "message"
        sandbox.give(Path(self.connection_file).parent, self.plan.uid)
        return self.plan.argv(cmd, chdir=self.workdir)


def content_size(value: object) -> int:
    """About how many bytes a message's content keeps: the length of every string and key in it, walked without
    recursion (a kernel's message can be nested as deep as it likes)."""
    size, todo = 0, [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str | bytes):
            size += len(item)
        elif isinstance(item, dict):
            size += sum(len(str(k)) for k in item)
            todo.extend(item.values())
        elif isinstance(item, list | tuple):
            todo.extend(item)
        else:
            size += 8
    return size


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `budget` bytes of what the kernel sends, whatever its type: streams,
    displays, display updates, widget messages and errors alike. Past the budget nothing more is kept but, once
    per cell, an error cut to its name (so "the cell raised an error" and "interrupted" are still told)."""

    budget: int = 4 << 20
    dropped: bool = False

    def process_message(self, msg, cell, cell_index):  # noqa: D102 - nbclient's hook
        msg_type = msg.get("msg_type") or (msg.get("header") or {}).get("msg_type", "")
        if msg_type in ("status", "execute_input", "clear_output"):  # nothing kept (status ends the cell)
            return super().process_message(msg, cell, cell_index)
        size = content_size(msg.get("content") or {})
        if size <= self.budget:
            self.budget -= size
            return super().process_message(msg, cell, cell_index)
        self.budget, self.dropped = 0, True
        if msg_type == "error" and not any(o.get("output_type") == "error" for o in cell.outputs):
            content = msg.get("content") or {}
            stub = dict(msg, content={"ename": str(content.get("ename", "Error"))[:200],
                                      "evalue": str(content.get("evalue", ""))[:200], "traceback": []})
            return super().process_message(stub, cell, cell_index)
        return None


def execute(nb: nbformat.NotebookNode, workdir: Path, cell_timeout: float, timeout: float, env: dict[str, str],
            plan: BoxPlan | None = None, kernel_dir: Path | None = None, output_limit: int = 4 << 20,
            inside_workdir: str | None = None) -> list[str]:
    """Run every code cell top to bottom; errors and timed-out cells do not stop the rest. Notes on what went wrong."""
    notes: list[str] = []
    km = BoxedKernelManager(kernel_name="python3")
    km.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)  # the client's sockets are made from this context
    if plan is not None and kernel_dir is not None:
        km.plan, km.workdir = plan, inside_workdir or str(workdir)
        km.transport, km.ip = "ipc", str(kernel_dir / "k")
        km.connection_file = str(kernel_dir / "kernel.json")
        plan.env.update(env)
    client = CappedClient(nb, km=km, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                          interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}},
                          store_widget_state=False)  # the grader shows no widgets: their state is not kept
    client.budget = output_limit
    overran = threading.Event()

    def stop_the_box() -> None:
        overran.set()
        proc = getattr(km.provisioner, "process", None) if km.provisioner else None
        if proc is not None and proc.poll() is None:
            proc.kill()

    deadline = time.monotonic() + timeout
    watchdog = threading.Timer(timeout + 2, stop_the_box)  # the cells' own timeouts come first; this one kills
    errors = 0
    start_env = {**os.environ, **env} if plan is None else sandbox.outer_env()  # a box's is set inside it
    try:
        with client.setup_kernel(env=start_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL):
            watchdog.start()
            number = 0  # cells are named as a learner counts them: code cells only, from 1 at the top
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                number += 1
                left = deadline - time.monotonic()
                if left <= 0 or overran.is_set():
                    notes.append(f"the notebook ran longer than {timeout:g} s (the --timeout given) and was stopped; "
                                 f"code cells from {number} on did not run")
                    break
                client.timeout = max(1, math.ceil(min(cell_timeout, left)))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    notes.append(f"code cell {number} ran longer than {client.timeout:g} s and was interrupted")
                    continue
                except DeadKernelError:
                    if overran.is_set():
                        notes.append(f"the notebook ran longer than {timeout:g} s (the --timeout given): the grader "
                                     f"stopped it in code cell {number} (it ignored the interrupt)")
                    else:
                        notes.append(f"the kernel died in code cell {number}; the lab was graded as that cell left it")
                    break
                outs = cell.outputs
                if any(o.get("output_type") == "error" and o.get("ename") != "KeyboardInterrupt" for o in outs):
                    errors += 1
                if any(o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt" for o in outs):
                    notes.append(f"code cell {number} ran longer than {client.timeout:g} s (the --cell-timeout given) "
                                 "and was interrupted")
    finally:
        watchdog.cancel()
        stop_the_box_quietly(km)
    if errors:
        notes.append(f"{errors} cell(s) raised an error; the cells after them still ran")
    if client.dropped:
        notes.append(f"the notebook printed more than {output_limit // (1 << 20)} MB; the rest was not kept")
    return notes


def stop_the_box_quietly(km: KernelManager) -> None:
    """Make sure the kernel (its whole box) is gone, whatever it did to its shutdown."""
    proc = getattr(km.provisioner, "process", None) if km.provisioner else None
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
    plan = getattr(km, "plan", None)
    if plan is not None:
        plan.cleanup()
        sandbox.sweep(plan.uid)
