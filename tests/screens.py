"""Deterministic renderer of realistic app screenshots for tests.

Tests of the answer engine feed these images through the real OCR, so the text is drawn large and
crisp with a CJK font (Debian package ``fonts-noto-cjk``). Every function returns an RGB
``PIL.Image.Image``; the same call always gives the same pixels (only :func:`photo_like` takes a seed).

Kinds of screen:

* :func:`phone_screen` - a phone app page (status bar, title bar with a back arrow, optional coloured
  status header, warning banner, key/value rows, paragraphs, red lines, bottom buttons, modal dialog,
  toast, dark theme).
* :func:`web_screen` - the same elements on a desktop web page inside a browser window.
* :func:`terminal_screen` - a dark terminal showing log lines (e.g. a Java stack trace).
* :func:`chat_screen` - a customer-service chat with user and agent bubbles.
* :func:`photo_like` - a landscape picture without any text.
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "chat_screen",
    "find_font",
    "phone_screen",
    "photo_like",
    "terminal_screen",
    "to_bytes",
    "web_screen",
]

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont

# --------------------------------------------------------------------------------------------- fonts

# (fontconfig pattern, known fallback files with their face index inside the collection)
_FONT_CANDIDATES: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "regular": (
        "Noto Sans CJK SC",
        (
            ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
            ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
        ),
    ),
    "bold": (
        "Noto Sans CJK SC:bold",
        (
            ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
            ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
            ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
        ),
    ),
    "mono": (
        "Noto Sans Mono CJK SC",
        (
            ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 7),
            ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
        ),
    ),
}
# Family names that fc-match may answer with and that really cover CJK (fc-match always answers
# something, e.g. DejaVu Sans, even when no CJK font is installed).
_CJK_FAMILY_HINTS = ("cjk", "wenquanyi", "wqy", "source han", "droid sans fallback")


def _fc_match(pattern: str) -> tuple[str, int] | None:
    """Ask fontconfig for a CJK font; ``None`` if fc-match is missing or answers with a non-CJK font."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}\t%{index}\t%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("\t")
    if len(parts) < 3 or not parts[0]:
        return None
    path, index, family = parts[0], parts[1], parts[2].lower()
    if not any(hint in family for hint in _CJK_FAMILY_HINTS) or not Path(path).is_file():
        return None
    return path, int(index) if index.strip().isdigit() else 0


@functools.cache
def find_font(style: str = "regular") -> tuple[str, int]:
    """Return ``(file, face_index)`` of a CJK font for ``style`` ("regular", "bold" or "mono")."""
    pattern, fallbacks = _FONT_CANDIDATES[style]
    found = _fc_match(pattern)
    if found is not None:
        return found
    for path, index in fallbacks:
        if Path(path).is_file():
            return path, index
    raise RuntimeError(
        f"No CJK font found for the test screenshots ({style}): install the Debian package "
        "fonts-noto-cjk (apt-get install fonts-noto-cjk) or fonts-wqy-zenhei."
    )


@functools.cache
def _font(size: int, style: str = "regular") -> Font:
    path, index = find_font(style)
    try:
        return ImageFont.truetype(path, size=size, index=index)
    except OSError:  # face index out of range for a different collection layout
        return ImageFont.truetype(path, size=size)


# --------------------------------------------------------------------------------------------- text


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


_NO_LINE_START = set("，。、；：！？）》」』】,.;:!?)]}%")


def _tokens(text: str) -> list[str]:
    """Split into wrap units: runs of narrow non-space characters (words), spaces, single wide chars."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or _is_wide(ch):
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def _wrap(text: str, font: Font, width: float) -> list[str]:
    """Greedy wrap of ``text`` to ``width`` pixels; explicit newlines start new lines."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _tokens(para):
            if font.getlength(line + tok) <= width or not line.strip():
                if font.getlength(tok) > width and not line.strip():
                    # a single word wider than the line: break it by characters
                    for ch in tok:
                        if line and font.getlength(line + ch) > width:
                            lines.append(line)
                            line = ""
                        line += ch
                else:
                    line += tok
            elif tok in _NO_LINE_START:
                line += tok  # keep closing punctuation on the line it closes
            else:
                lines.append(line.rstrip())
                line = "" if tok == " " else tok
        lines.append(line.rstrip())
    return lines


