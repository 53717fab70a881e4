"""The project's own guard on every route, as ComfyUI mounts them (a PoolApi on ComfyUI's route table, with the guard
ComfyUI's --listen gives) and as the standalone server does. ComfyUI's own origin check lets `Origin: null` and
foreign Host names through; these requests are what a hostile page sends."""

import aiohttp
import pytest
from aiohttp import web

from image_pool.api.guard import ENV_ALLOW_HOSTS, Guard
from image_pool.api.routes import PoolApi
from image_pool.pools.archive import export_pool
from image_pool.pools.pools import Pools

from . import imagegen
from .http_helpers import error_of

POOL = "5b0c0c1e-2222-4222-8222-222222222222"


def comfyui_app(root, listen: str) -> web.Application:
    """Our routes as the ComfyUI entry mounts them: on the host's route table, under both prefixes, with no
    middleware of ours (ComfyUI's own does not count)."""
    pools = Pools(root)
    routes = web.RouteTableDef()
    api = PoolApi(lambda: pools, guard=Guard.for_comfyui(listen))
    api.register(routes)
    api.register(routes, "/api/grid_pool")
    app = web.Application()
    app.add_routes(routes)
    return app


@pytest.fixture
def pool(root):
    pools = Pools(root)
    manifest, added = pools.add(POOL, [imagegen.png(seed=1)])
    return pools, added[0]


def archive_of(pools: Pools, tmp_path) -> bytes:
    other = Pools(tmp_path / "elsewhere")
    pool_id = "5b0c0c1e-3333-4333-8333-333333333333"
    other.add(pool_id, [imagegen.png(seed=9)])
    export_pool(other, pool_id, tmp_path / "a.tar")
    return (tmp_path / "a.tar").read_bytes()


def changes(pool_id: str, slot: str, archive: bytes):
    """Every kind of change a page could try: (path, how the body is sent)."""
    def multipart_add():
        data = aiohttp.FormData()
        data.add_field("pool_id", pool_id)
        data.add_field("file", imagegen.png(seed=5), filename="x.png", content_type="image/png")
        return {"data": data}

    def multipart_import():
        data = aiohttp.FormData()
        data.add_field("archive", archive, filename="a.tar", content_type="application/x-tar")
        return {"data": data}
    return [("label", lambda: {"json": {"pool_id": pool_id, "slot": slot, "label": "pwned"}}),
            ("remove", lambda: {"json": {"pool_id": pool_id, "slot": slot}}),
            ("delete", lambda: {"json": {"pool_id": pool_id}}),
            ("add", multipart_add), ("import", multipart_import)]


def state(pools: Pools) -> tuple:
    return tuple((p, pools.load(p).revision) for p in pools.pool_ids())


@pytest.mark.parametrize("prefix", ["/grid_pool", "/api/grid_pool"])
@pytest.mark.parametrize("origin", ["null", "http://evil.example", "http://localhost:9999", "file://"])
async def test_inside_comfyui_a_change_from_another_origin_is_refused(aiohttp_client, root, pool, tmp_path, prefix,
                                                                      origin):
    pools, slot = pool
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    before = state(pools)
    for path, body in changes(POOL, slot, archive_of(pools, tmp_path)):
        response = await client.post(f"{prefix}/{path}", headers={"Origin": origin}, **body())
        assert await error_of(response, 403) == "cross_origin", path
    assert state(pools) == before


@pytest.mark.parametrize("path", ["/api/grid_pool/pools", f"/api/grid_pool/list?pool_id={POOL}",
                                  f"/api/grid_pool/export?pool_id={POOL}"])
async def test_inside_comfyui_on_loopback_a_rebound_host_reads_nothing(aiohttp_client, root, pool, path):
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    response = await client.get(path, headers={"Host": "evil.example:8188"})
    assert await error_of(response, 403) == "host_not_served"
    assert ENV_ALLOW_HOSTS in (await response.json())["error"]["message"]


async def test_inside_comfyui_on_loopback_a_rebound_host_changes_nothing(aiohttp_client, root, pool):
    pools, slot = pool
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    headers = {"Host": "evil.example:8188", "Origin": "http://evil.example:8188"}  # same-origin after rebinding
    response = await client.post("/api/grid_pool/delete", json={"pool_id": POOL}, headers=headers)
    assert await error_of(response, 403) == "host_not_served"
    assert pools.exists(POOL)


async def page_request(client, host: str, origin: str, slot: str):
    """What ComfyUI's own page at `origin` sends for a label change and a listing."""
    headers = {"Host": host, "Origin": origin}
    change = await client.post("/api/grid_pool/label", json={"pool_id": POOL, "slot": slot, "label": "ok"},
                               headers=headers)
    listing = await client.get("/api/grid_pool/pools", headers={"Host": host})
    return change.status, listing.status


