"""Decoding a slot into the node's IMAGE and MASK tensors, equal to the host's LoadImage on the first frame.

Inside ComfyUI the host's own LoadImage decodes (pictures/host.py), so IMAGE has its values, dtype and device whatever its
version. Outside it, the built-in decoder gives what LoadImage up to ComfyUI 0.3.x gives: the frame of pictures/frames.py,
float32 = uint8 / 255, mask = 1 - alpha / 255. Two deliberate differences from LoadImage: only the first frame of
an animated file is used (LoadImage batches every frame), and with no alpha the zero mask has the image's H x W
(LoadImage gives 64 x 64). A stored mask wins over the image's alpha.
"""

import mmap

import numpy as np
import torch
from PIL import Image

from image_pool.errors import DamagedObject, PoolError
from image_pool.node.decoded_cache import MISSING, DecodedCache, trackable
from image_pool.pictures import host
from image_pool.pictures.formats import open_image
from image_pool.pictures.frames import alpha_of, first_frame
from image_pool.pools.manifest import Slot
from image_pool.store.objects import ObjectStore

ONE = np.float32(1.0)
MAX_VALUE = np.float32(255.0)
LAZY_ZEROS_BYTES = 1 << 20


def scaled(source: Image.Image, invert: bool = False) -> torch.Tensor:
    """The float32 values LoadImage computes from a picture: uint8 / 255, or 1 - that for alpha; shape [1, H, W(, C)]."""
    pixels = np.asarray(source)
    out = torch.empty((1, *pixels.shape), dtype=torch.float32)
    view = out.numpy()[0]
    np.divide(pixels, MAX_VALUE, out=view)
    if invert:
        np.subtract(ONE, view, out=view)
    return out


def zero_mask_for(image: torch.Tensor) -> torch.Tensor:
    """An all-zero mask of the image's H x W, on its device in its dtype. On the CPU a large one is an anonymous
    mapping, which the kernel fills with zeros only where it is written: free to make, and no memory until then."""
    shape = (1, image.shape[1], image.shape[2])
    nbytes = shape[1] * shape[2] * 4
    if image.device.type != "cpu" or image.dtype != torch.float32 or nbytes < LAZY_ZEROS_BYTES:
        return torch.zeros(shape, dtype=image.dtype, device=image.device)
    return torch.frombuffer(mmap.mmap(-1, nbytes), dtype=torch.float32).view(shape)


def first_of_batch(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """The first frame, holding no memory of the others (a view of a batch would keep the whole batch alive in the
    decoded cache). The host's decoder hands out first frames (pictures/host.py)."""
    if tensor is None or tensor.shape[0] == 1:
        return tensor
    return tensor[:1].clone()


class SlotDecoder:
    """Turns slots into tensors through the shared cache. A hit opens no file, decodes nothing and copies nothing."""

    def __init__(self, cache: DecodedCache):
        self.cache = cache

    def _decode_image(self, objects: ObjectStore, key: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The image and, from the same decode, its alpha mask (so the mask never needs a second decode)."""
        with trackable():
            decoded = host.decode(objects.path(key))
        if decoded is not None:
            return decoded
        with self._open(objects, key) as img, trackable():
            frame = first_frame(img)
            alpha = alpha_of(frame)
            return scaled(frame.convert("RGB")), None if alpha is None else scaled(alpha, invert=True)

    def _decode_mask(self, objects: ObjectStore, key: str, like: torch.Tensor) -> torch.Tensor:
        with self._open(objects, key) as img, trackable():
            return scaled(img.convert("L")).to(device=like.device, dtype=like.dtype)

    @staticmethod
    def _zeros(image: torch.Tensor) -> torch.Tensor:
        with trackable():
            return zero_mask_for(image)

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
        """IMAGE [1,H,W,3] and MASK [1,H,W] for a slot: the tensors the cache keeps (see decoded_cache). A hit is a
        few dictionary look-ups."""
        cache = self.cache
        image_key, alpha_key = ("image", slot.image), ("alpha", slot.image)
        image = cache.get(image_key)
        alpha = MISSING
        if image is MISSING:
            image, alpha = self._decode_image(objects, slot.image)  # the alpha comes with it: one decode for both
            cache.put(image_key, image)
            cache.put(alpha_key, alpha)
        if slot.mask:
            mask = cache.tensor(("mask", slot.mask, image.dtype, image.device),
                                lambda: self._decode_mask(objects, slot.mask, image))
        else:
            mask = cache.get(alpha_key) if alpha is MISSING else alpha
            if mask is MISSING:
                mask = self._decode_image(objects, slot.image)[1]
                cache.put(alpha_key, mask)
        if mask is None:  # a new one each run, never shared: a write into one reaches no other image or run
            return image, self._zeros(image)
        if mask.shape[1:] != image.shape[1:3]:
            raise DamagedObject(f"mask {slot.mask} is {mask.shape[2]}x{mask.shape[1]}, its image is "
                                f"{image.shape[2]}x{image.shape[1]}")
        return image, mask
