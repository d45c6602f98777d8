// A <select data-autosubmit> (the language picker) submits its form on change. Kept out of the page
// because the Content-Security-Policy allows no inline script or event handler attributes.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
})();
