"""Core benchmark: fingerprint, cold and warm execute, add, against the host's LoadImage measured in the same run.

The baseline is a real ComfyUI's LoadImage (its IS_CHANGED and its decode), imported from the checkout named by
IMAGE_POOL_COMFYUI; run.py starts this benchmark with IMAGE_POOL_COMFYUI_PYTHON. The node then decodes as it does
inside that ComfyUI (through its LoadImage). Without a ComfyUI, only the rows that need no LoadImage are measured.
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table, cpu, fmt_time, interleaved, spread, wall  # noqa: E402
from image_pool.node import grid as node  # noqa: E402
from image_pool.node.image_list import list_fingerprint  # noqa: E402
from image_pool.pools.parsed_manifests import SETTLE_NS, STAMP_NS, generation_mtime, parsed  # noqa: E402
from image_pool.pools.pools import Pools  # noqa: E402
from image_pool.store.atomic import write_atomic_each  # noqa: E402
from image_pool.store.objects import StoredObject  # noqa: E402


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
    files = {"1 MP JPEG": folder / "onemp.jpg", "4K PNG": folder / "uhd.png", "24 MP JPEG": folder / "big.jpg"}
    photo_like(1280, 800, 2).save(files["1 MP JPEG"], quality=92)
    photo_like(3840, 2160, 1).save(files["4K PNG"], compress_level=6)
    photo_like(6000, 4000, 3).save(files["24 MP JPEG"], quality=92)
    return files


def bench_file(table: Table, label: str, path: Path, pools: Pools, core: HostLoadImage | None,
               is_changed_target: float | None, pairs: int) -> None:
    pool_id = str(uuid.uuid4())
    pools.add(pool_id, [path])
    run = lambda: node.ImagePoolGridNode().load(-1, pool_id, "")  # noqa: E731
    clear = node.decoder.cache.clear
    if core is None:
        table.value(f"{label}: execute cold", f"{fmt_time(interleaved(run, run, 1, setup=clear).ours[0])} "
                    "(no LoadImage to compare with)")
    else:
        def forget_parsed():  # as after another process's change: the parsed manifest is not remembered
            parsed.clear()
        fingerprint = interleaved(lambda: node.fingerprint(-1, pool_id, ""), lambda: core.is_changed(path),
                                  setup=forget_parsed, pairs=pairs)
        if is_changed_target:
            table.speedup(f"{label}: fingerprint (manifest parsed) vs LoadImage.IS_CHANGED", fingerprint,
                          is_changed_target, "IS_CHANGED")
        else:
            table.value(f"{label}: fingerprint (manifest parsed) vs LoadImage.IS_CHANGED",
                        f"{1 / fingerprint.ratio:,.0f}x faster")
        host_decode = lambda: core.load_image(path)  # noqa: E731
        cold_pairs = pairs * 2 if label == "1 MP JPEG" else pairs  # a 10 ms decode: more pairs against the noise
        table.target(f"{label}: execute cold", interleaved(run, host_decode, cold_pairs, setup=clear), 1.03,
                     "LoadImage")
        table.target(f"{label}: execute cold, process CPU time", interleaved(
            run, host_decode, cold_pairs, setup=clear, measure=cpu), 1.03, "LoadImage")
    ordinary = run()[0].clone()  # the cache now holds the image; `ordinary` is a plain tensor of the same values
    slot = node.choose(node.pools_for(), -1, pool_id, "").slot
    hit = lambda: node.decoder.load(node.pools_for().objects, slot)  # noqa: E731  (the decoded cache alone)
    table.within(f"{label}: a decoded-cache hit, back to back", [wall(hit) for _ in range(51)], 1e-4)
    table.target(f"{label}: a decoded-cache hit, then a full read", interleaved(
        lambda: hit()[0].sum(), ordinary.sum, 51), 1.1, "the read of a plain tensor")
    whole = interleaved(lambda: run()[0].sum(), ordinary.sum, 51)
    table.value(f"{label}: the node's whole warm run (one stat of the manifest, the choice, the hit), then a full read",
                f"{fmt_time(statistics.median([wall(run) for _ in range(51)]))} a run; with the read "
                f"{spread(whole.ours)} vs {spread(whole.baseline)}: {whole.ratio:.2f}x")

    copy_target = path.parent / "copy.bin"
    def fresh_add():
        # new bytes every time (a trailing byte), so the store really writes an object
        fresh_add.n += 1
        pools.objects.put_file(variant(path, fresh_add.n))
    fresh_add.n = 0
    add = interleaved(fresh_add, lambda: shutil.copyfile(path, copy_target), 3)
    table.value(f"{label}: add (hash, validate, durable write)", f"{spread(add.ours)} vs {spread(add.baseline)} for "
                f"a plain copy ({add.ratio:.1f}x: add decodes the image to refuse damaged files)")


def variant(path: Path, n: int) -> Path:
    """The same picture with one extra byte at the end, so its hash differs (decoders ignore trailing bytes)."""
    out = path.parent / f"variant{path.suffix}"
    shutil.copyfile(path, out)
    with open(out, "ab") as f:
        f.write(n.to_bytes(4, "big"))
    return out


def changed_elsewhere(pools: Pools, pool_id: str) -> None:
    """What another process (the server) does to the pool: a new generation with one label changed."""
    path = pools.pool_dir(pool_id) / "manifest.json"
    data = json.loads(path.read_bytes())
    changed_elsewhere.n += 1
    data["slots"][changed_elsewhere.n % len(data["slots"])]["label"] = f"changed {changed_elsewhere.n}"
    write_atomic_each([path], json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
                      mtime_ns=generation_mtime(path.stat().st_mtime_ns))


changed_elsewhere.n = 0


def bench_pool_sizes(table: Table, pools: Pools, key_source: Path) -> None:
    stored = pools.objects.put_file(key_source)
    unchanged, pool_ids = {}, {}
    for size in (10, 1_000, 10_000):
        pool_id = pool_ids[size] = str(uuid.uuid4())
        pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * size,
                          labels=[f"a caption of some length, number {i}" for i in range(size)])
        fingerprint = lambda: node.fingerprint(-1, pool_id, "")  # noqa: E731
        fingerprint()
        unchanged[size] = fingerprint
        if size >= 1_000:
            path = pools.pool_dir(pool_id) / "manifest.json"
            table.target(f"fingerprint after another process changed a {size:,}-slot pool", interleaved(
                fingerprint, lambda: json.loads(path.read_bytes()), 9,
                setup=lambda: changed_elsewhere(pools, pool_id)), 1.5, "json.loads of the manifest")
    table.target("fingerprint of an unchanged pool: 10,000 slots vs 10", interleaved(
        unchanged[10_000], unchanged[10], 51), 2, "10 slots")
    for size in (10, 10_000):
        list_fingerprint(pool_ids[size])  # worked out once per generation
    table.target("Image Pool (List): fingerprint of an unchanged pool, every slot chosen: 10,000 slots vs 10",
                 interleaved(lambda: list_fingerprint(pool_ids[10_000]), lambda: list_fingerprint(pool_ids[10]), 51),
                 2, "10 slots")
    bench_foreign_manifests(table, pools, stored)


MTIME_UNITS = {"ns": 1, "100 ns (NTFS)": 100, "1 s": 1_000_000_000}


def written_by_another_tool(path: Path, unit_ns: int) -> None:
    """A manifest as a restored backup or `cp` leaves it: a new file with no writer's stamp, its mtime in `unit_ns`."""
    copy = path.with_name("restored.json")
    shutil.copyfile(path, copy)
    os.replace(copy, path)
    mtime = time.time_ns() // unit_ns * unit_ns
    mtime += unit_ns if mtime % 1000 == STAMP_NS else 0
    os.utime(path, ns=(mtime, mtime))


