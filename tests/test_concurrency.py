"""Many processes mutating one pool at once, through the library: nothing is lost."""

import multiprocessing

import pytest

from image_pool.pools.manifest import Manifest
from image_pool.pools.pools import Pools

from .workers import concurrent_worker

PROCESSES = 8
MUTATIONS = 100


@pytest.mark.slow
def test_eight_processes_mutating_one_pool_lose_nothing(root, pool_id):
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as workers:
        results = workers.starmap(concurrent_worker,
                                  [(str(root), pool_id, w, MUTATIONS) for w in range(PROCESSES)])
    added = [slot for slots, _ in results for slot in slots]
    succeeded = sum(done for _, done in results)

    pools = Pools(root)
    raw = (pools.pool_dir(pool_id) / "manifest.json").read_bytes()
    manifest = Manifest.loads(raw, pool_id)  # valid as written, no recovery needed
    assert sorted(s.id for s in manifest.slots) == sorted(added), "every add present exactly once"
    assert len(added) > PROCESSES * MUTATIONS / 3
    # each successful mutation made exactly one generation: no update was lost to a race
    assert manifest.revision == succeeded
    assert manifest.active in {s.id for s in manifest.slots}
    assert {s.image for s in manifest.slots} <= set(pools.objects.keys())
