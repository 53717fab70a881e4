"""Archives are strangers' files: whatever their headers claim, an import holds a bounded amount of memory and disk,
stages inside the store, leaves nothing behind a crash, and export streams without copies (issue rows 1-6, 14)."""

import asyncio
import gzip
import lzma
import os
import signal
import subprocess
import sys
import tarfile
import threading
import tracemalloc
from pathlib import Path

import aiohttp
import pytest

from image_pool.api import routes
from image_pool.api.server import make_app
from image_pool.errors import StoreBusy
from image_pool.pools import tar_stream
from image_pool.pools.archive import ArchiveInvalid, export_pool, import_pool, max_manifest_bytes
from image_pool.pools.maintenance import gc
from image_pool.pools.pools import Pools
from image_pool.store.staging import Staging

from . import imagegen
from .archive_helpers import black_bmp
from .conftest import tree_snapshot
from .http_helpers import error_of

PROJECT = Path(__file__).resolve().parent.parent
MiB = 1 << 20
GiB = 1 << 30


def raw_header(name: str, size: int, kind: bytes) -> bytes:
    """A ustar header as any tar tool writes one, with a checksum that matches, for any type and any size."""
    info = tarfile.TarInfo(name)
    info.size, info.type = 0, kind
    block = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    block[124:136] = b"%011o\x00" % size
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def gzip_stream(path: Path, *parts) -> None:
    """Write a gzip file of the given pieces, where a piece may be an int: that many zero bytes, never held whole."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        for part in parts:
            if isinstance(part, int):
                zeros = bytes(MiB)
                for _ in range(part // MiB):
                    out.write(zeros)
                out.write(bytes(part % MiB))
            else:
                out.write(part)


def peak_traced(fn) -> int:
    """The most Python memory `fn` held at once, in bytes (every bytes, bytearray and parsed JSON value)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(pools: Pools, archive: Path, match: str) -> int:
    before = tree_snapshot(pools.root / "pools"), set(pools.objects.keys())

    def attempt():
        with pytest.raises(ArchiveInvalid, match=match):
            import_pool(pools, archive)
    peak = peak_traced(attempt)
    assert (tree_snapshot(pools.root / "pools"), set(pools.objects.keys())) == before
    assert not any(pools.objects.tmp_dir.iterdir()), "the staging is gone"
    return peak


@pytest.mark.parametrize("kind,what", [(b"x", "PAX extended header"), (b"L", "GNU long name"),
                                       (b"g", "PAX global header")])
def test_an_extension_header_claiming_a_gib_is_refused_before_it_is_buffered(tmp_path, root, kind, what):
    bomb = tmp_path / "bomb.tar.gz"
    gzip_stream(bomb, raw_header("././@LongLink", GiB, kind), GiB // 64)
    assert bomb.stat().st_size < 2 * MiB
    peak = refused(Pools(root), bomb, what)
    assert peak < 8 * MiB, f"{peak / MiB:.1f} MiB held"


def test_a_manifest_of_millions_of_empty_objects_at_its_cap_is_refused_unparsed(tmp_path, root):
    pools = Pools(root)
    cap = max_manifest_bytes(pools.max_slots)
    body = b'{"format": 1, "pool_id": "5b0c0c1e-4444-4444-8444-444444444444", "revision": 1, "slots": ['
    count = (cap - len(body) - 2) // 3
    manifest = body + b"{}," * (count - 1) + b"{}]}"
    assert len(manifest) <= cap and count > 15_000_000
    bomb = tmp_path / "values.tar.gz"
    gzip_stream(bomb, raw_header("manifest.json", len(manifest), b"0"), manifest, bytes(-len(manifest) % 512),
                bytes(1024))
    del manifest
    peak = refused(pools, bomb, "more JSON values")
    assert peak < 1.25 * cap, f"{peak / MiB:.0f} MiB held for a {cap / MiB:.0f} MiB manifest"


def test_a_manifest_with_text_full_of_commas_is_counted_without_its_strings(tmp_path, root, pool_id):
    """A caption full of commas is text, not values: such a pool exports and imports back."""
    pools = Pools(tmp_path / "source", max_slots=50)
    pools.add(pool_id, [imagegen.png(seed=s) for s in range(50)], labels=[",[{" * 300] * 50)
    export_pool(pools, pool_id, tmp_path / "commas.tar")
    imported = import_pool(Pools(root, max_slots=50), tmp_path / "commas.tar").manifest
    assert [s.label for s in imported.slots] == [",[{" * 300] * 50


def test_a_compressed_archive_expands_at_most_to_its_bound(tmp_path, root, pool_id, monkeypatch):
    """Big black BMPs compress a thousandfold: past the bound nothing more is written, and nothing is kept."""
    source = Pools(tmp_path / "source")
    source.add(pool_id, [black_bmp(1500 + i) for i in range(3)])  # ~7 MB each
    export_pool(source, pool_id, tmp_path / "plain.tar")
    packed = tmp_path / "pool.tar.xz"
    packed.write_bytes(lzma.compress((tmp_path / "plain.tar").read_bytes()))
    assert packed.stat().st_size < 64 * 1024
    monkeypatch.setattr(tar_stream, "EXPANSION_FLOOR", 8 * MiB)
    refused(Pools(root), packed, "expands to more than")


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress])
def test_a_compressed_export_imports_whole(tmp_path, root, pool_id, compress):
    source = Pools(tmp_path / "source")
    source.add(pool_id, [imagegen.png(seed=s) for s in range(3)], labels=["a", "b", "c"])
    export_pool(source, pool_id, tmp_path / "plain.tar")
    packed = tmp_path / "pool.tar.packed"
    packed.write_bytes(compress((tmp_path / "plain.tar").read_bytes()))
    assert [s.label for s in import_pool(Pools(root), packed).manifest.slots] == ["a", "b", "c"]


