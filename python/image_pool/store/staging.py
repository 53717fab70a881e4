"""A folder of one import's own under objects/tmp/, on the store's file system (so a full disk is a 507, and the
staged objects enter the store by a rename), removed when the import ends, or by the next start or gc after a crash.

objects/tmp/import-<token>.lock   held (flock) by the import for its whole life
objects/tmp/import-<token>/       the received archive and the objects staged from it

Whoever can take a staging's lock knows its import is over: a crashed process holds no lock.
"""

import secrets
import shutil
from pathlib import Path

from image_pool.store.lock import FileLock

PREFIX = "import-"


class Staging:
    def __init__(self, tmp_dir: Path):
        token = secrets.token_hex(12)
        self.tmp_dir = Path(tmp_dir)
        self.folder = self.tmp_dir / f"{PREFIX}{token}"
        self._lock = FileLock(self.tmp_dir / f"{PREFIX}{token}.lock")

    def __enter__(self) -> "Staging":
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._lock.try_acquire()  # a new name: nobody else holds it
        self.folder.mkdir()
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self._lock.path.unlink(missing_ok=True)
        self._lock.release()


def remove_abandoned(tmp_dir: Path) -> list[Path]:
    """Remove the staging folders of imports that are over (their process died): those whose lock can be taken,
    and those with no lock file at all. Safe beside imports running in other processes."""
    tmp_dir = Path(tmp_dir)
    if not tmp_dir.is_dir():
        return []
    removed = []
    for entry in sorted(tmp_dir.glob(f"{PREFIX}*")):
        if entry.suffix == ".lock":
            lock = FileLock(entry)
            if lock.try_acquire():
                try:
                    folder = entry.with_suffix("")
                    shutil.rmtree(folder, ignore_errors=True)
                    entry.unlink(missing_ok=True)
                    removed.append(folder)
                finally:
                    lock.release()
        elif entry.is_dir() and not entry.with_suffix(".lock").exists():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
