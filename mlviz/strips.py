"""Which images a strip shows: the points a page computed, with a caption and a mark each.

A :class:`Strip` is plain data (point indices, captions, marks), built from the library's
results by the functions below (no pixels, no streamlit), so a test can compare a page's strip
with the result it came from. :mod:`mlviz.figures.images` turns one into framed thumbnails.

Marks: ``"query"``, ``"relevant"`` / ``"irrelevant"`` (same class as the query or anchor, or
not), ``"right"`` / ``"wrong"`` (a prediction against the ground truth), ``"labelled"``,
``"plain"`` (nothing to judge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlviz.datasets import Dataset
from mlviz.ranking import nearest_query_scores, top_k

STRIP_LIMIT = 40
"""The most images one strip shows (a page shows a few strips: a few hundred at most)."""
MARKS = ("query", "relevant", "irrelevant", "right", "wrong", "labelled", "plain")


@dataclass(frozen=True)
class Strip:
    """A row of images: the points ``indices``, in order, each with a caption and a mark.

    Attributes
    ----------
    title : str
    indices : tuple of int
    captions : tuple of str
        One per image: ``#index · class · …``.
    marks : tuple of str
        One of :data:`MARKS` per image.
    note : str
        What was left out (e.g. ``"the 40 most certain of 85"``), or ``""``.
    """

    title: str
    indices: tuple[int, ...]
    captions: tuple[str, ...]
    marks: tuple[str, ...]
    note: str = ""

    def __post_init__(self):
        if not len(self.indices) == len(self.captions) == len(self.marks):
            raise ValueError("a strip needs one caption and one mark per image.")
        if unknown := set(self.marks) - set(MARKS):
            raise ValueError(f"marks must be among {MARKS}, got {sorted(unknown)}.")

    def __len__(self) -> int:
        return len(self.indices)


def has_images(d: Dataset) -> bool:
    """Whether the data set's points are images (strips and the point panel are shown)."""
    return d.images is not None and d.images.shape[0] == d.n


def point_text(d: Dataset, i: int) -> str:
    """``#i · class`` and, for rotation orbits, ``· angle°``: the start of every caption."""
    parts = [f"#{i}"]
    if d.labels is not None and d.labels[i] >= 0:
        parts.append(d.class_names[d.labels[i]])
    if "angle" in d.extras:
        parts.append(f"{d.extras['angle'][i]:g}°")
    return " · ".join(parts)


def point_facts(d: Dataset, i: int) -> dict[str, str]:
    """What the data set knows of point ``i``: its class and extras, as text."""
    facts = {"point": f"#{i}"}
    if d.labels is not None and d.labels[i] >= 0:
        facts["class"] = d.class_names[d.labels[i]]
    for name, values in d.extras.items():
        facts[name] = f"{values[i]:g}°" if name == "angle" else f"{values[i]:g}"
    return facts


def _relevance(d: Dataset, idx, reference) -> list[str]:
    if d.labels is None:
        return ["plain"] * len(idx)
    classes = set(d.labels[np.atleast_1d(reference)].tolist())
    return ["relevant" if d.labels[j] in classes else "irrelevant" for j in idx]


def _tick(mark: str) -> str:
    return {"relevant": " ✓", "irrelevant": " ✗", "right": " ✓", "wrong": " ✗"}.get(mark, "")


def ranked_strip(d: Dataset, title: str, order, reference) -> Strip:
    """Points ``order`` (best first) with their rank; relevant: same class as a ``reference``
    point (the queries, the anchor)."""
    order = [int(j) for j in np.asarray(order)[:STRIP_LIMIT]]
    marks = _relevance(d, order, reference)
    captions = [f"{point_text(d, j)} · r{r}{_tick(m)}" for r, (j, m) in
                enumerate(zip(order, marks), 1)]
    return Strip(title, tuple(order), tuple(captions), tuple(marks))


