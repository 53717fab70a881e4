"""Hostile pool archives: each is refused by its headers or its first bad member, before much is written, and
changes nothing; an imported manifest is judged as API input is; export never writes a damaged object."""

import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from image_pool.cli.commands import main
from image_pool.errors import DamagedObject
from image_pool.pools import archive
from image_pool.pools.archive import ArchiveInvalid, export_pool, import_pool
from image_pool.pools.maintenance import fsck
from image_pool.pools.pools import Pools

from . import imagegen
from .archive_helpers import rewrite_archive
from .conftest import tree_snapshot

GiB = 1024 ** 3


class Zeros(io.RawIOBase):
    def read(self, n=-1):
        return bytes(n)

    def readable(self):
        return True


@pytest.fixture
def exported(root, pool_id, tmp_path):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1), imagegen.png(seed=2)], labels=["one", "two"])
    path = tmp_path / "pool.tar"
    export_pool(pools, pool_id, path)
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    return path, manifest


@pytest.fixture
def target(tmp_path):
    return Pools(tmp_path / "target")


@pytest.fixture
def staged(monkeypatch):
    """The objects import copies out of an archive (to prove a bad one stops before copying more)."""
    calls = []
    real = archive._stage

    def spy(chunks, ingest, key):
        calls.append(key)
        return real(chunks, ingest, key)
    monkeypatch.setattr(archive, "_stage", spy)
    return calls


def refuse(pools: Pools, path, match: str) -> None:
    before = tree_snapshot(pools.root)
    with pytest.raises(ArchiveInvalid, match=match):
        import_pool(pools, path)
    assert tree_snapshot(pools.root) == before


def manifest_then(manifest: dict, members, out, mode="w") -> None:
    """An archive of `manifest` followed by (name, size, fileobj) members."""
    with tarfile.open(out, mode) as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, size, source in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, source)


def object_name(key: str) -> str:
    return f"objects/{key[:2]}/{key}"


@pytest.mark.skipif(shutil.which("tar") is None, reason="needs GNU tar to write a sparse member")
def test_a_sparse_member_of_five_gib_is_refused_by_its_header(exported, target, tmp_path, staged):
    _, manifest = exported
    key = manifest["slots"][0]["image"]
    folder = tmp_path / "sparse"
    (folder / "objects" / key[:2]).mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with open(folder / "objects" / key[:2] / key, "wb") as f:
        f.truncate(5 * GiB)
    bomb = tmp_path / "sparse.tar"
    subprocess.run(["tar", "--sparse", "-cf", str(bomb), "-C", str(folder), "manifest.json",
                    f"objects/{key[:2]}/{key}"], check=True)
    assert bomb.stat().st_size < 1024 * 1024
    refuse(target, bomb, "sparse file: a pool archive holds plain files only")
    assert staged == []


def test_a_gzip_bomb_member_over_the_cap_is_refused_by_its_header(exported, target, tmp_path, staged):
    _, manifest = exported
    key = manifest["slots"][0]["image"]
    bomb = tmp_path / "bomb.tar.gz"
    size = target.objects.limits.max_bytes + 1
    manifest_then(manifest, [(object_name(key), size, Zeros())], bomb, "w:gz")
    assert bomb.stat().st_size < 1024 * 1024
    refuse(target, bomb, "over the limit")
    assert staged == []


def test_a_gzip_of_many_large_members_stops_at_the_first(exported, target, tmp_path, staged):
    """3 GB of zeros in 100 members: the first fails its hash, and nothing after it is read or written."""
    _, manifest = exported
    keys = [s["image"] for s in manifest["slots"]]
    bomb = tmp_path / "many.tar.gz"
    manifest_then(manifest, [(object_name(keys[i % 2]), 30 * 1024 * 1024, Zeros()) for i in range(2)], bomb, "w:gz")
    refuse(target, bomb, "does not match its hash")
    assert len(staged) == 1


def test_more_members_than_a_pool_can_hold_is_refused(exported, tmp_path):
    path, _ = exported
    small = Pools(tmp_path / "small", max_slots=1)
    refuse(small, path, "slots, over the limit|more than")


def test_a_second_manifest_is_refused(exported, target, tmp_path):
    path, _ = exported
    bad = tmp_path / "two-manifests.tar"
    rewrite_archive(path, bad, lambda n, d: [(n, d), ("manifest.json", d)] if n == "manifest.json" else d)
    refuse(target, bad, "manifest.json")


@pytest.mark.parametrize("change,match", [
    (lambda s: s.update(label="x" * 100_007), "label"),
    (lambda s: s.update(width=s["width"] + 1), "says 33x24"),
    (lambda s: s.update(mask=s["image"]), "not a single-channel PNG"),
    (lambda s: s.update(id="s-0000000\n"), "invalid"),
])
def test_a_manifest_the_api_would_refuse_is_refused(exported, target, tmp_path, change, match):
    path, manifest = exported
    change(manifest["slots"][0])
    bad = tmp_path / "bad.tar"
    rewrite_archive(path, bad, lambda n, d: json.dumps(manifest).encode() if n == "manifest.json" else d)
    refuse(target, bad, match)


def test_control_characters_in_imported_labels_are_cleaned_as_the_api_cleans_them(exported, target, tmp_path):
    path, manifest = exported
    manifest["slots"][0]["label"] = "ok\x1b[2J\x00\u202egnp.exe"
    manifest["slots"][1]["name"] = "a\nb.png"
    bad = tmp_path / "dirty.tar"
    rewrite_archive(path, bad, lambda n, d: json.dumps(manifest).encode() if n == "manifest.json" else d)
    imported = import_pool(target, bad).manifest
    assert [s.label for s in imported.slots] == ["ok[2Jgnp.exe", "two"]
    assert imported.slots[1].name == "a b.png"


def test_fsck_flags_a_manifest_the_api_would_not_have_written(root, pool_id):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    path = pools.pool_dir(pool_id) / "manifest.json"
    manifest = json.loads(path.read_bytes())
    manifest["slots"][0].update(label="\x1b[31m" + "y" * 2000, height=99)
    path.write_text(json.dumps(manifest))
    problems = " ".join(fsck(pools).problems)
    assert "label" in problems and "says 32x99" in problems


def test_export_of_a_damaged_object_fails_and_leaves_no_archive(root, pool_id, tmp_path, capsys):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1), imagegen.png(seed=2)])
    key = pools.load(pool_id).slots[1].image
    damaged = pools.objects.path(key)
    data = bytearray(damaged.read_bytes())
    data[-30] ^= 0xFF
    os.chmod(damaged, 0o644)
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out.tar"
    with pytest.raises(DamagedObject, match=key):
        export_pool(pools, pool_id, out)
    assert main(["export", pool_id, str(out), "--root", str(root), "-q"]) == 1
    assert key in capsys.readouterr().err
    assert not out.exists() and not out.with_name("out.tar.part").exists()
