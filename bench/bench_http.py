"""HTTP benchmark on loopback, at 1,000 and 10,000 slots:
- `list` against a bare aiohttp handler returning the same bytes;
- a mutation (`label`) against the durability floor: the manifest's bytes written as the mutation writes them, twice
  (the history generation and manifest.json), each to a temp file, fsynced, renamed, and its folder fsynced (what
  makes a rename durable). The floor without the folder fsyncs is printed too.
Our server (`python -m image_pool serve`) and the bare handler each run in a process of their own; the client is a
plain keep-alive http.client connection, the same for both, and ours and the baseline are timed in turns."""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table, interleaved  # noqa: E402
from image_pool.pools.pools import Pools  # noqa: E402
from image_pool.store.atomic import fsync_dir  # noqa: E402
from image_pool.store.objects import StoredObject  # noqa: E402
from tests import imagegen  # noqa: E402
from tests.server_process import running_server  # noqa: E402

PAIRS = 31


BARE_SERVER = """
import sys
from pathlib import Path
from aiohttp import web
bodies = {p.stem: p.read_bytes() for p in Path(sys.argv[1]).glob("*.json")}
async def bare(request):
    return web.Response(body=bodies[request.query["pool_id"]], content_type="application/json")
app = web.Application()
app.router.add_get("/bare", bare)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=None, print=None)
"""


@contextmanager
def bare_server(bodies: dict[str, bytes], folder: Path):
    """A bare aiohttp handler returning the same bytes, in a process of its own (as our server is)."""
    folder.mkdir()
    for pool_id, body in bodies.items():
        (folder / f"{pool_id}.json").write_bytes(body)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(folder), str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the bare server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def requester(port: int):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(method: str, path: str, body: dict | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        response = connection.getresponse()
        payload = response.read()
        assert response.status == 200, (response.status, payload[:200])
        return payload
    return request


def floor(folder: Path, data: bytes, fsync_folders: bool):
    """Write `data` as a mutation does: into history/, then over manifest.json."""
    history = folder / "history"
    history.mkdir(parents=True, exist_ok=True)

    def write_twice():
        for target in (history / "1.json", folder / "manifest.json"):
            temp = target.parent / f".tmp-{target.name}"
            with open(temp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, target)
            if fsync_folders:
                fsync_dir(target.parent)
    return write_twice


def main() -> Table:
    table = Table("HTTP API on loopback", "python bench/run.py http")
    with tempfile.TemporaryDirectory(prefix="image-pool-bench-http-") as tmp:
        root = Path(tmp) / "store"
        pools = Pools(root)
        stored = pools.objects.put_bytes(imagegen.png())
        made = {}
        for slots in (1_000, 10_000):
            pool_id = str(uuid.uuid4())
            manifest, slot_ids = pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * slots,
                                                   labels=[f"a caption of some length, number {i}"
                                                           for i in range(slots)])
            made[slots] = (pool_id, slot_ids)
        bodies = {pool_id: (pools.pool_dir(pool_id) / "manifest.json").read_bytes() for pool_id, _ in made.values()}
        with running_server(root) as (url, _, _), bare_server(bodies, Path(tmp) / "bare") as bare_port:
            ours, bare = requester(int(url.rsplit(":", 1)[1])), requester(bare_port)
            for slots, (pool_id, slot_ids) in made.items():
                listed = ours("GET", f"/grid_pool/list?pool_id={pool_id}")
                assert json.loads(listed) == json.loads(bodies[pool_id]), "the bare handler returns the same JSON"
                table.target(f"list, {slots:,} slots", interleaved(
                    lambda: ours("GET", f"/grid_pool/list?pool_id={pool_id}"),
                    lambda: bare("GET", f"/bare?pool_id={pool_id}"), PAIRS), 2, "bare handler, same bytes")

                n = iter(range(10**9))
                data = (pools.pool_dir(pool_id) / "manifest.json").read_bytes()
                label = lambda: ours("POST", "/grid_pool/label", {  # noqa: E731
                    "pool_id": pool_id, "slot": slot_ids[next(n) % slots], "label": f"label {next(n)}"})
                scratch = Path(tmp) / f"floor-{slots}"
                table.target(f"label, {slots:,} slots", interleaved(label, floor(scratch, data, True), PAIRS), 2,
                             "durability floor")
                literal = interleaved(label, floor(scratch, data, False), PAIRS)
                table.value(f"label, {slots:,} slots, against the floor without folder fsyncs",
                            f"{literal.ratio:.2f}x (a rename is durable only once its folder is fsynced)")
            table.value("manifest sizes", ", ".join(f"{len(b) / 1024:,.0f} KiB" for b in bodies.values()))
    return table


if __name__ == "__main__":
    main().print()
