"""The nodes ComfyUI loads, keyed by the type saved in workflows (never renamed: saved workflows name it)."""

from image_pool.node.add import ImagePoolAddNode
from image_pool.node.grid import ImagePoolGridNode
from image_pool.node.image_list import ImagePoolListNode

NODE_CLASS_MAPPINGS = {"ImagePoolGrid": ImagePoolGridNode, "ImagePoolList": ImagePoolListNode,
                       "ImagePoolAdd": ImagePoolAddNode}
NODE_DISPLAY_NAME_MAPPINGS = {"ImagePoolGrid": "Image Pool (Grid)", "ImagePoolList": "Image Pool (List)",
                              "ImagePoolAdd": "Add to Image Pool"}
