"""Hostile and malformed requests: each gets its 4xx with a JSON message, and the store stays byte-for-byte unchanged."""

import io
import os

import numpy as np
import pytest
from PIL import Image

from image_pool.api.server import make_app
from image_pool.pictures.formats import Limits
from image_pool.pools.manifest import MAX_LABEL

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import add, error_of, form

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
CAP = 64 * 1024


@pytest.fixture
async def hostile(aiohttp_client, root, tmp_path, pool_id):
    """A pool with two 24x32 slots, an input folder with a good file, a symlink out of it, and a secret outside."""
    input_dir = tmp_path / "input"
    (input_dir / "clipspace").mkdir(parents=True)
    (input_dir / "ok.png").write_bytes(imagegen.png(seed=50))
    (tmp_path / "secret.png").write_bytes(imagegen.png(seed=51))
    os.symlink(tmp_path / "secret.png", input_dir / "link.png")
    (input_dir / "folder.png").mkdir()
    client = await aiohttp_client(make_app(root, input_dir, Limits(max_bytes=CAP)))
    body = await add(client, pool_id, imagegen.png(seed=1), imagegen.png(seed=2))
    return client, pool_id, body["added"]


def big_png() -> bytes:
    data = imagegen.png(height=200, width=200, seed=9)
    assert len(data) > CAP
    return data


def wrong_size_mask() -> bytes:
    return imagegen.encode(Image.fromarray(np.full((10, 10), 255, np.uint8), "L"), "PNG")


def files_form(pool_id, *files):
    return form(pool_id, [(name, content) for name, content in files])


def mask_form(pool_id, slot, *masks):
    data = form(pool_id, slot=slot)
    for content in masks:
        data.add_field("mask", content, filename="mask.png")
    return data


K = "a" * 64
CASES = {
    # input_file paths (JSON add)
    "input-dotdot": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "../secret.png"}, 400),
    "input-absolute": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "/etc/passwd"}, 400),
    "input-symlink-out": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "link.png"}, 400),
    "input-subfolder-dotdot": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "secret.png",
                                                           "subfolder": ".."}, 400),
    "input-subfolder-absolute": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "x.png",
                                                             "subfolder": "/tmp"}, 400),
    "input-nul": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "ok.png\x00.txt"}, 400),
    "input-missing": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "nope.png"}, 404),
    "input-is-a-folder": ("json", "add", lambda p, s: {"pool_id": p, "input_file": "folder.png"}, 404),
    "input-not-a-string": ("json", "add", lambda p, s: {"pool_id": p, "input_file": ["ok.png"]}, 400),
    "mask-input-dotdot": ("json", "set_mask", lambda p, s: {"pool_id": p, "slot": s[0],
                                                            "input_file": "../../secret.png"}, 400),
    # ids and keys
    "pool-id-not-uuid": ("json", "remove", lambda p, s: {"pool_id": "../../etc", "slot": s[0]}, 400),
    "pool-id-traversal-upload": ("form", "add", lambda p, s: files_form("../x", ("a.png", imagegen.png())), 400),
    "detach-not-uuid": ("json", "detach", lambda p, s: {"pool_id": "pool-1"}, 400),
    "slot-id-malformed": ("json", "active", lambda p, s: {"pool_id": p, "slot": "../0"}, 400),
    "key-with-slash": ("get", "object/ab/" + K + ".png", None, 400),
    "key-with-dotdot": ("get", "object/..%2F..%2Fpools", None, 400),
    "key-upper-case": ("get", "object/" + K.upper() + ".png", None, 400),
    "key-wrong-length": ("get", "thumb/" + K[:-1] + ".png", None, 400),
    "key-svg-extension": ("get", "object/" + K + ".svg", None, 400),
    # what is uploaded
    "upload-svg": ("form", "add", lambda p, s: files_form(p, ("x.svg", SVG)), 415),
    "upload-html": ("form", "add", lambda p, s: files_form(p, ("x.html", HTML)), 415),
    "upload-text-renamed-png": ("form", "add", lambda p, s: files_form(p, ("x.png", b"just some text\n" * 20)), 415),
    "upload-truncated-png": ("form", "add", lambda p, s: files_form(p, ("t.png", imagegen.png(64, 64)[:300])), 415),
    "upload-bomb": ("form", "add", lambda p, s: files_form(p, ("bomb.png", imagegen.bomb_png())), 413),
    "upload-over-cap": ("form", "add", lambda p, s: files_form(p, ("big.png", big_png())), 413),
    "upload-good-then-bad": ("form", "add", lambda p, s: files_form(p, ("good.png", imagegen.png(seed=77)),
                                                                    ("bad.svg", SVG)), 415),
    "upload-no-file": ("form", "add", lambda p, s: form(p), 415),  # a form of text alone is not multipart
    "mask-svg": ("form", "set_mask", lambda p, s: mask_form(p, s[0], SVG), 415),
    "mask-wrong-size": ("form", "set_mask", lambda p, s: mask_form(p, s[0], wrong_size_mask()), 422),
    "mask-two-files": ("form", "set_mask", lambda p, s: mask_form(p, s[0], wrong_size_mask(), wrong_size_mask()),
                       400),
    "mask-unknown-pool": ("json", "set_mask", lambda p, s: {"pool_id": "123e4567-e89b-12d3-a456-426614174000",
                                                            "slot": s[0], "clear": True}, 404),
    # bodies and fields
    "reorder-not-permutation": ("json", "reorder", lambda p, s: {"pool_id": p, "order": [s[0], s[0]]}, 409),
    "reorder-not-a-list": ("json", "reorder", lambda p, s: {"pool_id": p, "order": "s-1,s-2"}, 400),
    "unknown-slot": ("json", "label", lambda p, s: {"pool_id": p, "slot": "s-00000000", "label": "x"}, 404),
    "json-not-an-object": ("json", "remove", lambda p, s: [p, s[0]], 400),
    "json-invalid": ("raw", "active", lambda p, s: b"{'pool_id': nope", 400),
    "missing-field": ("json", "label", lambda p, s: {"pool_id": p, "slot": s[0]}, 400),
    "label-too-long": ("json", "label", lambda p, s: {"pool_id": p, "slot": s[0], "label": "x" * 10_000}, 400),
    "label-not-text": ("json", "label", lambda p, s: {"pool_id": p, "slot": s[0], "label": {"html": 1}}, 400),
    "cross-origin-post": ("json", "active", lambda p, s: {"pool_id": p, "slot": s[1]}, 403),
    "json-nested-50000-deep": ("raw", "active", lambda p, s: b"[" * 50_000, 400),
    "json-body-over-cap": ("raw", "label", lambda p, s: b'{"label": "' + b"x" * (1024 * 1024) + b'"}', 413),
    # ids are matched whole: a trailing newline must not make a second, identical-looking pool or slot
    "pool-id-trailing-newline": ("json", "active", lambda p, s: {"pool_id": p + "\n", "slot": s[1]}, 400),
    "new-pool-id-trailing-newline": ("form", "add", lambda p, s: files_form("123e4567-e89b-12d3-a456-426614174000\n",
                                                                            ("a.png", imagegen.png())), 400),
    "slot-id-trailing-newline": ("json", "remove", lambda p, s: {"pool_id": p, "slot": s[0] + "\n"}, 400),
    "key-trailing-newline": ("get", "object/" + K + ".png%0A", None, 400),
    "detach-unknown-pool": ("json", "detach", lambda p, s: {"pool_id": "123e4567-e89b-12d3-a456-426614174000"}, 404),
    # multipart text fields are few and short
    "form-too-many-fields": ("form", "add", lambda p, s: form(p, [("a.png", imagegen.png())],
                                                              **{f"f{i}": "x" * 20_000 for i in range(40)}), 400),
    "form-field-too-large": ("form", "add", lambda p, s: form(p, [("a.png", imagegen.png())], label="x" * 100_000),
                             400),
}


