"""HTTP benchmark: list and one mutation on a 1,000-slot pool, against a bare aiohttp handler that
returns the same JSON, both served on loopback in the same run."""

import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table  # noqa: E402
from image_pool.pools import Pools  # noqa: E402
from image_pool.server import make_app  # noqa: E402
from image_pool.store import StoredObject  # noqa: E402
from tests import imagegen  # noqa: E402

SLOTS = 1_000


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def median_latency(session: aiohttp.ClientSession, make_request, repeat: int) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        async with make_request(i) as response:
            await response.read()
            assert response.status == 200, response.status
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


async def run(table: Table, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="image-pool-bench-http-") as tmp:
        root = Path(tmp)
        pools = Pools(root)
        pool_id = str(uuid.uuid4())
        stored = pools.objects.put_bytes(imagegen.png())
        manifest, slot_ids = pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * SLOTS)
        body = json.dumps(manifest.to_json()).encode()

        async def bare(request):
            return web.Response(body=body, content_type="application/json")
        bare_app = web.Application()
        bare_app.router.add_get("/bare", bare)
        bare_app.router.add_post("/bare", bare)

        ours_runner, ours = await start(make_app(root))
        bare_runner, bare_url = await start(bare_app)
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(5):  # warm both up
                    await (await session.get(f"{bare_url}/bare")).read()
                    await (await session.get(f"{ours}/grid_pool/list", params={"pool_id": pool_id})).read()
                baseline_get = await median_latency(session, lambda i: session.get(f"{bare_url}/bare"), repeat)
                ours_get = await median_latency(
                    session, lambda i: session.get(f"{ours}/grid_pool/list", params={"pool_id": pool_id}), repeat)
                table.ratio(f"list, {SLOTS:,}-slot pool vs bare handler with the same JSON", ours_get, baseline_get,
                            "reported")
                baseline_post = await median_latency(
                    session, lambda i: session.post(f"{bare_url}/bare", json={"label": str(i)}), repeat)
                ours_post = await median_latency(
                    session, lambda i: session.post(f"{ours}/grid_pool/label", json={
                        "pool_id": pool_id, "slot": slot_ids[i % SLOTS], "label": f"label {i}"}), repeat)
                table.ratio(f"label (locked, fsynced generation), {SLOTS:,}-slot pool vs bare handler", ours_post,
                            baseline_post, "reported")
        finally:
            await ours_runner.cleanup()
            await bare_runner.cleanup()
        table.value("manifest size", f"{len(body) / 1024:.0f} KiB for {SLOTS:,} slots")


def main(repeat: int = 51) -> Table:
    table = Table("HTTP API on loopback (python bench/run.py http)")
    asyncio.run(run(table, repeat))
    return table


if __name__ == "__main__":
    main().print()
