"""Export and import over HTTP, the same archives as the CLI's: a round trip keeps everything, a pool that is here is
a 409 unless a new id is asked for, a bad archive changes nothing, and the server's origin rules apply."""

import io
import tarfile

import numpy as np

from image_pool.pools.pools import Pools

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import add, client, error_of, input_dir  # noqa: F401 (fixtures)


async def export(client, pool_id) -> bytes:  # noqa: F811
    response = await client.get(f"/grid_pool/export?pool_id={pool_id}")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/x-tar"
    return await response.read()


async def import_(client, archive: bytes, **fields):  # noqa: F811
    import aiohttp
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    data.add_field("archive", archive, filename="pool.tar", content_type="application/x-tar")
    return await client.post("/grid_pool/import", data=data)


async def test_export_then_import_gives_back_the_whole_pool(client, root, pool_id):  # noqa: F811
    body = await add(client, pool_id, *[imagegen.png(seed=s) for s in range(3)])
    a, b, c = (s["id"] for s in body["slots"])
    pools = Pools(root)
    pools.set_name(pool_id, "Holiday \u00e9t\u00e9")
    pools.set_label(pool_id, b, "the middle one")
    pools.set_mask(pool_id, c, np.eye(24, 32, dtype=bool))
    pools.reorder(pool_id, [c, a, b])
    pools.set_active(pool_id, a)
    before = pools.load(pool_id)
    response = await client.get(f"/grid_pool/export?pool_id={pool_id}")
    archive = await response.read()
    assert "Holiday" in response.headers["Content-Disposition"] and ".imagepool.tar" in \
        response.headers["Content-Disposition"]

    repeat = await import_(client, archive)
    assert await error_of(repeat, 409) == "pool_exists", "a pool that is here is not replaced"

    pools.delete(pool_id)
    response = await import_(client, archive)
    assert response.status == 200, await response.text()
    after = Pools(root).load(pool_id)
    assert (after.name, after.slots, after.active) == (before.name, before.slots, before.active)

    copy = await import_(client, archive, new_id="true")
    assert copy.status == 200
    copied = (await copy.json())["pool_id"]
    assert copied != pool_id and Pools(root).load(copied).slots == before.slots


async def test_a_bad_archive_is_refused_and_changes_nothing(client, root, pool_id):  # noqa: F811
    await add(client, pool_id, imagegen.png(seed=1))
    archive = await export(client, pool_id)
    Pools(root).delete(pool_id)
    before = tree_snapshot(root / "pools"), sorted(Pools(root).objects.keys())
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name != "manifest.json":
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit of an object flipped
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    response = await import_(client, out.getvalue())
    assert await error_of(response, 400) == "bad_archive"
    response = await import_(client, b"not a tar at all")
    assert await error_of(response, 400) == "bad_archive"
    assert (tree_snapshot(root / "pools"), sorted(Pools(root).objects.keys())) == before
    assert not any((root / "objects" / "tmp").iterdir()), "the received archive is not left behind"


async def test_an_import_from_another_origin_is_refused(client, root, pool_id):  # noqa: F811
    await add(client, pool_id, imagegen.png(seed=2))
    archive = await export(client, pool_id)
    import aiohttp
    data = aiohttp.FormData()
    data.add_field("archive", archive, filename="pool.tar")
    response = await client.post("/grid_pool/import", data=data, headers={"Origin": "http://evil.example"})
    assert response.status == 403
    assert await error_of(await client.get("/grid_pool/export?pool_id=123e4567-e89b-12d3-a456-426614174000"),
                          404) == "unknown_pool"
