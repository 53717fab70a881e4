"""Pools: manifests with generations. Every change to a pool takes one path, `Pools.change`: the pool's lock (which
never makes a pool's folder), the manifest read under it, the check, the new generation published.

    pools/<pool_id>/manifest.json
    pools/<pool_id>/history/<revision>.json   the last `history_keep` generations, at most `history_bytes` in all
    locks/<pool_id>.lock                      the pool's lock (store/lock.py)
    trash/<pool_id>-<time>/                    a deleted pool, removed at once (or by gc after a crash)
    gc.lock                                    held shared by what publishes references to objects, exclusive by gc
"""

import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from image_pool.errors import (BadRequest, GcRefused, PoolDamaged, PoolError, PoolExists, PoolFull, StaleReorder,
                               StoreBusy, UnknownPool, storage_error)
from image_pool.pictures import masks
from image_pool.pictures.formats import Limits
from image_pool.pools import changes
from image_pool.pools.manifest import (MAX_LABEL, Manifest, ManifestInvalid, Slot, clean_name, clean_pool_name,
                                       clean_text)
from image_pool.pools.parsed_manifests import PoolSummary, generation_mtime, identity_of, parsed
from image_pool.store import ids
from image_pool.store.atomic import write_atomic_each
from image_pool.store.lock import LOCKS, FileLock, StoreLock, gc_running, pool_busy, pool_lock
from image_pool.store.objects import ObjectStore, StoredObject

log = logging.getLogger("image_pool")

HISTORY_KEEP = 50
HISTORY_BYTES = 64 * 1024 * 1024  # per pool; the newest HISTORY_MIN generations are kept whatever their size
HISTORY_MIN = 2
MAX_SLOTS = 10_000
TRASH = "trash"  # <root>/trash/: deleted pools on their way out
ROLLBACK_WAIT = 5.0
NAMES_LOCK = "names.lock"  # in locks/: held while a pool is found or made by name
T = TypeVar("T")


