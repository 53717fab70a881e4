import json
import uuid

import numpy as np
import pytest

from image_pool.errors import BadRequest, MaskSizeMismatch, NotAnImage, StaleReorder, UnknownSlot
from image_pool.pools.manifest import MAX_LABEL
from image_pool.pools.pools import Pools

from . import imagegen
from .conftest import tree_snapshot


def ids_of(manifest):
    return [s.id for s in manifest.slots]


def test_unknown_pool_is_empty_and_creates_nothing(pools, pool_id, root):
    manifest = pools.load(pool_id)
    assert (manifest.pool_id, manifest.revision, manifest.slots, manifest.active) == (pool_id, 0, (), None)
    assert not root.exists()


def test_add_paths_and_bytes(pools, pool_id, write):
    path = write("cat.png", imagegen.png(seed=1))
    manifest, new = pools.add(pool_id, [path, imagegen.jpeg(seed=2)], labels=["a cat", ""])
    assert ids_of(manifest) == new and manifest.revision == 1
    cat, jpg = manifest.slots
    assert (cat.name, cat.label, cat.width, cat.height, cat.mask) == ("cat.png", "a cat", 32, 24, None)
    assert jpg.image.endswith(".jpg") and jpg.name == ""
    assert manifest.active == cat.id, "the first image added becomes active"
    assert pools.load(pool_id).to_json() == manifest.to_json()


def test_same_bytes_twice_are_two_slots_but_one_object(pools, pool_id):
    data = imagegen.png(seed=5)
    manifest, new = pools.add(pool_id, [data, data])
    assert len(set(new)) == 2
    assert manifest.slots[0].image == manifest.slots[1].image
    assert len(list(pools.objects.keys())) == 1


def test_same_bytes_in_ten_pools_store_one_file(pools):
    data = imagegen.png(seed=9)
    for _ in range(10):
        pools.add(str(uuid.uuid4()), [data])
    assert len(pools.pool_ids()) == 10 and len(list(pools.objects.keys())) == 1


def test_add_refuses_a_non_image_and_changes_nothing(pools, pool_id, root, three_pngs):
    pools.add(pool_id, three_pngs[:1])
    before = tree_snapshot(root)
    with pytest.raises(NotAnImage):
        pools.add(pool_id, [three_pngs[1], b"<svg/>"])
    after = tree_snapshot(root)
    # the good file of the batch may stand as an unreferenced object for gc; nothing else may change
    assert {k: v for k, v in after.items() if not k.startswith("objects/")} == \
           {k: v for k, v in before.items() if not k.startswith("objects/")}
    assert pools.load(pool_id).count == 1


def test_remove_keeps_objects_and_moves_active_to_a_neighbour(pools, pool_id, three_pngs):
    manifest, (a, b, c) = pools.add(pool_id, three_pngs)
    pools.set_active(pool_id, b)
    manifest = pools.remove(pool_id, b)
    assert ids_of(manifest) == [a, c] and manifest.active == c
    assert len(list(pools.objects.keys())) == 3
    manifest = pools.remove(pool_id, c)
    assert manifest.active == a
    manifest = pools.remove(pool_id, a)
    assert manifest.slots == () and manifest.active is None


def test_operations_on_unknown_slot_are_404_and_change_nothing(pools, pool_id, root, three_pngs):
    pools.add(pool_id, three_pngs)
    before = tree_snapshot(root)
    for call in (lambda: pools.remove(pool_id, "s-00000000"), lambda: pools.set_active(pool_id, "s-00000000"),
                 lambda: pools.set_label(pool_id, "s-00000000", "x"),
                 lambda: pools.set_mask(pool_id, "s-00000000", None)):
        with pytest.raises(UnknownSlot):
            call()
    assert tree_snapshot(root) == before


def test_set_active(pools, pool_id, three_pngs):
    _, (a, b, c) = pools.add(pool_id, three_pngs)
    assert pools.set_active(pool_id, c).active == c
    assert pools.load(pool_id).active == c


