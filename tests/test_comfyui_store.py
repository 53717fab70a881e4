"""ComfyUI's store lives in a dot-folder, <input>/.grid_pool, which ComfyUI's asset scan skips; a store made before at
<input>/grid_pool is moved there once, whole, under its locks, and can never be split in two."""

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from image_pool.errors import PoolError
from image_pool.pools.pools import Pools
from image_pool.store import in_comfyui as comfyui_store

from . import imagegen
from .conftest import tree_snapshot

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def input_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(comfyui_store, "_decided", {})
    folder = tmp_path / "input"
    folder.mkdir()
    return folder


def former_store(input_dir, pool_id) -> Pools:
    pools = Pools(input_dir / "grid_pool")
    manifest, _ = pools.add(pool_id, [imagegen.png(seed=1), imagegen.png(seed=2)], labels=["a", "b"])
    mask = np.zeros((manifest.slots[0].height, manifest.slots[0].width), np.uint8)
    mask[:4, :4] = 255
    pools.set_mask(pool_id, manifest.slots[0].id, mask)
    return pools


def test_a_new_store_is_a_dot_folder(input_dir):
    assert comfyui_store.store_in(input_dir) == input_dir / ".grid_pool"
    assert not (input_dir / "grid_pool").exists()


def test_a_former_store_is_moved_whole_and_its_old_name_becomes_an_empty_file(input_dir, pool_id):
    before = tree_snapshot(former_store(input_dir, pool_id).root)
    root = comfyui_store.store_in(input_dir)
    assert root == input_dir / ".grid_pool" and tree_snapshot(root) == before
    marker = input_dir / "grid_pool"
    assert marker.is_file() and marker.stat().st_size == 0
    assert [s.label for s in Pools(root).load(pool_id).slots] == ["a", "b"] and Pools(root).load(pool_id).slots[0].mask
    assert comfyui_store.store_in(input_dir) == root, "decided once"


def test_an_older_process_cannot_make_the_store_again_under_its_old_name(input_dir, pool_id):
    older = former_store(input_dir, pool_id)
    comfyui_store.store_in(input_dir)
    assert older.load(pool_id).count == 0, "an older reader sees no pools there: nothing is removed"
    with pytest.raises((OSError, PoolError)):
        older.add(pool_id, [imagegen.png(seed=3)])
    assert (input_dir / "grid_pool").is_file() and Pools(input_dir / ".grid_pool").load(pool_id).count == 2


def test_a_store_in_use_by_another_process_stays_where_it_is_until_a_later_start(input_dir, pool_id, monkeypatch,
                                                                                 tmp_path):
    pools = former_store(input_dir, pool_id)
    monkeypatch.setattr(comfyui_store, "MOVE_WAIT", 0.3)
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-m", "tests.lock_holder", str(pools.lock(pool_id).path), str(release)],
                              cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert comfyui_store.store_in(input_dir) == input_dir / "grid_pool"
        assert Pools(input_dir / "grid_pool").load(pool_id).count == 2 and not (input_dir / ".grid_pool").exists()
    finally:
        release.touch()
        holder.wait(timeout=60)
        holder.stdout.close()
    monkeypatch.setattr(comfyui_store, "_decided", {})
    assert comfyui_store.store_in(input_dir) == input_dir / ".grid_pool"


def test_two_processes_opening_at_once_move_it_once(input_dir, pool_id):
    before = tree_snapshot(former_store(input_dir, pool_id).root)
    code = ("import sys; from image_pool.store.in_comfyui import store_in; "
            "sys.stdin.readline(); print(store_in(sys.argv[1]))")
    children = [subprocess.Popen([sys.executable, "-c", code, str(input_dir)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in range(3)]
    for child in children:  # all started; released together
        child.stdin.write("go\n")
        child.stdin.flush()
    said = {child.communicate(timeout=120)[0].strip() for child in children}
    assert said == {str(input_dir / ".grid_pool")}
    assert tree_snapshot(input_dir / ".grid_pool") == before and (input_dir / "grid_pool").is_file()


def test_a_store_already_moved_is_never_merged_with_a_folder_of_the_old_name(input_dir, pool_id):
    Pools(input_dir / ".grid_pool").add(pool_id, [imagegen.png(seed=5)])
    (input_dir / "grid_pool" / "pools").mkdir(parents=True)
    assert comfyui_store.store_in(input_dir) == input_dir / ".grid_pool"
    assert (input_dir / "grid_pool" / "pools").is_dir()


def test_the_cli_given_the_old_name_goes_where_the_store_moved(input_dir, pool_id):
    former_store(input_dir, pool_id)
    comfyui_store.store_in(input_dir)
    listed = subprocess.run([sys.executable, "-m", "image_pool", "list", "--root", str(input_dir / "grid_pool")],
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and pool_id in listed.stdout, listed.stderr
    assert "moved to" in listed.stderr and ".grid_pool" in listed.stderr


def test_threads_of_one_process_decide_once(input_dir, pool_id):
    former_store(input_dir, pool_id)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(comfyui_store.store_in(input_dir))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert set(seen) == {input_dir / ".grid_pool"}


def test_a_former_store_that_is_a_link_to_another_disk_moves_as_a_link(input_dir, pool_id, tmp_path):
    elsewhere = tmp_path / "big-disk" / "pools-store"
    Pools(elsewhere).add(pool_id, [imagegen.png(seed=4)], labels=["kept elsewhere"])
    (input_dir / "grid_pool").symlink_to(elsewhere, target_is_directory=True)
    root = comfyui_store.store_in(input_dir)
    assert root == input_dir / ".grid_pool" and root.is_symlink() and root.resolve() == elsewhere.resolve()
    assert [s.label for s in Pools(root).load(pool_id).slots] == ["kept elsewhere"]
    assert (input_dir / "grid_pool").is_file() and not (input_dir / "grid_pool").is_symlink()
