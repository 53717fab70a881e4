"""The node's decode equals core LoadImage's, pixel for pixel, on generated files of every mode."""

import builtins

import numpy as np
import pytest
import torch
from PIL import Image

from image_pool.decoded_cache import DecodedCache
from image_pool.imaging import SlotDecoder

from . import imagegen
from .loadimage_reference import load_image as core_load_image

CASES = {
    "rgb-png": imagegen.png(mode="RGB"),
    "rgba-png": imagegen.png(mode="RGBA"),
    "l-png": imagegen.png(mode="L"),
    "la-png": imagegen.png(mode="LA"),
    "16bit-png": imagegen.png16(),
    "mode-i-tiff": imagegen.mode_i(),
    "palette-transparency-png": imagegen.palette_with_transparency(),
    "cmyk-jpeg": imagegen.cmyk_jpeg(),
    "jpeg": imagegen.jpeg(),
    "exif-rotated-jpeg": imagegen.jpeg(orientation=6),
    "exif-mirrored-jpeg": imagegen.jpeg(orientation=2),
    "animated-gif": imagegen.animated_gif(),
    "animated-webp": imagegen.animated_webp(),
    "bmp": imagegen.encode(Image.fromarray(imagegen.noise(9, 11, 3)), "BMP"),
    "webp": imagegen.encode(Image.fromarray(imagegen.noise(9, 11, 3)), "WEBP", lossless=True),
}


@pytest.fixture
def decoder():
    return SlotDecoder(DecodedCache())


def node_output(pools, pool_id, decoder, data):
    manifest, (slot_id,) = pools.add(pool_id, [data])
    return decoder.load(pools.objects, manifest.slot(slot_id)), manifest.slot(slot_id)


@pytest.mark.parametrize("name", CASES)
def test_image_matches_core_loadimage_exactly(pools, pool_id, decoder, write, name):
    data = CASES[name]
    (image, mask), slot = node_output(pools, pool_id, decoder, data)
    core_image, core_mask = core_load_image(write("f", data))
    core_first = core_image[:1]
    assert image.dtype == torch.float32 and image.shape == core_first.shape
    assert torch.equal(image, core_first), "pixel for pixel, first frame"
    assert (slot.width, slot.height) == (image.shape[2], image.shape[1])
    assert mask.shape == (1, image.shape[1], image.shape[2]), "the mask always has the image's H x W"
    if core_mask.shape[1:] == image.shape[1:3]:  # core made its mask from alpha
        assert torch.equal(mask, core_mask[:1])
    else:  # no alpha: core gives 64x64 zeros, we give zeros of the image's size (on purpose)
        assert not mask.any()


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


def test_16bit_png_and_mode_i_follow_core(pools, pool_id, decoder, write):
    for data in (imagegen.png16(), imagegen.mode_i()):
        (image, _), _ = node_output(pools, pool_id, decoder, data)
        assert torch.equal(image, core_load_image(write("x", data))[0])
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_only_the_first_frame_of_an_animation(pools, pool_id, decoder, write):
    data = imagegen.animated_gif(frames=3)
    (image, _), _ = node_output(pools, pool_id, decoder, data)
    core_image, _ = core_load_image(write("anim.gif", data))
    assert core_image.shape[0] == 3 and image.shape[0] == 1
    assert torch.equal(image[0], core_image[0])


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


def test_cache_limit_of_mapped_buffers(pools, pool_id):
    decoder = SlotDecoder(DecodedCache(max_mapped=2))
    manifest, _ = pools.add(pool_id, [imagegen.png(height=600, width=800, seed=s) for s in range(4)])
    for slot in manifest.slots:
        decoder.load(pools.objects, slot)
    assert sum(1 for key in [("image", s.image) for s in manifest.slots] if key in decoder.cache) == 2
