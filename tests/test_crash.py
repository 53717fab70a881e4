"""A process killed with SIGKILL at random points while mutating leaves a store that loads and checks clean."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from image_pool.pools.maintenance import fsck
from image_pool.pools.manifest import Manifest
from image_pool.pools.pools import Pools

KILLS = 50
PROGRESS_DEADLINE = 60.0
PROJECT = Path(__file__).resolve().parent.parent


def wait_for_new_confirmation(confirm: Path, seen: int, child: subprocess.Popen) -> None:
    """Until the child has confirmed one more add than `seen`: every kill then lands in a process mid-work, however
    slow the machine is."""
    deadline = time.monotonic() + PROGRESS_DEADLINE
    while len(confirm.read_text().split()) <= seen:
        assert child.poll() is None, "the worker died by itself"
        assert time.monotonic() < deadline, f"no add confirmed within {PROGRESS_DEADLINE:g} s"
        time.sleep(0.005)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_at_random_points_loses_no_confirmed_slot(root, pool_id, tmp_path):
    confirm = tmp_path / "confirmed.txt"
    confirm.touch()
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT / "python"), str(PROJECT)])}
    for kill in range(KILLS):
        child = subprocess.Popen([sys.executable, "-m", "tests.workers", str(root), pool_id, str(confirm),
                                  str(kill * 10_000)], cwd=PROJECT, env=env, stdout=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"ready"
        wait_for_new_confirmation(confirm, len(confirm.read_text().split()), child)
        time.sleep(rng.uniform(0.0, 0.05))  # not a wait for anything: the kill lands wherever the child then is
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()

        manifest = Manifest.loads((Pools(root).pool_dir(pool_id) / "manifest.json").read_bytes(), pool_id)
        present = {s.id for s in manifest.slots}
        confirmed = set(confirm.read_text().split())
        assert confirmed <= present, f"kill {kill} lost confirmed slots {confirmed - present}"

    pools = Pools(root)
    report = fsck(pools)
    assert report.clean, report.problems
    assert report.pools == 1
