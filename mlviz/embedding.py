"""2-D layouts for drawing: the graph is always built in the original space, only drawn here."""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlviz._validation import check_features

Layout = Literal["pca", "umap"]
LAYOUTS: tuple[str, ...] = ("pca", "umap")


def layout_2d(X, method: Layout = "pca", seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """Coordinates of shape (n, 2) for drawing ``X``.

    ``"pca"`` projects on the top two principal axes (deterministic signs); ``"umap"`` runs
    UMAP (McInnes et al. 2018), seeded. Data that is 2-D already is drawn as it is
    (:attr:`mlviz.datasets.Dataset.coords`).
    """
    X = check_features(X)
    if method == "pca":
        from sklearn.decomposition import PCA

        if X.shape[1] == 1:
            return np.column_stack([X[:, 0], np.zeros(X.shape[0])])
        Y = PCA(n_components=2, random_state=seed).fit_transform(X)
        signs = np.sign(Y[np.argmax(np.abs(Y), axis=0), [0, 1]])
        return Y * np.where(signs == 0, 1, signs)
    if method == "umap":
        import umap

        nn = int(min(n_neighbors, X.shape[0] - 1))
        if nn < 2:
            raise ValueError("UMAP needs at least 3 points.")
        reducer = umap.UMAP(n_neighbors=nn, random_state=seed, n_jobs=1, init="spectral"
                            if X.shape[0] > nn + 2 else "random")
        return np.asarray(reducer.fit_transform(X), dtype=np.float64)
    raise ValueError(f"method must be one of {LAYOUTS}, got {method!r}.")
