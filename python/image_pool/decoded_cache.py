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

# What a miss produces: the buffer to keep (None: "nothing here", cached too) and, optionally, a
# tensor of it to hand out now.
Made = tuple[Buffer | None, torch.Tensor | None]


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

    def tensor(self, key: Hashable, make: Callable[[], Made]) -> torch.Tensor | None:
        """A fresh tensor for `key`, made by `make()` on a miss. Handing out from a kept buffer happens
        under the lock, so an eviction cannot close it in between."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                buffer = self._entries[key]
                return None if buffer is None else buffer.tensor()
        buffer, first = make()
        with self._lock:
            self.misses += 1
            if first is None and buffer is not None:
                first = buffer.tensor()
            self._put(key, buffer)
            self._evict()
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
        if buffer is not None and buffer.nbytes > self.max_bytes:
            buffer.close()  # larger than the whole cache: keep nothing
            return
        self._entries[key] = buffer
        self.bytes += buffer.nbytes if buffer else 0

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
