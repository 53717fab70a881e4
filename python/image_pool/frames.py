"""The picture as the node sees it, with Pillow alone (no torch): the first frame, EXIF-oriented, mode I brought
into 0..255, and its alpha (an alpha band, or a palette's transparency). The built-in decoder, the thumbnails, the
masks and the MaskEditor's copy all take their picture from here, so they agree pixel for pixel."""

from PIL import Image, ImageOps


def first_frame(img: Image.Image) -> Image.Image:
    """The first frame as LoadImage up to ComfyUI 0.3.x sees it: oriented, with mode I brought into 0..255."""
    img.seek(0)
    frame = ImageOps.exif_transpose(img)
    if frame.mode == "I":
        frame = frame.point(lambda v: v * (1 / 255))
    return frame


def alpha_of(frame: Image.Image) -> Image.Image | None:
    """An alpha band, or a palette's transparency; as LoadImage, a tRNS colour key of an L or RGB image is not
    taken as alpha."""
    if "A" in frame.getbands():
        return frame.getchannel("A")
    if frame.mode == "P" and "transparency" in frame.info:
        return frame.convert("RGBA").getchannel("A")
    return None
