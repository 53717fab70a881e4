"""Durable writes in the manner of git and restic: temp file in the target folder, fsync, rename, fsync the folder."""

import os
import secrets
from pathlib import Path

TEMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename itself.
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_beside(path: Path) -> Path:
    return path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{path.name}"


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a reader sees the old or the new file, never a part."""
    write_atomic_each([path], data)


def write_atomic_each(paths: list[Path], data: bytes, mtime_ns: int | None = None) -> None:
    """write_atomic(path, data) for each path, in order, with the syncs gathered: every temp file is written and
    fsynced, then each is renamed into place, then each folder is fsynced once. A journaling file system commits the
    renames of both folders with the first folder fsync, so the second costs next to nothing. If anything fails,
    the temp files are removed (renames already done stay: each file is whole, old or new). `mtime_ns` stamps each
    file before it is synced."""
    temps = []
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_path_beside(path)
            temps.append(tmp)
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                if mtime_ns is not None:
                    os.utime(f.fileno() if os.utime in os.supports_fd else tmp, ns=(mtime_ns, mtime_ns))
                os.fsync(f.fileno())
        for tmp, path in zip(temps, paths):
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    for folder in dict.fromkeys(path.parent for path in paths):
        fsync_dir(folder)


def publish_once(tmp: Path, final: Path, keep_temp: bool = False) -> bool:
    """Move a finished temp file to `final` unless an object already stands there (objects are never rewritten).

    Returns True when `final` was created by this call. The temp file is gone then; when nothing was created it is
    gone too, unless `keep_temp` (the caller may still need it).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    created = False
    try:
        try:
            os.link(tmp, final)  # fails atomically when `final` exists, unlike rename
        except FileExistsError:
            return False
        except OSError:
            # File systems without hard links: rename, after checking (a race here rewrites identical bytes).
            if final.exists():
                return False
            os.replace(tmp, final)
        fsync_dir(final.parent)
        created = True
        return True
    finally:
        if created or not keep_temp:
            tmp.unlink(missing_ok=True)


def replace_damaged(good: Path, final: Path) -> None:
    """Put the right bytes, `good`, over an object whose bytes are damaged: one rename, then the folder synced."""
    os.replace(good, final)
    fsync_dir(final.parent)