def bench_foreign_manifests(table: Table, pools: Pools, stored) -> None:
    """An unchanged pool whose manifest another tool wrote is one stat too, once it has settled (parsed_manifests)."""
    pools_by_unit = {}
    for unit_name, unit in MTIME_UNITS.items():
        for size in (10, 10_000):
            pool_id = str(uuid.uuid4())
            pools.add_objects(pool_id, [StoredObject(stored.key, stored.info, False)] * size,
                              labels=[f"a caption of some length, number {i}" for i in range(size)])
            written_by_another_tool(pools.pool_dir(pool_id) / "manifest.json", unit)
            pools_by_unit[unit_name, size] = pool_id
    time.sleep(SETTLE_NS / 1e9)  # until the last change to each file lies a settle period back
    for unit_name in MTIME_UNITS:
        small, large = (pools_by_unit[unit_name, size] for size in (10, 10_000))
        for pool_id in (small, large):
            node.fingerprint(-1, pool_id, "")
        table.target(f"fingerprint of an unchanged pool written by another tool, mtime in {unit_name}: 10,000 "
                     f"slots vs 10", interleaved(lambda: node.fingerprint(-1, large, ""),
                                                 lambda: node.fingerprint(-1, small, ""), 51), 2, "10 slots")


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory(table: Table, pools: Pools, folder: Path) -> None:
    """Switching between two 2048² images, holding only the last output as ComfyUI does: what the process grows by,
    against the decoded bytes the cache says it holds."""
    node.decoder.cache.clear()
    pool_id = str(uuid.uuid4())
    paths = [folder / f"switch{i}.png" for i in range(2)]
    for i, path in enumerate(paths):
        picture = photo_like(2048, 2048, 10 + i)
        picture.putalpha(200)  # an alpha mask too, so both outputs are decoded
        picture.save(path, compress_level=1)
    _, slot_ids = pools.add(pool_id, paths)
    import gc
    gc.collect()
    before = resident_bytes()
    last = None
    for i in range(10):
        last = node.ImagePoolGridNode().load(-1, pool_id, slot_ids[i % 2])
    grown = resident_bytes() - before
    held = node.decoder.cache.stats().bytes
    table.value("memory: switching between two 2048² RGBA PNGs ten times, the last output held",
                f"the process grew by {grown / 2**20:,.0f} MiB; the cache holds {held / 2**20:,.0f} MiB "
                f"({grown / held:.2f}x what it holds; the decoded images are {held / 2**20:,.0f} MiB)")
    del last


