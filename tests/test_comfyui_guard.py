"""Inside a real ComfyUI, our routes apply the project's own guard (ComfyUI's lets `Origin: null` and foreign Host
names through), and ComfyUI's own frontend keeps working on loopback, by a LAN name, and behind a reverse proxy
with its own host name (issue 22, row 7). Needs IMAGE_POOL_COMFYUI; skipped without it."""

import json
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack

import pytest
from playwright.sync_api import sync_playwright

from image_pool.pools.pools import Pools

from . import imagegen
from .browser_support import CHROMIUM_ARGS, required_chromium
from .comfyui_support import running_comfyui
from .loopback_proxy import loopback_proxy
from .test_archive_bounds import gzip_stream, raw_header

pytestmark = pytest.mark.comfyui
PROXY_NAME = "pod-1234.proxy.example"  # a cloud host's public name, passed on by its proxy as Host
LAN_NAME = "gpu-box.lan"
LAN_ADDRESS = "192.168.50.7"  # never contacted: Chromium sends its requests to ComfyUI on loopback as a proxy


@pytest.fixture(scope="module")
def on_loopback(tmp_path_factory):
    """ComfyUI listening on 127.0.0.1 (its default), with the proxy's name allowed by the setting."""
    with running_comfyui(tmp_path_factory.mktemp("guard-loopback"),
                         env={"IMAGE_POOL_ALLOW_HOSTS": PROXY_NAME}) as instance:
        yield instance


@pytest.fixture(scope="module")
def on_all_addresses(tmp_path_factory):
    """ComfyUI started with --listen 0.0.0.0, as on a LAN or in a cloud container; reached here through loopback."""
    with running_comfyui(tmp_path_factory.mktemp("guard-all"), listen="0.0.0.0") as instance:
        yield instance


