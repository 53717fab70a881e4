"""Every route: its success path and the manifest it returns, and each error code's exact trigger."""

import blake3
import numpy as np
import pytest
from PIL import Image

from image_pool.pools.pools import Pools

from . import imagegen
from .http_helpers import add, client, error_of, form, input_dir  # noqa: F401 (fixtures)

PNG = [imagegen.png(seed=s) for s in range(3)]


async def test_list_unknown_pool_is_an_empty_manifest(client, pool_id):
    response = await client.get("/grid_pool/list", params={"pool_id": pool_id})
    assert response.status == 200
    assert await response.json() == {"format": 1, "pool_id": pool_id, "name": "", "revision": 0, "active": None, "slots": []}


async def test_routes_are_also_under_api(client, pool_id):
    response = await client.get("/api/grid_pool/list", params={"pool_id": pool_id})
    assert response.status == 200 and (await response.json())["pool_id"] == pool_id


async def test_add_multipart_many_files(client, pool_id, root):
    body = await add(client, pool_id, *PNG, label="batch")
    assert body["revision"] == 1 and len(body["slots"]) == 3
    assert body["added"] == [s["id"] for s in body["slots"]]
    assert [s["name"] for s in body["slots"]] == ["img0.png", "img1.png", "img2.png"]
    assert {s["label"] for s in body["slots"]} == {"batch"}
    assert body["slots"][0]["image"] == blake3.blake3(PNG[0]).hexdigest() + ".png"
    assert Pools(root).load(pool_id).to_json() == {k: v for k, v in body.items() if k != "added"}


async def test_add_from_input_folder(client, pool_id, input_dir):
    (input_dir / "sub").mkdir()
    (input_dir / "sub" / "photo.jpg").write_bytes(imagegen.jpeg())
    response = await client.post("/grid_pool/add", json={"pool_id": pool_id, "input_file": "photo.jpg",
                                                          "subfolder": "sub"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["slots"][0]["name"] == "photo.jpg" and body["slots"][0]["image"].endswith(".jpg")


async def test_remove_active_label(client, pool_id):
    a, b, c = (await add(client, pool_id, *PNG))["added"]
    body = await (await client.post("/grid_pool/active", json={"pool_id": pool_id, "slot": c})).json()
    assert body["active"] == c
    body = await (await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": b,
                                                              "label": "<b>bold</b>"})).json()
    assert body["slots"][1]["label"] == "<b>bold</b>"
    body = await (await client.post("/grid_pool/remove", json={"pool_id": pool_id, "slot": a})).json()
    assert [s["id"] for s in body["slots"]] == [b, c] and body["revision"] == 4


async def test_reorder_and_stale_reorder(client, pool_id):
    a, b, c = (await add(client, pool_id, *PNG))["added"]
    body = await (await client.post("/grid_pool/reorder", json={"pool_id": pool_id, "order": [c, b, a]})).json()
    assert [s["id"] for s in body["slots"]] == [c, b, a]
    stale = await client.post("/grid_pool/reorder", json={"pool_id": pool_id, "order": [a, b]})
    assert await error_of(stale, 409) == "stale_reorder"


async def test_detach_returns_the_new_pool(client, pool_id):
    await add(client, pool_id, *PNG)
    body = await (await client.post("/grid_pool/detach", json={"pool_id": pool_id})).json()
    assert body["pool_id"] != pool_id and len(body["slots"]) == 3
    listed = await (await client.get("/grid_pool/pools")).json()
    assert {p["pool_id"] for p in listed["pools"]} == {pool_id, body["pool_id"]}


def mask_png(width=32, height=24, mode="L", masked=(slice(2, 6), slice(3, 9))) -> bytes:
    if mode == "L":
        pixels = np.zeros((height, width), np.uint8)
        pixels[masked] = 255
        return imagegen.encode(Image.fromarray(pixels, "L"), "PNG")
    pixels = np.full((height, width, 4), 255, np.uint8)
    pixels[masked + (3,)] = 0  # alpha 0 = masked, as the MaskEditor saves
    return imagegen.encode(Image.fromarray(pixels, "RGBA"), "PNG")


@pytest.mark.parametrize("mode", ["L", "RGBA"])
async def test_set_mask_multipart_luminance_or_alpha(client, pool_id, root, mode):
    a, *_ = (await add(client, pool_id, *PNG))["added"]
    data = form(pool_id, slot=a)
    data.add_field("mask", mask_png(mode=mode), filename="mask.png")
    response = await client.post("/grid_pool/set_mask", data=data)
    assert response.status == 200, await response.text()
    key = (await response.json())["slots"][0]["mask"]
    stored = np.asarray(Image.open(Pools(root).objects.path(key)))
    assert stored.sum() == 4 * 6 * 255 and stored[2, 3] == 255


