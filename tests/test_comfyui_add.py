"""Add to Image Pool end to end in a real ComfyUI (IMAGE_POOL_COMFYUI): results into a pool through ComfyUI's real
executor and cache, the server event every tab hears, SaveImage's pixels, the store moved out of the asset list."""

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid

import aiohttp
import numpy as np
import pytest
from PIL import Image

from image_pool.pools.pools import Pools

from . import imagegen
from .comfyui_support import comfyui_checkout, executed_nodes, running_comfyui

pytestmark = pytest.mark.comfyui


def has_assets() -> bool:
    return "--enable-assets" in (comfyui_checkout() / "comfy" / "cli_args.py").read_text()


def former_store(input_dir):
    """A pool made by an earlier version, at the store's former place."""
    Pools(input_dir / "grid_pool").add(FORMER_POOL, [imagegen.png(seed=31)], labels=["from before"])


FORMER_POOL = str(uuid.uuid4())


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("comfyui-add")
    args = ("--enable-assets", "--database-url", f"sqlite:///{tmp / 'assets.db'}") if has_assets() else ()
    with running_comfyui(tmp, args=args, before_start=former_store) as instance:
        yield instance


def add_prompt(color: int, pool: str, label: str = "", batch: int = 2) -> dict:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 48, "height": 32, "batch_size": batch, "color": color}},
        "2": {"class_type": "ImagePoolAdd", "inputs": {"images": ["1", 0], "pool": pool, "label": label}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": f"parity{color}"}},
    }


def pools_of(comfy) -> Pools:
    return Pools(comfy.input_dir / ".grid_pool")


def test_a_run_adds_its_batch_and_a_queue_that_changes_nothing_adds_nothing(comfy):
    pools, name = pools_of(comfy), f"results {uuid.uuid4().hex[:6]}"
    prompt = add_prompt(0x3366CC, name, "take {index}")
    entry = comfy.run(prompt)
    assert entry["status"]["status_str"] == "success", entry["status"]
    (pool_id,) = pools.named(name)
    manifest = pools.load(pool_id)
    # EmptyImage's batch is two equal images: one slot, the second was in the pool already
    assert [s.label for s in manifest.slots] == ["take 0"]
    shown = entry["outputs"]["2"]["image_pool_added"][0]
    assert (shown["pool_id"], shown["count"], shown["present"]) == (pool_id, 1, 1)

    again = comfy.run(prompt)
    assert "2" not in executed_nodes(again, prompt), "ComfyUI's cache: nothing upstream changed, the node does not run"
    assert pools.load(pool_id).revision == manifest.revision

    comfy.run(add_prompt(0x112233, name))
    assert pools.load(pool_id).count == 2


def test_the_pixels_are_the_ones_saveimage_writes(comfy):
    pools, name = pools_of(comfy), f"parity {uuid.uuid4().hex[:6]}"
    prompt = add_prompt(0x7F80FE, name, batch=1)
    prompt["1"] = {"class_type": "ImageBlur", "inputs": {"image": ["4", 0], "blur_radius": 3, "sigma": 1.3}}
    prompt["4"] = {"class_type": "EmptyImage", "inputs": {"width": 48, "height": 32, "batch_size": 1,
                                                          "color": 0x7F80FE}}
    prompt["5"] = {"class_type": "ImageInvert", "inputs": {"image": ["4", 0]}}
    prompt["6"] = {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["4", 0], "source": ["5", 0],
                                                                     "x": 10, "y": 5, "resize_source": False}}
    prompt["1"]["inputs"]["image"] = ["6", 0]
    entry = comfy.run(prompt)
    assert entry["status"]["status_str"] == "success", entry["status"]
    saved = entry["outputs"]["3"]["images"][0]
    from_save = np.asarray(Image.open(comfy.output_dir / saved["subfolder"] / saved["filename"]))
    (pool_id,) = pools.named(name)
    slot = pools.load(pool_id).slots[0]
    assert np.array_equal(np.asarray(Image.open(pools.objects.path(slot.image))), from_save)


