"""DNS rebinding and framing: the standalone server answers only the Host names it serves, and cannot be framed."""

import pytest

from image_pool.api.server import make_app

from . import imagegen
from .http_helpers import add, error_of

EVIL = "evil.example"


@pytest.fixture
async def served(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    body = await add(client, pool_id, imagegen.png(seed=3))
    return client, pool_id, body["slots"][0]


def rebound(client, name: str = EVIL) -> dict:
    """The headers a page on `name` sends after it has rebound its DNS name to this server."""
    origin = f"http://{name}:{client.server.port}"
    return {"Host": f"{name}:{client.server.port}", "Origin": origin}


@pytest.mark.parametrize("method,path", [("GET", "/grid_pool/pools"), ("GET", "/grid_pool/list?pool_id={pool}"),
                                         ("GET", "/grid_pool/object/{image}"), ("GET", "/"),
                                         ("POST", "/grid_pool/label"), ("POST", "/grid_pool/remove")])
async def test_a_rebound_host_name_gets_nothing_and_changes_nothing(served, method, path):
    client, pool_id, slot = served
    url = path.format(pool=pool_id, image=slot["image"])
    body = {"pool_id": pool_id, "slot": slot["id"], "label": "pwned"} if method == "POST" else None
    response = await client.request(method, url, json=body, headers=rebound(client))
    assert await error_of(response, 403) == "host_not_served"
    assert EVIL in (await response.json())["error"]["message"]
    after = await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json()
    assert after["slots"] == [slot]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "app.localhost"])
async def test_loopback_names_are_served(served, host):
    client, pool_id, _ = served
    response = await client.get(f"/grid_pool/list?pool_id={pool_id}", headers={"Host": f"{host}:{client.server.port}"})
    assert response.status == 200


async def test_a_name_allowed_by_flag_is_served(aiohttp_client, root):
    client = await aiohttp_client(make_app(root, allow_hosts=["pools.lan"]))
    assert (await client.get("/grid_pool/pools", headers={"Host": "pools.lan:8765"})).status == 200
    assert (await client.get("/grid_pool/pools", headers={"Host": "other.lan:8765"})).status == 403


async def test_the_listen_address_is_served(aiohttp_client, root):
    client = await aiohttp_client(make_app(root, listen_host="10.1.2.3"))
    assert (await client.get("/grid_pool/pools", headers={"Host": "10.1.2.3:8765"})).status == 200


@pytest.mark.parametrize("path", ["/", "/grid_pool/pools", "/grid_pool/object/{image}", "/grid_pool/thumb/{image}",
                                  "/grid_pool/list?pool_id=bad"])
async def test_no_response_may_be_framed(served, path):
    client, _, slot = served
    response = await client.get(path.format(image=slot["image"]))
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
