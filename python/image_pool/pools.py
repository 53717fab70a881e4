"""Pools: manifests with generations, every read-modify-write under a lock that also holds across processes.

    pools/<pool_id>/manifest.json
    pools/<pool_id>/history/<revision>.json   the last `history_keep` generations
    pools/<pool_id>/.lock
"""

import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import filelock

from . import ids, masks
from .atomic import write_atomic
from .errors import BadRequest, PoolBusy, StaleReorder, UnknownSlot
from .formats import Limits
from .manifest import MAX_LABEL, Manifest, ManifestInvalid, Slot, clean_name, clean_text
from .store import ObjectStore, StoredObject

log = logging.getLogger("image_pool")

HISTORY_KEEP = 50
PARSED_CACHE_POOLS = 256


class Pools:
    def __init__(self, root, *, limits: Limits = Limits(), history_keep: int = HISTORY_KEEP,
                 lock_timeout: float = 60.0):
        self.root = Path(root)
        self.objects = ObjectStore(self.root, limits)
        self.pools_dir = self.root / "pools"
        self.history_keep = history_keep
        self.lock_timeout = lock_timeout
        self._parsed: dict[str, tuple[tuple[int, int, int], Manifest]] = {}

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
        pool_id = ids.pool_id(pool_id)
        folder = self.pool_dir(pool_id)
        path = folder / "manifest.json"
        try:
            stat = os.stat(path)
            identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            cached = self._parsed.get(pool_id)
            if cached and cached[0] == identity:
                return cached[1].copy()
            manifest = Manifest.loads(path.read_bytes(), pool_id)
            if len(self._parsed) >= PARSED_CACHE_POOLS:
                self._parsed.clear()
            self._parsed[pool_id] = (identity, manifest.copy())
            return manifest
        except FileNotFoundError:
            problem = "missing"
        except (ManifestInvalid, OSError) as e:
            problem = f"unreadable ({e})"
        for revision in reversed(self.generations(pool_id)):
            try:
                manifest = self.load_generation(pool_id, revision)
            except (ManifestInvalid, OSError):
                continue
            log.warning("pool %s: manifest %s, recovered generation %d from history", pool_id, problem, revision)
            return manifest
        if folder.is_dir() and problem != "missing":
            log.warning("pool %s: manifest %s and no valid generation in history; opening it empty (nothing deleted)",
                        pool_id, problem)
        return Manifest(pool_id)

    def forget_parsed(self) -> None:
        """Drop remembered manifests (benchmarks use it to time a first read)."""
        self._parsed.clear()

    def generations(self, pool_id: str) -> list[int]:
        history = self.pool_dir(pool_id) / "history"
        if not history.is_dir():
            return []
        return sorted(int(p.stem) for p in history.glob("*.json") if p.stem.isdigit())

    def load_generation(self, pool_id: str, revision: int) -> Manifest:
        path = self.pool_dir(pool_id) / "history" / f"{int(revision)}.json"
        return Manifest.loads(path.read_bytes(), ids.pool_id(pool_id))

    def pool_ids(self) -> list[str]:
        if not self.pools_dir.is_dir():
            return []
        return sorted(p.name for p in self.pools_dir.iterdir() if p.is_dir() and ids.is_pool_id(p.name))

    def manifests(self) -> list[Manifest]:
        return [self.load(pool_id) for pool_id in self.pool_ids()]

    # ----- writing -------------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self, pool_id: str) -> Iterator[Path]:
        folder = self.pool_dir(pool_id)
        folder.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(folder / ".lock"), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise PoolBusy(f"pool {pool_id} is locked by another process") from None
        try:
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
        with self._locked(pool_id) as folder:
            manifest = self.load(pool_id)
            yield manifest
            manifest.revision += 1
            self._publish(folder, manifest)

    def _publish(self, folder: Path, manifest: Manifest) -> None:
        data = manifest.dumps()
        write_atomic(folder / "history" / f"{manifest.revision}.json", data)
        write_atomic(folder / "manifest.json", data)
        for old in self.generations(manifest.pool_id)[:-self.history_keep]:
            (folder / "history" / f"{old}.json").unlink(missing_ok=True)

    def add(self, pool_id: str, sources: Sequence, *, labels: Sequence[str] | None = None,
            names: Sequence[str] | None = None) -> tuple[Manifest, list[str]]:
        """Add images (paths or bytes) as new slots at the end. Objects are written first, outside the lock:
        they are content-addressed, so a crash leaves at worst an unreferenced object for gc."""
        stored, default_names = [], []
        for source in sources:
            if isinstance(source, (bytes, bytearray, memoryview)):
                stored.append(self.objects.put_bytes(bytes(source)))
                default_names.append("")
            else:
                stored.append(self.objects.put_file(source))
                default_names.append(os.path.basename(str(source)))
        return self.add_objects(pool_id, stored, labels=labels, names=names or default_names)

    def add_objects(self, pool_id: str, stored: Sequence[StoredObject], *, labels: Sequence[str] | None = None,
                    names: Sequence[str] | None = None) -> tuple[Manifest, list[str]]:
        labels = [clean_text(x, MAX_LABEL, "label") for x in (labels or [""] * len(stored))]
        names = [clean_name(x) for x in (names or [""] * len(stored))]
        if not (len(labels) == len(names) == len(stored)):
            raise BadRequest("one label and one name per file")
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

    def set_mask(self, pool_id: str, slot_id: str, mask) -> Manifest:
        """Store `mask` (2-D bool, uint8 0..255 or float 0..1; 1/255 = masked) for a slot; None or all zeros clears it."""
        key = None
        if mask is not None:
            array = masks.as_mask_array(mask)
            slot = self.load(pool_id).slot(slot_id)  # early, friendly size check; repeated under the lock
            masks.check_size(array, slot.width, slot.height)
            if array.any():
                key = self.objects.put_bytes(masks.encode_png(array)).key
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

    def detach(self, pool_id: str) -> Manifest:
        """A new pool holding a copy of this one's slots; objects are shared, nothing is copied."""
        source = self.load(pool_id)
        new_id = ids.new_pool_id()
        with self._mutation(new_id, create=True) as manifest:
            manifest.slots = list(source.slots)
            manifest.active = source.active
        return manifest

    def write_imported(self, manifest: Manifest) -> Manifest:
        """Publish a manifest brought from elsewhere as the next generation of its pool (used by import)."""
        with self._mutation(manifest.pool_id, create=True) as current:
            current.slots = list(manifest.slots)
            current.active = manifest.active
        return current
