"""The ComfyUI node Add to Image Pool: a batch of results into a pool as new slots, with their masks and labels.

Pictures are written as 8-bit PNG with the values ComfyUI's SaveImage writes (255 × value, clipped, cut to an
integer) and nothing else in the file: no workflow text, so the same pixels always make the same bytes, and the pool
can tell an image it holds already by its key. No ComfyUI import.
"""

import io
from typing import Iterator

import numpy as np
import torch
from PIL import Image

from image_pool.errors import PoolError
from image_pool.node.root import pools_for
from image_pool.pictures import masks
from image_pool.pools.manifest import MAX_LABEL, clean_pool_name, clean_text
from image_pool.pools.results import Result, add_results
from image_pool.store import ids

NODE_NAME = "Add to Image Pool"
POSITION = "{index}"
PNG_LEVEL = 4  # what SaveImage uses: the pixels are the same at any level, the bytes (and so the key) are not
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def png_of(image: torch.Tensor) -> bytes:
    """One [H, W, C] image (C = 1, 3 or 4; values 0..1) as PNG bytes."""
    if image.ndim != 3 or image.shape[-1] not in MODES:
        raise ValueError(f"{NODE_NAME}: an image must be [H, W, C] with 1, 3 or 4 channels, got {list(image.shape)}")
    pixels = np.clip(255.0 * image.detach().float().cpu().numpy(), 0, 255).astype(np.uint8)
    channels = pixels.shape[-1]
    out = io.BytesIO()
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels, MODES[channels]).save(
        out, format="PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


def masks_for(mask: torch.Tensor | None, count: int) -> Iterator[np.ndarray | None]:
    """One mask per image (uint8, 255 = masked) from a MASK of one mask for all or one per image. The count is
    checked now; each mask is made when it is asked for."""
    if mask is None:
        return iter([None] * count)
    if mask.ndim == 2:
        mask = mask.unsqueeze(0)
    if mask.ndim != 3 or mask.shape[0] not in (1, count):
        given = mask.shape[0] if mask.ndim == 3 else list(mask.shape)
        raise ValueError(f"{NODE_NAME}: give one mask for all the images or one per image; got {given} masks for "
                         f"{count} images")
    if mask.shape[0] == 1:
        shared = masks.as_mask_array(mask[0].detach().float().cpu().numpy())
        return iter([shared] * count)
    return (masks.as_mask_array(m.detach().float().cpu().numpy()) for m in mask)


def labels_for(label: str, count: int) -> list[str]:
    return [label.replace(POSITION, str(i)) for i in range(count)]


class ImagePoolAddNode:
    CATEGORY = "image"
    DESCRIPTION = ("Adds every image of the batch to a pool as a new slot (lossless PNG), with its mask and label, in "
                   "one change. An image the pool already holds is not added again.")
    RETURN_TYPES = ("STRING", "INT", "INT")
    RETURN_NAMES = ("pool_id", "count", "added")
    OUTPUT_TOOLTIPS = ("The pool's id (give it to an Image Pool node).", "How many slots the pool holds now.",
                       "How many slots this run added.")
    OUTPUT_NODE = True
    FUNCTION = "add"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "images": ("IMAGE", {"tooltip": "The images to add, one slot each."}),
                "pool": ("STRING", {"default": "results", "tooltip": "The pool's name or id; a name no pool has "
                                                                      "makes the pool."}),
            },
            "optional": {
                "masks": ("MASK", {"tooltip": "One mask for all the images, or one per image; an all-zero mask "
                                              "stores none."}),
                "label": ("STRING", {"default": "", "tooltip": f"Every new slot's label; {POSITION} is replaced by "
                                                               f"the image's position in the batch (0, 1, …)."}),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, pool="", label="", **_):
        text = str(pool or "").strip()
        try:
            if not ids.is_pool_id(text.lower()) and not clean_pool_name(text):
                return f"{NODE_NAME}: name the pool to add to (a name, or an Image Pool node's pool id)"
            clean_text(label, MAX_LABEL, "the label")
        except PoolError as e:
            return f"{NODE_NAME}: {e.message}"
        return True

    def add(self, images: torch.Tensor, pool: str, masks: torch.Tensor | None = None, label: str = ""):
        if images.ndim == 3:
            images = images.unsqueeze(0)
        count = images.shape[0]
        # one PNG at a time: each is stored before the next is encoded
        results = (Result(png_of(image), mask, text) for image, mask, text in
                   zip(images, masks_for(masks, count), labels_for(label, count)))
        try:
            added = add_results(pools_for(), pool, results)
        except PoolError as e:
            raise RuntimeError(f"{NODE_NAME}: {e.message}") from None
        manifest = added.manifest
        new = set(added.slots)
        shown = {"pool_id": manifest.pool_id, "name": manifest.name, "count": manifest.count,
                 "present": added.present, "slots": [s.to_json() for s in manifest.slots if s.id in new]}
        return {"ui": {"image_pool_added": [shown]}, "result": (manifest.pool_id, manifest.count, len(added.slots))}
