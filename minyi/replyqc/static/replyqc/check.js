// 答复质检 on the appeal page: the handler checks the reply before submitting it.
(function () {
  "use strict";
  const panel = document.getElementById("replyqc-check");
  const box = document.querySelector("#id_reply-reply");
  if (!panel || !box) return;
  const out = panel.querySelector("[data-replyqc-out]");
  const token = panel.querySelector("input[name=csrfmiddlewaretoken]");
  let last = null;
  function run() {
    if (box.value === last) return;
    last = box.value;
    const body = new URLSearchParams({ reply: box.value });
    fetch(panel.dataset.url, {
      method: "POST",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" },
      body: body,
    })
      .then((r) => (r.ok ? r.text() : ""))
      .then((html) => { out.innerHTML = html; });
  }
  panel.querySelector("button").addEventListener("click", run);
  box.addEventListener("change", run);
})();
