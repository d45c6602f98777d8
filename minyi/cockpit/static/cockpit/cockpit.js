// Cockpit charts: ECharts served locally (make setup copies it from npm). Every point links to its list.
(function () {
  "use strict";
  var script = document.getElementById("cockpit-js");
  if (!window.echarts || !script) { return; } // the tables carry every figure without charts
  function chart(id, option, links) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = window.echarts.init(el);
    // HTML tooltips carry style="" attributes, which the Content-Security-Policy blocks; rich text draws them on the canvas.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    c.setOption(option);
    if (links) { c.on("click", function (p) { if (links[p.dataIndex]) { window.location.href = links[p.dataIndex]; } }); }
  }
  function pie(id, title, rows) {
    chart(id, { title: { text: title, textStyle: { fontSize: 14 } }, tooltip: {},
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) { return { name: r.name, value: r.value }; }) }] },
      rows.map(function (r) { return r.link; }));
  }
  fetch(script.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
    chart("chart-trend", { title: { text: "趋势", textStyle: { fontSize: 14 } }, tooltip: { trigger: "axis" }, legend: { top: 20 },
      xAxis: { type: "category", data: d.trend.map(function (t) { return t.day.slice(5); }) }, yAxis: { type: "value" },
      series: [["受理", "created"], ["交办", "dispatched"], ["办结", "closed"]].map(function (s) {
        return { name: s[0], type: "line", smooth: true, data: d.trend.map(function (t) { return t[s[1]]; }) }; }) });
    pie("chart-channel", "渠道", d.mix.channel);
    pie("chart-kind", "类型", d.mix.kind);
    pie("chart-category", "分类", d.mix.category);
    if (d.geojson) {
      window.echarts.registerMap("grid", d.geojson);
      chart("chart-map", { tooltip: {}, visualMap: { min: 0, max: Math.max.apply(null, d.grid.map(function (g) { return g.value; }).concat([1])), calculable: true },
        series: [{ type: "map", map: "grid", data: d.grid.map(function (g) { return { name: g.name, value: g.value }; }) }] },
        d.grid.map(function (g) { return g.link; }));
    }
  });
})();
