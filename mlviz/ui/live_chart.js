// A plotly chart that stays mounted across reruns: each new figure is drawn into the same
// <div> with Plotly.react, which reuses its WebGL context and DOM and redraws only what
// changed. Loaded by mlviz/ui/live_chart.py as a Streamlit components-v2 module.

const VIEW_MARGIN_PX = 100; // drawn this far before it scrolls into view

// plotly.js in two bundles (mlviz/ui/live_chart.py): the basic one (scatter, bar, pie) and the
// full one. Each is loaded at most once per tab; once the full one is here, every chart uses it.
// On window: one record for all the charts of a tab.
window.mlvizBundles = window.mlvizBundles || {}; // url -> Promise of that bundle's Plotly
const bundles = window.mlvizBundles;

function loadBundle(url) {
  if (!bundles[url]) {
    bundles[url] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      // The bundle sets window.Plotly as it runs; its load event follows at once.
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        delete bundles[url];
        reject(new Error(`could not load plotly.js from ${url}`));
      };
      document.head.appendChild(script);
    });
  }
  return bundles[url];
}

function loadPlotly(urls, bundle) {
  return loadBundle(bundles[urls.full] ? urls.full : urls[bundle]);
}

function lassoOf(path) {
  const x = [];
  const y = [];
  path.replace("M", "").replace("Z", "").split("L").forEach((corner) => {
    const [cx, cy] = corner.split(",").map(Number);
    x.push(cx);
    y.push(cy);
  });
  return { x, y };
}

// The selection in the shape st.plotly_chart gives it, plus a serial number: each user
// selection is a new value, even of the same points after the figure changed.
function selectionOf(event, serial) {
  const points = ((event && event.points) || []).map((p) => ({
    curve_number: p.curveNumber,
    point_number: p.pointNumber,
    point_index: p.pointIndex,
    x: p.x,
    y: p.y,
    customdata: p.customdata,
    legendgroup: (p.data && p.data.legendgroup) || undefined,
  }));
  const box = [];
  const lasso = [];
  ((event && event.selections) || []).forEach((s) => {
    if (s.type === "rect") box.push({ xref: s.xref, yref: s.yref, x: [s.x0, s.x1], y: [s.y0, s.y1] });
    if (s.type === "path" && s.path) lasso.push({ xref: s.xref, yref: s.yref, ...lassoOf(s.path) });
  });
  const indices = [...new Set(points.map((p) => p.point_index))];
  return { points, point_indices: indices, box, lasso, serial };
}

function listen(chart) {
  if (chart.mlvizListening) return;
  chart.mlvizListening = true;
  const send = (event) => {
    // plotly re-emits a selection the new figure dropped while Plotly.react draws it: only
    // the user's own selections go to the server.
    if (!chart.mlvizSelect || chart.mlvizDrawing) return;
    chart.mlvizSerial = (chart.mlvizSerial || 0) + 1;
    chart.mlvizSelect(selectionOf(event, chart.mlvizSerial));
  };
  chart.on("plotly_selected", (event) => {
    if (event) send(event);
  });
  chart.on("plotly_deselect", () => send(null));
}

// WebGL canvases at the screen's own pixel ratio: plotly's default, 2, gives each of a WebGL
// figure's three canvases four times the pixels on an ordinary screen, all cleared and drawn
// (in software where the browser has no GPU). PNG downloads keep plotly's own ratio.
function glPixelRatio() {
  return Math.min(2, Math.max(1, window.devicePixelRatio || 1));
}

// st.plotly_chart's mode bar: the select and lasso tools only where a selection is read.
function withModes(layout, config, modes) {
  const remove = [...(config.modeBarButtonsToRemove || [])];
  if (!modes.includes("lasso")) remove.push("lasso2d");
  if (!modes.includes("box")) remove.push("select2d");
  return [
    modes.length ? { hovermode: "closest", ...layout } : layout,
    { plotGlPixelRatio: glPixelRatio(), ...config, modeBarButtonsToRemove: remove },
  ];
}

function showError(chart, error) {
  if (chart.mlvizPlotly) chart.mlvizPlotly.purge(chart);
  chart.mlvizPlotly = null;
  let note = chart.parentElement.querySelector(".mlviz-chart-error");
  if (!note) {
    note = document.createElement("div");
    note.className = "mlviz-chart-error";
    chart.parentElement.appendChild(note);
  }
  note.textContent = `The chart could not be drawn (${error.message}): reload the page.`;
}

