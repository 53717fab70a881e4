"""Image Pool (List) end to end in a real ComfyUI (IMAGE_POOL_COMFYUI): the whole pool in one run, each image with
its own mask, through ComfyUI's real list handling and cache."""

import io
import urllib.parse
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image

from image_pool.pools.pools import Pools

from . import imagegen
from .comfyui_support import executed_nodes, running_comfyui

pytestmark = pytest.mark.comfyui
SIZES = [(24, 32), (40, 20), (16, 48)]  # (height, width): a list, not a batch, so sizes may differ


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    with running_comfyui(tmp_path_factory.mktemp("comfyui-list")) as instance:
        yield instance


def list_prompt(pool_id: str, chosen: str = "", start: int = 0, limit: int = 0) -> dict:
    return {
        "1": {"class_type": "ImagePoolList", "inputs": {"start": start, "limit": limit, "pool_id": pool_id,
                                                         "chosen": chosen}},
        "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
        "3": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
        "4": {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}},
    }


def previews(comfy, entry: dict, node: str) -> list[np.ndarray]:
    """The pictures a PreviewImage node showed, in order, fetched as the browser fetches them (/view)."""
    pictures = []
    for ref in entry["outputs"][node]["images"]:
        query = urllib.parse.urlencode({"filename": ref["filename"], "subfolder": ref["subfolder"], "type": ref["type"]})
        with urllib.request.urlopen(f"{comfy.url}/view?{query}", timeout=30) as response:
            pictures.append(np.asarray(Image.open(io.BytesIO(response.read())).convert("RGB")))
    return pictures



@pytest.fixture
def pool(comfy):
    """Three images of different sizes, the second with a mask."""
    pool_id = str(uuid.uuid4())
    pools = Pools(comfy.input_dir / ".grid_pool")
    sources = [imagegen.png(h, w, seed=60 + n) for n, (h, w) in enumerate(SIZES)]
    _, slots = pools.add(pool_id, sources, labels=["one", "two", "three"])
    mask = np.zeros(SIZES[1], bool)
    mask[5:25, 3:12] = True
    pools.set_mask(pool_id, slots[1], mask)
    return pools, pool_id, slots, sources, mask


def test_the_node_is_listed_with_list_outputs(comfy):
    info = comfy.get("/object_info/ImagePoolList")["ImagePoolList"]
    assert info["display_name"] == "Image Pool (List)" and info["category"] == "image"
    assert info["output_name"] == ["IMAGE", "MASK", "label", "index", "count"]
    assert info["output_is_list"] == [True, True, True, True, False]


def test_every_image_in_pool_order_with_its_own_mask(comfy, pool):
    pools, pool_id, slots, sources, mask = pool
    entry = comfy.run(list_prompt(pool_id))
    assert entry["status"]["status_str"] == "success"
    images, masks = previews(comfy, entry, "2"), previews(comfy, entry, "4")
    assert [image.shape[:2] for image in images] == SIZES
    for image, source in zip(images, sources):
        assert np.abs(image.astype(int) - np.asarray(Image.open(io.BytesIO(source)).convert("RGB")).astype(int)).max() <= 1
    assert not masks[0].any() and not masks[2].any()
    assert ((masks[1][..., 0] > 127) == mask).all(), "the mask lies on its own image"


def test_the_chosen_slots_narrow_the_run(comfy, pool):
    pools, pool_id, slots, _, _ = pool
    entry = comfy.run(list_prompt(pool_id, chosen=f"{slots[2]},{slots[0]}"))
    assert [image.shape[:2] for image in previews(comfy, entry, "2")] == [SIZES[0], SIZES[2]]
    entry = comfy.run(list_prompt(pool_id, start=1, limit=1))
    assert [image.shape[:2] for image in previews(comfy, entry, "2")] == [SIZES[1]]


def test_a_label_change_re_runs_the_node_and_an_unchanged_queue_does_not(comfy, pool):
    pools, pool_id, slots, _, _ = pool
    prompt = list_prompt(pool_id)
    assert {"1", "2", "3", "4"} <= executed_nodes(comfy.run(prompt), prompt)
    assert executed_nodes(comfy.run(prompt), prompt) == set(), "nothing changed: nothing re-runs"
    comfy.post_json("/api/grid_pool/label", {"pool_id": pool_id, "slot": slots[2], "label": "renamed"})
    assert "1" in executed_nodes(comfy.run(prompt), prompt)
    chosen = list_prompt(pool_id, chosen=slots[0])
    comfy.run(chosen)
    comfy.post_json("/api/grid_pool/label", {"pool_id": pool_id, "slot": slots[2], "label": "not chosen"})
    assert executed_nodes(comfy.run(chosen), chosen) == set(), "a slot that is not chosen re-runs nothing"
