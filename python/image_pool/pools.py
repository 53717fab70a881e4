"""Pools: manifests with generations, every read-modify-write under a lock that also holds across processes.

    pools/<pool_id>/manifest.json
    pools/<pool_id>/history/<revision>.json   the last `history_keep` generations, at most `history_bytes` in all
    pools/<pool_id>/.lock
    trash/<pool_id>-<time>/                    a deleted pool, removed at once (or by gc after a crash)
    gc.lock                                    held shared by adds, exclusive by gc (store_lock.py)
"""

import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import filelock

from . import ids, masks
from .atomic import write_atomic_each
from .errors import BadRequest, PoolBusy, PoolDamaged, PoolError, PoolFull, StaleReorder, UnknownSlot, storage_error
from .formats import Limits
from .manifest import MAX_LABEL, MAX_POOL_NAME, Manifest, ManifestInvalid, Slot, clean_name, clean_text
from .store import ObjectStore, StoredObject
from .store_lock import StoreLock

log = logging.getLogger("image_pool")

HISTORY_KEEP = 50
HISTORY_BYTES = 64 * 1024 * 1024  # per pool; the newest HISTORY_MIN generations are kept whatever their size
HISTORY_MIN = 2
MAX_SLOTS = 10_000
TRASH = "trash"  # <root>/trash/: deleted pools on their way out
PARSED_CACHE_POOLS = 256
ROLLBACK_WAIT = 5.0


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


class AddBatch:
    """Objects being added and the manifest that will reference them, under the store lock held shared.

    If the batch fails, the objects it created are deleted again, but only under the store lock held exclusive
    (no add anywhere in flight) and only if no manifest references them: another add of the same bytes may have
    published its manifest meanwhile.
    """

    def __init__(self, pools: "Pools"):
        self.pools = pools
        self.created: list[str] = []
        self._hold = pools.store_lock.shared(pools.lock_timeout)
        self._hold.__enter__()

    def note(self, stored: StoredObject) -> StoredObject:
        if stored.created:
            self.created.append(stored.key)
        return stored

    def close(self, failed: bool) -> None:
        self._hold.__exit__(None, None, None)
        if failed and self.created:
            self.pools.roll_back(self.created)


