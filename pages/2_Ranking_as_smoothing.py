"""Ranking as smoothing: spectral low-pass filtering on the graph."""

import numpy as np
import streamlit as st

from mlviz import query_vector, ui
from mlviz.embedding import components_side_by_side
from mlviz.figures import (
    ceiling_title,
    class_scatter,
    eigenvalue_figure,
    eigenvector_gallery,
    impulse_transfer_figure,
    low_rank_curve_figure,
    score_ceiling,
    score_scatter,
    signals_figure,
    spectrum_figure,
)
from mlviz.figures.style import DRAWN_POINTS_UP_TO
from mlviz.graph import normalize
from mlviz.spectral import (
    DENSE_LIMIT,
    FILTERS,
    ema_frequency_response,
    ema_impulse_response,
    example_signal,
    exponential_moving_average,
    h_alpha,
    low_rank_curve,
    low_rank_filter,
    orthogonal_modes,
    path_graph,
    shift_matrix,
    spectral_embedding,
    spectrum,
    transfer_functions,
)
from mlviz.ui.caches import LANCZOS_RANKS, cached_eigenpairs, eigenpair_rank

ALPHAS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999]
SIGNALS = ("impulse", "step", "noisy sine")
IMPULSE_LENGTH = 40
# samples of the moving average's impulse response drawn
FILTER_NAMES = {"h_alpha": "h_α (the talk's)"}


@ui.noticed("Filtering exactly…")
@st.cache_data(max_entries=32, show_spinner=False)
def cached_exact_filter(data_key, params, queries: tuple, kind: str, alpha: float, t: float, _W_norm):
    h = transfer_functions(alpha, t)[kind]
    return h.exact(_W_norm, query_vector(list(queries), _W_norm.shape[0])) if h.exact else None


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_gallery(data_key, params, layout: str, _coords, _pairs):
    shown = gallery_modes(_pairs.values)
    return eigenvector_gallery(_coords, _pairs.vectors, _pairs.values, shown,
                               max_points=DRAWN_POINTS_UP_TO)


