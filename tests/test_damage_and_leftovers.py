"""A pool whose manifest.json became a folder is a 409 like any damaged pool; gc removes the lock files of pools that
are gone, safely beside a change that waits for one (issue 22, rows 11 and 13)."""

import os

import pytest

from image_pool.api.server import make_app
from image_pool.pools.maintenance import gc
from image_pool.pools.pools import Pools
from image_pool.store.lock import FileLock

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import error_of


@pytest.mark.parametrize("path,body", [("label", {"label": "x"}), ("remove", {}), ("active", {})])
async def test_a_manifest_replaced_by_a_folder_is_a_409_and_changes_nothing(aiohttp_client, root, pool_id, path, body):
    pools = Pools(root)
    _, (slot,) = pools.add(pool_id, [imagegen.png(seed=1)])
    manifest = pools.pool_dir(pool_id) / "manifest.json"
    manifest.unlink()
    manifest.mkdir()
    before = tree_snapshot(root)
    client = await aiohttp_client(make_app(root))
    response = await client.post(f"/grid_pool/{path}", json={"pool_id": pool_id, "slot": slot, **body})
    assert await error_of(response, 409) == "pool_damaged"
    assert "folder" in (await response.json())["error"]["message"]
    assert tree_snapshot(root) == before
    listing = await client.get(f"/grid_pool/list?pool_id={pool_id}")
    assert listing.status == 200 and (await listing.json())["slots"][0]["id"] == slot, "read from history"


def test_gc_removes_the_lock_files_of_deleted_pools_and_keeps_the_others(root):
    pools = Pools(root)
    made = [f"5b0c0c1e-{i:04d}-4000-8000-000000000000" for i in range(200)]
    for pool_id in made:
        pools.set_name(pool_id, "short-lived")
        pools.delete(pool_id)
    kept = "123e4567-e89b-12d3-a456-426614174000"
    pools.add(kept, [imagegen.png(seed=1)])
    report = gc(pools, grace_days=14)
    assert len(report.locks) == 200
    assert [p.name for p in (root / "locks").iterdir()] == [f"{kept}.lock"]
    pools.set_name(made[0], "back")  # a pool of a removed lock's id can be made again
    assert pools.load(made[0]).name == "back"


def test_a_lock_removed_while_another_holder_waits_still_excludes(root, pool_id):
    """A waiter that opened the lock file before gc removed it takes the lock on the path as it is now, so it and a
    newcomer never both hold the pool."""
    pools = Pools(root)
    pools.set_name(pool_id, "gone soon")
    pools.delete(pool_id)
    first = pools.lock(pool_id)
    assert first.try_acquire()
    stale = FileLock(first.path)
    stale_fd = stale._open()  # opened now, locked later: the moment gc's unlink can slip in between
    first.release()
    assert pools.lock(pool_id).remove_if_unused(lambda: not pools.exists(pool_id))
    newcomer = pools.lock(pool_id)
    assert newcomer.try_acquire()
    os.close(stale_fd)
    assert not stale.try_acquire(), "the path names the newcomer's file, which is held"
    newcomer.release()
    assert stale.try_acquire()
    stale.release()


def test_gc_never_removes_the_lock_of_a_pool_being_made(root, pool_id):
    pools = Pools(root)
    lock = pools.lock(pool_id)
    assert lock.try_acquire()  # a change making the pool holds it
    try:
        assert gc(pools, grace_days=14).locks == []
        assert lock.path.exists()
    finally:
        lock.release()
