"""Deep learning on manifolds: deep label propagation and metric learning without labels.

Two methods of the talk (seed, sections "label propagation" and "mining on manifolds") that
train a network with a nearest-neighbour graph built on the network's own features.

Deep label propagation
    Iscen, Tolias, Avrithis, Chum, "Label propagation for deep semi-supervised learning",
    CVPR 2019. A feature map :math:`\\phi_\\theta` and a classifier
    :math:`f_\\theta = \\mathrm{softmax}(\\mathrm{FC}(\\phi_\\theta))` are trained on labelled
    points :math:`L` and unlabelled points :math:`U`. After supervised pre-training, every
    epoch extracts :math:`\\phi_\\theta(x_i)` for all points, builds the reciprocal kNN graph
    on them, propagates the labels :math:`Z = (I - \\alpha\\mathcal{W})^{-1} Y` by conjugate
    gradient, reads off pseudo-labels :math:`\\hat{y}_i = \\arg\\max_j z_{ij}`, certainties
    :math:`\\omega_i = 1 - H(\\hat{\\mathbf{z}}_i) / \\log c` and class weights
    :math:`\\zeta_j = (|L_j| + |U_j|)^{-1}`, and trains one epoch on

    .. math:: L_s + L_w = \\sum_{i \\in L} \\ell_s(f_\\theta(x_i), y_i)
              + \\sum_{i \\in U} \\omega_i \\zeta_{\\hat{y}_i} \\ell_s(f_\\theta(x_i), \\hat{y}_i),

    with :math:`\\ell_s` the cross-entropy. The fully supervised baseline trains the same
    network from the same seed on :math:`L_s` alone.

Metric learning without labels
    Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning without labels",
    CVPR 2018. On the kNN graph of given descriptors, an anchor's hard positives are
    :math:`S^+ = M \\setminus E` (close on the manifold, far in space) and its hard negatives
    :math:`S^- = E \\setminus M`; an embedding is fine-tuned on (anchor, positive, negative)
    triplets. The supervised version takes positives and negatives from the true classes.

Everything here is plain torch and numpy: no streamlit, no plotly. Training functions take a
``progress(epoch, history)`` callback and a ``threading.Event`` ``stop``, so that the app can
run them in a background thread, poll the history, and stop them cleanly.

Modules
    :mod:`~mlviz.deep.label_propagation` and :mod:`~mlviz.deep.metric_learning`, the two
    trainings, with their settings in :mod:`~mlviz.deep.configs`, their losses in
    :mod:`~mlviz.deep.losses` and deep LP's batches in :mod:`~mlviz.deep.batches`;
    :mod:`~mlviz.deep.networks`, :mod:`~mlviz.deep.features` (``φθ(x)`` of all points) and
    :mod:`~mlviz.deep.checkpoints` (saved weights); :mod:`~mlviz.deep.devices` and
    :mod:`~mlviz.deep.threads`, where and on how many CPU threads training runs. The graph,
    the propagation and the pseudo-labels are those of :mod:`mlviz.graph` and
    :mod:`mlviz.propagation`; the measures those of :mod:`mlviz.metrics`.
"""

from mlviz.deep.checkpoints import WeightsMismatch, load_model, save_model
from mlviz.deep.configs import DeepLPConfig, MetricLearningConfig
from mlviz.deep.devices import describe_device, pick_device
from mlviz.deep.features import extract_features
from mlviz.deep.label_propagation import (
    DeepLPHistory,
    EpochRecord,
    propagate_on_features,
    train_deep_lp,
    train_supervised,
)
from mlviz.deep.losses import triplet_loss, weighted_pseudo_label_loss
from mlviz.deep.metric_learning import MetricLearningResult, train_metric_learning
from mlviz.deep.networks import NETWORKS, EmbeddingMLP, SmallCNN, SmallMLP, make_network

__all__ = [
    "NETWORKS",
    "DeepLPConfig",
    "DeepLPHistory",
    "EmbeddingMLP",
    "EpochRecord",
    "MetricLearningConfig",
    "MetricLearningResult",
    "SmallCNN",
    "SmallMLP",
    "WeightsMismatch",
    "describe_device",
    "extract_features",
    "load_model",
    "make_network",
    "pick_device",
    "propagate_on_features",
    "save_model",
    "train_deep_lp",
    "train_metric_learning",
    "train_supervised",
    "triplet_loss",
    "weighted_pseudo_label_loss",
]
