"""Address blocks on a machine shared by several users: one user's lock files never stop another's engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import labkit

pytestmark = pytest.mark.sim_pass


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None, reason="needs root to act as another user")
def test_an_ordinary_user_claims_a_block_whose_lock_files_root_made():
    tmp_path = Path(tempfile.mkdtemp(prefix="lk-blocks-", dir="/tmp"))  # pytest's own folder is root's alone
    try:
        claim_as_nobody(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def claim_as_nobody(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(shared, 0o1777)  # like /tmp: sticky, everyone's
    for block in range(256):  # every lock file made by root before, with root's umask
        (shared / f"labkit-sim-block-{block}.lock").touch(mode=0o644)
    (shared / "labkit-sim-block-7.lock").unlink()
    (shared / "labkit-sim-block-7.lock").symlink_to("/etc/passwd")  # a link planted in the shared folder
    code = shutil.copytree(Path(labkit.__file__).parent, tmp_path / "code" / "labkit")  # a copy others can read
    subprocess.run(["chmod", "-R", "a+rX", str(tmp_path / "code")], check=True)
    probe = ("import tempfile; from labkit.engines.sim.netmodel import claim_block; "
             "b, _ = claim_block(); print(b)")
    # -S: no site-packages, so labkit is the copy (an editable install's finder would find the checkout's)
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-S", "-c",
                           probe],
                          capture_output=True, text=True, cwd=str(tmp_path),
                          env={"PATH": os.environ["PATH"], "LABKIT_SIM_LOCKS": str(shared), "PYTHONPATH": str(code.parent)})
    if proc.returncode != 0 and "Permission denied" in proc.stderr and "python" in proc.stderr.lower():
        pytest.skip("this Python cannot be run by another user")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().isdigit() and proc.stdout.strip() != "7"
    assert os.readlink(shared / "labkit-sim-block-7.lock") == "/etc/passwd"
