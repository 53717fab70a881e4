"""Helpers for the HTTP tests: an app on a temp store, and requests as a browser would send them."""

import aiohttp
import pytest

from image_pool.api.server import make_app


@pytest.fixture
def input_dir(tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    return folder


@pytest.fixture
async def client(aiohttp_client, root, input_dir):
    return await aiohttp_client(make_app(root, input_dir))


def form(pool_id=None, files=(), **fields) -> aiohttp.FormData:
    data = aiohttp.FormData()
    if pool_id is not None:
        data.add_field("pool_id", pool_id)
    for name, value in fields.items():
        data.add_field(name, value)
    for name, content in files:
        data.add_field("file", content, filename=name, content_type="application/octet-stream")
    return data


async def add(client, pool_id, *images, label=None):
    extra = {"label": label} if label is not None else {}
    response = await client.post("/grid_pool/add", data=form(pool_id, [(f"img{i}.png", img)
                                                                        for i, img in enumerate(images)], **extra))
    assert response.status == 200, await response.text()
    return await response.json()


async def error_of(response, status: int) -> str:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return body["error"]["code"]
