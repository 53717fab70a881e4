"""Float32 buffers handed out as copy-on-write tensors.

A cached decode lives in an anonymous memory file. Every tensor handed to ComfyUI is a fresh private
mapping of it: creating one costs a system call, not a copy of 100 MB, and a downstream node that
writes into its input in place gets its own pages (the kernel copies them on write) instead of
corrupting the cache. Small buffers are simply cloned; that is cheaper than a mapping.
"""

import mmap
import os
import tempfile

import numpy as np
import torch

MAPPED_MIN_BYTES = 1 << 20


def _anonymous_file(nbytes: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("image-pool", getattr(os, "MFD_CLOEXEC", 0))
    else:  # macOS, Windows: an unlinked temp file; the OS keeps it in its page cache
        handle, path = tempfile.mkstemp(prefix="image-pool-")
        fd = handle
        try:
            os.unlink(path)
        except OSError:
            pass
    os.ftruncate(fd, nbytes)
    return fd


class Buffer:
    """A float32 array of a fixed shape. Fill it once through `fill()`, then hand out `tensor()`s."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)
        self.nbytes = int(np.prod(self.shape)) * 4
        self.mapped = self.nbytes >= MAPPED_MIN_BYTES
        if self.mapped:
            self._fd = _anonymous_file(self.nbytes)
            self._tensor = None
        else:
            self._fd = None
            self._tensor = torch.empty(self.shape, dtype=torch.float32)

    def fill(self, write) -> None:
        """Call `write(array)` with a writable float32 view of the buffer."""
        if not self.mapped:
            write(self._tensor.numpy())
            return
        shared = mmap.mmap(self._fd, self.nbytes)
        try:
            array = np.frombuffer(shared, dtype=np.float32).reshape(self.shape)
            write(array)
            del array
        finally:
            shared.close()

    def tensor(self) -> torch.Tensor:
        """A tensor with the buffer's contents that shares nothing writable with the buffer."""
        if not self.mapped:
            return self._tensor.clone()
        private = mmap.mmap(self._fd, self.nbytes, access=mmap.ACCESS_COPY)
        return torch.frombuffer(private, dtype=torch.float32).view(self.shape)

    def close(self) -> None:
        """Release the cache's hold; tensors already handed out keep their own mapping."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tensor = None


def zeros(shape: tuple[int, ...]) -> torch.Tensor:
    """Zeros without writing them: a private anonymous mapping is zero-filled by the kernel on first touch."""
    nbytes = int(np.prod(shape)) * 4
    if nbytes < MAPPED_MIN_BYTES:
        return torch.zeros(shape, dtype=torch.float32)
    return torch.frombuffer(mmap.mmap(-1, nbytes), dtype=torch.float32).view(shape)
