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

export default function ({ data, parentElement }) {
  const chart = parentElement.querySelector(".mlviz-chart");
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
      return Plotly.react(chart, {
        data: figure.data,
        layout: figure.layout,
        frames: figure.frames || [],
        config: data.config,
      }).then(() => {
        chart.dataset.drawn = data.digest;
      });
    })
    .catch((error) => {
      chart.textContent = `The chart could not be drawn (${error.message}): reload the page.`;
    });
  return cleanup;
}
