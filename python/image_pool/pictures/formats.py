"""Which files are images we accept, what they are, and how big they really are.

Only the raster formats below are ever opened (Pillow is told so), so an SVG, HTML or any other
file is refused whatever its name. Pillow's decompression-bomb guard stays on; our own pixel limit
is checked before any pixel is decoded.
"""

import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, UnidentifiedImageError

from image_pool.errors import NotAnImage, TooLarge

# Pillow's format name -> the extension an object key carries. MPO is what Pillow calls
# JPEGs from many phones and cameras (several pictures in one file).
FORMAT_EXTENSION = {"PNG": "png", "JPEG": "jpg", "MPO": "jpg", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif", "GIF": "gif"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "bmp": "image/bmp",
                 "tif": "image/tiff", "gif": "image/gif"}
PILLOW_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")  # the JPEG opener also yields MPO
ROTATING_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * MiB  # per file, as ComfyUI's default --max-upload-size
    max_pixels: int = Image.MAX_IMAGE_PIXELS or 89_478_485


@dataclass(frozen=True)
class ImageInfo:
    ext: str
    width: int  # after EXIF orientation, as the node outputs it
    height: int
    mode: str = ""  # Pillow's mode of the first frame ("L" for a stored mask)


NOT_AN_IMAGE = "is not a PNG, JPEG, WebP, BMP, TIFF or GIF image"


def _said(e: Exception, path, name: str) -> str:
    """An exception's text with the file's real path replaced by the name the user knows it by."""
    return str(e).replace(str(path), name) if path is not None else str(e)


def open_image(fp, name: str = "the file") -> Image.Image:
    """Open a file of one of the accepted formats; anything else raises NotAnImage."""
    try:
        return Image.open(fp, formats=PILLOW_FORMATS)
    except Image.DecompressionBombError as e:
        raise TooLarge(f"{name} has too many pixels: {_said(e, fp, name)}") from None
    except UnidentifiedImageError:
        raise NotAnImage(f"{name} {NOT_AN_IMAGE}") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise NotAnImage(f"{name} {NOT_AN_IMAGE} ({_said(e, fp, name)})") from None


def oriented_size(img: Image.Image) -> tuple[int, int]:
    width, height = img.size
    orientation = img.getexif().get(ExifTags.Base.Orientation)
    if orientation in ROTATING_ORIENTATIONS:
        return height, width
    return width, height


def inspect(source, limits: Limits = Limits(), name: str = "the file") -> ImageInfo:
    """Decode the first frame completely, so a truncated or corrupt file is refused now and not at run time.

    `source` is a path or an open binary file; `name` is what messages call it (never a temp path)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with open_image(source, name) as img:
                ext = FORMAT_EXTENSION[img.format]
                if img.width * img.height > limits.max_pixels:
                    raise TooLarge(f"{name} is {img.width}x{img.height}, over the limit of "
                                   f"{limits.max_pixels:,} pixels")
                img.load()
                width, height = oriented_size(img)
                mode = img.mode
        except Image.DecompressionBombWarning as e:
            raise TooLarge(f"{name} has too many pixels: {_said(e, source, name)}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            raise NotAnImage(f"{name}: the image data is damaged or truncated ({_said(e, source, name)})") from None
    return ImageInfo(ext, width, height, mode)
