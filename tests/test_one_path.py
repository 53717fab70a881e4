"""Every change to a pool takes one path (Pools.change): the pool's lock, which never makes a pool; the manifest read
under it; the check; the write. What publishes references to objects holds the store's gc lock shared, from its
first object to its manifest, and only then. One damaged pool harms no other. Each test is an attack that broke an
earlier version, replayed deterministically (a hook runs the other party at the moment that mattered)."""

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest

from image_pool import errors
from image_pool.api.http_json import pool_error_response
from image_pool.api.server import make_app
from image_pool.errors import GcRefused, PoolError, PoolExists
from image_pool.pools.archive import ArchiveInvalid, export_pool, import_pool, max_manifest_bytes
from image_pool.pools.maintenance import fsck, gc
from image_pool.pools.manifest import MAX_LABEL
from image_pool.pools.parsed_manifests import STAMP_NS, ParsedManifests
from image_pool.pools.pools import Pools
from image_pool.store import ids
from image_pool.store.objects import Ingest, StoredObject

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import add, client, error_of, form, input_dir  # noqa: F401 (fixtures)

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def another_pool_id() -> str:
    return str(uuid.uuid4())


# ----- row 1: an import never replaces what was confirmed meanwhile ---------------------------------------------

def test_an_import_never_erases_slots_added_while_it_copied(root, pool_id, tmp_path, monkeypatch):
    source = Pools(tmp_path / "elsewhere")
    source.add(pool_id, [imagegen.png(seed=s) for s in range(3)])
    archive = tmp_path / "pool.tar"
    export_pool(source, pool_id, archive)

    here = Pools(root)
    confirmed, started = [], []
    publish = Ingest.publish

    def copying(ingest):  # while import moves its objects in, another process adds to the same pool id
        if not started:
            started.append(True)
            confirmed.extend(Pools(root).add(pool_id, [imagegen.png(seed=99)])[1])
        return publish(ingest)
    monkeypatch.setattr(Ingest, "publish", copying)
    with pytest.raises(PoolExists):
        import_pool(here, archive)
    assert [s.id for s in Pools(root).load(pool_id).slots] == confirmed, "the confirmed add is all the pool holds"


async def test_importing_a_pool_that_is_here_is_a_409_and_changes_nothing(root, pool_id, tmp_path):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    archive = tmp_path / "pool.tar"
    export_pool(pools, pool_id, archive)
    before = tree_snapshot(root / "pools")
    with pytest.raises(PoolExists) as refused:
        import_pool(pools, archive)
    assert refused.value.status == 409 and "--new-id" in refused.value.message
    assert tree_snapshot(root / "pools") == before


# ----- row 2: detach's objects survive a delete of its source and a gc ------------------------------------------

def test_detach_keeps_its_objects_when_the_source_is_deleted_and_gc_runs_meanwhile(root, pool_id, monkeypatch):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=s) for s in range(2)])
    collector = {}
    new_pool_id = ids.new_pool_id

    def meanwhile():  # between detach's read of the source and the copy's publication
        def delete_and_collect():
            other = Pools(root)
            other.delete(pool_id)
            collector["report"] = gc(other, grace_days=0, wait=30)
        collector["thread"] = threading.Thread(target=delete_and_collect)
        collector["thread"].start()
        collector["thread"].join(timeout=1.0)  # an unprotected copy would be collected within this second
        return new_pool_id()
    monkeypatch.setattr(ids, "new_pool_id", meanwhile)
    copy = pools.detach(pool_id)
    collector["thread"].join(timeout=60)
    assert not collector["thread"].is_alive()
    missing = [key for key in copy.referenced_keys() if not pools.objects.exists(key)]
    assert not missing, "the copy references objects gc deleted"
    assert fsck(pools).clean


# ----- rows 3 and 4: whatever the API accepts exports and imports back whole ------------------------------------

