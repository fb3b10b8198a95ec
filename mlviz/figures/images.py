"""Image strips as pixels: each thumbnail of a :class:`mlviz.strips.Strip` framed in its
mark's colour. No streamlit and no maths (the strip says which points; the cache holds the
thumbnails, :func:`mlviz.images.thumbnails`)."""

from __future__ import annotations

import numpy as np

from mlviz.images import framed
from mlviz.strips import Strip

MARK_COLORS = {
    "query": (255, 127, 14),      # orange, as the queries' stars
    "relevant": (44, 160, 44),    # green: same class as the query
    "irrelevant": (214, 39, 40),  # red
    "right": (44, 160, 44),
    "wrong": (214, 39, 40),
    "labelled": (31, 119, 180),   # blue, as the labelled triangles
    "plain": (170, 170, 170),
}
"""Frame colour of each mark (RGB)."""
FRAME_PX = 3
STRIP_IMAGE_PX = 74
"""The width each image of a strip is shown at (its caption is below it)."""
PANEL_IMAGE_PX = 132
"""The width of the selected point's image in the side panel."""

LEGEND = ("Frames: green = same class as the query (or anchor) / right prediction, red = "
          "another class / wrong, orange = query, blue = labelled.")


def strip_pixels(strip: Strip, thumbs: np.ndarray) -> list[np.ndarray]:
    """The strip's images, each an ``uint8`` RGB array framed in its mark's colour.

    Parameters
    ----------
    strip : Strip
    thumbs : ndarray of uint8, shape (n, H, W) or (n, H, W, 3)
        Every point's thumbnail.
    """
    if not len(strip):
        return []
    colors = np.array([MARK_COLORS[m] for m in strip.marks], dtype=np.uint8)
    return list(framed(thumbs[np.asarray(strip.indices)], colors, FRAME_PX))


def panel_pixels(thumbs: np.ndarray, index: int, mark: str = "plain") -> np.ndarray:
    """One point's thumbnail, framed, for the side panel."""
    colors = np.array([MARK_COLORS[mark]], dtype=np.uint8)
    return framed(thumbs[[index]], colors, FRAME_PX)[0]
