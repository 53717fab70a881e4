"""The built-in decoder (used outside ComfyUI) gives what LoadImage up to ComfyUI 0.3.x gives, pixel for pixel: it is
compared with figures recorded from ComfyUI 0.3.64's real LoadImage (tests/loadimage_figures.py) on the committed
corpus. Inside ComfyUI the host's own LoadImage decodes; tests/test_comfyui_pixels.py checks that live."""

import builtins
import hashlib
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from image_pool.node.decoded_cache import ENTRY_BYTES, MISSING, DecodedCache
from image_pool.node.imaging import SlotDecoder

from . import imagegen
from .decoder_corpus import paths as corpus_paths
from .loadimage_figures import FIGURES, figure

BUILT_IN_MATCHES = "0.3.64"  # the ComfyUI whose LoadImage the built-in decoder reproduces
RECORDED = json.loads(FIGURES.read_text())


@pytest.fixture
def decoder():
    return SlotDecoder(DecodedCache())


def node_output(pools, pool_id, decoder, data):
    manifest, (slot_id,) = pools.add(pool_id, [data])
    return decoder.load(pools.objects, manifest.slot(slot_id)), manifest.slot(slot_id)


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda p: p.name)
def test_built_in_decoder_matches_recorded_loadimage(pools, pool_id, decoder, path):
    recorded = RECORDED[BUILT_IN_MATCHES][path.name]
    (image, mask), slot = node_output(pools, pool_id, decoder, path.read_bytes())
    assert figure(image) == recorded["image"], "values, shape and dtype of the first frame"
    assert (slot.width, slot.height) == (image.shape[2], image.shape[1])
    assert mask.shape == (1, image.shape[1], image.shape[2]), "the mask always has the image's H x W"
    if recorded["mask"] is not None:
        assert figure(mask) == recorded["mask"]
    else:  # no alpha: LoadImage gives 64x64 zeros, we give zeros of the image's size (on purpose)
        assert not mask.any()


def test_figures_are_recorded_for_both_comfyui_lines():
    assert {BUILT_IN_MATCHES, "0.33.0"} <= set(RECORDED)
    names = {p.name for p in corpus_paths()}
    for version, files in RECORDED.items():
        assert set(files) == names, f"figures for {version} cover exactly the corpus"
        for path in corpus_paths():
            assert files[path.name]["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), \
                f"{path.name} changed since {version}'s figures were recorded: record them again"


def test_known_pixel_values(pools, pool_id, decoder):
    pixels = np.array([[[255, 0, 0, 255], [0, 255, 0, 0]], [[0, 0, 255, 128], [10, 20, 30, 255]]], np.uint8)
    (image, mask), _ = node_output(pools, pool_id, decoder, imagegen.encode(Image.fromarray(pixels, "RGBA"), "PNG"))
    assert image[0, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert image[0, 1, 1].tolist() == pytest.approx([10 / 255, 20 / 255, 30 / 255], rel=1e-6)
    assert mask[0].flatten().tolist() == pytest.approx([0.0, 1.0, 1 - 128 / 255, 0.0], rel=1e-6)


def test_exif_rotation_swaps_width_and_height(pools, pool_id, decoder):
    (image, mask), slot = node_output(pools, pool_id, decoder, imagegen.jpeg(height=24, width=32, orientation=6))
    assert image.shape == (1, 32, 24, 3) and mask.shape == (1, 32, 24)
    assert (slot.width, slot.height) == (24, 32)


def test_only_the_first_frame_of_an_animation(pools, pool_id, decoder):
    data = imagegen.animated_gif(frames=3)
    (image, _), _ = node_output(pools, pool_id, decoder, data)
    first = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32) / np.float32(255)
    assert image.shape[0] == 1 and torch.equal(image[0], torch.from_numpy(first))


def test_stored_mask_wins_over_alpha(pools, pool_id, decoder):
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA")])
    stored = np.zeros((24, 32), np.uint8)
    stored[5, 6] = 255
    stored[7, 8] = 51
    manifest = pools.set_mask(pool_id, slot_id, stored)
    _, mask = decoder.load(pools.objects, manifest.slot(slot_id))
    expected = torch.zeros((1, 24, 32))
    expected[0, 5, 6] = 1.0
    expected[0, 7, 8] = float(np.float32(51) / np.float32(255))
    assert torch.equal(mask, expected)


# ----- the LRU ------------------------------------------------------------------------------------------------

def forbid_file_access(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"file opened on a cache hit: {args[:1]}")
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(Image, "open", refuse)


def test_cache_hit_returns_equal_tensors_without_touching_disk(pools, pool_id, decoder, monkeypatch):
    manifest, (a, b) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=600, width=800),
                                           imagegen.png(seed=4)])
    pools.set_mask(pool_id, b, np.ones((24, 32), bool))
    manifest = pools.load(pool_id)
    first = [decoder.load(pools.objects, s) for s in manifest.slots]
    forbid_file_access(monkeypatch)
    again = [decoder.load(pools.objects, s) for s in manifest.slots]
    for (image1, mask1), (image2, mask2) in zip(first, again):
        assert torch.equal(image1, image2) and torch.equal(mask1, mask2)
    assert decoder.cache.hits >= 4


