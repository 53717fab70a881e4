"""A file named from input/ is opened once without following links: swapping it for a symlink out of input/ while
adds run never stores the outside file, and never fails with a 500."""

import asyncio
import os
import threading

import blake3

from image_pool.api.server import make_app

from . import imagegen

ADDS = 300


async def test_swapping_the_file_for_a_link_out_never_stores_the_outside_file(aiohttp_client, root, pool_id,
                                                                                tmp_path):
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(imagegen.png(seed=66))
    real = imagegen.png(seed=65)
    name = input_dir / "photo.png"
    name.write_bytes(real)
    client = await aiohttp_client(make_app(root, input_dir))

    stop = threading.Event()

    def swap():
        spare_link, spare_file = input_dir / ".link", input_dir / ".file"
        while not stop.is_set():
            os.symlink(secret, spare_link)
            os.replace(spare_link, name)  # now a link out of input/
            spare_file.write_bytes(real)
            os.replace(spare_file, name)  # now the real file again
    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        statuses = []
        for _ in range(ADDS):
            response = await client.post("/grid_pool/add", json={"pool_id": pool_id, "input_file": "photo.png"})
            statuses.append(response.status)
            await response.read()
            await asyncio.sleep(0)
    finally:
        stop.set()
        swapper.join(timeout=30)
    assert set(statuses) <= {200, 400, 404}, f"statuses seen: {sorted(set(statuses))}"
    assert 200 in statuses and 400 in statuses, "both the file and the link were met"
    listing = await (await client.get(f"/grid_pool/list?pool_id={pool_id}")).json()
    stored = {s["image"].split(".")[0] for s in listing["slots"]}
    assert stored == {blake3.blake3(real).hexdigest()}


async def test_a_link_inside_a_subfolder_path_is_refused(aiohttp_client, root, pool_id, tmp_path):
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.png").write_bytes(imagegen.png(seed=3))
    os.symlink(outside, input_dir / "sub")
    client = await aiohttp_client(make_app(root, input_dir))
    response = await client.post("/grid_pool/add", json={"pool_id": pool_id, "input_file": "x.png",
                                                        "subfolder": "sub"})
    assert response.status == 400
    assert "symbolic link" in (await response.json())["error"]["message"]


async def test_a_fifo_is_refused_without_hanging(aiohttp_client, root, pool_id, tmp_path):
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    os.mkfifo(input_dir / "pipe.png")
    client = await aiohttp_client(make_app(root, input_dir))
    response = await client.post("/grid_pool/add", json={"pool_id": pool_id, "input_file": "pipe.png"})
    assert response.status == 404 and "not a file" in (await response.json())["error"]["message"]
