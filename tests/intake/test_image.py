"""Image intake against real encoded files: every refusal class, every input kind, every colour mode."""

from __future__ import annotations

import gc
import io
import os
import random
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFile

from snapdesk.errors import (
    ImageTooLargeError,
    IntakeError,
    NotAnImageError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from snapdesk.intake import IntakeLimits, PreparedImage, load_image


def screenshot(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A small deterministic screenshot-like picture: white page, coloured boxes, a dark bar."""
    rnd = random.Random(7)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.rectangle([x, y, x + 12, y + 8], fill=(rnd.randrange(256), rnd.randrange(256), 90))
    draw.rectangle([0, 0, size[0] - 1, 5], fill=(20, 20, 20))
    return image


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose IHDR (with a correct CRC) claims another size; its pixel data stays tiny."""
    data = bytearray(encode(Image.new("RGB", (8, 8), "white"), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # CRC covers type + 13 data bytes
    return bytes(data)


def pixel(prepared: PreparedImage, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(prepared.image.getpixel(xy))  # type: ignore[arg-type]  # RGB pixels are tuples


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return max(abs(a - e) for a, e in zip(actual, expected, strict=True)) <= tolerance


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF"])
def test_allowed_formats_load_as_rgb(fmt: str) -> None:
    data = encode(screenshot(), fmt)
    p = load_image(data)
    assert (p.source_format, p.image.mode, p.byte_size, p.width, p.height) == (fmt, "RGB", len(data), 64, 48)
    assert p.digest.startswith("sha256:") and len(p.digest) == 7 + 64


def test_multi_picture_jpeg_is_reported_as_jpeg() -> None:
    data = encode(screenshot(), "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), "red")])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert load_image(data).source_format == "JPEG"


def test_path_bytes_file_object_and_pil_inputs_agree(tmp_path: Path) -> None:
    image, path = screenshot(), tmp_path / "shot.png"
    path.write_bytes(data := encode(image, "PNG"))
    with path.open("rb") as handle:
        from_file = load_image(handle)
        assert not handle.closed  # the caller owns its file object
    results = [load_image(path), load_image(str(path)), load_image(data), from_file, load_image(image)]
    assert len({r.digest for r in results}) == 1
    assert [r.byte_size for r in results] == [len(data)] * 4 + [None]
    assert results[-1].source_format == "PIL"
    # The same pixels re-encoded losslessly are the same picture, so the same cache key.
    lossless = [encode(image, "PNG", optimize=True), encode(image, "BMP")]
    lossless.append(encode(image, "WEBP", lossless=True))
    assert {load_image(other).digest for other in lossless} == {results[0].digest}


def test_one_different_pixel_or_another_shape_changes_the_digest() -> None:
    image, changed = screenshot(), screenshot()
    changed.putpixel((30, 30), (1, 2, 3))
    assert load_image(encode(image, "PNG")).digest != load_image(encode(changed, "PNG")).digest
    row, column = Image.new("RGB", (4, 1), "white"), Image.new("RGB", (1, 4), "white")
    assert row.tobytes() == column.tobytes() and load_image(row).digest != load_image(column).digest


CODES: dict[type[IntakeError], tuple[str, int]] = {
    NotAnImageError: ("not_an_image", 415),
    UnsupportedFormatError: ("unsupported_format", 415),
    ImageTooLargeError: ("image_too_large", 413),
    TooManyPixelsError: ("too_many_pixels", 422),
    TruncatedImageError: ("truncated_image", 422),
}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def case(name: str, data: bytes, error: type[IntakeError], fragment: str) -> object:
    return pytest.param(data, error, fragment, id=name)


def refused_inputs() -> list[object]:
    png = encode(screenshot(), "PNG")
    corrupt = bytearray(png)
    corrupt[len(png) // 2] ^= 0xFF  # inside IDAT: the compressed stream breaks
    bad_crc = bytearray(png)
    idat = bad_crc.index(b"IDAT")
    # Only the checksum is wrong: Pillow's load() would decode it happily, only verify() notices.
    bad_crc[idat + 4 + struct.unpack(">I", bad_crc[idat - 4 : idat])[0]] ^= 0xFF
    return [
        case("random bytes", random.Random(1).randbytes(4096), NotAnImageError, "not an image"),
        case("text", b"Hello, my order did not arrive.\n" * 20, NotAnImageError, "not an image"),
        case("empty", b"", NotAnImageError, "empty"),
        case("svg", SVG, UnsupportedFormatError, "SVG"),
        case("svg with prolog", b'<?xml version="1.0"?>\n' + SVG, UnsupportedFormatError, "SVG"),
        case("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", UnsupportedFormatError, "PDF"),
        case("tiff", encode(screenshot(), "TIFF"), UnsupportedFormatError, "TIFF"),
        case("ico", encode(screenshot(), "ICO"), UnsupportedFormatError, "ICO"),
        case("truncated png", png[: len(png) // 2], TruncatedImageError, "incomplete"),
        case("png cut in header", png[:20], TruncatedImageError, "incomplete"),
        case("corrupt png", bytes(corrupt), TruncatedImageError, "corrupt"),
        case("png with bad checksum", bytes(bad_crc), TruncatedImageError, "corrupt"),
        case("truncated jpeg", encode(screenshot(), "JPEG")[:400], TruncatedImageError, "incomplete"),
        case("bomb png", png_claiming_size(50_000, 50_000), TooManyPixelsError, "2500 megapixels"),
    ]


@pytest.mark.parametrize(("data", "error", "fragment"), refused_inputs())
def test_refusals_are_typed_with_one_line_messages(data: bytes, error: type[IntakeError], fragment: str) -> None:
    with pytest.raises(error) as caught:
        load_image(data)
    assert type(caught.value) is error
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert (caught.value.code, caught.value.http_status) == CODES[error]


def test_byte_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    # Zero bytes are not an image; getting the size error proves nothing tried to parse them.
    with pytest.raises(ImageTooLargeError, match=r"^image is 21\.3 MB, over the 15 MB limit$") as caught:
        load_image(b"\0" * int(21.3 * 1024 * 1024))
    assert (caught.value.code, caught.value.http_status) == CODES[ImageTooLargeError]
    stream = io.BytesIO(b"\0" * 50_000)
    with pytest.raises(ImageTooLargeError):
        load_image(stream, limits=IntakeLimits(max_bytes=1000))
    assert stream.tell() == 1001  # read at most one byte past the limit
    path = tmp_path / "big.png"
    path.write_bytes(encode(screenshot((400, 400)), "PNG"))
    with pytest.raises(ImageTooLargeError, match="over the 1 KB limit"):
        load_image(path, limits=IntakeLimits(max_bytes=1024))


def test_missing_file_and_directory_are_not_images(tmp_path: Path) -> None:
    with pytest.raises(NotAnImageError, match=r"^no such file: .*nope\.png$"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(NotAnImageError, match="not a regular file"):
        load_image(tmp_path)


def test_pixel_limit_is_checked_from_the_header_before_decoding() -> None:
    # 48 MP stays under Pillow's own bomb warning, so this is our check; the tiny pixel data means
    # that decoding would have failed as truncated instead.
    with pytest.raises(TooManyPixelsError, match=r"8000x6000 \(48 megapixels\), over the limit of 40 mega"):
        load_image(png_claiming_size(8000, 6000))
    small = IntakeLimits(max_pixels=1000)  # configurable, and PIL images are checked too
    with pytest.raises(TooManyPixelsError, match="64x48"):
        load_image(encode(screenshot(), "PNG"), limits=small)
    with pytest.raises(TooManyPixelsError):
        load_image(screenshot(), limits=small)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "WEBP"])
def test_truncation_is_caught_even_when_pillow_is_told_to_tolerate_it(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(screenshot((200, 150)), fmt)
    with pytest.raises(TruncatedImageError):
        load_image(data[: len(data) * 3 // 4])


def transparent_png(mode: str) -> bytes:
    """A 4x4 black PNG whose pixel (0, 0) is fully transparent, in the given mode."""
    if mode == "P":
        image = Image.new("P", (4, 4), 1)
        image.putpalette([255, 0, 0, 0, 0, 0])
        image.putpixel((0, 0), 0)
        return encode(image, "PNG", transparency=0)  # palette entry 0 (red) is the transparent one
    image = Image.new(mode, (4, 4), (0, 255) if mode == "LA" else (0, 0, 0, 255))
    image.putpixel((0, 0), (0, 0) if mode == "LA" else (0, 0, 0, 0))
    if mode == "RGBA":
        image.putpixel((1, 0), (255, 0, 0, 128))  # half-transparent red
    return encode(image, "PNG")


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_becomes_white(mode: str) -> None:
    prepared = load_image(transparent_png(mode))
    assert pixel(prepared, (0, 0)) == (255, 255, 255)
    assert pixel(prepared, (3, 3)) == (0, 0, 0)
    if mode == "RGBA":
        assert close_to(pixel(prepared, (1, 0)), (255, 127, 127), tolerance=2)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    assert close_to(pixel(load_image(data), (8, 8)), (255, 0, 0))


def test_16_bit_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 32768, 65535, 1000]], dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    prepared = load_image(data)
    assert [pixel(prepared, (x, 0))[0] for x in range(4)] == [0, 128, 255, 3]
    wide = Image.fromarray(np.array([[0, 65535]], dtype=np.int32))  # 32-bit "I" holding 16-bit values
    assert wide.mode == "I"
    assert [pixel(load_image(wide), (x, 0)) for x in range(2)] == [(0, 0, 0), (255, 255, 255)]


@pytest.mark.parametrize(("mode", "fmt"), [("L", "PNG"), ("1", "PNG"), ("P", "BMP"), ("L", "JPEG")])
def test_grayscale_palette_and_bilevel_become_rgb(mode: str, fmt: str) -> None:
    prepared = load_image(encode(screenshot().convert(mode), fmt))
    assert prepared.image.mode == "RGB"
    assert close_to(pixel(prepared, (2, 2)), (20, 20, 20), tolerance=40)  # the dark bar stays dark


def test_gif_gives_its_first_frame() -> None:
    red, blue = (Image.new("RGB", (8, 8), colour).convert("P") for colour in ("red", "blue"))
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    prepared = load_image(data)
    assert prepared.source_format == "GIF"
    assert pixel(prepared, (4, 4)) == (255, 0, 0)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientation_is_applied(fmt: str) -> None:
    image = Image.new("RGB", (40, 20), "white")
    ImageDraw.Draw(image).rectangle([0, 0, 9, 9], fill=(255, 0, 0))  # marks the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    prepared = load_image(encode(image, fmt, exif=exif.tobytes()))
    assert (prepared.width, prepared.height) == (20, 40)
    assert close_to(pixel(prepared, (17, 2)), (255, 0, 0), tolerance=30)  # now at the top-right
    assert close_to(pixel(prepared, (2, 2)), (255, 255, 255), tolerance=30)


def test_pil_input_is_checked_and_normalised_without_being_modified() -> None:
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    prepared = load_image(image)
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 0, 0, 0)
    assert prepared.image is not image
    assert pixel(prepared, (0, 0)) == (255, 255, 255)
    with Image.open(io.BytesIO(encode(screenshot(), "TIFF"))) as tiff, pytest.raises(UnsupportedFormatError):
        load_image(tiff)  # the format rule holds whoever decoded the file


def open_descriptors_to(path: Path) -> list[str]:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to list open file descriptors")
    # lexists: the descriptor that listed the folder is already closed when we read it.
    links = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if os.path.lexists(fd)]
    return [link for link in links if link == str(path)]


def test_no_file_handle_is_left_open(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.png"
    good.write_bytes(encode(screenshot(), "JPEG"))
    png = encode(screenshot(), "PNG")
    bad.write_bytes(png[: len(png) // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = load_image(good)
        with pytest.raises(TruncatedImageError):
            load_image(bad)
        assert open_descriptors_to(good) == [] and open_descriptors_to(bad) == []
        good.unlink()
        bad.unlink()
        prepared.image.load()  # pixels live in memory, not in the deleted file
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert prepared.image.getpixel((1, 1)) is not None
