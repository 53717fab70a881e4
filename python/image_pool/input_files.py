"""Files named from ComfyUI's input folder: they must resolve inside it, symlinks included."""

import os
from pathlib import Path

from .errors import BadRequest, NoInputFolder, UnknownInputFile


def resolve_input_file(input_dir: Path | None, name, subfolder="") -> Path:
    """The real path of input/<subfolder>/<name>, or an error if it is outside input/ or not a file."""
    if input_dir is None:
        raise NoInputFolder("this server has no input folder (start it with --input-dir)")
    if not isinstance(name, str) or not name or not isinstance(subfolder, str):
        raise BadRequest("input_file must be a non-empty string (and subfolder a string)")
    for part in (name, subfolder):
        if "\x00" in part or os.path.isabs(part) or part.startswith(("/", "\\")) or ":" in part:
            raise BadRequest("input_file and subfolder must be relative to the input folder")
        if ".." in part.replace("\\", "/").split("/"):
            raise BadRequest("input_file and subfolder may not contain '..'")
    base = os.path.realpath(input_dir)
    candidate = os.path.realpath(os.path.join(base, subfolder, name))
    if os.path.commonpath([base, candidate]) != base:
        raise BadRequest("input_file resolves outside the input folder")
    if not os.path.isfile(candidate):
        raise UnknownInputFile(f"no file {os.path.join(subfolder, name)!r} in the input folder")
    return Path(candidate)
