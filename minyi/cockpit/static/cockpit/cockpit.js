// Cockpit charts: ECharts served locally (make setup copies it from npm). Every point and region links to its list.
(function () {
  "use strict";
  var script = document.getElementById("cockpit-js");
  if (!window.echarts || !script) { return; } // the tables carry every figure without charts
  var wall = document.body.classList.contains("wall");
  // Colours and sizes: the wall screen is dark and read from across a room.
  var ink = wall ? "#f2f6fb" : "#1a1a1a";
  var soft = wall ? "#c3d2e6" : "#555555";
  var line = wall ? "#2b4a75" : "#d0d4da";
  var font = wall ? 18 : 13;
  var palette = ["#5b9bd5", "#ffc000", "#70ad47", "#ed7d31", "#a97bd1", "#4bc0c0", "#ff8fa3", "#9aa5b1"];
  var charts = [];

  function chart(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var c = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    option.backgroundColor = "transparent";
    option.color = option.color || palette;
    option.textStyle = { color: ink, fontSize: font };
    // HTML tooltips carry style="" attributes, which the Content-Security-Policy blocks; rich text draws them on the canvas.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    c.setOption(option, true);
    c.off("click");
    if (onClick) { c.on("click", onClick); }
    if (charts.indexOf(c) < 0) { charts.push(c); }
    return c;
  }
  function go(link) { if (link) { window.location.href = link; } }

  // A pie whose labels never truncate or overlap: the largest slices and 其他, each named with its share in a
  // legend beside the ring (one line each, nothing drawn over the ring or past the chart's edge).
  function pie(id, title, rows) {
    var keep = wall ? 4 : 6; // the wall's pies are shorter: four slices and 其他 keep the legend on one screen
    var top = rows.slice(0, keep);
    var rest = rows.slice(keep).reduce(function (n, r) { return n + r.value; }, 0);
    var data = top.map(function (r) { return { name: r.name, value: r.value, link: r.link }; });
    if (rest) { data.push({ name: "其他", value: rest, link: "" }); }
    var total = data.reduce(function (n, r) { return n + r.value; }, 0) || 1;
    var share = {};
    data.forEach(function (r) { share[r.name] = (100 * r.value / total).toFixed(1) + "%"; });
    chart(id, {
      title: wall ? undefined : { text: title, left: 0, top: 0, textStyle: { fontSize: 14, color: ink } },
      tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
      legend: { type: "scroll", orient: "vertical", right: 0, top: "middle", icon: "circle", itemGap: wall ? 8 : 6,
        textStyle: { color: ink, fontSize: wall ? 17 : 13 }, pageTextStyle: { color: ink },
        formatter: function (name) { return name + "  " + share[name]; } },
      series: [{
        type: "pie", radius: ["38%", "68%"], center: [wall ? "22%" : "28%", "55%"], label: { show: false }, labelLine: { show: false },
        itemStyle: { borderColor: wall ? "#10264a" : "#ffffff", borderWidth: 2 },
        data: data,
      }],
    }, function (p) { go(p.data && p.data.link); });
  }

  function trend(rows) {
    chart("chart-trend", {
      // The title on the left, the legend on the right, the plot below both: nothing overlaps.
      title: wall ? undefined : { text: "趋势", left: 0, top: 0, textStyle: { fontSize: 14, color: ink } },
      legend: { top: 0, right: 0, textStyle: { color: ink, fontSize: font } },
      grid: { top: wall ? 40 : 44, left: 8, right: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: rows.map(function (t) { return t.day.slice(5); }),
        axisLabel: { color: soft, fontSize: font - 2 }, axisLine: { lineStyle: { color: line } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: soft, fontSize: font - 2 }, splitLine: { lineStyle: { color: line } } },
      series: [["受理", "created"], ["交办", "dispatched"], ["办结", "closed"]].map(function (s) {
        return { name: s[0], type: "line", smooth: true, symbolSize: wall ? 6 : 4, data: rows.map(function (t) { return t[s[1]]; }) };
      }),
    });
  }

  // The district map: boundaries from the public /directory/district.geojson, figures from the cockpit's data.
  function districtMap(geo, figures, level) {
    var el = document.getElementById("chart-map");
    if (!el) { return; }
    var nameOf = {}, point = {}, streetHasParts = {};
    geo.features.forEach(function (f) {
      var p = f.properties;
      nameOf[p.code] = p.name;
      point[p.code] = p.cp;
      if (p.level === "community") { streetHasParts[p.street_id] = true; }
    });
    var features = geo.features.filter(function (f) {
      var p = f.properties;
      return level === "street" ? p.level === "street" : (p.level === "community" || !streetHasParts[p.id]);
    });
    var mapName = "minyi-" + level;
    window.echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
    var shown = {};
    features.forEach(function (f) { shown[f.properties.code] = true; });
    var cells = figures.cells.filter(function (c) { return shown[c.code]; });
    var linkOf = {};
    figures.cells.forEach(function (c) { linkOf[c.code] = c.link; });
    var max = Math.max.apply(null, cells.map(function (c) { return c.value; }).concat([1]));
    // A marker sits just below its place's name, and several in one place side by side, so none hides a name.
    var perPlace = {};
    var hot = figures.hot.filter(function (h) { return point[h.code]; }).map(function (h) {
      var k = perPlace[h.code] = (perPlace[h.code] || 0) + 1;
      return { rank: h.rank, label: h.label, size: h.size, code: h.code, at: [point[h.code][0] + (k - 1) * 0.009, point[h.code][1] - 0.007] };
    });
    var biggest = Math.max.apply(null, hot.map(function (h) { return h.size; }).concat([1]));
    var c = chart("chart-map", {
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesType === "scatter") { return "热点：" + p.name + "（" + p.value[2] + " 件）"; }
        return (nameOf[p.name] || p.name) + "：" + (p.value || 0) + " 件"; } },
      visualMap: { min: 0, max: max, seriesIndex: 0, left: 8, bottom: 8, itemHeight: wall ? 160 : 120,
        text: ["多", "少"], textStyle: { color: ink, fontSize: font - 2 },
        inRange: { color: wall ? ["#1d3b66", "#3f7cc4", "#ffd166", "#ff7b5c"] : ["#e8f1fb", "#7fb0e0", "#f4a259", "#c0392b"] } },
      geo: { map: mapName, nameProperty: "code", roam: false, layoutCenter: ["52%", "50%"], layoutSize: "96%",
        label: { show: true, color: wall ? "#ffffff" : "#1a1a1a", fontSize: font - 1, textBorderColor: wall ? "#08172b" : "#ffffff", textBorderWidth: 3,
          formatter: function (p) { return nameOf[p.name] || p.name; } },
        itemStyle: { borderColor: wall ? "#9fb7d6" : "#ffffff", borderWidth: level === "street" ? 2 : 1 },
        emphasis: { label: { color: wall ? "#ffffff" : "#000000" }, itemStyle: { areaColor: wall ? "#ffe29a" : "#ffe29a" } } },
      series: [
        { type: "map", geoIndex: 0, data: cells.map(function (c) { return { name: c.code, value: c.value }; }) },
        { type: "scatter", coordinateSystem: "geo", zlevel: 2,
          data: hot.map(function (h) { return { name: h.label, value: h.at.concat([h.size]), code: h.code, rank: h.rank }; }),
          // Numbered as in the 热点诉求 list beside the map; the name is in the tooltip, so no label covers a region's name.
          symbolSize: function (v) { return (wall ? 28 : 20) + (wall ? 14 : 10) * v[2] / biggest; },
          itemStyle: { color: "#c2185b", borderColor: "#ffffff", borderWidth: 2 },
          label: { show: true, position: "inside", color: "#ffffff", fontWeight: "bold", fontSize: font - 1,
            formatter: function (p) { return String(p.data.rank); } } },
      ],
    }, function (p) {
      if (p.seriesType === "scatter") { go(linkOf[p.data.code]); return; }
      go(linkOf[p.name]);
    });
    if (c) { el.dataset.ready = level; }
  }

  function loadMap(figures) {
    fetch(figures.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      var el = document.getElementById("chart-map");
      var level = (el && el.dataset.level) || "community";
      districtMap(geo, figures, level);
      document.querySelectorAll(".map-tools button[data-level]").forEach(function (b) {
        b.addEventListener("click", function () {
          document.querySelectorAll(".map-tools button[data-level]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
          districtMap(geo, figures, b.dataset.level);
        });
      });
    });
  }

  fetch(script.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
    trend(d.trend);
    pie("chart-channel", "渠道", d.mix.channel);
    pie("chart-kind", "类型", d.mix.kind);
    pie("chart-category", "分类", d.mix.category);
    if (d.map) { loadMap(d.map); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
