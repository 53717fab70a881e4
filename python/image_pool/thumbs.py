"""WebP thumbnails, made once per object and size into the derived cache (deletable at any time).

    cache/thumbs/<size>/<h[0:2]>/<h>.webp
"""

import io
from pathlib import Path

from PIL import Image

from . import ids
from .atomic import write_atomic
from .errors import BadRequest, UnknownObject
from .formats import open_image
from .frames import alpha_of, first_frame

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
    digest = ids.object_key(key).split(".", 1)[0]
    return Path(root) / "cache" / "thumbs" / str(size) / digest[:2] / f"{digest}.webp"


def render(source: Path, size: int) -> bytes:
    """The first frame, oriented as the node outputs it, fitted into size x size; alpha kept."""
    with open_image(source) as img:
        img.draft("RGB", (size, size))  # JPEG: decode at reduced scale, much faster for big photos
        frame = first_frame(img)
        alpha = alpha_of(frame)
        frame = frame.convert("RGB")
        if alpha is not None:
            frame.putalpha(alpha)
        frame.thumbnail((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        frame.save(out, format="WEBP", quality=82, method=4)
        return out.getvalue()


def ensure_thumb(root: Path, source: Path, key: str, size: int) -> Path:
    path = thumb_path(root, key, size)
    if not path.is_file():
        if not source.is_file():
            raise UnknownObject(f"no object {key}")
        write_atomic(path, render(source, size))
    return path
