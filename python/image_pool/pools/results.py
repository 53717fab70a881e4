"""Results added to a pool as new slots, each with its own mask and label, in one change (the Add to Image Pool node).

All or nothing: every picture and mask is checked and stored before the one change that adds the slots, and that
change is refused whole when the pool has no room. An image the pool already holds (the same bytes, so the same
object key) is not added again; its slot keeps its own mask and label.
"""

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from image_pool.pictures import masks
from image_pool.pools.manifest import Manifest
from image_pool.pools.pools import Pools


@dataclass(frozen=True)
class Result:
    picture: bytes  # an encoded image (the node writes PNG)
    mask: np.ndarray | None  # uint8 0..255, 255 = masked, the picture's size; None or all zeros: no mask
    label: str = ""
    name: str = ""


@dataclass(frozen=True)
class Added:
    manifest: Manifest
    slots: list[str]  # the new slots' ids, in the results' order
    present: int  # results the pool held already (or that repeated an earlier one of the same call)


def add_results(pools: Pools, pool: str, results: Iterable[Result]) -> Added:
    """Add `results` to the pool `pool` names (an id, or a name: a name no pool has makes the pool). They are taken
    one at a time and each is stored before the next is asked for, so a generator holds one picture at once."""
    with pools.adding_to(pool) as pool_id, pools.adding() as batch:
        pools.check_room(pool_id, 0)
        stored, mask_keys, labels, names = [], [], [], []
        for result in results:
            obj = batch.note(pools.objects.put_bytes(result.picture, result.name or "the image"))
            key = None
            if result.mask is not None:
                masks.check_size(result.mask, obj.info.width, obj.info.height)
                if result.mask.any():
                    key = batch.note(pools.objects.put_bytes(masks.encode_png(result.mask), "the mask")).key
            stored.append(obj)
            mask_keys.append(key)
            labels.append(result.label)
            names.append(result.name)
        manifest, added = pools.add_objects(pool_id, stored, labels=labels, names=names, mask_keys=mask_keys,
                                            skip_present=True)
    return Added(manifest, added, len(stored) - len(added))