@pytest.mark.slow
def test_a_pool_at_every_cap_exports_and_imports_back_whole(root, pool_id, tmp_path):
    pools = Pools(root)
    stored = pools.objects.put_bytes(imagegen.png(seed=5))
    emoji = "\U0001F600" * MAX_LABEL
    pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * pools.max_slots,
                      labels=[emoji] * pools.max_slots, names=["n" * 255] * pools.max_slots)
    pools.set_name(pool_id, "\U0001F600" * 200)
    original = pools.load(pool_id)
    size = os.path.getsize(pools.manifest_path(pool_id))
    assert size > 40_000_000 and size <= max_manifest_bytes(pools.max_slots)
    archive = tmp_path / "big.tar"
    export_pool(pools, pool_id, archive)
    pools.delete(pool_id)
    imported = import_pool(pools, archive).manifest
    assert (imported.pool_id, imported.name, imported.slots, imported.active) == \
        (original.pool_id, original.name, original.slots, original.active)


def test_export_then_import_keeps_name_order_labels_masks_and_active(root, pool_id, tmp_path):
    pools = Pools(root)
    _, (a, b, c) = pools.add(pool_id, [imagegen.png(seed=s) for s in range(3)], labels=["one", "two", "three"])
    pools.set_name(pool_id, "Holiday \u00e9t\u00e9")
    pools.set_mask(pool_id, b, np.eye(24, 32, dtype=bool))
    pools.reorder(pool_id, [c, a, b])
    pools.set_active(pool_id, b)
    original = pools.load(pool_id)
    archive = tmp_path / "pool.tar"
    export_pool(pools, pool_id, archive)
    elsewhere = Pools(tmp_path / "elsewhere")
    imported = import_pool(elsewhere, archive).manifest
    assert (imported.name, imported.slots, imported.active) == (original.name, original.slots, original.active)
    assert elsewhere.load(pool_id).name == "Holiday \u00e9t\u00e9"


# ----- row 5: a manifest that does not parse, for any reason, is damaged and harms no other pool -----------------

UNPARSABLE = {
    "a number too large for a float": lambda good: good.replace(b'"width":32', b'"width":1e400', 1),
    "nesting 200,000 deep": lambda good: b'{"format":1,"slots":' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "a slot that is a number": lambda good: good.replace(b'"slots":[', b'"slots":[7,', 1),
    "not UTF-8": lambda good: b"\xff\xfe" + good,
}


@pytest.mark.parametrize("damage", UNPARSABLE.values(), ids=UNPARSABLE.keys())
async def test_an_unparsable_manifest_opens_from_history_and_harms_no_other_pool(aiohttp_client, root, pool_id,
                                                                                  damage, tmp_path):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    pools.set_name(pool_id, "damaged one")
    healthy = another_pool_id()
    _, (other_slot,) = pools.add(healthy, [imagegen.png(seed=2)])
    path = pools.pool_dir(pool_id) / "manifest.json"
    path.write_bytes(damage(path.read_bytes()))

    client = await aiohttp_client(make_app(root))
    listed = await client.get(f"/grid_pool/list?pool_id={pool_id}")
    assert listed.status == 200 and (await listed.json())["name"] == "damaged one", "opened from history"
    everything = await client.get("/grid_pool/pools")
    assert everything.status == 200
    assert {p["pool_id"] for p in (await everything.json())["pools"]} == {pool_id, healthy}
    labelled = await client.post("/grid_pool/label", json={"pool_id": healthy, "slot": other_slot, "label": "fine"})
    assert labelled.status == 200

    report = fsck(pools)
    assert any(pool_id in p and "unreadable" in p for p in report.problems)
    with pytest.raises(GcRefused) as refused:
        gc(pools, grace_days=0)
    assert pool_id in refused.value.message and refused.value.code == "gc_refused"


