"""The ComfyUI node Image Pool (Grid). Classic INPUT_TYPES API; no ComfyUI import."""

from dataclasses import dataclass

import torch

from image_pool.errors import BadRequest, DamagedObject
from image_pool.node.decoded_cache import DecodedCache
from image_pool.node.imaging import SlotDecoder
from image_pool.node.root import pools_for
from image_pool.node.saved_pool import missing_pool_message
from image_pool.pools.manifest import Slot
from image_pool.pools.pools import Pools
from image_pool.store import ids

decoder = SlotDecoder(DecodedCache())
EMPTY_FINGERPRINT = "empty"


@dataclass(frozen=True)
class Choice:
    """What a run of the node outputs, as the manifest decides it: the slot (or None) and the pool's count."""
    slot: Slot | None
    index: int
    count: int
    pool_id: str

    @property
    def fingerprint(self) -> str:
        if self.slot is None:
            return EMPTY_FINGERPRINT
        return f"{self.slot.image}|{self.slot.mask or '-'}|{self.index}|{self.count}|{self.slot.label}"


_NONE = Choice(None, 0, 0, "")
POOL_ID_INPUT = ("STRING", {"default": "", "tooltip": "The pool's id (a UUID), made with the node."})


def pool_id_problem(node_name: str, pool_id: str) -> str | bool:
    """VALIDATE_INPUTS of both nodes: True, or what ComfyUI shows for a malformed pool id."""
    if pool_id:
        try:
            ids.pool_id(pool_id)
        except BadRequest as e:
            return f"{node_name}: {e.message}"
    return True


HIDDEN = {"extra_pnginfo": "EXTRA_PNGINFO"}  # the saved workflow, to name a pool this store lacks (node/saved_pool.py)


def refuse_missing_pool(pools: Pools, node_name: str, pool_id: str, extra_pnginfo) -> None:
    """Stop the run when the workflow says its pool held images and this store has no such pool."""
    pool_id = ids.pool_id_or_none(pool_id)
    if extra_pnginfo and pool_id and not pools.exists(pool_id):
        message = missing_pool_message(node_name, pool_id, extra_pnginfo)
        if message:
            raise RuntimeError(message)


def load_slot(pools: Pools, node_name: str, pool_id: str, slot: Slot,
              position: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IMAGE and MASK of a slot; a missing or damaged object stops the run with a message naming where it is."""
    try:
        return decoder.load(pools.objects, slot)
    except DamagedObject as e:
        raise RuntimeError(f"{node_name}: pool {pool_id}, slot {slot.id} (position {position}): {e.message}. Run "
                           f"'python -m image_pool fsck' to check the store.") from None


def choose(pools: Pools, index: int, pool_id: str, slot_id: str | None = "") -> Choice:
    """The node's choice, read from the manifest alone: no image is opened or hashed. For a pool unchanged since it
    was last read it costs one stat and a look-up, whatever the pool's size (pools/parsed_manifests.py). A malformed pool
    id chooses nothing (VALIDATE_INPUTS refuses it before a run)."""
    pool_id = ids.pool_id_or_none(pool_id)
    if pool_id is None:
        return _NONE
    manifest = pools.load(pool_id)
    chosen = manifest.select(index, slot_id)
    return Choice(chosen.slot, chosen.index, manifest.count, manifest.pool_id) if chosen else _NONE


def fingerprint(index: int, pool_id: str, slot_id: str | None = "") -> str:
    """Everything the outputs depend on (see choose)."""
    return choose(pools_for(), index, pool_id, slot_id).fingerprint


class ImagePoolGridNode:
    CATEGORY = "image"
    DESCRIPTION = ("A pool of images, each with its own mask and label. Click a thumbnail, or set index >= 0 "
                   "to force a slot (-1 follows the grid).")
    RETURN_TYPES = ("IMAGE", "MASK", "INT", "INT", "STRING")
    RETURN_NAMES = ("IMAGE", "MASK", "index", "count", "label")
    OUTPUT_TOOLTIPS = ("The chosen slot's image.", "The chosen slot's mask (1 = masked); zeros if it has none.",
                       "The slot position actually used (0-based).", "How many slots the pool holds.",
                       "The chosen slot's label.")
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "index": ("INT", {"default": -1, "min": -1, "max": 0x7FFFFFFF, "step": 1,
                                  "control_after_generate": True,
                                  "tooltip": "-1: the slot selected in the grid. 0 or more: force that slot "
                                             "(clamped to the pool)."}),
                "pool_id": POOL_ID_INPUT,
            },
            "optional": {
                "slot_id": ("STRING", {"default": "", "tooltip": "The grid's selection when the prompt was queued."}),
            },
            "hidden": HIDDEN,
        }

    @classmethod
    def VALIDATE_INPUTS(cls, pool_id):
        return pool_id_problem("Image Pool (Grid)", pool_id)

    @classmethod
    def IS_CHANGED(cls, index=-1, pool_id="", slot_id="", **hidden):  # ComfyUI 0.33 also passes hidden inputs
        return fingerprint(index, pool_id, slot_id)

    def load(self, index, pool_id, slot_id="", extra_pnginfo=None):
        pools = pools_for()
        choice = choose(pools, index, pool_id, slot_id)
        if choice.slot is None:
            refuse_missing_pool(pools, "Image Pool (Grid)", pool_id, extra_pnginfo)
            return torch.zeros((1, 1, 1, 3)), torch.zeros((1, 1, 1)), 0, 0, ""
        image, mask = load_slot(pools, "Image Pool (Grid)", choice.pool_id, choice.slot, choice.index)
        return image, mask, choice.index, choice.count, choice.slot.label

