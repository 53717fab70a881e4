"""Decoded tensors kept apart from the tensors handed out, so that a node writing into its input in place cannot
change what the next run gets.

A decode is handed out as it is, and the cache keeps its own copy, by size:
- under 1 MiB, an ordinary tensor, handed out as clones;
- up to 32 MiB, an ordinary tensor: a block that size comes back from the allocator's free lists, so the copy is a
  plain memcpy (a 1 MP image: 1 ms, against 3 ms into fresh memory);
- from 32 MiB, an anonymous memory file written with pwrite (shared memory: the cache counts it, the process's RSS
  does not show it; fresh pages cost the same either way, and a pwrite costs one core where torch's copy takes all).
From 1 MiB, the first hit copies it on the spot and every later hit is handed a spare: a private copy made ahead of
time on a background thread, half a second after the previous hand-out (at once, the copy would compete with the
nodes reading the image just handed out). Spares are made only for images asked for again, so a decode costs one
copy and an image seen once holds no spare. A spare reads and writes at the speed of any ordinary tensor. (A
copy-on-write mapping of the file would hand out for free, but torch writing into one from several threads faults so
slowly that the first in-place write costs up to nine times a clone and a write.)
"""

import math
import mmap
import os
import tempfile
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

import torch

SPARE_MIN_BYTES = 1 << 20
FILE_MIN_BYTES = 32 << 20  # glibc's largest mmap threshold: smaller blocks are reused from its free lists
SPARE_DELAY = 0.5  # seconds after a hand-out before the next spare is made

_spare_maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-pool-spare")


def _anonymous_file(nbytes: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("image-pool", getattr(os, "MFD_CLOEXEC", 0))
    else:  # macOS, Windows: an unlinked temp file; the OS keeps it in its page cache
        fd, path = tempfile.mkstemp(prefix="image-pool-")
        try:
            os.unlink(path)
        except OSError:
            pass
    os.ftruncate(fd, nbytes)
    return fd


def _write_all(fd: int, tensor: torch.Tensor) -> None:
    data = memoryview(tensor.numpy()).cast("B")
    if not hasattr(os, "pwrite"):  # Windows
        with mmap.mmap(fd, len(data)) as shared:
            shared[:] = data
        return
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], done)


def _copy_of(source: torch.Tensor) -> torch.Tensor:
    copy = torch.empty(source.shape, dtype=torch.float32)
    copy.copy_(source)
    return copy


class Buffer:
    """A float32 CPU tensor's values, kept immutable, that hand out independent tensors of themselves."""

    def __init__(self, tensor: torch.Tensor):
        tensor = tensor.detach().contiguous()
        self.shape = tuple(tensor.shape)
        self.nbytes = tensor.numel() * 4
        self.in_file = self.nbytes >= FILE_MIN_BYTES  # holds a file descriptor (the cache limits how many)
        self._keeps_spares = self.nbytes >= SPARE_MIN_BYTES
        self._kept: torch.Tensor | None = None
        self._fd: int | None = None
        self._spare: torch.Tensor | None = None
        self._making: Future | None = None
        self._hurry = threading.Event()
        self._hit = False
        self._lock = threading.Lock()
        if not self.in_file:
            self._kept = _copy_of(tensor)
            return
        self._fd = _anonymous_file(self.nbytes)
        try:
            _write_all(self._fd, tensor)
        except BaseException:
            os.close(self._fd)
            raise

    @property
    def footprint(self) -> int:
        """What the cache counts for it: its copy, and room for a spare once it has been asked for again."""
        return self.nbytes * 2 if self._hit and self._keeps_spares else self.nbytes

    @property
    def shared_bytes(self) -> int:
        return self.nbytes if self.in_file else 0

    def _open(self) -> bool:
        return self._kept is not None or self._fd is not None

    def _copy(self) -> torch.Tensor | None:
        """A private copy, or None once the buffer is closed."""
        with self._lock:
            if self._kept is not None:
                return _copy_of(self._kept)
            if self._fd is None:
                return None
            source = mmap.mmap(self._fd, self.nbytes, access=mmap.ACCESS_COPY)  # only read: no page is copied
        try:
            view = torch.frombuffer(source, dtype=torch.float32).view(self.shape)
            copy = _copy_of(view)
            del view  # releases the mapping's buffer, so that it can be closed
            return copy
        finally:
            source.close()

    def _make_spare(self) -> None:
        """Called with the lock held."""
        if self._keeps_spares and self._making is None and self._spare is None and self._open():
            self._hurry.clear()
            self._making = _spare_maker.submit(self._spare_later, time.monotonic() + SPARE_DELAY)

    def _spare_later(self, due: float) -> None:
        self._hurry.wait(max(0.0, due - time.monotonic()))  # set by settle() and close()
        spare = None
        try:
            spare = self._copy()
        finally:
            with self._lock:
                self._making = None
                if self._open():
                    self._spare = spare

    def hurry(self) -> None:
        """Make the spare being waited for now rather than after its delay."""
        if self._making is not None:
            self._hurry.set()

    def settle(self) -> None:
        """Make the spare due now, and wait for it."""
        self.hurry()
        making = self._making
        if making is not None:
            try:
                making.result()
            except CancelledError:
                pass

    def tensor(self) -> torch.Tensor:
        """A tensor with the values that shares nothing with the buffer."""
        with self._lock:
            spare, self._spare = self._spare, None
            self._hit = True
            self._make_spare()
        return spare if spare is not None else self._copy()

    def close(self) -> None:
        """Release the cache's hold; tensors already handed out keep their own memory."""
        making = self._making
        if making is not None:
            making.cancel()
        self._hurry.set()  # a job waiting for its delay ends at once (it finds the buffer closed)
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._kept = self._spare = None


class Held:
    """A host's tensor of another dtype or device, kept as it is and handed out as clones."""

    in_file = False
    shared_bytes = 0

    def __init__(self, tensor: torch.Tensor):
        self._tensor = tensor
        self.nbytes = self.footprint = tensor.numel() * tensor.element_size()

    def tensor(self) -> torch.Tensor:
        return self._tensor.clone()

    def hurry(self) -> None:
        pass

    def settle(self) -> None:
        pass

    def close(self) -> None:
        self._tensor = None


def keep(tensor: torch.Tensor) -> "tuple[Buffer | Held, torch.Tensor]":
    """A fresh tensor (the host's, or the built-in decoder's): handed out as it is, and copied for the cache before
    it is handed out (the caller may write into it at once)."""
    if tensor.dtype == torch.float32 and tensor.device.type == "cpu":
        return Buffer(tensor), tensor
    return Held(tensor.clone()), tensor


def zeros(shape: tuple[int, ...]) -> torch.Tensor:
    """Zeros without writing them: a private anonymous mapping is zero-filled by the kernel on first touch."""
    nbytes = math.prod(shape) * 4
    if nbytes < SPARE_MIN_BYTES:
        return torch.zeros(shape, dtype=torch.float32)
    return torch.frombuffer(mmap.mmap(-1, nbytes), dtype=torch.float32).view(shape)
