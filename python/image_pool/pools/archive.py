"""Export a pool with its objects as one tar archive, and import one, verifying everything first.

Layout: manifest.json first, then objects/<h[0:2]>/<key>, as plain ustar members (pools/tar_stream.py). Export streams the
archive from the objects (no copy of it is ever written), re-hashing each as it goes, while it holds the store's gc
lock shared: what it reads cannot be collected under it, even if the pool is deleted meanwhile.

Import reads an archive as a stranger's: every header is judged before its member is read (pools/tar_stream.py), the
manifest is bounded in bytes and in the values it may make before it is parsed once, and each object is staged
inside the store (objects/tmp/import-*/, so a full disk is a 507 as for adds) and verified (hash, image, size) before
the next is read. Only when the whole archive has passed does anything enter the store: a bad one changes nothing.
A staging folder left by a crash is removed by the next start or gc (store/staging.py).
"""

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import blake3
from tqdm import tqdm

from image_pool.errors import ArchiveInvalid, BadRequest, DamagedObject, PoolDamaged, PoolError, PoolExists
from image_pool.pictures.formats import ImageInfo
from image_pool.pools.maintenance import slot_problems
from image_pool.pools.manifest import (MAX_LABEL, MAX_NAME, MAX_POOL_NAME, Manifest, ManifestInvalid, clean_name,
                                       clean_pool_name, clean_text)
from image_pool.pools.pools import AddBatch, Pools, unknown_pool
from image_pool.pools.tar_stream import END, TarReader, decoded, header, padding
from image_pool.store import ids
from image_pool.store.lock import FileLock
from image_pool.store.objects import CHUNK, Ingest
from image_pool.store.staging import Staging

MANIFEST = "manifest.json"
# The largest manifest the store accepts, worked out from its caps, so that every pool it holds exports and imports
# back: at most 4 bytes of UTF-8 per character of text (control characters, which JSON would escape longer, are
# never stored), and the fields of a slot beside its label and name.
SLOT_FIXED_BYTES = 512
MANIFEST_HEAD_BYTES = 1024
# What parsing may make: a slot is a dozen JSON values; parsed, each costs tens of bytes whatever its JSON size
# (`[[],[],...]` is 3 bytes a list, 56 parsed), so the values, not the bytes, bound the memory of a parse.
VALUES_PER_SLOT = 16
STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)  # ends at its quote or the end: linear


def max_manifest_bytes(max_slots: int) -> int:
    return MANIFEST_HEAD_BYTES + 4 * MAX_POOL_NAME + max_slots * (SLOT_FIXED_BYTES + 4 * (MAX_LABEL + MAX_NAME))


def max_manifest_values(max_slots: int) -> int:
    return 64 + VALUES_PER_SLOT * max_slots


def max_archive_bytes(pools: Pools) -> int:
    """The largest archive import reads: its manifest, and every object a pool at the caps can reference, each with a
    tar header and padding."""
    objects = 2 * pools.max_slots
    return max_manifest_bytes(pools.max_slots) + objects * (pools.objects.limits.max_bytes + 1024) + 10240


def archive_file_name(manifest: Manifest) -> tuple[str, str]:
    """What an exported archive is called as a download: the pool's name (else its id), as plain ASCII and as
    UTF-8 for the header's filename*."""
    from urllib.parse import quote
    stem = "".join(c if c.isalnum() or c in " -_.()" else "_" for c in manifest.name).strip(" .") or manifest.pool_id
    ascii_stem = stem.encode("ascii", "replace").decode().replace("?", "_")
    return f"{ascii_stem}.imagepool.tar", quote(f"{stem}.imagepool.tar")


# ----- export ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A pool's archive, ready to stream: the manifest read under the gc lock, and each object's size."""
    manifest: Manifest
    data: bytes
    objects: tuple[tuple[str, int], ...]  # (key, size) in archive order

    @property
    def size(self) -> int:
        members = [len(self.data), *(size for _, size in self.objects)]
        return sum(512 + size + len(padding(size)) for size in members) + len(END)


def prepare_export(pools: Pools, pool_id: str) -> Export:
    """What export will send, read while the caller holds the gc lock shared: an unknown pool is a 404, a pool
    with no valid generation a 409, a missing object a damaged store."""
    if not pools.exists(pool_id):
        raise unknown_pool(pool_id)
    manifest, damage = pools.load_checked(pool_id)
    if damage:
        raise PoolDamaged(f"pool {pool_id} is damaged: {damage}; nothing was exported")
    objects = []
    for key in sorted(manifest.referenced_keys()):
        try:
            objects.append((key, os.stat(pools.objects.path(key)).st_size))
        except FileNotFoundError:
            raise DamagedObject(f"object {key} is missing from the store; run fsck") from None
    return Export(manifest, manifest.dumps(), tuple(objects))