@pytest.mark.parametrize("damage", UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_an_archive_with_an_unparsable_manifest_is_refused_with_a_message(root, pool_id, tmp_path, damage):
    from .archive_helpers import rewrite_archive
    pools = Pools(tmp_path / "source")
    pools.add(pool_id, [imagegen.png(seed=3)])
    archive, bad = tmp_path / "good.tar", tmp_path / "bad.tar"
    export_pool(pools, pool_id, archive)
    rewrite_archive(archive, bad, lambda name, data: damage(data) if name == "manifest.json" else data)
    with pytest.raises(ArchiveInvalid) as refused:
        import_pool(Pools(root), bad)
    assert "manifest.json" in refused.value.message and refused.value.code == "bad_archive"
    assert tree_snapshot(root) == {}


# ----- row 6: malformed input is a 400 whatever it holds ------------------------------------------------------

async def test_a_json_body_with_a_number_of_900000_digits_is_a_400(client, pool_id):  # noqa: F811
    body = b'{"pool_id": "' + pool_id.encode() + b'", "slot": "s-00000000", "label": ' + b"9" * 900_000 + b"}"
    response = await client.post("/grid_pool/label", data=body, headers={"Content-Type": "application/json"})
    assert await error_of(response, 400) == "bad_request"


# ----- row 7: a deleted pool stays deleted -------------------------------------------------------------------

def test_changes_racing_a_delete_never_bring_the_pool_back(root):
    for round_ in range(40):
        pools = Pools(root)
        pool_id = another_pool_id()
        _, (slot,) = pools.add(pool_id, [imagegen.png(seed=1)])
        start = threading.Barrier(3)

        def label():
            start.wait()
            try:
                Pools(root).set_label(pool_id, slot, f"round {round_}")
            except PoolError:
                pass

        def reorder():
            start.wait()
            try:
                Pools(root).reorder(pool_id, [slot])
            except PoolError:
                pass
        racers = [threading.Thread(target=label), threading.Thread(target=reorder)]
        for racer in racers:
            racer.start()
        start.wait()
        Pools(root).delete(pool_id)
        for racer in racers:
            racer.join(timeout=30)
        assert not pools.exists(pool_id) and pool_id not in pools.pool_ids(), f"round {round_}: the pool came back"


async def test_a_change_to_a_deleted_pool_is_an_unknown_pool_and_writes_nothing(client, root, pool_id):  # noqa: F811
    body = await add(client, pool_id, imagegen.png(seed=1))
    slot = body["slots"][0]["id"]
    assert (await client.post("/grid_pool/delete", json={"pool_id": pool_id})).status == 200
    before = tree_snapshot(root / "pools")
    for route, extra in (("label", {"slot": slot, "label": "x"}), ("reorder", {"order": []}),
                         ("remove", {"slot": slot}), ("active", {"slot": slot}), ("detach", {})):
        response = await client.post(f"/grid_pool/{route}", json={"pool_id": pool_id, **extra})
        assert await error_of(response, 404) == "unknown_pool", route
    assert tree_snapshot(root / "pools") == before
    listed = await (await client.get("/grid_pool/pools")).json()
    assert pool_id not in {p["pool_id"] for p in listed["pools"]}


# ----- row 9: a pool locked elsewhere holds no thread; other pools are served ---------------------------------

async def test_pools_locked_by_another_process_do_not_hold_up_a_change_to_another(aiohttp_client, root, tmp_path):
    pools = Pools(root)
    locked = {}
    for n in range(12):  # more than the server's write threads
        pool_id = another_pool_id()
        locked[pool_id] = pools.add(pool_id, [imagegen.png(seed=n)])[1][0]
    free = another_pool_id()
    _, (free_slot,) = pools.add(free, [imagegen.png(seed=50)])
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-m", "tests.lock_holder",
                               *(str(pools.lock(p).path) for p in locked), str(release)],
                              cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        client = await aiohttp_client(make_app(root, lock_timeout=30.0))
        waiting = [asyncio.ensure_future(client.post("/grid_pool/label", json={
            "pool_id": pool_id, "slot": slot, "label": "waits"})) for pool_id, slot in locked.items()]
        await asyncio.sleep(0.2)  # every locked request has started waiting
        response = await client.post("/grid_pool/label", json={"pool_id": free, "slot": free_slot, "label": "ok"})
        assert response.status == 200
        assert not any(task.done() for task in waiting), "answered while every locked pool was still waiting"
        release.touch()
        for result in await asyncio.gather(*waiting):
            assert result.status == 200, "once let go, the waiting changes go through"
    finally:
        release.touch()
        holder.wait(timeout=30)
        holder.stdout.close()


# ----- row 10: at most two decodes at once ------------------------------------------------------------------