def query_strip(d: Dataset, queries, title: str = "queries") -> Strip:
    q = [int(j) for j in np.asarray(queries)]
    shown = q[:STRIP_LIMIT]
    return Strip(title, tuple(shown), tuple(point_text(d, j) for j in shown),
                 ("query",) * len(shown),
                 f"the first {len(shown)} of {len(q)}" if len(q) > len(shown) else "")


def ranking_strips(d: Dataset, manifold_scores, queries, k: int, metric: str,
                   plain_scores=None) -> list[Strip]:
    """The queries, the top ``k`` by manifold ranking and the top ``k`` by ``metric`` ranking
    (:func:`mlviz.ranking.nearest_query_scores`, or ``plain_scores`` when already computed),
    queries excluded, both by :func:`mlviz.ranking.top_k`."""
    queries = list(queries)
    manifold = top_k(manifold_scores, k, exclude=queries)
    if plain_scores is None:
        plain_scores = nearest_query_scores(d.X, queries, metric)
    plain = top_k(plain_scores, k, exclude=queries)
    name = "Euclidean" if metric == "euclidean" else metric
    return [query_strip(d, queries),
            ranked_strip(d, f"top {k} by manifold ranking", manifold, queries),
            ranked_strip(d, f"top {k} by {name} ranking", plain, queries)]


def mining_strips(d: Dataset, mined) -> list[Strip]:
    """The anchor, ``E(x)``, ``M(x)``, ``S⁺ = M \\ E`` and ``S⁻ = E \\ M`` of a
    :class:`mlviz.mining.Mined`; relevant: the anchor's class. ``S⁺`` carries its rank in
    ``M``, ``S⁻`` its rank in ``E``."""
    a = mined.anchor
    E, M = [int(j) for j in mined.euclidean], [int(j) for j in mined.manifold]

    def by_rank(title, idx, ranking):
        idx = [int(j) for j in idx][:STRIP_LIMIT]
        marks = _relevance(d, idx, [a])
        caps = [f"{point_text(d, j)} · r{ranking.index(j) + 1}{_tick(m)}"
                for j, m in zip(idx, marks)]
        return Strip(title, tuple(idx), tuple(caps), tuple(marks))

    return [query_strip(d, [a], "anchor x"),
            by_rank(f"E(x): its {len(E)} Euclidean neighbours", E, E),
            by_rank(f"M(x): its {len(M)} manifold neighbours", M, M),
            by_rank("S⁺ = M \\ E: hard positives (rank in M)", mined.positives, M),
            by_rank("S⁻ = E \\ M: hard negatives (rank in E)", mined.negatives, E)]


def _top_among(scores, among, k: int, lowest: bool = False) -> np.ndarray:
    """Indices of the ``k`` highest (or lowest) ``scores`` among the points ``among``, ties
    by index (:func:`mlviz.ranking.top_k`)."""
    idx = np.flatnonzero(among)
    s = np.asarray(scores, dtype=np.float64)[idx]
    return idx[top_k(-s if lowest else s, k)]


def _prediction_strip(d: Dataset, title, idx, predicted, certainty, truth, names,
                      before=None) -> Strip:
    caps, marks = [], []
    for j in idx:
        mark = "plain" if truth is None else ("right" if predicted[j] == truth[j] else "wrong")
        what = names[predicted[j]] if before is None else f"{names[before[j]]}→{names[predicted[j]]}"
        true = f" (true {names[truth[j]]})" if mark == "wrong" else ""
        caps.append(f"#{j} · {what}{true} · ω {certainty[j]:.2f}{_tick(mark)}")
        marks.append(mark)
    return Strip(title, tuple(int(j) for j in idx), tuple(caps), tuple(marks))