def test_every_open_tab_hears_of_the_change_at_once(comfy):
    name = f"heard {uuid.uuid4().hex[:6]}"

    async def listen_while_running():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{comfy.url}/ws?clientId=another-tab") as ws:
                body = {"prompt": add_prompt(0x445566, name, batch=1), "client_id": "image-pool-tests"}
                async with session.post(f"{comfy.url}/prompt", json=body) as response:
                    assert response.status == 200, await response.text()
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                    if message.type == aiohttp.WSMsgType.TEXT:
                        data = json.loads(message.data)
                        if data["type"] == "image-pool-changed":
                            return data["data"]
                raise AssertionError("no image-pool-changed event")
    heard = asyncio.run(listen_while_running())
    (pool_id,) = pools_of(comfy).named(name)
    assert heard["pool_id"] == pool_id and heard["revision"] >= 1


def test_a_refused_run_says_why_on_the_node_and_changes_nothing(comfy):
    pools, name = pools_of(comfy), f"masks {uuid.uuid4().hex[:6]}"
    prompt = add_prompt(0x000000, name, batch=1)
    prompt["4"] = {"class_type": "SolidMask", "inputs": {"value": 1.0, "width": 8, "height": 8}}
    prompt["2"]["inputs"]["masks"] = ["4", 0]
    entry = comfy.run(prompt)
    assert entry["status"]["status_str"] == "error"
    error = next(data for kind, data in entry["status"]["messages"] if kind == "execution_error")
    assert error["node_id"] == "2" and "mask is 8x8, the image is 48x32" in error["exception_message"]
    assert pools.named(name) == []


def test_a_store_made_before_was_moved_out_of_the_asset_list_and_still_works(comfy):
    assert (comfy.input_dir / "grid_pool").is_file() and (comfy.input_dir / ".grid_pool").is_dir()
    manifest = comfy.get(f"/grid_pool/list?pool_id={FORMER_POOL}")
    assert [s["label"] for s in manifest["slots"]] == ["from before"]
    prompt = {"1": {"class_type": "ImagePoolGrid", "inputs": {"index": 0, "pool_id": FORMER_POOL}},
              "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    assert comfy.run(prompt)["status"]["status_str"] == "success"


def test_nothing_of_the_store_is_an_asset(comfy):
    if not has_assets():
        pytest.skip("this ComfyUI has no asset system (0.33 has, with --enable-assets)")
    pools = pools_of(comfy)
    comfy.run(add_prompt(0x55AA55, "assets check"))
    (pool_id,) = pools.named("assets check")
    key = pools.load(pool_id).slots[0].image
    urllib.request.urlopen(f"{comfy.url}/grid_pool/thumb/{key}?size=128", timeout=30).close()  # a thumbnail too
    (comfy.input_dir / "photo.png").write_bytes(imagegen.png(seed=8))  # a file that is an asset: the control
    scan_finished(comfy)
    listed = comfy.get("/api/assets?limit=500")["assets"]
    names = {asset["name"] for asset in listed}
    assert "photo.png" in names, names
    internals = {p.name for p in (comfy.input_dir / ".grid_pool").rglob("*") if p.is_file()}
    assert key in internals and "manifest.json" in internals
    assert not names & (internals | {"grid_pool"}), names & internals
    assert not any("grid_pool" in tag for asset in listed for tag in asset.get("tags", [])), listed


def scan_finished(comfy, timeout: float = 120) -> None:
    """Run ComfyUI's asset scan to its end (the one started at start-up may still run: wait for it, then scan)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{comfy.url}/api/assets/seed?wait=true", method="POST",
                                         data=json.dumps({"roots": ["input"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if json.load(response)["status"] == "completed":
                    return
        except urllib.error.HTTPError as e:
            if e.code != 409:  # 409: a scan is running already
                raise
        time.sleep(0.2)
    raise AssertionError("the asset scan did not finish")
