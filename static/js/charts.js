// Draws every plotly chart of the page: an element with data-plotly-figure (the figure as
// JSON) and data-plotly-config. No inline script is needed, so the Content-Security-Policy
// refuses them all. Partials swapped in later (live status, htmx) are drawn when their
// swap is announced ("portal:swapped" from poll.js, or htmx's "htmx:afterSwap").
(function () {
  "use strict";

  function draw(root) {
    if (!window.Plotly) {
      return;
    }
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(
      scope.querySelectorAll("[data-plotly-figure]:not([data-plotly-drawn])"),
      function (element) {
        var figure = JSON.parse(element.getAttribute("data-plotly-figure"));
        var config = JSON.parse(element.getAttribute("data-plotly-config") || "{}");
        element.setAttribute("data-plotly-drawn", "");
        window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, config);
      }
    );
  }

  window.portalCharts = { draw: draw };
  document.addEventListener("portal:swapped", function (event) { draw(event.target); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
})();
