// Live deadline countdowns ({% countdown %} in minyi/appeals/templatetags/deadlines.py): the server writes the
// first text; this keeps it current and turns the colour at the warning point and at the deadline.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "zh-hans").indexOf("zh") === 0;
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (zh) return d ? d + "天" + h + "小时" : h ? h + "小时" + m + "分" : m + "分钟";
    return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[data-due]:not([data-paused])").forEach(function (el) {
      var due = Date.parse(el.dataset.due), warn = el.dataset.warn ? Date.parse(el.dataset.warn) : due - 4 * 3600e3;
      var left = due - now, state = left < 0 ? "overdue" : now >= warn ? "due_soon" : "normal";
      el.classList.remove("sla-normal", "sla-due_soon", "sla-overdue");
      el.classList.add("sla-" + state);
      var text = el.querySelector(".cd-text");
      if (text) text.textContent = (left < 0 ? (zh ? "超期 " : "overdue ") : (zh ? "剩 " : "")) + span(left) + (zh || left < 0 ? "" : " left");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
