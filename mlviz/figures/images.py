"""Image strips as pixels and as HTML: each thumbnail of a :class:`mlviz.strips.Strip` framed
in its mark's colour. No streamlit and no maths (the strip says which points; the cache holds
the thumbnails, :func:`mlviz.images.thumbnails`)."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import PIL.Image

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

STRIP_CLASS = "mlviz-strip"
"""The class of a strip's HTML block; each image in it is a ``<figure data-point="i">``."""
_CAPTION_STYLE = ("font-size: 0.8rem; line-height: 1.25; color: rgba(49, 51, 63, 0.6); "
                  "overflow-wrap: anywhere; margin-top: 0.2rem")

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


def png_data_uri(pixels: np.ndarray) -> str:
    """An ``uint8`` image (grey or RGB) as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    PIL.Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def strip_html(strip: Strip, thumbs: np.ndarray, width_px: int = STRIP_IMAGE_PX) -> str:
    """The strip as one HTML block: its framed thumbnails (PNG, inline, pixels kept sharp) in
    a wrapping row, each with its caption below it.

    One block with the images inline instead of one ``st.image`` per strip: the mining page's
    four strips on digits were 89 image requests and ~200 elements for the browser to lay out;
    drawn so, a one-session tour of the class benchmark cost Chromium 0.9 fewer core-seconds of
    10.9 (``benchmarks/README.md``).
    """
    figures = []
    for index, pixels, caption in zip(strip.indices, strip_pixels(strip, thumbs),
                                      strip.captions):
        text = html.escape(caption)
        figures.append(
            f'<figure data-point="{int(index)}" style="margin: 0; width: {width_px}px; '
            f'text-align: center"><img src="{png_data_uri(pixels)}" alt="{text}" '
            f'width="{width_px}" style="image-rendering: pixelated; display: block">'
            f'<figcaption style="{_CAPTION_STYLE}">{text}</figcaption></figure>')
    return (f'<div class="{STRIP_CLASS}" style="display: flex; flex-wrap: wrap; '
            f'gap: 0.5rem 0.6rem; align-items: flex-start">{"".join(figures)}</div>')