async def test_comfyuis_own_page_works_on_loopback(aiohttp_client, root, pool):
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    for host in ("127.0.0.1:8188", "localhost:8188", "[::1]:8188"):
        assert await page_request(client, host, f"http://{host}", pool[1]) == (200, 200)


async def test_comfyuis_own_page_works_on_a_lan_address(aiohttp_client, root, pool):
    client = await aiohttp_client(comfyui_app(root, "0.0.0.0"))
    for host in ("192.168.1.20:8188", "gpu-box:8188"):
        assert await page_request(client, host, f"http://{host}", pool[1]) == (200, 200)
    response = await client.post("/api/grid_pool/label", json={"pool_id": POOL, "slot": pool[1], "label": "x"},
                                 headers={"Host": "192.168.1.20:8188", "Origin": "http://192.168.1.99:8188"})
    assert await error_of(response, 403) == "cross_origin"


async def test_comfyuis_own_page_works_behind_a_reverse_proxy(aiohttp_client, root, pool, monkeypatch):
    """A cloud host's proxy passes its own name as Host. ComfyUI listening beyond loopback serves it as it is; one
    listening on loopback (the proxy on the same machine) cannot tell the proxy from a rebinding page, so the name
    is allowed by the setting."""
    public = "pod-1234.proxy.example"
    behind = await aiohttp_client(comfyui_app(root, "0.0.0.0"))
    assert await page_request(behind, public, f"https://{public}", pool[1]) == (200, 200)
    on_loopback = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    assert await page_request(on_loopback, public, f"https://{public}", pool[1]) == (403, 403)
    monkeypatch.setenv(ENV_ALLOW_HOSTS, f"other.example, {public}")
    allowed = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    assert await page_request(allowed, public, f"https://{public}", pool[1]) == (200, 200)
    # a proxy that rewrites Host to the upstream address: the allowed name is trusted as the page's origin
    assert await page_request(allowed, "127.0.0.1:8188", f"https://{public}", pool[1]) == (200, 200)


async def test_a_request_with_no_origin_is_a_script_and_passes(aiohttp_client, root, pool):
    """curl and scripts send no Origin; every browser sends one with a POST."""
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    response = await client.post("/api/grid_pool/label", json={"pool_id": POOL, "slot": pool[1], "label": "curl"})
    assert response.status == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_inside_comfyui_a_form_body_is_not_json(aiohttp_client, root, pool, content_type):
    pools, slot = pool
    client = await aiohttp_client(comfyui_app(root, "127.0.0.1"))
    body = f'{{"pool_id": "{POOL}", "slot": "{slot}", "label": "pwned"}}'
    response = await client.post("/api/grid_pool/label", data=body, headers={"Content-Type": content_type})
    assert await error_of(response, 415) == "not_json"
    assert pools.load(POOL).slots[0].label == ""


def test_the_guard_follows_comfyuis_listen_addresses():
    assert not Guard.for_comfyui("127.0.0.1").serves("evil.example")
    assert not Guard.for_comfyui("127.0.0.1,::1").serves("evil.example")
    assert Guard.for_comfyui("127.0.0.1").serves("127.0.0.5")
    assert Guard.for_comfyui("0.0.0.0,::").serves("evil.example")
    assert Guard.for_comfyui("127.0.0.1,192.168.1.20").serves("anything.lan")


def test_the_standalone_guard_serves_ip_literals_only_on_a_wildcard_listen():
    assert Guard.for_standalone("0.0.0.0").serves("192.168.1.20")
    assert not Guard.for_standalone("0.0.0.0").serves("evil.example")
    assert not Guard.for_standalone("127.0.0.1").serves("192.168.1.20")
    assert Guard.for_standalone("10.1.2.3").serves("10.1.2.3")



async def test_a_request_in_absolute_form_is_judged_by_its_host_header(aiohttp_client, root, pool):
    """What a browser sends through an HTTP proxy: `POST http://host:port/path`. Its origin is the Host header's."""
    import asyncio
    import json as json_module
    client = await aiohttp_client(comfyui_app(root, "0.0.0.0"))
    lan = "192.168.50.7:8188"
    body = json_module.dumps({"pool_id": POOL, "slot": pool[1], "label": "through a proxy"}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(f"POST http://{lan}/api/grid_pool/label HTTP/1.1\r\nHost: {lan}\r\nOrigin: http://{lan}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                 .encode() + body)
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert pool[0].load(POOL).slots[0].label == "through a proxy"
