"""The ComfyUI node Image Pool (Grid). Classic INPUT_TYPES API; no ComfyUI import."""

from . import ids
from .cow import zeros
from .decoded_cache import DecodedCache
from .errors import BadRequest, DamagedObject
from .imaging import SlotDecoder
from .root import pools_for

decoder = SlotDecoder(DecodedCache())
EMPTY_FINGERPRINT = "empty"
REMEMBERED_FINGERPRINTS = 4096
_fingerprints: dict[tuple, tuple[tuple[int, int, int], str]] = {}


def _manifest(pools, pool_id: str):
    """The pool's manifest, or None for no pool. A malformed id is refused by VALIDATE_INPUTS before a run."""
    if not pool_id or not ids.is_pool_id(str(pool_id).lower()):
        return None
    return pools.load(pool_id)


def forget_fingerprints() -> None:
    """Drop remembered fingerprints (benchmarks use it to time the first call after a change)."""
    _fingerprints.clear()


def fingerprint(index: int, pool_id: str, slot_id: str | None = "") -> str:
    """Everything the outputs depend on, read from the manifest alone: no image is opened or hashed. For a pool
    unchanged since the last call with the same widgets it costs one stat, whatever the pool's size."""
    pools = pools_for()
    if not pool_id or not ids.is_pool_id(str(pool_id).lower()):
        return EMPTY_FINGERPRINT
    key = (pools.root, str(pool_id).lower(), index, slot_id)
    identity = pools.identity(pool_id)
    remembered = _fingerprints.get(key)
    if identity is not None and remembered is not None and remembered[0] == identity:
        return remembered[1]
    manifest = _manifest(pools, pool_id)
    chosen = manifest.select(index, slot_id) if manifest else None
    if chosen is None:
        result = EMPTY_FINGERPRINT
    else:
        slot = chosen.slot
        result = f"{slot.image}|{slot.mask or '-'}|{chosen.index}|{manifest.count}|{slot.label}"
    if identity is not None:
        if len(_fingerprints) >= REMEMBERED_FINGERPRINTS:
            _fingerprints.clear()
        _fingerprints[key] = (identity, result)
    return result


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
                "pool_id": ("STRING", {"default": "", "tooltip": "The pool's id (a UUID), made with the node."}),
            },
            "optional": {
                "slot_id": ("STRING", {"default": "", "tooltip": "The grid's selection when the prompt was queued."}),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, pool_id):
        if pool_id:
            try:
                ids.pool_id(pool_id)
            except BadRequest as e:
                return f"Image Pool (Grid): {e.message}"
        return True

    @classmethod
    def IS_CHANGED(cls, index=-1, pool_id="", slot_id="", **hidden):  # ComfyUI 0.33 also passes hidden inputs
        return fingerprint(index, pool_id, slot_id)

    def load(self, index, pool_id, slot_id=""):
        pools = pools_for()
        manifest = _manifest(pools, pool_id)
        chosen = manifest.select(index, slot_id) if manifest else None
        if chosen is None:
            return zeros((1, 1, 1, 3)), zeros((1, 1, 1)), 0, 0, ""
        try:
            image, mask = decoder.load(pools.objects, chosen.slot)
        except DamagedObject as e:
            raise RuntimeError(f"Image Pool (Grid): pool {manifest.pool_id}, slot {chosen.slot.id} "
                               f"(position {chosen.index}): {e.message}. Run 'python -m image_pool fsck' "
                               f"to check the store.") from None
        return image, mask, chosen.index, manifest.count, chosen.slot.label


NODE_CLASS_MAPPINGS = {"ImagePoolGrid": ImagePoolGridNode}  # the key is the type saved in workflows
NODE_DISPLAY_NAME_MAPPINGS = {"ImagePoolGrid": "Image Pool (Grid)"}
