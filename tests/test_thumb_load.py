"""Many clients asking for the thumbnail of one big image: it is rendered once, memory stays bounded, and the
server keeps answering other requests meanwhile."""

import asyncio
import io
import json
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from image_pool.api import thumbnails

from .http_helpers import add, client, input_dir  # noqa: F401  (fixtures)
from .server_process import running_server

ASKERS = 30


def big_rgba_png(side: int) -> bytes:
    """A large RGBA picture that compresses well: small to send, `side`² × 4 bytes to decode."""
    ramp = np.linspace(0, 255, side, dtype=np.float32).astype(np.uint8)
    pixels = np.empty((side, side, 4), np.uint8)
    pixels[..., 0] = ramp[None, :]
    pixels[..., 1] = ramp[:, None]
    pixels[..., 2] = 128
    pixels[..., 3] = 255
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG", compress_level=1)
    return out.getvalue()


async def test_thirty_askers_at_once_cause_one_render(client, pool_id, monkeypatch):
    body = await add(client, pool_id, big_rgba_png(1500))
    key = body["slots"][0]["image"]
    renders, started, release = [], threading.Event(), threading.Event()
    real_render = thumbnails.render

    def slow_render(source, size):
        renders.append(size)
        started.set()
        release.wait(timeout=60)  # hold the render until every asker is waiting on it
        return real_render(source, size)
    monkeypatch.setattr(thumbnails, "render", slow_render)

    askers = [asyncio.ensure_future(client.get(f"/grid_pool/thumb/{key}?size=256")) for _ in range(ASKERS)]
    await asyncio.to_thread(started.wait, 60)
    other = await client.get("/grid_pool/pools")  # answered while the render is held
    assert other.status == 200
    release.set()
    responses = await asyncio.gather(*askers)
    bodies = [await r.read() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert len(set(bodies)) == 1 and Image.open(io.BytesIO(bodies[0])).size == (256, 256)
    assert renders == [256]


def vm_peak_kb(pid: int) -> int:
    return status_kb(pid, "VmHWM")


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(f"{field}:"))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads the peak memory from /proc")
def test_thirty_askers_for_a_big_thumbnail_keep_memory_bounded(root, pool_id):
    side = 5000
    decoded_mb = side * side * 4 / 1e6
    data = big_rgba_png(side)
    with running_server(root) as (url, process, _):
        request = urllib.request.Request(f"{url}/grid_pool/add", method="POST")
        boundary = "b0undary"
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        request.data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pool_id\"\r\n\r\n{pool_id}\r\n"
                        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n"
                        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        with urllib.request.urlopen(request, timeout=120) as response:
            key = json.load(response)["slots"][0]["image"]
        before = vm_peak_kb(process.pid) / 1000
        resident_before = status_kb(process.pid, "VmRSS") / 1000

        def ask(_):
            with urllib.request.urlopen(f"{url}/grid_pool/thumb/{key}?size=512", timeout=300) as r:
                return r.status, r.read()
        started = time.monotonic()
        with ThreadPoolExecutor(ASKERS) as pool:
            results = list(pool.map(ask, range(ASKERS)))
        assert {status for status, _ in results} == {200} and len({body for _, body in results}) == 1
        growth = vm_peak_kb(process.pid) / 1000 - before
        # one render holds the decoded picture and a converted copy; thirty would need thirty
        assert growth < 3 * decoded_mb, (f"peak memory grew {growth:.0f} MB for a {decoded_mb:.0f} MB picture "
                                         f"({time.monotonic() - started:.1f} s)")
        kept = status_kb(process.pid, "VmRSS") / 1000 - resident_before
        assert kept < decoded_mb / 2, f"the server stays {kept:.0f} MB larger after the render"