async def test_set_mask_from_maskeditor_file_and_clear(client, pool_id, input_dir):
    a, *_ = (await add(client, pool_id, *PNG))["added"]
    (input_dir / "clipspace").mkdir()
    (input_dir / "clipspace" / "clipspace-mask-123.png").write_bytes(mask_png(mode="RGBA"))
    response = await client.post("/grid_pool/set_mask", json={"pool_id": pool_id, "slot": a,
                                                               "input_file": "clipspace/clipspace-mask-123.png"})
    assert response.status == 200, await response.text()
    assert (await response.json())["slots"][0]["mask"]
    response = await client.post("/grid_pool/set_mask", json={"pool_id": pool_id, "slot": a, "clear": True})
    assert (await response.json())["slots"][0]["mask"] is None


async def test_set_mask_of_wrong_size_is_422(client, pool_id):
    a, *_ = (await add(client, pool_id, *PNG))["added"]
    data = form(pool_id, slot=a)
    data.add_field("mask", mask_png(width=10, height=10, masked=(slice(0, 2), slice(0, 2))), filename="m.png")
    assert await error_of(await client.post("/grid_pool/set_mask", data=data), 422) == "mask_size_mismatch"


async def test_unknown_slot_is_404(client, pool_id):
    await add(client, pool_id, PNG[0])
    for route in ("remove", "active"):
        response = await client.post(f"/grid_pool/{route}", json={"pool_id": pool_id, "slot": "s-00000000"})
        assert await error_of(response, 404) == "unknown_slot"


async def test_object_is_served_with_its_true_type_and_immutable(client, pool_id):
    body = await add(client, pool_id, imagegen.jpeg())
    key = body["slots"][0]["image"]
    response = await client.get(f"/grid_pool/object/{key}")
    assert response.status == 200 and await response.read() == imagegen.jpeg()
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{key.split(".")[0]}"'
    again = await client.get(f"/grid_pool/object/{key}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


async def test_thumbnail_is_webp_made_once(client, pool_id, root):
    body = await add(client, pool_id, imagegen.png(height=600, width=800, mode="RGBA"))
    key = body["slots"][0]["image"]
    response = await client.get(f"/grid_pool/thumb/{key}", params={"size": "128"})
    assert response.status == 200 and response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"].endswith("immutable")
    thumb = Image.open(__import__("io").BytesIO(await response.read()))
    assert thumb.format == "WEBP" and thumb.size == (128, 96) and thumb.mode == "RGBA"
    cached = list((root / "cache" / "thumbs" / "pillow" / "128").rglob("*.webp"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    assert (await client.get(f"/grid_pool/thumb/{key}", params={"size": "128"})).status == 200
    assert cached[0].stat().st_mtime_ns == mtime, "served from the cache, not made again"


async def test_thumbnail_of_unknown_object_is_404_and_bad_size_400(client):
    key = "0" * 64 + ".png"
    assert await error_of(await client.get(f"/grid_pool/thumb/{key}"), 404) == "unknown_object"
    assert await error_of(await client.get(f"/grid_pool/object/{key}"), 404) == "unknown_object"
    assert await error_of(await client.get(f"/grid_pool/thumb/{key}", params={"size": "7"}), 400) == "bad_request"


async def test_index_page_answers(client):
    response = await client.get("/")
    assert response.status == 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", ""])
async def test_a_json_body_of_another_media_type_is_refused_and_changes_nothing(client, pool_id, content_type):
    """An HTML form on another site can post these with no preflight; a JSON route takes only application/json."""
    a, *_ = (await add(client, pool_id, *PNG))["added"]
    body = f'{{"pool_id": "{pool_id}", "slot": "{a}", "label": "from a form"}}'
    response = await client.post("/grid_pool/label", data=body, headers={"Content-Type": content_type})
    assert await error_of(response, 415) == "not_json"
    assert (content_type or "application/octet-stream") in (await response.json())["error"]["message"]
    assert (await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json())["slots"][0]["label"] == ""


async def test_list_follows_a_change_made_by_another_process(client, pool_id, root):
    body = await add(client, pool_id, imagegen.png(seed=1))
    slot = body["added"][0]
    first = await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json()
    assert first == await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json()
    Pools(root).set_label(pool_id, slot, "changed elsewhere")  # another Pools: as another process would
    listed = await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json()
    assert listed["slots"][0]["label"] == "changed elsewhere" and listed["revision"] == first["revision"] + 1
