"""The caps on what one pool may hold: slots, label length, history bytes. Each refusal changes nothing."""

import pytest

from image_pool.api.server import make_app
from image_pool.errors import PoolFull
from image_pool.pools.manifest import MAX_LABEL
from image_pool.pools.pools import HISTORY_MIN, Pools

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import error_of, form

TINY = [imagegen.png(height=1, width=1, seed=i) for i in range(4)]


def test_a_pool_at_its_slot_cap_refuses_more_and_changes_nothing(root, pool_id):
    pools = Pools(root, max_slots=5)
    pools.add(pool_id, TINY[:3])
    before = tree_snapshot(root)
    with pytest.raises(PoolFull, match="limit of 5"):
        pools.add(pool_id, [imagegen.png(seed=9), imagegen.png(seed=10), imagegen.png(seed=11)])
    assert tree_snapshot(root) == before
    pools.add(pool_id, TINY[:2])
    assert pools.load(pool_id).count == 5


async def test_an_upload_past_the_slot_cap_answers_409_and_changes_nothing(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root, max_slots=3))
    response = await client.post("/grid_pool/add", data=form(pool_id, [("0.png", TINY[0]), ("1.png", TINY[1])]))
    assert response.status == 200
    before = tree_snapshot(root)
    response = await client.post("/grid_pool/add", data=form(pool_id, [("2.png", TINY[2]), ("3.png", TINY[3])]))
    assert await error_of(response, 409) == "pool_full"
    assert tree_snapshot(root) == before


def test_history_is_capped_in_bytes_as_well_as_in_generations(root, pool_id):
    """Big manifests (many slots with long labels) keep fewer generations, so a few MB sent never becomes
    hundreds of MB on disk."""
    cap = 2 * 1024 * 1024
    pools = Pools(root, history_bytes=cap, max_slots=2_000)
    sent = 0
    for batch in range(15):
        images = [imagegen.png(height=1, width=1, seed=batch * 1000 + i) for i in range(128)]
        sent += sum(map(len, images)) + 128 * MAX_LABEL
        pools.add(pool_id, images, labels=["L" * MAX_LABEL] * len(images))
    folder = pools.pool_dir(pool_id)
    manifest_bytes = (folder / "manifest.json").stat().st_size
    history = sorted((folder / "history").glob("*.json"), key=lambda p: int(p.stem))
    history_bytes = sum(p.stat().st_size for p in history)
    assert len(history) >= HISTORY_MIN and history[-1].stem == "15"
    assert history_bytes <= max(cap, HISTORY_MIN * manifest_bytes), f"{history_bytes:,} bytes of history"
    on_disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert on_disk <= manifest_bytes + max(cap, HISTORY_MIN * manifest_bytes), \
        f"{sent:,} bytes sent became {on_disk:,} on disk"


async def test_a_label_over_the_cap_is_refused(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    response = await client.post("/grid_pool/add", data=form(pool_id, [("a.png", TINY[0])], label="x" * (MAX_LABEL + 1)))
    await error_of(response, 400)
    assert f"{MAX_LABEL:,}" in (await response.json())["error"]["message"]
    assert not (root / "pools").exists() or not any((root / "pools").iterdir())
    left = [p for p in (root / "objects").rglob("*") if p.is_file()] if (root / "objects").exists() else []
    assert not left, f"a refused add left {left}"