def send(comfy, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(comfy.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def port_of(comfy) -> int:
    return int(comfy.url.rsplit(":", 1)[1])


def a_pool(comfy) -> tuple[str, str]:
    pool_id = str(uuid.uuid4())
    _, slots = Pools(comfy.input_dir / ".grid_pool").add(pool_id, [imagegen.png(seed=1)])
    return pool_id, slots[0]


def label(comfy, pool_id, slot, headers) -> int:
    body = json.dumps({"pool_id": pool_id, "slot": slot, "label": "changed"}).encode()
    return send(comfy, "POST", "/api/grid_pool/label", body, {"Content-Type": "application/json", **headers})[0]


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("origin", ["null", "http://evil.example"])
def test_a_change_from_another_origin_is_refused_inside_comfyui(on_loopback, tmp_path, origin):
    """ComfyUI's own check refuses a foreign origin on a loopback Host (with an empty 403) and lets `null` through:
    that one is ours."""
    comfy = on_loopback
    ours = origin == "null"

    def refused(status, body):
        return status == 403 and (body["error"]["code"] == "cross_origin" if ours else True)
    pool_id, slot = a_pool(comfy)
    assert label(comfy, pool_id, slot, {"Origin": origin}) == 403
    status, body = send(comfy, "POST", "/api/grid_pool/delete", json.dumps({"pool_id": pool_id}).encode(),
                        {"Content-Type": "application/json", "Origin": origin})
    assert refused(status, body)
    bomb = tmp_path / "bomb.tar.gz"
    gzip_stream(bomb, raw_header("././@PaxHeader", 1 << 30, b"x"), 1 << 24)
    data, content_type = multipart("archive", "bomb.tar.gz", bomb.read_bytes())
    status, body = send(comfy, "POST", "/api/grid_pool/import", data, {"Content-Type": content_type,
                                                                       "Origin": origin})
    assert refused(status, body)
    pools = Pools(comfy.input_dir / ".grid_pool")
    assert pools.exists(pool_id) and pools.load(pool_id).slot(slot).label == ""


def test_a_form_body_is_not_json_inside_comfyui(on_loopback):
    comfy = on_loopback
    pool_id, slot = a_pool(comfy)
    body = json.dumps({"pool_id": pool_id, "slot": slot, "label": "pwned"}).encode()
    status, answer = send(comfy, "POST", "/api/grid_pool/label", body, {"Content-Type": "text/plain"})
    assert status == 415 and answer["error"]["code"] == "not_json"


@pytest.mark.parametrize("path", ["/api/grid_pool/pools", "/api/grid_pool/export?pool_id={pool}",
                                  "/grid_pool/list?pool_id={pool}"])
def test_a_rebound_host_reads_nothing_from_comfyui_on_loopback(on_loopback, path):
    comfy = on_loopback
    pool_id, _ = a_pool(comfy)
    status, body = send(comfy, "GET", path.format(pool=pool_id), headers={"Host": f"evil.example:{port_of(comfy)}"})
    assert status == 403 and body["error"]["code"] == "host_not_served"


def test_comfyui_on_all_addresses_serves_its_page_by_a_lan_address_and_refuses_other_origins(on_all_addresses):
    comfy = on_all_addresses
    pool_id, slot = a_pool(comfy)
    lan = f"{LAN_ADDRESS}:{port_of(comfy)}"
    assert label(comfy, pool_id, slot, {"Host": lan, "Origin": f"http://{lan}"}) == 200
    assert label(comfy, pool_id, slot, {"Host": lan, "Origin": "null"}) == 403
    assert label(comfy, pool_id, slot, {"Host": lan, "Origin": "http://evil.example"}) == 403


def test_comfyui_on_loopback_behind_a_proxy_serves_the_allowed_name(on_loopback):
    comfy = on_loopback
    pool_id, slot = a_pool(comfy)
    assert label(comfy, pool_id, slot, {"Host": PROXY_NAME, "Origin": f"https://{PROXY_NAME}"}) == 200
    assert label(comfy, pool_id, slot, {"Host": "other.proxy.example", "Origin": "https://other.proxy.example"}) == 403


@pytest.mark.browser
@pytest.mark.parametrize("where", ["loopback", "proxy name", "LAN name", "LAN address"])
def test_comfyuis_own_page_adds_to_a_pool_wherever_it_is_reached(on_loopback, on_all_addresses, where):
    """The real frontend, in Chromium, reached as a user reaches it: the node's grid lists, and adds an image
    through our routes with the page's own origin. Names are mapped to 127.0.0.1 by Chromium's resolver; a LAN
    address is reached through a proxy on loopback that sends everything to ComfyUI (the page's Host and Origin
    are the LAN address), so nothing leaves this machine."""
    from .test_comfyui_browser import add_pool_node, settle
    comfy, name = {"loopback": (on_loopback, "127.0.0.1"), "proxy name": (on_loopback, PROXY_NAME),
                   "LAN name": (on_all_addresses, LAN_NAME), "LAN address": (on_all_addresses, LAN_ADDRESS)}[where]
    comfy.use_renderer(False)
    path = required_chromium()
    with ExitStack() as stack:
        if where == "LAN address":
            proxy = stack.enter_context(loopback_proxy(port_of(comfy)))
            routing = [f"--proxy-server=http://127.0.0.1:{proxy}"]
        else:
            routing = [f"--host-resolver-rules=MAP {PROXY_NAME} 127.0.0.1, MAP {LAN_NAME} 127.0.0.1"]
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=path, args=[*CHROMIUM_ARGS, *routing])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            # 1.27.10's ~280 module files reach Chromium in 5-second steps by a name other than loopback's (the server
            # answers each at once): ~50 s before the app starts
            page.goto(f"http://{name}:{port_of(comfy)}/", wait_until="domcontentloaded", timeout=180_000)
            page.wait_for_function("() => window.app?.graph && window.LiteGraph?.createNode && app.extensionManager",
                                   timeout=120_000)
            settle(page)
            pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=7)])
            assert pools.load(pool_id).count == 1
        finally:
            browser.close()