async def test_uploads_are_checked_two_at_a_time(client, pool_id, monkeypatch):  # noqa: F811
    from image_pool.store import objects as store
    inside, most, guard = [0], [0], threading.Lock()
    real_inspect = store.inspect

    def counting(*args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.05)  # a decode takes a while: let the others pile up if nothing bounds them
            return real_inspect(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1
    monkeypatch.setattr(store, "inspect", counting)
    responses = await asyncio.gather(*(client.post("/grid_pool/add", data=form(
        another_pool_id(), [(f"{n}.png", imagegen.png(seed=n))])) for n in range(12)))
    assert all(r.status == 200 for r in responses)
    assert most[0] == 2


# ----- row 11: a list of pools costs a summary each; the parsed manifests are bounded in bytes -----------------

def test_the_parsed_manifests_are_bounded_in_bytes_and_summaries_stay_right(root, monkeypatch):
    small = ParsedManifests(max_bytes=3000)
    monkeypatch.setattr("image_pool.pools.pools.parsed", small)
    pools = Pools(root)
    made = {}
    for n in range(6):
        pool_id = another_pool_id()
        pools.add(pool_id, [imagegen.png(seed=n)] * (n + 1), labels=["x" * 200] * (n + 1))
        pools.set_name(pool_id, f"pool {n}")
        made[pool_id] = n + 1
    for pool_id in pools.pool_ids():
        pools.load(pool_id)
    assert small.bytes <= 3000
    summaries = {p: pools.summary(p) for p in pools.pool_ids()}
    assert {p: s.count for p, s in summaries.items()} == made
    assert all(s.name == f"pool {made[p] - 1}" for p, s in summaries.items())


def test_every_generation_carries_a_later_stamped_mtime(root, pool_id):
    pools = Pools(root)
    _, (slot,) = pools.add(pool_id, [imagegen.png(seed=1)])
    seen = []
    for n in range(30):  # same-size labels, as fast as it goes: times finer than a clock tick
        pools.set_label(pool_id, slot, f"label {n:02}")
        seen.append(os.stat(pools.manifest_path(pool_id)).st_mtime_ns)
        assert Pools(root).load(pool_id).slot(slot).label == f"label {n:02}"
    assert seen == sorted(set(seen)) and all(t % 1000 == STAMP_NS for t in seen)


def test_a_manifest_edited_in_place_by_something_else_is_read_as_it_is_now(root, pool_id):
    pools = Pools(root)
    _, (slot,) = pools.add(pool_id, [imagegen.png(seed=1)])
    pools.load(pool_id)
    path = pools.pool_dir(pool_id) / "manifest.json"
    data = json.loads(path.read_bytes())
    data["slots"][0]["label"] = "edited by hand"
    path.write_text(json.dumps(data))  # in place: same inode; its mtime carries no stamp
    assert pools.load(pool_id).slot(slot).label == "edited by hand"


# ----- row 12: a slow upload does not hold the store's gc lock ------------------------------------------------

async def test_a_trickling_upload_does_not_keep_gc_from_running(client, root, pool_id):  # noqa: F811
    Pools(root).add(pool_id, [imagegen.png(seed=1)])
    first_part_sent, finish = asyncio.Event(), asyncio.Event()
    boundary = "trickle"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pool_id\"\r\n\r\n{pool_id}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.png\"\r\n\r\n").encode()
    picture = imagegen.png(seed=2)

    async def body():
        yield head + picture[:100]
        first_part_sent.set()
        await finish.wait()
        yield picture[100:] + f"\r\n--{boundary}--\r\n".encode()
    upload = asyncio.ensure_future(client.post("/grid_pool/add", data=body(),
                                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    await first_part_sent.wait()
    await asyncio.sleep(0.1)  # the server has read the first part
    report = await asyncio.get_running_loop().run_in_executor(None, lambda: gc(Pools(root), wait=2.0))
    assert report is not None, "gc ran while the upload was still arriving"
    finish.set()
    response = await upload
    assert response.status == 200 and len((await response.json())["slots"]) == 2


# ----- row 13: every error kind reports its own code ---------------------------------------------------------

def all_error_kinds(base=PoolError):
    for kind in base.__subclasses__():
        yield kind
        yield from all_error_kinds(kind)


def test_every_error_kind_reports_the_code_and_status_it_declares():
    kinds = list(all_error_kinds())
    assert {errors.GcRefused, errors.ArchiveInvalid, errors.UnknownPool} <= set(kinds)
    codes = {}
    for kind in kinds:
        response = pool_error_response(kind("what went wrong"))
        body = json.loads(response.body)
        assert (response.status, body["error"]["code"]) == (kind.status, kind.code), kind.__name__
        assert kind.code not in codes, f"{kind.__name__} reports {codes.get(kind.code)}'s code {kind.code}"
        codes[kind.code] = kind.__name__
    assert (errors.GcRefused.code, errors.ArchiveInvalid.code, errors.ArchiveInvalid.status) == \
        ("gc_refused", "bad_archive", 400)


async def test_an_unknown_pool_and_an_unknown_slot_are_told_apart(client, pool_id):  # noqa: F811
    body = await add(client, pool_id, imagegen.png(seed=1))
    response = await client.post("/grid_pool/label", json={"pool_id": another_pool_id(), "slot": "s-00000000",
                                                            "label": "x"})
    assert await error_of(response, 404) == "unknown_pool"
    response = await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": "s-00000000", "label": "x"})
    assert await error_of(response, 404) == "unknown_slot"
    assert body["slots"][0]["label"] == ""


# ----- row 14: the small ones ------------------------------------------------------------------------------

async def test_if_none_match_for_an_object_that_is_not_there_is_a_404(client):  # noqa: F811
    key = "0" * 64 + ".png"
    response = await client.get(f"/grid_pool/object/{key}", headers={"If-None-Match": f'"{"0" * 64}"'})
    assert await error_of(response, 404) == "unknown_object"


@pytest.mark.parametrize("hidden", ["\u200b", "\u2060", "\ufeff", "\u00ad", "\U000E0041", "\U000E007F"],
                         ids=["zero-width space", "word joiner", "BOM", "soft hyphen", "tag A", "cancel tag"])
async def test_labels_and_names_lose_invisible_characters(client, pool_id, hidden):  # noqa: F811
    body = await add(client, pool_id, imagegen.png(seed=1))
    slot = body["slots"][0]["id"]
    labelled = await (await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": slot,
                                                                  "label": f"cat{hidden}s"})).json()
    named = await (await client.post("/grid_pool/rename", json={"pool_id": pool_id, "name": f"my{hidden}pool"})).json()
    assert labelled["slots"][0]["label"] == "cats" and named["name"] == "mypool"
    kept = await (await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": slot,
                                                              "label": "\U0001F469\u200d\U0001F4BB"})).json()
    assert kept["slots"][0]["label"] == "\U0001F469\u200d\U0001F4BB", "the zero-width joiner of an emoji stays"


