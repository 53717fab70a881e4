"""Pools have a name (plain text, shown and editable in the manager, the API and the CLI) and can be deleted (the
manifest and history at once, the objects by a later gc). A refused name or delete changes nothing."""

import json
import os

import pytest

from image_pool.api.server import make_app
from image_pool.cli.commands import main
from image_pool.pools.maintenance import fsck, gc
from image_pool.pools.manifest import MAX_POOL_NAME
from image_pool.pools.pools import TRASH, Pools

from . import imagegen
from .conftest import tree_snapshot
from .http_helpers import error_of


def test_a_name_is_kept_with_the_pool_and_survives_changes(root, pool_id):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    assert pools.set_name(pool_id, "  Cats, 2024  ").name == "Cats, 2024"
    pools.add(pool_id, [imagegen.png(seed=2)])
    assert Pools(root).load(pool_id).name == "Cats, 2024", "read back from disk by another process"
    assert pools.detach(pool_id).name == "Cats, 2024 (copy)"


def test_a_new_pool_can_be_named_before_it_holds_anything(root, pool_id):
    assert Pools(root).set_name(pool_id, "empty for now").count == 0
    assert [m.name for m in Pools(root).manifests()] == ["empty for now"]


def test_a_name_is_text(root, pool_id):
    pools = Pools(root)
    assert pools.set_name(pool_id, "<b>bold</b>\u202e\nnext").name == "<b>bold</b> next"
    before = tree_snapshot(root)
    with pytest.raises(Exception) as refused:
        pools.set_name(pool_id, "x" * (MAX_POOL_NAME + 1))
    assert "over the limit" in str(refused.value)
    assert tree_snapshot(root) == before


async def test_the_api_names_lists_and_deletes(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    Pools(root).add(pool_id, [imagegen.png(seed=3)])
    response = await client.post("/grid_pool/rename", json={"pool_id": pool_id, "name": "Dogs"})
    assert response.status == 200 and (await response.json())["name"] == "Dogs"
    listed = (await (await client.get("/grid_pool/pools")).json())["pools"]
    assert [(p["pool_id"], p["name"]) for p in listed] == [(pool_id, "Dogs")]
    assert (await (await client.get("/grid_pool/list", params={"pool_id": pool_id})).json())["name"] == "Dogs"

    response = await client.post("/grid_pool/delete", json={"pool_id": pool_id})
    assert response.status == 200 and (await response.json()) == {"deleted": pool_id}
    assert (await (await client.get("/grid_pool/pools")).json())["pools"] == []
    assert not (root / "pools" / pool_id).exists() and not any((root / TRASH).iterdir())
    listed = await (await client.get("/grid_pool/list", params={"pool_id": pool_id})).json()
    assert listed["slots"] == [] and listed["name"] == ""


async def test_bad_names_and_deletes_are_refused_and_change_nothing(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    Pools(root).add(pool_id, [imagegen.png(seed=4)])
    before = tree_snapshot(root)
    assert await error_of(await client.post("/grid_pool/rename", json={"pool_id": pool_id, "name": 7}), 400)
    assert await error_of(await client.post("/grid_pool/rename", json={"pool_id": pool_id,
                                                                       "name": "n" * 201}), 400)
    assert await error_of(await client.post("/grid_pool/delete", json={"pool_id": "../pools"}), 400)
    other = "123e4567-e89b-42d3-a456-426614174000"
    assert await error_of(await client.post("/grid_pool/delete", json={"pool_id": other}), 404)
    assert tree_snapshot(root) == before


def test_a_deleted_pools_objects_go_at_the_next_gc_and_shared_ones_stay(root, pool_id):
    pools = Pools(root)
    manifest, _ = pools.add(pool_id, [imagegen.png(seed=5), imagegen.png(seed=6)])
    pools.add("123e4567-e89b-42d3-a456-426614174000", [imagegen.png(seed=5)])  # shares the first image
    pools.delete(pool_id)
    report = gc(pools, grace_days=0)
    assert report.deleted == [manifest.slots[1].image], "only the object no other pool references"
    assert pools.objects.exists(manifest.slots[0].image)
    assert fsck(pools).clean


def test_slot_changes_to_a_deleted_pool_are_refused_and_do_not_bring_it_back(root, pool_id):
    pools = Pools(root)
    manifest, (slot,) = pools.add(pool_id, [imagegen.png(seed=7)])
    stale = Pools(root)
    stale.load(pool_id)
    pools.delete(pool_id)
    with pytest.raises(Exception) as refused:
        stale.set_label(pool_id, slot, "late")
    assert "does not exist" in str(refused.value)
    assert not (root / "pools" / pool_id).exists()


def test_gc_removes_what_a_crashed_delete_left(root, pool_id):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=8)])
    (root / TRASH).mkdir()
    os.rename(root / "pools" / pool_id, root / TRASH / f"{pool_id}-1")  # the delete's rename, then a crash
    assert len(gc(pools, grace_days=0).deleted_pools) == 1
    assert not any((root / TRASH).iterdir())


