// Sizes each progress bar from its data-width (0-100) when the page loads and
// whenever htmx swaps in a newer one: the site's Content-Security-Policy allows
// no style attribute in the markup, but a script of the site may set the width.
(function () {
  "use strict";
  function size(root) {
    root.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
      bar.style.width = bar.dataset.width + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    size(document);
  });
  document.addEventListener("htmx:load", function (event) {
    size(event.target);
  });
})();
