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

  // Keyboard first: an operator on a call types and never needs the mouse.
  //   Alt+G  take the place recognised in the text (街道/社区)    Alt+C  take the first suggested category
  //   Ctrl+Enter  submit from any field
  function useChoice(name, value) {
    const select = field(name);
    if (!select || !value) return;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  const panel = document.getElementById("suggest-panel");
  panel.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("[data-use-grid],[data-use-category]") : null;
    if (!button) return;
    if (button.dataset.useGrid) useChoice("grid", button.dataset.useGrid);
    if (button.dataset.useCategory) useChoice("category", button.dataset.useCategory);
  });
  // A recognised place fills an empty 网格 by itself; a choice the operator made is never overwritten.
  new MutationObserver(() => {
    const place = panel.querySelector("[data-grid-id]");
    if (place && field("grid") && !field("grid").value) useChoice("grid", place.dataset.gridId);
  }).observe(panel, { childList: true, subtree: true });
  document.addEventListener("keydown", (e) => {
    if (e.altKey && (e.key === "g" || e.key === "G")) {
      const place = panel.querySelector("[data-grid-id]");
      if (place) { e.preventDefault(); useChoice("grid", place.dataset.gridId); }
    } else if (e.altKey && (e.key === "c" || e.key === "C")) {
      const top = panel.querySelector("[data-use-category]");
      if (top) { e.preventDefault(); useChoice("category", top.dataset.useCategory); }
    } else if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && form.contains(document.activeElement)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
})();