IN_PLACE_WRITES = {
    "directly": lambda t: t.mul_(0).add_(7),
    "through a view": lambda t: t[0, :2].fill_(7),
    "through detach()": lambda t: t.detach().fill_(7),
    "through a reshaped view": lambda t: t.view(-1)[:5].zero_(),
}


@pytest.mark.parametrize("inference_mode", [True, False], ids=["under inference_mode, as ComfyUI runs nodes",
                                                                "outside it"])
@pytest.mark.parametrize("write", IN_PLACE_WRITES.values(), ids=IN_PLACE_WRITES.keys())
def test_an_in_place_write_never_reaches_a_later_run(pools, pool_id, decoder, write, inference_mode):
    """ComfyUI hands one output to every downstream node as the same object, so a node must clone before it writes;
    one that does not still cannot change what a later run of this image gets."""
    manifest, _ = pools.add(pool_id, [imagegen.png(mode="RGBA", height=60, width=80), imagegen.png(seed=7)])
    with torch.inference_mode(inference_mode):
        for slot in manifest.slots:
            image, mask = decoder.load(pools.objects, slot)
            expected_image, expected_mask = image.clone(), mask.clone()
            write(image)
            write(mask)
            image2, mask2 = decoder.load(pools.objects, slot)
            assert torch.equal(image2, expected_image) and torch.equal(mask2, expected_mask)


def test_a_hit_is_the_kept_tensor_itself(pools, pool_id, decoder):
    """No copy on a hit: the same object, as ComfyUI hands one node's output to the next."""
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=60, width=80)])
    image, mask = decoder.load(pools.objects, manifest.slot(slot_id))
    image.sum()  # reading does not count as a change
    again, mask_again = decoder.load(pools.objects, manifest.slot(slot_id))
    assert again is image and mask_again is mask


def test_the_cache_holds_exactly_the_decoded_bytes(pools, pool_id, decoder):
    manifest, (a, b) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=60, width=80),
                                           imagegen.png(height=30, width=40, seed=2)])
    for slot_id in (a, b, a, b):
        decoder.load(pools.objects, manifest.slot(slot_id))
    stats = decoder.cache.stats()
    assert stats.bytes == (60 * 80 * 3 + 60 * 80 + 30 * 40 * 3) * 4 + 4 * ENTRY_BYTES, \
        "image and alpha of a, image of b and its 'no alpha', once each; no zero mask is kept"
    assert stats.entries == 4 and stats.misses == 2, "one decode each"
    assert "of 1,024 MiB" in stats.describe()


def test_cache_evicts_by_bytes(pools, pool_id):
    entry = 600 * 800 * 4 * (3 + 1)  # image + alpha mask of one 800x600 RGBA picture
    decoder = SlotDecoder(DecodedCache(max_bytes=int(entry * 2.5)))
    manifest, ids = pools.add(pool_id, [imagegen.png(mode="RGBA", height=600, width=800, seed=s) for s in range(4)])
    for slot in manifest.slots:
        decoder.load(pools.objects, slot)
    assert decoder.cache.bytes <= int(entry * 2.5)
    assert ("image", manifest.slots[0].image) not in decoder.cache, "the oldest was evicted"
    assert ("image", manifest.slots[3].image) in decoder.cache
    misses = decoder.cache.misses
    decoder.load(pools.objects, manifest.slots[0])
    assert decoder.cache.misses > misses, "an evicted image is decoded again"


def test_a_cache_of_zero_bytes_keeps_nothing_and_still_decodes(pools, pool_id):
    decoder = SlotDecoder(DecodedCache(max_bytes=0))
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA", seed=3)])
    first = decoder.load(pools.objects, manifest.slot(slot_id))
    second = decoder.load(pools.objects, manifest.slot(slot_id))
    assert len(decoder.cache) == 0 and decoder.cache.bytes == 0
    assert all(torch.equal(x, y) for x, y in zip(first, second))


def test_a_cache_keeps_a_bounded_number_of_entries_of_nothing(pools, pool_id):
    """'No alpha' entries hold no tensor, yet each costs its entry: 5,000 images never make 5,000 entries."""
    cache = DecodedCache(max_bytes=100 * ENTRY_BYTES)
    for i in range(5000):
        cache.put(("alpha", i), None)
    assert len(cache) == 100 and cache.bytes <= cache.max_bytes


