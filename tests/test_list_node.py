"""Image Pool (List): a pool's images with their own masks as ComfyUI lists, chosen in the grid, then start and
limit; a fingerprint that changes exactly when an output would, at the cost of one stat for an unchanged pool."""

import numpy as np
import pytest
import torch

from image_pool.node.image_list import ImagePoolListNode, chosen_ids, list_fingerprint
from image_pool.node.mappings import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from image_pool.pools.manifest import Manifest
from image_pool.pools.pools import Pools

from . import imagegen


@pytest.fixture
def pool(root, pool_id, monkeypatch):
    """Three images of different sizes, the second masked."""
    monkeypatch.setenv("IMAGE_POOL_ROOT", str(root))
    pools = Pools(root)
    _, slots = pools.add(pool_id, [imagegen.png(24, 32, seed=1), imagegen.png(40, 20, seed=2),
                                   imagegen.png(16, 16, mode="RGBA", seed=3)], labels=["one", "two", "three"])
    mask = np.zeros((40, 20), bool)
    mask[5:10, 2:8] = True
    pools.set_mask(pool_id, slots[1], mask)
    return pools, slots, mask


def run(pool_id, chosen="", start=0, limit=0):
    return ImagePoolListNode().load(start, limit, pool_id, chosen)


def test_the_node_is_registered_with_list_outputs():
    assert NODE_CLASS_MAPPINGS["ImagePoolList"] is ImagePoolListNode
    assert NODE_DISPLAY_NAME_MAPPINGS["ImagePoolList"] == "Image Pool (List)"
    assert ImagePoolListNode.RETURN_NAMES == ("IMAGE", "MASK", "label", "index", "count")
    assert ImagePoolListNode.OUTPUT_IS_LIST == (True, True, True, True, False)


def test_every_image_in_pool_order_each_with_its_own_mask(pool, pool_id):
    pools, slots, mask = pool
    images, masks, labels, indexes, count = run(pool_id)
    assert [tuple(t.shape) for t in images] == [(1, 24, 32, 3), (1, 40, 20, 3), (1, 16, 16, 3)]
    assert [tuple(m.shape) for m in masks] == [(1, 24, 32), (1, 40, 20), (1, 16, 16)]
    assert not masks[0].any() and torch.equal(masks[1][0] > 0.5, torch.from_numpy(mask))
    assert masks[2].any(), "the RGBA picture's alpha gives its mask, as LoadImage's"
    assert (labels, indexes, count) == (["one", "two", "three"], [0, 1, 2], 3)


@pytest.mark.parametrize("chosen,start,limit,expected", [
    ("", 0, 0, [0, 1, 2]),
    ("{2},{0}", 0, 0, [0, 2]),  # pool order, whatever order they were chosen in
    ("{2}", 0, 0, [2]),
    ("s-00000000", 0, 0, [0, 1, 2]),  # chosen slots no longer in the pool: all
    ("", 1, 0, [1, 2]),
    ("", 0, 2, [0, 1]),
    ("{0} {1} {2}", 1, 1, [1]),
])
def test_which_slots_run(pool, pool_id, chosen, start, limit, expected):
    _, slots, _ = pool
    chosen = chosen.format(*slots)
    assert run(pool_id, chosen, start, limit)[3] == expected


def test_a_start_past_the_end_or_an_empty_pool_gives_one_black_image(pool, pool_id):
    images, masks, labels, indexes, count = run(pool_id, start=5)
    assert [tuple(images[0].shape), tuple(masks[0].shape), labels, indexes, count] == [(1, 1, 1, 3), (1, 1, 1), [""],
                                                                                        [0], 0]
    assert run("5b0c0c1e-9999-4999-8999-999999999999")[4] == 0


def test_the_tensors_are_the_decoded_caches_own(pool, pool_id):
    """A repeated run hands out the same tensors (no copy), as the grid node does."""
    first, second = run(pool_id), run(pool_id)
    assert all(a is b for a, b in zip(first[0], second[0]))


def test_chosen_ids_take_commas_or_spaces_and_ignore_anything_else():
    assert chosen_ids("s-0000000a, s-0000000b  s-0000000c,,junk,../x") == ("s-0000000a", "s-0000000b", "s-0000000c")


def test_the_fingerprint_follows_exactly_what_the_outputs_depend_on(pool, pool_id):
    pools, slots, _ = pool
    chosen = f"{slots[0]},{slots[2]}"
    before = list_fingerprint(pool_id, chosen)
    pools.set_label(pool_id, slots[1], "not chosen")
    assert list_fingerprint(pool_id, chosen) == before, "a change to a slot not chosen re-runs nothing"
    pools.set_label(pool_id, slots[2], "changed")
    after_label = list_fingerprint(pool_id, chosen)
    assert after_label != before
    pools.set_mask(pool_id, slots[0], np.ones((24, 32), bool))
    after_mask = list_fingerprint(pool_id, chosen)
    assert after_mask != after_label
    pools.reorder(pool_id, [slots[2], slots[1], slots[0]])
    assert list_fingerprint(pool_id, chosen) != after_mask, "the order is part of the output"
    assert list_fingerprint(pool_id, chosen, start=1) != list_fingerprint(pool_id, chosen)


def test_the_fingerprint_of_an_unchanged_pool_is_worked_out_once(pool, pool_id, monkeypatch):
    list_fingerprint(pool_id)
    calls = []
    real = Manifest.positions
    monkeypatch.setattr(Manifest, "positions", lambda self: calls.append(1) or real(self))
    for _ in range(5):
        list_fingerprint(pool_id)
    assert calls == []
