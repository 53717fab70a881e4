"""A bounded LRU of decoded tensors, keyed by content hash, limited in bytes (and in buffers kept in memory files,
each of which holds a file descriptor). The bytes counted include the shared memory of those files, which the
process's RSS does not show; each decode logs what the cache holds."""

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

import torch

from .cow import Buffer, Held

log = logging.getLogger("image_pool")

DEFAULT_MAX_BYTES = 1 << 30
DEFAULT_MAX_FILES = 128

# What a miss produces: the buffer to keep (None: "nothing here", cached too) and, optionally, a
# tensor of it to hand out now.
Made = tuple[Buffer | Held | None, torch.Tensor | None]


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int  # counted against max_bytes: kept values and room for their spares
    shared_bytes: int  # of those, in shared memory (not in the process's RSS)
    max_bytes: int
    hits: int
    misses: int

    def describe(self) -> str:
        mib = 1 << 20
        return (f"decoded cache: {self.bytes / mib:,.0f} of {self.max_bytes / mib:,.0f} MiB in {self.entries} "
                f"entries ({self.shared_bytes / mib:,.0f} MiB shared memory, not in RSS); {self.hits} hits, "
                f"{self.misses} decodes")


def default_max_bytes() -> int:
    mb = os.environ.get("IMAGE_POOL_CACHE_MB")
    return int(float(mb) * 1024 * 1024) if mb else DEFAULT_MAX_BYTES


class DecodedCache:
    def __init__(self, max_bytes: int | None = None, max_files: int = DEFAULT_MAX_FILES):
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.max_files = max_files
        self._entries: OrderedDict[Hashable, Buffer | None] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key) -> bool:
        return key in self._entries

    def tensor(self, key: Hashable, make: Callable[[], Made]) -> torch.Tensor | None:
        """A fresh tensor for `key`, made by `make()` on a miss. Handing out from a kept buffer happens
        under the lock, so an eviction cannot close it in between."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                buffer = self._entries[key]
                if buffer is None:
                    return None
                counted = buffer.footprint
                tensor = buffer.tensor()
                if buffer.footprint != counted:  # a first hit makes room for spares
                    self.bytes += buffer.footprint - counted
                    self._evict(keep=key)
                return tensor
        buffer, first = make()
        with self._lock:
            self.misses += 1
            if first is None and buffer is not None:
                first = buffer.tensor()
            self._put(key, buffer)
            self._evict()
        log.info("Image Pool: %s", self.stats().describe())
        return first

    def put(self, key: Hashable, buffer: Buffer | None) -> None:
        with self._lock:
            self._put(key, buffer)
            self._evict()

    def _put(self, key: Hashable, buffer: Buffer | None) -> None:
        if key in self._entries:  # made twice by two threads: keep the first
            if buffer is not None:
                buffer.close()
            return
        if buffer is not None and buffer.footprint > self.max_bytes:
            buffer.close()  # larger than the whole cache: keep nothing
            return
        self._entries[key] = buffer
        self.bytes += buffer.footprint if buffer else 0

    def _evict(self, keep: Hashable = None) -> None:
        """Drop least recently used entries until the limits hold (never `keep`, the entry just handed out)."""
        files = sum(1 for b in self._entries.values() if b is not None and b.in_file)
        while self._entries and (self.bytes > self.max_bytes or files > self.max_files):
            if next(iter(self._entries)) == keep:
                break
            _, buffer = self._entries.popitem(last=False)
            if buffer is not None:
                self.bytes -= buffer.footprint
                files -= buffer.in_file
                buffer.close()

    def stats(self) -> CacheStats:
        with self._lock:
            shared = sum(b.shared_bytes for b in self._entries.values() if b is not None)
            return CacheStats(len(self._entries), self.bytes, shared, self.max_bytes, self.hits, self.misses)

    def settle(self) -> None:
        """Wait for background work (spares being made); benchmarks count its CPU time."""
        with self._lock:
            buffers = [b for b in self._entries.values() if b is not None]
        for buffer in buffers:
            buffer.hurry()
        for buffer in buffers:
            buffer.settle()

    def clear(self) -> None:
        with self._lock:
            for buffer in self._entries.values():
                if buffer is not None:
                    buffer.close()
            self._entries.clear()
            self.bytes = 0