def export_chunks(pools: Pools, export: Export, progress: Callable = lambda keys: keys) -> Iterator[bytes]:
    """The archive's bytes, in pieces of at most CHUNK; each object is re-hashed as it is read, and a damaged one
    (changed since prepare_export) raises DamagedObject before its last piece is given."""
    yield header(MANIFEST, len(export.data)) + export.data + padding(len(export.data))
    for key, size in progress(export.objects):
        yield header(f"objects/{ids.key_folder(key)}/{key}", size)
        hasher, left = blake3.blake3(), size
        with open(pools.objects.path(key), "rb") as f:
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise DamagedObject(f"object {key} is shorter than it was; run fsck")
                hasher.update(chunk)
                left -= len(chunk)
                if not left and hasher.hexdigest() != ids.key_digest(key):
                    raise DamagedObject(f"object {key} is damaged (its bytes no longer hash to its name); run fsck")
                yield chunk
        yield padding(size)
    yield END


def export_pool(pools: Pools, pool_id: str, out: str | os.PathLike, progress: bool | None = False) -> int:
    """Write the pool's archive to `out` (the CLI); a damaged object stops it and leaves no file."""
    pool_id, out = ids.pool_id(pool_id), Path(out)
    tmp = out.with_name(out.name + ".part")
    with pools.store_lock.shared(pools.lock_timeout):
        export = prepare_export(pools, pool_id)
        bar = lambda objects: tqdm(objects, desc="export", unit="obj", disable=None if progress else True)
        try:
            with open(tmp, "wb") as f:
                for chunk in export_chunks(pools, export, bar):
                    f.write(chunk)
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return len(export.objects)


# ----- import ---------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    manifest: Manifest
    objects_added: int


@dataclass
class Verified:
    """An archive that passed every check: its manifest and its objects, staged, not yet in the store."""
    manifest: Manifest
    staged: list[Ingest]


def import_pool(pools: Pools, archive: str | os.PathLike, new_id: bool = False,
                progress: bool | None = False) -> ImportResult:
    """The CLI's import: verify the whole archive, then publish it (see publish_import); with `new_id`, as a new
    pool beside the one it came from."""
    archive = Path(archive)
    with Staging(pools.objects.tmp_dir) as staging:
        verified = verify_archive(pools, archive, staging.folder, progress)
        if new_id:
            verified.manifest.pool_id = ids.new_pool_id()
        else:
            refuse_existing(pools, verified)
        with pools.adding() as batch:
            return publish_import(pools, verified, batch, progress=progress)


def refuse_existing(pools: Pools, verified: Verified) -> None:
    """Early, before any object is stored; decided again under the pool's lock."""
    if pools.exists(verified.manifest.pool_id):
        raise _exists(verified.manifest.pool_id)


def _exists(pool_id: str) -> PoolExists:
    return PoolExists(f"pool {pool_id} already exists here; nothing was changed. Import it with --new-id (new_id "
                      f"over HTTP) to keep both")


def publish_import(pools: Pools, verified: Verified, batch: AddBatch, lock: FileLock | None = None,
                   progress: bool | None = False) -> ImportResult:
    """Move the staged objects into the store and publish the pool, inside `batch` (the gc lock held shared)."""
    added = sum(batch.note(ingest.publish()).created
                for ingest in tqdm(verified.staged, desc="import", unit="obj", disable=None if progress else True))
    try:
        return ImportResult(pools.write_imported(verified.manifest, lock=lock), added)
    except PoolExists:
        raise _exists(verified.manifest.pool_id) from None


def verify_archive(pools: Pools, archive: Path, staging: Path, progress: bool | None = False) -> Verified:
    """Read and check the whole archive, staging its objects in `staging` (inside the store)."""
    staged: list[Ingest] = []
    try:
        with open(archive, "rb") as f:
            reader = TarReader(decoded(f, os.fstat(f.fileno()).st_size))
            return _read(pools, reader, staging, staged, progress)
    except BaseException:
        for ingest in staged:
            ingest.abort()
        raise