def test_an_import_stages_inside_the_store(tmp_path, root, pool_id, monkeypatch):
    """On the store's disk (a full one is the store's 507), never in $TMPDIR."""
    source = Pools(tmp_path / "source")
    source.add(pool_id, [imagegen.png(seed=1)])
    export_pool(source, pool_id, tmp_path / "pool.tar")
    elsewhere = tmp_path / "tmpdir"
    elsewhere.mkdir()
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    pools = Pools(root)
    seen = []
    real = Staging.__enter__

    def entered(staging):
        seen.append(staging.folder)
        return real(staging)
    monkeypatch.setattr(Staging, "__enter__", entered)
    import_pool(pools, tmp_path / "pool.tar")
    assert seen and all(folder.parent == pools.objects.tmp_dir for folder in seen)
    assert list(elsewhere.iterdir()) == []


CRASHING_IMPORT = """
import sys, time
from pathlib import Path
from image_pool.store.staging import Staging
staging = Staging(Path(sys.argv[1])).__enter__()
(staging.folder / "archive.tar").write_bytes(bytes(4 << 20))
print("staged", flush=True)
time.sleep(120)
"""


def crashed_import(pools: Pools) -> Path:
    """A staging left as kill -9 of an import leaves it; returns its folder."""
    child = subprocess.Popen([sys.executable, "-c", CRASHING_IMPORT, str(pools.objects.tmp_dir)],
                             env={**os.environ, "PYTHONPATH": str(PROJECT / "python")}, stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "staged"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    (folder,) = [p for p in pools.objects.tmp_dir.iterdir() if p.is_dir()]
    return folder


def test_what_a_killed_import_left_is_removed_at_the_next_start(root):
    pools = Pools(root)
    folder = crashed_import(pools)
    make_app(root)
    assert not folder.exists() and list(pools.objects.tmp_dir.iterdir()) == []


def test_what_a_killed_import_left_is_removed_by_gc_and_a_live_import_is_not(root):
    pools = Pools(root)
    folder = crashed_import(pools)
    with Staging(pools.objects.tmp_dir) as live:
        (live.folder / "archive.tar").write_bytes(b"arriving")
        report = gc(pools, grace_days=14)
        assert report.stagings == [folder] and not folder.exists()
        assert (live.folder / "archive.tar").exists()


# ----- export ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def served(aiohttp_client, root, pool_id):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(512, 512, seed=s) for s in range(6)], labels=list("abcdef"))
    return await aiohttp_client(make_app(root)), pools


async def test_slow_readers_of_an_export_leave_no_copy_of_it(served, pool_id):
    client, pools = served
    readers = [await client.get(f"/grid_pool/export?pool_id={pool_id}") for _ in range(3)]
    for response in readers:
        assert response.status == 200
        assert len(await response.content.readexactly(1024)) == 1024  # started, then reading slowly
    held = [p for p in pools.root.rglob("*") if p.is_file() and "objects/tmp" in p.as_posix()]
    assert held == [], "no archive is written to disk for a download"
    for response in readers:
        rest = await response.read()
        assert 1024 + len(rest) == response.content_length


async def test_an_export_survives_a_delete_and_gc_while_it_streams(served, pool_id, tmp_path, monkeypatch):
    client, pools = served
    streaming, go_on = threading.Event(), threading.Event()
    real = routes.export_chunks

    def paused(*args):  # the export's reading thread stops after its first piece until the test says
        chunks = real(*args)
        yield next(chunks)
        streaming.set()
        go_on.wait(30)
        yield from chunks
    monkeypatch.setattr(routes, "export_chunks", paused)
    loop = asyncio.get_running_loop()
    response = await client.get(f"/grid_pool/export?pool_id={pool_id}")
    assert await loop.run_in_executor(None, streaming.wait, 30)
    deleted = await client.post("/grid_pool/delete", json={"pool_id": pool_id})
    assert deleted.status == 200
    with pytest.raises(StoreBusy):  # the export holds the objects it reads; gc waits for it and gives up
        await loop.run_in_executor(None, lambda: gc(pools, grace_days=0, wait=0.3))
    go_on.set()
    archive = tmp_path / "during.tar"
    archive.write_bytes(await response.read())
    imported = import_pool(Pools(tmp_path / "elsewhere"), archive).manifest
    assert [s.label for s in imported.slots] == list("abcdef")
    assert (await client.get(f"/grid_pool/export?pool_id={pool_id}")).status == 404
    assert gc(pools, grace_days=0).deleted, "once the export ended, gc runs"


async def test_an_export_of_a_pool_with_no_valid_generation_is_a_409_like_every_route(served, pool_id):
    client, pools = served
    folder = pools.pool_dir(pool_id)
    for generation in (folder / "history").iterdir():
        generation.write_bytes(b"{")
    (folder / "manifest.json").write_bytes(b"not json")
    assert await error_of(await client.get(f"/grid_pool/export?pool_id={pool_id}"), 409) == "pool_damaged"


async def import_own_export(client, pool_id: str, new_id: str):
    data = aiohttp.FormData()
    data.add_field("new_id", new_id)
    data.add_field("archive", await (await client.get(f"/grid_pool/export?pool_id={pool_id}")).read(),
                   filename="a.tar", content_type="application/x-tar")
    return await client.post("/grid_pool/import", data=data)


@pytest.mark.parametrize("word,is_new", [("true", True), ("YES", True), ("1", True), ("on", True), ("false", False),
                                         ("0", False), ("no", False), ("", False)])
async def test_new_id_takes_true_and_false_words(served, pool_id, word, is_new):
    response = await import_own_export(served[0], pool_id, word)
    if is_new:
        assert response.status == 200 and (await response.json())["pool_id"] != pool_id
    else:
        assert await error_of(response, 409) == "pool_exists"


@pytest.mark.parametrize("word", ["2", "maybe", "tru"])
async def test_new_id_refuses_any_other_word(served, pool_id, word):
    client, pools = served
    response = await import_own_export(client, pool_id, word)
    assert await error_of(response, 400) == "bad_request"
    assert word in (await response.json())["error"]["message"]
    assert pools.pool_ids() == [pool_id]


async def test_a_stalled_reader_of_an_export_does_not_hold_gc_off(aiohttp_client, root, pool_id):
    """A download that stops reading is dropped after the client timeout, and with it the export's hold on gc."""
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(768, 768, seed=s) for s in range(12)])  # ~21 MB: more than socket buffers
    client = await aiohttp_client(make_app(root, client_timeout=0.5))
    response = await client.get(f"/grid_pool/export?pool_id={pool_id}")
    assert response.status == 200  # and then nothing is read
    loop = asyncio.get_running_loop()
    report = await loop.run_in_executor(None, lambda: gc(pools, grace_days=14, wait=20))
    assert report.kept_referenced == 12
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()