def _ellipsize(text: str, font: Font, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


# --------------------------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class _Theme:
    page: RGB
    card: RGB
    text: RGB
    body: RGB
    key: RGB
    divider: RGB
    bar: RGB
    bar_text: RGB
    banner_bg: RGB
    banner_fg: RGB
    red: RGB
    dialog: RGB
    dialog_title: RGB
    dialog_body: RGB
    button_border: RGB
    button_text: RGB


_LIGHT = _Theme(
    page=(244, 245, 247),
    card=(255, 255, 255),
    text=(34, 34, 34),
    body=(51, 51, 51),
    key=(128, 128, 128),
    divider=(232, 232, 232),
    bar=(255, 255, 255),
    bar_text=(17, 17, 17),
    banner_bg=(253, 236, 236),
    banner_fg=(232, 60, 60),
    red=(232, 60, 60),
    dialog=(255, 255, 255),
    dialog_title=(17, 17, 17),
    dialog_body=(85, 85, 85),
    button_border=(204, 204, 204),
    button_text=(51, 51, 51),
)

_DARK = _Theme(
    page=(17, 17, 17),
    card=(32, 32, 34),
    text=(235, 235, 235),
    body=(215, 215, 215),
    key=(150, 150, 150),
    divider=(56, 56, 58),
    bar=(26, 26, 28),
    bar_text=(240, 240, 240),
    banner_bg=(62, 28, 28),
    banner_fg=(255, 118, 118),
    red=(255, 105, 105),
    dialog=(44, 44, 46),
    dialog_title=(245, 245, 245),
    dialog_body=(200, 200, 200),
    button_border=(96, 96, 96),
    button_text=(225, 225, 225),
)


@dataclass(frozen=True)
class _Metrics:
    """Font sizes and spacing; one set for phones and one for desktop web pages."""

    margin: int  # page margin around cards
    pad: int  # padding inside cards
    gap: int  # vertical gap between blocks
    radius: int
    body: int  # body text size
    status: int  # big status text
    status_sub: int
    row_h: int
    button: int
    button_h: int
    dialog_w: int
    dialog_title: int
    dialog_body: int
    toast: int
    line_h: float  # line height as a multiple of the font size


_PHONE = _Metrics(
    margin=28,
    pad=36,
    gap=24,
    radius=22,
    body=38,
    status=58,
    status_sub=36,
    row_h=104,
    button=38,
    button_h=96,
    dialog_w=860,
    dialog_title=46,
    dialog_body=38,
    toast=38,
    line_h=1.5,
)
_WEB = _Metrics(
    margin=0,
    pad=28,
    gap=20,
    radius=10,
    body=28,
    status=40,
    status_sub=26,
    row_h=66,
    button=26,
    button_h=56,
    dialog_w=580,
    dialog_title=32,
    dialog_body=27,
    toast=28,
    line_h=1.5,
)


def _lighter(color: RGB, amount: float) -> RGB:
    r, g, b = color
    return (
        round(r + (255 - r) * amount),
        round(g + (255 - g) * amount),
        round(b + (255 - b) * amount),
    )


def _darker(color: RGB, amount: float) -> RGB:
    r, g, b = color
    return (round(r * (1 - amount)), round(g * (1 - amount)), round(b * (1 - amount)))


def _vgradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: RGB, bottom: RGB) -> None:
    x0, y0, x1, y1 = box
    h = max(1, y1 - y0)
    for i in range(h + 1):  # both ends inclusive, like PIL's shapes
        t = min(1.0, i / h)
        c = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(x0, y0 + i), (x1, y0 + i)], fill=c)


# --------------------------------------------------------------------------------------------- chrome