def gallery_modes(values: np.ndarray, panels: int = 8) -> list[int]:
    """Low to high frequency: one mode of the λ = 1 block (one per component, each flat on its
    component), the modes just after it, then the middle and the last computed."""
    rank = values.size
    ones = int(np.sum(values > 1 - 1e-8))
    start = max(ones, 1)
    high = [rank // 2, rank - 1] if rank > 16 else []
    low = [0] + [start + j for j in (0, 1, 2, 4, 9, 24) if start + j < rank]
    return sorted(set(low[: panels - len(high)] + high))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_low_rank_curve(data_key, params, queries: tuple, filter_key: tuple, top_k: int, r: int,
                _pairs, _h, _reference):
    ranks = np.unique(np.geomspace(1, _pairs.rank, 30).round().astype(int))
    passed = np.flatnonzero(_h(_pairs.values) != 0)  # a filter that is zero past some λ is
    if passed.size and passed[-1] + 1 < _pairs.rank:  # exact from there on: sample that rank
        ranks = np.append(ranks, passed[-1] + 1)
    return low_rank_curve(_pairs, query_vector(list(queries), _pairs.vectors.shape[0]), _h,
                          _reference, np.append(ranks, r), top_k, exclude=list(queries))


def low_rank_story(curve, top_k: int) -> str:
    """What the error and overlap curves say, read off the curves themselves."""
    ranks, errors, overlaps = curve.ranks, curve.relative_error, curve.top_k_overlap
    if errors[-1] > 1e-6:
        return (f"Even all {ranks[-1]} computed eigenpairs leave an error of {errors[-1]:.1e}: "
                "the rest of the spectrum is not computed at this size.")
    exact_from = ranks[np.flatnonzero(errors <= 1e-8)]
    if exact_from.size and exact_from[0] < ranks[-1]:
        return (f"From r = {exact_from[0]} on the approximation is exact: this filter is zero on "
                "every eigenvalue beyond those.")
    good = np.flatnonzero(overlaps >= 0.8)
    if good.size and errors[good[0]] > 0.1:
        return (f"The top-{top_k} overlap reaches {overlaps[good[0]]:.0%} at r = {ranks[good[0]]} "
                f"while the error is still {errors[good[0]]:.2f}: the error is dominated by the "
                "queries' own scores, a spike that needs every frequency, while the ranking of "
                "the other points needs far fewer eigenpairs.")
    return ("Here the ranking needs about as many eigenpairs as the scores do. The closer α is "
            "to 1, the more h concentrates on λ ≈ 1 and the fewer eigenpairs it needs.")


STATE = ui.PageState(
    "smooth",
    ui.choice("signal", SIGNALS, "step"),
    ui.choice("alpha_1d", ALPHAS, 0.9),
    ui.choice("alpha", ALPHAS, 0.99),
    ui.choice("filter", FILTERS, FILTERS[0]),
    ui.number("heat_t", 0.5, 50.0, 5.0),
    ui.number("cutoff", -1.0, 1.0, 0.9),
    ui.whole("rank", 1, 10**6, 50),
    ui.whole("overlap_k", 5, 100, 20),
)

ui.setup_page("Ranking as smoothing", "〰️")
ws = ui.sidebar()
if ui.guided_steps("smoothing", ws, ui.QUERIES, STATE):  # the talk, step by step
    st.stop()
ui.QUERIES.sync()
STATE.sync()
d, n = ws.dataset, ws.n

st.title("Ranking as smoothing")
st.markdown(
    "Ranking is **low-pass filtering** of the query signal on the graph: "
    "$\\mathcal L_\\alpha^{-1} = h_\\alpha(\\mathcal W) = (1-\\alpha)(I-\\alpha\\mathcal W)^{-1}$ with "
    "$h_\\alpha(\\lambda) = (1-\\alpha)/(1-\\alpha\\lambda)$, computed from the top eigenpairs as "
    "$\\mathbf x \\approx U h(\\Lambda) U^\\top \\mathbf y$ without ever forming $h(\\mathcal W)$ "
    "(Iscen et al., CVPR 2018)."
)

# ---------------------------------------------------------------- 1-D analogue
st.header("1 · The one-dimensional analogue: a moving average")
left, right = st.columns([3, 2], gap="large")
with left, ui.guard("the 1-D filter"):
    c1, c2 = st.columns([3, 2])
    kind = c1.segmented_control("Signal y", SIGNALS, key=STATE.key("signal")) or "step"
    alpha_1d = c2.select_slider("α of the moving average", ALPHAS, key=STATE.key("alpha_1d"),
                                help="Its own α: on 120 samples, α = 0.99 barely moves (the "
                                     "response needs ~1/(1−α) = 100 samples to rise).")
    y1 = example_signal(kind)
    ema = exponential_moving_average(y1, alpha_1d)
    on_path = h_alpha(alpha_1d).exact(shift_matrix(y1.size), y1)
    two_sided = h_alpha(alpha_1d).exact(normalize(path_graph(y1.size)), y1)
    every = np.arange(0, y1.size, 3)
    ema_name = "EMA  xᵢ = αxᵢ₋₁ + (1−α)yᵢ"
    path_name = "h_α(S) y on the directed path (every 3rd i)"
    both_name = "h_α(𝒲) y on the undirected path"
    fig = signals_figure(
        {"signal y": y1, path_name: on_path, both_name: two_sided, ema_name: ema},
        styles={"signal y": dict(line=dict(color="#bbbbbb", width=1.5)),
                path_name: dict(mode="markers", x=every, y=on_path[every],
                                marker=dict(color="#1f77b4", size=7, symbol="circle-open",
                                            line=dict(width=1.5))),
                both_name: dict(line=dict(color="#2ca02c", dash="dash")),
                ema_name: dict(line=dict(color="#d62728", width=2.5))},
    )
    ui.show_chart(fig, key="smooth_1d")
    undirected = {
        "step": "so the step starts to rise before it happens; near the ends a point has one "
                "neighbour instead of two, which the normalization $D^{-1/2}WD^{-1/2}$ weighs "
                "differently, hence the dip at the last samples.",
        "impulse": "so the impulse spreads to both sides, symmetrically, where the moving "
                   "average only carries it forward.",
        "noisy sine": "so the smoothed sine is not delayed, where the moving average lags "
                      "behind it; both remove the noise (high frequencies) and keep the sine.",
    }[kind]
    st.caption(
        f"The moving average (red) and the talk's filter on the directed path graph "
        f"(S: i−1 → i, blue circles) are one thing: largest difference "
        f"{np.max(np.abs(ema - on_path)):.1e}. On the undirected path (green) information flows "
        f"both ways, {undirected}"
    )
with right, ui.guard("the impulse response"):
    positions, omega = np.arange(IMPULSE_LENGTH), np.linspace(0, np.pi, 200)
    impulse = ema_impulse_response(alpha_1d, IMPULSE_LENGTH)
    ui.show_chart(impulse_transfer_figure(positions, impulse, omega,
                                          ema_frequency_response(alpha_1d, omega)),
                  key="smooth_impulse")
    st.latex(r"H(z) = (1-\alpha)\sum_{t\ge 0}(\alpha z^{-1})^t = \frac{1-\alpha}{1-\alpha z^{-1}}")

# ---------------------------------------------------------------- on the graph
st.header("2 · On the graph: frequencies are eigenvectors")
alpha = st.select_slider("α of h_α on the graph", ALPHAS, key=STATE.key("alpha"))
queries = [q for q in ui.QUERIES["q"] if q < n] or [0]
r_max = eigenpair_rank(n)
controls = st.columns(4)
kind = controls[0].selectbox("Filter h", FILTERS, key=STATE.key("filter"),
                             format_func=lambda f: FILTER_NAMES.get(f, f),
                             help="h_α: the talk's (1−α)/(1−αλ). heat kernel: exp(−t(1−λ)). "
                                  "ideal low-pass: 1 for λ ≥ cutoff, else 0.")
t = controls[1].slider("heat kernel t", 0.5, 50.0, step=0.5, key=STATE.key("heat_t"),
                       disabled=kind != "heat kernel")
cutoff = controls[2].slider("low-pass cutoff", -1.0, 1.0, step=0.01, key=STATE.key("cutoff"),
                            disabled=kind != "ideal low-pass")
controls[3].caption(f"Query points (shared with the ranking page): {', '.join(map(str, queries))}")
if n > DENSE_LIMIT:
    bounds = ", ".join(f"{r} up to {up_to:,} points" if up_to else f"{r} above"
                       for up_to, r in LANCZOS_RANKS)
    st.info(f"{n:,} points: only the top {r_max} eigenpairs are computed (Lanczos), so r ≤ "
            f"{r_max} ({bounds}, to bound the wait). Below {DENSE_LIMIT:,} points all n are "
            "computed exactly."
            + (f" Each scatter below draws a fixed random {DRAWN_POINTS_UP_TO:,} of the {n:,} "
               "points, plus the queries and the 500 largest values it shows; everything is "
               "computed on all points." if n > DRAWN_POINTS_UP_TO else ""))

with ui.guard("the eigendecomposition"):
    pairs = cached_eigenpairs(ws.data_key, ws.params, r_max, ws.graph.W_norm)
    filters = transfer_functions(alpha, t, cutoff)
    h = filters[kind]
    y = query_vector(queries, n)
    coeffs = spectrum(pairs, y)
    c1, c2 = st.columns([2, 3], gap="large")
    with c1:
        ui.show_chart(eigenvalue_figure(pairs.values, n), key="smooth_eigs")
        summary = ws.graph.summary
        linked = summary.n_components - summary.n_isolated
        st.caption(f"λ = 1 appears once per connected component with an edge ({linked:,} here)"
                   + (f"; the {summary.n_isolated:,} isolated point(s) give λ = 0"
                      if summary.n_isolated else "")
                   + ". Smooth signals live at λ near 1.")
    with c2:
        others = {name: f(pairs.values) for name, f in filters.items() if name != kind}
        others = {FILTER_NAMES.get(name, name): gain for name, gain in others.items()}
        gains = h(pairs.values)
        ui.show_chart(spectrum_figure(pairs.values, coeffs, gains * coeffs, gains,
                                      FILTER_NAMES.get(kind, kind), others),
                      key="smooth_spec")
        st.caption("Grey dots: the query y in the eigenbasis (a spike excites every frequency). "
                   "Red: the chosen filter (faint: the other two, to compare). Blue: what "
                   "survives, mostly the low frequencies.")

    st.subheader("The graph's Fourier modes")
    ui.show_chart(cached_gallery(ws.data_key, ws.params, ws.layout, ws.coords, pairs),
                  key="smooth_gallery")
    st.caption("Eigenvectors of 𝒲 drawn on the layout (red positive, blue negative), from the "
               "top of the spectrum (λ ≈ 1: vary slowly along the manifold) to the bottom of what "
               "was computed (oscillate from point to neighbouring point; such modes often "
               "concentrate on a few points, the rest near zero). λ = 1 has one mode per "
               "connected component, ∝ √degree on it and zero elsewhere; with several "
               "components the solver may return any mix of them, so the first panel shows "
               "one such mode and the next panels start after them.")

    st.subheader("Low-rank approximation")
    STATE.limit("rank", 1, pairs.rank)
    r = st.slider("rank r", 1, pairs.rank, key=STATE.key("rank"))
    top_k = st.slider("top k for the overlap", 5, 100, key=STATE.key("overlap_k"))
    reference = cached_exact_filter(ws.data_key, ws.params, tuple(queries), kind, float(alpha), float(t),
                      ws.graph.W_norm)
    if reference is None:
        reference = low_rank_filter(pairs, y, h)
        ref_name = f"all {pairs.rank} eigenpairs"
    else:
        ref_name = "exact"
    x_r = low_rank_filter(pairs, y, h, r)
    selected = ui.selected_point("query", None, queries)  # the ranking page's selected query
    ui.point_panel(ws, selected, {f"x = h(𝒲)y ({ref_name})": f"{reference[selected]:.3g}",
                                  f"xᵣ, r = {r}": f"{x_r[selected]:.3g}"},
                   title="Selected query", mark="query",
                   note="The query last clicked on the ranking page (else the first query).")
    top = score_ceiling(x_r, reference, exclude=queries)  # not the queries' own scores
    scale = ceiling_title("score")
    a, b = st.columns(2)
    with a:
        ui.show_chart(score_scatter(ws.coords, x_r, queries=queries, labels=d.labels,
                                    class_names=d.class_names, title=f"xᵣ = Uᵣ h(Λᵣ) Uᵣᵀ y, r = {r}",
                                    height=380, color_range=(0.0, top), colorbar_title=scale,
                                    max_points=DRAWN_POINTS_UP_TO), key="smooth_lowrank")
    with b:
        ui.show_chart(score_scatter(ws.coords, reference, queries=queries, labels=d.labels,
                                    class_names=d.class_names, title=f"x = h(𝒲) y ({ref_name})",
                                    height=380, color_range=(0.0, top), colorbar_title=scale,
                                    max_points=DRAWN_POINTS_UP_TO), key="smooth_exact")
    filter_key = (kind, float(alpha), float(t), float(cutoff))
    curve = cached_low_rank_curve(ws.data_key, ws.params, tuple(queries), filter_key, int(top_k), int(r),
                        pairs, h, reference)
    ui.show_chart(low_rank_curve_figure(curve.ranks, curve.relative_error, curve.top_k_overlap,
                                        r, top_k), key="smooth_curve")
    at_r = int(np.flatnonzero(curve.ranks == r)[0])
    unused = int(orthogonal_modes(pairs, y)[:r].sum())
    st.caption(f"At r = {r}: relative error {curve.relative_error[at_r]:.2e}, top-{top_k} overlap "
               f"{curve.top_k_overlap[at_r]:.0%}. " + low_rank_story(curve, top_k)
               + (f" {unused} of these {r} eigenvectors are zero on every query: they live on "
                  "connected components of the graph that hold no query, and add nothing to "
                  "xᵣ." if unused else ""))

    st.subheader("“Soft” dimensionality reduction")
    emb = spectral_embedding(pairs, h, r)
    emb2, drawn, sizes = components_side_by_side(emb, ws.graph.components)
    how = "PCA to 2-D" if emb.shape[1] >= 2 else "one coordinate (vertical: jitter)"
    shown = int(np.sum(np.cumsum(sizes) <= drawn.size))
    emb_fig = class_scatter(emb2, d.labels[drawn] if d.labels is not None else None,
                            d.class_names, ids=drawn, max_points=DRAWN_POINTS_UP_TO,
                            title=f"rows of Uᵣ h(Λᵣ)^½, r = {r}, {how}"
                                  + (", a panel per component" if shown > 1 else ""))
    emb_fig.layout.yaxis.scaleanchor = None
    e1, e2 = st.columns([3, 2], gap="large")
    with e1:
        ui.show_chart(emb_fig, key="smooth_embedding")
        left_out = n - drawn.size
        st.caption(
            (f"One connected component: its {sizes[0]:,} points are drawn." if shown == 1 else
             f"{shown} connected components drawn side by side, largest first "
             f"({', '.join(f'{s:,}' for s in sizes[:shown])} points): between components h(𝒲) "
             "is zero, so each is projected on its own.")
            + (f" Not drawn: {left_out:,} of the {n:,} points ({left_out / n:.0%}), in the "
               f"{sizes.size - shown:,} smaller component(s)"
               + (" (isolated points among them)" if np.any(sizes == 1) else "")
               + ", each under 1 % of the points or past the 8 largest." if left_out else ""))
    with e2:
        st.markdown(
            "Since $h(\\mathcal W) \\approx (U h(\\Lambda)^{1/2})(U h(\\Lambda)^{1/2})^\\top$, ranking by "
            "$h(\\mathcal W)\\mathbf y$ is ranking by inner product in the embedding whose rows are "
            "$U_r h(\\Lambda_r)^{1/2}$: each point becomes an r-dimensional vector where the filter "
            "has softly down-weighted the high frequencies. Points in one component or along one "
            "branch of the manifold cluster together."
        )
