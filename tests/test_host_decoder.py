"""With a host decoder installed (as ComfyUI's entry does), IMAGE, MASK, the thumbnail and the MaskEditor's copy
all come from it: its values, dtype and orientation, so a mask painted on the copy lands on IMAGE's pixels."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from image_pool.api.editor_copy import editor_copy
from image_pool.api.thumbnails import ensure_thumb
from image_pool.node.decoded_cache import DecodedCache
from image_pool.node.imaging import SlotDecoder
from image_pool.pictures import host
from image_pool.pictures.frames import builtin_picture

from . import imagegen


def mirrored_host(path):
    """A stand-in host whose decoder differs from the built-in one: mirrored, float64."""
    builtin = np.asarray(builtin_picture(path))
    flipped = torch.from_numpy(builtin[:, ::-1].copy()).double() / 255.0
    image = flipped[..., :3][None]
    mask = (1.0 - flipped[..., 3])[None] if builtin.shape[-1] == 4 else None
    return image, mask


@pytest.fixture
def mirrored():
    host.install(mirrored_host, "mirror-host")
    yield
    host.install(None)


def test_image_and_mask_are_the_hosts(pools, pool_id, mirrored):
    data = imagegen.png(mode="RGBA", seed=3)
    manifest, (slot_id,) = pools.add(pool_id, [data])
    image, mask = SlotDecoder(DecodedCache()).load(pools.objects, manifest.slot(slot_id))
    expected_image, expected_mask = mirrored_host(pools.objects.path(manifest.slot(slot_id).image))
    assert image.dtype == torch.float64 and torch.equal(image, expected_image)
    assert mask.dtype == torch.float64 and torch.equal(mask, expected_mask)


def test_a_stored_mask_takes_the_hosts_dtype(pools, pool_id, mirrored):
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(seed=3)])
    stored = np.zeros((24, 32), bool)
    stored[2, 3] = True
    manifest = pools.set_mask(pool_id, slot_id, stored)
    image, mask = SlotDecoder(DecodedCache()).load(pools.objects, manifest.slot(slot_id))
    assert mask.dtype == image.dtype == torch.float64 and mask[0, 2, 3] == 1.0 and mask.sum() == 1.0


def test_a_hosts_tensor_handed_out_cannot_corrupt_the_cache(pools, pool_id, mirrored):
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(seed=4)])
    decoder = SlotDecoder(DecodedCache())
    with torch.inference_mode():  # as ComfyUI runs nodes, LoadImage included
        first, _ = decoder.load(pools.objects, manifest.slot(slot_id))
        assert decoder.load(pools.objects, manifest.slot(slot_id))[0] is first, "a hit hands out the host's tensor"
        kept = first.clone()
        first.fill_(7)
        misses = decoder.cache.misses
        again, _ = decoder.load(pools.objects, manifest.slot(slot_id))
        assert torch.equal(again, kept) and decoder.cache.misses == misses + 1, "written into: decoded again"


def test_the_editor_copy_is_the_hosts_picture_with_the_mask_as_alpha(pools, pool_id, mirrored):
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(seed=5)])
    stored = np.zeros((24, 32), np.uint8)
    stored[:, :4] = 255
    pools.set_mask(pool_id, slot_id, stored)
    path = editor_copy(pools, pool_id, slot_id)
    assert "mirror-host" in path.parts
    copy = np.asarray(Image.open(path))
    image, _ = mirrored_host(pools.objects.path(manifest.slot(slot_id).image))
    assert np.array_equal(copy[..., :3], np.rint(image[0].numpy() * 255).astype(np.uint8))
    assert np.array_equal(copy[..., 3], 255 - stored), "painting on the copy paints IMAGE's pixels"


def test_the_thumbnail_is_the_hosts_picture(pools, pool_id, mirrored):
    ramp = np.tile(np.linspace(0, 255, 80, dtype=np.float32).astype(np.uint8)[None, :, None], (60, 1, 3))
    data = imagegen.encode(Image.fromarray(ramp, "RGB"), "PNG")  # dark on the left: mirrored, dark on the right
    manifest, (slot_id,) = pools.add(pool_id, [data])
    key = manifest.slot(slot_id).image
    thumb = ensure_thumb(pools.root, pools.objects.path(key), key, 128)
    assert "mirror-host" in thumb.parts
    shown = np.asarray(Image.open(io.BytesIO(thumb.read_bytes())).convert("RGB"), np.float32)
    original = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32)
    to_host, to_builtin = np.abs(shown - original[:, ::-1]).mean(), np.abs(shown - original).mean()
    assert to_host < to_builtin / 3, (to_host, to_builtin)


def test_suspended_uses_the_built_in_decoder_and_then_the_host_again(pools, pool_id, mirrored):
    manifest, (slot_id,) = pools.add(pool_id, [imagegen.png(seed=8)])
    path = pools.objects.path(manifest.slot(slot_id).image)
    with host.suspended():
        assert host.decode(path) is None and host.name() == "pillow"
    assert host.decode(path) is not None and host.name() == "mirror-host"
