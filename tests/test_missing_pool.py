"""A workflow whose pool held images, run where the store has no such pool, stops with a message naming the pool;
an empty or new pool, or a prompt with no workflow (the API), keeps the empty pool's rule."""

import pytest

from image_pool.node import root as root_module
from image_pool.node.grid import ImagePoolGridNode
from image_pool.node.image_list import ImagePoolListNode

from . import imagegen


@pytest.fixture
def store(monkeypatch, root):
    monkeypatch.setenv(root_module.ENV_ROOT, str(root))
    return root_module.pools_for()


def workflow(pool_id, saved, node_type="ImagePoolGrid", nested=False):
    node = {"id": 7, "type": node_type, "widgets_values": [-1, "fixed", pool_id, ""],
            "properties": {"image_pool_saved": saved} if saved is not None else {}}
    if nested:
        return {"workflow": {"nodes": [], "definitions": {"subgraphs": [{"nodes": [node]}]}}}
    return {"workflow": {"nodes": [node]}}


def run_grid(pool_id, extra):
    return ImagePoolGridNode().load(-1, pool_id, "", extra_pnginfo=extra)


def run_list(pool_id, extra):
    return ImagePoolListNode().load(0, 0, pool_id, "", extra_pnginfo=extra)


@pytest.mark.parametrize("run, node_type", [(run_grid, "ImagePoolGrid"), (run_list, "ImagePoolList")])
@pytest.mark.parametrize("nested", [False, True])
def test_a_pool_the_workflow_says_held_images_and_this_store_lacks_stops_the_run(store, pool_id, run, node_type,
                                                                                  nested):
    with pytest.raises(RuntimeError, match="the pool “Trip” \\(12 images\\) that this workflow uses is not in this "
                                           "ComfyUI's store. Import its archive"):
        run(pool_id, workflow(pool_id, {"name": "Trip", "count": 12}, node_type, nested))
    assert not store.exists(pool_id), "nothing is made"


@pytest.mark.parametrize("saved", [None, {"name": "New", "count": 0}, "nonsense", {"count": "12"}])
def test_a_new_or_empty_pool_keeps_the_empty_rule(store, pool_id, saved):
    image, _, index, count, label = run_grid(pool_id, workflow(pool_id, saved))
    assert tuple(image.shape) == (1, 1, 1, 3) and (index, count, label) == (0, 0, "")


def test_without_a_workflow_or_when_the_pool_is_here_it_runs(store, pool_id):
    assert run_grid(pool_id, None)[3] == 0, "an API prompt has no workflow: the empty pool's rule"
    other = "123e4567-e89b-12d3-a456-426614174000"
    assert run_grid(pool_id, workflow(other, {"name": "Other", "count": 3}))[3] == 0, "another node's pool"
    store.add(pool_id, [imagegen.png(seed=1)])
    assert run_grid(pool_id, workflow(pool_id, {"name": "Trip", "count": 12}))[3] == 1