// Draws the newest figure handed to the chart, one Plotly.react at a time: a figure that
// arrives while another is drawn is drawn after it, so the last one always wins.
// A chart out of view waits (data-in-view="0") until it nears the screen.
function draw(chart) {
  const job = chart.mlvizLatest;
  if (chart.mlvizBusy || !job || !job.figure || chart.dataset.drawn === job.digest) return;
  if (chart.dataset.inView !== "1") return;
  chart.mlvizBusy = true;
  loadPlotly(job.plotlyUrls, job.bundle)
    .then((Plotly) => {
      if (chart.mlvizPlotly && chart.mlvizPlotly !== Plotly) {
        chart.mlvizPlotly.purge(chart); // drawn by the basic bundle: the full one draws anew
        chart.mlvizListening = false;
      }
      chart.mlvizPlotly = Plotly;
      const { figure } = job;
      const [layout, config] = withModes(figure.layout, job.config, job.modes);
      chart.mlvizDrawing = true;
      return Plotly.react(chart, { data: figure.data, layout, frames: figure.frames || [], config })
        .then(() => {
          if (!chart.mlvizLatest) Plotly.purge(chart); // unmounted while it was drawn
          if (chart.mlvizLatest !== job) return; // unmounted, or a newer figure is waiting
          if (job.modes.length) listen(chart);
          chart.dataset.drawn = job.digest;
        });
    })
    .catch((error) => showError(chart, error))
    .finally(() => {
      chart.mlvizDrawing = false;
      chart.mlvizBusy = false;
      if (chart.mlvizLatest) draw(chart);
    });
}

// plotly's `responsive` follows the window only; the chart follows its column.
function followWidth(chart, parentElement) {
  if (chart.mlvizResize || typeof ResizeObserver === "undefined") return;
  let width = parentElement.clientWidth;
  let timer;
  chart.mlvizResize = new ResizeObserver(() => {
    if (parentElement.clientWidth === width) return;
    width = parentElement.clientWidth;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (chart.mlvizPlotly && chart.dataset.drawn) chart.mlvizPlotly.Plots.resize(chart);
    }, 100);
  });
  chart.mlvizResize.observe(parentElement);
}

function scrollParent(element) {
  for (let p = element.parentElement; p; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowY;
    if (overflow === "auto" || overflow === "scroll") return p;
  }
  return null;
}

// Draws a chart only near the screen: a page's charts below the fold, in a closed expander or
// in another tab cost the browser nothing until the student gets there, on every rerun.
function watchView(chart) {
  if (chart.mlvizView) return;
  if (typeof IntersectionObserver === "undefined") {
    chart.dataset.inView = "1";
    return;
  }
  chart.mlvizView = new IntersectionObserver((entries) => {
    chart.dataset.inView = entries[entries.length - 1].isIntersecting ? "1" : "0";
    draw(chart);
  }, { root: scrollParent(chart), rootMargin: `${VIEW_MARGIN_PX}px 0px` });
  chart.mlvizView.observe(chart);
}

function cleanup(chart) {
  return () => {
    chart.mlvizLatest = null;
    delete chart.dataset.drawn;
    chart.mlvizListening = false;
    if (chart.mlvizResize) chart.mlvizResize.disconnect();
    chart.mlvizResize = null;
    if (chart.mlvizView) chart.mlvizView.disconnect();
    chart.mlvizView = null;
    delete chart.dataset.inView;
    if (chart.mlvizPlotly) chart.mlvizPlotly.purge(chart);
    chart.mlvizPlotly = null;
  };
}

export default function ({ data, parentElement, setStateValue }) {
  const chart = parentElement.querySelector(".mlviz-chart");
  const modes = data.selection_modes || [];
  chart.mlvizSelect = modes.length ? (value) => setStateValue("selection", value) : null;
  chart.mlvizSerial = Math.max(chart.mlvizSerial || 0, data.serial || 0);
  chart.dataset.wanted = data.digest; // drawn === wanted: the chart shows this run's figure
  followWidth(chart, parentElement);
  if (chart.dataset.drawn === data.digest && !chart.mlvizBusy) {
    chart.mlvizLatest = { digest: data.digest }; // on screen already: nothing to draw
    return cleanup(chart);
  }
  const figure = JSON.parse(data.figure);
  chart.style.minHeight = `${Number(figure.layout.height) || 450}px`;
  chart.mlvizLatest = {
    figure, digest: data.digest, config: data.config, modes, plotlyUrls: data.plotly_urls,
    bundle: data.bundle,
  };
  watchView(chart);
  draw(chart);
  return cleanup(chart);
}
