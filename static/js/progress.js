// Progress bars of long jobs (imports, recomputes). A box with data-progress-url polls that
// JSON endpoint ({finished, percent, message, counts}) and updates its <progress>, its
// [data-progress-text] and its [data-count=name] elements; when the job is finished the page
// reloads to show the report. No inline script: the page's CSP forbids them.
(function () {
  "use strict";
  var EVERY_MS = 1000;

  function watch(box) {
    var url = box.dataset.progressUrl;
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    var failures = 0;

    function show(data) {
      if (bar) {
        if (data.percent === null || data.percent === undefined) {
          bar.removeAttribute("value"); // indeterminate while the size is unknown
        } else {
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
        }
      }
      if (text && data.message) text.textContent = data.message;
      var counts = data.counts || {};
      Object.keys(counts).forEach(function (name) {
        box.querySelectorAll('[data-count="' + name + '"]').forEach(function (el) {
          el.textContent = Number(counts[name]).toLocaleString();
        });
      });
    }

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          show(data);
          if (data.finished) {
            window.setTimeout(function () { window.location.reload(); }, 400);
          } else {
            window.setTimeout(tick, EVERY_MS);
          }
        })
        .catch(function () {
          failures += 1;
          if (text) text.textContent = "Cannot reach the server; trying again…";
          window.setTimeout(tick, Math.min(EVERY_MS * Math.pow(2, failures), 30000));
        });
    }

    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(watch);
  });
})();
