"""gc beside adds in other processes deletes nothing a confirmed add references; gc and writes refuse to guess
when a manifest cannot be read."""

import json
import random
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from image_pool.cli.commands import main
from image_pool.errors import GcRefused, PoolDamaged
from image_pool.pools.maintenance import fsck, gc
from image_pool.pools.pools import Pools

from . import imagegen
from .conftest import tree_snapshot
from .gc_race import image, pick_victim
from .server_process import running_server

PROJECT = Path(__file__).resolve().parent.parent
LIBRARY_ADDS, HTTP_ADDS, HTTP_CLIENTS = 60, 45, 2


def child(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.gc_race", *map(str, args)], cwd=PROJECT,
                            stdout=subprocess.PIPE, text=True)


def http(url: str, path: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(f"{url}{path}", data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{path} answered {e.code}: {e.read()!r}") from None


def http_adder(url: str, pool_id: str, seed: int, log: list[str], failures: list[str]) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    try:
        for _ in range(HTTP_ADDS):
            body = (f"--b\r\nContent-Disposition: form-data; name=\"pool_id\"\r\n\r\n{pool_id}\r\n--b\r\n"
                    f"Content-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n").encode() \
                + image(rng) + b"\r\n--b--\r\n"
            manifest = http(url, "/grid_pool/add", body, "multipart/form-data; boundary=b")
            log.append(f"added {manifest['added'][0]}")
            mine.append(manifest["added"][0])
            if victim := pick_victim(rng, mine):
                http(url, "/grid_pool/remove", json.dumps({"pool_id": pool_id, "slot": victim}).encode(),
                     "application/json")
                log.append(f"removed {victim}")
    except AssertionError as e:
        failures.append(str(e))


@pytest.mark.slow
def test_gc_with_no_grace_beside_adds_in_three_processes_loses_nothing(root, pool_id, tmp_path):
    stop, library_log = tmp_path / "stop", tmp_path / "library.log"
    Pools(root).add(pool_id, [imagegen.png(seed=99)])
    with running_server(root) as (url, _, _):
        collector = child("gc", root, stop)
        adder = child("add", root, pool_id, LIBRARY_ADDS, 7, library_log)
        logs, failures = [[] for _ in range(HTTP_CLIENTS)], []
        threads = [threading.Thread(target=http_adder, args=(url, pool_id, 100 + i, logs[i], failures))
                   for i in range(HTTP_CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert adder.wait(timeout=300) == 0
        stop.touch()
        collector_said = collector.communicate(timeout=300)[0]
        adder.stdout.close()
    assert not failures, failures[:3]
    assert collector_said.startswith("runs "), collector_said
    assert int(collector_said.split()[1]) >= 1

    lines = library_log.read_text().split("\n") + [line for log in logs for line in log]
    added = {line.split()[1] for line in lines if line.startswith("added ")}
    removed = {line.split()[1] for line in lines if line.startswith("removed ")}
    assert len(added) == LIBRARY_ADDS + HTTP_CLIENTS * HTTP_ADDS
    pools = Pools(root)
    present = {s.id for s in pools.load(pool_id).slots}
    assert added - removed <= present, "every confirmed add that nobody removed is still there"
    report = fsck(pools)
    assert report.clean, report.problems[:5]


# ----- refusing to guess -------------------------------------------------------------------------------------

@pytest.fixture
def two_pools(root, three_pngs):
    pools = Pools(root)
    a, b = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    pools.add(a, three_pngs[:2])
    pools.add(b, three_pngs[2:])
    return pools, a, b


def destroy(pools: Pools, pool_id: str) -> None:
    """A manifest damaged with no valid generation left to recover from."""
    folder = pools.pool_dir(pool_id)
    (folder / "manifest.json").write_bytes(b'{"format": 1, "slots": [trunc')
    for generation in (folder / "history").iterdir():
        generation.write_bytes(b"")


def test_gc_refuses_while_a_manifest_is_unreadable_and_deletes_nothing(two_pools, root, capsys):
    pools, a, _ = two_pools
    destroy(pools, a)
    before = tree_snapshot(root / "objects")
    with pytest.raises(GcRefused, match=a):
        gc(pools, grace_days=0)
    assert main(["gc", "--grace", "0", "--root", str(root), "-q"]) == 1
    assert a in capsys.readouterr().err
    assert tree_snapshot(root / "objects") == before


def test_gc_refuses_while_pools_holds_a_folder_that_is_not_a_pool(two_pools, root):
    pools, a, _ = two_pools
    pools.pool_dir(a).rename(pools.pools_dir / f"{a}.backup")
    before = tree_snapshot(root / "objects")
    with pytest.raises(GcRefused, match="backup"):
        gc(pools, grace_days=0)
    assert tree_snapshot(root / "objects") == before


def test_writes_to_a_pool_damaged_beyond_recovery_are_refused_and_keep_what_is_left(two_pools, root):
    pools, a, _ = two_pools
    destroy(pools, a)
    before = tree_snapshot(root)
    with pytest.raises(PoolDamaged, match="fsck"):
        pools.add(a, [imagegen.png(seed=40)])
    with pytest.raises(PoolDamaged):
        pools.detach(a)
    assert tree_snapshot(root) == before


def test_fsck_says_what_really_happens_to_a_damaged_pool(two_pools):
    pools, a, b = two_pools
    destroy(pools, a)
    (pools.pool_dir(b) / "manifest.json").write_bytes(b"garbage")
    problems = fsck(pools).problems
    (about_a,) = [p for p in problems if a in p]
    (about_b,) = [p for p in problems if b in p]
    assert "opens empty" in about_a and "from history" not in about_a
    assert "opens from history generation 1" in about_b
