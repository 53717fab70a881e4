"""WebP thumbnails, made once per object and size into the derived cache (deletable at any time).

    cache/thumbs/<size>/<h[0:2]>/<h>.webp
"""

import io
from pathlib import Path

from PIL import Image

from image_pool.errors import BadRequest, UnknownObject
from image_pool.pictures import host
from image_pool.pictures.decoding import LARGE_PIXELS, return_freed_memory
from image_pool.pictures.frames import picture
from image_pool.store import ids
from image_pool.store.atomic import write_atomic

SIZES = (128, 256, 512)
DEFAULT_SIZE = 256


def thumb_size(value) -> int:
    if value in (None, ""):
        return DEFAULT_SIZE
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = -1
    if size not in SIZES:
        raise BadRequest(f"thumbnail size must be one of {', '.join(map(str, SIZES))}")
    return size


def thumb_path(root: Path, key: str, size: int) -> Path:
    """Named by the decoder that made it too: the standalone server and ComfyUI may orient a picture differently."""
    digest = ids.key_digest(ids.object_key(key))
    return Path(root) / "cache" / "thumbs" / host.name() / str(size) / ids.key_folder(digest) / f"{digest}.webp"




def render(source: Path, size: int) -> bytes:
    """The node's picture (frames.picture), fitted into size x size; alpha kept."""
    frame = picture(source, draft_size=size)
    large = frame.width * frame.height > LARGE_PIXELS
    frame.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, format="WEBP", quality=82, method=4)
    del frame
    if large:
        return_freed_memory()
    return out.getvalue()


def ensure_thumb(root: Path, source: Path, key: str, size: int) -> Path:
    path = thumb_path(root, key, size)
    if not path.is_file():
        if not source.is_file():
            raise UnknownObject(f"no object {key}")
        write_atomic(path, render(source, size))
    return path
