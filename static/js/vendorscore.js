// Small behaviours for every page, kept out of the HTML so the CSP needs no inline scripts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Changing the period kind submits the picker and forgets the old kind's period.
    document.querySelectorAll("select[data-resets]").forEach(function (select) {
      select.addEventListener("change", function () {
        const other = select.form.elements[select.dataset.resets];
        if (other) other.value = "";
        select.form.submit();
      });
    });
    // Buttons that print the page (review packs).
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // Forms that ask before doing something that cannot be undone.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
