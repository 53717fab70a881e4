"""The CLI on a temp root: every command, its exit code and what it changed."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from image_pool.cli import main
from image_pool.pools import Pools

from . import imagegen
from .archive_helpers import rewrite_archive
from .conftest import tree_snapshot

PROJECT = Path(__file__).resolve().parent.parent


def cli(*args, root):
    return main([*args, "--root", str(root), "--quiet"])


@pytest.fixture
def filled(root, pool_id, write, capsys):
    files = [write(f"img{i}.png", imagegen.png(seed=i)) for i in range(3)]
    assert cli("add", pool_id, *map(str, files), "--label", "cats", root=root) == 0
    capsys.readouterr()
    return Pools(root)


def test_add_list_show(root, pool_id, filled, capsys):
    assert cli("list", root=root) == 0
    assert f"{pool_id}      3 slot(s)" in capsys.readouterr().out
    assert cli("show", pool_id, "--json", root=root) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in shown["slots"]] == ["img0.png", "img1.png", "img2.png"]
    assert {s["label"] for s in shown["slots"]} == {"cats"}


def test_add_of_a_non_image_exits_1_and_changes_nothing(root, pool_id, filled, write, capsys):
    before = tree_snapshot(root)
    assert cli("add", pool_id, str(write("evil.png", b"<svg onload=alert(1)>")), root=root) == 1
    assert "error:" in capsys.readouterr().err
    assert tree_snapshot(root) == before


def test_show_and_export_of_an_unknown_pool_both_exit_1(root, pool_id, tmp_path, capsys):
    assert cli("show", pool_id, root=root) == 1
    assert cli("export", pool_id, str(tmp_path / "x.tar"), root=root) == 1
    err = capsys.readouterr().err
    assert err.count(f"no pool {pool_id}") == 2


def test_a_bad_file_is_named_as_the_user_named_it(root, pool_id, write, capsys):
    bad = write("scan 07.png", b"this is no image")
    assert cli("add", pool_id, str(bad), root=root) == 1
    err = capsys.readouterr().err
    assert "scan 07.png" in err and ".part" not in err and "objects/tmp" not in err


def test_bad_pool_id_exits_1(root, capsys):
    assert cli("show", "../../etc", root=root) == 1
    assert "UUID" in capsys.readouterr().err


def test_export_import_round_trip(root, pool_id, filled, tmp_path, capsys):
    slot = filled.load(pool_id).slots[1].id
    filled.set_mask(pool_id, slot, np.ones((24, 32), bool))
    original = filled.load(pool_id)
    archive = tmp_path / "pool.tar"
    assert cli("export", pool_id, str(archive), root=root) == 0

    other_root = tmp_path / "elsewhere"
    assert cli("import", str(archive), root=other_root) == 0
    imported = Pools(other_root).load(pool_id)
    assert imported.slots == original.slots and imported.active == original.active
    assert sorted(Pools(other_root).objects.keys()) == sorted(original.referenced_keys())

    assert cli("import", str(archive), root=other_root) == 1, "the same pool id twice is refused"
    assert "--new-id" in capsys.readouterr().err
    assert cli("import", str(archive), "--new-id", root=other_root) == 0
    assert len(Pools(other_root).pool_ids()) == 2


def flip_byte(data: bytes) -> bytes:
    return data[:-20] + bytes([data[-20] ^ 1]) + data[-19:]


@pytest.mark.parametrize("corruption", ["flipped-object-byte", "missing-object", "no-manifest", "bad-manifest",
                                        "path-traversal", "text-posing-as-object", "not-a-tar"])
def test_corrupt_archive_is_refused_without_changing_anything(root, pool_id, filled, tmp_path, corruption, capsys):
    archive = tmp_path / "pool.tar"
    assert cli("export", pool_id, str(archive), root=root) == 0
    bad = tmp_path / "bad.tar"
    text = b"just text"
    text_key = __import__("blake3").blake3(text).hexdigest() + ".png"
    changes = {
        "flipped-object-byte": lambda n, d: flip_byte(d) if n.startswith("objects/") else d,
        "missing-object": lambda n, d: None if n.startswith("objects/") else d,
        "no-manifest": lambda n, d: None if n == "manifest.json" else d,
        "bad-manifest": lambda n, d: d[:50] if n == "manifest.json" else d,
        "path-traversal": lambda n, d: [(n, d), ("../../escape.png", d)] if n.startswith("objects/") else d,
        "text-posing-as-object": lambda n, d: [(n, d), (f"objects/{text_key[:2]}/{text_key}", text)]
        if n == "manifest.json" else d,
    }
    if corruption == "not-a-tar":
        bad.write_bytes(b"this is not an archive" * 100)
    else:
        rewrite_archive(archive, bad, changes[corruption])
    target = tmp_path / "target"
    before = tree_snapshot(target)
    assert cli("import", str(bad), root=target) == 1
    assert "error:" in capsys.readouterr().err
    assert tree_snapshot(target) == before
    assert not (tmp_path / "escape.png").exists()


def test_gc_keeps_objects_referenced_only_by_kept_generations(root, pool_id, filled, capsys):
    first = filled.load(pool_id).slots[0]
    filled.remove(pool_id, first.id)  # now only history references it
    _, (orphan_slot,) = filled.add(pool_id, [imagegen.png(seed=77)])
    orphan_key = filled.load(pool_id).slot(orphan_slot).image
    # make the orphan unreferenced everywhere: drop the slot and every generation that knew it
    filled.remove(pool_id, orphan_slot)
    history = filled.pool_dir(pool_id) / "history"
    for revision in filled.generations(pool_id):
        if orphan_key in filled.load_generation(pool_id, revision).referenced_keys():
            (history / f"{revision}.json").unlink()
    old = time.time() - 30 * 86400
    for key in filled.objects.keys():
        os.utime(filled.objects.path(key), (old, old))

    assert cli("gc", "--dry-run", root=root) == 0
    assert f"would delete {orphan_key}" in capsys.readouterr().out
    assert filled.objects.exists(orphan_key), "a dry run deletes nothing"

    assert cli("gc", root=root) == 0
    assert not filled.objects.exists(orphan_key)
    assert filled.objects.exists(first.image), "kept: a kept generation still references it"
    assert all(filled.objects.exists(s.image) for s in filled.load(pool_id).slots)
    assert cli("fsck", root=root) == 0


def test_gc_grace_period_protects_young_objects(root, pool_id, filled, capsys):
    filled.objects.put_bytes(imagegen.png(seed=1234))  # written, never referenced: an add in flight
    assert cli("gc", "--grace", "1", root=root) == 0
    assert "deleted 0 object(s)" in capsys.readouterr().out


def test_gc_removes_stale_temp_files(root, pool_id, filled):
    upload = filled.objects.tmp_dir / "dead.part"
    manifest_write = filled.pool_dir(pool_id) / "history" / ".tmp-0123456789abcdef-9.json"
    fresh = filled.pool_dir(pool_id) / ".tmp-fedcba9876543210-manifest.json"
    old = time.time() - 30 * 86400
    for path in (upload, manifest_write, fresh):
        path.write_bytes(b"half written")
    for path in (upload, manifest_write):
        os.utime(path, (old, old))
    editor_copy = root / "cache" / "editor" / "pillow" / pool_id / "s-00000000-abc-none.png"
    editor_copy.parent.mkdir(parents=True)
    editor_copy.write_bytes(imagegen.png())
    os.utime(editor_copy, (old, old))
    assert cli("gc", root=root) == 0
    assert not upload.exists() and not manifest_write.exists()
    assert not editor_copy.exists(), "an old MaskEditor copy is derived and goes too"
    assert fresh.exists(), "a temp file younger than the grace period may belong to a write in flight"


def test_fsck_finds_damage(root, pool_id, filled, capsys):
    assert cli("fsck", root=root) == 0
    assert "clean" in capsys.readouterr().out
    key = filled.load(pool_id).slots[0].image
    path = filled.objects.path(key)
    path.chmod(0o644)
    path.write_bytes(flip_byte(path.read_bytes()))
    other = filled.load(pool_id).slots[1].image
    filled.objects.path(other).unlink()
    assert cli("fsck", root=root) == 1
    out = capsys.readouterr().out
    assert f"object {key}: its bytes do not hash to its name" in out
    assert f"references missing object {other}" in out


@pytest.mark.parametrize("command", ["list", "show", "add", "export", "import", "gc", "fsck"])
def test_every_command_has_help(command):
    result = subprocess.run([sys.executable, "-m", "image_pool", command, "--help"], capture_output=True, text=True,
                            cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT / "python")})
    assert result.returncode == 0 and "--root" in result.stdout


def test_console_script_runs_as_a_process(root, pool_id, write):
    image = write("a.png", imagegen.png())
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "python")}
    ok = subprocess.run([sys.executable, "-m", "image_pool", "--root", str(root), "add", pool_id, str(image)],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "added 1 slot(s)" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "image_pool", "--root", str(root), "add", pool_id, "/nonexistent"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "error:" in bad.stderr


def test_every_argument_of_every_command_says_what_it_is():
    import argparse

    from image_pool.cli import build_parser

    def arguments(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from ((f"{name} {a}", h) for a, h in arguments(sub))
            else:
                yield "/".join(action.option_strings) or action.dest, action.help
    missing = [name for name, text in arguments(build_parser()) if not text or text == argparse.SUPPRESS]
    assert not missing, f"arguments without help: {missing}"
