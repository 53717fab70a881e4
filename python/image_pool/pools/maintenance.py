"""fsck and gc: the store's own checks and its only deletions."""

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from image_pool.errors import PoolError
from image_pool.pictures.formats import ImageInfo, inspect
from image_pool.pools.manifest import MAX_LABEL, MAX_NAME, MAX_POOL_NAME, Manifest, ManifestInvalid, is_clean_text
from image_pool.pools.pools import TRASH, Pools
from image_pool.store import ids
from image_pool.store.atomic import TEMP_PREFIX
from image_pool.store.lock import LOCKS
from image_pool.store.staging import remove_abandoned

DAY = 86400.0
HOUR = 3600.0
GC_WAIT = 60.0  # seconds gc waits for adds in flight before giving up


@dataclass
class FsckReport:
    objects: int = 0
    pools: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def slot_problems(manifest: Manifest, infos: dict[str, ImageInfo], max_slots: int,
                  damaged: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with a manifest's slots, judged as the API judges its input. `infos` holds the objects'
    decoded facts; a key missing from it is a damaged object if it is in `damaged`, else a missing one."""
    where = f"pool {manifest.pool_id}"
    problems = []
    if manifest.count > max_slots:
        problems.append(f"{where}: {manifest.count:,} slots, over the limit of {max_slots:,}")
    if not is_clean_text(manifest.name, MAX_POOL_NAME):
        problems.append(f"{where}: its name is over {MAX_POOL_NAME} characters or holds control characters")
    for slot in manifest.slots:
        at = f"{where}: slot {slot.id}"
        if not is_clean_text(slot.label, MAX_LABEL):
            problems.append(f"{at}: its label is over {MAX_LABEL:,} characters or holds control characters")
        if not is_clean_text(slot.name, MAX_NAME):
            problems.append(f"{at}: its name is over {MAX_NAME} characters or holds control characters")
        image = infos.get(slot.image)
        if image is None:
            problems.append(f"{at} references {_lost(slot.image, damaged)}")
        elif (image.width, image.height) != (slot.width, slot.height):
            problems.append(f"{at} says {slot.width}x{slot.height}, its image {slot.image} is "
                            f"{image.width}x{image.height}")
        if slot.mask:
            mask = infos.get(slot.mask)
            if mask is None:
                problems.append(f"{at} references {_lost(slot.mask, damaged)}")
            elif mask.ext != "png" or mask.mode != "L":
                problems.append(f"{at}: its mask {slot.mask} is not a single-channel PNG")
            elif (mask.width, mask.height) != (slot.width, slot.height):
                problems.append(f"{at}: its mask is {mask.width}x{mask.height}, the image {slot.width}x{slot.height}")
    return problems


def _lost(key: str, damaged: frozenset[str]) -> str:
    if key in damaged:
        return f"damaged object {key} (add the original file again to repair it)"
    return f"missing object {key}"


def fsck(pools: Pools, progress: bool | None = False) -> FsckReport:
    """Re-hash and decode every object; check every manifest parses and its slots are what the API would accept."""
    report = FsckReport()
    infos: dict[str, ImageInfo] = {}
    damaged: set[str] = set()
    for key in tqdm(list(pools.objects.keys()), desc="objects", unit="obj", disable=None if progress else True):
        report.objects += 1
        if not pools.objects.verify(key):
            report.problems.append(f"object {key} is damaged: its bytes do not hash to its name")
            damaged.add(key)
            continue
        try:
            info = inspect(pools.objects.path(key), pools.objects.limits, key)
        except PoolError as e:
            report.problems.append(f"object {key}: {e.message}")
            damaged.add(key)
            continue
        if not key.endswith("." + info.ext):
            report.problems.append(f"object {key}: holds a {info.ext} image")
            damaged.add(key)
            continue
        infos[key] = info
    for name in pools.stray_folders():
        report.problems.append(f"pools/{name} is not a pool folder (a pool's folder is named by its UUID); "
                               f"gc will not run while it is there")
    for pool_id in pools.pool_ids():
        report.pools += 1
        manifest_path = pools.pool_dir(pool_id) / "manifest.json"
        try:
            manifest = Manifest.loads(manifest_path.read_bytes(), pool_id)
        except FileNotFoundError:
            manifest, damage = pools.load_checked(pool_id)
        except (OSError, ManifestInvalid) as e:
            manifest, damage = pools.load_checked(pool_id)
            if damage:
                report.problems.append(f"pool {pool_id}: {damage}: it opens empty, writes to it are refused and gc "
                                       f"will not run until the folder is restored or moved away")
            else:
                report.problems.append(f"pool {pool_id}: manifest.json is unreadable ({e}); it opens from history "
                                       f"generation {manifest.revision}, and its next change rewrites it")
        report.problems += slot_problems(manifest, infos, pools.max_slots, frozenset(damaged))
    return report


@dataclass
class GcReport:
    deleted: list[str] = field(default_factory=list)
    kept_young: int = 0
    kept_referenced: int = 0
    temp_files: list[Path] = field(default_factory=list)
    derived: list[Path] = field(default_factory=list)  # orphan thumbnails and old MaskEditor copies
    deleted_pools: list[Path] = field(default_factory=list)  # left in trash/ by a delete that crashed
    stagings: list[Path] = field(default_factory=list)  # of imports whose process died
    locks: list[Path] = field(default_factory=list)  # of pools that are gone


def gc(pools: Pools, grace_days: float = 14.0, dry_run: bool = False, progress: bool | None = False,
       wait: float = GC_WAIT) -> GcReport:
    """Delete objects nothing references that are older than the grace period, stale temp files, orphan thumbnails
    and old MaskEditor copies.

    The whole run holds the store lock exclusive (store/lock.py): adds wait for it, and gc waits for the adds in
    flight, so no object written by an add whose manifest is not yet published is ever seen, let alone deleted."""
    report = GcReport()
    now = time.time()
    cutoff = now - grace_days * DAY
    with pools.store_lock.exclusive(wait):
        keep = pools.referenced_keys()
        for key in tqdm(list(pools.objects.keys()), desc="gc", unit="obj", disable=None if progress else True):
            if key in keep:
                report.kept_referenced += 1
            elif pools.objects.mtime(key) >= cutoff:
                report.kept_young += 1
            else:
                report.deleted.append(key)
                if not dry_run:
                    pools.objects.delete(key)
        # no add is in flight, so every staged upload is left from a crash; a manifest's temp file belongs to a
        # write under its pool's lock (not this one), which takes milliseconds: an hour-old one is a crash's
        report.temp_files = pools.objects.stale_temp_files(HOUR) + [
            p for p in pools.pools_dir.glob(f"*/**/{TEMP_PREFIX}*") if p.stat().st_mtime < now - HOUR]
        report.derived = _stale_derived(pools, set(report.deleted), now, min(cutoff, now - DAY))
        report.deleted_pools = sorted((pools.root / TRASH).glob("*")) if (pools.root / TRASH).is_dir() else []
        if not dry_run:
            report.stagings = remove_abandoned(pools.objects.tmp_dir)
            report.locks = _remove_locks_of_gone_pools(pools)
            for path in report.temp_files + report.derived:
                path.unlink(missing_ok=True)
            for folder in report.deleted_pools:  # a delete that crashed before removing what it had moved away
                shutil.rmtree(folder, ignore_errors=True)
    return report


def _remove_locks_of_gone_pools(pools: Pools) -> list[Path]:
    """The lock files of pools that no longer exist, each removed while held (FileLock.remove_if_unused, store/lock.py):
    a change that makes the pool holds its lock, so none is under way."""
    folder = pools.root / LOCKS
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.glob("*.lock")):
        pool_id = path.stem
        if ids.is_pool_id(pool_id) and not pools.exists(pool_id):
            if pools.lock(pool_id).remove_if_unused(lambda: not pools.exists(pool_id)):
                removed.append(path)
    return removed


def _stale_derived(pools: Pools, deleted: set[str], now: float, editor_cutoff: float) -> list[Path]:
    """Thumbnails of objects that are gone (or in a layout no longer used), thumbnail temp files left by a crash,
    and MaskEditor copies not used for a day or the grace period, whichever is longer (an editor may stay open)."""
    stale = []
    thumbs = pools.root / "cache" / "thumbs"
    if thumbs.is_dir():
        alive = {ids.key_digest(k) for k in pools.objects.keys()} - {ids.key_digest(k) for k in deleted}
        for path in thumbs.rglob("*"):
            if not path.is_file():
                continue
            if path.name.startswith(TEMP_PREFIX):
                if path.stat().st_mtime < now - HOUR:
                    stale.append(path)
            elif len(path.relative_to(thumbs).parts) != 4 or path.stem not in alive:  # <decoder>/<size>/<fan>/<h>
                stale.append(path)
    editor = pools.root / "cache" / "editor"
    if editor.is_dir():
        stale += [p for p in editor.rglob("*.png") if p.stat().st_mtime < editor_cutoff]
    return stale
