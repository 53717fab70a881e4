"""A bounded LRU of decoded tensors, keyed by content hash, limited in bytes (and in mapped buffers,
each of which holds a file descriptor)."""

import os
import threading
from collections import OrderedDict
from typing import Callable, Hashable

import torch

from .cow import Buffer

DEFAULT_MAX_BYTES = 1 << 30
DEFAULT_MAX_MAPPED = 128


def default_max_bytes() -> int:
    mb = os.environ.get("IMAGE_POOL_CACHE_MB")
    return int(float(mb) * 1024 * 1024) if mb else DEFAULT_MAX_BYTES


class DecodedCache:
    def __init__(self, max_bytes: int | None = None, max_mapped: int = DEFAULT_MAX_MAPPED):
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.max_mapped = max_mapped
        self._entries: OrderedDict[Hashable, Buffer | None] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key) -> bool:
        return key in self._entries

    def tensor(self, key: Hashable, make: Callable[[], Buffer | None]) -> torch.Tensor | None:
        """A fresh tensor of the buffer for `key`, made by `make()` on a miss. `make` may return None
        ("nothing here"), which is cached too, so a known-absent alpha channel costs no decode either.
        Handing out happens under the lock, so an eviction cannot close a buffer in between."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                buffer = self._entries[key]
                return None if buffer is None else buffer.tensor()
        made = make()
        with self._lock:
            self.misses += 1
            if key in self._entries:  # made twice by two threads: keep the first
                if made is not None:
                    made.close()
                made = self._entries[key]
            elif made is None or made.nbytes <= self.max_bytes:
                self._entries[key] = made
                self.bytes += made.nbytes if made else 0
            else:  # larger than the whole cache: hand it out once, keep nothing
                result = made.tensor()
                made.close()
                return result
            result = None if made is None else made.tensor()
            self._evict()
            return result

    def _evict(self) -> None:
        mapped = sum(1 for b in self._entries.values() if b is not None and b.mapped)
        while self._entries and (self.bytes > self.max_bytes or mapped > self.max_mapped):
            _, buffer = self._entries.popitem(last=False)
            if buffer is not None:
                self.bytes -= buffer.nbytes
                mapped -= buffer.mapped
                buffer.close()

    def clear(self) -> None:
        with self._lock:
            for buffer in self._entries.values():
                if buffer is not None:
                    buffer.close()
            self._entries.clear()
            self.bytes = 0
