"""Images that arrive from the browser (an uploaded file or a drawn sketch), checked before a model sees them.

The Translate tab gets either the path of a file gradio stored from an upload
(gradio does not decode it: a ``gr.File``), or the canvas of a sketchpad as
an array.  Both are untrusted: a file may be anything under any name, and its
header may claim a picture far larger than its bytes (a "decompression
bomb": a 1 MB PNG can declare 400 million pixels).  So every input becomes
an image *file* whose header is read first, its size is checked against
:data:`ganforge.limits.MAX_PICTURE_PIXELS`, and only then is it decoded,
exactly as ``ganforge translate`` decodes its inputs
(:func:`ganforge.data.folder.decode_image`).  A sketch is saved as a PNG
first, so the translation's provenance can name and hash it like an upload.

Each failure is a :class:`StudioError` with one sentence the page shows as is.
"""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganforge import limits
from ganforge.studio.errors import StudioError

NOTHING = "Upload an image or draw a sketch first."
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")  # modes Pillow writes as PNG as they are


def check_pixels(width: int, height: int) -> None:
    """Refuse a picture over the pixel limit before it is decoded (its header is enough to know)."""
    limits.check_picture(height, width, what="The image", fix="upload a smaller image", error=StudioError)


def check_image_file(path: Path) -> Path:
    """``path`` if it is a readable image file within the pixel limit (only its header is read)."""
    if not path.is_file():
        raise StudioError(NOTHING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides, below
            with Image.open(path) as img:
                width, height = img.size
    except Image.DecompressionBombError:
        raise StudioError(f"The image is over the {limits.MAX_PICTURE_PIXELS:,}-pixel limit; "
                          "upload a smaller image.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise StudioError(f"{path.name!r} is not an image; upload a PNG or JPEG image.") from None
    check_pixels(width, height)
    return path


def image_file(value, out_dir: Path) -> Path:
    """What a widget sent -> a checked image file.

    ``value``: a file path (an upload), an array (H, W), (H, W, 1|3|4) uint8
    or a PIL image (a sketch), or an image editor's dict (its "composite" is
    used); None or an empty value is "nothing given".  A sketch is written to
    ``out_dir`` as ``sketch-<id>.png``.
    """
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise StudioError(NOTHING)
    if isinstance(value, (str, Path)):
        return check_image_file(Path(value))
    if isinstance(value, np.ndarray):
        value = _array_image(value)
    if not isinstance(value, Image.Image):
        raise StudioError(f"The input is a {type(value).__name__}, not an image; upload a PNG or JPEG image.")
    check_pixels(*value.size)
    return _save_png(value, out_dir / f"sketch-{uuid.uuid4().hex[:8]}.png")


def decode(path: Path, size: int, channels: int) -> np.ndarray:
    """A checked image file -> uint8 (channels, size, size), decoded like training data and ``ganforge translate``."""
    from ganforge.data.folder import decode_image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # already checked against our limit
        result = decode_image(path, size, channels)
    if isinstance(result, str):
        raise StudioError(f"{path.name!r} cannot be read as an image ({result}); upload a PNG or JPEG image.")
    return result.copy()  # writable, so torch.from_numpy may share it


def _array_image(array: np.ndarray) -> Image.Image:
    """uint8 (H, W) or (H, W, 1|3|4) -> a PIL image (grey, RGB or RGBA)."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise StudioError(f"A drawn image must be uint8 (H, W) or (H, W, 3|4), got {array.dtype} {array.shape}; "
                          "draw on the sketchpad or upload a PNG.")
    if 0 in array.shape:
        raise StudioError(NOTHING)
    check_pixels(array.shape[1], array.shape[0])
    return Image.fromarray(np.ascontiguousarray(array))


def _save_png(image: Image.Image, path: Path) -> Path:
    from ganforge.art.grid import save_image

    if image.mode not in _PNG_MODES:  # e.g. CMYK, YCbCr: PNG cannot hold them
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return save_image(image, path)  # atomic: a half-written sketch is never hashed
