"""The object store: every image and mask once, under the BLAKE3 hash of its exact bytes.

    objects/<h[0:2]>/<h>.<ext>     write-once, read-only
    objects/tmp/                   uploads being written (same file system, so publishing is a rename)
"""

import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import blake3

from image_pool.errors import NotAnImage, TooLarge, UnknownObject
from image_pool.pictures.formats import ImageInfo, Limits, inspect
from image_pool.store import ids
from image_pool.store.atomic import publish_once, replace_damaged
from image_pool.store.staging import PREFIX as STAGING_PREFIX

CHUNK = 1024 * 1024
log = logging.getLogger("image_pool")
READ_ONLY = 0o444


def hash_file(path) -> str:
    hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
    if os.path.getsize(path):
        hasher.update_mmap(path)
    return hasher.hexdigest()


@dataclass(frozen=True)
class StoredObject:
    key: str
    info: ImageInfo
    created: bool  # False when the same bytes were already stored


class Ingest:
    """One object being written: feed it bytes, then `commit()`; it hashes while writing.

    A file over the size cap is refused as soon as the cap is crossed, before the rest is read.
    """

    def __init__(self, store: "ObjectStore", name: str = "the file", folder: Path | None = None):
        self._store = store
        self.name = name  # what errors call the file: the user's name for it, never the temp path
        self._hasher = blake3.blake3()
        self.size = 0
        self.info: ImageInfo | None = None
        folder = store.tmp_dir if folder is None else folder  # an import stages in a folder of its own (store/staging.py)
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{secrets.token_hex(12)}.part"
        self._file: BinaryIO | None = open(self._path, "xb")

    @property
    def path(self) -> Path:
        """The staged file (valid until publish or abort)."""
        return self._path

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._store.limits.max_bytes:
            self.abort()
            raise TooLarge(f"{self.name} is over the limit of {self._store.limits.max_bytes:,} bytes")
        self._hasher.update(chunk)
        self._file.write(chunk)

    def digest(self) -> str:
        """The hex BLAKE3 of the bytes written so far."""
        return self._hasher.hexdigest()

    def prepare(self) -> ImageInfo:
        """Finish writing and check the file is an image we accept. Nothing is in the store yet."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            if self.size == 0:
                raise NotAnImage(f"{self.name} is empty")
            self.info = inspect(self._path, self._store.limits, self.name)
            return self.info
        except BaseException:
            self.abort()
            raise

    def publish(self) -> StoredObject:
        """Move the prepared file into the store under its hash, unless the same bytes are there already. An object
        of that name whose bytes are damaged is replaced by these, which are the right ones: adding the original
        file again is how a damaged object is repaired (git does the same)."""
        try:
            key = ids.new_object_key(self.digest(), self.info.ext)
            os.chmod(self._path, READ_ONLY)
            final = self._store.path(key)
            created = publish_once(self._path, final, keep_temp=True)
            if not created and not self._store.verify(key):
                replace_damaged(self._path, final)
                log.warning("object %s was damaged; the bytes just added replaced it", key)
                created = True
            elif not created:
                self._store.freshen(key)
            return StoredObject(key, self.info, created)
        finally:
            self.abort()

    def commit(self) -> StoredObject:
        self.prepare()
        return self.publish()

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.abort()


class ObjectStore:
    def __init__(self, root: Path, limits: Limits = Limits()):
        self.dir = Path(root) / "objects"
        self.tmp_dir = self.dir / "tmp"
        self.limits = limits

    def path(self, key: str) -> Path:
        key = ids.object_key(key)
        return self.dir / ids.key_folder(key) / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise UnknownObject(f"no object {key}") from None

    def ingest(self, name: str = "the file", folder: Path | None = None) -> Ingest:
        return Ingest(self, name, folder)

    def put_chunks(self, chunks: Iterable[bytes], name: str = "the file") -> StoredObject:
        with self.ingest(name) as ingest:
            for chunk in chunks:
                ingest.write(chunk)
            return ingest.commit()

    def put_bytes(self, data: bytes, name: str = "the image") -> StoredObject:
        return self.put_chunks([data], name)

    def put_file(self, path) -> StoredObject:
        with open(path, "rb") as f:
            return self.put_open_file(f, os.path.basename(path))

    def put_open_file(self, f: BinaryIO, name: str) -> StoredObject:
        """Store what an already-open file holds (checked through that file, whatever its path now names)."""
        size = os.fstat(f.fileno()).st_size
        if size > self.limits.max_bytes:
            raise TooLarge(f"{name} is {size:,} bytes, over the limit of {self.limits.max_bytes:,}")
        return self.put_chunks(iter(lambda: f.read(CHUNK), b""), name)

    def freshen(self, key: str) -> None:
        """Mark an existing object as just used, so a concurrent gc's grace period protects it (as git does)."""
        try:
            os.utime(self.path(key))
        except OSError:
            pass

    def verify(self, key: str) -> bool:
        """True when the object's bytes still hash to its name."""
        path = self.path(key)
        if not path.is_file():
            return False
        return hash_file(path) == ids.key_digest(key)

    def keys(self) -> Iterator[str]:
        if not self.dir.is_dir():
            return
        for fan in sorted(self.dir.iterdir()):
            if len(fan.name) != 2 or not fan.is_dir():
                continue
            for entry in sorted(fan.iterdir()):
                if ids.is_object_key(entry.name) and entry.name.startswith(fan.name):
                    yield entry.name

    def mtime(self, key: str) -> float:
        return self.path(key).stat().st_mtime

    def delete(self, key: str) -> None:
        """Only gc calls this, for objects nothing references."""
        self.path(key).unlink(missing_ok=True)

    def stale_temp_files(self, older_than: float) -> list[Path]:
        """Uploads left by a crash (an import's staging is judged by its lock: store/staging.py)."""
        if not self.tmp_dir.is_dir():
            return []
        cutoff = time.time() - older_than
        return [p for p in self.tmp_dir.iterdir()
                if not p.name.startswith(STAGING_PREFIX) and p.is_file() and p.stat().st_mtime < cutoff]
