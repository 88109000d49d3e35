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

  // Platform labels never overlap. ECharts calls this for each label in data order on every
  // layout (first draw, resize, zoom); each label takes the first place beside its marker
  // (right, left, then stepped above and below) that no earlier label holds. ECharts' own
  // hideOverlap stays on as the last resort: a label with no free place is hidden, and the
  // side list still names every platform with its status.
  var placed = [];
  function placeLabel(params) {
    if (params.dataIndex === 0) { placed = []; }
    var host = params.rect, w = params.labelRect.width, h = params.labelRect.height, gap = 3;
    var cy = host.y + host.height / 2;
    var candidates = [];
    [0, -1, 1, -2, 2, -3, 3].forEach(function (step) {
      var y = cy + step * (h + gap) - h / 2;
      candidates.push({ x: host.x + host.width + gap, y: y, align: "left" });
      candidates.push({ x: host.x - gap - w, y: y, align: "right" });
    });
    var free = candidates.filter(function (c) {
      return placed.every(function (b) {
        return c.x + w + gap <= b.x || b.x + b.w + gap <= c.x || c.y + h + gap <= b.y || b.y + b.h + gap <= c.y;
      });
    })[0] || candidates[0];
    placed.push({ x: free.x, y: free.y, w: w, h: h });
    return {
      x: free.align === "left" ? free.x : free.x + w, y: free.y + h / 2,
      align: free.align, verticalAlign: "middle", hideOverlap: true
    };
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
        data: data.counties.map(function (c) { return { name: c.name, value: c.value }; })
      },
      {
        name: "主体平台", type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 30, z: 5,
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        // The label names the platform and its status in words (colour is never the only cue).
        label: {
          show: true, position: "right", formatter: function (p) { return p.data.short_name + " · " + p.data.status_label; },
          fontSize: 11, backgroundColor: "rgba(255,255,255,0.9)", padding: [2, 4], color: "#1f3a5f",
          borderColor: "#9aa5b1", borderWidth: 0.5
        },
        labelLine: { show: true, length2: 4, lineStyle: { color: "#666" } },
        labelLayout: placeLabel,
        data: data.platforms.map(function (p) {
          // Only [lon, lat] in value, so that no visualMap dimension can recolour the markers;
          // the colour is the platform's status against the plan's targets.
          var s = p.standing[statusKey];
          return {
            name: p.name, short_name: p.short_name, url: p.url, value: [p.lon, p.lat], metric: p.value, tier: p.tier,
            role: p.role, report: p.report, status_label: s.label, status_reason: s.reason,
            itemStyle: { color: s.colour }
          };
        })
      }
    ];
    var visualMaps = [{
      type: "continuous", seriesIndex: 0, min: values.length ? Math.min.apply(null, values) : 0,
      max: values.length ? Math.max.apply(null, values) : 1, left: 10, bottom: 10, calculable: true,
      text: ["高", "低"], inRange: { color: ["#f3ede4", "#e8b48a", "#c0562f"] },
      formatter: function (v) { return number(Math.round(v * 100) / 100, unit); }
    }];
    if (enterprises) {
      series.push({
        name: "企业", type: "scatter", coordinateSystem: "geo", symbolSize: 5, z: 3,
        data: enterprises.points
      });
      visualMaps.push({
        type: "piecewise", seriesIndex: 2, dimension: 2, right: 10, bottom: 10,
        text: [enterprises.colour_by], showLabel: true,
        pieces: enterprises.categories.map(function (label, i) { return { value: i, label: label, color: enterprises.colours[i] }; })
      });
    }
    chart.setOption({
      title: { text: data.year + "年 " + data.indicator.label + "（" + unit + "）", left: "center", textStyle: { fontSize: 15 } },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.seriesIndex === 0) { return lines([p.name, data.indicator.label + "：" + number(p.value, unit)]); }
          if (p.seriesIndex === 1) {
            return lines([
              p.name + "（" + p.data.role + "，" + p.data.tier + "）",
              statusTitle + "：" + (p.data.status_label || "暂无数据") + (p.data.status_reason ? "（" + p.data.status_reason + "）" : ""),
              data.indicator.label + "：" + number(p.data.metric, unit)
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
      item.textContent = c.name + "：" + number(c.value, unit);
      list.appendChild(item);
    });
    renderStatusLegend(data, statusKey, statusTitle);
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
