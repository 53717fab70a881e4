"""Decoding a slot into the node's IMAGE and MASK tensors, matching core LoadImage on the first frame.

LoadImage's per-frame steps (ComfyUI nodes.py) are reproduced exactly: EXIF transpose; mode "I"
scaled by 1/255 before convert("RGB"); float32 = uint8 / 255; mask = 1 - alpha/255 for images with an
alpha band or palette transparency. Two deliberate differences: only the first frame of an animated
file is used (LoadImage batches every frame), and with no alpha the zero mask has the image's H x W
(LoadImage gives 64 x 64). A stored mask wins over the image's alpha.
"""

import numpy as np
import torch
from PIL import Image, ImageOps

from .cow import Buffer, zeros
from .decoded_cache import DecodedCache
from .errors import DamagedObject, PoolError
from .formats import open_image
from .manifest import Slot
from .store import ObjectStore

ONE = np.float32(1.0)
MAX_VALUE = np.float32(255.0)


def first_frame(img: Image.Image) -> Image.Image:
    """The first frame as LoadImage sees it: oriented, with mode I brought into 0..255."""
    img.seek(0)
    frame = ImageOps.exif_transpose(img)
    if frame.mode == "I":
        frame = frame.point(lambda v: v * (1 / 255))
    return frame


def alpha_of(frame: Image.Image) -> Image.Image | None:
    if "A" in frame.getbands():
        return frame.getchannel("A")
    if frame.mode == "P" and "transparency" in frame.info:
        return frame.convert("RGBA").getchannel("A")
    return None


def _fill_scaled(source: Image.Image, invert: bool):
    def write(out: np.ndarray) -> None:
        view = out.reshape(source.height, source.width, -1)
        pixels = np.asarray(source)
        np.divide(pixels.reshape(view.shape), MAX_VALUE, out=view)
        if invert:
            np.subtract(ONE, view, out=view)
    return write


def image_buffer(frame: Image.Image) -> Buffer:
    rgb = frame.convert("RGB")
    buffer = Buffer((1, rgb.height, rgb.width, 3))
    buffer.fill(_fill_scaled(rgb, invert=False))
    return buffer


def channel_buffer(channel: Image.Image, invert: bool) -> Buffer:
    buffer = Buffer((1, channel.height, channel.width))
    buffer.fill(_fill_scaled(channel, invert))
    return buffer


class SlotDecoder:
    """Turns slots into tensors through the shared LRU. A hit opens no file and decodes nothing."""

    def __init__(self, cache: DecodedCache):
        self.cache = cache

    def _decode_image(self, objects: ObjectStore, key: str) -> Buffer:
        with self._open(objects, key) as img:
            frame = first_frame(img)
            buffer = image_buffer(frame)
            alpha = alpha_of(frame)
        # The alpha comes out of the same decode: keep it too, so the mask never needs a second one.
        self.cache.tensor(("alpha", key), lambda: None if alpha is None else channel_buffer(alpha, invert=True))
        return buffer

    def _decode_alpha(self, objects: ObjectStore, key: str) -> Buffer | None:
        with self._open(objects, key) as img:
            alpha = alpha_of(first_frame(img))
            return None if alpha is None else channel_buffer(alpha, invert=True)

    def _decode_mask(self, objects: ObjectStore, key: str) -> Buffer:
        with self._open(objects, key) as img:
            return channel_buffer(img.convert("L"), invert=False)

    @staticmethod
    def _open(objects: ObjectStore, key: str) -> Image.Image:
        try:
            img = open_image(objects.path(key))
            img.load()
            return img
        except FileNotFoundError:
            raise DamagedObject(f"object {key} is missing from the store") from None
        except (PoolError, OSError, ValueError) as e:
            raise DamagedObject(f"object {key} cannot be decoded: {getattr(e, 'message', e)}") from None

    def load(self, objects: ObjectStore, slot: Slot) -> tuple[torch.Tensor, torch.Tensor]:
        """IMAGE [1,H,W,3] and MASK [1,H,W] for a slot, as fresh tensors that share nothing writable with the cache."""
        image = self.cache.tensor(("image", slot.image), lambda: self._decode_image(objects, slot.image))
        height, width = image.shape[1], image.shape[2]
        if slot.mask:
            mask = self.cache.tensor(("mask", slot.mask), lambda: self._decode_mask(objects, slot.mask))
        else:
            mask = self.cache.tensor(("alpha", slot.image), lambda: self._decode_alpha(objects, slot.image))
        if mask is None:
            mask = zeros((1, height, width))
        if tuple(mask.shape[1:]) != (height, width):
            raise DamagedObject(f"mask {slot.mask} is {mask.shape[2]}x{mask.shape[1]}, its image is {width}x{height}")
        return image, mask
