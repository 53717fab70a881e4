"""fsck and gc: the store's own checks and its only deletions."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .atomic import TEMP_PREFIX
from .formats import inspect
from .errors import PoolError
from .manifest import Manifest, ManifestInvalid
from .pools import Pools

DAY = 86400.0


@dataclass
class FsckReport:
    objects: int = 0
    pools: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def fsck(pools: Pools, progress: bool = False) -> FsckReport:
    """Re-hash every object, and check that every manifest parses and references only objects that exist."""
    report = FsckReport()
    keys = list(pools.objects.keys())
    for key in tqdm(keys, desc="objects", unit="obj", disable=not progress):
        report.objects += 1
        if not pools.objects.verify(key):
            report.problems.append(f"object {key}: its bytes do not hash to its name")
            continue
        try:
            info = inspect(pools.objects.path(key), pools.objects.limits)
        except PoolError as e:
            report.problems.append(f"object {key}: {e.message}")
            continue
        if not key.endswith("." + info.ext):
            report.problems.append(f"object {key}: holds a {info.ext} image")
    present = set(keys)
    for pool_id in pools.pool_ids():
        report.pools += 1
        manifest_path = pools.pool_dir(pool_id) / "manifest.json"
        try:
            manifest = Manifest.loads(manifest_path.read_bytes(), pool_id)
        except (OSError, ManifestInvalid) as e:
            report.problems.append(f"pool {pool_id}: manifest unreadable ({e}); it opens from history")
            manifest = pools.load(pool_id)
        for slot in manifest.slots:
            for key in filter(None, (slot.image, slot.mask)):
                if key not in present:
                    report.problems.append(f"pool {pool_id}: slot {slot.id} references missing object {key}")
    return report


@dataclass
class GcReport:
    deleted: list[str] = field(default_factory=list)
    kept_young: int = 0
    kept_referenced: int = 0
    temp_files: list[Path] = field(default_factory=list)
    derived: list[Path] = field(default_factory=list)  # orphan thumbnails and old MaskEditor copies


def referenced_keys(pools: Pools) -> set[str]:
    """Every object named by a pool's manifest or by any generation it keeps."""
    keys: set[str] = set()
    for pool_id in pools.pool_ids():
        keys |= pools.load(pool_id).referenced_keys()
        for revision in pools.generations(pool_id):
            try:
                keys |= pools.load_generation(pool_id, revision).referenced_keys()
            except (OSError, ManifestInvalid):
                continue
    return keys


def gc(pools: Pools, grace_days: float = 14.0, dry_run: bool = False, progress: bool = False) -> GcReport:
    """Delete objects nothing references that are older than the grace period (which protects objects
    an add in another process has written but not yet published), stale temp files, orphan thumbnails and old MaskEditor copies."""
    report = GcReport()
    grace = grace_days * DAY
    cutoff = time.time() - grace
    keep = referenced_keys(pools)
    for key in tqdm(list(pools.objects.keys()), desc="gc", unit="obj", disable=not progress):
        if key in keep:
            report.kept_referenced += 1
        elif pools.objects.mtime(key) >= cutoff:
            report.kept_young += 1
        else:
            report.deleted.append(key)
            if not dry_run:
                pools.objects.delete(key)
    report.temp_files = pools.objects.stale_temp_files(grace) + [
        p for p in pools.pools_dir.glob(f"*/**/{TEMP_PREFIX}*") if p.stat().st_mtime < cutoff]
    thumbs = pools.root / "cache" / "thumbs"
    if thumbs.is_dir():
        stem = lambda key: key.split(".", 1)[0]  # noqa: E731
        alive = {stem(k) for k in pools.objects.keys()} - {stem(k) for k in report.deleted}
        report.derived = [p for p in thumbs.glob("*/*/*") if p.is_file() and p.stem not in alive]
    editor = pools.root / "cache" / "editor"  # MaskEditor copies: derived, remade on demand
    if editor.is_dir():
        report.derived += [p for p in editor.glob("*/*.png") if p.stat().st_mtime < cutoff]
    if not dry_run:
        for path in report.temp_files + report.derived:
            path.unlink(missing_ok=True)
    return report
