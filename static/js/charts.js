// Draws every Plotly figure the server embedded as JSON (see the plotly_chart template tag).
(function () {
  "use strict";
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function draw(el) {
    const spec = JSON.parse(document.getElementById(el.dataset.figure).textContent);
    window.Plotly.newPlot(el, spec.data || [], spec.layout || {}, Object.assign({}, config, spec.config || {}));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-figure]").forEach(draw);
  });
  // Paper is narrower than the screen: redraw to the printed width so no chart is cut off.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("[data-figure]").forEach(function (el) { window.Plotly.Plots.resize(el); });
  });
})();