def bench_add_node(table: Table, core: "HostLoadImage | None", folder: Path, pairs: int) -> None:
    """Add to Image Pool against the host's SaveImage on the same batch (4 images of 1 MP): both encode PNG at the
    same level; ours also hashes, fsyncs and publishes one manifest. Each run gets new pixels (a pool skips images it
    holds), made untimed."""
    import torch

    from image_pool.node.add import ImagePoolAddNode
    batches = iter(range(10_000))

    def fresh() -> torch.Tensor:
        seed = next(batches)
        return torch.from_numpy(np.stack([np.asarray(photo_like(1024, 1024, seed * 4 + i)) for i in range(4)])
                                ).float() / 255.0
    made = {}
    ours = lambda: ImagePoolAddNode().add(made["ours"], "bench results")  # noqa: E731
    if core is None:
        made["ours"] = fresh()
        table.value("Add to Image Pool, 4 × 1 MP", f"{fmt_time(wall(ours))} (no SaveImage to compare with)")
        return
    import folder_paths
    import nodes
    folder_paths.set_output_directory(str(folder / "output"))
    save = lambda: nodes.SaveImage().save_images(made["theirs"], "bench")  # noqa: E731
    table.target("Add to Image Pool vs SaveImage, 4 × 1 MP", interleaved(
        ours, save, pairs, setup=lambda: made.update(ours=fresh()), baseline_setup=lambda: made.update(theirs=fresh())),
        1.25, "SaveImage")


def main(pairs: int = 11) -> Table:  # more than timing.PAIRS: a busy machine makes cold runs noisy
    table = Table("Core: node and store", "python bench/run.py core")
    with tempfile.TemporaryDirectory(prefix="image-pool-bench-") as tmp:
        folder = Path(tmp)
        core = HostLoadImage(folder) if os.environ.get("IMAGE_POOL_COMFYUI") else None
        table.value("baseline", f"ComfyUI {core.version} LoadImage, imported from IMAGE_POOL_COMFYUI" if core else
                    "no LoadImage rows: set IMAGE_POOL_COMFYUI (and IMAGE_POOL_COMFYUI_PYTHON) to a ComfyUI")
        os.environ["IMAGE_POOL_ROOT"] = str(folder / "store")
        pools = Pools(folder / "store")
        files = make_files(folder)
        for label, path in files.items():
            bench_file(table, label, path, pools, core, 50 if label == "4K PNG" else None, pairs)
        bench_pool_sizes(table, pools, files["1 MP JPEG"])
        bench_add_node(table, core, folder, pairs)
        bench_memory(table, pools, folder)
        table.value("file sizes", ", ".join(f"{k} {v.stat().st_size / 1e6:.1f} MB" for k, v in files.items()))
    return table


if __name__ == "__main__":
    main().print()
