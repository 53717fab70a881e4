"""Float32 buffers handed out as copy-on-write tensors.

A cached decode lives in an anonymous memory file. Every tensor handed to ComfyUI is a fresh private
mapping of it: creating one costs a system call, not a copy of 100 MB, and a downstream node that
writes into its input in place gets its own pages (the kernel copies them on write) instead of
corrupting the cache. Small buffers are simply cloned; that is cheaper than a mapping.

Writing fresh shared-memory pages costs more than ordinary memory (about 4 ms per 12 MB here), so a
miss computes its output into ordinary memory and hands that out at once, while one background
thread fills the cache's copy from the same, never-shared input.
"""

import mmap
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np
import torch

MAPPED_MIN_BYTES = 1 << 20
Compute = Callable[[np.ndarray], None]  # writes the values into the float32 array it is given

_filler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-pool-cache")


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


def _compute_into(shape: tuple[int, ...], compute: Compute) -> torch.Tensor:
    out = torch.empty(shape, dtype=torch.float32)
    compute(out.numpy())
    return out


class Buffer:
    """An immutable float32 array of a fixed shape that hands out independent tensors of itself."""

    def __init__(self, shape: tuple[int, ...], compute: Compute, background: bool = True):
        self.shape = tuple(shape)
        self.nbytes = int(np.prod(self.shape)) * 4
        self.mapped = self.nbytes >= MAPPED_MIN_BYTES
        self._fd: int | None = None
        self._tensor: torch.Tensor | None = None
        self._filled: Future | None = None
        if not self.mapped:
            self._tensor = _compute_into(self.shape, compute)
            return
        self._fd = _anonymous_file(self.nbytes)
        if background:
            self._filled = _filler.submit(self._fill, compute)
        else:
            self._fill(compute)

    @classmethod
    def with_first_tensor(cls, shape: tuple[int, ...], compute: Compute) -> tuple["Buffer", torch.Tensor]:
        """A buffer, and a tensor of the same values to hand out now, without waiting for the buffer."""
        first = _compute_into(tuple(shape), compute)
        return cls(shape, compute), first

    def _fill(self, compute: Compute) -> None:
        shared = mmap.mmap(self._fd, self.nbytes)
        try:
            array = np.frombuffer(shared, dtype=np.float32).reshape(self.shape)
            compute(array)
            del array
        finally:
            shared.close()

    def _wait(self) -> None:
        if self._filled is not None:
            self._filled.result()
            self._filled = None

    def tensor(self) -> torch.Tensor:
        """A tensor with the buffer's contents that shares nothing writable with the buffer."""
        if not self.mapped:
            return self._tensor.clone()
        self._wait()
        private = mmap.mmap(self._fd, self.nbytes, access=mmap.ACCESS_COPY)
        return torch.frombuffer(private, dtype=torch.float32).view(self.shape)

    def close(self) -> None:
        """Release the cache's hold; tensors already handed out keep their own mapping."""
        try:
            self._wait()
        except Exception:  # a failed fill has nothing more to release than the descriptor
            pass
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tensor = None


class Held:
    """A host's tensor of another dtype or device, kept as it is and handed out as clones."""

    mapped = False

    def __init__(self, tensor: torch.Tensor):
        self._tensor = tensor
        self.nbytes = tensor.numel() * tensor.element_size()

    def tensor(self) -> torch.Tensor:
        return self._tensor.clone()

    def close(self) -> None:
        self._tensor = None


def keep(tensor: torch.Tensor) -> "tuple[Buffer | Held, torch.Tensor]":
    """A host's fresh tensor: handed out as it is, and kept for the cache. A float32 CPU tensor is copied into a
    buffer before it is handed out (the caller may write into it at once)."""
    if tensor.dtype == torch.float32 and tensor.device.type == "cpu":
        values = tensor.contiguous().numpy()
        return Buffer(tuple(tensor.shape), lambda out: np.copyto(out, values.reshape(out.shape)),
                      background=False), tensor
    return Held(tensor.clone()), tensor


def zeros(shape: tuple[int, ...]) -> torch.Tensor:
    """Zeros without writing them: a private anonymous mapping is zero-filled by the kernel on first touch."""
    nbytes = int(np.prod(shape)) * 4
    if nbytes < MAPPED_MIN_BYTES:
        return torch.zeros(shape, dtype=torch.float32)
    return torch.frombuffer(mmap.mmap(-1, nbytes), dtype=torch.float32).view(shape)