def test_label_is_text_and_limited(pools, pool_id, three_pngs):
    _, (a, *_) = pools.add(pool_id, three_pngs)
    html = "<img src=x onerror=alert(1)> & friends"
    assert pools.set_label(pool_id, a, html).slot(a).label == html
    assert pools.set_label(pool_id, a, "line\nbreak\x00").slot(a).label == "line break"
    with pytest.raises(BadRequest):
        pools.set_label(pool_id, a, "x" * (MAX_LABEL + 1))
    with pytest.raises(BadRequest):
        pools.set_label(pool_id, a, 42)
    assert pools.load(pool_id).slot(a).label == "line break", "a refused label changes nothing"


def test_set_and_clear_mask(pools, pool_id, three_pngs):
    _, (a, b, _) = pools.add(pool_id, three_pngs)
    mask = np.zeros((24, 32), dtype=bool)
    mask[2:5, 3:9] = True
    manifest = pools.set_mask(pool_id, a, mask)
    key = manifest.slot(a).mask
    assert key and key.endswith(".png") and manifest.slot(b).mask is None
    with pools.objects.open(key) as f:
        from PIL import Image
        stored = Image.open(f)
        assert stored.mode == "L" and stored.size == (32, 24)
        assert (np.asarray(stored) == mask * 255).all()
    assert pools.set_mask(pool_id, a, np.zeros((24, 32), np.uint8)).slot(a).mask is None, "all zeros clears"
    pools.set_mask(pool_id, a, mask)
    assert pools.set_mask(pool_id, a, None).slot(a).mask is None


def test_same_mask_on_two_slots_is_one_object(pools, pool_id, three_pngs):
    _, (a, b, _) = pools.add(pool_id, three_pngs)
    mask = np.ones((24, 32), np.float32)
    manifest = pools.set_mask(pool_id, a, mask)
    manifest = pools.set_mask(pool_id, b, mask)
    assert manifest.slot(a).mask == manifest.slot(b).mask


def test_mask_of_wrong_size_is_refused(pools, pool_id, root, three_pngs):
    _, (a, *_) = pools.add(pool_id, three_pngs)
    before = tree_snapshot(root)
    with pytest.raises(MaskSizeMismatch):
        pools.set_mask(pool_id, a, np.ones((32, 24), bool))
    with pytest.raises(BadRequest):
        pools.set_mask(pool_id, a, np.ones((24, 32, 3), bool))
    assert tree_snapshot(root) == before


def test_reorder_is_a_permutation_or_409(pools, pool_id, root, three_pngs):
    _, (a, b, c) = pools.add(pool_id, three_pngs)
    assert ids_of(pools.reorder(pool_id, [c, a, b])) == [c, a, b]
    before = tree_snapshot(root)
    for stale in ([a, b], [a, b, c, c], [a, b, "s-00000000"], [a, a, b]):
        with pytest.raises(StaleReorder):
            pools.reorder(pool_id, stale)
    with pytest.raises(BadRequest):
        pools.reorder(pool_id, "abc")
    assert tree_snapshot(root) == before


def test_slot_ids_are_stable_across_reorder_and_remove(pools, pool_id, three_pngs):
    manifest, (a, b, c) = pools.add(pool_id, three_pngs)
    images = {s.id: s.image for s in manifest.slots}
    pools.reorder(pool_id, [b, c, a])
    manifest = pools.remove(pool_id, c)
    assert {s.id: s.image for s in manifest.slots} == {a: images[a], b: images[b]}


def test_detach_copies_the_manifest_and_shares_objects(pools, pool_id, three_pngs):
    _, (a, b, c) = pools.add(pool_id, three_pngs)
    pools.set_mask(pool_id, b, np.ones((24, 32), bool))
    pools.set_active(pool_id, c)
    objects_before = sorted(pools.objects.keys())
    source = pools.load(pool_id)
    copy = pools.detach(pool_id)
    assert copy.pool_id != pool_id and uuid.UUID(copy.pool_id)
    assert copy.slots == source.slots and copy.active == c
    assert sorted(pools.objects.keys()) == objects_before
    pools.remove(copy.pool_id, a)
    assert pools.load(pool_id).count == 3, "the two pools are independent"


