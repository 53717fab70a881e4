"""Masks as stored: a single-channel 8-bit PNG of the image's size, 255 = masked."""

import io

import numpy as np
from PIL import Image

from image_pool.errors import BadRequest, MaskSizeMismatch
from image_pool.pictures.formats import open_image
from image_pool.pictures.frames import alpha_of


def as_mask_array(value) -> np.ndarray:
    """A 2-D array as uint8 0..255 (255 = masked) from bool, integer 0..255 or float 0..1 input."""
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise BadRequest(f"a mask must be 2-D, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        return np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise BadRequest(f"a mask cannot be made of {arr.dtype}")


def check_size(mask: np.ndarray, width: int, height: int) -> None:
    if mask.shape != (height, width):
        raise MaskSizeMismatch(f"mask is {mask.shape[1]}x{mask.shape[0]}, the image is {width}x{height}")


def encode_png(mask: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(mask, mode="L").save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


CHANNELS = ("alpha", "luminance")


def from_picture(fp, channel: str | None = None, name: str = "the mask picture") -> np.ndarray:
    """A mask picture's mask: its alpha (alpha 0 = masked, as ComfyUI's MaskEditor saves it) when it has one or
    `channel` says so, else its luminance (white = masked). `fp` is a path or an open binary file."""
    if channel not in (None, "", *CHANNELS):
        raise BadRequest(f"channel must be one of {', '.join(CHANNELS)}")
    with open_image(fp, name) as img:
        img.load()
        alpha = alpha_of(img)
        if channel == "alpha" and alpha is None:
            raise BadRequest(f"{name} has no alpha channel")
        if alpha is not None and channel != "luminance":
            return 255 - np.asarray(alpha)
        return np.asarray(img.convert("L"))
