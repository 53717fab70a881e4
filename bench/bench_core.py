"""Core benchmark: fingerprint, cold and warm execute, add, against the host's LoadImage measured in the same run.

The baseline is a real ComfyUI's LoadImage (its IS_CHANGED and its decode), imported from the checkout named by
IMAGE_POOL_COMFYUI; run.py starts this benchmark with IMAGE_POOL_COMFYUI_PYTHON. The node then decodes as it does
inside that ComfyUI (through its LoadImage). Without a ComfyUI, only the rows that need no LoadImage are measured.
"""

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table, median_seconds  # noqa: E402
from image_pool import node  # noqa: E402
from image_pool.pools import Pools  # noqa: E402
from image_pool.store import StoredObject  # noqa: E402


class HostLoadImage:
    """The real LoadImage of the ComfyUI in IMAGE_POOL_COMFYUI, reading files of `folder` (its input folder), with
    this repository's entry imported as ComfyUI imports it (so the node decodes through the same LoadImage)."""

    def __init__(self, folder: Path):
        import importlib.util

        from tests.loadimage_figures import start_comfyui
        nodes, self.version = start_comfyui(folder)
        self._class = nodes.LoadImage
        spec = importlib.util.spec_from_file_location("image_pool_entry", PROJECT / "__init__.py",
                                                      submodule_search_locations=[str(PROJECT)])
        spec.loader.exec_module(importlib.util.module_from_spec(spec))

    def is_changed(self, path: Path):
        return self._class.IS_CHANGED(path.name)

    def load_image(self, path: Path):
        return self._class().load_image(path.name)


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """Smooth gradients plus grain: compresses like a photograph, not like noise or a flat colour."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 200, (x + y) / (width + height) * 255], axis=-1)
    grain = rng.normal(0, 6, size=(height, width, 3)).astype(np.float32)
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8), "RGB")


def make_files(folder: Path) -> dict[str, Path]:
    files = {"4K PNG": folder / "uhd.png", "1 MP JPEG": folder / "onemp.jpg"}
    photo_like(3840, 2160, 1).save(files["4K PNG"], compress_level=6)
    photo_like(1280, 800, 2).save(files["1 MP JPEG"], quality=92)
    return files


def bench_file(table: Table, label: str, path: Path, pools: Pools, repeat: int, core: HostLoadImage | None) -> None:
    pool_id = str(uuid.uuid4())
    pools.add(pool_id, [path])
    fingerprint = lambda: node.fingerprint(-1, pool_id, "")  # noqa: E731
    def forget_parsed():  # as after a change: neither the parsed manifest nor the fingerprint is remembered
        node.pools_for().forget_parsed()
        node.forget_fingerprints()
    run = lambda: node.ImagePoolGrid().load(-1, pool_id, "")  # noqa: E731
    cold = median_seconds(run, repeat, setup=node.decoder.cache.clear)
    if core is not None:
        baseline_is_changed = median_seconds(lambda: core.is_changed(path), repeat)
        ours_fp = median_seconds(fingerprint, repeat, setup=forget_parsed)
        table.ratio(f"{label}: fingerprint (manifest parsed) vs LoadImage.IS_CHANGED", ours_fp, baseline_is_changed,
                    "≥ 50x on the 4K PNG")
        baseline_decode = median_seconds(lambda: core.load_image(path), repeat)
        table.ratio(f"{label}: execute cold vs LoadImage decode", cold, baseline_decode, "cold ≤ 1.05x baseline")
    run()
    warm = median_seconds(run, repeat * 5)
    table.ratio(f"{label}: execute warm (LRU hit) vs cold", warm, cold, "≥ 100x")

    copy_target = path.parent / "copy.bin"
    plain_copy = median_seconds(lambda: shutil.copyfile(path, copy_target), repeat)

    def fresh_add():
        # new bytes every time (a PNG text chunk), so the store really writes an object
        fresh_add.n += 1
        pools.objects.put_file(variant(path, fresh_add.n))
    fresh_add.n = 0
    add = median_seconds(fresh_add, max(3, repeat // 2))
    table.ratio(f"{label}: add (hash, validate, durable write) vs plain copy", add, plain_copy,
                "reported (add decodes the image to refuse damaged files)")


def variant(path: Path, n: int) -> Path:
    """The same picture with one extra byte at the end, so its hash differs (decoders ignore trailing bytes)."""
    out = path.parent / f"variant{path.suffix}"
    shutil.copyfile(path, out)
    with open(out, "ab") as f:
        f.write(n.to_bytes(4, "big"))
    return out


def bench_pool_sizes(table: Table, pools: Pools, key_source: Path) -> None:
    stored = pools.objects.put_file(key_source)
    for size in (10, 1_000, 10_000):
        pool_id = str(uuid.uuid4())
        pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * size)
        run = lambda: node.fingerprint(-1, pool_id, "")  # noqa: E731
        parsed = median_seconds(run, 9, setup=lambda: (node.pools_for().forget_parsed(), node.forget_fingerprints()))
        unchanged = median_seconds(run, 9)
        table.value(f"fingerprint, pool of {size:,} slots", f"{parsed * 1e3:.2f} ms after a change, "
                    f"{unchanged * 1e3:.2f} ms when unchanged", "flat in image size")


def main(repeat: int = 7) -> Table:
    table = Table("Core: node and store (python bench/run.py core)")
    with tempfile.TemporaryDirectory(prefix="image-pool-bench-") as tmp:
        folder = Path(tmp)
        core = HostLoadImage(folder) if os.environ.get("IMAGE_POOL_COMFYUI") else None
        table.value("baseline", f"ComfyUI {core.version} LoadImage, imported from IMAGE_POOL_COMFYUI" if core else
                    "no LoadImage rows: set IMAGE_POOL_COMFYUI (and IMAGE_POOL_COMFYUI_PYTHON) to a ComfyUI")
        os.environ["IMAGE_POOL_ROOT"] = str(folder / "store")
        pools = Pools(folder / "store")
        files = make_files(folder)
        for label, path in files.items():
            bench_file(table, label, path, pools, repeat, core)
        bench_pool_sizes(table, pools, files["1 MP JPEG"])
        table.value("file sizes", ", ".join(f"{k} {v.stat().st_size / 1e6:.1f} MB" for k, v in files.items()))
    return table


if __name__ == "__main__":
    main().print()
