"""Pixels of image data sets: checking a file's ``images``, and thumbnails for the strips.

No streamlit and no plotly: arrays in, arrays out. A data set's thumbnails are built once
(:func:`thumbnails`, cached by the app) and framed only for the few images a strip shows
(:func:`framed`).
"""

from __future__ import annotations

import numpy as np

MAX_IMAGE_SIDE = 512
"""The largest image side accepted from a file (the strips show about 64 pixels)."""
THUMB_SIDE = 48
"""A thumbnail's side in pixels, about (each image is upsampled by a whole factor)."""
MAX_THUMB_BYTES = 64 * 2**20
"""The memory all of a data set's thumbnails may take; beyond it they are not upsampled."""


def check_images(images, n: int, name: str = "images") -> tuple[np.ndarray | None, str | None]:
    """A file's ``images`` array as the app can show it, or why it cannot be.

    Accepted: ``n × h × w`` (grey) or ``n × h × w × 3`` (RGB), ``uint8`` (0–255) or float in
    ``[0, 1]``, one image per descriptor row, sides from 2 to :data:`MAX_IMAGE_SIDE` pixels.

    Parameters
    ----------
    images : array-like or None
    n : int
        The number of descriptor rows.
    name : str
        The file's name, for the message.

    Returns
    -------
    images : ndarray or None
        ``uint8`` arrays as given, float ones as ``float32``; ``None`` when refused or absent.
    problem : str or None
        Why the images were refused (count, dtype or shape), for a warning; the descriptors
        load without them.
    """
    if images is None:
        return None, None
    arr = np.asarray(images)
    left_out = "; the descriptors are loaded without images."
    shape = "×".join(map(str, arr.shape))
    if arr.dtype != np.uint8 and not np.issubdtype(arr.dtype, np.floating):
        return None, (f"{name}: 'images' must be uint8 (0–255) or float in [0, 1], got dtype "
                      f"{arr.dtype}; save them with images.astype('uint8'){left_out}")
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[3] == 3)):
        return None, (f"{name}: 'images' must be n×h×w (grey) or n×h×w×3 (RGB), got shape "
                      f"{shape}{left_out}")
    if arr.shape[0] != n:
        return None, (f"{name}: 'images' holds {arr.shape[0]:,} images for {n:,} descriptor rows; "
                      f"give one image per row of X, in the same order{left_out}")
    h, w = arr.shape[1:3]
    if not (2 <= h <= MAX_IMAGE_SIDE and 2 <= w <= MAX_IMAGE_SIDE):
        return None, (f"{name}: 'images' are {h}×{w} pixels; the app shows images from 2 to "
                      f"{MAX_IMAGE_SIDE} pixels a side: resize them{left_out}")
    if arr.dtype == np.uint8:
        return arr, None
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        return None, f"{name}: 'images' hold NaN or infinite values{left_out}"
    low, high = float(arr.min()), float(arr.max())
    if low < 0 or high > 1:
        return None, (f"{name}: 'images' of floats must lie in [0, 1], found values from {low:g} to "
                      f"{high:g}; divide by 255 or save them as uint8{left_out}")
    return arr, None


def unit_range(images) -> np.ndarray:
    """Pixels scaled to ``[0, 1]`` for display: ``uint8`` divided by 255; floats divided by
    their largest value when it exceeds 1 (digits' 0–16), else kept; clipped at 0."""
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    arr = arr.astype(np.float32)
    top = float(arr.max()) if arr.size else 1.0
    return np.clip(arr / top if top > 1 else arr, 0.0, 1.0)


def upsampling_factor(shape: tuple[int, ...], side: int = THUMB_SIDE,
                      max_bytes: int = MAX_THUMB_BYTES) -> int:
    """The whole factor that brings an image's longer side near ``side`` pixels, reduced so
    that all ``shape[0]`` thumbnails fit in ``max_bytes``; at least 1."""
    n, h, w = shape[:3]
    channels = shape[3] if len(shape) == 4 else 1
    factor = max(1, round(side / max(h, w)))
    while factor > 1 and n * h * w * channels * factor**2 > max_bytes:
        factor -= 1
    return factor


def thumbnails(images, side: int = THUMB_SIDE) -> np.ndarray:
    """Every image as an ``uint8`` thumbnail, upsampled by pixel repetition (the pixels stay
    sharp) by :func:`upsampling_factor`.

    Returns
    -------
    ndarray of uint8, shape (n, f·h, f·w) or (n, f·h, f·w, 3)
    """
    unit = unit_range(images)
    f = upsampling_factor(unit.shape, side)
    pixels = np.round(unit * 255).astype(np.uint8)
    if f > 1:
        pixels = pixels.repeat(f, axis=1).repeat(f, axis=2)
    return pixels


def framed(thumbs, colors, width: int = 3) -> np.ndarray:
    """Thumbnails as RGB with a frame of ``width`` pixels in each one's colour.

    Parameters
    ----------
    thumbs : ndarray of uint8, shape (m, H, W) or (m, H, W, 3)
    colors : array-like of shape (m, 3)
        RGB 0–255, one per thumbnail.

    Returns
    -------
    ndarray of uint8, shape (m, H + 2·width, W + 2·width, 3)
    """
    thumbs = np.asarray(thumbs, dtype=np.uint8)
    if thumbs.ndim == 3:
        thumbs = np.repeat(thumbs[..., None], 3, axis=3)
    colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    m, h, w, _ = thumbs.shape
    if colors.shape[0] != m:
        raise ValueError(f"colors must have one row per thumbnail ({m}), got {colors.shape[0]}.")
    out = np.empty((m, h + 2 * width, w + 2 * width, 3), dtype=np.uint8)
    out[:] = colors[:, None, None, :]
    out[:, width : width + h, width : width + w] = thumbs
    return out
