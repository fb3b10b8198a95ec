"""mlviz: the maths and figures behind an interactive tour of learning on manifolds.

After Y. Avrithis, "Unsupervised and semi-supervised learning on manifolds" (2019).
"""

from mlviz._validation import query_vector

__all__ = ["query_vector"]
__version__ = "0.1.0"