def _read(pools: Pools, reader: TarReader, staging: Path, staged: list[Ingest], progress) -> Verified:
    limits = pools.objects.limits
    max_members = 1 + 2 * pools.max_slots
    first = reader.next()
    if first is None:
        raise ArchiveInvalid("archive has no manifest.json")
    if first.name != MANIFEST:
        raise ArchiveInvalid(f"the archive's first member must be {MANIFEST} (made by export), not {first.name!r:.120}")
    cap = max_manifest_bytes(pools.max_slots)
    if first.size > cap:
        raise ArchiveInvalid(f"{MANIFEST} is {first.size:,} bytes, over the {cap:,} that a pool of "
                             f"{pools.max_slots:,} slots can take")
    manifest = _checked_manifest(reader.read(first), pools)
    wanted = manifest.referenced_keys()
    infos: dict[str, ImageInfo] = {}
    with tqdm(desc="verify", unit="obj", disable=None if progress else True) as bar:
        for count, member in enumerate(iter(reader.next, None), 2):
            if count > max_members:
                raise ArchiveInvalid(f"archive has more than {max_members:,} members")
            key = _object_key(member.name)
            if key not in wanted:
                raise ArchiveInvalid(f"archive member {member.name!r:.120} is not an object the manifest references "
                                     f"(or is there twice)")
            if member.size > limits.max_bytes:
                raise ArchiveInvalid(f"object {key} is {member.size:,} bytes, over the limit of {limits.max_bytes:,}")
            wanted.discard(key)
            ingest = pools.objects.ingest(f"object {key}", folder=staging)
            staged.append(ingest)
            infos[key] = _stage(reader.chunks(member), ingest, key)
            bar.update()
    if wanted:
        raise ArchiveInvalid(f"archive lacks {len(wanted)} object(s) the manifest references, e.g. {min(wanted)}")
    problems = slot_problems(manifest, infos, pools.max_slots)
    if problems:
        raise ArchiveInvalid(f"manifest.json does not match its objects: {problems[0]}"
                             + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return Verified(manifest, staged)


def _stage(chunks: Iterator[bytes], ingest: Ingest, key: str) -> ImageInfo:
    """Copy one object out of the archive into the store's staging and check its hash and that it is the image it
    says it is."""
    for chunk in chunks:
        ingest.write(chunk)
    if ingest.digest() != ids.key_digest(key):
        raise ArchiveInvalid(f"object {key} in the archive does not match its hash")
    try:
        info = ingest.prepare()
    except PoolError as e:
        raise ArchiveInvalid(f"object {key} is not an image we accept: {e.message}") from None
    if not key.endswith("." + info.ext):
        raise ArchiveInvalid(f"object {key} holds a {info.ext} image")
    return info


def bounded_values(raw: bytes, limit: int) -> bool:
    """Whether parsing `raw` makes at most about `limit` JSON values, counted on its structure alone: the commas,
    brackets and braces outside strings. The count over all the bytes is an upper bound that costs next to nothing;
    only when it is over (text full of commas, or an attack) are those inside strings subtracted, string by string,
    with no copy, giving up at more strings than `limit` values can have."""
    def count(start: int = 0, end: int = len(raw)) -> int:
        return raw.count(b",", start, end) + raw.count(b"[", start, end) + raw.count(b"{", start, end)
    structure = count()
    if structure <= limit:
        return True
    for n, string in enumerate(STRING.finditer(raw)):
        if n > 2 * limit:  # a key and a value per value at the most
            return False
        structure -= count(*string.span())
    return structure <= limit


def _checked_manifest(raw: bytes, pools: Pools) -> Manifest:
    """The archive's manifest, parsed once after its size in values is bounded, and judged as the API judges its
    input: ids, slot count, labels and names as text."""
    if not bounded_values(raw, max_manifest_values(pools.max_slots)):
        raise ArchiveInvalid(f"{MANIFEST} holds more JSON values than a pool of {pools.max_slots:,} slots has")
    try:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError, MemoryError) as e:  # bad UTF-8, bad JSON, a number too long, nesting
            raise ManifestInvalid(f"not JSON: {type(e).__name__}: {str(e)[:200]}") from None
        del raw
        if not isinstance(data, dict):
            raise ManifestInvalid("manifest is not an object")
        manifest = Manifest.from_json(data, ids.pool_id(data.get("pool_id")))
        if manifest.count > pools.max_slots:
            raise BadRequest(f"{manifest.count:,} slots, over the limit of {pools.max_slots:,}")
        manifest.slots = tuple(replace(s, label=clean_text(s.label, MAX_LABEL, f"slot {s.id}'s label"),
                                       name=clean_name(s.name)) for s in manifest.slots)
        manifest.name = clean_pool_name(manifest.name)
    except (ManifestInvalid, PoolError, TypeError, ValueError, OverflowError, KeyError, AttributeError) as e:
        raise ArchiveInvalid(f"manifest.json is invalid: {getattr(e, 'message', e)}") from None
    return manifest


def _object_key(name: str) -> str:
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "objects" or not ids.is_object_key(parts[2]) or parts[1] != ids.key_folder(parts[2]):
        raise ArchiveInvalid(f"unexpected archive member {name!r:.120}")
    return parts[2]