def _phone_status_bar(draw: ImageDraw.ImageDraw, width: int, color: RGB, fg: RGB) -> int:
    """Phone status bar: time at the left, signal / wifi / battery icons at the right."""
    h = 96
    draw.rectangle([0, 0, width, h], fill=color)
    draw.text((56, h // 2 + 2), "9:41", font=_font(38, "bold"), fill=fg, anchor="lm")
    # battery
    bx1 = width - 48
    bx0 = bx1 - 62
    draw.rounded_rectangle([bx0, 34, bx1, 62], radius=7, outline=fg, width=3)
    draw.rectangle([bx1 + 3, 42, bx1 + 7, 54], fill=fg)
    draw.rounded_rectangle([bx0 + 6, 40, bx0 + 6 + 40, 56], radius=3, fill=fg)
    # wifi: three concentric arcs and a dot
    cx, cy = bx0 - 48, 62
    for r in (30, 20, 10):
        draw.arc([cx - r, cy - r, cx + r, cy + r], start=225, end=315, fill=fg, width=5)
    draw.ellipse([cx - 4, cy - 6, cx + 4, cy + 2], fill=fg)
    # signal bars
    sx = cx - 110
    for i in range(4):
        bh = 10 + i * 7
        draw.rounded_rectangle([sx + i * 14, 62 - bh, sx + i * 14 + 9, 62], radius=2, fill=fg)
    return h


def _phone_title_bar(draw: ImageDraw.ImageDraw, width: int, top: int, title: str, theme: _Theme) -> int:
    """Navigation bar: back chevron at the left, centred bold title, a "more" icon at the right."""
    h = 132
    draw.rectangle([0, top, width, top + h], fill=theme.bar)
    cy = top + h // 2
    draw.line([(70, cy - 26), (44, cy), (70, cy + 26)], fill=theme.bar_text, width=6, joint="curve")
    for i in range(3):
        x = width - 90 + i * 20
        draw.ellipse([x - 5, cy - 5, x + 5, cy + 5], fill=theme.bar_text)
    font = _font(46, "bold")
    draw.text((width // 2, cy), _ellipsize(title, font, width - 320), font=font, fill=theme.bar_text, anchor="mm")
    draw.line([(0, top + h - 1), (width, top + h - 1)], fill=theme.divider, width=2)
    return top + h


def _browser_chrome(draw: ImageDraw.ImageDraw, width: int, title: str, url: str, dark: bool) -> int:
    """Browser window: tab strip with one tab, toolbar with navigation glyphs and the address bar."""
    strip, tool = (222, 225, 230), (247, 248, 250)
    fg, field, field_fg = (60, 64, 67), (234, 236, 239), (32, 33, 36)
    if dark:
        strip, tool = (32, 33, 36), (53, 54, 58)
        fg, field, field_fg = (200, 202, 205), (32, 33, 36), (232, 234, 237)
    draw.rectangle([0, 0, width, 46], fill=strip)
    for i, c in enumerate(((255, 95, 87), (254, 188, 46), (40, 200, 64))):
        x = 24 + i * 24
        draw.ellipse([x - 7, 16, x + 7, 30], fill=c)
    tab_font = _font(19)
    draw.rounded_rectangle([100, 8, 400, 56], radius=10, fill=tool)
    draw.ellipse([116, 20, 134, 38], fill=(66, 133, 244))
    draw.text((144, 29), _ellipsize(title, tab_font, 220), font=tab_font, fill=field_fg, anchor="lm")
    draw.line([(378, 23), (388, 33)], fill=fg, width=2)
    draw.line([(378, 33), (388, 23)], fill=fg, width=2)
    draw.rectangle([0, 46, width, 104], fill=tool)
    cy = 75
    # back, forward, reload
    draw.line([(40, cy), (60, cy)], fill=fg, width=3)
    draw.line([(40, cy), (49, cy - 9)], fill=fg, width=3)
    draw.line([(40, cy), (49, cy + 9)], fill=fg, width=3)
    draw.line([(84, cy), (104, cy)], fill=fg, width=3)
    draw.line([(104, cy), (95, cy - 9)], fill=fg, width=3)
    draw.line([(104, cy), (95, cy + 9)], fill=fg, width=3)
    draw.arc([128, cy - 10, 148, cy + 10], start=-60, end=250, fill=fg, width=3)
    draw.polygon([(148, cy - 14), (148, cy - 3), (139, cy - 8)], fill=fg)
    # address bar with a padlock
    draw.rounded_rectangle([176, 56, width - 90, 94], radius=19, fill=field)
    draw.rounded_rectangle([197, 72, 211, 84], radius=2, fill=fg)
    draw.arc([199, 64, 209, 78], start=180, end=360, fill=fg, width=2)
    url_font = _font(21)
    draw.text((226, cy), _ellipsize(url, url_font, width - 340), font=url_font, fill=field_fg, anchor="lm")
    for i in range(3):
        draw.ellipse([width - 52, cy - 13 + i * 11, width - 46, cy - 7 + i * 11], fill=fg)
    draw.line([(0, 104), (width, 104)], fill=(200, 202, 206) if not dark else (20, 20, 22), width=1)
    return 105


# --------------------------------------------------------------------------------------------- page body


@dataclass
class _Page:
    """Vertical layout of page blocks between ``top`` and ``bottom`` in the column ``x0..x1``."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    theme: _Theme
    m: _Metrics
    x0: int
    x1: int
    y: int
    bottom: int
    accent: RGB
    full_bleed_status: bool

    def text_lines(self, x: int, lines: list[str], font: Font, fill: RGB, line_h: int) -> None:
        for i, line in enumerate(lines):
            self.draw.text((x, self.y + i * line_h + line_h // 2), line, font=font, fill=fill, anchor="lm")

    def status_block(self, status: tuple[str, str]) -> None:
        big, sub = status
        m = self.m
        f_big, f_sub = _font(m.status, "bold"), _font(m.status_sub)
        inner_x0 = self.x0 + (m.margin + m.pad if self.full_bleed_status else m.pad)
        inner_w = self.x1 - self.x0 - 2 * (inner_x0 - self.x0)
        big_lines = _wrap(big, f_big, inner_w)
        sub_lines = _wrap(sub, f_sub, inner_w) if sub else []
        big_lh, sub_lh = round(m.status * 1.35), round(m.status_sub * m.line_h)
        pad_y = round(m.pad * 1.3)
        h = 2 * pad_y + len(big_lines) * big_lh + (len(sub_lines) * sub_lh + m.gap // 2 if sub_lines else 0)
        if self.full_bleed_status:
            box = (0, self.y, self.image.width, self.y + h)
            _vgradient(self.draw, box, self.accent, _lighter(self.accent, 0.18))
        else:
            box = (self.x0, self.y, self.x1, self.y + h)
            layer = Image.new("RGB", self.image.size, (0, 0, 0))
            _vgradient(ImageDraw.Draw(layer), box, self.accent, _lighter(self.accent, 0.18))
            mask = Image.new("L", self.image.size, 0)
            ImageDraw.Draw(mask).rounded_rectangle(box, radius=m.radius, fill=255)
            self.image.paste(layer, (0, 0), mask)
        top = self.y
        self.y = top + pad_y
        self.text_lines(inner_x0, big_lines, f_big, (255, 255, 255), big_lh)
        self.y += len(big_lines) * big_lh + m.gap // 2
        self.text_lines(inner_x0, sub_lines, f_sub, (255, 246, 232), sub_lh)
        self.y = top + h + m.gap

    def card(self, height: int) -> tuple[int, int]:
        m = self.m
        x0, x1 = self.x0 + m.margin, self.x1 - m.margin
        self.draw.rounded_rectangle([x0, self.y, x1, self.y + height], radius=m.radius, fill=self.theme.card)
        return x0, x1

    def banner(self, lines: list[str]) -> None:
        m, t = self.m, self.theme
        font = _font(m.body)
        x0, x1 = self.x0 + m.margin, self.x1 - m.margin
        stripe = max(6, m.body // 4)
        inner = x1 - x0 - stripe - 2 * m.pad
        wrapped = [w for line in lines for w in _wrap(line, font, inner)]
        lh = round(m.body * m.line_h)
        h = len(wrapped) * lh + round(1.4 * m.pad)
        self.draw.rounded_rectangle([x0, self.y, x1, self.y + h], radius=m.radius // 2, fill=t.banner_bg)
        self.draw.rectangle([x0, self.y, x0 + stripe, self.y + h], fill=t.red)
        top = self.y
        self.y += round(0.7 * m.pad)
        self.text_lines(x0 + stripe + m.pad, wrapped, font, t.banner_fg, lh)
        self.y = top + h + m.gap

    def rows(self, rows: list[tuple[str, str]]) -> None:
        m, t = self.m, self.theme
        font = _font(m.body)
        x0, x1 = self.x0 + m.margin, self.x1 - m.margin
        lh = round(m.body * 1.35)
        layout: list[tuple[str, list[str], int]] = []
        for key, value in rows:
            avail = x1 - x0 - 2 * m.pad - font.getlength(key) - m.pad
            vlines = _wrap(value, font, max(avail, m.body * 4))
            layout.append((key, vlines, max(m.row_h, m.row_h + (len(vlines) - 1) * lh)))
        total = sum(h for _, _, h in layout) + m.pad // 2
        self.card(total)
        y = self.y + m.pad // 4
        for i, (key, vlines, h) in enumerate(layout):
            first = y + (m.row_h // 2 if len(vlines) > 1 else h // 2)
            self.draw.text((x0 + m.pad, first), key, font=font, fill=t.key, anchor="lm")
            for j, v in enumerate(vlines):
                self.draw.text((x1 - m.pad, first + j * lh), v, font=font, fill=t.text, anchor="rm")
            if i < len(layout) - 1:
                self.draw.line([(x0 + m.pad, y + h), (x1 - m.pad, y + h)], fill=t.divider, width=2)
            y += h
        self.y += total + m.gap

    def paragraphs(self, lines: list[str]) -> None:
        m, t = self.m, self.theme
        font = _font(m.body)
        x0, x1 = self.x0 + m.margin, self.x1 - m.margin
        lh = round(m.body * m.line_h)
        paras = [_wrap(p, font, x1 - x0 - 2 * m.pad) for p in lines]
        para_gap = m.body // 2
        h = sum(len(p) for p in paras) * lh + (len(paras) - 1) * para_gap + round(1.4 * m.pad)
        self.card(h)
        top = self.y
        self.y += round(0.7 * m.pad)
        for p in paras:
            self.text_lines(x0 + m.pad, p, font, t.body, lh)
            self.y += len(p) * lh + para_gap
        self.y = top + h + m.gap

    def red_lines(self, lines: list[str]) -> None:
        m = self.m
        font = _font(m.body)
        x0, x1 = self.x0 + m.margin + m.pad // 2, self.x1 - m.margin - m.pad // 2
        lh = round(m.body * m.line_h)
        wrapped = [w for line in lines for w in _wrap(line, font, x1 - x0)]
        self.text_lines(x0, wrapped, font, self.theme.red, lh)
        self.y += len(wrapped) * lh + m.gap


def _buttons_row(
    draw: ImageDraw.ImageDraw,
    labels: list[str],
    right: int,
    left: int,
    cy: int,
    m: _Metrics,
    theme: _Theme,
    accent: RGB,
) -> None:
    """Pill buttons right-aligned between ``left`` and ``right``; the last one is the primary one."""
    if not labels:
        return
    gap = m.gap
    size = m.button
    while True:
        font = _font(size)
        widths = [font.getlength(b) + 2 * round(size * 1.15) for b in labels]
        if sum(widths) + gap * (len(labels) - 1) <= right - left or size <= 20:
            break
        size -= 2
    x = right
    h = m.button_h
    for i in range(len(labels) - 1, -1, -1):
        w = round(widths[i])
        box = [x - w, cy - h // 2, x, cy + h // 2]
        if i == len(labels) - 1:
            draw.rounded_rectangle(box, radius=h // 2, fill=accent)
            fill: RGB = (255, 255, 255)
        else:
            draw.rounded_rectangle(box, radius=h // 2, outline=theme.button_border, width=2)
            fill = theme.button_text
        draw.text((x - w / 2, cy), labels[i], font=font, fill=fill, anchor="mm")
        x -= w + gap


def _dim(image: Image.Image, brightness: float = 0.45) -> Image.Image:
    """A semi-transparent black overlay: every pixel keeps ``brightness`` of its value."""
    return Image.blend(image, Image.new("RGB", image.size, (0, 0, 0)), 1.0 - brightness)


def _modal(
    image: Image.Image,
    modal: tuple[str, list[str], list[str]],
    m: _Metrics,
    theme: _Theme,
    accent: RGB,
    web: bool,
) -> Image.Image:
    title, body, buttons = modal
    image = _dim(image)
    draw = ImageDraw.Draw(image)
    w = min(m.dialog_w, image.width - 2 * m.margin - 40)
    pad = round(m.pad * 1.5)
    f_title, f_body = _font(m.dialog_title, "bold"), _font(m.dialog_body)
    t_lines = _wrap(title, f_title, w - 2 * pad) if title else []
    b_lines = [x for line in body for x in _wrap(line, f_body, w - 2 * pad)]
    t_lh, b_lh = round(m.dialog_title * 1.4), round(m.dialog_body * m.line_h)
    btn_h = round(m.button_h * 1.25) if not web else m.button_h + 2 * m.pad
    h = pad + len(t_lines) * t_lh + (m.gap if t_lines and b_lines else 0) + len(b_lines) * b_lh + pad
    if buttons:
        h += btn_h
    x0 = (image.width - w) // 2
    y0 = max(m.margin, (image.height - h) // 2)
    draw.rounded_rectangle([x0, y0, x0 + w, y0 + h], radius=m.radius + 6, fill=theme.dialog)
    y = y0 + pad
    for line in t_lines:
        if web:
            draw.text((x0 + pad, y + t_lh // 2), line, font=f_title, fill=theme.dialog_title, anchor="lm")
        else:
            draw.text((x0 + w // 2, y + t_lh // 2), line, font=f_title, fill=theme.dialog_title, anchor="mm")
        y += t_lh
    if t_lines and b_lines:
        y += m.gap
    for line in b_lines:
        if web or len(b_lines) > 2:
            draw.text((x0 + pad, y + b_lh // 2), line, font=f_body, fill=theme.dialog_body, anchor="lm")
        else:
            draw.text((x0 + w // 2, y + b_lh // 2), line, font=f_body, fill=theme.dialog_body, anchor="mm")
        y += b_lh
    if buttons:
        by = y0 + h - btn_h
        if web:
            _buttons_row(draw, buttons, x0 + w - pad, x0 + pad, by + btn_h // 2, m, theme, accent)
        else:
            draw.line([(x0, by), (x0 + w, by)], fill=theme.divider, width=2)
            cell = w / len(buttons)
            font = _font(m.dialog_body + 2)
            for i, label in enumerate(buttons):
                cx = x0 + cell * (i + 0.5)
                if i:
                    draw.line([(x0 + cell * i, by), (x0 + cell * i, y0 + h)], fill=theme.divider, width=2)
                primary = i == len(buttons) - 1 and len(buttons) > 1
                fill = accent if primary else theme.button_text
                draw.text(
                    (cx, by + btn_h // 2),
                    _ellipsize(label, font, cell - 20),
                    font=_font(m.dialog_body + 2, "bold") if primary else font,
                    fill=fill,
                    anchor="mm",
                )
    return image


def _toast(image: Image.Image, text: str, m: _Metrics, bottom: int, dark: bool = False) -> Image.Image:
    """Dark, slightly transparent rounded toast with white text, centred horizontally above ``bottom``."""
    font = _font(m.toast)
    lines = _wrap(text, font, image.width * 0.7)
    lh = round(m.toast * 1.45)
    tw = max(font.getlength(x) for x in lines)
    padx, pady = round(m.toast * 1.1), round(m.toast * 0.7)
    w, h = round(tw + 2 * padx), len(lines) * lh + 2 * pady
    x0, y0 = (image.width - w) // 2, bottom - h
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rounded_rectangle(
        [x0, y0, x0 + w, y0 + h], radius=m.radius, fill=(76, 76, 80, 240) if dark else (24, 24, 24, 225)
    )
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text(
            (image.width // 2, y0 + pady + i * lh + lh // 2),
            line,
            font=font,
            fill=(255, 255, 255),
            anchor="mm",
        )
    return image


def _fill_page(
    page: _Page,
    status: tuple[str, str] | None,
    banner: list[str] | None,
    rows: list[tuple[str, str]] | None,
    lines: list[str] | None,
    red_lines: list[str] | None,
) -> None:
    if status:
        page.status_block(status)
    elif page.full_bleed_status:
        page.y += page.m.gap
    if banner:
        page.banner(banner)
    if rows:
        page.rows(rows)
    if lines:
        page.paragraphs(lines)
    if red_lines:
        page.red_lines(red_lines)


# --------------------------------------------------------------------------------------------- screens


def phone_screen(
    title: str,
    *,
    status: tuple[str, str] | None = None,
    banner: list[str] | None = None,
    rows: list[tuple[str, str]] | None = None,
    lines: list[str] | None = None,
    red_lines: list[str] | None = None,
    buttons: list[str] | None = None,
    modal: tuple[str, list[str], list[str]] | None = None,
    toast: str | None = None,
    dark: bool = False,
    size: tuple[int, int] = (1080, 2340),
    status_color: RGB = (240, 140, 0),
) -> Image.Image:
    """A phone app page, top to bottom: status bar, title bar, then the blocks that are given.

    ``status`` is a coloured header (big text, subtitle); ``banner`` a red warning box; ``rows``
    key/value pairs in a card; ``lines`` paragraphs in a card (wrapped); ``red_lines`` plain red text;
    ``buttons`` a bottom bar (the last button is the primary one, filled with ``status_color``);
    ``modal`` (title, body lines, buttons) dims the page and shows a dialog; ``toast`` a dark toast
    near the bottom. Blocks that do not fit the screen height are cut off at the bottom.
    """
    theme = _DARK if dark else _LIGHT
    m = _PHONE
    width, height = size
    image = Image.new("RGB", size, theme.page)
    draw = ImageDraw.Draw(image)
    bar_theme = theme
    if status and not dark:  # the header colour runs up behind the status and title bars
        bar_theme = replace(theme, bar=status_color, bar_text=(255, 255, 255), divider=status_color)
    top = _phone_status_bar(draw, width, bar_theme.bar, bar_theme.bar_text)
    top = _phone_title_bar(draw, width, top, title, bar_theme)
    bar_h = 200 if buttons else 0
    page = _Page(image, draw, theme, m, 0, width, top, height - bar_h, status_color, True)
    _fill_page(page, status, banner, rows, lines, red_lines)
    if buttons:
        y0 = height - bar_h
        draw.rectangle([0, y0, width, height], fill=theme.bar)
        draw.line([(0, y0), (width, y0)], fill=theme.divider, width=2)
        _buttons_row(draw, buttons, width - 36, 36, y0 + 86, m, theme, status_color)
    # home indicator
    draw.rounded_rectangle(
        [width // 2 - 140, height - 22, width // 2 + 140, height - 12], radius=5, fill=theme.bar_text
    )
    if modal:
        image = _modal(image, modal, m, theme, status_color, web=False)
    if toast:
        image = _toast(image, toast, m, height - (bar_h + 110 if buttons else 260), dark)
    return image


def web_screen(
    title: str,
    *,
    url: str = "https://shop.example.com/order/detail",
    status: tuple[str, str] | None = None,
    banner: list[str] | None = None,
    rows: list[tuple[str, str]] | None = None,
    lines: list[str] | None = None,
    red_lines: list[str] | None = None,
    buttons: list[str] | None = None,
    modal: tuple[str, list[str], list[str]] | None = None,
    toast: str | None = None,
    dark: bool = False,
    size: tuple[int, int] = (1440, 900),
    status_color: RGB = (240, 140, 0),
) -> Image.Image:
    """A desktop web page in a browser window: tab + address bar showing ``url``, then a centred
    content column with a bold page ``title`` and the same blocks as :func:`phone_screen`
    (buttons are a right-aligned row under the content; the modal has right-aligned buttons)."""
    theme = _DARK if dark else _LIGHT
    m = _WEB
    width, height = size
    image = Image.new("RGB", size, theme.page)
    draw = ImageDraw.Draw(image)
    top = _browser_chrome(draw, width, title, url, dark)
    # site header strip
    draw.rectangle([0, top, width, top + 60], fill=theme.bar)
    draw.line([(0, top + 60), (width, top + 60)], fill=theme.divider, width=1)
    draw.rounded_rectangle([40, top + 16, 68, top + 44], radius=7, fill=status_color)
    placeholder = theme.divider
    for i in range(4):  # menu entries and a user avatar, drawn as shapes so that they add no text
        draw.rounded_rectangle([100 + i * 110, top + 24, 180 + i * 110, top + 36], radius=6, fill=placeholder)
    draw.ellipse([width - 76, top + 12, width - 40, top + 48], fill=placeholder)
    col_w = min(960, width - 80)
    x0 = (width - col_w) // 2
    x1 = x0 + col_w
    y = top + 60 + 36
    f_title = _font(40, "bold")
    for line in _wrap(title, f_title, col_w):
        draw.text((x0, y + 28), line, font=f_title, fill=theme.text, anchor="lm")
        y += 56
    y += 20
    page = _Page(image, draw, theme, m, x0, x1, y, height - 20, status_color, False)
    _fill_page(page, status, banner, rows, lines, red_lines)
    if buttons:
        _buttons_row(draw, buttons, x1, x0, page.y + m.button_h // 2, m, theme, status_color)
    if modal:
        image = _modal(image, modal, m, theme, status_color, web=True)
    if toast:
        image = _toast(image, toast, m, height - 90, dark)
    return image


_LOG_COLOURS: tuple[tuple[tuple[str, ...], RGB], ...] = (
    (("ERROR", "FATAL", "Exception", "Caused by", "Error:"), (241, 112, 120)),
    (("WARN",), (229, 192, 123)),
    (("\tat ", "    at ", "\t... ", "    ... "), (171, 178, 191)),
    (("INFO",), (152, 195, 121)),
)


def terminal_screen(lines: list[str], *, size: tuple[int, int] = (1600, 900)) -> Image.Image:
    """A dark terminal window showing ``lines`` in a monospace font. Long lines wrap at the window
    width; tabs expand to 4 spaces; when there are more lines than fit, the last ones are shown (the
    terminal is scrolled to the bottom). Error / exception lines are red, WARN yellow, frames grey."""
    width, height = size
    bg = (30, 31, 34)
    image = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 44], fill=(52, 53, 57))
    for i, c in enumerate(((255, 95, 87), (254, 188, 46), (40, 200, 64))):
        x = 26 + i * 26
        draw.ellipse([x - 8, 14, x + 8, 30], fill=c)
    draw.text((width // 2, 22), "bash", font=_font(20), fill=(190, 190, 195), anchor="mm")
    font = _font(25, "mono")
    char_w = font.getlength("M")
    cols = max(20, int((width - 48) // char_w))
    lh = 36
    shown: list[tuple[str, RGB]] = []
    for raw in lines:
        colour: RGB = (221, 224, 229)
        for keys, c in _LOG_COLOURS:
            if any(k in raw for k in keys):
                colour = c
                break
        text = raw.expandtabs(4)
        wrapped = [text[i : i + cols] for i in range(0, len(text), cols)] or [""]
        shown.extend((w, colour) for w in wrapped)
    capacity = max(1, (height - 44 - 32) // lh)
    shown = shown[-capacity:]
    y = 44 + 18
    for text, colour in shown:
        draw.text((24, y + lh // 2), text, font=font, fill=colour, anchor="lm")
        y += lh
    return image


def _avatar(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], agent: bool) -> None:
    x0, y0, x1, _ = box
    s = x1 - x0
    cx = (x0 + x1) / 2
    if agent:
        draw.rounded_rectangle(box, radius=14, fill=(64, 140, 255))
        # a headset: head circle, band arc and two ear cups
        draw.ellipse([cx - s * 0.2, y0 + s * 0.26, cx + s * 0.2, y0 + s * 0.66], fill=(255, 255, 255))
        draw.arc(
            [cx - s * 0.3, y0 + s * 0.16, cx + s * 0.3, y0 + s * 0.76],
            180,
            360,
            fill=(255, 255, 255),
            width=5,
        )
        draw.rounded_rectangle([cx - s * 0.34, y0 + s * 0.42, cx - s * 0.24, y0 + s * 0.6], 3, fill=(255, 255, 255))
        draw.rounded_rectangle([cx + s * 0.24, y0 + s * 0.42, cx + s * 0.34, y0 + s * 0.6], 3, fill=(255, 255, 255))
        draw.pieslice([cx - s * 0.32, y0 + s * 0.7, cx + s * 0.32, y0 + s * 1.2], 180, 360, fill=(255, 255, 255))
    else:
        draw.rounded_rectangle(box, radius=14, fill=(178, 190, 205))
        draw.ellipse([cx - s * 0.18, y0 + s * 0.18, cx + s * 0.18, y0 + s * 0.54], fill=(255, 255, 255))
        draw.pieslice([cx - s * 0.32, y0 + s * 0.6, cx + s * 0.32, y0 + s * 1.2], 180, 360, fill=(255, 255, 255))


def chat_screen(
    messages: list[tuple[str, str]],
    *,
    title: str = "在线客服",
    size: tuple[int, int] = (1080, 2340),
) -> Image.Image:
    """A customer-service chat: ``("user" | "agent", text)`` messages as bubbles, the user's on the
    right (green) and the agent's on the left (white), each with an avatar. When the messages do not
    fit, the latest ones are shown (the chat is scrolled to the bottom)."""
    width, height = size
    theme = _LIGHT
    image = Image.new("RGB", size, (237, 237, 237))
    draw = ImageDraw.Draw(image)
    top = _phone_status_bar(draw, width, (247, 247, 247), (17, 17, 17))
    top = _phone_title_bar(draw, width, top, title, replace(theme, bar=(247, 247, 247)))
    input_h = 170
    bottom = height - input_h
    font = _font(40)
    av, margin, gap = 92, 28, 20
    padx, pady = 30, 24
    lh = round(40 * 1.45)
    max_text = width - 2 * (margin + av + gap) - 2 * padx - 90
    laid: list[tuple[bool, list[str], int, int]] = []
    for who, text in messages:
        wrapped = _wrap(text, font, max_text)
        tw = round(max(font.getlength(x) for x in wrapped))
        bh = max(av, len(wrapped) * lh + 2 * pady)
        laid.append((who == "user", wrapped, tw, bh))
    spacing = 40
    total = sum(b[3] for b in laid) + spacing * (len(laid) + 1)
    y = top + spacing
    if total > bottom - top:  # scrolled to the latest messages
        y = bottom - total + spacing
    for is_user, wrapped, tw, bh in laid:
        bw = tw + 2 * padx
        if y + bh > top:
            if is_user:
                ax = width - margin - av
                bx1 = ax - gap
                bx0 = bx1 - bw
                colour: RGB = (149, 236, 105)
                tail = [(bx1, y + 30), (bx1 + 12, y + 44), (bx1, y + 58)]
            else:
                ax = margin
                bx0 = ax + av + gap
                bx1 = bx0 + bw
                colour = (255, 255, 255)
                tail = [(bx0, y + 30), (bx0 - 12, y + 44), (bx0, y + 58)]
            _avatar(draw, (ax, y, ax + av, y + av), agent=not is_user)
            draw.rounded_rectangle([bx0, y, bx1, y + bh], radius=14, fill=colour)
            draw.polygon(tail, fill=colour)
            ty = y + (bh - len(wrapped) * lh) // 2
            for i, line in enumerate(wrapped):
                draw.text((bx0 + padx, ty + i * lh + lh // 2), line, font=font, fill=(25, 25, 25), anchor="lm")
        y += bh + spacing
    # keep the chrome on top of scrolled-away bubbles
    _phone_status_bar(draw, width, (247, 247, 247), (17, 17, 17))
    _phone_title_bar(draw, width, 96, title, replace(theme, bar=(247, 247, 247)))
    # input bar: voice button, text field, emoji and plus buttons
    draw.rectangle([0, bottom, width, height], fill=(247, 247, 247))
    draw.line([(0, bottom), (width, bottom)], fill=(220, 220, 220), width=2)
    cy = bottom + 70
    grey = (60, 60, 60)
    draw.ellipse([30, cy - 34, 98, cy + 34], outline=grey, width=4)
    for i, r in enumerate((8, 18)):
        draw.arc([56 - r, cy - r, 56 + r, cy + r], -50, 50, fill=grey, width=4 - i)
    draw.rounded_rectangle([120, cy - 44, width - 210, cy + 44], radius=12, fill=(255, 255, 255))
    ex = width - 160
    draw.ellipse([ex - 34, cy - 34, ex + 34, cy + 34], outline=grey, width=4)
    draw.arc([ex - 18, cy - 12, ex + 18, cy + 18], 20, 160, fill=grey, width=4)
    draw.ellipse([ex - 14, cy - 14, ex - 6, cy - 6], fill=grey)
    draw.ellipse([ex + 6, cy - 14, ex + 14, cy - 6], fill=grey)
    px = width - 70
    draw.ellipse([px - 34, cy - 34, px + 34, cy + 34], outline=grey, width=4)
    draw.line([(px - 18, cy), (px + 18, cy)], fill=grey, width=4)
    draw.line([(px, cy - 18), (px, cy + 18)], fill=grey, width=4)
    draw.rounded_rectangle([width // 2 - 140, height - 22, width // 2 + 140, height - 12], radius=5, fill=(17, 17, 17))
    return image


def photo_like(size: tuple[int, int] = (1280, 960), seed: int = 0) -> Image.Image:
    """A landscape photo without any text: sky gradient, sun with a glow, soft clouds, layered hills
    and a little sensor noise. Deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # sky: deep blue at the top to a pale horizon, colours jittered per seed
    top = np.array([60, 120, 200], np.float32) + rng.uniform(-20, 20, 3)
    horizon = np.array([215, 230, 245], np.float32) + rng.uniform(-15, 10, 3)
    t = (yy / h)[..., None] ** 0.8
    img = top * (1 - t) + horizon * t
    # sun with a glow
    sx, sy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.12, 0.35) * h
    sr = rng.uniform(0.04, 0.07) * min(w, h) * 1.6
    d = np.sqrt((xx - sx) ** 2 + (yy - sy) ** 2)
    glow = np.exp(-((d / (sr * 3.0)) ** 2))[..., None]
    img = img * (1 - 0.55 * glow) + np.array([255, 240, 200], np.float32) * 0.55 * glow
    disc = np.clip((sr - d) / 2.0, 0, 1)[..., None]
    img = img * (1 - disc) + np.array([255, 250, 225], np.float32) * disc
    # clouds: blurred white ellipses
    clouds = Image.new("L", size, 0)
    cdraw = ImageDraw.Draw(clouds)
    for _ in range(int(rng.integers(2, 5))):
        cx, cy = rng.uniform(0, w), rng.uniform(0.08, 0.4) * h
        for _ in range(5):
            ex, ey = cx + rng.normal(0, w * 0.04), cy + rng.normal(0, h * 0.015)
            rx, ry = rng.uniform(0.04, 0.09) * w, rng.uniform(0.02, 0.04) * h
            cdraw.ellipse([ex - rx, ey - ry, ex + rx, ey + ry], fill=int(rng.integers(150, 220)))
    cmask = np.asarray(clouds.filter(ImageFilter.GaussianBlur(radius=max(4, w // 90))), np.float32)[..., None] / 255
    img = img * (1 - cmask) + 250.0 * cmask
    # hills: far (hazy blue-green) to near (dark green), ridges made of a few sines
    xs = np.arange(w, dtype=np.float32) / w
    layers = (
        (0.55, 0.06, (112, 150, 140)),
        (0.66, 0.07, (74, 128, 72)),
        (0.78, 0.08, (44, 96, 42)),
    )
    for base, amp, colour in layers:
        ridge = np.full(w, base, np.float32)
        for k in range(3):
            f = rng.uniform(0.5, 1.5) * (k + 1)
            ridge += amp / (k + 1) ** 1.5 * np.sin(2 * math.pi * f * xs + rng.uniform(0, 2 * math.pi))
        ridge_y = ridge * h
        below = yy >= ridge_y[None, :]
        depth = np.clip((yy - (base - amp) * h) / (0.45 * h), 0, 1)[..., None]
        shade = np.array(colour, np.float32) * (1.0 - 0.3 * depth)
        edge = np.clip(yy - ridge_y[None, :], 0, 1)[..., None]  # one-pixel anti-aliased ridge
        img = np.where(below[..., None], img * (1 - edge) + shade * edge, img)
    img += rng.normal(0, 3.0, img.shape).astype(np.float32)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    return out.filter(ImageFilter.GaussianBlur(radius=0.6))


def to_bytes(image: Image.Image, fmt: str = "PNG", **save_kwargs: Any) -> bytes:
    """Encode ``image`` (e.g. ``to_bytes(img, "JPEG", quality=85)``)."""
    buf = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG") and image.mode != "RGB":
        image = image.convert("RGB")
    image.save(buf, format="JPEG" if fmt.upper() == "JPG" else fmt, **save_kwargs)
    return buf.getvalue()
