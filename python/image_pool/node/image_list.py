"""The ComfyUI node Image Pool (List): a pool's images, each with its own mask, as ComfyUI lists in one run.

Which slots: those chosen in the node's grid (`chosen`, slot ids; none chosen, or none of them still in the pool,
means all), in pool order, then `start` and `limit` as the folder loaders have them. Downstream nodes run once per
item; the images may differ in size. The fingerprint reads only the manifest and is worked out once per generation
of the pool and choice (an unchanged pool costs one stat); the tensors are the decoded cache's own (no copy).
"""

import json
import re

import blake3
import torch

from image_pool.node.grid import (EMPTY_FINGERPRINT, HIDDEN, POOL_ID_INPUT, load_slot, pool_id_problem,
                                  refuse_missing_pool)
from image_pool.node.root import pools_for
from image_pool.pools.manifest import Manifest, Slot
from image_pool.pools.pools import Pools
from image_pool.store import ids

NAME = "Image Pool (List)"
SEPARATORS = re.compile(r"[\s,]+")


def chosen_ids(text: str | None) -> tuple[str, ...]:
    """The slot ids a `chosen` widget holds (separated by commas or spaces); anything else in it is ignored."""
    return tuple(part for part in SEPARATORS.split(str(text or "")) if ids.is_slot_id(part))


def chosen_slots(manifest: Manifest, chosen: tuple[str, ...], start: int, limit: int) -> list[tuple[int, Slot]]:
    """(position, slot) of what a run outputs, in pool order."""
    positions = manifest.positions()
    picked = sorted({positions[s] for s in chosen if s in positions}) or range(manifest.count)
    start = max(0, int(start))
    end = start + int(limit) if int(limit) > 0 else None
    return [(i, manifest.slots[i]) for i in list(picked)[start:end]]


def _manifest(pools: Pools, pool_id: str) -> Manifest | None:
    """The pool's manifest (shared, one stat when unchanged); None for a malformed id (VALIDATE_INPUTS refuses it)."""
    pool_id = ids.pool_id_or_none(pool_id)
    return pools.load(pool_id) if pool_id else None


def list_fingerprint(pool_id: str, chosen: str = "", start: int = 0, limit: int = 0) -> str:
    """Everything the outputs depend on: each item's position, image, mask and label, in order. Worked out once per
    generation of the pool for each choice (Manifest._memo), so an unchanged pool costs one stat."""
    manifest = _manifest(pools_for(), pool_id)
    if manifest is None or not manifest.count:
        return EMPTY_FINGERPRINT

    def digest() -> str:
        items = [[i, s.image, s.mask, s.label] for i, s in chosen_slots(manifest, chosen_ids(chosen), start, limit)]
        return blake3.blake3(json.dumps(items, ensure_ascii=False).encode()).hexdigest()
    return manifest._memo(f"list|{chosen}|{start}|{limit}", digest)


class ImagePoolListNode:
    CATEGORY = "image"
    DESCRIPTION = ("A pool's images, each with its own mask and label, as lists in one run: downstream nodes run once "
                   "per image. Click thumbnails to choose some (none chosen: all), then start and limit.")
    RETURN_TYPES = ("IMAGE", "MASK", "STRING", "INT", "INT")
    RETURN_NAMES = ("IMAGE", "MASK", "label", "index", "count")
    OUTPUT_IS_LIST = (True, True, True, True, False)
    OUTPUT_TOOLTIPS = ("Each image, in pool order (sizes may differ).", "Each image's mask (1 = masked); zeros if it "
                       "has none.", "Each image's label.", "Each image's position in the pool (0-based).",
                       "How many images this run outputs.")
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "start": ("INT", {"default": 0, "min": 0, "max": 0x7FFFFFFF, "step": 1,
                                  "tooltip": "Skip this many of the chosen images (all, if none is chosen)."}),
                "limit": ("INT", {"default": 0, "min": 0, "max": 0x7FFFFFFF, "step": 1,
                                  "tooltip": "At most this many images; 0: no limit."}),
                "pool_id": POOL_ID_INPUT,
            },
            "optional": {
                "chosen": ("STRING", {"default": "", "tooltip": "The slots chosen in the grid; empty: all."}),
            },
            "hidden": HIDDEN,
        }

    @classmethod
    def VALIDATE_INPUTS(cls, pool_id):
        return pool_id_problem(NAME, pool_id)

    @classmethod
    def IS_CHANGED(cls, start=0, limit=0, pool_id="", chosen="", **hidden):
        return list_fingerprint(pool_id, chosen, start, limit)

    def load(self, start, limit, pool_id, chosen="", extra_pnginfo=None):
        pools = pools_for()
        manifest = _manifest(pools, pool_id)
        items = chosen_slots(manifest, chosen_ids(chosen), start, limit) if manifest is not None else []
        if not items:
            refuse_missing_pool(pools, NAME, pool_id, extra_pnginfo)
            return [torch.zeros((1, 1, 1, 3))], [torch.zeros((1, 1, 1))], [""], [0], 0
        loaded = [load_slot(pools, NAME, manifest.pool_id, slot, position) for position, slot in items]
        images, masks = [image for image, _ in loaded], [mask for _, mask in loaded]
        return images, masks, [slot.label for _, slot in items], [position for position, _ in items], len(items)
