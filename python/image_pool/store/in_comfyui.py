"""Where ComfyUI's store lives: `<input>/.grid_pool`. ComfyUI's asset scan (0.33, `--enable-assets`) lists every
file under input/ except dot-files and dot-folders, so the store's objects, thumbnails, manifests, history, locks
and staging never show up as assets; `LoadImage` lists only the input folder's own files, so it never showed them.

A store made by an earlier version, at `<input>/grid_pool`, is moved here the first time it is opened: one rename,
done while holding its gc lock and every pool's lock (so no change of any pool is half done in another process), and
an empty file then takes its old name. A link to a store kept elsewhere moves as a link (its target stays where it
is). An older process that still reads the old path finds no pools there (as after a delete; nothing is removed) and
cannot make the store again under the old name, so the store is never split in two. The empty file is skipped by the
asset scan and by `LoadImage`'s list, being empty and not an image.
"""

import logging
import os
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from image_pool.errors import PoolError, StoreBusy
from image_pool.store import ids
from image_pool.store.lock import FileLock, StoreLock, pool_lock

log = logging.getLogger("image_pool")

STORE = ".grid_pool"
FORMER = "grid_pool"
MOVING = ".grid_pool-move.lock"  # beside them: two processes opening the store at once move it once
MOVE_WAIT = 10.0

_decided: dict[str, Path] = {}
_lock = threading.Lock()


def store_in(input_dir: str | os.PathLike) -> Path:
    """The store of the ComfyUI whose input folder this is, moved from its former place if it is there."""
    key = os.fspath(input_dir)
    root = _decided.get(key)
    if root is None:
        with _lock:
            root = _decided.get(key) or _decided.setdefault(key, _open(Path(key)))
    return root


def _open(input_dir: Path) -> Path:
    store, former = input_dir / STORE, input_dir / FORMER
    if store.is_dir() or not former.is_dir():  # a link to a store elsewhere is a store too: the link is what moves
        return store
    try:
        with FileLock(input_dir / MOVING).held(MOVE_WAIT, _busy):
            if store.is_dir() or not former.is_dir():  # moved meanwhile by another process
                return store
            move_store(former, store, MOVE_WAIT)
            return store
    except (PoolError, OSError) as e:
        log.warning("Image Pool: the store at %s stays where it is this session (%s); it will be moved to %s at a "
                    "later start", former, getattr(e, "message", e), store)
        return former


def move_store(former: Path, store: Path, timeout: float) -> None:
    """Rename `former` to `store` under its gc lock and every pool's lock, then leave an empty file at `former`."""
    deadline = time.monotonic() + timeout
    with ExitStack() as held:
        locks = [FileLock(StoreLock(former).path)]
        pools = former / "pools"
        if pools.is_dir():
            locks += [pool_lock(former, name) for name in sorted(os.listdir(pools)) if ids.is_pool_id(name)]
        for lock in locks:
            lock.acquire(max(0.0, deadline - time.monotonic()), _busy)
            held.callback(lock.release)
        os.rename(former, store)  # refuses if `store` exists: never merges into another store
        fd = os.open(former, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        os.close(fd)
    log.info("Image Pool: moved the store from %s to %s (hidden from ComfyUI's asset list)", former, store)


def _busy() -> StoreBusy:
    return StoreBusy("the store is in use by another process")
