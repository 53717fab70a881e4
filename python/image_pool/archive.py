"""Export a pool with its objects as one tar archive, and import one, verifying everything first.

Layout: manifest.json, objects/<h[0:2]>/<key>. Import first copies every member to a staging folder outside
the store and checks it (name, hash, image); only then does anything enter the store, so a bad
archive changes nothing.
"""

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import blake3
from tqdm import tqdm

from . import ids
from .errors import BadRequest, PoolError
from .formats import inspect
from .manifest import Manifest, ManifestInvalid
from .pools import Pools

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class ArchiveInvalid(BadRequest):
    code = "bad_archive"


def export_pool(pools: Pools, pool_id: str, out: Path, progress: bool = False) -> int:
    manifest = pools.load(pool_id)
    if not manifest.slots and not pools.exists(pool_id):
        raise BadRequest(f"no pool {pool_id}")
    keys = sorted(manifest.referenced_keys())
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w") as tar:
        data = manifest.dumps()
        member = tarfile.TarInfo(MANIFEST)
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
        for key in tqdm(keys, desc="export", unit="obj", disable=not progress):
            tar.add(pools.objects.path(key), arcname=f"objects/{key[:2]}/{key}", recursive=False)
    tmp.replace(out)
    return len(keys)


@dataclass
class ImportResult:
    manifest: Manifest
    objects_added: int


def _object_members(tar: tarfile.TarFile) -> Iterable[tuple[tarfile.TarInfo, str]]:
    for member in tar.getmembers():
        if member.name == MANIFEST:
            continue
        parts = member.name.split("/")
        if not member.isfile() or len(parts) != 3 or parts[0] != "objects" or not ids.is_object_key(parts[2]) \
                or parts[1] != parts[2][:2]:
            raise ArchiveInvalid(f"unexpected archive member {member.name!r}")
        yield member, parts[2]


def _stage(tar: tarfile.TarFile, member: tarfile.TarInfo, key: str, folder: Path, pools: Pools) -> Path:
    """Copy one object out of the archive (outside the store) and check its hash and that it is the image it says."""
    staged = folder / key
    hasher = blake3.blake3()
    source = tar.extractfile(member)
    with open(staged, "wb") as out:
        while chunk := source.read(1024 * 1024):
            hasher.update(chunk)
            out.write(chunk)
    if hasher.hexdigest() != key.split(".", 1)[0]:
        raise ArchiveInvalid(f"object {key} in the archive does not match its hash")
    try:
        info = inspect(staged, pools.objects.limits)
    except PoolError as e:
        raise ArchiveInvalid(f"object {key} is not an image we accept: {e.message}") from None
    if not key.endswith("." + info.ext):
        raise ArchiveInvalid(f"object {key} holds a {info.ext} image")
    return staged


def import_pool(pools: Pools, archive: Path, new_id: bool = False, progress: bool = False) -> ImportResult:
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as e:
        raise ArchiveInvalid(f"not a readable tar archive: {e}") from None
    with tar, tempfile.TemporaryDirectory(prefix="image-pool-import-") as staging:
        try:
            return _import(pools, tar, Path(staging), new_id, progress)
        except (tarfile.TarError, EOFError) as e:
            raise ArchiveInvalid(f"archive is damaged: {e}") from None


def _import(pools: Pools, tar: tarfile.TarFile, staging: Path, new_id: bool, progress: bool) -> ImportResult:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise ArchiveInvalid("archive has no manifest.json") from None
    if not member.isfile() or member.size > MAX_MANIFEST_BYTES:
        raise ArchiveInvalid("manifest.json is not a regular file of sensible size")
    raw = tar.extractfile(member).read()
    try:
        pool_id = ids.pool_id(json.loads(raw).get("pool_id"))
        manifest = Manifest.loads(raw, pool_id)
    except (ValueError, AttributeError, BadRequest, ManifestInvalid) as e:
        raise ArchiveInvalid(f"manifest.json is invalid: {getattr(e, 'message', e)}") from None
    if new_id:
        manifest.pool_id = ids.new_pool_id()
    elif pools.exists(manifest.pool_id):
        raise BadRequest(f"pool {manifest.pool_id} already exists here; import with --new-id to keep both")

    members = list(_object_members(tar))
    missing = manifest.referenced_keys() - {key for _, key in members}
    if missing:
        raise ArchiveInvalid(f"archive lacks {len(missing)} object(s) the manifest references, e.g. {min(missing)}")
    staged = [_stage(tar, member, key, staging, pools)
              for member, key in tqdm(members, desc="verify", unit="obj", disable=not progress)]

    added = sum(pools.objects.put_file(path).created
                for path in tqdm(staged, desc="import", unit="obj", disable=not progress))
    return ImportResult(pools.write_imported(manifest), added)
