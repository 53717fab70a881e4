"""Generated test images: every mode and format the node must read like core LoadImage."""

import io
import zlib

import numpy as np
from PIL import Image


def noise(height: int, width: int, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def png(height=24, width=32, mode="RGB", seed=0) -> bytes:
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    return encode(Image.fromarray(noise(height, width, channels, seed), mode=mode), "PNG")


def jpeg(height=24, width=32, seed=0, orientation: int | None = None) -> bytes:
    img = Image.fromarray(noise(height, width, 3, seed), mode="RGB")
    if orientation is None:
        return encode(img, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(img, "JPEG", quality=90, exif=exif.tobytes())


def png16(height=20, width=30) -> bytes:
    values = (np.arange(height * width, dtype=np.uint32).reshape(height, width) * 97 % 65536).astype(np.uint16)
    return encode(Image.fromarray(values), "PNG")


def mode_i(height=20, width=30) -> bytes:
    """A 32-bit integer image (mode I) as TIFF, which LoadImage scales by 1/255."""
    values = (np.arange(height * width, dtype=np.int32).reshape(height, width) * 311) % 65536
    return encode(Image.fromarray(values.astype(np.int32), mode="I"), "TIFF")


def palette_with_transparency(height=16, width=16) -> bytes:
    img = Image.new("P", (width, height))
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 12))
    img.putdata([(x + y) % 4 for y in range(height) for x in range(width)])
    return encode(img, "PNG", transparency=2)


def cmyk_jpeg(height=16, width=24) -> bytes:
    return encode(Image.fromarray(noise(height, width, 4, 3), mode="CMYK"), "JPEG", quality=95)


def animated_gif(frames=3, height=12, width=10) -> bytes:
    images = [Image.new("RGB", (width, height), (60 * i, 100, 200 - 50 * i)) for i in range(frames)]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)


def animated_webp(frames=3, height=12, width=10) -> bytes:
    images = [Image.new("RGBA", (width, height), (60 * i, 100, 200 - 50 * i, 255 - 80 * i)) for i in range(frames)]
    return encode(images[0], "WEBP", save_all=True, append_images=images[1:], lossless=True, duration=50)


def bomb_png(side=100_000) -> bytes:
    """A tiny PNG whose header (with a valid CRC) declares side x side pixels: a decompression bomb."""
    data = encode(Image.new("1", (1, 1)), "PNG")
    ihdr = b"IHDR" + side.to_bytes(4, "big") * 2 + data[24:29]
    return data[:12] + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + data[33:]