def unknown_pool(pool_id: str) -> UnknownPool:
    return UnknownPool(f"pool {pool_id} does not exist (it was never made, or it has been deleted)")


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

    def __init__(self, pools: "Pools", held: FileLock | None = None):
        """`held`: the store lock, held shared already by the caller; else it is taken here (waiting up to the
        lock timeout)."""
        self.pools = pools
        self.created: list[str] = []
        if held is None:
            held = pools.store_lock.shared_hold()
            held.acquire(pools.lock_timeout, gc_running)
        self._held = held

    def note(self, stored: StoredObject) -> StoredObject:
        if stored.created:
            self.created.append(stored.key)
        return stored

    def close(self, failed: bool) -> None:
        self._held.release()
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
        self._manifest_paths: dict[str, str] = {}

    # ----- reading -------------------------------------------------------------------------------------------

    def pool_dir(self, pool_id: str) -> Path:
        return self.pools_dir / ids.pool_id(pool_id)

    def exists(self, pool_id: str) -> bool:
        return self.pool_dir(pool_id).is_dir()

    def manifest_path(self, pool_id: str) -> str:
        """The manifest's path as a string (pool_id already checked), worked out once: the node's hot path asks for
        it on every run."""
        path = self._manifest_paths.get(pool_id)
        if path is None:
            if len(self._manifest_paths) >= 4096:
                self._manifest_paths.clear()
            path = self._manifest_paths[pool_id] = os.path.join(self.pools_dir, pool_id, "manifest.json")
        return path

    def load(self, pool_id: str) -> Manifest:
        """The pool's manifest; an unknown pool is empty; a damaged one is its newest valid generation. It is shared:
        change a copy()."""
        return self.load_checked(pool_id)[0]

    def load_checked(self, pool_id: str) -> tuple[Manifest, str | None]:
        """The manifest as `load` gives it, and what is wrong when the pool is damaged beyond recovery (a manifest
        that exists but does not parse, and no valid generation in history); else None."""
        pool_id = ids.pool_id(pool_id)
        path = self.manifest_path(pool_id)
        try:
            identity = identity_of(os.stat(path))
        except FileNotFoundError:
            return self._recovered(pool_id, None)
        except OSError as e:
            return self._recovered(pool_id, f"manifest.json cannot be read ({e.strerror})")
        manifest = parsed.get(path, identity)
        if manifest is not None:
            return manifest, None
        try:
            with open(path, "rb") as f:
                manifest = Manifest.loads(f.read(), pool_id)
        except FileNotFoundError:
            return self._recovered(pool_id, None)
        except OSError as e:
            return self._recovered(pool_id, f"manifest.json cannot be read ({e.strerror})")
        except ManifestInvalid as e:
            return self._recovered(pool_id, f"manifest.json is unreadable ({e})")
        parsed.put(path, identity, manifest)
        return manifest, None

    def _recovered(self, pool_id: str, problem: str | None) -> tuple[Manifest, str | None]:
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

    def summary(self, pool_id: str) -> PoolSummary:
        """Name, count, revision and cover of a pool, at the cost of one stat when it has not changed."""
        path = self.manifest_path(ids.pool_id(pool_id))
        try:
            identity = identity_of(os.stat(path))
        except OSError:
            identity = None
        known = parsed.summary(path, identity)
        return known if known is not None else PoolSummary.of(self.load(pool_id))

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

    def named(self, name: str) -> list[str]:
        """The ids of the pools named `name`, compared as names are stored (clean_pool_name)."""
        name = clean_pool_name(name)
        return [pool_id for pool_id in self.pool_ids() if self.summary(pool_id).name == name]

    def pool_named(self, name: str) -> tuple[str, bool]:
        """The id of the one pool named `name`, and whether it was made now: a name no pool has makes an empty pool
        of that name. Atomic across processes (the store's names lock): two at once make one pool."""
        with FileLock(self.root / LOCKS / NAMES_LOCK).held(self.lock_timeout, lambda: StoreBusy(
                "another process is making a pool by name; try again in a moment")):
            if not clean_pool_name(name):
                raise BadRequest("a pool's name cannot be empty")
            found = self.named(name)
            if len(found) > 1:
                raise BadRequest(f"{len(found)} pools are named {clean_pool_name(name)!r}: {', '.join(found)}; give "
                                 f"the id of the one you mean")
            if found:
                return found[0], False
            pool_id = ids.new_pool_id()
            self.set_name(pool_id, name)
            return pool_id, True

    @contextmanager
    def adding_to(self, pool: str) -> Iterator[str]:
        """The id of the pool `pool` names: an id (a pool not yet made is made by the first add), else a name, made
        if no pool has it. If what runs inside raises, a pool made here for its name is removed if still empty."""
        text = str(pool or "").strip()
        named_id = ids.pool_id_or_none(text)
        if named_id is not None:
            yield named_id
            return
        pool_id, made = self.pool_named(text)
        try:
            yield pool_id
        except BaseException:
            if made:
                self.delete(pool_id, only_if_empty=True)  # unless used meanwhile
            raise

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

    # ----- the one path of every change ----------------------------------------------------------------------

    def referenced_keys(self) -> set[str]:
        """Every object named by a pool's manifest or by any generation it keeps. Refuses (GcRefused) when that
        cannot be known: a manifest that does not parse, or a folder in pools/ that is not a pool."""
        stray = self.stray_folders()
        if stray:
            raise GcRefused(f"pools/ holds folders that are not pools ({', '.join(stray[:5])}); their objects may "
                            f"still be needed. Rename them back to their pool id or move them out, then run gc again")
        keys: set[str] = set()
        for pool_id in self.pool_ids():
            path = self.pool_dir(pool_id) / "manifest.json"
            try:
                keys |= Manifest.loads(path.read_bytes(), pool_id).referenced_keys()
            except FileNotFoundError:
                keys |= self.load(pool_id).referenced_keys()
            except (OSError, ManifestInvalid) as e:
                raise GcRefused(f"pool {pool_id}: manifest.json is unreadable ({e}); its objects may still be "
                                f"needed. Run fsck, repair or move the pool away, then run gc again") from None
            for revision in self.generations(pool_id):
                try:
                    keys |= self.load_generation(pool_id, revision).referenced_keys()
                except (OSError, ManifestInvalid):
                    continue
        return keys

    def lock(self, pool_id: str) -> FileLock:
        """A new, unacquired hold on the pool's lock, for a caller that takes it its own way (the HTTP server waits
        for it without holding a thread) and passes it to the change as `lock`."""
        return pool_lock(self.root, ids.pool_id(pool_id))

    @contextmanager
    def _holding(self, pool_id: str, lock: FileLock | None) -> Iterator[None]:
        if lock is not None:  # the caller holds it
            yield
            return
        with pool_lock(self.root, pool_id).held(self.lock_timeout, pool_busy(pool_id)):
            yield

    @contextmanager
    def _locked(self, pool_id: str, lock: FileLock | None, *, create: bool = False, new: bool = False) -> Iterator[Path]:
        """Step 1 of every change, delete and detach's read included: the pool's lock, and the pool's folder checked
        before it (so that no lock file is made for a pool that is not there) and again under it (a pool deleted
        while this waited stays deleted). Yields the folder, which exists unless `create` or `new`."""
        folder = self.pools_dir / pool_id
        if not (create or new or folder.is_dir()):
            raise unknown_pool(pool_id)
        with self._holding(pool_id, lock):
            if folder.is_dir() and new:
                raise PoolExists(f"pool {pool_id} already exists here; import it with a new id to keep both")
            if not (folder.is_dir() or create or new):
                raise unknown_pool(pool_id)
            yield folder

    def _current(self, pool_id: str, folder: Path, what: str = "Nothing was changed") -> Manifest:
        """Step 2: the manifest read under the lock; a damaged pool is refused."""
        current, damage = self.load_checked(pool_id)
        if not damage and os.path.isdir(folder / "manifest.json"):
            damage = "a folder stands where its manifest.json belongs, so no generation can be written"
        if damage:
            raise PoolDamaged(f"pool {pool_id} is damaged: {damage}. {what}; run "
                              f"'python -m image_pool fsck' and restore or move the pool's folder away.")
        return current

    def change(self, pool_id: str, edit: Callable[[Manifest], T], *, create: bool = False, new: bool = False,
               lock: FileLock | None = None) -> tuple[Manifest, T]:
        """Under the pool's lock: read the current manifest, let `edit` change a copy of it (it raises to refuse),
        publish the copy as the next generation. Returns it and what `edit` returned.

        A pool that does not exist, or was deleted while this waited, is refused unless `create`; with `new`, a pool
        that exists is refused (import). A damaged pool is refused. If anything raises, nothing is written."""
        pool_id = ids.pool_id(pool_id)
        with self._locked(pool_id, lock, create=create, new=new) as folder:
            current = self._current(pool_id, folder) if folder.is_dir() else Manifest(pool_id)
            changed = current.copy()
            result = edit(changed)
            if changed.count > self.max_slots:
                raise PoolFull(f"pool {pool_id} would hold {changed.count:,} slots, over the limit of "
                               f"{self.max_slots:,}; detach or remove some first")
            changed.revision = current.revision + 1
            try:
                self._publish(folder, changed)
            except OSError as e:
                raise storage_error(e) or e
        changes.announce(pool_id, changed.revision)
        return changed, result

    def _publish(self, folder: Path, manifest: Manifest) -> None:
        """The new generation into history/, then over manifest.json: two files, so that damage to one inode
        (an edit in place, a bad block) leaves the other to recover from. Both carry a new mtime, later than the
        one they replace (pools/parsed_manifests.py)."""
        data = manifest.dumps()
        history = folder / "history"
        generation = history / f"{manifest.revision}.json"
        final = folder / "manifest.json"
        try:
            previous = os.stat(final).st_mtime_ns
        except FileNotFoundError:
            previous = 0
        try:
            write_atomic_each([generation, final], data, mtime_ns=generation_mtime(previous))
        except BaseException:
            if not _holds(final, data):  # never published: it must not keep a failed add's objects alive
                generation.unlink(missing_ok=True)
            raise
        parsed.put(str(final), identity_of(os.stat(final)), manifest)
        self._prune_history(history)

    def _prune_history(self, history: Path) -> None:
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

    # ----- adding objects --------------------------------------------------------------------------------------

    def begin_adding(self, held: FileLock | None = None) -> AddBatch:
        return AddBatch(self, held)

    @contextmanager
    def adding(self, batch: AddBatch | None = None) -> Iterator[AddBatch]:
        """Hold the store for publishing objects; see AddBatch. With `batch`, the caller's batch is used (and the
        caller closes it)."""
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
                referenced = self.referenced_keys()
                for key in keys:
                    if key not in referenced:
                        self.objects.delete(key)
        except (PoolError, OSError) as e:
            log.warning("a failed add left %d unreferenced object(s) for gc: %s", len(keys), e)

    # ----- the changes -----------------------------------------------------------------------------------------

    def add(self, pool_id: str, sources: Sequence, *, labels: Sequence[str] | None = None,
            names: Sequence[str] | None = None,
            progress: Callable[[Sequence], Iterable] = lambda sources: sources) -> tuple[Manifest, list[str]]:
        """Add images (paths or bytes) as new slots at the end. `progress` wraps the sources as they are stored (the
        CLI's progress bar)."""
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
                    names: Sequence[str] | None = None, mask_keys: Sequence[str | None] | None = None,
                    skip_present: bool = False, lock: FileLock | None = None) -> tuple[Manifest, list[str]]:
        """New slots for objects already published (inside an AddBatch); a pool not yet made is made. `mask_keys`:
        each slot's mask object (checked against its image's size by the caller). With `skip_present`, an image
        the pool already holds (the same object key: the same bytes) is not added again, nor twice from one call;
        the ids returned are those of the slots added."""
        labels = [clean_text(x, MAX_LABEL, "label") for x in (labels or [""] * len(stored))]
        names = [clean_name(x) for x in (names or [""] * len(stored))]
        mask_keys = list(mask_keys or [None] * len(stored))
        if not (len(labels) == len(names) == len(mask_keys) == len(stored)):
            raise BadRequest("one label and one name per file")
        for key in [obj.key for obj in stored] + [k for k in mask_keys if k]:
            if not self.objects.exists(key):
                raise BadRequest(f"object {key} is not in the store")

        def append(manifest: Manifest) -> list[str]:
            taken = set(manifest.positions())
            present = {slot.image for slot in manifest.slots} if skip_present else set()
            new_slots, now = [], time.time()
            for obj, label, name, mask in zip(stored, labels, names, mask_keys):
                if obj.key in present:
                    continue
                if skip_present:
                    present.add(obj.key)
                slot_id = ids.new_slot_id(taken)
                taken.add(slot_id)
                new_slots.append(Slot(slot_id, obj.key, mask, label, name, obj.info.width, obj.info.height, now))
            manifest.slots += tuple(new_slots)
            if manifest.active is None and manifest.slots:
                manifest.active = manifest.slots[0].id
            return [slot.id for slot in new_slots]
        return self.change(pool_id, append, create=True, lock=lock)

    def check_room(self, pool_id: str, adding: int) -> None:
        """Refuse early (before objects are written) what the locked change would refuse anyway."""
        manifest, damage = self.load_checked(pool_id)
        if damage:
            raise PoolDamaged(f"pool {pool_id} is damaged: {damage}. Nothing was changed; run "
                              f"'python -m image_pool fsck' and restore or move the pool's folder away.")
        if manifest.count + adding > self.max_slots:
            raise PoolFull(f"pool {pool_id} holds {manifest.count:,} slots; {adding:,} more would pass the limit of "
                           f"{self.max_slots:,}")

    def remove(self, pool_id: str, slot_id: str, *, lock: FileLock | None = None) -> Manifest:
        """Drop a slot from the pool. Its objects stay until gc finds nothing referencing them."""
        def drop(manifest: Manifest) -> None:
            position = manifest.position(slot_id)
            manifest.slots = manifest.slots[:position] + manifest.slots[position + 1:]
            if manifest.active == slot_id:
                neighbour = manifest.slots[min(position, len(manifest.slots) - 1)] if manifest.slots else None
                manifest.active = neighbour.id if neighbour else None
        return self.change(pool_id, drop, lock=lock)[0]

    def set_active(self, pool_id: str, slot_id: str, *, lock: FileLock | None = None) -> Manifest:
        def activate(manifest: Manifest) -> None:
            manifest.position(slot_id)
            manifest.active = slot_id
        return self.change(pool_id, activate, lock=lock)[0]

    def set_label(self, pool_id: str, slot_id: str, label: str, *, lock: FileLock | None = None) -> Manifest:
        label = clean_text(label, MAX_LABEL, "label")
        return self.change(pool_id, lambda manifest: manifest.replace_slot(slot_id, label=label), lock=lock)[0]

    def set_mask(self, pool_id: str, slot_id: str, mask, *, batch: AddBatch | None = None,
                 lock: FileLock | None = None) -> Manifest:
        """Store `mask` (2-D bool, uint8 0..255 or float 0..1; 1/255 = masked) for a slot; None or all zeros clears it."""
        key = None
        with self.adding(batch) as batch:
            if mask is not None:
                array = masks.as_mask_array(mask)
                slot = self.load(pool_id).slot(slot_id)  # early, friendly size check; repeated under the lock
                masks.check_size(array, slot.width, slot.height)
                if array.any():
                    key = batch.note(self.objects.put_bytes(masks.encode_png(array))).key

            def point_at_mask(manifest: Manifest) -> None:
                if mask is not None:
                    slot = manifest.slot(slot_id)
                    masks.check_size(array, slot.width, slot.height)
                manifest.replace_slot(slot_id, mask=key)
            return self.change(pool_id, point_at_mask, lock=lock)[0]

    def reorder(self, pool_id: str, order: Sequence[str], *, lock: FileLock | None = None) -> Manifest:
        if not isinstance(order, (list, tuple)) or not all(isinstance(x, str) for x in order):
            raise BadRequest("order must be a list of slot ids")

        def put_in_order(manifest: Manifest) -> None:
            current = manifest.positions()
            if len(order) != len(current) or set(order) != set(current):
                raise StaleReorder(f"order is not a permutation of the pool's {len(current)} slots "
                                   f"(revision {manifest.revision}); reload and try again")
            manifest.slots = tuple(manifest.slots[current[x]] for x in order)
        return self.change(pool_id, put_in_order, lock=lock)[0]

    def set_name(self, pool_id: str, name: str, *, lock: FileLock | None = None) -> Manifest:
        """Name a pool (a pool not yet holding anything is made, so that a new pool can be named first)."""
        name = clean_pool_name(name)

        def rename(manifest: Manifest) -> None:
            manifest.name = name
        return self.change(pool_id, rename, create=True, lock=lock)[0]

    def delete(self, pool_id: str, *, lock: FileLock | None = None, only_if_empty: bool = False) -> None:
        """Delete a pool: its folder (manifest and history) is moved out of pools/ under the pool's lock, in one
        rename, then removed. Objects only it referenced are reclaimed by a later gc, after the grace period. With
        `only_if_empty`, a pool that holds slots is kept."""
        pool_id = ids.pool_id(pool_id)
        with self._locked(pool_id, lock) as folder:
            if only_if_empty and self.load(pool_id).count:
                return
            trash = self.root / TRASH
            gone = trash / f"{pool_id}-{time.time_ns()}"
            try:
                trash.mkdir(exist_ok=True)
                os.rename(folder, gone)
            except OSError as e:
                raise storage_error(e) or e
        parsed.forget(self.manifest_path(pool_id))
        changes.announce(pool_id, 0)
        shutil.rmtree(gone, ignore_errors=True)  # what a crash leaves here, gc removes

    def detach(self, pool_id: str, *, batch: AddBatch | None = None, lock: FileLock | None = None) -> Manifest:
        """A new pool holding a copy of this one's slots; objects are shared, nothing is copied. The store lock is
        held shared (an AddBatch: the caller's, or one taken here) from the source's read (under its lock) to the
        copy's publication, so gc cannot take the objects in between, even if the source is deleted meanwhile."""
        pool_id = ids.pool_id(pool_id)
        with self.adding(batch):
            with self._locked(pool_id, lock) as folder:
                source = self._current(pool_id, folder, "Nothing was copied")

            def copy_of_source(manifest: Manifest) -> None:
                manifest.slots, manifest.active = source.slots, source.active
                manifest.name = f"{source.name} (copy)" if source.name else ""
            return self.change(ids.new_pool_id(), copy_of_source, new=True)[0]

    def write_imported(self, manifest: Manifest, *, lock: FileLock | None = None) -> Manifest:
        """Publish a pool brought from elsewhere as a new pool (used by import, inside an AddBatch): refused under
        the lock if a pool of that id is here, so nothing confirmed in it can be replaced."""
        def fill(new: Manifest) -> None:
            new.slots, new.active, new.name = manifest.slots, manifest.active, manifest.name
        return self.change(manifest.pool_id, fill, new=True, lock=lock)[0]
