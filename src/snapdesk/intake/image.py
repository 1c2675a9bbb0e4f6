"""Image intake: accept a customer's screenshot, refuse anything unsafe or unusable, normalise the rest.

Every refusal is a typed IntakeError with a one-line message a customer can act on. Limits are checked
as early as possible: bytes before anything is parsed, pixels from the header before anything is decoded.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from snapdesk.errors import (
    ImageTooLargeError,
    NotAnImageError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsupportedFormatError,
)

ImageSource = str | os.PathLike[str] | bytes | BinaryIO | Image.Image

_MB = 1024 * 1024
_ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
# Phone cameras write multi-picture JPEGs, which Pillow reports as MPO; to a customer they are JPEGs.
_FORMAT_ALIASES = {"MPO": "JPEG"}
_ALLOWED_HUMAN = "PNG, JPEG, WebP, BMP or GIF"
# "BM" alone is too weak a signature, so a BMP also needs one of the known DIB header sizes.
_BMP_HEADER_SIZES = {struct.pack("<I", n) for n in (12, 40, 52, 56, 64, 108, 124)}
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Everything Pillow may raise while parsing hostile or damaged data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


@dataclass(frozen=True)
class IntakeLimits:
    max_bytes: int = 15 * _MB
    max_pixels: int = 40_000_000  # width * height


DEFAULT_LIMITS = IntakeLimits()


@dataclass(frozen=True)
class PreparedImage:
    image: Image.Image  # RGB, EXIF orientation applied, full original resolution
    digest: str  # "sha256:<hex>" of size + RGB bytes: equal pixels give equal digests whatever the encoding
    source_format: str  # "PNG", "JPEG", "WEBP", "BMP", "GIF"; "PIL" for an in-memory image with no format
    byte_size: int | None  # size of the encoded input when known

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def load_image(source: ImageSource, *, limits: IntakeLimits = DEFAULT_LIMITS) -> PreparedImage:
    """Read, check and normalise one image; raise an IntakeError subclass when it must be refused."""
    if isinstance(source, Image.Image):
        fmt = _check_format(source.format) if source.format else "PIL"
        _check_pixels(source.size, limits)
        try:
            source.load()  # a lazily opened image may still be truncated
        except Image.DecompressionBombError as exc:
            raise _bomb_error(exc, limits) from exc
        except _DECODE_ERRORS as exc:
            raise _corrupt_error(exc) from exc
        return _prepare(source, fmt, None)
    data = _read_source(source, limits)
    image, fmt = _decode(data, limits)
    return _prepare(image, fmt, len(data))


def check_encoded(data: bytes, *, limits: IntakeLimits = DEFAULT_LIMITS) -> str:
    """Every check that needs no decoding (size, format, pixel count from the header, the file's structure);
    returns the format. For an upload kept unread under load: refused now for what can be seen without
    decoding, decoded (and moderated) only when something reads it."""
    return _probe(_read_source(data, limits), limits)


def _read_source(source: str | os.PathLike[str] | bytes | BinaryIO, limits: IntakeLimits) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotAnImageError(f"no such file: {path}") from exc
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or stream forever
            raise NotAnImageError(f"not a regular file: {path}")
        _check_bytes(info.st_size, limits)
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)  # the file may grow between stat and read
    elif hasattr(source, "read"):
        # Never read an unbounded stream into memory: one byte past the limit is enough to refuse it.
        data = source.read(limits.max_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("file object must be opened in binary mode")
        data = bytes(data)
    else:
        raise TypeError(f"cannot read an image from {type(source).__name__}")
    _check_bytes(len(data), limits)
    if not data:
        raise NotAnImageError("input is empty, not an image")
    return data


def _probe(data: bytes, limits: IntakeLimits) -> str:
    """Pass 1: the header only (Image.open is lazy), then verify() walks the structure (PNG CRCs, chunk order)."""
    unsupported = _sniff_unsupported(data)
    if unsupported:
        raise UnsupportedFormatError(f"{unsupported} files are not supported; send {_ALLOWED_HUMAN}")
    try:
        with Image.open(io.BytesIO(data), formats=_ALLOWED_FORMATS) as probe:
            fmt = _check_format(probe.format)
            _check_pixels(probe.size, limits)
            probe.verify()
    except Image.DecompressionBombError as exc:
        raise _bomb_error(exc, limits) from exc
    except UnidentifiedImageError as exc:
        raise _unidentified_error(data, limits) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt_error(exc) from exc
    return fmt


def _decode(data: bytes, limits: IntakeLimits) -> tuple[Image.Image, str]:
    fmt = _probe(data, limits)
    # Pass 2: verify() leaves the image unusable, so reopen and decode for real.
    try:
        with _StarvationTrackingBytesIO(data) as buffer:
            image = Image.open(buffer, formats=_ALLOWED_FORMATS)
            buffer.starved = False
            image.load()  # after load() Pillow no longer reads the buffer (frame 0 only)
            starved = buffer.starved
    except Image.DecompressionBombError as exc:
        raise _bomb_error(exc, limits) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt_error(exc) from exc
    # Pillow pads a truncated image silently when someone set ImageFile.LOAD_TRUNCATED_IMAGES (a
    # process-wide switch any library may flip), so detect the short read ourselves.
    if starved:
        raise TruncatedImageError("image data is incomplete: the file ends before the image does")
    return image, fmt


def _corrupt_error(exc: BaseException) -> TruncatedImageError:
    detail = " ".join(str(exc).split())  # Pillow's wording, kept on one line for logs and the CLI
    return TruncatedImageError(f"image data is incomplete or corrupt ({detail})")


class _StarvationTrackingBytesIO(io.BytesIO):
    """A buffer that remembers whether a reader asked for data past its end."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.starved = False

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if not chunk and size != 0:
            self.starved = True
        return chunk


def _sniff_unsupported(data: bytes) -> str | None:
    """Name formats that Pillow cannot identify but a customer may well send, so the refusal says so."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or b"<svg" in head:
        return "SVG"
    if head.startswith(b"%pdf-"):
        return "PDF"
    if data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif"}:
        return "HEIF/AVIF"
    return None


def _unidentified_error(data: bytes, limits: IntakeLimits) -> Exception:
    """Pillow could not open it as an allowed format: truncated, another format, or not an image at all."""
    if _has_allowed_magic(data):
        # The signature is right but the header does not parse: cut off early or damaged.
        return TruncatedImageError("image data is incomplete or corrupt: its header cannot be read")
    try:
        # Only formats with a real signature check: TGA and friends would "open" any random bytes.
        with_magic = [name for name, (_, accept) in Image.OPEN.items() if accept is not None]
        with Image.open(io.BytesIO(data), formats=with_magic) as other:
            name = other.format or "this"
    except Image.DecompressionBombError as exc:
        return _bomb_error(exc, limits)
    except _DECODE_ERRORS:
        return NotAnImageError(f"input is not an image; send {_ALLOWED_HUMAN}")
    return UnsupportedFormatError(f"{name} images are not supported; send {_ALLOWED_HUMAN}")


def _has_allowed_magic(data: bytes) -> bool:
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return True
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return True
    return data.startswith(b"BM") and data[14:18] in _BMP_HEADER_SIZES


def _check_format(fmt: str | None) -> str:
    name = _FORMAT_ALIASES.get(fmt or "", fmt or "unknown")
    if name not in _ALLOWED_FORMATS:
        raise UnsupportedFormatError(f"{name} images are not supported; send {_ALLOWED_HUMAN}")
    return name


def _check_bytes(size: int, limits: IntakeLimits) -> None:
    if size > limits.max_bytes:
        shown, limit = _fmt_bytes(size), _fmt_bytes(limits.max_bytes)
        if shown == limit:  # "15 MB, over the 15 MB limit" would read as a bug; be exact instead
            shown, limit = f"{size} B", f"{limits.max_bytes} B"
        raise ImageTooLargeError(f"image is {shown}, over the {limit} limit")


def _check_pixels(size: tuple[int, int], limits: IntakeLimits) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise TooManyPixelsError(
            f"image is {width}x{height} ({_fmt_pixels(width * height)}), "
            f"over the limit of {_fmt_pixels(limits.max_pixels)}"
        )


def _bomb_error(exc: Image.DecompressionBombError, limits: IntakeLimits) -> TooManyPixelsError:
    """Pillow's own bomb guard fired before we saw the size; recover the pixel count from its message."""
    limit = _fmt_pixels(limits.max_pixels)
    match = re.search(r"\((\d+) pixels\)", str(exc))
    if match:
        return TooManyPixelsError(f"image is {_fmt_pixels(int(match.group(1)))}, over the limit of {limit}")
    return TooManyPixelsError(f"image has too many pixels to decode safely, over the limit of {limit}")


def _fmt_bytes(size: int) -> str:
    for unit, factor in (("MB", _MB), ("KB", 1024)):
        if size >= factor:
            return f"{_fmt_number(size / factor)} {unit}"
    return f"{size} B"


def _fmt_pixels(count: int) -> str:
    return f"{_fmt_number(count / 1e6)} megapixels" if count >= 1_000_000 else f"{count} pixels"


def _fmt_number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _prepare(image: Image.Image, fmt: str, byte_size: int | None) -> PreparedImage:
    try:
        oriented = ImageOps.exif_transpose(image)  # returns a new image; the caller's is left alone
    except Exception:
        # Broken EXIF must not cost the customer their screenshot: keep the stored orientation.
        oriented = image.copy()
    rgb = _to_rgb(oriented)
    digest = hashlib.sha256(f"{rgb.width}x{rgb.height}\n".encode())
    digest.update(np.asarray(rgb).data)  # the same bytes as tobytes(), without its encoder (half the time)
    return PreparedImage(image=rgb, digest=f"sha256:{digest.hexdigest()}", source_format=fmt, byte_size=byte_size)


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode.startswith("I") or mode == "F":
        # Pillow's I/I;16 -> RGB conversion clips at 255, turning 16-bit images white; scale instead.
        values = np.asarray(image)
        if mode.startswith("I;16") or values.max(initial=0) > 255:
            values = np.clip(values, 0, 65535).astype(np.uint32) >> 8
        gray = np.clip(values, 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if mode in _ALPHA_MODES or "transparency" in image.info:
        # Transparent pixels become white, as they look on a typical page or chat background.
        rgba = _convert(image, "RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    return _convert(image, "RGB")  # CMYK, palette, grayscale, 1-bit, YCbCr


def _convert(image: Image.Image, mode: str) -> Image.Image:
    try:
        return image.convert(mode)
    except ValueError as exc:  # only reachable with exotic PIL inputs, e.g. LAB
        raise UnsupportedFormatError(f"images in colour mode {image.mode} are not supported") from exc
