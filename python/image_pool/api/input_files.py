"""Files named from ComfyUI's folders (input, output, temp), as /view names them: opened once, component by
component, never through a symlink, so nothing outside the folder is ever read.

Everything after the open happens through the open file, so swapping the name for a link between a check and
a use changes nothing: there is no check by name at all.
"""

import errno
import os
import stat
from typing import BinaryIO

from image_pool.errors import BadRequest, NoInputFolder, UnknownInputFile

_BY_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


def _parts(name, subfolder, kind: str) -> list[str]:
    if not isinstance(name, str) or not name or not isinstance(subfolder, str):
        raise BadRequest("input_file must be a non-empty string (and subfolder a string)")
    for part in (name, subfolder):
        if "\x00" in part or os.path.isabs(part) or part.startswith(("/", "\\")) or ":" in part:
            raise BadRequest(f"input_file and subfolder must be relative to the {kind} folder")
    parts = [p for p in f"{subfolder}/{name}".replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BadRequest("input_file and subfolder may not contain '..'")
    if not parts:
        raise BadRequest("input_file must name a file")
    return parts


def open_input_file(input_dir, name, subfolder="", kind: str = "input") -> tuple[BinaryIO, str]:
    """<folder>/<subfolder>/<name> opened for reading, and the relative name to show the user. `kind` names the
    folder in messages (input, output, temp)."""
    if input_dir is None:
        if kind != "input":
            raise NoInputFolder(f"this server has no {kind} folder (only ComfyUI has one)")
        raise NoInputFolder("this server has no input folder (start it with --input-dir)")
    parts = _parts(name, subfolder, kind)
    shown = "/".join(parts)
    try:
        fd = _open_by_dir_fd(input_dir, parts) if _BY_DIR_FD else _open_checked(input_dir, parts)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EMLINK):
            raise BadRequest(f"{shown!r} is a symbolic link (or passes through one); only files really inside the "
                             f"{kind} folder can be named") from None
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            raise UnknownInputFile(f"no file {shown!r} in the {kind} folder") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnknownInputFile(f"{shown!r} in the {kind} folder is not a file")
    return os.fdopen(fd, "rb"), shown


def _open_by_dir_fd(input_dir, parts: list[str]) -> int:
    nofollow = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    folder = os.open(input_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            try:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=folder)
            except NotADirectoryError:  # Linux says so for a link opened with O_DIRECTORY | O_NOFOLLOW
                if stat.S_ISLNK(os.stat(part, dir_fd=folder, follow_symlinks=False).st_mode):
                    raise OSError(errno.ELOOP, "symbolic link") from None
                raise
            os.close(folder)
            folder = inner
        # O_NONBLOCK: opening a FIFO must not hang the request; it is refused as "not a file" after fstat
        fd = os.open(parts[-1], os.O_RDONLY | nofollow | os.O_NONBLOCK, dir_fd=folder)
    finally:
        os.close(folder)
    os.set_blocking(fd, True)
    return fd


def _open_checked(input_dir, parts: list[str]) -> int:
    """Where there is no openat (Windows): refuse links by name, open, then prove the open file is the one checked."""
    base = os.path.realpath(input_dir)
    path = os.path.join(base, *parts)
    if os.path.realpath(path) != os.path.normpath(path):
        raise OSError(errno.ELOOP, "symbolic link")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    opened, named = os.fstat(fd), os.lstat(path)
    if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
        os.close(fd)
        raise OSError(errno.ELOOP, "the file changed while it was opened")
    return fd
