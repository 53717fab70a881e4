"""A result named as ComfyUI's /view names it (type, subfolder, filename) is added by the server from ComfyUI's own
output, temp or input folder: nothing outside them is read, and a result the pool holds is not added twice."""

import os

import pytest
from aiohttp import web

from image_pool.api.guard import Guard
from image_pool.api.routes import PoolApi
from image_pool.pools.pools import Pools

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import error_of


@pytest.fixture
def folders(tmp_path):
    made = {kind: tmp_path / kind for kind in ("input", "output", "temp")}
    for folder in made.values():
        folder.mkdir()
    (tmp_path / "secret.png").write_bytes(imagegen.png(seed=99))
    return made


@pytest.fixture
async def comfy(aiohttp_client, root, folders):
    """The routes as ComfyUI mounts them, with its three folders."""
    pools = Pools(root)
    routes = web.RouteTableDef()
    PoolApi(lambda: pools, lambda: folders["input"], Guard.for_comfyui("127.0.0.1"),
            result_dir=lambda kind: folders.get(kind)).register(routes, "/api/grid_pool")
    app = web.Application()
    app.add_routes(routes)
    return await aiohttp_client(app)


def contents(root) -> dict:
    """The store's files but its (empty) lock files, which a refused request may leave."""
    return {name: data for name, data in tree_snapshot(root).items() if not name.endswith(".lock")}


def drop(pool_id, filename, kind="output", subfolder=""):
    return {"pool_id": pool_id, "input_file": filename, "subfolder": subfolder, "type": kind}


@pytest.mark.parametrize("kind, subfolder", [("output", ""), ("output", "2026-12/run"), ("temp", ""),
                                             ("input", "clipspace")])
async def test_a_result_of_each_folder_is_added_by_name(comfy, folders, pool_id, kind, subfolder):
    (folders[kind] / subfolder).mkdir(parents=True, exist_ok=True)
    (folders[kind] / subfolder / "ComfyUI_00001_.png").write_bytes(imagegen.png(seed=4))
    response = await comfy.post("/api/grid_pool/add", json=drop(pool_id, "ComfyUI_00001_.png", kind, subfolder))
    assert response.status == 200, await response.text()
    body = await response.json()
    assert len(body["added"]) == 1 and body["slots"][0]["name"] == "ComfyUI_00001_.png"


async def test_a_result_dropped_twice_is_added_once(comfy, folders, pool_id):
    (folders["output"] / "a.png").write_bytes(imagegen.png(seed=4))
    (folders["temp"] / "copy of a.png").write_bytes(imagegen.png(seed=4))
    first = await (await comfy.post("/api/grid_pool/add", json=drop(pool_id, "a.png"))).json()
    again = await (await comfy.post("/api/grid_pool/add", json=drop(pool_id, "copy of a.png", "temp"))).json()
    assert len(first["added"]) == 1 and again["added"] == [] and again["revision"] == first["revision"] + 1
    assert [s["id"] for s in again["slots"]] == first["added"]


@pytest.mark.parametrize("filename, subfolder, kind, status, code", [
    ("secret.png", "..", "output", 400, "bad_request"),
    ("../secret.png", "", "output", 400, "bad_request"),
    ("/etc/passwd", "", "output", 400, "bad_request"),
    ("secret.png", "/", "temp", 400, "bad_request"),
    ("a.png", "", "models", 400, "bad_request"),
    ("a.png", "", "", 400, "bad_request"),
    ("missing.png", "", "output", 404, "unknown_input_file"),
    ("link.png", "", "output", 400, "bad_request"),
    ("a.png", "linked", "output", 400, "bad_request"),
    ("notes.txt", "", "output", 415, "not_an_image"),
])
async def test_nothing_outside_comfyuis_folders_is_read_and_nothing_changes(comfy, folders, root, pool_id, tmp_path,
                                                                           filename, subfolder, kind, status, code):
    os.symlink(tmp_path / "secret.png", folders["output"] / "link.png")
    os.symlink(tmp_path, folders["output"] / "linked")
    (folders["output"] / "notes.txt").write_text("not an image")
    before = contents(root)
    response = await comfy.post("/api/grid_pool/add", json=drop(pool_id, filename, kind, subfolder))
    assert await error_of(response, status) == code
    message = (await response.json())["error"]["message"]
    assert str(tmp_path) not in message, "never an internal path"
    assert contents(root) == before


async def test_the_standalone_server_has_no_output_folder(aiohttp_client, root, pool_id):
    from image_pool.api.server import make_app
    client = await aiohttp_client(make_app(root))
    response = await client.post("/grid_pool/add", json=drop(pool_id, "a.png"))
    assert await error_of(response, 400) == "no_input_folder"
    assert "no output folder" in (await response.json())["error"]["message"]


async def test_a_result_is_added_only_by_the_page_itself(comfy, folders, pool_id):
    (folders["output"] / "a.png").write_bytes(imagegen.png(seed=4))
    for origin in ("null", "https://evil.example"):
        response = await comfy.post("/api/grid_pool/add", json=drop(pool_id, "a.png"), headers={"Origin": origin})
        assert await error_of(response, 403) == "cross_origin"
    response = await comfy.post("/api/grid_pool/add", data='{"pool_id": "x"}', headers={"Content-Type": "text/plain"})
    assert response.status == 415
