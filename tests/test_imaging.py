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
from image_pool import cow
from image_pool.decoded_cache import DecodedCache
from image_pool.imaging import SlotDecoder
from PIL import Image

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


def test_outputs_do_not_alias_the_cache(pools, pool_id, decoder):
    """A downstream node that writes into its input in place must not corrupt the next run's output."""
    manifest, (big, small) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=600, width=800),
                                                 imagegen.png(seed=7)])
    for slot in manifest.slots:
        image, mask = decoder.load(pools.objects, slot)
        expected_image, expected_mask = image.clone(), mask.clone()
        image.mul_(0).add_(7)
        mask.fill_(3)
        image2, mask2 = decoder.load(pools.objects, slot)
        assert torch.equal(image2, expected_image) and torch.equal(mask2, expected_mask)


@pytest.mark.parametrize("in_file", [False, True], ids=["ordinary memory", "memory file"])
@pytest.mark.parametrize("spares_ready", [True, False], ids=["spare", "copied on the spot"])
def test_every_hit_is_independent_of_the_others_and_of_the_cache(pools, pool_id, decoder, spares_ready, in_file,
                                                                 monkeypatch):
    """Hits hand out a spare copy made in the background, or a copy made on the spot when none is ready yet: a
    write into one hand-out reaches neither the cache nor any other hand-out, before or after it."""
    if in_file:
        monkeypatch.setattr(cow, "FILE_MIN_BYTES", 1 << 20)
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(mode="RGBA", height=600, width=800)])
    slot = manifest.slot(slot_id)
    expected, _ = decoder.load(pools.objects, slot)
    expected = expected.clone()
    handed = []
    for i in range(4):
        if spares_ready:
            decoder.cache.settle()
        image, mask = decoder.load(pools.objects, slot)
        assert torch.equal(image, expected)
        handed.append(image)
        image.fill_(i)
        mask.fill_(i)
    assert [float(t[0, 0, 0, 0]) for t in handed] == [0.0, 1.0, 2.0, 3.0], "no two hand-outs share memory"
    assert decoder.cache.hits >= 4


@pytest.mark.parametrize("in_file", [False, True], ids=["ordinary memory", "memory file"])
def test_the_cache_counts_its_shared_memory_and_room_for_spares(pools, pool_id, decoder, monkeypatch, in_file):
    if in_file:
        monkeypatch.setattr(cow, "FILE_MIN_BYTES", 1 << 20)  # as an image of 32 MiB or more
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(height=600, width=800)])
    decoder.load(pools.objects, manifest.slot(slot_id))
    stats = decoder.cache.stats()
    image_bytes = 600 * 800 * 3 * 4
    assert stats.shared_bytes == (image_bytes if in_file else 0), "a memory file is shared memory, outside RSS"
    assert stats.bytes == image_bytes == decoder.cache.bytes, "an image seen once holds no spare"
    assert "shared memory" in stats.describe() and "of 1,024 MiB" in stats.describe()
    decoder.load(pools.objects, manifest.slot(slot_id))
    assert decoder.cache.stats().bytes == 2 * image_bytes, "asked for again, it is counted with room for a spare"


def test_room_made_for_a_spare_evicts_the_least_recently_used(pools, pool_id):
    image_bytes = 600 * 800 * 3 * 4
    decoder = SlotDecoder(DecodedCache(max_bytes=int(image_bytes * 2.5)))
    manifest, (a, b) = pools.add(pool_id, [imagegen.png(height=600, width=800, seed=s) for s in range(2)])
    for slot_id in (a, b):
        decoder.load(pools.objects, manifest.slot(slot_id))
    decoder.load(pools.objects, manifest.slot(b))  # b now needs room for a spare: a goes
    assert ("image", manifest.slot(a).image) not in decoder.cache
    assert ("image", manifest.slot(b).image) in decoder.cache and decoder.cache.bytes == 2 * image_bytes


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


def test_cache_limit_of_buffers_in_memory_files(pools, pool_id, monkeypatch):
    monkeypatch.setattr(cow, "FILE_MIN_BYTES", 1 << 20)  # these 800x600 images go into memory files
    decoder = SlotDecoder(DecodedCache(max_files=2))
    manifest, _ = pools.add(pool_id, [imagegen.png(height=600, width=800, seed=s) for s in range(4)])
    for slot in manifest.slots:
        decoder.load(pools.objects, slot)
    assert sum(1 for key in [("image", s.image) for s in manifest.slots] if key in decoder.cache) == 2