class _Counting:
    """Stands in for a compiled pattern or a function and counts its calls."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def fullmatch(self, *args):
        self.calls += 1
        return self.real.fullmatch(*args)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


async def test_a_label_request_checks_its_pool_id_once_and_cleans_its_label_once(client, pool_id, monkeypatch):  # noqa: F811
    """One path, one check: the id is checked where the request is read and travels as a PoolId through the route,
    Pools.change, the lock and the manifest read; the label is cleaned where every caller's label is, in Pools."""
    from image_pool.pools import pools as pools_module
    slot = (await add(client, pool_id, imagegen.png(seed=1)))["slots"][0]["id"]
    checks = _Counting(ids.POOL_ID_RE)
    cleans = _Counting(pools_module.clean_text)
    monkeypatch.setattr(ids, "POOL_ID_RE", checks)
    monkeypatch.setattr(pools_module, "clean_text", cleans)
    body = await (await client.post("/grid_pool/label", json={"pool_id": pool_id.upper(), "slot": slot,
                                                              "label": "a\tcat"})).json()
    assert body["slots"][0]["label"] == "a cat"
    assert (checks.calls, cleans.calls) == (1, 1)


@pytest.mark.parametrize("bad", [{"label": "x" * (MAX_LABEL + 1)}, {"label": 7}, {"pool_id": "not-a-pool"}],
                         ids=["label over the cap", "label not text", "malformed pool id"])
async def test_a_label_refused_by_that_one_check_is_a_400_naming_it_and_changes_nothing(client, pool_id, bad):  # noqa: F811
    slot = (await add(client, pool_id, imagegen.png(seed=1)))["slots"][0]["id"]
    before = await (await client.get("/grid_pool/list", params={"pool_id": pool_id})).json()
    response = await client.post("/grid_pool/label", json={"pool_id": pool_id, "slot": slot, "label": "ok", **bad})
    assert await error_of(response, 400) == "bad_request"
    message = (await response.json())["error"]["message"]
    assert "label" in message or "pool_id" in message, message
    after = await (await client.get("/grid_pool/list", params={"pool_id": pool_id})).json()
    assert after == before
