"""The node: selection rule, empty pools, outputs, and the cache-exact fingerprint."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from image_pool.node import grid as node_module
from image_pool.node.grid import ImagePoolGridNode, fingerprint
from image_pool.node.mappings import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from image_pool.pools.pools import Pools

from . import imagegen


@pytest.fixture
def pool(root, pool_id, monkeypatch):
    """A pool of three distinguishable 24x32 images labelled a, b, c, served where the node looks."""
    monkeypatch.setenv("IMAGE_POOL_ROOT", str(root))
    pools = Pools(root)
    _, slot_ids = pools.add(pool_id, [imagegen.png(seed=s) for s in range(3)], labels=["a", "b", "c"])
    return pools, slot_ids


def run(index=-1, pool_id="", slot_id=""):
    return ImagePoolGridNode().load(index, pool_id, slot_id)


def test_node_is_registered_as_comfyui_expects():
    assert NODE_CLASS_MAPPINGS["ImagePoolGrid"] is ImagePoolGridNode
    assert NODE_DISPLAY_NAME_MAPPINGS["ImagePoolGrid"] == "Image Pool (Grid)"
    assert ImagePoolGridNode.CATEGORY == "image"
    assert ImagePoolGridNode.RETURN_TYPES == ("IMAGE", "MASK", "INT", "INT", "STRING")
    assert ImagePoolGridNode.RETURN_NAMES == ("IMAGE", "MASK", "index", "count", "label")
    inputs = ImagePoolGridNode.INPUT_TYPES()
    kind, options = inputs["required"]["index"]
    assert kind == "INT" and options["default"] == -1 and options["min"] == -1
    assert options["control_after_generate"] is True
    assert inputs["required"]["pool_id"][0] == "STRING"
    assert inputs["optional"]["slot_id"][0] == "STRING"


def test_follows_slot_id_then_active_then_first(pool, pool_id):
    pools, (a, b, c) = pool
    assert run(-1, pool_id, b)[2:] == (1, 3, "b"), "slot_id chosen when the prompt was queued"
    pools.set_active(pool_id, c)
    assert run(-1, pool_id, "")[2:] == (2, 3, "c"), "no slot_id: the pool's active slot"
    assert run(-1, pool_id, "s-00000000")[2:] == (2, 3, "c"), "a slot_id no longer in the pool: active"
    pools.remove(pool_id, c)
    pools.set_active(pool_id, a)
    manifest = pools.load(pool_id)
    manifest.active = None
    assert manifest.select(-1, "").index == 0, "neither: slot 0"


def test_two_nodes_sharing_a_pool_keep_their_own_selection(pool, pool_id):
    _, (a, b, c) = pool
    assert run(-1, pool_id, a)[4] == "a" and run(-1, pool_id, c)[4] == "c"


def test_forced_index_is_clamped(pool, pool_id):
    _, (a, b, c) = pool
    assert run(1, pool_id, a)[2:] == (1, 3, "b"), "index >= 0 wins over the grid"
    assert run(99, pool_id)[2:] == (2, 3, "c")
    assert run(0, pool_id)[2:] == (0, 3, "a")


def test_outputs_are_the_chosen_image_and_mask(pool, pool_id, write):
    pools, (a, b, c) = pool
    mask = np.zeros((24, 32), bool)
    mask[3:6, 4:9] = True
    pools.set_mask(pool_id, b, mask)
    image, out_mask, index, count, label = run(-1, pool_id, b)
    expected = torch.from_numpy(imagegen.noise(24, 32, 3, seed=1).astype(np.float32) / 255.0)[None]
    assert torch.equal(image, expected)
    assert out_mask.shape == (1, 24, 32) and torch.equal(out_mask[0].bool(), torch.from_numpy(mask))
    image, out_mask, *_ = run(-1, pool_id, a)
    assert not out_mask.any(), "no mask drawn: zeros of the image's size"


@pytest.mark.parametrize("pool_name", ["empty", "unknown", "blank", "malformed"])
def test_empty_or_unknown_pool_gives_a_black_pixel(root, monkeypatch, pool_id, pool_name):
    monkeypatch.setenv("IMAGE_POOL_ROOT", str(root))
    if pool_name == "empty":
        pools = Pools(root)
        _, (only,) = pools.add(pool_id, [imagegen.png()])
        pools.remove(pool_id, only)
    given = {"empty": pool_id, "unknown": pool_id, "blank": "", "malformed": "not-a-uuid"}[pool_name]
    image, mask, index, count, label = run(-1, given)
    assert image.shape == (1, 1, 1, 3) and not image.any() and image.dtype == torch.float32
    assert mask.shape == (1, 1, 1) and not mask.any()
    assert (index, count, label) == (0, 0, "")


def test_malformed_pool_id_is_refused_with_a_clear_message():
    assert ImagePoolGridNode.VALIDATE_INPUTS(pool_id="") is True
    assert ImagePoolGridNode.VALIDATE_INPUTS(pool_id="123e4567-e89b-12d3-a456-426614174000") is True
    message = ImagePoolGridNode.VALIDATE_INPUTS(pool_id="../../etc")
    assert isinstance(message, str) and "pool_id must be a UUID" in message


def test_missing_object_raises_naming_pool_slot_and_hash(pool, pool_id):
    pools, (a, b, c) = pool
    key = pools.load(pool_id).slot(b).image
    node_module.decoder.cache.clear()
    path = pools.objects.path(key)
    path.unlink()
    with pytest.raises(RuntimeError) as error:
        run(-1, pool_id, b)
    assert pool_id in str(error.value) and b in str(error.value) and key in str(error.value)


def test_unreadable_object_raises(pool, pool_id):
    pools, (a, b, c) = pool
    key = pools.load(pool_id).slot(c).image
    node_module.decoder.cache.clear()
    path = pools.objects.path(key)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(RuntimeError, match=key):
        run(2, pool_id)


# ----- the fingerprint ------------------------------------------------------------------------------------

def test_fingerprint_reads_no_image(pool, pool_id, monkeypatch):
    from PIL import Image
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("IS_CHANGED opened an image"))
    import image_pool.store.objects as store
    monkeypatch.setattr(store, "hash_file", lambda *a: pytest.fail("IS_CHANGED hashed a file"))
    assert ImagePoolGridNode.IS_CHANGED(index=-1, pool_id=pool_id, slot_id="")


def test_fingerprint_is_stable_when_nothing_changed(pool, pool_id):
    _, (a, b, c) = pool
    assert fingerprint(-1, pool_id, b) == fingerprint(-1, pool_id, b)


@pytest.mark.parametrize("change", ["mask", "label", "reorder-moves-chosen", "add", "remove-other", "clear-mask"])
def test_fingerprint_changes_when_the_output_would(pool, pool_id, change):
    pools, (a, b, c) = pool
    if change == "clear-mask":
        pools.set_mask(pool_id, b, np.ones((24, 32), bool))
    before = fingerprint(-1, pool_id, b)
    {
        "mask": lambda: pools.set_mask(pool_id, b, np.ones((24, 32), bool)),
        "label": lambda: pools.set_label(pool_id, b, "new"),
        "reorder-moves-chosen": lambda: pools.reorder(pool_id, [b, a, c]),
        "add": lambda: pools.add(pool_id, [imagegen.png(seed=99)]),
        "remove-other": lambda: pools.remove(pool_id, a),
        "clear-mask": lambda: pools.set_mask(pool_id, b, None),
    }[change]()
    assert fingerprint(-1, pool_id, b) != before


@pytest.mark.parametrize("change", ["mask-other", "label-other", "active", "reorder-others-only", "detach"])
def test_fingerprint_holds_when_only_an_unchosen_slot_changes(pool, pool_id, change):
    pools, (a, b, c) = pool
    pools.reorder(pool_id, [a, b, c])
    before = fingerprint(-1, pool_id, a)
    {
        "mask-other": lambda: pools.set_mask(pool_id, c, np.ones((24, 32), bool)),
        "label-other": lambda: pools.set_label(pool_id, b, "other"),
        "active": lambda: pools.set_active(pool_id, c),  # this node carries its own slot_id
        "reorder-others-only": lambda: pools.reorder(pool_id, [a, c, b]),
        "detach": lambda: pools.detach(pool_id),
    }[change]()
    assert fingerprint(-1, pool_id, a) == before


def test_fingerprint_follows_the_forced_index(pool, pool_id):
    pools, (a, b, c) = pool
    assert fingerprint(0, pool_id) != fingerprint(1, pool_id)
    assert fingerprint(5, pool_id) == fingerprint(2, pool_id), "clamped to the same slot"
    before = fingerprint(1, pool_id)
    pools.set_label(pool_id, a, "changed")
    assert fingerprint(1, pool_id) == before, "a change to slot 0 does not touch a node forced to slot 1"


def test_a_remembered_fingerprint_follows_a_change_made_by_another_process(pool, pool_id, root):
    _, (a, b, c) = pool
    before = fingerprint(-1, pool_id, b)
    assert fingerprint(-1, pool_id, b) == before  # remembered now
    code = ("import sys; from image_pool.pools.pools import Pools; "
            "Pools(sys.argv[1]).set_label(sys.argv[2], sys.argv[3], 'set elsewhere')")
    subprocess.run([sys.executable, "-c", code, str(root), pool_id, b], check=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "python")})
    assert fingerprint(-1, pool_id, b).endswith("|set elsewhere")


def test_a_run_checks_its_pool_id_once_per_call_comfyui_makes(pool, pool_id, monkeypatch):
    """ComfyUI asks IS_CHANGED, then runs load: each checks the widget's pool id once and looks up the store once."""
    from image_pool.store import ids
    calls = {"check": 0, "store": 0}
    real_pattern, real_pools_for = ids.POOL_ID_RE, node_module.pools_for

    class Counting:
        def fullmatch(self, value):
            calls["check"] += 1
            return real_pattern.fullmatch(value)

    def counting_pools_for(*args):
        calls["store"] += 1
        return real_pools_for(*args)
    monkeypatch.setattr(ids, "POOL_ID_RE", Counting())
    monkeypatch.setattr(node_module, "pools_for", counting_pools_for)
    ImagePoolGridNode.IS_CHANGED(-1, pool_id.upper(), "")
    assert calls == {"check": 1, "store": 1}
    _, _, index, count, label = ImagePoolGridNode().load(-1, pool_id.upper(), "")
    assert (index, count, label) == (0, 3, "a") and calls == {"check": 2, "store": 2}
