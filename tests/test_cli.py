"""The CLI on a temp root: every command, its exit code and what it changed."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from image_pool.cli.commands import main
from image_pool.pools.pools import Pools

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
    assert f"object {key} is damaged: its bytes do not hash to its name" in out
    assert f"references damaged object {key} (add the original file again to repair it)" in out
    assert f"references missing object {other}" in out


def test_adding_the_original_again_repairs_a_damaged_object(root, pool_id, write, capsys):
    original = imagegen.png(seed=11)
    assert cli("add", pool_id, str(write("a.png", original)), root=root) == 0
    pools = Pools(root)
    key = pools.load(pool_id).slots[0].image
    path = pools.objects.path(key)
    path.chmod(0o644)
    path.write_bytes(flip_byte(original))
    assert cli("fsck", root=root) == 1
    assert cli("add", pool_id, str(write("again.png", original)), root=root) == 0
    assert path.read_bytes() == original, "the right bytes replaced the damaged ones"
    assert cli("fsck", root=root) == 0
    assert [s.image for s in Pools(root).load(pool_id).slots] == [key, key]


def test_a_pool_is_named_by_its_id_or_its_exact_name(root, write, capsys):
    image = str(write("a.png", imagegen.png(seed=1)))
    assert cli("add", "Holiday photos", image, root=root) == 0, "a name no pool has makes a pool of that name"
    assert "'Holiday photos'" in capsys.readouterr().out
    (holiday,) = Pools(root).pool_ids()
    assert Pools(root).load(holiday).name == "Holiday photos" and Pools(root).load(holiday).count == 1
    assert cli("add", "Holiday photos", image, root=root) == 0
    assert Pools(root).load(holiday).count == 2 and Pools(root).pool_ids() == [holiday], "the same pool again"
    for command in (["show", "Holiday photos"], ["name", "Holiday photos", "Summer"], ["show", holiday]):
        assert cli(*command, root=root) == 0, command
    assert Pools(root).load(holiday).name == "Summer"
    assert cli("show", "holiday photos", root=root) == 1, "names are matched exactly"
    assert "no pool is named" in capsys.readouterr().err


def test_two_pools_of_one_name_are_an_error_that_lists_both(root, write, capsys):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for pool_id in (first, second):
        Pools(root).set_name(pool_id, "Twins")
    capsys.readouterr()
    assert cli("delete", "Twins", "--yes", root=root) == 1
    err = capsys.readouterr().err
    assert first in err and second in err
    assert Pools(root).exists(first) and Pools(root).exists(second)


def test_a_failed_add_to_a_new_name_makes_no_pool(root, write, capsys):
    assert cli("add", "Empty", str(write("notes.png", b"not a picture")), root=root) == 1
    assert Pools(root).pool_ids() == []


def test_exit_codes_are_0_done_1_refused_2_wrong_usage(root, pool_id, write, monkeypatch, capsys):
    Pools(root).add(pool_id, [imagegen.png(seed=1)])
    with pytest.raises(SystemExit) as usage:
        cli("add", root=root)
    assert usage.value.code == 2
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli("delete", pool_id, root=root) == 0, "declining is not a failure"
    assert "nothing deleted" in capsys.readouterr().out and Pools(root).exists(pool_id)


def test_no_progress_bars_when_stderr_is_not_a_terminal(root, pool_id, write):
    files = [str(write(f"{n}.png", imagegen.png(seed=n))) for n in range(3)]
    result = subprocess.run([sys.executable, "-m", "image_pool", "--root", str(root), "add", pool_id, *files],
                            capture_output=True, text=True, cwd=PROJECT,
                            env={**os.environ, "PYTHONPATH": str(PROJECT / "python")})
    assert result.returncode == 0 and result.stderr == "", result.stderr


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

    from image_pool.cli.commands import build_parser

    def arguments(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from ((f"{name} {a}", h) for a, h in arguments(sub))
            else:
                yield "/".join(action.option_strings) or action.dest, action.help
    missing = [name for name, text in arguments(build_parser()) if not text or text == argparse.SUPPRESS]
    assert not missing, f"arguments without help: {missing}"


def test_manage_py_in_a_custom_nodes_clone_manages_comfyuis_own_pools(tmp_path):
    """`python custom_nodes/<clone>/manage.py ...` from anywhere, with no PYTHONPATH: the store is ComfyUI's."""
    comfyui = tmp_path / "ComfyUI"
    (comfyui / "input").mkdir(parents=True)
    (comfyui / "main.py").write_text("")
    (comfyui / "custom_nodes").mkdir()
    (comfyui / "custom_nodes" / "comfyui-image-pool").symlink_to(PROJECT, target_is_directory=True)
    manage = comfyui / "custom_nodes" / "comfyui-image-pool" / "manage.py"
    picture = tmp_path / "cat.png"
    picture.write_bytes(imagegen.png(seed=4))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMAGE_POOL_ROOT")}

    def run(*args):
        return subprocess.run([sys.executable, str(manage), *args], capture_output=True, text=True, cwd=tmp_path,
                              env=env)
    listed = run("list")
    assert listed.returncode == 0 and str(comfyui / "input" / ".grid_pool") in listed.stdout, listed.stderr
    assert run("add", "Cats", str(picture)).returncode == 0
    (pool_id,) = Pools(comfyui / "input" / ".grid_pool").pool_ids()
    assert Pools(comfyui / "input" / ".grid_pool").load(pool_id).name == "Cats"
    assert "Cats" in run("list").stdout


def test_add_takes_a_folder_in_name_order_and_says_what_it_skipped(root, tmp_path, capsys):
    folder = tmp_path / "dataset"
    (folder / "b").mkdir(parents=True)
    for name in ("a/2.png", "a/10.jpg", "b/1.png", "0.webp"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        kind = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[name.rsplit(".", 1)[1]]
        picture = Image.fromarray(imagegen.noise(24, 32, 3, seed=len(name)), "RGB")
        (folder / name).write_bytes(imagegen.encode(picture, kind))
    (folder / "notes.txt").write_text("not a picture")
    (folder / "b" / "meta.json").write_text("{}")
    assert cli("add", "Dataset", str(folder), root=root) == 0
    assert "skipped 2 file(s)" in capsys.readouterr().err
    (pool_id,) = Pools(root).pool_ids()
    assert [s.name for s in Pools(root).load(pool_id).slots] == ["0.webp", "10.jpg", "2.png", "1.png"]


def test_an_empty_store_says_where_a_comfyui_with_its_own_input_folder_keeps_its_pools(tmp_path, capsys):
    """manage.py beside a ComfyUI started with --input-directory looks in the checkout's input/: say what to do."""
    assert main(["list", "--root", str(tmp_path / "nothing")]) == 0
    said = capsys.readouterr().out
    assert "no pools under" in said and "--input-directory DIR" in said and "--root DIR/.grid_pool" in said
