"""The MaskEditor's copy of a slot, and the round trip ComfyUI's editor makes with it."""

import numpy as np
import pytest
from PIL import Image

from image_pool.api.server import make_app
from image_pool.pools.pools import Pools

from . import imagegen
from .http_helpers import error_of


@pytest.fixture
async def comfy_like(aiohttp_client, tmp_path, pool_id):
    """A store at input/.grid_pool, as inside ComfyUI, with one EXIF-rotated JPEG and one RGBA PNG."""
    input_dir = tmp_path / "input"
    root = input_dir / ".grid_pool"
    pools = Pools(root)
    _, slots = pools.add(pool_id, [imagegen.jpeg(24, 32, orientation=6), imagegen.png(24, 32, mode="RGBA")])
    return await aiohttp_client(make_app(root, input_dir)), pools, input_dir, slots


async def editor_ref(client, pool_id, slot):
    response = await client.post("/grid_pool/editor_image", json={"pool_id": pool_id, "slot": slot})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_editor_copy_is_oriented_and_carries_the_mask_as_alpha(comfy_like, pool_id):
    client, pools, input_dir, (jpeg, rgba) = comfy_like
    mask = np.zeros((32, 24), bool)  # the JPEG is 32x24 stored, 24 wide x 32 high as the node outputs it
    mask[3:9, 2:7] = True
    pools.set_mask(pool_id, jpeg, mask)
    ref = await editor_ref(client, pool_id, jpeg)
    assert ref["type"] == "input" and ref["subfolder"].startswith(".grid_pool/cache/editor/")
    copy = Image.open(input_dir / ref["subfolder"] / ref["filename"])
    assert copy.mode == "RGBA" and copy.size == (24, 32)
    assert (np.asarray(copy.getchannel("A")) == np.where(mask, 0, 255)).all()


async def test_without_a_stored_mask_the_copy_keeps_the_image_alpha(comfy_like, pool_id):
    client, pools, input_dir, (_, rgba) = comfy_like
    ref = await editor_ref(client, pool_id, rgba)
    copy = Image.open(input_dir / ref["subfolder"] / ref["filename"])
    original = Image.open(pools.objects.path(pools.load(pool_id).slot(rgba).image))
    assert (np.asarray(copy.getchannel("A")) == np.asarray(original.getchannel("A"))).all()


async def test_round_trip_as_comfyui_upload_mask_does_it(comfy_like, pool_id):
    """/upload/mask copies the drawn alpha into the editor copy and saves input/clipspace/clipspace-mask-*.png;
    set_mask then reads that file's alpha (0 = masked) for the slot the editor was opened for."""
    client, pools, input_dir, (jpeg, _) = comfy_like
    ref = await editor_ref(client, pool_id, jpeg)
    original = Image.open(input_dir / ref["subfolder"] / ref["filename"]).convert("RGBA")
    drawn = np.full((32, 24), 255, np.uint8)
    drawn[10:20, 5:15] = 0
    original.putalpha(Image.fromarray(drawn, "L"))
    (input_dir / "clipspace").mkdir()
    original.save(input_dir / "clipspace" / "clipspace-mask-1234.png")
    response = await client.post("/grid_pool/set_mask", json={
        "pool_id": pool_id, "slot": jpeg, "input_file": "clipspace-mask-1234.png", "subfolder": "clipspace"})
    assert response.status == 200, await response.text()
    stored = np.asarray(Image.open(pools.objects.path(pools.load(pool_id).slot(jpeg).mask)))
    assert (stored == np.where(drawn == 0, 255, 0)).all()
    newer = await editor_ref(client, pool_id, jpeg)
    assert newer["filename"] != ref["filename"], "a new mask gives a new editor copy"


async def test_editor_image_needs_the_store_inside_the_input_folder(aiohttp_client, tmp_path, pool_id):
    pools = Pools(tmp_path / "store")
    _, (slot,) = pools.add(pool_id, [imagegen.png()])
    client = await aiohttp_client(make_app(tmp_path / "store", tmp_path / "input"))
    response = await client.post("/grid_pool/editor_image", json={"pool_id": pool_id, "slot": slot})
    assert await error_of(response, 400) == "no_input_folder"