class Pools:
    def __init__(self, root, *, limits: Limits = Limits(), history_keep: int = HISTORY_KEEP,
                 history_bytes: int = HISTORY_BYTES, max_slots: int = MAX_SLOTS, lock_timeout: float = 10.0):
        self.root = Path(root)
        self.objects = ObjectStore(self.root, limits)
        self.pools_dir = self.root / "pools"
        self.store_lock = StoreLock(self.root)
        self.history_keep = history_keep
        self.history_bytes = history_bytes
        self.max_slots = max_slots
        self.lock_timeout = lock_timeout
        self._parsed: dict[str, tuple[tuple[int, int, int], Manifest]] = {}
        self._parsed_lock = threading.Lock()
        self._manifest_paths: dict[str, str] = {}

    # ----- reading -------------------------------------------------------------------------------------------

    def pool_dir(self, pool_id: str) -> Path:
        return self.pools_dir / ids.pool_id(pool_id)

    def exists(self, pool_id: str) -> bool:
        return self.pool_dir(pool_id).is_dir()

    def load(self, pool_id: str) -> Manifest:
        """The pool's manifest; an unknown pool is empty. A damaged manifest falls back to its newest valid generation.

        Parsed manifests are remembered by the file's (inode, mtime, size): every generation is published by
        an atomic rename, so a new one always has a new inode, and an unchanged pool costs one stat.
        """
        return self.load_checked(pool_id)[0]

    def _manifest_path(self, pool_id: str) -> str:
        """The manifest's path as a string, remembered: the node's hot path asks for it on every run."""
        path = self._manifest_paths.get(pool_id)
        if path is None:
            if len(self._manifest_paths) >= PARSED_CACHE_POOLS:
                self._manifest_paths.clear()
            path = self._manifest_paths[pool_id] = str(self.pool_dir(pool_id) / "manifest.json")
        return path

    def identity(self, pool_id: str) -> tuple[int, int, int] | None:
        """What names the pool's current generation, at the cost of one stat: every generation is published by an
        atomic rename, so a new one always has a new (inode, mtime, size). None when there is no manifest file."""
        try:
            stat = os.stat(self._manifest_path(ids.pool_id(pool_id)))
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def load_checked(self, pool_id: str) -> tuple[Manifest, str | None]:
        """The manifest as `load` gives it, and what is wrong when the pool is damaged beyond recovery
        (a manifest that exists but is unreadable, and no valid generation in history); else None."""
        pool_id = ids.pool_id(pool_id)
        path = self._manifest_path(pool_id)
        try:
            stat = os.stat(path)
            identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            cached = self._parsed.get(pool_id)
            if cached and cached[0] == identity:
                return cached[1].copy(), None
            with open(path, "rb") as f:
                manifest = Manifest.loads(f.read(), pool_id)
            self._remember(pool_id, identity, manifest)
            return manifest, None
        except FileNotFoundError:
            problem = None
        except (ManifestInvalid, OSError) as e:
            problem = f"manifest.json is unreadable ({e})"
        for revision in reversed(self.generations(pool_id)):
            try:
                manifest = self.load_generation(pool_id, revision)
            except (ManifestInvalid, OSError):
                continue
            log.warning("pool %s: %s; recovered generation %d from history", pool_id, problem or "manifest.json is "
                        "missing", revision)
            return manifest, None
        if problem:
            log.warning("pool %s: %s and no generation in history is valid; it opens empty (nothing deleted)",
                        pool_id, problem)
            return Manifest(pool_id), problem + " and no generation in history is valid"
        return Manifest(pool_id), None

    def _remember(self, pool_id: str, identity: tuple[int, int, int], manifest: Manifest) -> None:
        with self._parsed_lock:
            if len(self._parsed) >= PARSED_CACHE_POOLS:
                self._parsed.clear()
            self._parsed[pool_id] = (identity, manifest.copy())

    def forget_parsed(self) -> None:
        """Drop remembered manifests (benchmarks use it to time a first read)."""
        self._parsed.clear()

    def generations(self, pool_id: str) -> list[int]:
        return sorted(self._generation_entries(self.pool_dir(pool_id) / "history"))

    @staticmethod
    def _generation_entries(history: Path) -> dict[int, os.DirEntry]:
        """Revision -> directory entry of the generations in `history` (os.scandir: pruning runs on every
        mutation, and an entry stats its file only when asked)."""
        found = {}
        try:
            with os.scandir(history) as entries:
                for entry in entries:
                    stem, _, ext = entry.name.partition(".")
                    if ext == "json" and stem.isdigit():
                        found[int(stem)] = entry
        except (FileNotFoundError, NotADirectoryError):
            pass
        return found

    def load_generation(self, pool_id: str, revision: int) -> Manifest:
        path = self.pool_dir(pool_id) / "history" / f"{int(revision)}.json"
        return Manifest.loads(path.read_bytes(), ids.pool_id(pool_id))

    def pool_ids(self) -> list[str]:
        if not self.pools_dir.is_dir():
            return []
        return sorted(p.name for p in self.pools_dir.iterdir() if p.is_dir() and ids.is_pool_id(p.name))

    def stray_folders(self) -> list[str]:
        """Folders in pools/ that are not pools (a renamed pool, say): their manifests may still matter."""
        if not self.pools_dir.is_dir():
            return []
        return sorted(p.name for p in self.pools_dir.iterdir() if p.is_dir() and not ids.is_pool_id(p.name))

    def manifests(self) -> list[Manifest]:
        return [self.load(pool_id) for pool_id in self.pool_ids()]

    # ----- writing -------------------------------------------------------------------------------------------

    def begin_adding(self) -> AddBatch:
        return AddBatch(self)

    @contextmanager
    def adding(self, batch: AddBatch | None = None) -> Iterator[AddBatch]:
        """Hold the store for adding objects; see AddBatch. Every call that writes objects runs inside one.
        With `batch`, the caller's batch is used (and the caller closes it)."""
        if batch is not None:
            yield batch
            return
        batch = AddBatch(self)
        try:
            yield batch
        except BaseException:
            batch.close(failed=True)
            raise
        batch.close(failed=False)

    def roll_back(self, keys: Sequence[str]) -> None:
        """Delete objects a failed batch created, unless a manifest references them (see AddBatch)."""
        try:
            with self.store_lock.exclusive(ROLLBACK_WAIT):
                from .maintenance import referenced_keys  # maintenance imports this module
                referenced = referenced_keys(self)
                for key in keys:
                    if key not in referenced:
                        self.objects.delete(key)
        except (PoolError, OSError) as e:
            log.warning("a failed add left %d unreferenced object(s) for gc: %s", len(keys), e)

    @contextmanager
    def _locked(self, pool_id: str, create: bool = False) -> Iterator[Path]:
        """The pool's lock. Without `create`, a pool deleted before or while waiting for it is an unknown pool
        (and its folder is not made again)."""
        folder = self.pool_dir(pool_id)
        gone = UnknownSlot(f"pool {pool_id} does not exist (or has been deleted)")
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(folder / ".lock"), timeout=self.lock_timeout, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise PoolBusy(f"pool {pool_id} is locked by another process; try again in a moment") from None
        except FileNotFoundError:
            raise gone from None
        try:
            if not folder.is_dir():  # deleted while this waited: the lock held was the deleted folder's
                raise gone
            yield folder
        finally:
            lock.release()

    @contextmanager
    def _mutation(self, pool_id: str, create: bool = False) -> Iterator[Manifest]:
        """Load, let the caller change the manifest, then publish it as the next generation.

        If the caller raises, nothing is written. Only a mutation that may `create` the pool makes its
        folder; any other on an unknown pool is refused before touching the disk.
        """
        pool_id = ids.pool_id(pool_id)
        if not create and not self.exists(pool_id):
            raise UnknownSlot(f"pool {pool_id} does not exist (or has never held a slot)")
        with self._locked(pool_id, create) as folder:
            manifest = self._writable(pool_id)
            yield manifest
            if manifest.count > self.max_slots:
                raise PoolFull(f"pool {pool_id} would hold {manifest.count:,} slots, over the limit of "
                               f"{self.max_slots:,}; detach or remove some first")
            manifest.revision += 1
            try:
                self._publish(folder, manifest)
            except OSError as e:
                raise storage_error(e) or e

    def _writable(self, pool_id: str) -> Manifest:
        manifest, damage = self.load_checked(pool_id)
        if damage:
            raise PoolDamaged(f"pool {pool_id} is damaged: {damage}. Nothing was changed; run "
                              f"'python -m image_pool fsck' and restore or move the pool's folder away.")
        return manifest

    def _publish(self, folder: Path, manifest: Manifest) -> None:
        """The new generation into history/, then over manifest.json: two files, so that damage to one inode
        (an edit in place, a bad block) leaves the other to recover from."""
        data = manifest.dumps()
        history = folder / "history"
        generation = history / f"{manifest.revision}.json"
        final = folder / "manifest.json"
        try:
            write_atomic_each([generation, final], data)
        except BaseException:
            if not _holds(final, data):  # never published: it must not keep a failed add's objects alive
                generation.unlink(missing_ok=True)
            raise
        stat = os.stat(final)
        manifest.written(data)
        self._remember(manifest.pool_id, (stat.st_ino, stat.st_mtime_ns, stat.st_size), manifest)
        self._prune_history(history, manifest.pool_id)

    def _prune_history(self, history: Path, pool_id: str) -> None:
        entries = self._generation_entries(history)
        revisions = sorted(entries)
        keep, total = 0, 0
        for revision in reversed(revisions):
            try:
                size = entries[revision].stat().st_size
            except FileNotFoundError:  # pruned meanwhile by another process
                size = 0
            if keep >= self.history_keep or (keep >= HISTORY_MIN and total + size > self.history_bytes):
                break
            keep += 1
            total += size
        for old in revisions[:len(revisions) - keep]:
            (history / f"{old}.json").unlink(missing_ok=True)

    def add(self, pool_id: str, sources: Sequence, *, labels: Sequence[str] | None = None,
            names: Sequence[str] | None = None,
            progress: Callable[[Sequence], Iterable] = lambda sources: sources) -> tuple[Manifest, list[str]]:
        """Add images (paths or bytes) as new slots at the end. Objects are written first, outside the pool's lock
        (they are content-addressed, so a crash leaves at worst an unreferenced object for gc). `progress` wraps
        the sources as they are stored (the CLI's progress bar)."""
        self.check_room(pool_id, len(sources))
        with self.adding() as batch:
            stored, default_names = [], []
            for source in progress(sources):
                if isinstance(source, (bytes, bytearray, memoryview)):
                    stored.append(batch.note(self.objects.put_bytes(bytes(source))))
                    default_names.append("")
                else:
                    stored.append(batch.note(self.objects.put_file(source)))
                    default_names.append(os.path.basename(str(source)))
            return self.add_objects(pool_id, stored, labels=labels, names=names or default_names)

    def add_objects(self, pool_id: str, stored: Sequence[StoredObject], *, labels: Sequence[str] | None = None,
                    names: Sequence[str] | None = None) -> tuple[Manifest, list[str]]:
        labels = [clean_text(x, MAX_LABEL, "label") for x in (labels or [""] * len(stored))]
        names = [clean_name(x) for x in (names or [""] * len(stored))]
        if not (len(labels) == len(names) == len(stored)):
            raise BadRequest("one label and one name per file")
        self.check_room(pool_id, len(stored))
        for obj in stored:
            if not self.objects.exists(obj.key):
                raise BadRequest(f"object {obj.key} is not in the store")
        with self._mutation(pool_id, create=True) as manifest:
            taken = {s.id for s in manifest.slots}
            new_ids = []
            now = time.time()
            for obj, label, name in zip(stored, labels, names):
                slot_id = ids.new_slot_id(taken)
                taken.add(slot_id)
                new_ids.append(slot_id)
                manifest.slots.append(Slot(slot_id, obj.key, None, label, name, obj.info.width, obj.info.height, now))
            if manifest.active is None and manifest.slots:
                manifest.active = manifest.slots[0].id
        return manifest, new_ids

    def check_room(self, pool_id: str, adding: int) -> None:
        """Refuse early (before objects are written) what the locked mutation would refuse anyway."""
        manifest = self._writable(pool_id)
        count = manifest.count
        if count + adding > self.max_slots:
            raise PoolFull(f"pool {pool_id} holds {count:,} slots; {adding:,} more would pass the limit of "
                           f"{self.max_slots:,}")

    def remove(self, pool_id: str, slot_id: str) -> Manifest:
        """Drop a slot from the pool. Its objects stay until gc finds nothing referencing them."""
        with self._mutation(pool_id) as manifest:
            position = manifest.position(slot_id)
            del manifest.slots[position]
            if manifest.active == slot_id:
                neighbour = manifest.slots[min(position, len(manifest.slots) - 1)] if manifest.slots else None
                manifest.active = neighbour.id if neighbour else None
        return manifest

    def set_active(self, pool_id: str, slot_id: str) -> Manifest:
        with self._mutation(pool_id) as manifest:
            manifest.position(slot_id)
            manifest.active = slot_id
        return manifest

    def set_label(self, pool_id: str, slot_id: str, label: str) -> Manifest:
        label = clean_text(label, MAX_LABEL, "label")
        with self._mutation(pool_id) as manifest:
            manifest.replace_slot(slot_id, label=label)
        return manifest

    def set_mask(self, pool_id: str, slot_id: str, mask, *, batch: AddBatch | None = None) -> Manifest:
        """Store `mask` (2-D bool, uint8 0..255 or float 0..1; 1/255 = masked) for a slot; None or all zeros clears it."""
        key = None
        with self.adding(batch) as batch:
            if mask is not None:
                array = masks.as_mask_array(mask)
                slot = self._writable(pool_id).slot(slot_id)  # early, friendly size check; repeated under the lock
                masks.check_size(array, slot.width, slot.height)
                if array.any():
                    key = batch.note(self.objects.put_bytes(masks.encode_png(array))).key
            with self._mutation(pool_id) as manifest:
                slot = manifest.slot(slot_id)
                if mask is not None:
                    masks.check_size(array, slot.width, slot.height)
                manifest.replace_slot(slot_id, mask=key)
        return manifest

    def reorder(self, pool_id: str, order: Sequence[str]) -> Manifest:
        if not isinstance(order, (list, tuple)) or not all(isinstance(x, str) for x in order):
            raise BadRequest("order must be a list of slot ids")
        with self._mutation(pool_id) as manifest:
            current = [s.id for s in manifest.slots]
            if len(order) != len(current) or set(order) != set(current):
                raise StaleReorder(f"order is not a permutation of the pool's {len(current)} slots "
                                   f"(revision {manifest.revision}); reload and try again")
            by_id = {s.id: s for s in manifest.slots}
            manifest.slots = [by_id[x] for x in order]
        return manifest

    def set_name(self, pool_id: str, name: str) -> Manifest:
        """Name a pool (a pool not yet holding anything is made, so that a new pool can be named first)."""
        name = clean_text(name, MAX_POOL_NAME, "name").strip()
        with self._mutation(pool_id, create=True) as manifest:
            manifest.name = name
        return manifest

    def delete(self, pool_id: str) -> None:
        """Delete a pool: its folder (manifest and history) is moved out of pools/ under the pool's lock, in one
        rename, then removed. Objects only it referenced are reclaimed by a later gc, after the grace period."""
        pool_id = ids.pool_id(pool_id)
        if not self.exists(pool_id):
            raise UnknownSlot(f"there is no pool {pool_id} to delete")
        trash = self.root / TRASH
        trash.mkdir(exist_ok=True)
        gone = trash / f"{pool_id}-{time.time_ns()}"
        with self._locked(pool_id) as folder:
            try:
                os.rename(folder, gone)
            except OSError as e:
                raise storage_error(e) or e
        with self._parsed_lock:
            self._parsed.pop(pool_id, None)
        shutil.rmtree(gone, ignore_errors=True)  # what a crash leaves here, gc removes

    def detach(self, pool_id: str) -> Manifest:
        """A new pool holding a copy of this one's slots; objects are shared, nothing is copied."""
        if not self.exists(pool_id):
            raise UnknownSlot(f"there is no pool {pool_id} to detach")
        source = self._writable(pool_id)
        new_id = ids.new_pool_id()
        with self._mutation(new_id, create=True) as manifest:
            manifest.slots = list(source.slots)
            manifest.active = source.active
            manifest.name = f"{source.name} (copy)" if source.name else ""
        return manifest

    def write_imported(self, manifest: Manifest) -> Manifest:
        """Publish a manifest brought from elsewhere as the next generation of its pool (used by import)."""
        with self._mutation(manifest.pool_id, create=True) as current:
            current.slots = list(manifest.slots)
            current.active = manifest.active
        return current
