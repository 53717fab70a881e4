"""The one cache of parsed manifests in a process, bounded in bytes, with a small summary of every pool it has read.

An entry is keyed by the manifest file's path and valid for one generation, named by the file's identity: (device,
inode, size, mtime, ctime), which must not repeat between two versions of the file. How that is known:
- A generation our writer made carries its stamp: holding the pool's lock, the writer gives it an mtime strictly
  later than the one it replaces, in whole microseconds plus 777 ns (generation_mtime), in a new file renamed into
  place. Two of our generations never share an identity.
- Any other file (written by another tool, a restored backup, `cp` without -p; or kept on a file system that stores
  mtimes in 100 ns units, as NTFS does, or in whole seconds) is trusted once it has settled: when the last change
  to it (its ctime, which every write, rename and utime sets to the current time and no tool can set back; on
  Windows, where ctime is the creation time, its mtime) is at least SETTLE_NS before the stat that read it. A later
  change then falls in a later clock tick, so it changes the identity whatever the file system's resolution; one in
  the same tick as the read can only happen while the file is unsettled, and an unsettled file is never cached: it
  is parsed on every read until it settles (as git treats "racily clean" index entries).
So an unchanged pool costs one stat on every platform, and a changed one is never served stale.
"""

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from image_pool.pools.manifest import Manifest

DEFAULT_MAX_BYTES = 64 << 20  # of manifest JSON; parsed, a manifest takes a few times its file's size
SUMMARIES = 4096
STAMP_NS = 777  # the generation_mtime signature; 777 ns so a file system storing whole microseconds shows none
SETTLE_NS = 3_000_000_000  # longer than the coarsest timestamps a manifest may be kept with (FAT: 2 s)
CHANGE_TIME_IS_CTIME = os.name != "nt"  # Windows' st_ctime is the creation time


def generation_mtime(previous_ns: int) -> int:
    """The mtime of a new generation: now, or later than `previous_ns` if the clock is behind it."""
    micros = max(time.time_ns(), previous_ns + 1000) // 1000
    return micros * 1000 + STAMP_NS


Identity = tuple[int, int, int, int, int]


def identity_of(stat: os.stat_result, now_ns: int | None = None) -> Identity | None:
    """What names this version of the file, or None when it may not be cached yet (see the module's docstring)."""
    changed = stat.st_ctime_ns if CHANGE_TIME_IS_CTIME else stat.st_mtime_ns
    if stat.st_mtime_ns % 1000 != STAMP_NS:
        if (time.time_ns() if now_ns is None else now_ns) - max(changed, stat.st_mtime_ns) < SETTLE_NS:
            return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, changed


@dataclass(frozen=True)
class PoolSummary:
    """What a list of pools shows of each: a few fields, whatever the pool's size."""
    pool_id: str
    name: str
    count: int
    revision: int
    cover: str | None  # the first slot's image

    @classmethod
    def of(cls, manifest: Manifest) -> "PoolSummary":
        return cls(manifest.pool_id, manifest.name, manifest.count, manifest.revision,
                   manifest.slots[0].image if manifest.slots else None)

    def to_json(self) -> dict:
        return {"pool_id": self.pool_id, "name": self.name, "count": self.count, "revision": self.revision,
                "cover": self.cover}


@dataclass
class _Entry:
    identity: Identity
    manifest: Manifest
    nbytes: int


class ParsedManifests:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._summaries: OrderedDict[str, tuple[Identity, PoolSummary]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, identity: Identity | None) -> Manifest | None:
        if identity is None:
            return None
        with self._lock:
            entry = self._entries.get(path)
            if entry is None or entry.identity != identity:
                return None
            self._entries.move_to_end(path)
            return entry.manifest

    def put(self, path: str, identity: Identity | None, manifest: Manifest) -> None:
        if identity is None:
            return
        nbytes = identity[2]
        with self._lock:
            self._remember_summary(path, identity, PoolSummary.of(manifest))
            old = self._entries.pop(path, None)
            if old is not None:
                self.bytes -= old.nbytes
            if nbytes > self.max_bytes:
                return
            self._entries[path] = _Entry(identity, manifest, nbytes)
            self.bytes += nbytes
            while self.bytes > self.max_bytes:
                self.bytes -= self._entries.popitem(last=False)[1].nbytes

    def summary(self, path: str, identity: Identity | None) -> PoolSummary | None:
        if identity is None:
            return None
        with self._lock:
            known = self._summaries.get(path)
            return known[1] if known is not None and known[0] == identity else None

    def _remember_summary(self, path: str, identity: Identity, summary: PoolSummary) -> None:
        self._summaries[path] = (identity, summary)
        self._summaries.move_to_end(path)
        while len(self._summaries) > SUMMARIES:
            self._summaries.popitem(last=False)

    def forget(self, path: str) -> None:
        with self._lock:
            entry = self._entries.pop(path, None)
            if entry is not None:
                self.bytes -= entry.nbytes
            self._summaries.pop(path, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._summaries.clear()
            self.bytes = 0

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()


parsed = ParsedManifests()  # the process's one cache (every Pools object shares it; entries are keyed by path)

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=parsed._after_fork_in_child)
