"""The picture ComfyUI's MaskEditor opens for a slot: the image as the node outputs it (first frame, oriented),
as RGBA whose alpha is 255 - the slot's mask, so the editor shows the mask it already has.

It must be a file in ComfyUI's input folder: the editor's save posts it back to /upload/mask by name, which
copies the drawn alpha into it and saves input/clipspace/clipspace-mask-*.png. Derived, deletable:

    cache/editor/<decoder>/<pool_id>/<slot_id>-<image hash>-<mask hash or "none">.png
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from image_pool.pictures import host
from image_pool.pictures.formats import open_image
from image_pool.pictures.frames import picture
from image_pool.pools.pools import Pools
from image_pool.store import ids
from image_pool.store.atomic import write_atomic


def editor_copy(pools: Pools, pool_id: str, slot_id: str) -> Path:
    slot = pools.load(pool_id).slot(slot_id)
    digest = lambda key: ids.key_digest(key)[:16] if key else "none"  # noqa: E731
    path = (pools.root / "cache" / "editor" / host.name() / pool_id /
            f"{slot_id}-{digest(slot.image)}-{digest(slot.mask)}.png")
    if path.is_file():
        return path
    rgba = picture(pools.objects.path(slot.image)).convert("RGBA")  # no alpha: opaque
    if slot.mask:
        with open_image(pools.objects.path(slot.mask)) as mask:
            rgba.putalpha(Image.fromarray(255 - np.asarray(mask.convert("L")), "L"))
    out = io.BytesIO()
    rgba.save(out, format="PNG", compress_level=1)
    write_atomic(path, out.getvalue())
    return path
