"""The store-wide lock that makes gc safe beside adds in other processes.

Every operation that writes an object and then publishes a manifest referencing it holds the lock *shared* from
before the object's first byte until the manifest is published; gc holds it *exclusive* from before it reads the
first manifest until it has deleted its last object. So gc never sees an object that is written but not yet
referenced, and never deletes one that an add is about to reference. Shared holders never wait for each other.

POSIX: flock(2) on <root>/gc.lock, one open file per holder (so threads of one process are independent holders).
Elsewhere: filelock, with shared taken as exclusive (correct, but adds then wait for each other).
"""

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import StoreBusy

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

POLL = 0.02


class StoreLock:
    def __init__(self, root: Path):
        self.path = Path(root) / "gc.lock"

    @contextmanager
    def shared(self, timeout: float) -> Iterator[None]:
        with self._hold(exclusive=False, timeout=timeout):
            yield

    @contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        with self._hold(exclusive=True, timeout=timeout):
            yield

    @contextmanager
    def _hold(self, exclusive: bool, timeout: float) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            import filelock
            lock = filelock.FileLock(str(self.path), thread_local=False)
            try:
                lock.acquire(timeout=timeout)
            except filelock.Timeout:
                raise self._busy(exclusive) from None
            try:
                yield
            finally:
                lock.release()
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self._busy(exclusive) from None
                    time.sleep(POLL)
            yield
        finally:
            os.close(fd)  # closing the only descriptor of this open file releases its lock

    @staticmethod
    def _busy(exclusive: bool) -> StoreBusy:
        if exclusive:
            return StoreBusy("images are being added to the store right now; gc waited for them and gave up")
        return StoreBusy("the store is being garbage-collected (python -m image_pool gc); try again in a moment")
