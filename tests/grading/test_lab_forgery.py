"""A class whose *container programs* attack the grade: they run in the lab box beside the private daemon, so
each tries to make the grader believe something its code wrote. Graded as root and as an ordinary user on
bubblewrap, and as root with `--sandbox container` where a Docker daemon runs: every attack gains nothing, no
injected command runs, nothing of the grader's environment reaches a report, the honest classmates get every
point and nothing is left running.

- swap-socket: renames the daemon's socket, listens in its place and relays to the real one, answering /info
  with a host address that carries shell commands (the host-side check of lesson 11 would have run them).
- lying-neighbour: a helper container reports a 0.0.0.0:3000 listener for the server and serves the greeting
  on the server's real address (lesson 09 without the fix).
- environ: the "server" serves every environment it can read in /proc (the boxes' first processes included),
  and lesson 09's check quotes what client got back.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.grading.corpus import released, solve
from tests.grading.modes import grade_in, modes
from tests.grading.test_adversarial import leftovers

SECRET = "GRADER-SECRET-5be1"  # in the grader's environment only
SETUP = '%reload_ext labkit\nimport labkit\nlabkit.lesson("{lesson}")'

FIND_SOCKET = '''
def find_socket():
    for pid in os.listdir("/proc"):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--socket" in argv:
            return argv[argv.index(b"--socket") + 1].decode()
'''

SWAP = '''import os, socket, threading, time
''' + FIND_SOCKET + '''
sock = find_socket()
real = sock + ".real"
try:
    os.rename(sock, real)
except OSError as err:
    print("rename refused:", err, flush=True)
else:
    forged = ('{"Labels": ["labkit.host_address=127.0.0.9;touch MARKER;#"], "Containers": 1, '
              '"ContainersRunning": 1}').encode()
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(sock)
    srv.listen(16)

    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def handle(c):
        first = c.recv(65536)
        if b"/info " in first.split(b"\\r\\n")[0]:
            c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n"
                      b"Connection: close\\r\\n\\r\\n" % len(forged) + forged)
            c.close()
            return
        up = socket.socket(socket.AF_UNIX)
        up.connect(real)
        up.sendall(first)
        threading.Thread(target=pipe, args=(up, c), daemon=True).start()
        pipe(c, up)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
while True:
    time.sleep(60)
'''

LIAR = '''import glob, json, os, time, _socket
[topo_file] = glob.glob("/tmp/labkit-sim-*/topology.json")
topo = json.load(open(topo_file))
sid, server = next((cid, c) for cid, c in topo["containers"].items() if c["name"] == "server")
for log in glob.glob(os.path.dirname(topo_file) + "/**/listen.jsonl", recursive=True):
    if sid in log:
        try:
            with open(log, "a") as f:
                f.write(json.dumps({"addr": "0.0.0.0", "port": 3000, "family": 4}) + "\\n")
        except OSError as err:
            print("report refused:", err, flush=True)
s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
s.bind((server["iface"], 3000))
s.listen(16)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nHello from inside the container\\n")
    c.close()
'''

ENVIRON = '''import os, socket
dump = []
for pid in os.listdir("/proc"):
    try:
        dump.append(open(f"/proc/{pid}/environ", "rb").read().replace(b"\\0", b" "))
    except OSError:
        pass
body = b" ".join(dump).replace(b"\\n", b" ") + b"\\n"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 3000))
s.listen(16)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\\r\\n\\r\\n" + body)
    c.close()
'''


HIDDEN = """
from labkit.grading.hidden import hidden_check

@hidden_check("11-socket-kept", lesson="11", points=1, title="The lab's socket stayed the daemon's")
def _(ctx):
    r = ctx.docker("logs swapper")
    kept = r.exit_code != 0 or "rename refused" in r.stdout
    return [("no program of the lab replaced the daemon's socket", kept, "")]
"""


def image_cells(tag: str, program: str, run: str) -> list[str]:
    """Cells that build an image (tag) whose program is `program` and run it (`run`: the docker run arguments)."""
    write = (f"import pathlib\nd = pathlib.Path('{tag.split(':')[0]}')\nd.mkdir(exist_ok=True)\n"
             f"(d / 'attack.py').write_text({program!r})\n"
             f"(d / 'Dockerfile').write_text('FROM python:3.13-slim\\nWORKDIR /app\\nCOPY attack.py .\\n"
             f"CMD [\"python3\", \"-u\", \"attack.py\"]\\n')")
    return [write, f"%docker build -t {tag} {tag.split(':')[0]}", f"%docker run -d {run} {tag}"]


def attacks(marker: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (lesson, cells after the set-up)."""
    return {
        # it does lesson 11's exercise too: the grade must be its honest one, the forged host address never used
        "swap-socket": ("11", [*image_cells("swapper", SWAP.replace("MARKER", marker), "--name swapper"),
                               "%docker run -d --name public -p 8080:3000 day8"]),
        "lying-neighbour": ("09", image_cells("liar", LIAR, "--name helper --network day8-net")),
        # its "server" answers with every environment it can read: the check quotes the reply in the feedback
        "environ": ("09", ["%docker rm -f server", *image_cells("day8", ENVIRON, "--name server --network day8-net")]),
    }


def write_class(subs: Path, marker: str) -> None:
    """Each attack, then an honest classmate of its lesson."""
    subs.mkdir(parents=True)
    for name, (lesson, cells) in attacks(marker).items():
        nb = new_notebook(cells=[new_code_cell(SETUP.format(lesson=lesson)), *map(new_code_cell, cells)])
        nbformat.write(nb, subs / f"a-{name}-{lesson}.ipynb")
        nbformat.write(solve(released(lesson)), subs / f"b-{name}-classmate-{lesson}.ipynb")


EARNED = {"swap-socket": 3}  # what each attack's notebook earns honestly (11-publish and the kept socket)


def points(r: dict) -> int:
    return sum(e["points"] for e in r["exercises"])


@pytest.mark.sim_pass
@pytest.mark.parametrize("mode", modes())
def test_container_programs_cannot_forge_the_lab(tmp_path_factory, monkeypatch, mode):
    base = tmp_path_factory.mktemp(f"forge-{mode}")
    marker = base / "injected"
    subs, out, jobs = base / "subs", base / "out", base / "jobs"
    jobs.mkdir()
    write_class(subs, str(marker))
    hidden = base / "hidden.py"
    hidden.write_text(HIDDEN)
    monkeypatch.setenv("LABKIT_TEST_GRADER_SECRET", SECRET)
    results = {r["learner"]: r for r in grade_in(mode, [str(subs)], out, jobs, [str(hidden)])}
    for name, (lesson, _) in attacks(str(marker)).items():
        attack, honest = results[f"a-{name}-{lesson}"], results[f"b-{name}-classmate-{lesson}"]
        assert points(attack) == EARNED.get(name, 0) and not attack.get("error"), (name, attack)
        assert points(honest) == sum(e["max"] for e in honest["exercises"]) > 0, (name, honest)
    assert not marker.exists()  # the forged host address never reached a shell
    everything = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".png")
    assert SECRET not in everything
    assert "LABKIT_SIM_SOCKET" not in everything and "JPY_PARENT_PID" not in everything
    assert leftovers(str(jobs)) == []
