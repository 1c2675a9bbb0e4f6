"""Visual cues from pixels: warning banners, red text, modal dialogs, toasts, dark themes.

Support screenshots say what is wrong with colour and layout as much as with words: the red line
under an address, the dialog over a dimmed page. These checks are cheap colour statistics on the
line boxes the OCR found, so they cost a few milliseconds, not a model.
"""

from __future__ import annotations

import cv2
import numpy as np

from .types import DIALOG, RED_TEXT, TOAST, WARNING, Box

# Luminance weights (ITU-R BT.601).
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ _LUMA


def line_colours(pixels: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray | None]:
    """Background (the colour around the text) and foreground (the ink) of one line box."""
    x0, y0, x1, y1 = box
    pad = max(2, (y1 - y0) // 4)
    height, width = pixels.shape[:2]
    crop = pixels[max(0, y0 - pad) : min(height, y1 + pad), max(0, x0 - pad) : min(width, x1 + pad), :3]
    if crop.size == 0:
        return np.array([255, 255, 255], dtype=np.float32), None
    crop = crop.astype(np.int16)
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    background = np.median(border, axis=0).astype(np.int16)
    distance = np.abs(crop - background).sum(axis=2)
    ink = distance[distance > 90]
    if ink.size < 8:
        return background.astype(np.float32), None
    # The strongest third of the ink pixels: anti-aliased edges blend with the background.
    cutoff = np.partition(ink, int(ink.size * 0.66))[int(ink.size * 0.66)]
    foreground = np.median(crop[distance >= cutoff], axis=0).astype(np.float32)
    background = background.astype(np.float32)
    return background, foreground


def is_warm_tint(colour: np.ndarray) -> bool:
    """Red, orange, pink or yellow: the colours of warning banners and status blocks."""
    r, g, b = (float(c) for c in colour[:3])
    return r >= 170 and r - b >= 20 and r - g >= 8


def is_red_ink(colour: np.ndarray) -> bool:
    r, g, b = (float(c) for c in colour[:3])
    return r >= 150 and r - g >= 60 and r - b >= 40


def line_cues(pixels: np.ndarray, box: Box, *, dialog: Box | None, page_dark: bool) -> set[str]:
    background, foreground = line_colours(pixels, box)
    cues: set[str] = set()
    if is_warm_tint(background):
        cues.add(WARNING)
    if foreground is not None and is_red_ink(foreground) and not is_warm_tint(background):
        cues.add(RED_TEXT)
    if dialog is not None and centre_inside(box, dialog):
        cues.add(DIALOG)
    if (
        not page_dark
        and foreground is not None
        and float(luminance(background)) < 90
        and float(luminance(foreground)) > 200
        and box[1] > pixels.shape[0] * 0.08  # dark title/status bars at the top are not toasts
        and (box[2] - box[0]) < pixels.shape[1] * 0.8
    ):
        cues.add(TOAST)
    return cues


def is_dark_page(pixels: np.ndarray) -> bool:
    small = pixels[:: max(1, pixels.shape[0] // 200), :: max(1, pixels.shape[1] // 100)]
    return float(np.median(luminance(small))) < 90


def find_dialog(pixels: np.ndarray) -> Box | None:
    """The bounding box of a bright modal card over a dimmed page, if there is one."""
    height, width = pixels.shape[:2]
    scale = 240 / max(width, 1)
    small = cv2.resize(
        np.ascontiguousarray(pixels[..., :3]),
        (240, max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    lum = luminance(small)
    bright = (lum >= 232).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    sh, sw = lum.shape
    best: tuple[int, Box] | None = None
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if x == 0 or y == 0 or x + w >= sw or y + h >= sh:
            continue  # touches the edge: the page itself, not a card over it
        if not 0.02 <= (w * h) / (sw * sh) <= 0.7 or area / (w * h) < 0.5 or min(w, h) < 12:
            continue
        margin = max(3, round(0.04 * sw))
        ring = _ring(lum, (x, y, x + w, y + h), margin)
        if ring.size == 0 or float(ring.mean()) > 175 or float(ring.mean()) < 40:
            continue  # the surroundings are not a dimmed page
        if best is None or area > best[0]:
            best = (area, (x, y, x + w, y + h))
    if best is None:
        return None
    x0, y0, x1, y1 = best[1]
    return (int(x0 / scale), int(y0 / scale), int(x1 / scale), int(y1 / scale))


def _ring(lum: np.ndarray, box: Box, margin: int) -> np.ndarray:
    x0, y0, x1, y1 = box
    h, w = lum.shape
    outer = lum[max(0, y0 - margin) : min(h, y1 + margin), max(0, x0 - margin) : min(w, x1 + margin)]
    mask = np.ones(outer.shape, dtype=bool)
    mask[min(margin, y0) : min(margin, y0) + (y1 - y0), min(margin, x0) : min(margin, x0) + (x1 - x0)] = False
    return outer[mask]


def centre_inside(box: Box, outer: Box) -> bool:
    cx = (box[0] + box[2]) / 2
    cy = (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]