@pytest.mark.parametrize("case", CASES)
async def test_hostile_request_is_refused_and_changes_nothing(hostile, root, case):
    client, pool_id, slots = hostile
    kind, route, make, status = CASES[case]
    before = tree_snapshot(root)
    if kind == "get":
        response = await client.get(f"/grid_pool/{route}")
    elif kind == "json":
        headers = {"Origin": "http://evil.example"} if case == "cross-origin-post" else {}
        response = await client.post(f"/grid_pool/{route}", json=make(pool_id, slots), headers=headers)
    elif kind == "raw":
        response = await client.post(f"/grid_pool/{route}", data=make(pool_id, slots),
                                     headers={"Content-Type": "application/json"})
    else:
        response = await client.post(f"/grid_pool/{route}", data=make(pool_id, slots))
    await error_of(response, status)
    assert tree_snapshot(root) == before


async def test_label_with_html_is_stored_as_text(hostile):
    client, pool_id, (a, _) = hostile
    html = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    response = await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": a, "label": html})
    assert response.status == 200 and response.content_type == "application/json"
    assert (await response.json())["slots"][0]["label"] == html
    assert MAX_LABEL < 10_000


async def test_label_loses_bidi_overrides_and_control_characters(hostile):
    client, pool_id, (a, _) = hostile
    sent = "\u202egnp.exe\x1b[31m\x00 tab\there \U0001F468\u200d\U0001F469"
    response = await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": a, "label": sent})
    label = (await response.json())["slots"][0]["label"]
    assert label == "gnp.exe[31m tab here \U0001F468\u200d\U0001F469"  # shown as typed, not as "exe.png"


async def test_a_bad_upload_is_named_by_the_users_file_name_not_a_temp_path(hostile, root):
    client, pool_id, _ = hostile
    response = await client.post("/grid_pool/add", data=files_form(pool_id, ("holiday-2024.png", b"not an image")))
    body = await response.json()
    message = body["error"]["message"]
    assert response.status == 415 and "holiday-2024.png" in message
    assert ".part" not in message and str(root) not in message and "/tmp" not in message


async def test_same_origin_post_is_accepted(hostile):
    client, pool_id, (a, b) = hostile
    origin = f"http://{client.server.host}:{client.server.port}"
    response = await client.post("/grid_pool/active", json={"pool_id": pool_id, "slot": b},
                                 headers={"Origin": origin})
    assert response.status == 200, await response.text()


async def test_uploaded_object_served_back_is_never_html(hostile):
    client, pool_id, _ = hostile
    body = await (await client.get("/grid_pool/list", params={"pool_id": pool_id})).json()
    response = await client.get(f"/grid_pool/object/{body['slots'][0]['image']}")
    assert response.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(await response.read())).format == "PNG"
