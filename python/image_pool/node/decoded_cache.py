"""The node's one cache of decoded tensors: an LRU keyed by content hash, bounded in bytes.

It follows the contract of ComfyUI's executor. A node's output is handed to every downstream node as the same
object (execution.py, get_input_data: `obj = cached.outputs[output_index]`), so a node that writes into its input
would corrupt ComfyUI's own cache; ComfyUI's nodes clone before they write. A hit therefore hands out the very
tensor the cache keeps: no copy, no file, no decode.

It then does better than the host, at a few microseconds a hit. Before it hands a kept tensor out again it checks
that nothing downstream changed it, and decodes again if anything did:
- torch's version counter (`tensor._version`), which every in-place torch operation moves, through any view;
- the tensor's storage: the same memory (address and size), the same shape, strides and offset, so a storage that
  was resized (`untyped_storage().resize_(0)` frees it), replaced (`set_`) or swapped is never handed out;
- SAMPLES values at random places fixed at decode time, compared with what they were: this catches the writes that
  go around the counter (through `.numpy()`, `np.clip(..., out=t.numpy())`, a `torch.from_numpy` or DLPack alias,
  `.data`, `apply_`, `untyped_storage().fill_`), whenever they change any of those values.
What it cannot catch: a write that goes around torch's counter and changes only values it does not sample (a few
pixels, or a patch smaller than the spacing of the samples: about 1/SAMPLES of the image). ComfyUI's own cache would
hand such a write on too.

What the cache holds is what it counts: the bytes of the storages of the tensors it keeps, and ENTRY_BYTES for each
entry, so that even entries of nothing ("this image has no alpha") are bounded, and a size of 0 keeps nothing.
"""

import logging
import math
import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

import torch

log = logging.getLogger("image_pool")

DEFAULT_MAX_BYTES = 1 << 30
ENTRY_BYTES = 256  # what an entry costs beside its tensor's storage (the entry, its key, its samples' header)
SAMPLES = 1024  # values checked on every hit, at random places: about 4 us a tensor whatever its size
MISSING = object()  # what get() answers for a key the cache does not hold
ENV_MAX_MB = "IMAGE_POOL_CACHE_MB"


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int

    def describe(self) -> str:
        mib = 1 << 20
        return (f"decoded cache: {self.bytes / mib:,.0f} of {self.max_bytes / mib:,.0f} MiB in {self.entries} "
                f"entries; {self.hits} hits, {self.misses} decodes")


def default_max_bytes() -> int:
    """$IMAGE_POOL_CACHE_MB, in MiB (0 keeps nothing). A value that is not a finite number of 0 or more is reported
    and the default (1 GiB) is used: a typo in the environment must not keep the node from loading."""
    text = os.environ.get(ENV_MAX_MB, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb < 0:
        log.warning("Image Pool: %s=%r is not a size in MiB (a finite number, 0 or more); using %d MiB",
                    ENV_MAX_MB, text, DEFAULT_MAX_BYTES >> 20)
        return DEFAULT_MAX_BYTES
    return int(mb * (1 << 20))


def storage_bytes(tensor: torch.Tensor | None) -> int:
    """What keeping `tensor` keeps alive: its whole storage (a view of a batch holds the batch)."""
    return 0 if tensor is None else tensor.untyped_storage().nbytes()


class _Witness:
    """What a kept tensor was when it was kept: its storage and layout, and a sample of its values."""

    __slots__ = ("tensor", "version", "layout", "places", "values")

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor
        self.version = tensor._version
        self.layout = self._layout(tensor)
        count = tensor.numel()  # take() indexes the tensor as if flat, whatever its strides, with no copy
        self.places = torch.randint(count, (min(SAMPLES, count),), device=tensor.device).sort().values
        self.values = tensor.take(self.places)

    @staticmethod
    def _layout(tensor: torch.Tensor) -> tuple:
        storage = tensor.untyped_storage()
        return storage.data_ptr(), storage.nbytes(), tensor.shape, tensor.stride(), tensor.storage_offset()

    def intact(self) -> bool:
        tensor = self.tensor
        return (tensor._version == self.version and self._layout(tensor) == self.layout
                and torch.equal(tensor.take(self.places), self.values))


@dataclass
class _Entry:
    witness: _Witness | None  # None: "nothing here" (an image with no alpha), remembered too
    nbytes: int

    @property
    def tensor(self) -> torch.Tensor | None:
        return None if self.witness is None else self.witness.tensor

    def intact(self) -> bool:
        return self.witness is None or self.witness.intact()


def trackable():
    """Where decodes for the cache run. ComfyUI runs nodes under torch.inference_mode, whose tensors keep no version
    counter; tensors made here are ordinary ones, which do, and nodes running in inference mode read and write them
    as usual."""
    return torch.inference_mode(False)


_caches: "weakref.WeakSet[DecodedCache]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A fork copies a lock held by another thread as held, and that thread does not exist in the child.
    for cache in list(_caches):
        cache._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class DecodedCache:
    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # held only for dictionary work, never across a decode
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        _caches.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key) -> bool:
        return key in self._entries

    def get(self, key: Hashable):
        """The tensor kept for `key` (None if "nothing" was kept), or MISSING: never kept, evicted, or written into
        since it was kept (then it is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.intact():
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.tensor
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return MISSING

    def tensor(self, key: Hashable, make: Callable[[], torch.Tensor | None]) -> torch.Tensor | None:
        """The tensor kept for `key`, or `make()`'s, kept from now on."""
        tensor = self.get(key)
        if tensor is MISSING:
            tensor = make()
            self.put(key, tensor)
        return tensor

    def put(self, key: Hashable, tensor: torch.Tensor | None) -> None:
        """Keep `tensor` for `key`. It must track its version: made outside torch.inference_mode (see trackable)."""
        nbytes = ENTRY_BYTES + storage_bytes(tensor)
        if nbytes > self.max_bytes:
            with self._lock:
                if key in self._entries:
                    self._drop(key)
            return  # larger than the whole cache: keep nothing
        with trackable():
            entry = _Entry(None if tensor is None else _Witness(tensor), nbytes)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.bytes += entry.nbytes
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self.bytes -= self._entries.pop(key).nbytes

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._entries), self.bytes, self.max_bytes, self.hits, self.misses)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
