"""Export a pool with its objects as one tar archive, and import one, verifying everything first.

Layout: manifest.json first, then objects/<h[0:2]>/<key>. Import reads the archive as a stream and judges each
member by its header before reading it: only regular files, no sparse ones, each at most the upload cap, only
objects the manifest references, each once. Each object is copied to a staging folder outside the store and
verified (hash, image, size) before the next is read, so a bomb stops at its first member. Only when the whole
archive has passed does anything enter the store, so a bad archive changes nothing.
"""

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import blake3
from tqdm import tqdm

from . import ids
from .errors import ArchiveInvalid, BadRequest, DamagedObject, PoolError, PoolExists, UnknownPool
from .formats import ImageInfo, inspect
from .maintenance import slot_problems
from .manifest import MAX_LABEL, MAX_NAME, MAX_POOL_NAME, Manifest, ManifestInvalid, clean_name, clean_text
from .pools import Pools
from .store import CHUNK

MANIFEST = "manifest.json"
# The largest manifest the store accepts, worked out from its caps, so that every pool it holds exports and imports
# back: at most 4 bytes of UTF-8 per character of text (control characters, which JSON would escape longer, are
# never stored), and the fields of a slot beside its label and name.
SLOT_FIXED_BYTES = 512
MANIFEST_HEAD_BYTES = 1024


def max_manifest_bytes(max_slots: int) -> int:
    return MANIFEST_HEAD_BYTES + 4 * MAX_POOL_NAME + max_slots * (SLOT_FIXED_BYTES + 4 * (MAX_LABEL + MAX_NAME))


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


def export_pool(pools: Pools, pool_id: str, out: Path, progress: bool | None = False) -> int:
    """Write the pool's manifest and objects; every object is re-hashed as it is written, and a damaged one
    stops the export (the partial archive is removed), since the archive would be refused by import."""
    if not pools.exists(pool_id):
        raise UnknownPool(f"no pool {pool_id}")
    manifest, damage = pools.load_checked(pool_id)
    if damage:
        raise DamagedObject(f"pool {pool_id} is damaged: {damage}")
    keys = sorted(manifest.referenced_keys())
    tmp = out.with_name(out.name + ".part")
    try:
        with tarfile.open(tmp, "w") as tar:
            data = manifest.dumps()
            member = tarfile.TarInfo(MANIFEST)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
            for key in tqdm(keys, desc="export", unit="obj", disable=None if progress else True):
                _add_verified(tar, pools, key)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(keys)


class _Hashing(io.RawIOBase):
    def __init__(self, f):
        self.f, self.hasher = f, blake3.blake3()

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        self.hasher.update(memoryview(buffer)[:n])
        return n

    def readable(self) -> bool:
        return True


def _add_verified(tar: tarfile.TarFile, pools: Pools, key: str) -> None:
    try:
        f = open(pools.objects.path(key), "rb")
    except FileNotFoundError:
        raise DamagedObject(f"object {key} is missing from the store; run fsck") from None
    with f:
        member = tar.gettarinfo(fileobj=f, arcname=f"objects/{ids.key_folder(key)}/{key}")
        member.mode, member.uid, member.gid, member.uname, member.gname = 0o444, 0, 0, "", ""
        source = _Hashing(f)
        tar.addfile(member, io.BufferedReader(source, CHUNK))
        if source.hasher.hexdigest() != ids.key_digest(key):
            raise DamagedObject(f"object {key} is damaged (its bytes no longer hash to its name); run fsck")


@dataclass
class ImportResult:
    manifest: Manifest
    objects_added: int


def import_pool(pools: Pools, archive: Path, new_id: bool = False, progress: bool | None = False) -> ImportResult:
    try:
        tar = tarfile.open(archive, "r|*")
    except (tarfile.TarError, OSError) as e:
        raise ArchiveInvalid(f"not a readable tar archive: {e}") from None
    with tar, tempfile.TemporaryDirectory(prefix="image-pool-import-") as staging:
        try:
            manifest, staged = _read(pools, tar, Path(staging), progress)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ArchiveInvalid(f"archive is damaged: {e}") from None
        if new_id:
            manifest.pool_id = ids.new_pool_id()
        exists = PoolExists(f"pool {manifest.pool_id} already exists here; nothing was changed. Import it with "
                            f"--new-id (new_id over HTTP) to keep both")
        if not new_id and pools.exists(manifest.pool_id):  # early, before any object is stored; decided under the lock
            raise exists
        with pools.adding() as batch:
            added = sum(batch.note(pools.objects.put_file(path)).created
                        for path in tqdm(staged, desc="import", unit="obj", disable=None if progress else True))
            try:
                return ImportResult(pools.write_imported(manifest), added)
            except PoolExists:
                raise exists from None


