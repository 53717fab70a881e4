"""The store's two kinds of lock, both file locks that hold across processes (ComfyUI, the standalone server and the
CLI at once), one open file per holder, so that threads of one process are independent holders too.

- The gc lock, <root>/gc.lock. Every operation that publishes references to objects holds it *shared* from its first
  object published until its manifest is published; gc holds it *exclusive* from before it reads the first manifest
  until it has deleted its last object. So gc never sees an object that is published but not yet referenced, and
  never deletes one that a manifest is about to reference. Shared holders never wait for each other.
- A pool's lock, <root>/locks/<pool_id>.lock: every read-modify-write of a pool holds it. It lives outside the pool's
  folder, so taking it never makes that folder: a pool deleted while a change waited stays deleted.

POSIX: flock(2). Elsewhere: filelock, with shared taken as exclusive (correct, but adds then wait for each other).
A lock file is deleted only while held (gc, for pools that are gone), and whoever takes a lock checks that its path
still names the file it locked, else opens it anew: so a waiter that opened a file since deleted never locks nothing.
"""

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from image_pool.errors import PoolBusy, PoolError, StoreBusy

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

POLL = 0.02
LOCKS = "locks"


class FileLock:
    """One holder's hold on a lock file: try_acquire() never waits; acquire() waits up to a deadline."""

    def __init__(self, path: Path, exclusive: bool = True):
        self.path = Path(path)
        self.exclusive = exclusive
        self._fd: int | None = None
        self._fallback = None

    def try_acquire(self) -> bool:
        if fcntl is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            import filelock
            self._fallback = self._fallback or filelock.FileLock(str(self.path), thread_local=False)
            try:
                self._fallback.acquire(timeout=0)
                return True
            except filelock.Timeout:
                return False
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            if self._still_named(fd):
                self._fd = fd
                return True
            os.close(fd)  # removed (remove_if_unused) after it was opened: that file locks nothing; open it anew

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            return os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the first lock of this store
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, flags, 0o644)

    def _still_named(self, fd: int) -> bool:
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def remove_if_unused(self, unused: Callable[[], bool]) -> bool:
        """Delete the lock file if nobody holds it and `unused()` says so while it is held here. Safe beside waiters:
        one that opened the file before it went finds, once it holds it, that the path no longer names it, and opens
        the path anew (try_acquire). Not done where locks are not flock (Windows)."""
        if fcntl is None or not self.try_acquire():
            return False
        try:
            if unused():
                self.path.unlink(missing_ok=True)
                return True
            return False
        finally:
            self.release()

    def acquire(self, timeout: float, busy: Callable[[], PoolError]) -> None:
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise busy()
            time.sleep(POLL)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor of this open file releases its lock
            self._fd = None
        elif self._fallback is not None and self._fallback.is_locked:
            self._fallback.release()

    @contextmanager
    def held(self, timeout: float, busy: Callable[[], PoolError]) -> Iterator[None]:
        self.acquire(timeout, busy)
        try:
            yield
        finally:
            self.release()


def pool_lock(root: Path, pool_id: str) -> FileLock:
    """A new hold on a pool's lock (pool_id already validated)."""
    return FileLock(Path(root) / LOCKS / f"{pool_id}.lock")


def pool_busy(pool_id: str) -> Callable[[], PoolBusy]:
    return lambda: PoolBusy(f"pool {pool_id} is locked by another process; try again in a moment")


def gc_running() -> StoreBusy:
    return StoreBusy("the store is being garbage-collected (python -m image_pool gc); try again in a moment")


class StoreLock:
    def __init__(self, root: Path):
        self.path = Path(root) / "gc.lock"

    def shared_hold(self) -> FileLock:
        """A new, unacquired shared hold, for a caller that waits for it its own way (the HTTP server, on its event
        loop)."""
        return FileLock(self.path, exclusive=False)

    @contextmanager
    def shared(self, timeout: float) -> Iterator[None]:
        with self.shared_hold().held(timeout, gc_running):
            yield

    @contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        with FileLock(self.path, exclusive=True).held(timeout, lambda: StoreBusy(
                "images are being added to the store right now; gc waited for them and gave up")):
            yield
