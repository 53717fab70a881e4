"""What a saved workflow says of its pool, from the workflow ComfyUI hands a node with its prompt (the hidden input
EXTRA_PNGINFO): the frontend keeps the pool's name and count in the node's properties (`image_pool_saved`). A pool
the workflow says held images, and that this store does not have, stops the run with a message naming it; a prompt
without a workflow (the API) keeps the empty pool's rule."""

from typing import Iterator

SAVED = "image_pool_saved"
NODE_TYPES = ("ImagePoolGrid", "ImagePoolList")


def _nodes(workflow: dict) -> Iterator[dict]:
    yield from workflow.get("nodes") or ()
    for subgraph in (workflow.get("definitions") or {}).get("subgraphs") or ():
        if isinstance(subgraph, dict):
            yield from subgraph.get("nodes") or ()


def saved_pool(extra_pnginfo, pool_id: str) -> tuple[str, int] | None:
    """(name, count) the workflow saved for `pool_id`, if a node of ours names it and says it held images."""
    workflow = extra_pnginfo.get("workflow") if isinstance(extra_pnginfo, dict) else None
    if not isinstance(workflow, dict):
        return None
    for node in _nodes(workflow):
        if not isinstance(node, dict) or node.get("type") not in NODE_TYPES:
            continue
        values = node.get("widgets_values")
        values = values.values() if isinstance(values, dict) else values if isinstance(values, list) else ()
        saved = (node.get("properties") or {}).get(SAVED)
        if pool_id in [str(v).lower() for v in values if isinstance(v, str)] and isinstance(saved, dict):
            count = saved.get("count")
            if isinstance(count, int) and count > 0:
                return str(saved.get("name") or ""), count
    return None


def missing_pool_message(node_name: str, pool_id: str, extra_pnginfo) -> str | None:
    saved = saved_pool(extra_pnginfo, pool_id)
    if saved is None:
        return None
    name, count = saved
    return (f"{node_name}: the pool “{name or 'Untitled pool'}” ({count} {'image' if count == 1 else 'images'}) that "
            f"this workflow uses is not in this ComfyUI's store. Import its archive (Export pool in the node's menu "
            f"on the machine that has it), then queue again.")
