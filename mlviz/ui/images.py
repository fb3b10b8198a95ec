"""Images on the pages: strips of thumbnails, and the selected point's side panel.

Only for data sets whose points are images (:func:`mlviz.strips.has_images`); on others every
function here draws nothing. Thumbnails come from :func:`mlviz.ui.caches.cached_thumbnails`
(built once per data set); a strip shows at most :data:`mlviz.strips.STRIP_LIMIT` images and a
page at most :data:`MAX_ON_SCREEN`.

Each strip is one ``st.html`` block (:func:`mlviz.figures.images.strip_html`: PNGs inline,
pixels kept sharp) whose images carry the point's index (``data-point``) and whose captions
start with its ``#index``: a test reads the indices back from the page and compares them with
the library's result. The side panel's one image is an ``st.image``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from mlviz.figures.images import (
    LEGEND,
    PANEL_IMAGE_PX,
    STRIP_IMAGE_PX,
    panel_pixels,
    strip_html,
)
from mlviz.strips import Strip, has_images, point_facts, point_text
from mlviz.ui.caches import cached_thumbnails

MAX_ON_SCREEN = 300
"""The most thumbnails one call of :func:`show_strips` draws."""


def thumbnails_of(ws) -> np.ndarray | None:
    """The cached thumbnails of the sidebar's data set, or ``None`` when its points are not
    images."""
    d = ws.dataset
    return cached_thumbnails(ws.data_key, d.images) if has_images(d) else None


def show_strips(ws, strips: Sequence[Strip], legend: bool = True, container=None) -> int:
    """Draw ``strips``, each a bold title and a row of framed thumbnails with captions.

    Draws nothing on a data set without images. Returns the number of images drawn (at most
    :data:`MAX_ON_SCREEN`; a strip past it is left out, and said so).
    """
    thumbs = thumbnails_of(ws)
    if thumbs is None:
        return 0
    box = container if container is not None else st.container()
    drawn = 0
    for strip in strips:
        title = f"**{strip.title}**" + (f" · {strip.note}" if strip.note else "")
        if drawn + len(strip) > MAX_ON_SCREEN:
            box.caption(f"{strip.title}: left out, the page already shows {drawn} images.")
            continue
        if not len(strip):
            box.markdown(f"{title}: none.")
            continue
        box.markdown(title)
        box.html(strip_html(strip, thumbs, STRIP_IMAGE_PX))
        drawn += len(strip)
    if legend and drawn:
        box.caption(LEGEND + " Captions: #point · class · rank (r) or certainty ω.")
    return drawn


def selected_point(name: str, newest: int | None, candidates: Sequence[int],
                   fallback: int | None = None) -> int | None:
    """The page's selected point: ``newest`` when the user just chose one (a click, a typed
    index), else the one remembered under ``name`` while it is still among ``candidates``,
    else ``fallback`` (else the first candidate). Pages that share ``name`` share the point."""
    key = f"mlviz_selected_{name}"
    if newest is not None:
        st.session_state[key] = int(newest)
        return int(newest)
    kept = st.session_state.get(key)
    if kept is not None and kept in set(int(c) for c in candidates):
        return int(kept)
    if fallback is not None:
        return int(fallback)
    return int(candidates[0]) if len(candidates) else None


def point_panel(ws, index: int | None, numbers: dict[str, str] | None = None,
                title: str = "Selected point", mark: str = "plain", note: str = "") -> None:
    """The selected point's image, class, extras (e.g. rotation angle) and the page's
    ``numbers`` for it, in the sidebar's panel (above the data settings).

    Draws nothing on a data set without images, or without a selected point.
    """
    thumbs = thumbnails_of(ws)
    if thumbs is None or index is None or not 0 <= index < ws.n:
        return
    box = ws.panel if getattr(ws, "panel", None) is not None else st.sidebar
    facts = {**point_facts(ws.dataset, int(index)), **(numbers or {})}
    with box.container(border=True):
        st.markdown(f"**{title}**")
        st.image(panel_pixels(thumbs, int(index), mark), width=PANEL_IMAGE_PX,
                 caption=point_text(ws.dataset, int(index)), output_format="PNG")
        st.markdown("  \n".join(f"{k}: **{v}**" for k, v in facts.items()))
        if note:
            st.caption(note)
