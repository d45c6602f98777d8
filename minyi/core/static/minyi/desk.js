// Intake workstation: live suggestions and caller history while the call is typed.
(function () {
  "use strict";
  const form = document.getElementById("intake-form");
  if (!form) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  function debounce(fn, ms) {
    let timer;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  async function load(url, params, target) {
    const response = await fetch(`${url}?${new URLSearchParams(params)}`, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok) document.getElementById(target).innerHTML = await response.text();
  }
  const suggest = debounce(() => load(form.dataset.suggestUrl, {
    title: field("title").value, content: field("content").value, address: field("address").value,
  }, "suggest-panel"), 400);
  const assistant = document.getElementById("assistant-panel");
  const ask = debounce(() => {
    const q = `${field("title").value} ${field("content").value}`.trim();
    if (assistant && q.length >= 4) load(assistant.dataset.url, { q }, "assistant-panel");
  }, 600);
  ["title", "content"].forEach((name) => field(name).addEventListener("input", ask));
  const caller = debounce(() => load(form.dataset.callerUrl, { phone: field("phone").value }, "caller-panel"), 400);
  ["title", "content", "address"].forEach((name) => field(name).addEventListener("input", suggest));
  field("phone").addEventListener("input", caller);
})();
