"""Masks as stored: a single-channel 8-bit PNG of the image's size, 255 = masked."""

import io

import numpy as np
from PIL import Image

from .errors import BadRequest, MaskSizeMismatch
from .formats import open_image


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


def from_luminance(fp) -> np.ndarray:
    """A mask picture where white is masked: its luminance."""
    with open_image(fp) as img:
        img.load()
        return np.asarray(img.convert("L"))


def from_alpha(fp) -> np.ndarray:
    """A picture whose alpha is the mask, as ComfyUI's MaskEditor saves it: alpha 0 = masked."""
    with open_image(fp) as img:
        img.load()
        if "A" not in img.getbands() and not (img.mode == "P" and "transparency" in img.info):
            raise BadRequest("the mask picture has no alpha channel")
        return 255 - np.asarray(img.convert("RGBA").getchannel("A"))
