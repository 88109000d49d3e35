// Lishui map: county choropleth, platform markers and scoped enterprise points.
// Boundaries and data are served by this application; nothing is fetched from elsewhere.
(function () {
  "use strict";
  var element = document.getElementById("map");
  var form = document.getElementById("map-controls");
  var chart = echarts.init(element);

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) { throw new Error("数据加载失败（" + response.status + "）：" + url); }
      return response.json();
    });
  }
  function query(base, params) {
    return base + "?" + new URLSearchParams(params).toString();
  }
  // Tooltip content as DOM text nodes: names (enterprises, platforms) are data that users
  // typed, and ECharts would insert a returned string as HTML.
  function lines(texts) {
    var box = document.createElement("div");
    texts.forEach(function (text, i) {
      if (i) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(String(text)));
    });
    return box;
  }
  function number(value, unit) {
    return value === null || value === undefined ? "—" : value.toLocaleString("zh-CN") + " " + unit;
  }

  // The platform markers' legend in words: each status with its colour swatch, then every
  // platform with its status, so that a label hidden to avoid an overlap is still readable.
  function renderStatusLegend(data, statusKey, statusTitle) {
    document.getElementById("status-title").textContent = statusTitle;
    var legend = document.getElementById("status-legend");
    legend.textContent = "";
    data.statuses.forEach(function (s) {
      var item = document.createElement("li");
      var swatch = document.createElement("i");
      swatch.className = "swatch";
      swatch.style.backgroundColor = s.colour;
      swatch.setAttribute("aria-hidden", "true");
      var count = data.platforms.filter(function (p) { return p.standing[statusKey].status === s.key; }).length;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label + "：" + count + " 个平台"));
      legend.appendChild(item);
    });
    var list = document.getElementById("platform-status-list");
    list.textContent = "";
    data.platforms.forEach(function (p) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.short_name;
      var s = p.standing[statusKey];
      var badge = document.createElement("span");
      badge.className = "status status-" + s.status;
      badge.title = s.reason;
      badge.textContent = s.label;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(badge);
      list.appendChild(item);
    });
    document.getElementById("status-plan").textContent = data.plan;
  }

  // Platform labels never overlap, stay inside the canvas and sit next to their own marker.
  // ECharts calls this for each label in data order on every layout (first draw, resize,
  // zoom). Places around the marker are tried nearest first; a place is taken only if no
  // earlier label holds it, it covers no other marker and no other marker is nearer to it
  // than the label's own (so a label is never read as a neighbour's). The conditions are
  // relaxed one by one only when nothing fits; ECharts' hideOverlap stays as the last resort,
  // and the side list still names every platform with its status.
  var placed = [], markers = [];
  function gapTo(box, x, y) {
    var dx = Math.max(box.x - x, 0, x - (box.x + box.w));
    var dy = Math.max(box.y - y, 0, y - (box.y + box.h));
    return Math.sqrt(dx * dx + dy * dy);
  }
  function meets(a, b, gap) {
    return !(a.x + a.w + gap <= b.x || b.x + b.w + gap <= a.x || a.y + a.h + gap <= b.y || b.y + b.h + gap <= a.y);
  }
  function placeLabel(params) {
    if (params.dataIndex === 0) {
      placed = [];
      // Each marker's point in pixels and the box its pin covers (symbolSize 30, centred).
      var data = chart.getModel().getSeriesByIndex(1).getData();
      markers = [];
      for (var i = 0; i < data.count(); i++) {
        var p = chart.convertToPixel({ seriesIndex: 1 }, data.getValues(["lng", "lat"], i));
        markers.push({ px: p[0], py: p[1], x: p[0] - 12, y: p[1] - 15, w: 24, h: 30 });
      }
    }
    var host = params.rect, w = params.labelRect.width, h = params.labelRect.height, gap = 3;
    var me = markers[params.dataIndex];
    var cx = me ? me.px : host.x + host.width / 2, cy = me ? me.py : host.y + host.height / 2;
    var width = chart.getWidth(), height = chart.getHeight();
    var boxes = [];
    for (var step = -12; step <= 12; step++) {
      var y = cy + step * (h + gap) / 2 - h / 2;
      boxes.push({ x: host.x + host.width + gap, y: y, w: w, h: h });
      boxes.push({ x: host.x - gap - w, y: y, w: w, h: h });
    }
    [0, -0.25, 0.25, -0.5, 0.5, -0.75, 0.75, -1, 1].forEach(function (shift) {
      var x = cx - w / 2 + shift * w;
      boxes.push({ x: x, y: host.y - gap - h, w: w, h: h });
      boxes.push({ x: x, y: host.y + host.height + gap, w: w, h: h });
    });
    boxes.sort(function (a, b) { return gapTo(a, cx, cy) - gapTo(b, cx, cy); });
    var inside = function (b) { return b.x >= 0 && b.y >= 0 && b.x + b.w <= width && b.y + b.h <= height; };
    var free = function (b) { return placed.every(function (p) { return !meets(b, p, gap); }); };
    var others = markers.filter(function (m, i) { return i !== params.dataIndex; });
    var clear = function (b) { return others.every(function (m) { return !meets(b, m, 0); }); };
    var nearest = function (b) {
      var mine = gapTo(b, cx, cy);
      return others.every(function (m) { return gapTo(b, m.px, m.py) > mine + 2; });
    };
    var tests = [[inside, free, clear, nearest], [inside, free, nearest], [inside, free, clear], [inside, free], [inside]];
    var box = null;
    for (var t = 0; t < tests.length && !box; t++) {
      box = boxes.filter(function (b) { return tests[t].every(function (ok) { return ok(b); }); })[0] || null;
    }
    if (!box) {
      box = boxes[0];
      box = { x: Math.min(Math.max(box.x, 0), width - w), y: Math.min(Math.max(box.y, 0), height - h), w: w, h: h };
    }
    placed.push(box);
    return { x: box.x, y: box.y + h / 2, align: "left", verticalAlign: "middle", hideOverlap: true };
  }

  // The colour keys in HTML under the map on a narrow screen: inside the canvas their long
  // titles would be drawn over the map. The enterprise categories are always listed here.
  var narrow = function () { return element.clientWidth < 600; };
  function renderKeys(data, enterprises, values, unit) {
    var keys = document.getElementById("map-keys");
    keys.textContent = "";
    if (narrow() && values.length) {
      var scale = document.createElement("p");
      var bar = document.createElement("i");
      bar.className = "ramp";
      bar.setAttribute("aria-hidden", "true");
      scale.appendChild(document.createTextNode("分县着色：低 " + data.range[0] + " "));
      scale.appendChild(bar);
      scale.appendChild(document.createTextNode(" 高 " + data.range[1]));
      keys.appendChild(scale);
    }
    if (enterprises) {
      var title = document.createElement("p");
      title.textContent = "企业点位：" + enterprises.colour_by;
      keys.appendChild(title);
      var list = document.createElement("ul");
      list.className = "status-legend";
      enterprises.categories.forEach(function (label, i) {
        var item = document.createElement("li");
        var swatch = document.createElement("i");
        swatch.className = "swatch";
        swatch.style.backgroundColor = enterprises.colours[i];
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(label));
        list.appendChild(item);
      });
      keys.appendChild(list);
    }
  }

  function render(geo, data, enterprises) {
    var unit = data.indicator.unit;
    var statusKey = form.elements.status_target.value;
    var chosen = data.status_targets.filter(function (t) { return t.key === statusKey; })[0];
    if (!chosen) { chosen = data.status_targets[0]; statusKey = chosen.key; }
    var statusTitle = "方案目标状态（" + chosen.label + "）";
    var values = data.counties.map(function (c) { return c.value; }).filter(function (v) { return v !== null; });
    var series = [
      {
        name: data.indicator.label, type: "map", geoIndex: 0,
        data: data.counties.map(function (c) { return { name: c.name, value: c.value, text: c.text }; })
      },
      {
        name: "主体平台", type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 30, z: 5,
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        // The label names the platform and its status in words (colour is never the only cue).
        label: {
          show: true, position: "right", formatter: function (p) { return p.data.short_name + " · " + p.data.status_label; },
          fontSize: narrow() ? 10 : 11, backgroundColor: "rgba(255,255,255,0.9)", padding: narrow() ? [1, 2] : [2, 4], color: "#1f3a5f",
          borderColor: "#9aa5b1", borderWidth: 0.5
        },
        labelLine: { show: true, length2: 4, lineStyle: { color: "#666" } },
        labelLayout: placeLabel,
        data: data.platforms.map(function (p) {
          // Only [lon, lat] in value, so that no visualMap dimension can recolour the markers;
          // the colour is the platform's status against the plan's targets.
          var s = p.standing[statusKey];
          return {
            name: p.name, short_name: p.short_name, url: p.url, value: [p.lon, p.lat], metric_text: p.value_text, tier: p.tier,
            role: p.role, report: p.report, status_label: s.label, status_reason: s.reason,
            itemStyle: { color: s.colour }
          };
        })
      }
    ];
    var visualMaps = [{
      type: "continuous", seriesIndex: 0, min: values.length ? Math.min.apply(null, values) : 0,
      max: values.length ? Math.max.apply(null, values) : 1, left: 10, bottom: 10, calculable: true,
      show: !narrow(),
      text: ["高", "低"], inRange: { color: ["#f3ede4", "#e8b48a", "#c0562f"] },
      // Decimals as the shared formatter writes this unit (counts whole, others two places).
      formatter: function (v) {
        var places = unit === "家" ? 0 : 2;
        return v.toLocaleString("zh-CN", { minimumFractionDigits: places, maximumFractionDigits: places }) + " " + unit;
      }
    }];
    if (enterprises) {
      series.push({
        name: "企业", type: "scatter", coordinateSystem: "geo", symbolSize: 5, z: 3,
        data: enterprises.points
      });
      visualMaps.push({
        type: "piecewise", seriesIndex: 2, dimension: 2, right: 10, bottom: 10, show: false,
        text: [enterprises.colour_by], showLabel: true,
        pieces: enterprises.categories.map(function (label, i) { return { value: i, label: label, color: enterprises.colours[i] }; })
      });
    }
    chart.setOption({
      title: { text: data.year + "年 " + data.indicator.label + "（" + unit + "）", left: "center", textStyle: { fontSize: 15 } },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.seriesIndex === 0) { return lines([p.name, data.indicator.label + "：" + (p.data ? p.data.text : "—")]); }
          if (p.seriesIndex === 1) {
            return lines([
              p.name + "（" + p.data.role + "，" + p.data.tier + "）",
              statusTitle + "：" + (p.data.status_label || "暂无数据") + (p.data.status_reason ? "（" + p.data.status_reason + "）" : ""),
              data.indicator.label + "：" + p.data.metric_text
            ].concat(
              // The latest approved quarterly report, as the platform page shows it.
              p.data.report ? [p.data.report.period + "季报（审核通过）："].concat(p.data.report.lines) : [],
              ["点击进入平台页面"]
            ));
          }
          return lines([p.data[3], enterprises.colour_by + "：" + enterprises.categories[p.data[2]]]
            .concat(p.data[5] ? [p.data[5]] : [], ["点击进入企业页面"]));
        }
      },
      geo: {
        map: "lishui", roam: true, aspectScale: 0.92,
        label: { show: true, fontSize: 11, color: "#333" },
        itemStyle: { borderColor: "#666", borderWidth: 1 },
        emphasis: { label: { show: true } }
      },
      visualMap: visualMaps,
      series: series
    }, true);
    document.getElementById("map-title").textContent = data.year + "年分县" + data.indicator.label + "（" + unit + "）";
    var list = document.getElementById("county-list");
    list.textContent = "";
    data.counties.slice().sort(function (a, b) { return (b.value || 0) - (a.value || 0); }).forEach(function (c) {
      var item = document.createElement("li");
      item.textContent = c.name + "：" + c.text;
      list.appendChild(item);
    });
    renderStatusLegend(data, statusKey, statusTitle);
    renderKeys(data, enterprises, values, unit);
    var note = document.getElementById("enterprise-note");
    note.textContent = enterprises
      ? "企业点位：您有权查看 " + enterprises.total + " 家企业，其中有坐标 " + enterprises.located + " 家；按当年税收由高到低显示 " +
        enterprises.shown + " 家" + (enterprises.shown >= enterprises.limit ? "（已达显示上限 " + enterprises.limit + " 家）" : "") + "。"
      : "企业点位已隐藏。";
    // Ready only once the chart has finished drawing (animations included).
    chart.off("finished");
    chart.on("finished", function () { element.dataset.ready = "1"; });
    chart.off("click");
    chart.on("click", function (p) {
      if (p.seriesIndex === 1) { window.location.href = p.data.url; }
      if (p.seriesIndex === 2) { window.location.href = enterprises.detail_url.replace("__USCC__", p.data[4]); }
    });
  }

  var geoPromise = getJSON(element.dataset.geojson).then(function (geo) {
    echarts.registerMap("lishui", geo);
    return geo;
  });

  function refresh() {
    var year = form.elements.year.value;
    var showEnterprises = form.elements.enterprises.checked;
    element.dataset.ready = "0";
    chart.showLoading({ text: "加载中…" });
    Promise.all([
      geoPromise,
      getJSON(query(element.dataset.mapUrl, { year: year, indicator: form.elements.indicator.value })),
      showEnterprises ? getJSON(query(element.dataset.enterprisesUrl, { year: year })) : Promise.resolve(null)
    ]).then(function (parts) {
      chart.hideLoading();
      render(parts[0], parts[1], parts[2]);
    }).catch(function (error) {
      chart.hideLoading();
      document.getElementById("enterprise-note").textContent = error.message;
      element.dataset.ready = "error";
    });
  }

  form.addEventListener("change", refresh);
  window.addEventListener("resize", function () { chart.resize(); });
  refresh();
})();
