"""Code the concurrency and crash tests run in child processes."""

import os
import random
import sys

import numpy as np

from image_pool.errors import StaleReorder
from image_pool.pools.pools import Pools

from . import imagegen

HEIGHT, WIDTH = 24, 32


def mutate(pools: Pools, pool_id: str, rng: random.Random, seed: int) -> str | None:
    """One random mutation; returns the new slot id when it was an add."""
    op = rng.choice(("add", "add", "label", "mask", "reorder"))
    manifest = pools.load(pool_id)
    if op == "add" or not manifest.slots:
        _, (new,) = pools.add(pool_id, [imagegen.png(HEIGHT, WIDTH, seed=seed)])
        return new
    target = rng.choice(manifest.slots).id
    if op == "label":
        pools.set_label(pool_id, target, f"label {seed}")
    elif op == "mask":
        mask = np.zeros((HEIGHT, WIDTH), bool)
        mask[rng.randrange(HEIGHT), :] = True
        pools.set_mask(pool_id, target, mask)
    else:
        order = [s.id for s in manifest.slots]
        rng.shuffle(order)
        try:
            pools.reorder(pool_id, order)
        except StaleReorder:  # another process added a slot since our load: the refusal is correct
            return "stale"
    return None


def concurrent_worker(root: str, pool_id: str, worker: int, count: int) -> tuple[list[str], int]:
    """`count` mutations; returns the slot ids this worker added and how many mutations succeeded."""
    pools = Pools(root)
    rng = random.Random(worker)
    added, done = [], 0
    for i in range(count):
        result = mutate(pools, pool_id, rng, seed=worker * 100_000 + i)
        if result != "stale":
            done += 1
        if result not in (None, "stale"):
            added.append(result)
    return added, done


def crash_worker(root: str, pool_id: str, confirm_path: str, seed0: int) -> None:
    """Mutate forever; after each add returns, append its slot id to the confirm file (fsynced)."""
    pools = Pools(root)
    rng = random.Random(seed0)
    print("ready", flush=True)
    with open(confirm_path, "a") as confirm:
        for i in range(10**9):
            result = mutate(pools, pool_id, rng, seed=seed0 + i)
            if result not in (None, "stale"):
                confirm.write(result + "\n")
                confirm.flush()
                os.fsync(confirm.fileno())


if __name__ == "__main__":
    crash_worker(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
