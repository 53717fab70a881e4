"""A full or read-only disk: a clear JSON error (507 / 503), and a store left as it was (no stray object, no temp
file, no half-written manifest). On a real small file system where the machine allows mounting one, and with the
failure injected at each write everywhere else."""

import errno
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from image_pool.api import thumbnails as thumbs
from image_pool.api.server import make_app
from image_pool.cli.commands import main
from image_pool.pools import pools as pools_module
from image_pool.pools.maintenance import fsck
from image_pool.pools.pools import Pools
from image_pool.store import atomic
from image_pool.store.objects import Ingest

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import add, error_of, form


def noise_png(seed: int) -> bytes:
    return imagegen.png(height=256, width=256, seed=seed)  # ~200 KB: it does not compress


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs, remountable read-only; skipped where this process may not mount (not root, not Linux)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if sys.platform != "linux" or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                                                 capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux; the injected-fault tests below cover this")

    def read_only():
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
    yield SimpleNamespace(path=mount_point, read_only=read_only)
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def unreferenced(pools: Pools) -> set[str]:
    referenced = set().union(*(m.referenced_keys() for m in pools.manifests()))
    return set(pools.objects.keys()) - referenced


async def test_a_real_full_disk_answers_507_and_leaves_nothing_behind(aiohttp_client, small_disk, pool_id):
    root = small_disk.path / "store"
    client = await aiohttp_client(make_app(root))
    statuses = []
    for seed in range(40):
        response = await client.post("/grid_pool/add", data=form(pool_id, [(f"{seed}.png", noise_png(seed))]))
        statuses.append(response.status)
        if response.status != 200:
            assert await error_of(response, 507) == "disk_full"
            break
    assert statuses[-1] == 507 and statuses.count(200) >= 3
    pools = Pools(root)
    assert unreferenced(pools) == set(), "the failed add's object was taken back"
    assert not any(pools.objects.tmp_dir.iterdir())
    assert fsck(pools).clean
    assert pools.load(pool_id).count == statuses.count(200)


async def test_a_real_read_only_disk_answers_503_and_reads_still_work(aiohttp_client, small_disk, pool_id):
    root = small_disk.path / "store"
    client = await aiohttp_client(make_app(root))
    body = await add(client, pool_id, imagegen.png(seed=1))
    slot = body["added"][0]
    small_disk.read_only()
    before = tree_snapshot(root)
    response = await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": slot, "label": "x"})
    assert await error_of(response, 503) == "read_only" and response.headers["Retry-After"]
    response = await client.post("/grid_pool/add", data=form(pool_id, [("2.png", imagegen.png(seed=2))]))
    assert await error_of(response, 503) == "read_only"
    assert (await client.get(f"/grid_pool/list?pool_id={pool_id}")).status == 200
    assert (await client.get(f"/grid_pool/object/{body['slots'][0]['image']}")).status == 200
    assert tree_snapshot(root) == before


# ----- the same failures injected at each write --------------------------------------------------------------

def fail_with(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, "injected")
    return fail


@pytest.fixture
async def served(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    body = await add(client, pool_id, imagegen.png(seed=1))
    return client, body["added"][0], body["slots"][0]["image"]


@pytest.mark.parametrize("code,status,name", [(errno.ENOSPC, 507, "disk_full"), (errno.EROFS, 503, "read_only")])
async def test_a_manifest_write_failing_takes_back_the_new_object(served, root, pool_id, monkeypatch, code, status,
                                                                  name):
    client, _, _ = served
    before = tree_snapshot(root)
    monkeypatch.setattr(pools_module, "write_atomic_each", fail_with(code))
    response = await client.post("/grid_pool/add", data=form(pool_id, [("new.png", imagegen.png(seed=2))]))
    assert await error_of(response, status) == name
    assert tree_snapshot(root) == before


async def test_a_manifest_write_failing_after_its_generation_was_written_leaves_nothing(served, root, pool_id,
                                                                                       monkeypatch):
    client, _, _ = served
    before = tree_snapshot(root)
    real = os.replace

    def full_at_the_manifest(source, target):  # the generation is already renamed into history/ by then
        if Path(target).name == "manifest.json":
            raise OSError(errno.ENOSPC, "injected")
        return real(source, target)
    monkeypatch.setattr(atomic.os, "replace", full_at_the_manifest)
    response = await client.post("/grid_pool/add", data=form(pool_id, [("new.png", imagegen.png(seed=2))]))
    assert await error_of(response, 507) == "disk_full"
    assert tree_snapshot(root) == before, "no orphan generation keeps the new object"


async def test_an_upload_failing_while_staged_leaves_no_temp_file(served, root, pool_id, monkeypatch):
    client, _, _ = served
    before = tree_snapshot(root)
    monkeypatch.setattr(Ingest, "write", fail_with(errno.ENOSPC))
    response = await client.post("/grid_pool/add", data=form(pool_id, [("new.png", imagegen.png(seed=2))]))
    assert await error_of(response, 507) == "disk_full"
    assert tree_snapshot(root) == before


async def test_a_mask_write_failing_changes_nothing(served, root, pool_id, monkeypatch):
    client, slot, _ = served
    before = tree_snapshot(root)
    monkeypatch.setattr(pools_module, "write_atomic_each", fail_with(errno.ENOSPC))
    mask = imagegen.encode(__import__("PIL.Image").Image.fromarray(np.full((24, 32), 255, np.uint8), "L"), "PNG")
    data = form(pool_id, slot=slot)
    data.add_field("mask", mask, filename="mask.png")
    assert await error_of(await client.post("/grid_pool/set_mask", data=data), 507) == "disk_full"
    assert tree_snapshot(root) == before


async def test_a_thumbnail_that_cannot_be_written_is_a_clear_error(served, monkeypatch):
    client, _, key = served
    monkeypatch.setattr(thumbs, "write_atomic", fail_with(errno.ENOSPC))
    assert await error_of(await client.get(f"/grid_pool/thumb/{key}"), 507) == "disk_full"


def test_the_cli_says_the_disk_is_full(root, pool_id, write, monkeypatch, capsys):
    Pools(root).add(pool_id, [imagegen.png(seed=4)])
    monkeypatch.setattr(pools_module, "write_atomic_each", fail_with(errno.ENOSPC))
    before = tree_snapshot(root)
    assert main(["add", pool_id, str(write("a.png", imagegen.png(seed=5))), "--root", str(root), "-q"]) == 1
    assert "disk holding the image store is full" in capsys.readouterr().err
    assert tree_snapshot(root) == before


async def test_an_import_that_fills_the_disk_answers_507_and_leaves_no_staging(aiohttp_client, small_disk, tmp_path):
    """The archive and its objects are staged inside the store, so the store's disk is the one that fills."""
    from image_pool.pools.archive import export_pool
    source = Pools(tmp_path / "source")
    source_id = "5b0c0c1e-6666-4666-8666-666666666666"
    source.add(source_id, [noise_png(seed) for seed in range(8)])  # ~1.6 MB: the archive and its staging pass 3 MB
    export_pool(source, source_id, tmp_path / "pool.tar")
    root = small_disk.path / "store"
    client = await aiohttp_client(make_app(root))
    data = form(None)
    data.add_field("archive", (tmp_path / "pool.tar").read_bytes(), filename="pool.tar")
    response = await client.post("/grid_pool/import", data=data)
    assert await error_of(response, 507) == "disk_full"
    pools = Pools(root)
    assert pools.pool_ids() == [] and list(pools.objects.keys()) == []
    assert [p for p in pools.objects.tmp_dir.iterdir()] == []