def _read(pools: Pools, tar: tarfile.TarFile, staging: Path, progress: bool) -> tuple[Manifest, list[Path]]:
    limits = pools.objects.limits
    max_members = 1 + 2 * pools.max_slots
    manifest: Manifest | None = None
    infos: dict[str, ImageInfo] = {}
    staged: list[Path] = []
    with tqdm(desc="verify", unit="obj", disable=None if progress else True) as bar:
        for count, member in enumerate(tar, 1):
            if count > max_members:
                raise ArchiveInvalid(f"archive has more than {max_members:,} members")
            if not member.isreg() or member.issparse():
                raise ArchiveInvalid(f"archive member {member.name!r:.120} is not a plain file")
            if manifest is None:
                if member.name != MANIFEST:
                    raise ArchiveInvalid(f"the archive's first member must be {MANIFEST} (made by export), "
                                         f"not {member.name!r:.120}")
                cap = max_manifest_bytes(pools.max_slots)
                if member.size > cap:
                    raise ArchiveInvalid(f"{MANIFEST} is {member.size:,} bytes, over the {cap:,} that a pool of "
                                         f"{pools.max_slots:,} slots can take")
                manifest = _checked_manifest(tar.extractfile(member).read(), pools)
                wanted = manifest.referenced_keys()
                continue
            key = _object_key(member.name)
            if key not in wanted:
                raise ArchiveInvalid(f"archive member {member.name!r:.120} is not an object the manifest references "
                                     f"(or is there twice)")
            if member.size > limits.max_bytes:
                raise ArchiveInvalid(f"object {key} is {member.size:,} bytes, over the limit of {limits.max_bytes:,}")
            wanted.discard(key)
            path = staging / key
            infos[key] = _stage(tar.extractfile(member), path, key, pools)
            staged.append(path)
            bar.update()
    if manifest is None:
        raise ArchiveInvalid("archive has no manifest.json")
    if wanted:
        raise ArchiveInvalid(f"archive lacks {len(wanted)} object(s) the manifest references, e.g. {min(wanted)}")
    problems = slot_problems(manifest, infos, pools.max_slots)
    if problems:
        raise ArchiveInvalid(f"manifest.json does not match its objects: {problems[0]}"
                             + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return manifest, staged


def _checked_manifest(raw: bytes, pools: Pools) -> Manifest:
    """The archive's manifest, judged as the API judges its input: ids, slot count, labels and names as text."""
    try:
        pool_id = _named_pool(raw)
        manifest = Manifest.loads(raw, pool_id)
        if manifest.count > pools.max_slots:
            raise BadRequest(f"{manifest.count:,} slots, over the limit of {pools.max_slots:,}")
        manifest.slots = tuple(replace(s, label=clean_text(s.label, MAX_LABEL, f"slot {s.id}'s label"),
                                       name=clean_name(s.name)) for s in manifest.slots)
        manifest.name = clean_text(manifest.name, MAX_POOL_NAME, "the pool's name")
    except (ManifestInvalid, PoolError) as e:
        raise ArchiveInvalid(f"manifest.json is invalid: {getattr(e, 'message', e)}") from None
    return manifest


def _named_pool(raw: bytes) -> str:
    """The pool id the manifest names, whatever else is wrong with it (Manifest.loads says what)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError, MemoryError) as e:  # bad UTF-8, bad JSON, a number too long, nesting
        raise ManifestInvalid(f"not JSON: {type(e).__name__}: {str(e)[:200]}") from None
    if not isinstance(data, dict):
        raise ManifestInvalid("manifest is not an object")
    return ids.pool_id(data.get("pool_id"))


def _object_key(name: str) -> str:
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "objects" or not ids.is_object_key(parts[2]) or parts[1] != ids.key_folder(parts[2]):
        raise ArchiveInvalid(f"unexpected archive member {name!r:.120}")
    return parts[2]


def _stage(source, path: Path, key: str, pools: Pools) -> ImageInfo:
    """Copy one object out of the archive (outside the store) and check its hash and that it is the image it says."""
    hasher = blake3.blake3()
    with open(path, "wb") as out:
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    if hasher.hexdigest() != ids.key_digest(key):
        raise ArchiveInvalid(f"object {key} in the archive does not match its hash")
    try:
        info = inspect(path, pools.objects.limits, f"object {key}")
    except PoolError as e:
        raise ArchiveInvalid(f"object {key} is not an image we accept: {e.message}") from None
    if not key.endswith("." + info.ext):
        raise ArchiveInvalid(f"object {key} holds a {info.ext} image")
    return info
