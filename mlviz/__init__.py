"""mlviz: the maths and figures behind an interactive tour of learning on manifolds.

After Y. Avrithis, "Unsupervised and semi-supervised learning on manifolds" (2019). Each
formula of the talk has one home; this index says where, by the talk's sections.

Ranking on manifolds
    reciprocal kNN graph, w_ij = max(s_ij, 0)^γ     :func:`mlviz.graph.build_knn_graph`
    𝒲 = D^-1/2 W D^-1/2                             :func:`mlviz.graph.normalize`
    kNN search, exact or faiss IVF; its recall       :func:`mlviz.knn.knn_search`,
                                                     :func:`mlviz.knn.neighbor_recall`
    query vector y                                   :func:`mlviz.query_vector`
    random walk f(τ) = α𝒲 f(τ-1) + (1-α) y           :func:`mlviz.diffusion.random_walk`
    ℒ_α f = y, ℒ_α = (I - α𝒲)/(1-α), by CG           :func:`mlviz.diffusion.conjugate_gradient`
    many right-hand sides at once                    :func:`mlviz.diffusion.block_conjugate_gradient`
    f* = (1-α)(I - α𝒲)^-1 y (the only direct solve)  :func:`mlviz.diffusion.exact_solution`
    κ(ℒ_α) = (1+α)/(1-α); CG's rate (√κ-1)/(√κ+1)   :func:`mlviz.diffusion.condition_number`,
                                                     :func:`mlviz.diffusion.cg_rate`
    top k of a ranking                               :func:`mlviz.ranking.top_k`
    manifold vs Euclidean ranking, AP and mAP        :mod:`mlviz.ranking`, :mod:`mlviz.metrics`

Ranking as smoothing
    ℒ_α^-1 = h_α(𝒲), h_α(λ) = (1-α)/(1-αλ)          :func:`mlviz.spectral.h_alpha`
    heat kernel, ideal low-pass                      :func:`mlviz.spectral.heat_kernel`,
                                                     :func:`mlviz.spectral.ideal_low_pass`
    top-r eigenpairs 𝒲 ≈ U Λ Uᵀ                       :func:`mlviz.spectral.eigenpairs`
    x ≈ U h(Λ) Uᵀ y                                  :func:`mlviz.spectral.low_rank_filter`
    spectral embedding U h(Λ)^1/2                    :func:`mlviz.spectral.spectral_embedding`
    EMA x_i = α x_(i-1) + (1-α) y_i, its responses   :func:`mlviz.spectral.exponential_moving_average`,
                                                     :func:`mlviz.spectral.ema_impulse_response`,
                                                     :func:`mlviz.spectral.ema_frequency_response`

Mining on manifolds
    E(x), M(x), S⁺ = M \\ E, S⁻ = E \\ M              :func:`mlviz.mining.mine`,
                                                     :func:`mlviz.mining.hard_examples`
    descriptors learned on other classes             :class:`mlviz.deep.transfer.TransferMiniature`
    triplet loss, fine-tuning on mined tuples        :func:`mlviz.deep.triplet_loss`,
                                                     :func:`mlviz.deep.train_metric_learning`
    Recall@k, NMI                                    :func:`mlviz.metrics.recall_at_k`,
                                                     :func:`mlviz.metrics.nmi`

Label propagation
    Y, Z = (I - α𝒲)^-1 Y                             :func:`mlviz.propagation.label_matrix`,
                                                     :func:`mlviz.propagation.propagate`
    ŷ, ω_i = 1 - H(ẑ_i)/log c, ζ_j, loss weights      :func:`mlviz.propagation.pseudo_labels`
      (the talk's, or the authors': ω/max ω, ζ·N/c)
    a scikit-learn estimator                         :class:`mlviz.label_spreading.LabelSpreading`
    L_s + L_w = Σ_L ℓ + Σ_U ω_i ζ_ŷi ℓ               :func:`mlviz.deep.weighted_pseudo_label_loss`
    the deep LP loop                                 :func:`mlviz.deep.train_deep_lp`

Figures are built in :mod:`mlviz.figures` (plotly, no maths) and wired to Streamlit in
:mod:`mlviz.ui` (the only part that imports streamlit).
"""

from mlviz import _threads  # noqa: F401, I001  (first: before numpy loads OpenBLAS)
from mlviz._validation import query_vector

__all__ = ["query_vector"]
__version__ = "0.1.0"
