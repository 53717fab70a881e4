"""Add to Image Pool: a batch of results becomes slots of a pool in one change, with masks and labels, losslessly,
never twice, all or nothing."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from image_pool.node import root as root_module
from image_pool.node.add import ImagePoolAddNode
from image_pool.node.grid import ImagePoolGridNode
from image_pool.pools import changes
from image_pool.pools.pools import Pools


@pytest.fixture
def store(monkeypatch, root):
    monkeypatch.setenv(root_module.ENV_ROOT, str(root))
    return root_module.pools_for()


def images(count=3, height=24, width=40, channels=3, seed=0) -> torch.Tensor:
    return torch.rand((count, height, width, channels), generator=torch.Generator().manual_seed(seed))


def add(pool="results", batch=None, masks=None, label=""):
    out = ImagePoolAddNode().add(images() if batch is None else batch, pool, masks, label)
    return out["result"], out["ui"]["image_pool_added"][0]


def pixels_of(pools: Pools, key: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(pools.objects.path(key).read_bytes())))


def test_a_batch_becomes_slots_in_order_with_its_labels_and_the_outputs_chain(store):
    batch = images(3)
    (pool_id, count, added), shown = add("results", batch, label="take {index}")
    manifest = store.load(pool_id)
    assert manifest.name == "results" and count == 3 and added == 3
    assert [s.label for s in manifest.slots] == ["take 0", "take 1", "take 2"]
    assert [s["id"] for s in shown["slots"]] == [s.id for s in manifest.slots] and shown["present"] == 0
    for slot, image in zip(manifest.slots, batch):
        assert slot.image.endswith(".png") and (slot.width, slot.height) == (40, 24)
        # as SaveImage writes pixels: 255 x value, clipped, cut to an integer
        assert np.array_equal(pixels_of(store, slot.image), (255.0 * image.numpy()).clip(0, 255).astype(np.uint8))


def test_the_grid_node_gives_back_what_was_added(store):
    batch = images(2)
    (pool_id, _, _), _ = add("results", batch)
    image, mask, index, count, _ = ImagePoolGridNode().load(1, pool_id)
    assert (index, count) == (1, 2)
    assert torch.allclose(image[0], batch[1], atol=1 / 255) and not mask.any()


def test_an_image_the_pool_holds_is_not_added_again_nor_twice_from_one_batch(store):
    batch = images(2)
    (pool_id, _, _), _ = add("results", batch, label="first")
    again = torch.cat([batch[1:], images(1, seed=9), images(1, seed=9)])
    (_, count, added), shown = add("results", again, label="second")
    manifest = store.load(pool_id)
    assert (count, added, shown["present"]) == (3, 1, 2)
    assert [s.label for s in manifest.slots] == ["first", "first", "second"], "a slot it holds keeps its label"


def test_masks_one_for_all_or_one_per_image_and_an_empty_mask_stores_none(store):
    mask = torch.zeros((3, 24, 40))
    mask[0, :4, :4] = 1.0
    mask[2, 10:, :] = 0.5
    (pool_id, _, _), _ = add("per image", images(3), mask)
    slots = store.load(pool_id).slots
    assert slots[1].mask is None, "an all-zero mask stores none"
    stored = pixels_of(store, slots[0].mask)
    assert stored.shape == (24, 40) and stored[:4, :4].min() == 255 and stored[4:, 4:].max() == 0
    assert pixels_of(store, slots[2].mask)[10:].min() == 128
    (pool_id, _, _), _ = add("one for all", images(3, seed=1), mask[:1])
    assert len({s.mask for s in store.load(pool_id).slots}) == 1 and store.load(pool_id).slots[0].mask


def test_rgba_and_grey_images_keep_their_channels(store):
    (pool_id, _, _), _ = add("channels", images(1, channels=4))
    (grey_id, _, _), _ = add("grey", images(1, channels=1, seed=3))
    assert pixels_of(store, store.load(pool_id).slots[0].image).shape == (24, 40, 4)
    assert pixels_of(store, store.load(grey_id).slots[0].image).shape == (24, 40)


def test_a_pool_is_named_by_its_id_too(store, pool_id):
    (given, count, _), _ = add(pool_id.upper(), images(1))
    assert given == pool_id and count == 1 and store.load(pool_id).name == ""
    (again, count, _), _ = add(pool_id, images(1, seed=5))
    assert again == pool_id and count == 2


@pytest.mark.parametrize("masks, said", [
    (torch.zeros((2, 24, 40)), "one mask for all the images or one per image; got 2 masks for 3 images"),
    (torch.zeros((3, 10, 10)), "mask is 10x10, the image is 40x24"),
])
def test_a_refused_batch_adds_nothing_and_makes_no_pool(store, masks, said):
    (pool_id, _, _), _ = add("kept", images(1, seed=7))
    before = store.load(pool_id)
    with pytest.raises((RuntimeError, ValueError), match=said):
        add("new pool", images(3), masks)
    with pytest.raises((RuntimeError, ValueError)):
        add("kept", images(3), masks)
    assert store.named("new pool") == [], "the pool made for the name is removed again"
    assert store.load(pool_id) == before


def test_a_batch_past_the_pools_cap_adds_nothing(monkeypatch, store):
    monkeypatch.setattr(store, "max_slots", 4)
    (pool_id, _, _), _ = add("capped", images(3))
    with pytest.raises(RuntimeError, match="Add to Image Pool: pool .* would hold 5 slots, over the limit of 4"):
        add("capped", images(2, seed=4))
    assert store.load(pool_id).count == 3


def test_every_change_is_announced_with_its_revision(store):
    heard = []
    stop = changes.listen(lambda pool_id, revision: heard.append((pool_id, revision)))
    try:
        (pool_id, _, _), _ = add("heard", images(1))
    finally:
        stop()
    assert heard[-1] == (pool_id, store.load(pool_id).revision)


@pytest.mark.parametrize("pool, label, said", [
    ("", "", "name the pool to add to"), ("   ", "", "name the pool to add to"),
    ("x" * 201, "", "over the limit of 200"), ("ok", "y" * 1001, "over the limit of 1,000"),
])
def test_inputs_comfyui_refuses_before_a_run(pool, label, said):
    assert said in ImagePoolAddNode.VALIDATE_INPUTS(pool=pool, label=label)


def test_inputs_comfyui_takes(pool_id):
    assert ImagePoolAddNode.VALIDATE_INPUTS(pool="results", label="take {index}") is True
    assert ImagePoolAddNode.VALIDATE_INPUTS(pool=pool_id, label="") is True


def test_a_batch_is_encoded_and_stored_one_image_at_a_time(store):
    """A big batch never holds all its PNGs (or masks) at once: each is stored before the next is made."""
    import tracemalloc
    count, side = 32, 256
    batch = images(count, side, side, seed=11)
    mask = torch.rand((count, side, side), generator=torch.Generator().manual_seed(12))
    add("warm", images(1, side, side, seed=13), mask[:1])  # imports and first-use allocations, not measured
    tracemalloc.start()
    try:
        (_, _, added), _ = add("streamed", batch, mask)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    one_png = len(store.objects.path(store.load(store.named("streamed")[0]).slots[0].image).read_bytes())
    assert added == count
    assert peak < 8 * one_png + 6 * side * side * 4, f"peak {peak:,} bytes for {count} PNGs of {one_png:,} bytes"
