"""Building hostile pool archives for the import tests."""

import io
import tarfile
from pathlib import Path


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
