// A plotly chart that stays mounted across reruns: each new figure is drawn into the same
// <div> with Plotly.react, which reuses its WebGL context and DOM and redraws only what
// changed. Loaded by mlviz/ui/live_chart.py as a Streamlit components-v2 module.

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.mlvizPlotly) {
    window.mlvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.mlvizPlotly = undefined;
        reject(new Error(`could not load plotly.js from ${url}`));
      };
      document.head.appendChild(script);
    });
  }
  return window.mlvizPlotly;
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
    if (!chart.mlvizSelect) return;
    chart.mlvizSerial = (chart.mlvizSerial || 0) + 1;
    chart.mlvizSelect(selectionOf(event, chart.mlvizSerial));
  };
  chart.on("plotly_selected", (event) => {
    if (event) send(event);
  });
  chart.on("plotly_deselect", () => send(null));
}

function withSelection(layout, config, modes) {
  const remove = [...(config.modeBarButtonsToRemove || [])];
  if (!modes.includes("lasso")) remove.push("lasso2d");
  if (!modes.includes("box")) remove.push("select2d");
  return [
    { hovermode: "closest", ...layout },
    { ...config, modeBarButtonsToRemove: remove },
  ];
}

export default function ({ data, parentElement, setStateValue }) {
  const chart = parentElement.querySelector(".mlviz-chart");
  const modes = data.selection_modes || [];
  chart.mlvizSelect = modes.length ? (value) => setStateValue("selection", value) : null;
  const cleanup = () => {
    if (window.Plotly) window.Plotly.purge(chart);
  };
  chart.dataset.wanted = data.digest; // drawn === wanted: the chart shows this run's figure
  if (chart.dataset.drawn === data.digest) return cleanup;
  const rendering = (Number(chart.dataset.rendering || 0) + 1).toString();
  chart.dataset.rendering = rendering;
  const figure = JSON.parse(data.figure);
  chart.style.minHeight = `${figure.layout.height || 450}px`;
  loadPlotly(data.plotly_url)
    .then((Plotly) => {
      if (chart.dataset.rendering !== rendering) return undefined; // a newer figure came in
      const [layout, config] = modes.length
        ? withSelection(figure.layout, data.config, modes)
        : [figure.layout, data.config];
      return Plotly.react(chart, {
        data: figure.data,
        layout,
        frames: figure.frames || [],
        config,
      }).then(() => {
        if (modes.length) listen(chart);
        chart.dataset.drawn = data.digest;
      });
    })
    .catch((error) => {
      chart.textContent = `The chart could not be drawn (${error.message}): reload the page.`;
    });
  return cleanup;
}
