"""Run with a ComfyUI's python (IMAGE_POOL_COMFYUI names the checkout). Two jobs:

    python tests/loadimage_figures.py record   add this ComfyUI's LoadImage figures to tests/data/loadimage-figures.json:
                                               per corpus file, the first frame's shape, dtype and a hash of its bytes
    python tests/loadimage_figures.py check    the node inside this ComfyUI against its LoadImage on every corpus file:
                                               equal values, dtype and device; the MaskEditor's copy and IMAGE the
                                               same picture; prints one JSON report, exits 1 on any difference

The CI tier compares the built-in decoder with the recorded figures; the end-to-end tier runs `check` live.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "tests" / "data" / "decoder-corpus"
FIGURES = PROJECT / "tests" / "data" / "loadimage-figures.json"


def figure(tensor) -> dict:
    data = tensor.contiguous().cpu().numpy().tobytes()
    return {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
            "sha256": hashlib.sha256(data).hexdigest()}


def first_frame_figures(image, mask) -> dict:
    """LoadImage's output as the node would take it: the first frame; no mask when LoadImage's is its 64x64
    placeholder for an image without alpha."""
    first = image[:1]
    has_alpha = tuple(mask.shape[1:]) == tuple(first.shape[1:3])
    return {"image": figure(first), "mask": figure(mask[:1]) if has_alpha else None, "frames": int(image.shape[0])}


def start_comfyui(input_dir: Path):
    checkout = Path(os.environ["IMAGE_POOL_COMFYUI"]).resolve()
    sys.path.insert(0, str(checkout))
    import comfy.options
    comfy.options.enable_args_parsing()
    argv, sys.argv = sys.argv, [str(checkout / "main.py"), "--cpu"]  # as `python main.py --cpu` would
    import comfy.cli_args  # noqa: F401  (parses --cpu now)
    sys.argv = argv
    import folder_paths
    folder_paths.set_input_directory(str(input_dir))
    import nodes  # noqa: F401  (ComfyUI's LoadImage)
    try:
        from comfyui_version import __version__ as version
    except ImportError:
        version = "unknown"
    return nodes, version


def record(input_dir: Path) -> int:
    nodes, version = start_comfyui(input_dir)
    loader = nodes.LoadImage()
    figures = {}
    for path in sorted(CORPUS.iterdir()):
        shutil.copy(path, input_dir / path.name)
        try:
            figures[path.name] = first_frame_figures(*loader.load_image(path.name))
        except Exception as e:  # this ComfyUI's LoadImage cannot read the file: that is a figure too
            figures[path.name] = {"error": f"{type(e).__name__}: {e}"}
        figures[path.name]["file_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    recorded = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    recorded[version] = figures
    FIGURES.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(figures)} files for ComfyUI {version} in {FIGURES}")
    return 0


def builtin(pools, slot):
    from image_pool.node.decoded_cache import DecodedCache
    from image_pool.node.imaging import SlotDecoder
    from image_pool.pictures import host
    with host.suspended():
        return SlotDecoder(DecodedCache()).load(pools.objects, slot)


def check(input_dir: Path) -> int:
    import numpy as np
    import torch
    from PIL import Image

    nodes, version = start_comfyui(input_dir)
    spec = importlib.util.spec_from_file_location("image_pool_entry", PROJECT / "__init__.py",
                                                  submodule_search_locations=[str(PROJECT)])
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)  # installs this ComfyUI's LoadImage as the decoder, as ComfyUI's import does
    from image_pool.api.editor_copy import editor_copy
    from image_pool.node import grid as node_module
    from image_pool.node.root import pools_for

    pools, pool_id = pools_for(), str(uuid.uuid4())
    grid, loader = entry.NODE_CLASS_MAPPINGS["ImagePoolGrid"](), nodes.LoadImage()
    report = {"comfyui": version, "files": {}, "problems": []}
    names = sorted(p.name for p in CORPUS.iterdir())
    for path in sorted(CORPUS.iterdir()):
        shutil.copy(path, input_dir / path.name)
    pools.add(pool_id, [CORPUS / n for n in names])
    for index, name in enumerate(names):
        image, mask, used, count, _ = grid.load(index, pool_id)
        try:
            core_image, core_mask = loader.load_image(name)
        except Exception as e:  # the host cannot read it: the node must serve the built-in decode instead
            core_image, core_mask = builtin(pools, pools.load(pool_id).slots[index])
            report.setdefault("host_failed", {})[name] = f"{type(e).__name__}: {e}"
        expected_image = core_image[:1]
        has_alpha = tuple(core_mask.shape[1:]) == tuple(expected_image.shape[1:3])
        expected_mask = core_mask[:1] if has_alpha else torch.zeros_like(expected_image[..., 0])
        same = {"image": bool(torch.equal(image, expected_image)), "mask": bool(torch.equal(mask, expected_mask)),
                "dtype": image.dtype == expected_image.dtype and mask.dtype == expected_mask.dtype,
                "device": image.device == expected_image.device and mask.device == expected_mask.device,
                "index": used == index and count == len(names)}
        slot = pools.load(pool_id).slots[index]
        copy = np.asarray(Image.open(editor_copy(pools, pool_id, slot.id)).convert("RGB"))
        shown = np.clip(np.rint(image[0].float().cpu().numpy() * 255), 0, 255).astype(np.uint8)
        same["editor_copy"] = copy.shape == shown.shape and int(np.abs(copy.astype(int) - shown).max()) == 0
        again, _, _, _, _ = grid.load(index, pool_id)
        same["cached"] = bool(torch.equal(again, image))
        report["files"][name] = same
        report["problems"] += [f"{name}: {what}" for what, ok in same.items() if not ok]
    report["cache_hits"] = node_module.decoder.cache.hits
    if report["cache_hits"] < len(names):
        report["problems"].append("the decoded cache was not used")
    print(json.dumps(report, indent=1))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="image-pool-figures-") as tmp:
        folder = Path(tmp) / "input"
        folder.mkdir()
        sys.exit({"record": record, "check": check}[sys.argv[1]](folder))
