"""An unchanged pool costs one stat whoever wrote its manifest and whatever the file system's timestamps (ns, 100 ns
as NTFS keeps them, whole seconds), and a changed one is never served stale (issue 22, row 15)."""

import os
import shutil
import time
from types import SimpleNamespace

import pytest

from image_pool.pools import parsed_manifests
from image_pool.pools.manifest import Manifest
from image_pool.pools.parsed_manifests import identity_of
from image_pool.pools.pools import Pools

from . import imagegen

SECOND = 1_000_000_000


@pytest.fixture
def parses(monkeypatch):
    """How many times a manifest is parsed."""
    count = [0]
    real = Manifest.loads.__func__

    def counting(cls, raw, pool_id):
        count[0] += 1
        return real(cls, raw, pool_id)
    monkeypatch.setattr(Manifest, "loads", classmethod(counting))
    return count


@pytest.fixture
def quick_settle(monkeypatch):
    monkeypatch.setattr(parsed_manifests, "SETTLE_NS", SECOND // 5)


def wait_until_settled(path) -> None:
    deadline = time.monotonic() + 30
    while identity_of(os.stat(path)) is None:
        assert time.monotonic() < deadline, "the file never settled"
        time.sleep(0.02)


def written_by_another_tool(pools: Pools, pool_id: str, label: str, mtime_unit_ns: int) -> os.PathLike:
    """The manifest rewritten as a backup tool would (a new file, no stamp), its mtime in `mtime_unit_ns` units."""
    path = pools.pool_dir(pool_id) / "manifest.json"
    data = path.read_bytes().replace(b'"label":"', f'"label":"{label}'.encode(), 1)
    copy = path.with_name("restored.json")
    copy.write_bytes(data)
    shutil.move(copy, path)
    mtime = time.time_ns() // mtime_unit_ns * mtime_unit_ns
    if mtime % 1000 == parsed_manifests.STAMP_NS:
        mtime += mtime_unit_ns
    os.utime(path, ns=(mtime, mtime))
    return path


@pytest.mark.parametrize("unit", [1, 100, SECOND], ids=["ns", "100 ns (NTFS)", "whole seconds"])
def test_a_manifest_written_by_another_tool_is_parsed_once_when_it_has_not_changed(root, pool_id, parses, quick_settle,
                                                                                 unit):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=s) for s in range(3)])
    path = written_by_another_tool(pools, pool_id, "restored ", unit)
    wait_until_settled(path)
    before = parses[0]
    for _ in range(5):
        assert pools.load(pool_id).slots[0].label == "restored "
    assert parses[0] - before == 1, "parsed once, then one stat a read"


def test_a_change_in_place_with_its_size_and_mtime_kept_is_seen_at_once(root, pool_id, parses, quick_settle):
    """The worst another tool can do: rewrite the bytes in place, same length, and put the old mtime back."""
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    path = written_by_another_tool(pools, pool_id, "aaaa", SECOND)
    wait_until_settled(path)
    assert pools.load(pool_id).slots[0].label == "aaaa"
    kept = os.stat(path)
    with open(path, "r+b") as f:
        data = f.read().replace(b'"label":"aaaa', b'"label":"bbbb')
        f.seek(0)
        f.write(data)
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert os.stat(path).st_size == kept.st_size and os.stat(path).st_ino == kept.st_ino
    assert pools.load(pool_id).slots[0].label == "bbbb"


def test_a_file_that_has_not_settled_is_parsed_on_every_read(root, pool_id, parses):
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    written_by_another_tool(pools, pool_id, "fresh", 1)
    before = parses[0]
    for _ in range(3):
        assert pools.load(pool_id).slots[0].label == "fresh"
    assert parses[0] - before == 3


def stat_of(mtime_ns: int, ctime_ns: int, size: int = 100) -> SimpleNamespace:
    return SimpleNamespace(st_dev=1, st_ino=2, st_size=size, st_mtime_ns=mtime_ns, st_ctime_ns=ctime_ns)


@pytest.mark.parametrize("unit", [1, 100, SECOND], ids=["ns", "100 ns", "whole seconds"])
def test_on_any_timestamp_resolution_a_version_read_in_its_own_tick_is_not_trusted(unit):
    """Two versions in one clock tick can look alike (same size, same rounded times): neither is trusted while the
    tick may still be current, so the second is never mistaken for the first."""
    now = 1_800_000_000 * SECOND + 123_456_789
    tick = now // unit * unit
    assert identity_of(stat_of(tick, tick), now_ns=now) is None
    settled = now + parsed_manifests.SETTLE_NS
    assert identity_of(stat_of(tick, tick), now_ns=settled) is not None
    later = stat_of(tick, tick + unit)  # any later change moves the change time by at least one tick
    assert identity_of(later, now_ns=settled + unit) != identity_of(stat_of(tick, tick), now_ns=settled)


def test_our_own_generations_are_trusted_at_once(root, pool_id, parses):
    """The writer's stamp makes a generation's identity unique: a change followed by reads costs one parse at most."""
    pools = Pools(root)
    pools.add(pool_id, [imagegen.png(seed=1)])
    before = parses[0]
    for _ in range(5):
        pools.load(pool_id)
    assert parses[0] == before
