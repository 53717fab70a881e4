"""The files the decoder is compared on, one of every kind the node must read as the host's LoadImage does.

They are committed (tests/data/decoder-corpus/), so figures recorded from a real ComfyUI always refer to the same
bytes; `python -m tests.decoder_corpus` writes them again (only needed to add a kind). Odd sizes on purpose: PyAV
pads widths that are not a multiple of 32."""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from . import imagegen

FOLDER = Path(__file__).resolve().parent / "data" / "decoder-corpus"


def gradient_rgb(height=23, width=37) -> Image.Image:
    """Distinct corners, so every EXIF orientation gives a different picture."""
    y, x = np.mgrid[0:height, 0:width]
    return Image.fromarray(np.stack([x * 255 // width, y * 255 // height, (x + y) * 3 % 256], -1).astype(np.uint8))


def exif_jpeg(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return imagegen.encode(gradient_rgb(), "JPEG", quality=95, exif=exif.tobytes())


def sixteen_bit_tiff(height=21, width=33) -> bytes:
    values = (np.arange(height * width, dtype=np.uint32).reshape(height, width) * 131 % 65536).astype(np.uint16)
    return imagegen.encode(Image.fromarray(values), "TIFF")  # uint16 gives mode I;16


def files() -> dict[str, bytes]:
    made = {
        "rgb.png": imagegen.encode(gradient_rgb(), "PNG"),
        "rgba.png": imagegen.png(height=23, width=37, mode="RGBA", seed=1),
        "l.png": imagegen.png(height=23, width=37, mode="L", seed=2),
        "la.png": imagegen.png(height=23, width=37, mode="LA", seed=3),
        "16bit.png": imagegen.png16(height=21, width=33),
        "16bit.tif": sixteen_bit_tiff(),
        "mode-i.tif": imagegen.mode_i(height=21, width=33),
        "palette-transparency.png": imagegen.palette_with_transparency(height=17, width=19),
        "cmyk.jpg": imagegen.cmyk_jpeg(height=17, width=25),
        "animated.gif": imagegen.animated_gif(height=13, width=11),
        "animated.webp": imagegen.animated_webp(height=13, width=11),
        "rgb.bmp": imagegen.encode(gradient_rgb(), "BMP"),
        "lossless.webp": imagegen.encode(gradient_rgb(), "WEBP", lossless=True),
        "lossy.webp": imagegen.encode(gradient_rgb(), "WEBP", quality=80),
    }
    made.update({f"exif-{o}.jpg": exif_jpeg(o) for o in range(1, 9)})
    return made


def paths() -> list[Path]:
    return sorted(FOLDER.iterdir())


if __name__ == "__main__":
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, data in files().items():
        (FOLDER / name).write_bytes(data)
    print(f"wrote {len(files())} files to {FOLDER}", file=sys.stderr)