def test_every_mutation_is_a_new_generation_and_old_ones_are_pruned(root, pool_id):
    pools = Pools(root, history_keep=5)
    _, (a,) = pools.add(pool_id, [imagegen.png()])
    for n in range(9):
        pools.set_label(pool_id, a, f"label {n}")
    assert pools.load(pool_id).revision == 10
    assert pools.generations(pool_id) == [6, 7, 8, 9, 10]
    assert pools.load_generation(pool_id, 7).slot(a).label == "label 5"


def test_list_pools(pools):
    ids = sorted(str(uuid.uuid4()) for _ in range(3))
    for pid in ids:
        pools.add(pid, [imagegen.png()])
    (pools.pools_dir / "not-a-uuid").mkdir()
    assert pools.pool_ids() == ids
    assert [m.count for m in pools.manifests()] == [1, 1, 1]


@pytest.mark.parametrize("bad", ["nope", "../x", "", None, "123e4567e89b12d3a456426614174000/.."])
def test_bad_pool_id_rejected(pools, bad):
    with pytest.raises(BadRequest):
        pools.load(bad)
    with pytest.raises(BadRequest):
        pools.add(bad, [imagegen.png()])


def test_pool_id_case_is_folded(pools, pool_id):
    pools.add(pool_id.upper(), [imagegen.png()])
    assert pools.load(pool_id).count == 1


# ----- recovery ---------------------------------------------------------------------------------------------

@pytest.fixture
def pool_with_history(pools, pool_id, three_pngs):
    _, (a, b, c) = pools.add(pool_id, three_pngs)
    pools.set_label(pool_id, a, "kept")
    return pools.load(pool_id)


def damage(pools, pool_id, content):
    path = pools.pool_dir(pool_id) / "manifest.json"
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)


@pytest.mark.parametrize("content", [
    pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
    pytest.param(lambda good: b"", id="empty"),
    pytest.param(lambda good: b"{not json", id="invalid-json"),
    pytest.param(lambda good: good.replace(b'"format":1', b'"format":99'), id="wrong-format"),
    pytest.param(lambda good: None, id="missing"),
])
def test_damaged_manifest_is_recovered_from_newest_valid_generation(pools, pool_id, pool_with_history, content, caplog):
    good = (pools.pool_dir(pool_id) / "manifest.json").read_bytes()
    damage(pools, pool_id, content(good))
    recovered = pools.load(pool_id)
    assert recovered.to_json() == pool_with_history.to_json()
    assert "recovered generation 2" in caplog.text
    # the next mutation continues from the recovered state and repairs the manifest
    pools.set_label(pool_id, recovered.slots[1].id, "after")
    assert pools.load(pool_id).revision == 3
    assert json.loads((pools.pool_dir(pool_id) / "manifest.json").read_bytes())["revision"] == 3


def test_damaged_newest_generation_falls_back_to_an_older_one(pools, pool_id, pool_with_history):
    damage(pools, pool_id, b"garbage")
    (pools.pool_dir(pool_id) / "history" / "2.json").write_bytes(b"garbage too")
    recovered = pools.load(pool_id)
    assert recovered.revision == 1 and recovered.slots[0].label == ""


def test_damaged_manifest_with_no_history_opens_empty_and_deletes_nothing(pools, pool_id, pool_with_history, root,
                                                                         caplog):
    damage(pools, pool_id, b"garbage")
    for path in (pools.pool_dir(pool_id) / "history").iterdir():
        path.unlink()
    before = tree_snapshot(root)
    manifest = pools.load(pool_id)
    assert manifest.slots == () and "it opens empty" in caplog.text
    assert tree_snapshot(root) == before
