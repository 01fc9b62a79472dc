"""Restart policies (`docker run --restart no|always|unless-stopped|on-failure[:N]`) as dockerd 20.10 applies them.

Measured on dockerd 20.10 (tests/sim/cli_scenarios/restart-policy.txt has the CLI's view):

- a container that exits is started again unless it was stopped by hand (`docker stop`, `docker kill`, a forced
  remove): `always` and `unless-stopped` whatever its exit code, `on-failure` when the code is not 0, at most N
  times for `on-failure:N` (N = 0: no limit). The two `always` kinds differ only when the daemon restarts, and
  the embedded engine's containers end with its daemon;
- before each restart it waits, 100 ms the first time and twice as long each time after (a minute at most), from
  100 ms again once a run has lasted 10 s; meanwhile it is `restarting` (`docker ps`: `Restarting (CODE) … ago`);
- RestartCount counts the restarts since the last `docker start`.
"""

from __future__ import annotations

FIRST_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0  # a run this long starts the back-off again


def wanted(policy: dict, exit_code: int, restarts: int) -> bool:
    """Whether a container that exited by itself with exit_code, restarted `restarts` times, is started again."""
    name = (policy or {}).get("Name") or "no"
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure":
        limit = (policy or {}).get("MaximumRetryCount") or 0
        return exit_code != 0 and (limit == 0 or restarts < limit)
    return False


def next_delay(previous: float, ran_for: float) -> float:
    """How long to wait before the next restart, after a wait of `previous` (0: none yet) and a run of ran_for s."""
    if previous == 0 or ran_for >= RESET_AFTER:
        return FIRST_DELAY
    return min(previous * 2, MAX_DELAY)
