"""Building hostile pool archives for the import tests."""

import io
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image


def rewrite_archive(archive: Path, out: Path, change):
    """Copy a tar, letting `change(name, data)` return new bytes, None to drop the member, or extra members."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            result = change(member.name, data)
            for name, content in (result if isinstance(result, list) else [(member.name, result)]):
                if content is None:
                    continue
                info = tarfile.TarInfo(name)
                info.size = len(content)
                dst.addfile(info, io.BytesIO(content))


def black_bmp(side: int, seed: int = 0) -> bytes:
    """A black BMP of side x side (3 bytes a pixel, so it compresses a thousandfold), one pixel set by `seed` so that
    each has a hash of its own."""
    pixels = np.zeros((side, side, 3), np.uint8)
    pixels.flat[seed] = 1
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "BMP")
    return out.getvalue()
