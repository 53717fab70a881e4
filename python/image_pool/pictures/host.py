"""The host's own decoder, when the package runs inside one.

ComfyUI changed how LoadImage decodes in 2026 (PyAV first: 16-bit precision kept, EXIF mirror flips not applied), so
no frozen decoder can match every version. Inside ComfyUI the entry module installs that ComfyUI's LoadImage here;
the node's IMAGE, its thumbnails and the MaskEditor's copy then all come from it, in its orientation. Outside
ComfyUI nothing is installed and the built-in Pillow decoder (pictures/frames.py: LoadImage up to 0.3.x) is used.

A decoder takes an object's path and returns (image [1,H,W,3], alpha mask [1,H,W] or None), tensors as the host
makes them, or None when it cannot name that path (the built-in decoder is used then).
"""

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("image_pool")

Decoder = Callable[[Path], "tuple[Any, Any | None] | None"]

_decoder: Decoder | None = None
_name = "pillow"


def install(decoder: Decoder | None, name: str = "pillow") -> None:
    """`name` tells derived files (thumbnails, editor copies) made by different decoders apart."""
    global _decoder, _name
    _decoder, _name = decoder, name if decoder else "pillow"


@contextmanager
def suspended():
    """The built-in decoder for the duration, whatever host is installed (to compare the two)."""
    installed = _decoder, _name
    install(None)
    try:
        yield
    finally:
        install(*installed)


def decode(path: Path):
    """The host's decode of `path`, or None: no host, a path it cannot name, or a file it fails on. Every object was
    fully decoded by Pillow when it was added, so where the host's LoadImage itself fails (ComfyUI 0.33.0 with PyAV
    18.1 on some small animated GIFs), the built-in decoder serves instead of failing the run; a missing or damaged
    object is then reported by the built-in decoder."""
    if _decoder is None or not Path(path).is_file():
        return None
    try:
        return _decoder(Path(path))
    except Exception as e:  # whatever the host raises
        log.warning("ComfyUI's LoadImage cannot read %s (%s: %s); using the built-in decoder for it",
                    Path(path).name, type(e).__name__, e)
        return None


def name() -> str:
    return _name
