"""End to end in a real ComfyUI (IMAGE_POOL_COMFYUI): the node, its outputs, and ComfyUI's real cache."""

import json
import shutil
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image

from . import imagegen
from .comfyui_support import executed_nodes, running_comfyui

pytestmark = pytest.mark.comfyui


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    with running_comfyui(tmp_path_factory.mktemp("comfyui")) as instance:
        yield instance


def upload(comfy, pool_id: str, name: str, data: bytes) -> dict:
    """POST /api/grid_pool/add as multipart, the way the widget does."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pool_id\"\r\n\r\n{pool_id}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{comfy.url}/api/grid_pool/add", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def pool_prompt(pool_id: str, index: int = -1, slot_id: str = "", prefix: str = "pool") -> dict:
    return {
        "1": {"class_type": "ImagePoolGrid", "inputs": {"index": index, "pool_id": pool_id, "slot_id": slot_id}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
        "3": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": prefix + "-mask"}},
    }


def saved(comfy, entry: dict, node: str = "2") -> np.ndarray:
    image = entry["outputs"][node]["images"][0]
    return np.asarray(Image.open(comfy.output_dir / image["subfolder"] / image["filename"]))


def set_mask(comfy, pool_id, slot, mask: np.ndarray | None):
    if mask is None:
        return comfy.post_json("/api/grid_pool/set_mask", {"pool_id": pool_id, "slot": slot, "clear": True})
    name = f"mask-{uuid.uuid4().hex}.png"
    Image.fromarray(mask.astype(np.uint8) * 255, "L").save(comfy.input_dir / name)
    return comfy.post_json("/api/grid_pool/set_mask", {"pool_id": pool_id, "slot": slot, "input_file": name,
                                                       "channel": "luminance"})


def test_node_is_listed_with_its_inputs_and_outputs(comfy):
    info = comfy.get("/object_info/ImagePoolGrid")["ImagePoolGrid"]
    assert info["display_name"] == "Image Pool (Grid)" and info["category"] == "image"
    assert info["output"] == ["IMAGE", "MASK", "INT", "INT", "STRING"]
    assert info["output_name"] == ["IMAGE", "MASK", "index", "count", "label"]
    assert info["input"]["required"]["index"][1]["control_after_generate"] is True
    assert set(info["input"]["required"]) == {"index", "pool_id"} and set(info["input"]["optional"]) == {"slot_id"}


def test_empty_pool_saves_one_black_pixel(comfy):
    entry = comfy.run(pool_prompt(str(uuid.uuid4()), prefix="empty"))
    assert entry["status"]["status_str"] == "success"
    image = saved(comfy, entry)
    assert image.shape[:2] == (1, 1) and not image.any()


def test_saved_image_equals_the_source_and_core_loadimage(comfy):
    pool_id = str(uuid.uuid4())
    source = imagegen.png(48, 64, mode="RGBA", seed=5)
    upload(comfy, pool_id, "source.png", source)
    ours = comfy.run(pool_prompt(pool_id, prefix="ours"))
    (comfy.input_dir / "source.png").write_bytes(source)
    core = comfy.run({"1": {"class_type": "LoadImage", "inputs": {"image": "source.png"}},
                      "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "core"}},
                      "3": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
                      "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "core-m"}}})
    assert np.array_equal(saved(comfy, ours), saved(comfy, core)), "pixel for pixel what LoadImage gives"
    assert np.array_equal(saved(comfy, ours, "4"), saved(comfy, core, "4")), "and the same mask (from alpha)"
    pixels = np.asarray(Image.open(__import__("io").BytesIO(source)).convert("RGB")).astype(int)
    assert np.abs(saved(comfy, ours).astype(int) - pixels).max() <= 1, "the source pixels (8-bit round trip)"


@pytest.fixture
def three(comfy):
    pool_id = str(uuid.uuid4())
    slots = [upload(comfy, pool_id, f"{n}.png", imagegen.png(24, 32, seed=40 + n))["added"][0] for n in range(3)]
    return pool_id, slots


def test_the_same_prompt_twice_runs_the_node_once(comfy, three):
    pool_id, (a, b, c) = three
    prompt = pool_prompt(pool_id, slot_id=b, prefix="twice")
    first = comfy.run(prompt)
    assert {"1", "2", "3", "4"} <= executed_nodes(first, prompt)
    assert executed_nodes(comfy.run(prompt), prompt) == set(), "nothing re-runs: fingerprint read from the manifest"


def test_a_mask_on_the_chosen_slot_re_runs_it_and_its_downstream(comfy, three):
    pool_id, (a, b, c) = three
    prompt = pool_prompt(pool_id, slot_id=b, prefix="mask")
    comfy.run(prompt)
    mask = np.zeros((24, 32), bool)
    mask[4:12, 6:20] = True
    set_mask(comfy, pool_id, b, mask)
    entry = comfy.run(prompt)
    assert executed_nodes(entry, prompt) == {"1", "2", "3", "4"}
    assert (saved(comfy, entry, "4")[..., 0] > 127).tolist() == mask.tolist(), "the new mask is what comes out"


def test_a_change_to_another_slot_re_runs_nothing(comfy, three):
    pool_id, (a, b, c) = three
    prompt = pool_prompt(pool_id, slot_id=b, prefix="other")
    comfy.run(prompt)
    set_mask(comfy, pool_id, c, np.ones((24, 32), bool))
    comfy.post_json("/api/grid_pool/label", {"pool_id": pool_id, "slot": a, "label": "unrelated"})
    comfy.post_json("/api/grid_pool/active", {"pool_id": pool_id, "slot": c})
    assert executed_nodes(comfy.run(prompt), prompt) == set()


def test_forced_index_and_clamping(comfy, three):
    pool_id, (a, b, c) = three
    expected = {s: saved(comfy, comfy.run(pool_prompt(pool_id, slot_id=s, prefix=f"sel-{s}"))) for s in (a, b, c)}
    assert np.array_equal(saved(comfy, comfy.run(pool_prompt(pool_id, index=1, slot_id=a, prefix="f1"))), expected[b])
    assert np.array_equal(saved(comfy, comfy.run(pool_prompt(pool_id, index=99, prefix="f99"))), expected[c])
    assert np.array_equal(saved(comfy, comfy.run(pool_prompt(pool_id, index=0, slot_id=c, prefix="f0"))), expected[a])


def test_selection_frozen_at_queue_time(comfy, three):
    """Queue runs with different slot_ids (as the widget sends them) while the pool's active slot changes."""
    pool_id, (a, b, c) = three
    results = []
    for slot in (c, a, b):
        comfy.post_json("/api/grid_pool/active", {"pool_id": pool_id, "slot": a})
        results.append(saved(comfy, comfy.run(pool_prompt(pool_id, slot_id=slot, prefix=f"frozen-{slot}"))))
    singles = [saved(comfy, comfy.run(pool_prompt(pool_id, index=i, prefix=f"single-{i}"))) for i in (2, 0, 1)]
    for got, want in zip(results, singles):
        assert np.array_equal(got, want)


def test_a_missing_object_fails_the_run_with_a_clear_message(comfy):
    pool_id = str(uuid.uuid4())
    body = upload(comfy, pool_id, "gone.png", imagegen.png(seed=99))
    key = body["slots"][0]["image"]
    path = comfy.input_dir / ".grid_pool" / "objects" / key[:2] / key
    shutil.copy(path, comfy.input_dir / "backup.png")
    path.chmod(0o644)
    path.unlink()
    entry = comfy.run(pool_prompt(pool_id, prefix="gone"))
    assert entry["status"]["status_str"] == "error"
    error = next(data for kind, data in entry["status"]["messages"] if kind == "execution_error")
    assert pool_id in error["exception_message"] and key in error["exception_message"]
