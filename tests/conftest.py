import os

# The background warm-up (mlviz.ui.warm_up) would compute in a thread beside the tests; its own
# tests turn it on where they need it.
os.environ.setdefault("MLVIZ_WARM_UP", "off")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402


def random_graph(n: int, density: float, seed: int, isolated: int = 0) -> sp.csr_matrix:
    """A random symmetric non-negative graph with zero diagonal and ``isolated`` empty nodes."""
    rng = np.random.default_rng(seed)
    A = sp.random(n, n, density=density, random_state=rng, format="csr")
    W = sp.csr_matrix(A + A.T)
    W.setdiag(0)
    if isolated:
        keep = np.ones(n)
        keep[:isolated] = 0
        D = sp.diags(keep)
        W = sp.csr_matrix(D @ W @ D)
    W.eliminate_zeros()
    return W


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


# ---------------------------------------------------------------- AppTest helpers
import base64  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


def app_test(page: str, timeout: float = 120, **query):
    """An AppTest of one page, with URL query parameters set before the first run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if page != "app.py":
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def assert_clean(at):
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def visit(at, page: str):
    """Switch the AppTest to another page, run it, and check it ran cleanly."""
    at.switch_page(page).run()
    assert_clean(at)
    return at


LIVE_CHART = "mlviz_live_chart"


def _in_order(node):
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for index in sorted(children):
        yield from _in_order(children[index])


def charts(at) -> list[tuple[str, dict]]:
    """The page's plotly figures in page order, as (key, figure dict): the live charts
    (``mlviz.ui.live_chart``, a components-v2 element) and the ``st.plotly_chart`` ones."""
    out = []
    for el in _in_order(at._tree):
        if el.type == "plotly_chart":
            out.append((el.proto.id.rsplit("-", 1)[-1], json.loads(el.proto.spec)))
        elif el.type == "bidi_component" and el.proto.component_name.endswith(LIVE_CHART):
            out.append((el.key, json.loads(json.loads(el.proto.json)["figure"])))
    return out


def figures(at) -> dict:
    """The page's plotly figures as dicts, by widget key (and position)."""
    out = {}
    for i, (key, spec) in enumerate(charts(at)):
        out[key] = spec
        out[i] = spec
    return out


def decode(values) -> np.ndarray:
    """A plotly JSON array: plain list, or {dtype, bdata} base64 typed array."""
    if isinstance(values, dict) and "bdata" in values:
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    return np.asarray(values, dtype=float)


def npy_bytes(arr, allow_pickle: bool = False) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def upload(at, name: str, data: bytes):
    """Switch the sidebar to 'file', upload ``data`` as ``name`` and rerun."""
    at.sidebar.radio(key="data").set_value("file").run()
    at.sidebar.get("file_uploader")[0].set_value((name, data, "application/octet-stream"))
    return at.run()


def labels_per_class(y, per_class, seed):
    """``y`` with ``per_class`` random labels per class kept and the rest ``-1``."""
    rng = np.random.default_rng(seed)
    out = np.full_like(y, -1)
    for c in np.unique(y):
        out[rng.choice(np.flatnonzero(y == c), per_class, replace=False)] = c
    return out


import html as _html  # noqa: E402
import re  # noqa: E402

_STRIP_IMAGE = re.compile(r'<figure data-point="(\d+)".*?<figcaption[^>]*>(.*?)</figcaption>',
                          re.S)


def strip_captions(at) -> list[list[tuple[int, str]]]:
    """Each image strip of the page's main area, in order: the (point id, caption) of each of
    its images (the strips are ``st.html`` blocks, :func:`mlviz.figures.images.strip_html`)."""
    from mlviz.figures.images import STRIP_CLASS

    blocks = [el.proto.body for el in at.main.get("html")
              if f'class="{STRIP_CLASS}"' in el.proto.body]
    return [[(int(i), _html.unescape(c)) for i, c in _STRIP_IMAGE.findall(b)] for b in blocks]


def strip_ids(at) -> list[list[int]]:
    """The point ids of each image strip of the page, in order."""
    return [[i for i, _ in strip] for strip in strip_captions(at)]


def panel_ids(at) -> list[int]:
    """The point id of the sidebar's point panel image (from its caption '#id · …'), if any."""
    return [int(i.caption.split(" ")[0].lstrip("#")) for el in at.sidebar.get("image")
            for i in el.proto.imgs]