def test_the_cli_names_and_deletes_asking_first(root, pool_id, capsys, monkeypatch):
    Pools(root).add(pool_id, [imagegen.png(seed=9)])
    assert main(["name", pool_id, "Birds", "--root", str(root)]) == 0
    assert main(["list", "--json", "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])[0]["name"] == "Birds"
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["delete", pool_id, "--root", str(root)]) == 0, "declining is not a failure"
    assert Pools(root).exists(pool_id)
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert main(["delete", pool_id, "--root", str(root)]) == 0
    assert not Pools(root).exists(pool_id)
    assert "deleted pool" in capsys.readouterr().out


def test_the_cli_does_not_delete_unasked_without_a_terminal(root, pool_id, capsys, monkeypatch):
    Pools(root).add(pool_id, [imagegen.png(seed=10)])
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["delete", pool_id, "--root", str(root)]) == 1
    assert "without --yes" in capsys.readouterr().err and Pools(root).exists(pool_id)
    assert main(["delete", pool_id, "--yes", "--root", str(root)]) == 0


# ----- names that cannot mislead (issue 22, row 8) -----------------------------------------------------------------

@pytest.mark.parametrize("spellings", [[" Dusk", "Dusk ", "Dusk"], ["Dusk\t", "\tDusk"], ["Du\u200bsk", "Dusk\u00ad"]],
                         ids=["spaces", "tabs", "invisible characters"])
def test_a_name_is_looked_up_as_it_is_stored(root, tmp_path, spellings, capsys):
    picture = tmp_path / "a.png"
    picture.write_bytes(imagegen.png(seed=1))
    for spelling in spellings:
        assert main(["add", spelling, str(picture), "--root", str(root), "-q"]) == 0
    manifests = Pools(root).manifests()
    assert [(m.name, m.count) for m in manifests] == [("Dusk", len(spellings))]


def test_a_pool_id_is_refused_as_a_name_everywhere(root, pool_id, tmp_path, capsys):
    pools = Pools(root)
    other = "123e4567-e89b-12d3-a456-426614174000"
    pools.add(pool_id, [imagegen.png(seed=1)])
    pools.add(other, [imagegen.png(seed=2)])
    before = tree_snapshot(root / "pools")
    assert main(["name", pool_id, other.upper(), "--root", str(root)]) == 1
    assert "cannot be a pool id" in capsys.readouterr().err
    assert tree_snapshot(root / "pools") == before
    assert main(["delete", other, "--root", str(root), "--yes"]) == 0
    assert pools.exists(pool_id) and not pools.exists(other), "the id named the pool it is the id of"


async def test_a_pool_id_is_refused_as_a_name_over_http(aiohttp_client, root, pool_id):
    client = await aiohttp_client(make_app(root))
    response = await client.post("/grid_pool/rename", json={"pool_id": pool_id,
                                                            "name": " 123e4567-e89b-12d3-a456-426614174000 "})
    assert await error_of(response, 400) == "bad_request"
    assert not Pools(root).exists(pool_id)


ADD_BY_NAME = """
import sys, time
from image_pool.cli.commands import main
open(sys.argv[2], "a").close()
while open(sys.argv[3]).read() != "go":
    time.sleep(0.001)
sys.exit(main(["add", "Fresh", sys.argv[4], "--root", sys.argv[1], "-q"]))
"""


def test_adds_to_a_new_name_at_once_in_several_processes_make_one_pool(tmp_path):
    """Each round starts three processes that wait for one signal, then all add to the name "Fresh"."""
    import subprocess
    import sys
    import time
    from pathlib import Path
    picture = tmp_path / "a.png"
    picture.write_bytes(imagegen.png(seed=1))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "python")}
    for round_ in range(6):
        root = tmp_path / f"store{round_}"
        gate = tmp_path / f"gate{round_}"
        gate.write_text("")
        ready = [tmp_path / f"ready{round_}-{i}" for i in range(3)]
        children = [subprocess.Popen([sys.executable, "-c", ADD_BY_NAME, str(root), str(r), str(gate), str(picture)],
                                     env=env) for r in ready]
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready):
            assert time.monotonic() < deadline, "the children did not start"
            time.sleep(0.01)
        gate.write_text("go")
        assert [c.wait(timeout=60) for c in children] == [0, 0, 0]
        assert [(m.name, m.count) for m in Pools(root).manifests()] == [("Fresh", 3)], f"round {round_}"
