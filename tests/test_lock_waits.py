"""A pool locked by another process: its requests answer 503 with Retry-After after a short wait, and every other
pool, and every read, is served meanwhile."""

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from image_pool.api.server import make_app
from image_pool.pools.pools import Pools

from . import imagegen
from .http_helpers import add, error_of

PROJECT = Path(__file__).resolve().parent.parent
LOCKED_REQUESTS = 16  # more than the server has write threads


@pytest.fixture
def held_lock(root, pool_id, tmp_path):
    """Pool `pool_id` (with one slot) locked by another process until the test ends."""
    Pools(root).add(pool_id, [imagegen.png(seed=1)])
    release = tmp_path / "release"
    child = subprocess.Popen([sys.executable, "-m", "tests.lock_holder", str(Pools(root).lock(pool_id).path),
                              str(release)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"

    def let_go():
        release.touch()
        child.wait(timeout=30)
    child.let_go = let_go
    yield child
    let_go()
    child.stdout.close()


async def test_a_locked_pool_answers_503_and_never_stalls_other_pools(aiohttp_client, root, pool_id, held_lock):
    client = await aiohttp_client(make_app(root, lock_timeout=1.0))
    slot = (await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json())["slots"][0]["id"]
    locked = [asyncio.ensure_future(client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": slot,
                                                                          "label": f"try {i}"}))
              for i in range(LOCKED_REQUESTS)]
    await asyncio.sleep(0)

    other_pool = "123e4567-e89b-12d3-a456-426614174000"
    other = await add(client, other_pool, imagegen.png(seed=2))  # a write to another pool goes through
    assert len(other["slots"]) == 1
    listing = await client.get("/grid_pool/pools")
    assert listing.status == 200 and held_lock.poll() is None, "served while the lock was still held"

    for response in await asyncio.gather(*locked):
        assert await error_of(response, 503) == "pool_busy"
        assert int(response.headers["Retry-After"]) > 0
    assert held_lock.poll() is None
    assert Pools(root).load(pool_id).slot(slot).label == ""


async def test_the_pool_is_writable_again_once_the_lock_is_released(aiohttp_client, root, pool_id, held_lock):
    client = await aiohttp_client(make_app(root, lock_timeout=0.5))
    slot = (await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json())["slots"][0]["id"]
    label = {"pool_id": pool_id, "slot": slot, "label": "free"}
    await error_of(await client.post("/grid_pool/label", json=label), 503)
    held_lock.let_go()
    response = await client.post("/grid_pool/label", json=label)
    assert response.status == 200 and (await response.json())["slots"][0]["label"] == "free"


async def test_adds_and_imports_waiting_for_a_running_gc_never_stall_another_pools_change(aiohttp_client, root,
                                                                                           pool_id, tmp_path):
    """Another process holds the gc lock (a running gc) while more adds, imports and detaches arrive than there are
    write threads: they wait on the event loop, so a label to another pool (the one being detached, even) answers."""
    pools = Pools(root)
    other = "123e4567-e89b-12d3-a456-426614174000"
    _, (slot,) = pools.add(other, [imagegen.png(seed=2)])
    from image_pool.pools.archive import export_pool
    source = Pools(tmp_path / "source")
    source.add("5b0c0c1e-5555-4555-8555-555555555555", [imagegen.png(seed=3)])
    export_pool(source, "5b0c0c1e-5555-4555-8555-555555555555", tmp_path / "a.tar")
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-m", "tests.lock_holder", str(pools.store_lock.path), str(release)],
                              cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        client = await aiohttp_client(make_app(root, lock_timeout=60))

        def an_import():
            data = aiohttp.FormData()
            data.add_field("new_id", "true")
            data.add_field("archive", (tmp_path / "a.tar").read_bytes(), filename="a.tar")
            return client.post("/grid_pool/import", data=data)
        waiting = [asyncio.ensure_future(add(client, pool_id, imagegen.png(seed=10 + i))) for i in range(LOCKED_REQUESTS)]
        waiting += [asyncio.ensure_future(an_import()) for _ in range(4)]
        waiting += [asyncio.ensure_future(client.post("/grid_pool/detach", json={"pool_id": other})) for _ in range(4)]
        label = await asyncio.wait_for(client.post("/grid_pool/label", json={"pool_id": other, "slot": slot,
                                                                             "label": "answered"}), 20)
        assert label.status == 200 and holder.poll() is None
        assert not any(w.done() for w in waiting), "the adds were still waiting for gc"
        release.touch()
        done = await asyncio.wait_for(asyncio.gather(*waiting), 60)
        assert all(r.status == 200 for r in done[LOCKED_REQUESTS:]), "the imports and detaches too"
        assert Pools(root).load(pool_id).count == LOCKED_REQUESTS
    finally:
        release.touch()
        holder.wait(timeout=30)
        holder.stdout.close()