WRITES_AROUND_THE_COUNTER = {
    "numpy() in place": lambda t: np.multiply(t.numpy(), 0.5, out=t.numpy()),
    "np.clip out=": lambda t: np.clip(t.numpy(), 0.2, 0.3, out=t.numpy()),
    "torch.from_numpy alias": lambda t: torch.from_numpy(t.numpy()).fill_(0.25),
    "DLPack alias": lambda t: torch.from_dlpack(t.__dlpack__()).fill_(0.75),
    ".data": lambda t: t.data.mul_(0.5).add_(0.1),
    "apply_": lambda t: t.apply_(lambda v: 1.0 - v),
    "untyped_storage().fill_": lambda t: t.untyped_storage().fill_(3),
    "set_ to another storage": lambda t: t.set_(torch.full_like(t, 0.5)),
}


@pytest.mark.parametrize("output", ["IMAGE", "MASK", "MASK stored"])
@pytest.mark.parametrize("write", WRITES_AROUND_THE_COUNTER.values(), ids=WRITES_AROUND_THE_COUNTER.keys())
def test_a_write_around_torchs_counter_never_reaches_a_later_run(pools, pool_id, decoder, write, output):
    """Under inference_mode, as ComfyUI runs nodes: whatever a misbehaving node does to the tensors it was handed,
    the next run gets the decoded pixels, and never a freed storage (which would crash the process)."""
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=60, width=80, seed=5)])
    if output == "MASK stored":
        manifest = pools.set_mask(pool_id, slot_id, np.eye(60, 80, dtype=bool))
    slot = manifest.slot(slot_id)
    with torch.inference_mode():
        image, mask = decoder.load(pools.objects, slot)
        expected = image.clone(), mask.clone()
        write(image if output == "IMAGE" else mask)
        again = decoder.load(pools.objects, slot)
        assert all(torch.equal(x, y) for x, y in zip(again, expected))
        assert (again[0] is image) == (output != "IMAGE"), "only the changed tensor was decoded again"


@pytest.mark.parametrize("change", [lambda t: t.untyped_storage().resize_(0),
                                    lambda t: t.untyped_storage().resize_(t.untyped_storage().nbytes() * 2),
                                    lambda t: t.set_(t.untyped_storage(), 4, (10,), (1,))],
                         ids=["freed", "grown elsewhere", "another view of it"])
def test_a_kept_tensor_whose_storage_was_resized_or_replaced_is_never_handed_out(change):
    """The built-in decoder's tensors share memory with NumPy, whose storages torch will not resize; the host's may
    be resizable. A freed storage handed out again would crash the process at its first read."""
    cache = DecodedCache()
    tensor = torch.rand(1, 20, 30)  # decoded as the cache's decodes are: outside inference mode
    cache.put("kept", tensor)
    with torch.inference_mode():
        change(tensor)
        assert cache.get("kept") is MISSING and "kept" not in cache


def test_zero_masks_are_never_shared(pools, pool_id, decoder):
    """Two images of one size without alpha, and two runs of one: a write into one zero mask reaches no other."""
    manifest, (a, b) = pools.add(pool_id, [imagegen.png(seed=1), imagegen.png(seed=2)])
    with torch.inference_mode():
        _, mask_a = decoder.load(pools.objects, manifest.slot(a))
        mask_a.numpy()[:] = 1
        _, mask_b = decoder.load(pools.objects, manifest.slot(b))
        _, mask_a_again = decoder.load(pools.objects, manifest.slot(a))
    assert not mask_b.any() and not mask_a_again.any()


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-5", " "])
def test_a_bad_cache_size_in_the_environment_falls_back_to_the_default(monkeypatch, value, caplog):
    from image_pool.node import decoded_cache
    monkeypatch.setenv("IMAGE_POOL_CACHE_MB", value)
    assert DecodedCache().max_bytes == decoded_cache.DEFAULT_MAX_BYTES
    if value.strip():
        assert "IMAGE_POOL_CACHE_MB" in caplog.text


def test_the_cache_size_in_the_environment_is_in_mib(monkeypatch):
    monkeypatch.setenv("IMAGE_POOL_CACHE_MB", "1.5")
    assert DecodedCache().max_bytes == 3 << 19


def test_the_cache_works_in_a_child_forked_while_another_thread_held_it(pools, pool_id, decoder):
    """A fork copies the cache's lock as it is; held by a thread that the child does not have, it would never be
    released there."""
    import os
    import threading
    import time
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA", seed=9)])
    expected, _ = decoder.load(pools.objects, manifest.slot(slot_id))
    expected = expected.clone()
    held, release = threading.Event(), threading.Event()

    def hold():
        with decoder.cache._lock:
            held.set()
            release.wait(30)
    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        pid = os.fork()
        if pid == 0:  # the child: exit code 0 only if the load returned the right picture
            try:
                image, _ = decoder.load(pools.objects, manifest.slot(slot_id))
                os._exit(0 if torch.equal(image, expected) else 3)
            except BaseException:
                os._exit(4)
    finally:
        release.set()
        holder.join()
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung in the decoded cache")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
