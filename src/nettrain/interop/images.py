"""A person's image file -> one sample in the data set's form, with Pillow
(the ``images`` extra).

``read_digit_image(path)`` gives a (1, 28, 28) float32 array in [0, 1], light
ink on a dark background as in MNIST and Fashion-MNIST:

1. open with Pillow, whose decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``)
   is enforced as an error, before any pixel is decoded (a huge image is
   refused, not loaded until memory runs out);
2. flatten transparency onto white (a drawing on a transparent canvas is a
   dark-on-light drawing), then grayscale;
3. invert when the image is dark-on-light (its border is brighter than
   middle gray), as drawings and photos of paper are;
4. an image already 28x28 is taken as it is (a data set image round-trips
   exactly); any other size is cropped to its ink, scaled (aspect kept) to
   fit 20x20 and placed in 28x28 centred on its centre of mass, which is
   how MNIST's digits were made.

Every problem is a UsageError naming the file.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..data.transforms import to_float_images
from ..errors import UsageError
from . import require

SIDE, BOX = 28, 20      # MNIST: digits fitted in 20x20, centred by mass in 28x28
INK = 0.1               # pixels above this share of white (after inversion) are ink when cropping


def _open(path: Path):
    Image = require("PIL.Image", "reading image files")
    if not path.exists():
        raise UsageError(f"{path}: no such image file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not an image file")
    if path.stat().st_size == 0:
        raise UsageError(f"{path}: is empty (0 bytes), not an image")
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: both refuse here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
            width, height = image.size
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise UsageError(f"{path}: refused: too many pixels for a safe decode ({err})") from None
        except Image.UnidentifiedImageError:
            raise UsageError(f"{path}: not an image Pillow can read (PNG, JPEG, BMP, GIF, ...)") from None
        except (OSError, ValueError, SyntaxError) as err:
            raise UsageError(f"{path}: a damaged or truncated image ({err})") from None
    if width < 1 or height < 1:
        raise UsageError(f"{path}: has no pixels ({width}x{height})")
    return image


def _grayscale(image) -> np.ndarray:
    """uint8 (H, W), transparency composited onto white."""
    Image = require("PIL.Image", "reading image files")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _dark_on_light(gray: np.ndarray) -> bool:
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(border.mean()) > 127.5


def _centred(gray: np.ndarray) -> np.ndarray:
    """Crop to the ink, fit in BOX x BOX (aspect kept), centre by mass in SIDE x SIDE."""
    Image = require("PIL.Image", "reading image files")
    rows, cols = np.nonzero(gray > INK * 255)
    canvas = np.zeros((SIDE, SIDE), np.uint8)
    if len(rows) == 0:
        return canvas  # a blank image: nothing to centre
    ink = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = ink.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # Pillow: (width, height)
    fitted = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    mass = fitted.astype(np.float64)
    ys, xs = np.indices(fitted.shape)
    total = mass.sum() or 1.0
    cy, cx = (ys * mass).sum() / total + 0.5, (xs * mass).sum() / total + 0.5
    top = int(np.clip(round(SIDE / 2 - cy), 0, SIDE - fitted.shape[0]))
    left = int(np.clip(round(SIDE / 2 - cx), 0, SIDE - fitted.shape[1]))
    canvas[top:top + fitted.shape[0], left:left + fitted.shape[1]] = fitted
    return canvas


def read_digit_image(path) -> np.ndarray:
    """(1, 28, 28) float32 in [0, 1], light on dark, from an image file (see
    the module's doc); scaled exactly as the data set's own images are."""
    path = Path(path)
    gray = _grayscale(_open(path))
    if _dark_on_light(gray):
        gray = 255 - gray
    if gray.shape != (SIDE, SIDE):
        gray = _centred(gray)
    return to_float_images(gray[None])[0]
