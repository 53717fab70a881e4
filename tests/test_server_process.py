"""The standalone server as a real process: start, serve, stop; two servers on one root; many clients at once."""

import asyncio
import json
import random
import signal

import aiohttp
import numpy as np
import pytest
from PIL import Image

from image_pool.pools.manifest import Manifest
from image_pool.pools.pools import Pools

from . import imagegen
from .server_process import running_server

CLIENTS = 8
MUTATIONS = 200


def test_server_starts_serves_and_stops_cleanly(root, pool_id):
    import urllib.request
    with running_server(root) as (url, process, log_path):
        with urllib.request.urlopen(f"{url}/grid_pool/list?pool_id={pool_id}") as response:
            assert response.status == 200
            assert json.loads(response.read())["slots"] == []
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "stopped" in process.stdout.read()


async def mutate(session: aiohttp.ClientSession, url: str, pool_id: str, rng: random.Random, seed: int):
    """One random mutation; returns (kind, response body or None when refused as stale)."""
    kind = rng.choice(("add", "add", "label", "active", "mask", "reorder"))
    async with session.get(f"{url}/grid_pool/list", params={"pool_id": pool_id}) as r:
        slots = [s["id"] for s in (await r.json())["slots"]]
    if kind == "add" or not slots:
        data = aiohttp.FormData()
        data.add_field("pool_id", pool_id)
        data.add_field("file", imagegen.png(24, 32, seed=seed), filename=f"{seed}.png")
        kind, request = "add", session.post(f"{url}/grid_pool/add", data=data)
    elif kind == "label":
        request = session.post(f"{url}/grid_pool/label", json={"pool_id": pool_id, "slot": rng.choice(slots),
                                                                "label": f"l{seed}"})
    elif kind == "active":
        request = session.post(f"{url}/grid_pool/active", json={"pool_id": pool_id, "slot": rng.choice(slots)})
    elif kind == "mask":
        mask = np.zeros((24, 32), np.uint8)
        mask[rng.randrange(24)] = 255
        data = aiohttp.FormData()
        data.add_field("pool_id", pool_id)
        data.add_field("slot", rng.choice(slots))
        data.add_field("mask", imagegen.encode(Image.fromarray(mask, "L"), "PNG"), filename="m.png")
        request = session.post(f"{url}/grid_pool/set_mask", data=data)
    else:
        rng.shuffle(slots)
        request = session.post(f"{url}/grid_pool/reorder", json={"pool_id": pool_id, "order": slots})
    async with request as response:
        body = await response.json()
        if response.status == 409 and kind == "reorder":
            return kind, None  # someone added a slot since our list: refusing is right
        assert response.status == 200, body
        return kind, body


async def client_run(url: str, pool_id: str, worker: int, count: int):
    rng = random.Random(worker)
    added, revisions = [], []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for i in range(count):
            kind, body = await mutate(session, url, pool_id, rng, seed=worker * 100_000 + i)
            if body is None:
                continue
            revisions.append(body["revision"])
            if kind == "add":
                added.extend(body["added"])
    return added, revisions


async def many_clients(urls, pool_id, clients, count):
    return await asyncio.gather(*(client_run(urls[w % len(urls)], pool_id, w, count) for w in range(clients)))


def check_nothing_lost(root, pool_id, results):
    added = [slot for slots, _ in results for slot in slots]
    revisions = [r for _, revs in results for r in revs]
    for _, revs in results:
        assert revs == sorted(revs) and len(set(revs)) == len(revs), "each client sees revisions strictly increase"
    assert len(set(revisions)) == len(revisions), "no two mutations published the same generation"
    manifest = Manifest.loads((Pools(root).pool_dir(pool_id) / "manifest.json").read_bytes(), pool_id)
    assert sorted(s.id for s in manifest.slots) == sorted(added), "every add present exactly once"
    assert manifest.revision == len(revisions), "every confirmed mutation is one generation: none lost"


@pytest.mark.slow
def test_eight_clients_against_one_server_lose_nothing(root, pool_id):
    with running_server(root) as (url, _, _):
        results = asyncio.run(many_clients([url], pool_id, CLIENTS, MUTATIONS))
    check_nothing_lost(root, pool_id, results)


@pytest.mark.slow
def test_two_servers_on_one_root_keep_one_consistent_pool(root, pool_id):
    """As ComfyUI and the standalone manager would, at once on the same store."""
    with running_server(root) as (first, _, _), running_server(root) as (second, _, _):
        results = asyncio.run(many_clients([first, second], pool_id, 4, 50))
    check_nothing_lost(root, pool_id, results)


@pytest.mark.parametrize("verbose", [False, True])
def test_requests_are_logged_only_with_verbose(root, pool_id, verbose):
    import urllib.request
    with running_server(root, *(["--verbose"] if verbose else [])) as (url, process, log_path):
        for _ in range(5):
            with urllib.request.urlopen(f"{url}/grid_pool/list?pool_id={pool_id}") as response:
                response.read()
        with urllib.request.urlopen(f"{url}/grid_pool/pools") as response:
            response.read()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        logged = log_path.read_text()
    requests = [line for line in logged.splitlines() if "GET /grid_pool/" in line]
    assert len(requests) == (6 if verbose else 0), logged
