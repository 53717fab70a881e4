"""The picture as the node sees it, with Pillow alone (no torch): the first frame, EXIF-oriented, mode I brought
into 0..255, and its alpha (an alpha band, or a palette's transparency). The built-in decoder, the thumbnails and
the MaskEditor's copy all take their picture from here, so they agree pixel for pixel; inside ComfyUI `picture`
asks the host's decoder instead (pictures/host.py), so they agree with the host."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from image_pool.pictures import host
from image_pool.pictures.formats import open_image


def first_frame(img: Image.Image) -> Image.Image:
    """The first frame as LoadImage up to ComfyUI 0.3.x sees it: oriented, with mode I brought into 0..255."""
    img.seek(0)
    frame = ImageOps.exif_transpose(img)
    if frame.mode == "I":
        frame = frame.point(lambda v: v * (1 / 255))
    return frame


def alpha_of(frame: Image.Image) -> Image.Image | None:
    """An alpha band, or a palette's transparency; as LoadImage, a tRNS colour key of an L or RGB image is not
    taken as alpha."""
    if "A" in frame.getbands():
        return frame.getchannel("A")
    if frame.mode == "P" and "transparency" in frame.info:
        return frame.convert("RGBA").getchannel("A")
    return None


def _to_8bit(values) -> np.ndarray:
    """Floats in 0..1 (a host's tensor) as the 8-bit values they came from (exact for 8-bit sources)."""
    array = values.float().cpu().numpy() if hasattr(values, "cpu") else np.asarray(values, np.float32)
    return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)


def picture(path: Path, draft_size: int | None = None) -> Image.Image:
    """The node's picture of an object as 8-bit RGB, or RGBA when it has alpha. `draft_size` lets a JPEG decode at a
    reduced scale (thumbnails) when the built-in decoder is used."""
    decoded = host.decode(Path(path))
    if decoded is None:
        return builtin_picture(path, draft_size)
    image, mask = decoded
    rgb = Image.fromarray(_to_8bit(image[0]), "RGB")
    if mask is not None:
        rgb.putalpha(Image.fromarray(_to_8bit(1.0 - mask[0]), "L"))
    return rgb


def builtin_picture(path: Path, draft_size: int | None = None) -> Image.Image:
    """`picture` by the built-in decoder, whatever host is installed."""
    with open_image(path) as img:
        if draft_size:
            img.draft("RGB", (draft_size, draft_size))
        frame = first_frame(img)
        alpha = alpha_of(frame)
        rgb = frame.convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha)
    return rgb
