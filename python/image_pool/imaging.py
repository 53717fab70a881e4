"""Decoding a slot into the node's IMAGE and MASK tensors, equal to the host's LoadImage on the first frame.

Inside ComfyUI the host's own LoadImage decodes (host.py), so IMAGE has its values, dtype and device whatever its
version. Outside it, the built-in decoder gives what LoadImage up to ComfyUI 0.3.x gives: the frame of frames.py,
float32 = uint8 / 255, mask = 1 - alpha / 255. Two deliberate differences from LoadImage: only the first frame of
an animated file is used (LoadImage batches every frame), and with no alpha the zero mask has the image's H x W
(LoadImage gives 64 x 64). A stored mask wins over the image's alpha.
"""

import numpy as np
import torch
from PIL import Image

from . import host
from .cow import keep, zeros
from .decoded_cache import DecodedCache, Made
from .errors import DamagedObject, PoolError
from .formats import open_image
from .frames import alpha_of, first_frame
from .manifest import Slot
from .store import ObjectStore

ONE = np.float32(1.0)
MAX_VALUE = np.float32(255.0)


def scaled(source: Image.Image, invert: bool = False) -> torch.Tensor:
    """The float32 values LoadImage computes from a picture: uint8 / 255, or 1 - that for alpha; shape [1, H, W(, C)]."""
    pixels = np.asarray(source)
    out = torch.empty((1, *pixels.shape), dtype=torch.float32)
    view = out.numpy()[0]
    np.divide(pixels, MAX_VALUE, out=view)
    if invert:
        np.subtract(ONE, view, out=view)
    return out


def buffer_of(source: Image.Image, invert: bool = False) -> Made:
    return keep(scaled(source, invert))


class SlotDecoder:
    """Turns slots into tensors through the shared LRU. A hit opens no file and decodes nothing."""

    def __init__(self, cache: DecodedCache):
        self.cache = cache

    def _decode_image(self, objects: ObjectStore, key: str) -> tuple[Made, Made]:
        """The image and, from the same decode, its alpha mask (so the mask never needs a second decode)."""
        decoded = self._host_decode(objects, key)
        if decoded is not None:
            image, alpha = decoded
            return keep(image), (None, None) if alpha is None else keep(alpha)
        with self._open(objects, key) as img:
            frame = first_frame(img)
            alpha = alpha_of(frame)
            return buffer_of(frame.convert("RGB")), (None, None) if alpha is None else buffer_of(alpha, invert=True)

    @staticmethod
    def _host_decode(objects: ObjectStore, key: str):
        return host.decode(objects.path(key))

    def _decode_alpha(self, objects: ObjectStore, key: str) -> Made:
        decoded = self._host_decode(objects, key)
        if decoded is not None:
            return (None, None) if decoded[1] is None else keep(decoded[1])
        with self._open(objects, key) as img:
            alpha = alpha_of(first_frame(img))
            return (None, None) if alpha is None else buffer_of(alpha, invert=True)

    def _decode_mask(self, objects: ObjectStore, key: str) -> Made:
        with self._open(objects, key) as img:
            return buffer_of(img.convert("L"))

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
        fresh_alpha = []

        def decode_image() -> Made:
            image_made, (alpha_buffer, alpha_tensor) = self._decode_image(objects, slot.image)
            self.cache.put(("alpha", slot.image), alpha_buffer)
            fresh_alpha.append(alpha_tensor)
            return image_made

        image = self.cache.tensor(("image", slot.image), decode_image)
        height, width = image.shape[1], image.shape[2]
        if slot.mask:
            mask = self.cache.tensor(("mask", slot.mask), lambda: self._decode_mask(objects, slot.mask))
        elif fresh_alpha:
            mask = fresh_alpha[0]
        else:
            mask = self.cache.tensor(("alpha", slot.image), lambda: self._decode_alpha(objects, slot.image))
        if mask is None:
            mask = zeros((1, height, width))
        if tuple(mask.shape[1:]) != (height, width):
            raise DamagedObject(f"mask {slot.mask} is {mask.shape[2]}x{mask.shape[1]}, its image is {width}x{height}")
        if mask.dtype != image.dtype or mask.device != image.device:  # a host's intermediate dtype or device
            mask = mask.to(device=image.device, dtype=image.dtype)
        return image, mask
