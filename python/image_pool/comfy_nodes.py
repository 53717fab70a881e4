"""The nodes ComfyUI loads, keyed by the type saved in workflows (never renamed: saved workflows name it)."""

from .add_node import ImagePoolAddNode
from .list_node import ImagePoolListNode
from .node import ImagePoolGridNode

NODE_CLASS_MAPPINGS = {"ImagePoolGrid": ImagePoolGridNode, "ImagePoolList": ImagePoolListNode,
                       "ImagePoolAdd": ImagePoolAddNode}
NODE_DISPLAY_NAME_MAPPINGS = {"ImagePoolGrid": "Image Pool (Grid)", "ImagePoolList": "Image Pool (List)",
                              "ImagePoolAdd": "Add to Image Pool"}