def propagation_strips(d: Dataset, given, predictions, certainty, class_names,
                       k: int = 10) -> list[Strip]:
    """Label propagation's strips: the labelled points (by class), the ``k`` most and ``k``
    least certain predictions and the wrong ones (most certain first, up to ``k``), each with
    its predicted class and ω. Predictions are those of the unlabelled points that got one.

    Parameters
    ----------
    given : ndarray of shape (n,)
        The labels given (``-1``: unlabelled).
    predictions, certainty : ndarray of shape (n,)
        ``ŷ`` (``-1``: none) and ``ω`` (:func:`mlviz.propagation.propagate_labels`).
    """
    given, pred, cert = np.asarray(given), np.asarray(predictions), np.asarray(certainty)
    truth = d.labels
    names = list(class_names)
    labelled = np.flatnonzero(given >= 0)
    order = labelled[np.lexsort((labelled, given[labelled]))]
    if order.size > STRIP_LIMIT:  # a few of every class, not the first classes only
        rank_in_class = np.concatenate([np.arange(c) for c in np.bincount(given[order])])
        order = order[np.lexsort((given[order], rank_in_class))][:STRIP_LIMIT]
        order = order[np.lexsort((order, given[order]))]
    strips = [Strip(f"labelled ({labelled.size})", tuple(int(j) for j in order),
                    tuple(f"#{j} · label {names[given[j]]}" for j in order),
                    ("labelled",) * order.size,
                    f"{order.size} of {labelled.size}, a few per class"
                    if labelled.size > order.size else "")]
    among = (given < 0) & (pred >= 0)
    k = min(int(k), STRIP_LIMIT)
    strips.append(_prediction_strip(d, f"the {k} most certain predictions",
                                    _top_among(cert, among, k), pred, cert, truth, names))
    strips.append(_prediction_strip(d, f"the {k} least certain predictions",
                                    _top_among(cert, among, k, lowest=True), pred, cert, truth,
                                    names))
    if truth is not None:
        wrong = among & (pred != truth)
        shown = _top_among(cert, wrong, k)
        strip = _prediction_strip(d, f"wrong predictions ({int(wrong.sum()):,})", shown, pred,
                                  cert, truth, names)
        note = f"the {shown.size} most certain of {int(wrong.sum()):,}" if wrong.sum() > k else ""
        strips.append(Strip(strip.title, strip.indices, strip.captions, strip.marks, note))
    return strips


def deep_lp_strips(d: Dataset, labelled, pseudo_labels, certainty, previous=None,
                   k: int = 10) -> list[Strip]:
    """Deep label propagation at one epoch: the ``k`` least certain pseudo-labels of the
    unlabelled points and, given the ``previous`` epoch's pseudo-labels, those that changed
    (up to ``k``, most certain first), captioned ``before→now``.

    Parameters
    ----------
    labelled : ndarray of bool, shape (n,)
    pseudo_labels, certainty : ndarray of shape (n,)
        ``ŷ`` and ``ω`` of this epoch (:class:`mlviz.deep.label_propagation.EpochRecord`).
    previous : ndarray of shape (n,), optional
        ``ŷ`` of the epoch before.
    """
    pseudo, cert = np.asarray(pseudo_labels), np.asarray(certainty)
    unl = ~np.asarray(labelled, dtype=bool) & (pseudo >= 0)
    names, truth = list(d.class_names), d.labels
    k = min(int(k), STRIP_LIMIT)
    strips = [_prediction_strip(d, f"the {k} least certain pseudo-labels",
                                _top_among(cert, unl, k, lowest=True), pseudo, cert, truth,
                                names)]
    if previous is not None:
        previous = np.asarray(previous)
        changed = unl & (previous >= 0) & (previous != pseudo)
        shown = _top_among(cert, changed, k)
        strip = _prediction_strip(d, f"pseudo-labels changed since the epoch before "
                                     f"({int(changed.sum()):,})", shown, pseudo, cert, truth,
                                  names, before=previous)
        note = f"the {shown.size} most certain of {int(changed.sum()):,}" if changed.sum() > k else ""
        strips.append(Strip(strip.title, strip.indices, strip.captions, strip.marks, note))
    return strips
