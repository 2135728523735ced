"""Signature images: decoded once, checked against Decree 30, embedded as an image
XObject with its transparency as a soft mask.

Decoding and compressing happen once per distinct image (cached by content), so a
batch signed with the same seal pays for it once.
"""

from __future__ import annotations

import enum
import hashlib
import io
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhanko.pdf_utils import generic

from vnsign.errors import InputError, MalformedInputError
from vnsign.formats.pdf._objects import name, number, stream

if TYPE_CHECKING:
    from pyhanko.pdf_utils.writer import BasePdfFileWriter

    from vnsign.formats.pdf.options import SignatureImage

__all__ = ["Hue", "PreparedImage", "prepare_image"]

_MM = 72 / 25.4
_MAX_PIXELS = 40_000_000  # a 6000 x 6000 signature is already absurd
_CACHE_SIZE = 16


class Hue(enum.StrEnum):
    """The dominant colour of the visible pixels of an image."""

    BLUE = "blue"
    RED = "red"
    BLACK = "black"
    OTHER = "other"


@dataclass(frozen=True, eq=False)
class PreparedImage:
    """A decoded image, ready to embed (deflated RGB plus deflated alpha)."""

    width_px: int
    height_px: int
    dpi: tuple[float, float] | None
    rgb: bytes
    alpha: bytes | None
    hue: Hue
    transparent_share: float
    """Share of fully transparent pixels (0 for an image without alpha)."""

    def size_pt(self, width_mm: float | None, height_mm: float | None) -> tuple[float, float]:
        """Printed size in points: the requested size, else from the resolution."""
        ratio = self.height_px / self.width_px
        if width_mm is not None and height_mm is not None:
            return width_mm * _MM, height_mm * _MM
        if width_mm is not None:
            return width_mm * _MM, width_mm * ratio * _MM
        if height_mm is not None:
            return height_mm / ratio * _MM, height_mm * _MM
        if self.dpi is None:
            raise InputError(
                "the image does not say its resolution (PNG pHYs); give its printed size "
                "(width_mm or height_mm)"
            )
        return self.width_px * 72 / self.dpi[0], self.height_px * 72 / self.dpi[1]

    def embed(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Add the image (and its soft mask) to ``writer``."""
        common = {
            "/Type": name("/XObject"),
            "/Subtype": name("/Image"),
            "/Width": number(self.width_px),
            "/Height": number(self.height_px),
            "/BitsPerComponent": number(8),
            "/Filter": name("/FlateDecode"),
        }
        image = stream({**common, "/ColorSpace": name("/DeviceRGB")}, encoded=self.rgb)
        if self.alpha is not None:
            mask = stream({**common, "/ColorSpace": name("/DeviceGray")}, encoded=self.alpha)
            image[name("/SMask")] = writer.add_object(mask)
        return writer.add_object(image)


_CACHE: OrderedDict[bytes, PreparedImage] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def prepare_image(image: SignatureImage) -> PreparedImage:
    """Decode ``image`` (cached by content)."""
    key = hashlib.sha256(image.data).digest()
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    prepared = _decode(image.data)
    with _CACHE_LOCK:
        _CACHE[key] = prepared
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return prepared


def _decode(data: bytes) -> PreparedImage:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                raise InputError(
                    f"the image is {opened.width} x {opened.height} pixels; "
                    "a signature image needs far fewer"
                )
            dpi = _dpi(opened.info.get("dpi"))
            rgba = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise MalformedInputError(f"not a readable image: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise InputError(f"the image is too large: {exc}") from exc
    alpha = rgba.getchannel("A")
    has_alpha = alpha.getextrema() != (255, 255)
    rgb = rgba.convert("RGB")
    hue, transparent = _classify(rgba) if has_alpha else (_classify(rgba)[0], 0.0)
    return PreparedImage(
        width_px=rgba.width,
        height_px=rgba.height,
        dpi=dpi,
        rgb=zlib.compress(rgb.tobytes(), 6),
        alpha=zlib.compress(alpha.tobytes(), 6) if has_alpha else None,
        hue=hue,
        transparent_share=transparent,
    )


def _dpi(value: object) -> tuple[float, float] | None:
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    # Pillow reports 72 or 1 dpi for files that say nothing useful.
    return (x, y) if x > 1.5 and y > 1.5 else None


def _classify(rgba: object) -> tuple[Hue, float]:
    """Dominant hue of the opaque, coloured pixels (on a thumbnail, for speed)."""
    from PIL import Image

    assert isinstance(rgba, Image.Image)
    small = rgba.copy()
    small.thumbnail((200, 200))
    pixels = small.width * small.height
    alpha = small.getchannel("A").tobytes()
    hsv = small.convert("RGB").convert("HSV").tobytes()
    counts = {Hue.BLUE: 0, Hue.RED: 0, Hue.BLACK: 0, Hue.OTHER: 0}
    transparent = 0
    for i in range(pixels):
        a = alpha[i]
        if a == 0:
            transparent += 1
            continue
        if a < 128:
            continue
        h, s, v = hsv[3 * i], hsv[3 * i + 1], hsv[3 * i + 2]
        if v < 60 or s < 60:
            counts[Hue.BLACK if v < 110 else Hue.OTHER] += 1
            continue
        degrees = h * 360 / 255
        if 190 <= degrees <= 265:
            counts[Hue.BLUE] += 1
        elif degrees <= 20 or degrees >= 330:
            counts[Hue.RED] += 1
        else:
            counts[Hue.OTHER] += 1
    total = sum(counts.values())
    dominant = max(counts, key=lambda k: counts[k]) if total else Hue.OTHER
    if total and counts[dominant] * 2 < total:
        dominant = Hue.OTHER
    return dominant, transparent / pixels if pixels else 0.0
