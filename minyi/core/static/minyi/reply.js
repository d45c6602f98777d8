// Reply drafting on the appeal page: templates and 小惠's similar past replies fill the reply box.
(function () {
  "use strict";
  const box = () => document.querySelector("#id_reply-reply");
  function openReply() {
    const target = box();
    if (!target) return null;
    const details = target.closest("details");
    if (details) details.open = true;
    return target;
  }
  const picker = document.getElementById("reply-template");
  if (picker) {
    picker.addEventListener("change", () => {
      const target = openReply();
      if (target && picker.value) { target.value = picker.value; target.focus(); }
    });
  }
  const similar = document.getElementById("similar-replies");
  if (similar) {
    fetch(similar.dataset.url, { headers: { "X-Requested-With": "fetch" } })
      .then((r) => (r.ok ? r.text() : ""))
      .then((html) => {
        similar.innerHTML = html;
        similar.querySelectorAll("[data-draft]").forEach((button) => {
          button.addEventListener("click", () => {
            const target = openReply();
            if (target) { target.value = button.dataset.draft; target.focus(); }
          });
        });
      });
  }
})();
