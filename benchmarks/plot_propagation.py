"""Plot label-propagation time vs n (log-log) for the README.

    python benchmarks/bench_propagation.py --sweep     # writes results/propagation_sweep.json
    python benchmarks/plot_propagation.py              # reads it, writes the figure

``--run`` runs the sweep first when the JSON is missing. The figure is
``assets/propagation_time.png`` when matplotlib is installed, else a hand-written SVG,
``assets/propagation_time.svg`` (no extra dependency: plotly's static export needs kaleido).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import subprocess
import sys
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SWEEP = HERE / "results" / "propagation_sweep.json"
ASSETS = ROOT / "assets"

# (key in the sweep rows, legend, colour (Okabe-Ito), dashed)
SERIES = (
    ("sklearn_fit_1000_seconds", "sklearn fit, max_iter=1000", "#D55E00", False),
    ("sklearn_fit_30_seconds", "sklearn fit, max_iter=30 (default)", "#E69F00", False),
    ("mlviz_fit_seconds", "mlviz fit (kNN graph + block CG)", "#0072B2", False),
    ("power_1000_seconds", "solve: 1000 power iterations (scipy)", "#999999", True),
    ("mlviz_solve_seconds", "solve: mlviz block CG to 1e-6", "#009E73", True),
)
TITLE = "Label propagation time vs n (d = 64, k = 30, 10 classes, alpha = 0.99)"


def load(run: bool) -> dict:
    if not SWEEP.exists():
        if not run:
            sys.exit(f"{SWEEP.relative_to(ROOT)} is missing: run "
                     "`python benchmarks/bench_propagation.py --sweep` or pass --run.")
        subprocess.run([sys.executable, str(HERE / "bench_propagation.py"), "--sweep"],
                       check=True)
    return json.loads(SWEEP.read_text())


def footnote(data: dict) -> str:
    m = data["machine"]
    return (f"{m['cpu_model']}, {m['cores_usable']} cores; scikit-learn {m['sklearn']}, "
            f"faiss {m['faiss']}, scipy {m['scipy']}; {m['date'][:10]}. "
            f"Best of {data.get('repeats', 3)} up to n = 20k, "
            f"of {data.get('large_repeats', 1)} above.")


def legend(key: str, label: str, rows: list[dict]) -> str:
    """The label, with the accuracy at the largest n beside it for the fits."""
    acc = rows[-1].get(key.replace("_seconds", "_accuracy"))
    return label if acc is None else f"{label} - acc {acc:.2f} at {rows[-1]['n'] // 1000}k"


def plot_matplotlib(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = data["rows"]
    ns = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for key, label, colour, dashed in SERIES:
        ax.loglog(ns, [r[key] for r in rows], marker="o", color=colour,
                  label=legend(key, label, rows),
                  linestyle="--" if dashed else "-")
    ax.set_xlabel("n (points)")
    ax.set_ylabel("seconds")
    ax.set_title(TITLE, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, footnote(data), fontsize=6, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path)


def plot_svg(data: dict, path: Path) -> None:
    rows = data["rows"]
    ns = [r["n"] for r in rows]
    W, H = 760, 500
    left, right, top, bottom = 70, 250, 50, 70
    pw, ph = W - left - right, H - top - bottom
    values = [r[key] for r in rows for key, *_ in SERIES if r.get(key)]
    y_lo = 10 ** math.floor(math.log10(min(values)))
    y_hi = 10 ** math.ceil(math.log10(max(values)))
    x_lo, x_hi = min(ns) / 1.25, max(ns) * 1.25

    def sx(n):
        return left + pw * (math.log10(n) - math.log10(x_lo)) / (
            math.log10(x_hi) - math.log10(x_lo))

    def sy(t):
        return top + ph * (1 - (math.log10(t) - math.log10(y_lo)) / (
            math.log10(y_hi) - math.log10(y_lo)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="Helvetica, Arial, sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{left}" y="28" font-size="14" font-weight="bold">{escape(TITLE)}</text>']
    # y grid: decades, with minor ticks at 2 and 5
    e = round(math.log10(y_lo))
    while 10**e <= y_hi * 1.0001:
        for m in (1, 2, 5):
            t = m * 10**e
            if not y_lo <= t <= y_hi * 1.0001:
                continue
            y = sy(t)
            major = m == 1
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="{"#cccccc" if major else "#eeeeee"}"/>')
            if major:
                label = f"{t:g}" if t >= 0.001 else f"1e{e}"
                out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" '
                           f'text-anchor="end">{label}</text>')
        e += 1
    # x grid at the measured n
    for n in ns:
        x = sx(n)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" '
                   'stroke="#eeeeee"/>')
        label = f"{n // 1000}k" if n >= 1000 else str(n)
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" font-size="11" '
                   f'text-anchor="middle">{label}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               'stroke="#333333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{top + ph + 40}" font-size="12" '
               'text-anchor="middle">n (points, log scale)</text>')
    out.append(f'<text x="18" y="{top + ph / 2}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 18 {top + ph / 2})">seconds (log scale)</text>')
    # series and legend
    for i, (key, label, colour, dashed) in enumerate(SERIES):
        pts = [(sx(r["n"]), sy(r[key])) for r in rows if r.get(key)]
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} '
                   f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        ly = top + 12 + 30 * i
        lx = left + pw + 15
        out.append(f'<line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<circle cx="{lx + 12}" cy="{ly}" r="3.5" fill="{colour}"/>')
        text = legend(key, label, rows)
        main_text, _, acc = text.partition(" - ")
        out.append(f'<text x="{lx + 30}" y="{ly + 4}" font-size="10.5">{escape(main_text)}'
                   + (f'<tspan x="{lx + 30}" dy="12" fill="#555555" font-size="9.5">'
                      f'{escape(acc)}</tspan>' if acc else "") + "</text>")
    out.append(f'<text x="{left}" y="{H - 10}" font-size="9" fill="#555555">'
               f'{escape(footnote(data))}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", action="store_true", help="run the sweep if its JSON is missing")
    p.add_argument("--svg", action="store_true", help="write the SVG even with matplotlib")
    args = p.parse_args(argv)
    data = load(args.run)
    ASSETS.mkdir(exist_ok=True)
    if importlib.util.find_spec("matplotlib") is not None and not args.svg:
        path = ASSETS / "propagation_time.png"
        plot_matplotlib(data, path)
    else:
        path = ASSETS / "propagation_time.svg"
        plot_svg(data, path)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
